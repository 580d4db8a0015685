"""Indonesian mobile numbers as citizens type them, and the E.164 form netops keeps."""

from __future__ import annotations

import pytest

from netops.sms.numbers import masked, normalise_mobile, spaced


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("62812.3456.7890", "+6281234567890"),
        ("(0857) 1234 5678", "+6285712345678"),
        ("0895123456", "+62895123456"),  # 10 digits: the shortest national form
        ("0881234567890", "+62881234567890"),  # 13 digits: the longest
        (" 0821 1111 2222 ", "+6282111112222"),
    ],
)
def test_indonesian_mobiles_are_kept_in_e164(typed: str, e164: str) -> None:
    assert normalise_mobile(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0212345678",  # Jakarta landline
        "05113301234",  # Banjarmasin landline
        "081234567",  # 9 digits
        "08123456789012",  # 14 digits
        "0800123456",  # 0800: toll-free, no operator
        "+6581234567",  # Singapore
        "+44 7911 123456",
        "81234567890",  # no 0, no country code
        "0812345678a0",
        "0812３４５６７８９０",  # full-width digits
        "0812 3456 7890" + " " * 40,  # absurdly long input
        "+62+812345678",
    ],
)
def test_anything_else_is_not_a_mobile(typed: str) -> None:
    assert normalise_mobile(typed) is None


def test_shown_forms() -> None:
    assert masked("+6281234567890") == "+62812*****890"
    assert spaced("+6281234567890") == "0812 3456 7890"
