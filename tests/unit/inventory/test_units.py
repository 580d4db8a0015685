import pytest

from netops.inventory.units import (
    format_duration,
    format_rate,
    parse_duration,
    parse_rate,
    parse_size,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d12h", 129600), ("45", 45), (60, 60)],
)
def test_durations_parse_to_seconds(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["2 hours", "h2", "", "1x", "-5"])
def test_bad_duration_is_rejected_with_an_example(bad: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "octets"),
    [("500MB", 500_000_000), ("1GB", 10**9), ("2GiB", 2 * 2**30), ("1.5G", 1_500_000_000)],
)
def test_sizes_parse_decimal_and_binary(text: str, octets: int) -> None:
    assert parse_size(text) == octets


@pytest.mark.parametrize(("text", "bps"), [("512k", 512_000), ("5M", 5_000_000), ("1G", 10**9)])
def test_rates_parse_to_bits_per_second(text: str, bps: int) -> None:
    assert parse_rate(text) == bps


def test_rates_and_durations_format_back_compactly() -> None:
    assert format_rate(5_000_000) == "5M"
    assert format_rate(512_000) == "512k"
    assert format_rate(1_500_000) == "1500k"
    assert format_duration(7200) == "2h"
    assert format_duration(93784) == "1d2h3m4s"
    assert format_duration(0) == "0s"
