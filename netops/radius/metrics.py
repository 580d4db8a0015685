"""The server's Prometheus metrics (job ``netops-radius``), names as the metric contract.

Counters live in a :class:`Metrics` object, not at module level, so one process can hold
several servers (tests) and worker processes can use prometheus_client's multiprocess mode.
Active sessions per hotspot are read from the store when Prometheus scrapes
(:class:`ActiveSessionsCollector`): the store is the truth, shared by every worker and every
server on one database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netops.radius.backend import RadiusStore

log = logging.getLogger("netops.radius")

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """Counters and the latency histogram of one server process."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        reg = registry
        self.requests = Counter(
            "netops_radius_requests",
            "RADIUS requests answered, by type, result and NAS.",
            ["type", "result", "nas"],
            registry=reg,
        )
        self.dropped = Counter(
            "netops_radius_dropped",
            "Datagrams dropped without an answer, by reason.",
            ["reason"],
            registry=reg,
        )
        self.duration = Histogram(
            "netops_radius_request_duration_seconds",
            "Time from receiving a request to having its answer (reject delay excluded).",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.coa = Counter(
            "netops_radius_coa",
            "Disconnect / CoA requests sent to NAS, by kind and result.",
            ["kind", "result"],
            registry=reg,
        )
        self.retransmissions = Counter(
            "netops_radius_retransmissions",
            "Retransmitted requests answered from the reply cache.",
            ["type"],
            registry=reg,
        )
        self.stale = Counter(
            "netops_radius_stale_sessions_closed",
            "Sessions closed by the sweeper after 3 interim intervals without news.",
            registry=reg,
        )
        # Children by label values: labels() takes a lock and builds a key on every call.
        self._answered: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def answered(self, kind: str, result: str, nas: str, seconds: float) -> None:
        """Count one answered request and observe its latency."""
        key = (kind, result, nas)
        children = self._answered.get(key)
        if children is None:
            children = (self.requests.labels(kind, result, nas), self.duration.labels(kind))
            self._answered[key] = children
        children[0].inc()
        children[1].observe(seconds)


class ActiveSessionsCollector(Collector):
    """``netops_radius_active_sessions{hotspot}`` from the store, cached a few seconds."""

    def __init__(self, store: Callable[[], RadiusStore], ttl: float = 5.0) -> None:
        self._store = store
        self._ttl = ttl
        self._lock = threading.Lock()
        self._at = 0.0
        self._counts: dict[str, int] = {}

    def _refresh(self) -> dict[str, int]:
        with self._lock:
            if time.monotonic() - self._at > self._ttl:
                try:
                    sessions = self._store().sessions(active=True)
                    self._counts = dict(Tally(s.hotspot or "" for s in sessions))
                except Exception as exc:  # the store is down: keep the last figures
                    log.warning("active sessions unavailable: %s", exc)
                self._at = time.monotonic()
            return dict(self._counts)

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "netops_radius_active_sessions",
            "Open accounting sessions, by hotspot.",
            labels=["hotspot"],
        )
        for hotspot, count in sorted(self._refresh().items()):
            family.add_metric([hotspot], count)
        yield family
