"""Exposition: metric families → Prometheus text format (0.0.4), as ``prometheus_client``
writes it.

:func:`encode` produces byte for byte what ``prometheus_client.generate_latest`` produces
(a unit test holds it to that), using the library's own escaping and number formatting. It
renders each distinct label set once: an if_mib scrape repeats the same interface labels on
some forty metrics, and rendering them per sample was most of a large scrape's CPU time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import (
    UNDERSCORES,
    _escape,
    escape_label_name,
    escape_metric_name,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
_ALLOWUTF8 = "allow-utf-8"
_RENAMED = {"counter": "counter", "info": "gauge", "stateset": "gauge", "unknown": "untyped"}


class Families(Collector):
    """A ready list of metric families, served as a collector (collect, then expose)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def _any_rune(_char: str, _index: int) -> bool:
    return True


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    body = ",".join(
        f'{escape_label_name(k, UNDERSCORES)}="{_escape(v, _ALLOWUTF8, _any_rune)}"'
        for k, v in sorted(labels.items())
    )
    return "{" + body + "}"


def encode(families: Iterable[Metric]) -> bytes:
    """The text exposition of ``families`` (plain families only: no histograms/summaries)."""
    out: list[str] = []
    rendered: dict[int, tuple[dict[str, str], str]] = {}
    for metric in families:
        name, kind = metric.name, metric.type
        if kind == "counter":
            name += "_total"
        elif kind == "info":
            name += "_info"
        shown = escape_metric_name(name, UNDERSCORES)
        doc = metric.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {shown} {doc}\n# TYPE {shown} {_RENAMED.get(kind, kind)}\n")
        for sample in metric.samples:
            key = id(sample.labels)
            hit = rendered.get(key)
            if hit is None or hit[0] is not sample.labels:
                hit = (sample.labels, _labels(sample.labels))
                rendered[key] = hit
            stamp = (
                f" {int(float(sample.timestamp) * 1000):d}" if sample.timestamp is not None else ""
            )
            out.append(
                f"{escape_metric_name(sample.name, UNDERSCORES)}{hit[1]} "
                f"{floatToGoString(sample.value)}{stamp}\n"  # type: ignore[no-untyped-call]
            )
    return "".join(out).encode("utf-8")
