"""Plans → decisions and reply attributes. Pure: no I/O, no clock, no store.

The handler gathers what the store knows (the subscriber's usage today and in total, its
open sessions, its validity) and :func:`authorize` decides, producing the attributes the
NAS's platform understands. One plan gives the same limits on every platform; only the
attribute names and units differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from netops.inventory.models import Plan
from netops.inventory.units import format_rate
from netops.radius.messages import RejectReason

MIKROTIK = frozenset({"mikrotik_routeros", "mikrotik"})
CHILLI = frozenset({"coovachilli", "openwrt", "chillispot"})
U32 = 0xFFFFFFFF


@dataclass(frozen=True)
class Consumed:
    """Time and data already used in a period (from the store's usage)."""

    seconds: int = 0
    octets: int = 0


@dataclass(slots=True)  # not frozen: built for every Access-Request
class Decision:
    """Accept with reply attributes, or reject with a reason."""

    accept: bool
    reason: RejectReason | None = None
    attributes: list[tuple[str, Any]] = field(default_factory=list)
    session_timeout: int | None = None
    remaining_octets: int | None = None

    @classmethod
    def reject(cls, reason: RejectReason) -> Decision:
        return cls(accept=False, reason=reason)


def remaining_octets(plan: Plan, today: Consumed, total: Consumed) -> int | None:
    """Data left: the smaller of the plan's total quota and its daily allowance (None when
    the plan has neither). Can be zero or negative when used up."""
    limits = []
    if plan.data_quota is not None:
        limits.append(plan.data_quota - total.octets)
    if plan.daily_data is not None:
        limits.append(plan.daily_data - today.octets)
    return min(limits) if limits else None


def quota_exhausted(plan: Plan, today: Consumed, total: Consumed) -> RejectReason | None:
    """Whether a data limit is reached (used on Interim-Update to disconnect)."""
    if plan.data_quota is not None and total.octets >= plan.data_quota:
        return "quota"
    if plan.daily_data is not None and today.octets >= plan.daily_data:
        return "daily_data"
    return None


def authorize(
    *,
    plan: Plan,
    platform: str,
    now: datetime,
    today: Consumed,
    total: Consumed,
    open_sessions: int,
    valid_until: datetime | None = None,
    timezone: tzinfo | None = None,
) -> Decision:
    """Decide a login for an authenticated subscriber and build the reply attributes.

    Session-Timeout is the smallest of the plan's session timeout, the time left today and
    the time left before ``valid_until``; a limit that is used up rejects with its reason.
    """
    timeouts = []
    if valid_until is not None:
        left = int((valid_until - now).total_seconds())
        if left <= 0:
            return Decision.reject("expired")
        timeouts.append(left)
    if plan.daily_time is not None:
        left = plan.daily_time - today.seconds
        if left <= 0:
            return Decision.reject("daily_time")
        timeouts.append(left)
    if plan.session_timeout is not None:
        timeouts.append(plan.session_timeout)
    exhausted = quota_exhausted(plan, today, total)
    if exhausted:
        return Decision.reject(exhausted)
    if open_sessions >= plan.simultaneous_use:
        return Decision.reject("simultaneous_use")

    session_timeout = min(timeouts) if timeouts else None
    octets = remaining_octets(plan, today, total)
    attrs: list[tuple[str, Any]] = []
    if session_timeout is not None:
        attrs.append(("Session-Timeout", session_timeout))
    if plan.idle_timeout is not None:
        attrs.append(("Idle-Timeout", plan.idle_timeout))
    attrs.append(("Acct-Interim-Interval", plan.interim_interval))
    if valid_until is None:
        attrs.extend(_plan_vendor_attributes(plan, platform, octets))
    else:
        attrs.extend(vendor_attributes(plan, platform, octets, valid_until, timezone))
    return Decision(
        accept=True,
        attributes=attrs,
        session_timeout=session_timeout,
        remaining_octets=octets,
    )


_VENDOR: dict[tuple[int, str, int | None], tuple[Plan, list[tuple[str, Any]]]] = {}


def _plan_vendor_attributes(plan: Plan, platform: str, octets: int | None) -> list[tuple[str, Any]]:
    """:func:`vendor_attributes` without an end time, remembered per plan object, platform
    and data left (the same few on every Access-Request of a plan)."""
    key = (id(plan), platform, octets)
    found = _VENDOR.get(key)
    if found is not None and found[0] is plan:
        return found[1]
    attrs = vendor_attributes(plan, platform, octets, None, None)
    if len(_VENDOR) >= 4096:
        _VENDOR.clear()
    _VENDOR[key] = (plan, attrs)
    return attrs


def vendor_attributes(
    plan: Plan,
    platform: str,
    octets: int | None,
    valid_until: datetime | None,
    timezone: tzinfo | None,
) -> list[tuple[str, Any]]:
    """Rate limit, data limit and end time in the NAS platform's own attributes."""
    attrs: list[tuple[str, Any]] = []
    rate = plan.rate_limit
    if platform in MIKROTIK:
        if rate is not None:
            # RouterOS reads rx/tx from the router's side: rx is the client's upload.
            attrs.append(
                ("Mikrotik-Rate-Limit", f"{format_rate(rate.up)}/{format_rate(rate.down)}")
            )
        if octets is not None:
            attrs.append(("Mikrotik-Total-Limit", octets & U32))
            if octets >> 32:
                attrs.append(("Mikrotik-Total-Limit-Gigawords", octets >> 32))
        return attrs
    if platform in CHILLI:
        if rate is not None:
            attrs.append(("ChilliSpot-Bandwidth-Max-Up", max(1, rate.up // 1000)))
            attrs.append(("ChilliSpot-Bandwidth-Max-Down", max(1, rate.down // 1000)))
        if octets is not None:
            attrs.append(("ChilliSpot-Max-Total-Octets", octets & U32))
            if octets >> 32:
                attrs.append(("ChilliSpot-Max-Total-Gigawords", octets >> 32))
    if rate is not None:
        attrs.append(("WISPr-Bandwidth-Max-Up", min(rate.up, U32)))
        attrs.append(("WISPr-Bandwidth-Max-Down", min(rate.down, U32)))
    if valid_until is not None:
        local = valid_until.astimezone(timezone) if timezone else valid_until
        attrs.append(("WISPr-Session-Terminate-Time", local.isoformat(timespec="seconds")))
    return attrs


DAY = 86_400


def shortest_purge_age(plans: tuple[Plan, ...] | list[Plan], since_midnight: int) -> int:
    """The shortest age (seconds) of accounting sessions that may be purged without
    changing what a plan allows: a day (or the time since the city's midnight, if a day
    there is longer) when any plan has a daily limit, else none (0).

    Total quotas need no floor: the store folds purged sessions into usage totals.
    Click-through and voucher validities live on the subscriber, not in sessions."""
    if any(p.daily_time is not None or p.daily_data is not None for p in plans):
        return max(DAY, since_midnight)
    return 0
