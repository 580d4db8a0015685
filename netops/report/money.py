"""Rupiah and other numbers written the Indonesian way: ``Rp 45.000.000``, ``12,5``."""

from __future__ import annotations


def rupiah(amount: float) -> str:
    """Whole rupiah with dots between thousands: ``Rp 45.000.000``, ``-Rp 2.250.000``."""
    value = round(amount)
    text = f"{abs(value):,}".replace(",", ".")
    return f"-Rp {text}" if value < 0 else f"Rp {text}"


def number(value: float, decimals: int = 1) -> str:
    """A decimal number with a comma and dotted thousands: ``1.234,5``."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent(ratio: float, decimals: int = 0) -> str:
    """A ratio as an Indonesian percentage: ``0.405`` → ``40,5%`` (with ``decimals=1``)."""
    return f"{number(ratio * 100, decimals)}%"
