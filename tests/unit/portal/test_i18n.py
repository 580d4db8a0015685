"""The citizens' catalogue: complete in both languages, same placeholders."""

from __future__ import annotations

import string

import pytest

from netops.portal.i18n import (
    CATALOGUE,
    format_bytes,
    format_duration,
    gateway_error,
    param_error,
    pick_language,
    text,
)
from netops.radius.messages import MESSAGES


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_exists_in_indonesian_and_english_with_the_same_placeholders(
    key: str,
) -> None:
    entry = CATALOGUE[key]
    assert entry["id"].strip() and entry["en"].strip()
    assert _fields(entry["id"]) == _fields(entry["en"])


def test_indonesian_is_the_default_and_english_is_chosen_explicitly() -> None:
    assert pick_language(None, "en-US,en;q=0.9", "id") == "id"
    assert pick_language("en", None, "id") == "en"
    assert pick_language("fr", None, "id") == "id"


def test_text_fills_placeholders() -> None:
    assert text("id", "error.rate_limited", minutes=5) == (
        "Terlalu banyak percobaan. Coba lagi dalam 5 menit."
    )


def test_durations_read_naturally() -> None:
    assert format_duration("id", 5400) == "1 jam 30 menit"
    assert format_duration("en", 5400) == "1 h 30 min"
    assert format_duration("id", 59) == "0 menit"
    assert format_duration("id", -10) == "0 menit"


def test_sizes_use_decimal_units_and_the_indonesian_decimal_comma() -> None:
    assert format_bytes("id", 1_000_000_000) == "1,0 GB"
    assert format_bytes("en", 1_500_000) == "1.5 MB"
    assert format_bytes("en", 900_000_000) == "900 MB"
    assert format_bytes("en", 512) == "512 B"


def test_a_malformed_parameter_is_one_sentence_in_the_pages_language() -> None:
    assert param_error("id", "mac") == (
        "Titik WiFi mengirim alamat perangkat (MAC) yang tidak valid. Sambungkan ulang ke WiFi, "
        "lalu buka situs web apa saja."
    )
    assert param_error("en", "chap-id").startswith("The hotspot sent an invalid sign-in security")
    assert "parameter “foo”" in param_error("id", "foo")


@pytest.mark.parametrize("reason", sorted(MESSAGES))
def test_every_radius_reply_message_is_given_in_either_language(reason: str) -> None:
    texts = MESSAGES[reason]  # type: ignore[index]
    for lang in ("id", "en"):
        for sent in texts.values():
            assert gateway_error(lang, sent).endswith(texts[lang])  # type: ignore[arg-type]


def test_unknown_or_empty_gateway_reasons_give_the_generic_sentence() -> None:
    assert gateway_error("id", "some vendor text") == "Login gagal. Silakan coba lagi."
    assert gateway_error("en", "") == "Sign-in failed. Please try again."
