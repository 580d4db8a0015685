"""The dictionaries under radius/ load in pyrad with every vendor the city needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import RadiusError
from netops.radius.dictionary import load_dictionary


def test_vendor_attributes_have_their_vendor_numbers() -> None:
    d = load_dictionary()
    assert d.vendors["Mikrotik"] == 14988
    assert d.vendors["WISPr"] == 14122
    assert d.vendors["ChilliSpot"] == 14559
    assert d.attributes["Mikrotik-Rate-Limit"].code == 8
    assert d.attributes["Mikrotik-Total-Limit-Gigawords"].code == 18
    assert d.attributes["WISPr-Bandwidth-Max-Down"].code == 8
    assert d.attributes["ChilliSpot-Max-Total-Octets"].code == 3


@pytest.mark.parametrize(
    "name",
    [
        "User-Name",
        "CHAP-Challenge",
        "Acct-Status-Type",
        "Acct-Input-Gigawords",
        "Event-Timestamp",
        "Message-Authenticator",
        "Acct-Interim-Interval",
        "Error-Cause",
        "NAS-IPv6-Address",
    ],
)
def test_standard_attributes_are_defined(name: str) -> None:
    assert name in load_dictionary().attributes


def test_a_missing_dictionary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RadiusError, match="does not exist"):
        load_dictionary(tmp_path / "dictionary")


def test_a_broken_dictionary_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "dictionary"
    broken.write_text("ATTRIBUTE Foo 1 notatype\n")
    with pytest.raises(RadiusError, match="cannot be read"):
        load_dictionary(broken)
