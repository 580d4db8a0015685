"""Voucher codes, MAC spellings and click-through names."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netops.store import codes


def test_voucher_codes_carry_at_least_40_bits() -> None:
    assert codes.VOUCHER_BITS >= 40


def test_voucher_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(codes.VOUCHER_ALPHABET)
    assert len(set(codes.VOUCHER_ALPHABET)) == len(codes.VOUCHER_ALPHABET)


def test_new_voucher_codes_are_grouped_and_distinct() -> None:
    made = {codes.new_voucher_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in made:
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", code)
        assert codes.looks_like_voucher(code)


def test_voucher_characters_are_spread_over_the_alphabet() -> None:
    seen = "".join(codes.normalise_code(codes.new_voucher_code()) for _ in range(500))
    assert set(seen) == set(codes.VOUCHER_ALPHABET)


@pytest.mark.parametrize("typed", ["k7qx-m3pa-rt", "K7QX M3PA RT", "k7qxm3part", " K7QX-M3PA-RT "])
def test_a_code_is_normalised_however_it_is_typed(typed: str) -> None:
    assert codes.normalise_code(typed) == "K7QXM3PART"
    assert codes.looks_like_voucher(typed)


@pytest.mark.parametrize("text", ["alice", "K7QX-M3PA-R0", "K7QX-M3PA-RTT", ""])
def test_other_names_do_not_look_like_vouchers(text: str) -> None:
    assert not codes.looks_like_voucher(text)


@pytest.mark.parametrize(
    "spelling",
    [
        "AA:BB:CC:DD:EE:0F",
        "aa-bb-cc-dd-ee-0f",
        "aabb.ccdd.ee0f",
        "AABBCCDDEE0F",
        " aa:bb:cc:dd:ee:0f",
    ],
)
def test_mac_spellings_normalise_to_lower_colons(spelling: str) -> None:
    assert codes.normalise_mac(spelling) == "aa:bb:cc:dd:ee:0f"


@pytest.mark.parametrize(
    "text", ["aa:bb:cc:dd:ee", "gg:bb:cc:dd:ee:ff", "alice", "", "aa:bb:cc:dd:ee:ff:00"]
)
def test_non_macs_are_not_normalised(text: str) -> None:
    assert codes.normalise_mac(text) is None


@given(st.binary(min_size=6, max_size=6))
def test_any_mac_round_trips(raw: bytes) -> None:
    mac = ":".join(f"{b:02x}" for b in raw)
    assert codes.normalise_mac(mac.upper().replace(":", "-")) == mac


def test_clickthrough_names_are_per_device_and_day() -> None:
    device = codes.mac_pseudonym("AA-BB-CC-DD-EE-FF", b"k" * 32)
    assert device == codes.mac_pseudonym("aabb.ccdd.eeff", b"k" * 32)
    assert device is not None and device != codes.mac_pseudonym("aa:bb:cc:dd:ee:ff", b"j" * 32)
    name = codes.clickthrough_username(device, date(2026, 11, 22))
    assert name == f"ct-{device[4:]}-20261122" and "aabbccddeeff" not in name
    assert codes.clickthrough_device(name) == device
    with pytest.raises(ValueError, match="MAC pseudonym"):
        codes.clickthrough_username("AA-BB-CC-DD-EE-FF", date(2026, 11, 22))
