"""netops.timefmt: one clock for people (city time, zone named), ISO 8601 for machines."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from netops.timefmt import human, machine, zone_label, zone_of

WITA = ZoneInfo("Asia/Makassar")
T = datetime(2026, 12, 5, 6, 3, 7, 123456, tzinfo=UTC)


def test_people_read_the_city_clock_with_the_zone_named() -> None:
    assert human(T, WITA) == "2026-12-05 14:03 WITA"
    assert human(T, WITA, seconds=True) == "2026-12-05 14:03:07 WITA"
    assert human(datetime(2026, 12, 5, 17, 0, tzinfo=UTC), WITA) == "2026-12-06 01:00 WITA"
    assert human(None, WITA) == ""


def test_without_an_inventory_the_clock_is_utc_and_says_so() -> None:
    assert zone_of(None) is UTC
    assert human(T, zone_of(None)) == "2026-12-05 06:03 UTC"


def test_machines_get_iso_8601_with_the_offset() -> None:
    assert machine(T, WITA) == "2026-12-05T14:03:07+08:00"
    assert machine(T) == "2026-12-05T06:03:07+00:00"
    assert datetime.fromisoformat(machine(T, WITA) or "") == T.replace(microsecond=0)
    assert machine(None) is None


def test_zones_without_letters_are_named_by_their_offset() -> None:
    assert zone_label(ZoneInfo("America/Sao_Paulo"), T) == "UTC-03:00"
    assert zone_label(ZoneInfo("Asia/Jayapura"), T) == "WIT"
    assert zone_label(zone_of("Asia/Jakarta"), T) == "WIB"


def test_a_naive_time_is_taken_as_utc() -> None:
    assert human(T.replace(tzinfo=None), WITA) == "2026-12-05 14:03 WITA"
