"""Privacy events as metrics, read from the store at each scrape.

Failed operator sign-ins, data subject exports and erasures, and traces are recorded by
whichever process did them (the portal, ``netops privacy export`` on an engineer's laptop, a
second portal): they all land in the store's audit trail and request records. This collector
counts those rows when Prometheus scrapes the portal, so the alert rules see every one:

* ``netops_privacy_actions_total{action}``: every recorded action since the records began
  (it drops when the privacy purge deletes old records: do not alert on its ``increase``);
* ``netops_privacy_actions_last_hour{action}``: those of the last hour, what the alert rules
  use (``PrivacyExportBurst``, ``OperatorSignInFailures``);
* ``netops_privacy_metrics_up``: 0 when the store could not be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from netops.errors import NetopsError
from netops.logsafe import printable

log = logging.getLogger("netops.portal")

# Always exposed, at 0 until they happen, so a rule's first event is an increase.
ACTIONS = ("export", "erase", "trace", "sign_in_failed")


class CountingStore(Protocol):
    def privacy_action_counts(self, since: datetime | None = None) -> dict[str, int]: ...


class PrivacyCollector(Collector):
    """Counts privacy actions in the store at each scrape."""

    def __init__(self, store: CountingStore, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily(
            "netops_privacy_metrics_up",
            "1 when the store's privacy records could be counted at this scrape.",
        )
        try:
            total = self.store.privacy_action_counts()
            recent = self.store.privacy_action_counts(since=self.now() - timedelta(hours=1))
        except (NetopsError, SQLAlchemyError) as exc:
            log.warning("cannot count privacy actions in the store: %s", printable(exc, 200))
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        counter = CounterMetricFamily(
            "netops_privacy_actions",
            "Privacy-relevant actions recorded in the store (audit trail, data subject "
            "requests), by action, whatever process did them.",
            labels=["action"],
        )
        hour = GaugeMetricFamily(
            "netops_privacy_actions_last_hour",
            "Privacy-relevant actions recorded in the store in the last hour, by action.",
            labels=["action"],
        )
        for action in sorted(set(ACTIONS) | set(total) | set(recent)):
            counter.add_metric([action], total.get(action, 0))
            hour.add_metric([action], recent.get(action, 0))
        yield counter
        yield hour
