"""Reply-Message texts."""

from __future__ import annotations

from typing import get_args

from netops.radius.messages import MESSAGES, RejectReason, reject_message


def test_every_reason_has_indonesian_and_english() -> None:
    for reason in get_args(RejectReason):
        assert set(MESSAGES[reason]) == {"id", "en"}
        assert reject_message(reason, "id") != reject_message(reason, "en")


def test_indonesian_is_the_default_for_unknown_languages() -> None:
    assert reject_message("credentials", "fr") == reject_message("credentials", "id")
    assert reject_message("credentials", "id") == "Nama pengguna atau kata sandi salah."
