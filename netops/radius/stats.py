"""A running server's figures, read back from its metrics exposition (pure parsing)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Summary:
    """Requests by (type, result, nas), drops by reason, sessions by hotspot, latency."""

    requests: dict[tuple[str, str, str], float] = field(default_factory=dict)
    dropped: dict[str, float] = field(default_factory=dict)
    active: dict[str, float] = field(default_factory=dict)
    coa: dict[tuple[str, str], float] = field(default_factory=dict)
    buckets: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def quantile(self, kind: str, q: float) -> float | None:
        """Upper bound of the histogram bucket holding quantile ``q`` (None: no data)."""
        buckets = sorted(self.buckets.get(kind, []))
        if not buckets or buckets[-1][1] == 0:
            return None
        target = q * buckets[-1][1]
        for bound, count in buckets:
            if count >= target:
                return bound
        return None

    def tables(self) -> list[tuple[str, list[str], list[list[str]]]]:
        """Title, columns and rows of each table the CLI prints."""
        out: list[tuple[str, list[str], list[list[str]]]] = []
        out.append(
            (
                "Requests",
                ["type", "result", "NAS", "count"],
                [[t, r, n, f"{v:.0f}"] for (t, r, n), v in sorted(self.requests.items())],
            )
        )
        out.append(
            (
                "Dropped",
                ["reason", "count"],
                [[r, f"{v:.0f}"] for r, v in sorted(self.dropped.items())],
            )
        )
        latency = []
        for kind in sorted(self.buckets):
            p50, p99 = self.quantile(kind, 0.5), self.quantile(kind, 0.99)
            latency.append([kind, _ms(p50), _ms(p99)])
        out.append(("Latency (bucket upper bound)", ["type", "p50", "p99"], latency))
        out.append(
            (
                "Active sessions",
                ["hotspot", "sessions"],
                [[h or "-", f"{v:.0f}"] for h, v in sorted(self.active.items())],
            )
        )
        if self.coa:
            out.append(
                (
                    "CoA / Disconnect",
                    ["kind", "result", "count"],
                    [[k, r, f"{v:.0f}"] for (k, r), v in sorted(self.coa.items())],
                )
            )
        return out


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds == float("inf"):
        return "> 2.5 s"
    return f"≤ {seconds * 1000:g} ms"


def summarise(exposition: str) -> Summary:
    """Parse the text exposition of ``/metrics``."""
    summary = Summary()
    buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "netops_radius_requests_total":
                key = (labels.get("type", ""), labels.get("result", ""), labels.get("nas", ""))
                summary.requests[key] = summary.requests.get(key, 0) + sample.value
            elif sample.name == "netops_radius_dropped_total":
                reason = labels.get("reason", "")
                summary.dropped[reason] = summary.dropped.get(reason, 0) + sample.value
            elif sample.name == "netops_radius_active_sessions":
                summary.active[labels.get("hotspot", "")] = sample.value
            elif sample.name == "netops_radius_coa_total":
                ckey = (labels.get("kind", ""), labels.get("result", ""))
                summary.coa[ckey] = summary.coa.get(ckey, 0) + sample.value
            elif sample.name == "netops_radius_request_duration_seconds_bucket":
                bound = float(labels["le"])
                buckets[labels.get("type", "")][bound] += sample.value
    summary.buckets = {k: sorted(v.items()) for k, v in buckets.items()}
    return summary
