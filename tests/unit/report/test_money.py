"""Rupiah and numbers written the Indonesian way."""

from __future__ import annotations

import pytest

from netops.report.money import number, percent, rupiah


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
