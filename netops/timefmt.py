"""One clock for people: how netops shows a moment to a person and to a machine.

A person reads the city's wall clock with its zone named (``2026-12-05 14:03 WITA``); JSON and
CSV carry ISO 8601 with the offset (``2026-12-05T14:03:07+08:00``), the same instant any
parser reads without guessing. The zone is the inventory's ``meta.timezone`` (Banjarmasin:
``Asia/Makassar``, WITA, UTC+8); with no inventory at hand, UTC, named as such. The CLI, the
portal and the operator console all format through here.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["human", "machine", "zone_label", "zone_of"]


def zone_of(name: str | None) -> tzinfo:
    """The IANA zone ``name`` (an inventory's ``meta.timezone``, already validated), or UTC."""
    return ZoneInfo(name) if name else UTC


def zone_label(zone: tzinfo, moment: datetime | None = None) -> str:
    """The zone's name at ``moment`` (default now) as people write it: ``WITA``, ``UTC``,
    or ``UTC-03:00`` where the zone has no letters (``America/Sao_Paulo``)."""
    local = (moment or datetime.now(UTC)).astimezone(zone)
    abbr = local.strftime("%Z")
    if abbr and abbr[0].isalpha():
        return abbr
    offset = local.strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:5]}"


def human(moment: datetime | None, zone: tzinfo, *, seconds: bool = False) -> str:
    """``2026-12-05 14:03 WITA`` (with ``:07`` seconds when asked); empty for None.

    A naive ``moment`` is taken as UTC (the store and the clock only give aware ones)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(zone)
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    return f"{shown} {zone_label(zone, moment)}"


def machine(moment: datetime | None, zone: tzinfo = UTC) -> str | None:
    """ISO 8601 to the second with the offset, in ``zone``: ``2026-12-05T14:03:07+08:00``;
    None for None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat(timespec="seconds")
