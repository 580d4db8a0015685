"""RouterOS value normalisation: the spellings a device shows back compare equal."""

from __future__ import annotations

import pytest

from netops.provision.routeros.normalize import duration_ms, normalize, rate_bps


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("25M", "25000000", "rate"),
        ("512k", "512000", "rate"),
        ("1G", "1000M", "rate"),
        ("1d", "24h", "duration"),
        ("1d", "1d00:00:00", "duration"),
        ("5m", "00:05:00", "duration"),
        ("300ms", "00:00:00.300", "duration"),
        ("1w2d", "9d", "duration"),
        ("90", "1m30s", "duration"),
        ("yes", "true", "bool"),
        ("no", "false", "bool"),
        ("2M/5M", "2000000/5000000", "rate-limit"),
        (
            "2M/5M 4M/10M 1M/2M 10s/10s 8 512k/1M",
            "2000k/5M 4M/10M 1M/2M 10/10s 08 512k/1000k",
            "rate-limit",
        ),
        ("aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "mac"),
        ("http-chap,http-pap", "http-pap, http-chap", "set"),
        ("10.0.0.1, 10.0.0.2", "10.0.0.1,10.0.0.2", "list"),
        ("10.40.0.10/32", "10.40.0.10", "prefix"),
        ("0042", "42", "int"),
    ],
)
def test_equivalent_spellings_compare_equal(a: str, b: str, kind: str) -> None:
    assert normalize(a, kind) == normalize(b, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("2M/5M", "5M/2M", "rate-limit"),
        ("10.0.0.1,10.0.0.2", "10.0.0.2,10.0.0.1", "list"),
        ("1d", "1h", "duration"),
        ("yes", "no", "bool"),
        ("10.40.0.0/24", "10.40.0.0", "prefix"),
        ("HotSpot", "hotspot", "text"),
    ],
)
def test_different_values_stay_different(a: str, b: str, kind: str) -> None:
    assert normalize(a, kind) != normalize(b, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["25M", "1d00:00:00", "yes", "2M/5M", "aa:bb:cc:dd:ee:ff", "a, b", "none", "x/y"]
)
@pytest.mark.parametrize(
    "kind",
    ["text", "bool", "duration", "rate", "rate-limit", "int", "mac", "list", "set", "prefix"],
)
def test_normalisation_is_idempotent(value: str, kind: str) -> None:
    once = normalize(value, kind)  # type: ignore[arg-type]
    assert normalize(once, kind) == once  # type: ignore[arg-type]


def test_unparsable_values_are_compared_as_written() -> None:
    assert normalize("received", "duration") == "received"
    assert normalize("unlimited", "rate") == "unlimited"
    assert duration_ms("soon") is None
    assert rate_bps("2.5k") == 2500
    assert rate_bps("0.0001k") is None
    assert normalize("none", "duration") == "none"
