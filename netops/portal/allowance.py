"""What a citizen has left: time and data, from the plan and the store's usage. Pure.

The numbers match what the RADIUS server enforces (``netops.radius.policy``): the day starts
at the city's local midnight, daily time and data reset then, a total data quota and a
voucher's validity do not. Today's time and a voucher's validity are kept apart: "time left
today" is the daily allowance, the validity is a moment of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from netops.inventory.models import Plan


@dataclass(frozen=True)
class Allowance:
    """What is left (None: no such limit), and what was used today.

    ``time_left_s`` is today's time allowance only (the plan's ``daily_time`` minus today's
    use): a voucher's validity is a different thing, a moment (``valid_until``) with its own
    countdown (``validity_left_s``), and the page shows it as such. ``session_left_s`` is
    when the running session will be cut: every time limit that applies, as the RADIUS
    server's Session-Timeout counts them.
    """

    time_left_s: int | None
    session_left_s: int | None
    data_left: int | None
    used_today_s: int
    used_today_octets: int
    valid_until: datetime | None
    validity_left_s: int | None = None


def day_start(now: datetime, zone: tzinfo) -> datetime:
    """The city's local midnight before ``now``, in UTC."""
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)


def next_midnight(now: datetime, zone: tzinfo) -> datetime:
    """The city's next local midnight, in UTC (when a click-through allowance ends)."""
    local = now.astimezone(zone)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone).astimezone(UTC)


def allowance(
    plan: Plan,
    *,
    now: datetime,
    today_seconds: int,
    today_octets: int,
    total_octets: int,
    valid_until: datetime | None,
    session_seconds: int | None = None,
) -> Allowance:
    """Left today: the daily time, the voucher's validity, the running session, the data."""
    time_left = None if plan.daily_time is None else max(0, plan.daily_time - today_seconds)
    validity_left = (
        None if valid_until is None else max(0, int((valid_until - now).total_seconds()))
    )

    session_left = None
    if session_seconds is not None:
        limits = [t for t in (time_left, validity_left) if t is not None]
        if plan.session_timeout is not None:
            limits.append(max(0, plan.session_timeout - session_seconds))
        session_left = min(limits) if limits else None

    datas: list[int] = []
    if plan.daily_data is not None:
        datas.append(plan.daily_data - today_octets)
    if plan.data_quota is not None:
        datas.append(plan.data_quota - total_octets)
    data_left = max(0, min(datas)) if datas else None

    return Allowance(
        time_left_s=time_left,
        session_left_s=session_left,
        data_left=data_left,
        used_today_s=today_seconds,
        used_today_octets=today_octets,
        valid_until=valid_until,
        validity_left_s=validity_left,
    )


def plan_summary(plan: Plan) -> tuple[int | None, int | None]:
    """The plan's daily (time, data) allowance as offered to a click-through user."""
    return plan.daily_time or plan.session_timeout, plan.daily_data or plan.data_quota
