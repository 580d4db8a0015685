"""Reading a server's figures back from its metrics exposition."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from netops.radius.metrics import Metrics
from netops.radius.stats import summarise


def test_summary_reads_requests_drops_and_latency() -> None:
    registry = CollectorRegistry()
    m = Metrics(registry)
    m.requests.labels("access", "accept", "hs-01").inc(3)
    m.dropped.labels("unknown_nas").inc(2)
    for seconds in (0.0004, 0.0004, 0.003, 0.2):
        m.duration.labels("access").observe(seconds)
    summary = summarise(generate_latest(registry).decode())
    assert summary.requests[("access", "accept", "hs-01")] == 3
    assert summary.dropped == {"unknown_nas": 2}
    assert summary.quantile("access", 0.5) == 0.0005
    assert summary.quantile("access", 0.99) == 0.25
    titles = [t for t, _, _ in summary.tables()]
    assert titles[:2] == ["Requests", "Dropped"]
