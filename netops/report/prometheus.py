"""A small client for the Prometheus HTTP API (``/api/v1/query`` and ``/query_range``).

Standard library only; every failure becomes a :class:`ReportError` naming the server.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from netops.errors import ReportError


@dataclass(frozen=True)
class Sample:
    """One series of a query result: its labels and its (unix time, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class PrometheusClient:
    """Queries one Prometheus server; ``url`` is its base, e.g. ``http://127.0.0.1:9090``."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ReportError(f"--prometheus {url!r} is not an http(s) URL")
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str]) -> Any:
        query = urllib.parse.urlencode(params)
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=query.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                detail = json.load(exc).get("error", exc.reason)
            except (ValueError, AttributeError):
                detail = exc.reason
            raise ReportError(f"Prometheus at {self.url} refused the query: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ReportError(f"Prometheus at {self.url} is unreachable: {reason}") from exc
        except ValueError as exc:
            raise ReportError(f"Prometheus at {self.url} did not answer with JSON") from exc
        if not isinstance(body, dict) or body.get("status") != "success":
            detail = body.get("error", "unknown error") if isinstance(body, dict) else body
            raise ReportError(f"Prometheus at {self.url} failed the query: {detail}")
        return body["data"]

    @staticmethod
    def _samples(data: Any) -> list[Sample]:
        result: list[Sample] = []
        for item in data.get("result", []):
            if "values" in item:
                points = [(float(t), float(v)) for t, v in item["values"]]
            else:
                t, v = item["value"]
                points = [(float(t), float(v))]
            result.append(Sample(labels=dict(item.get("metric", {})), points=points))
        return result

    def query(self, expr: str, at: float) -> list[Sample]:
        """Instant query at unix time ``at``."""
        data = self._get("/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
        if data.get("resultType") not in ("vector", "scalar"):
            raise ReportError(f"Prometheus at {self.url} returned {data.get('resultType')}")
        if data["resultType"] == "scalar":
            t, v = data["result"]
            return [Sample(labels={}, points=[(float(t), float(v))])]
        return self._samples(data)

    def query_matrix(self, expr: str, at: float) -> list[Sample]:
        """Instant query of a range selector (``metric[1d]``) at ``at``: the raw samples."""
        data = self._get("/api/v1/query", {"query": expr, "time": f"{at:.3f}"})
        if data.get("resultType") != "matrix":
            raise ReportError(f"Prometheus at {self.url} returned {data.get('resultType')}")
        return self._samples(data)

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Sample]:
        """Range query from ``start`` to ``end`` (unix times) every ``step`` seconds."""
        data = self._get(
            "/api/v1/query_range",
            {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
        )
        return self._samples(data)
