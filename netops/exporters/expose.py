"""Exposition: metric families → Prometheus text format, written by ``prometheus_client``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class Families(Collector):
    """A ready list of metric families, served as a collector (collect, then expose)."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def encode(families: Iterable[Metric]) -> bytes:
    """The text exposition (format 0.0.4) of ``families``."""
    return generate_latest(Families(families))
