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
from bisect import bisect_left
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
        # Answers counted since the last flush, by labels: [count, seconds, per bucket].
        # An update of a prometheus_client value takes a lock (and in multiprocess mode
        # writes a shared file), three per answer; :meth:`flush` writes a batch's at once.
        self._pending: dict[tuple[str, str, str], list[Any]] = {}
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def answered(self, kind: str, result: str, nas: str, seconds: float) -> None:
        """Count one answered request and observe its latency (written by :meth:`flush`,
        which the server calls before the answer leaves)."""
        key = (kind, result, nas)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = [0, 0.0, [0] * (len(LATENCY_BUCKETS) + 1)]
        pending[0] += 1
        pending[1] += seconds
        # the first bucket whose upper bound is >= seconds, as Histogram.observe picks it
        pending[2][bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def flush(self) -> None:
        """Write the answers counted since the last flush into the Prometheus metrics."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        for key, (count, seconds, buckets) in pending.items():
            children = self._children.get(key)
            if children is None:
                kind, result, nas = key
                children = (self.requests.labels(kind, result, nas), self.duration.labels(kind))
                self._children[key] = children
            requests, duration = children
            requests.inc(count)
            # Histogram.observe, for many observations at once (its per-bucket values)
            duration._sum.inc(seconds)
            for index, n in enumerate(buckets):
                if n:
                    duration._buckets[index].inc(n)


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
