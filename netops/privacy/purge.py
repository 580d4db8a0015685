"""Apply every data class's retention period (the inventory's ``privacy.retention``).

One pass deletes or clears what is older than its class allows and returns the counts per
class; the caller logs them (counts only, never personal data). Sessions go through the
store's own :meth:`~netops.store.Store.purge`, so total quotas survive; an accounting period
shorter than a day is refused while a plan has a daily limit (today's sessions carry it).
The operator audit class covers answered data subject requests and the audit trail itself:
the trail loses its oldest rows only, behind a sealed anchor that ``netops audit verify``
starts from (:meth:`~netops.store.Store.purge_audit`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from netops.errors import NetopsError
from netops.inventory.models import Inventory, Privacy
from netops.inventory.units import format_duration
from netops.store import Store

log = logging.getLogger("netops.privacy")

DAY = 86_400


@dataclass(frozen=True)
class PurgeReport:
    """How many records each data class lost, and the moment each cut-off fell on."""

    counts: dict[str, int]
    cutoffs: dict[str, datetime]


def privacy_of(inventory: Inventory) -> Privacy:
    """The inventory's ``privacy:`` section, or one sentence saying it is missing."""
    if inventory.privacy is None:
        raise NetopsError(
            f"the inventory {inventory.root} has no 'privacy:' section (the data protection "
            "officer and the retention periods): see docs/privacy.md"
        )
    return inventory.privacy


def check_periods(inventory: Inventory, privacy: Privacy) -> None:
    """Refuse an accounting period shorter than a day while a plan has a daily limit."""
    daily = [p for p in inventory.plans if p.daily_time or p.daily_data]
    period = privacy.retention.accounting_sessions
    if daily and period < DAY:
        raise NetopsError(
            f"privacy.retention.accounting_sessions {format_duration(period)} is shorter than "
            f"1d: plan {daily[0].name} has a daily limit, and purging today's sessions would "
            "give users their daily allowance back"
        )


def purge(store: Store, inventory: Inventory, now: datetime) -> PurgeReport:
    """Delete or clear what every data class keeps longer than its period, as of ``now``."""
    privacy = privacy_of(inventory)
    check_periods(inventory, privacy)
    r = privacy.retention
    cut = {
        name: now - timedelta(seconds=getattr(r, name))
        for name in (
            "accounting_sessions",
            "connection_records",
            "subscriber_accounts",
            "vouchers",
            "clickthroughs",
            "operator_audit",
        )
    }
    done = store.purge(
        cut["accounting_sessions"],
        vouchers_before=cut["vouchers"],
        clickthroughs_before=cut["clickthroughs"],
    )
    connections = store.forget_connections(cut["connection_records"])
    accounts = store.purge_inactive_users(cut["subscriber_accounts"])
    requests = store.purge_requests(cut["operator_audit"])
    trail = store.purge_audit(cut["operator_audit"], now=now)
    if trail.rows:
        assert trail.last_at is not None
        log.info(
            "privacy purge: audit trail lost its %d oldest row(s), up to id %s (written %s), "
            "before %s; the chain now starts at the anchor",
            trail.rows,
            trail.last_id,
            trail.last_at.isoformat(timespec="seconds"),
            cut["operator_audit"].isoformat(timespec="seconds"),
        )
    acceptances = store.purge_acceptances(cut["clickthroughs"])
    devices = store.purge_device_records(cut["accounting_sessions"])
    counts = {
        "accounting_sessions": done.sessions + devices,
        "connection_records": connections,
        "subscriber_accounts": accounts,
        "vouchers": done.vouchers,
        "clickthroughs": done.clickthroughs + acceptances,
        "operator_audit": requests + trail.rows,
    }
    log.info(
        "privacy purge: %s",
        ", ".join(f"{name} {count}" for name, count in counts.items()),
    )
    return PurgeReport(counts, cut)
