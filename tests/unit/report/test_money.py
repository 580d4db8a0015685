"""Rupiah and numbers written the Indonesian way."""

from __future__ import annotations

import pytest

from netops.report.money import duration, hours_minutes, number, percent, rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (45_000_000, "Rp 45.000.000"),
        (3_600_000, "Rp 3.600.000"),
        (999, "Rp 999"),
        (0, "Rp 0"),
        (236_842.4, "Rp 236.842"),
        (-2_250_000, "-Rp 2.250.000"),
    ],
)
def test_rupiah_uses_dots_between_thousands(amount: float, text: str) -> None:
    assert rupiah(amount) == text


def test_decimals_use_a_comma() -> None:
    assert number(1234.5) == "1.234,5"
    assert number(39.96, 0) == "40"
    assert percent(0.405, 1) == "40,5%"
    assert percent(0.7) == "70%"


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (9.733333, "9 jam 44 menit"),
        (0.75, "45 menit"),
        (3.0, "3 jam"),
        (1234.0 + 5 / 60, "1.234 jam 5 menit"),
        (0.0, "0 menit"),
        (1.9999, "2 jam"),
    ],
)
def test_hours_are_written_as_jam_and_menit(hours: float, text: str) -> None:
    assert hours_minutes(hours) == text


def test_outage_durations_are_exact_to_the_second() -> None:
    assert duration(7507) == "2 jam 5 menit 7 detik"
    assert duration(42) == "42 detik"
    assert duration(90061) == "1 hari 1 jam 1 menit 1 detik"
