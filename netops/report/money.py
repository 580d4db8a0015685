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


def hours_minutes(hours: float) -> str:
    """A duration the Indonesian way, to the minute: ``9 jam 44 menit``, ``45 menit``,
    ``1.234 jam``. Never a long decimal such as ``9,73333 jam``."""
    minutes = round(hours * 60)
    whole, rest = divmod(minutes, 60)
    if whole == 0:
        return f"{rest} menit"
    text = f"{number(whole, 0)} jam"
    return f"{text} {rest} menit" if rest else text


def duration(seconds: float) -> str:
    """A duration to the second for outage lists: ``2 jam 5 menit 7 detik``, ``42 detik``."""
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{value} {unit}"
        for value, unit in ((days, "hari"), (hours, "jam"), (minutes, "menit"), (secs, "detik"))
        if value
    ]
    return " ".join(parts) or "0 detik"
