"""Answers counted in a batch and written by ``Metrics.flush`` read as Histogram.observe
and Counter.inc per answer would have written them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from netops.radius.metrics import LATENCY_BUCKETS, Metrics

SECONDS = [0.0, 0.0004, 0.0005, 0.0007, 0.003, 0.003, 0.2, 2.5, 3.0, 99.0]


def _reference(seconds: list[float]) -> bytes:
    reg = CollectorRegistry()
    requests = Counter(
        "netops_radius_requests",
        "RADIUS requests answered, by type, result and NAS.",
        ["type", "result", "nas"],
        registry=reg,
    )
    duration = Histogram(
        "netops_radius_request_duration_seconds",
        "Time from receiving a request to having its answer (reject delay excluded).",
        ["type"],
        buckets=LATENCY_BUCKETS,
        registry=reg,
    )
    for s in seconds:
        requests.labels("access", "accept", "gw-1").inc()
        duration.labels("access").observe(s)
    requests.labels("accounting", "ack", "gw-1").inc()
    duration.labels("accounting").observe(0.001)
    return generate_latest(reg)


def _lines(text: bytes, prefix: str) -> list[str]:
    return sorted(
        line
        for line in text.decode().splitlines()
        if line.startswith(prefix) and "_created" not in line
    )


def test_a_flushed_batch_reads_as_one_observation_per_answer() -> None:
    reg = CollectorRegistry()
    metrics = Metrics(reg)
    for s in SECONDS:
        metrics.answered("access", "accept", "gw-1", s)
    metrics.answered("accounting", "ack", "gw-1", 0.001)
    assert "netops_radius_requests_total{" not in generate_latest(reg).decode()
    metrics.flush()
    got, want = generate_latest(reg), _reference(SECONDS)
    for prefix in ("netops_radius_requests_total", "netops_radius_request_duration_seconds"):
        assert _lines(got, prefix) == _lines(want, prefix)
    metrics.flush()  # nothing pending: nothing changes
    assert _lines(generate_latest(reg), "netops_radius_") == _lines(got, "netops_radius_")


def test_flushes_add_up() -> None:
    reg = CollectorRegistry()
    metrics = Metrics(reg)
    for s in SECONDS[:4]:
        metrics.answered("access", "accept", "gw-1", s)
    metrics.flush()
    for s in SECONDS[4:]:
        metrics.answered("access", "accept", "gw-1", s)
    metrics.answered("accounting", "ack", "gw-1", 0.001)
    metrics.flush()
    got = generate_latest(reg)
    assert _lines(got, "netops_radius_request") == _lines(
        _reference(SECONDS), "netops_radius_request"
    )
