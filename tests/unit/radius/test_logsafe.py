"""What the RADIUS server's log may show: escaped text, pseudonyms, rate-limited drop lines."""

from __future__ import annotations

import logging

import pytest

from netops.radius.logsafe import DropLog, printable, pseudonym, subject


def test_control_characters_cannot_start_a_line_or_move_the_cursor() -> None:
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[2J\x00") == "\\x1b[2J\\x00"
    assert printable("line\u2028sep\u200e") == "line\\u2028sep\\u200e"
    assert printable("back\\slash") == "back\\\\slash"
    assert printable("Siti Nurhaliza") == "Siti Nurhaliza"
    assert printable("x" * 100, 10) == "x" * 10 + "…"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("AA-BB-CC-DD-EE-01", "mac"),
        ("aabb.ccdd.ee01", "mac"),
        ("ct-aabbccddee01-20261205", "clickthrough"),
        ("ct-l2rawnkqtkimr-20261205", "clickthrough"),
        ("K7QX-M3PA-RT", "voucher"),
        ("k7qxm3part", "voucher"),
        ("+62 812-3456-7890", "phone"),
        ("0812345678901", "phone"),
    ],
)
def test_names_that_identify_a_device_or_person_become_pseudonyms(name: str, kind: str) -> None:
    shown = subject(name)
    assert shown.startswith(f"{kind}~") and len(shown) == len(kind) + 11
    assert name not in shown


def test_the_same_device_gets_the_same_pseudonym_however_it_is_spelt() -> None:
    assert subject("AA-BB-CC-DD-EE-01") == subject("aa:bb:cc:dd:ee:01")
    assert subject("K7QX-M3PA-RT") == subject("k7qxm3part")
    assert pseudonym("a") != pseudonym("b")


def test_ordinary_user_names_stay_readable() -> None:
    assert subject("alice") == "alice"
    assert subject("pegawai.dinas") == "pegawai.dinas"
    assert subject("evil\nINFO forged") == "evil\\nINFO forged"


def test_drops_are_logged_once_per_source_and_reason_a_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    drops = DropLog(60.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="netops.radius"):
        for _ in range(5):
            drops.dropped("access", "127.0.0.9", "unknown_nas")
        drops.dropped("access", "127.0.0.9", "malformed", "bad Length field 9\n")
        drops.dropped("accounting", "127.0.0.1", "bad_authenticator", nas="lab-hs-01")
        drops.dropped("access", "127.0.0.1", "duplicate")
        drops.flush()  # nothing has ended yet
        lines = [r.getMessage() for r in caplog.records]
        assert lines == [
            "dropped access request from 127.0.0.9: unknown NAS (no inventory device with a "
            "RADIUS profile has this address)",
            "dropped access request from 127.0.0.9: malformed packet: bad Length field 9\\n",
            "dropped accounting request from 127.0.0.1 (lab-hs-01): bad Request Authenticator "
            "(wrong shared secret?)",
        ]
        caplog.clear()
        now[0] += 61
        drops.flush()
        assert [r.getMessage() for r in caplog.records] == [
            "dropped 4 more access request(s) from 127.0.0.9 in the last 1 min: unknown NAS "
            "(no inventory device with a RADIUS profile has this address)"
        ]
        caplog.clear()
        drops.dropped("access", "127.0.0.9", "unknown_nas")
        assert len(caplog.records) == 1 and "more" not in caplog.records[0].getMessage()


def test_held_back_drops_are_counted_in_the_next_line_of_a_new_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    drops = DropLog(60.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="netops.radius"):
        drops.dropped("access", "127.0.0.9", "unknown_nas")
        drops.dropped("access", "127.0.0.9", "unknown_nas")
        now[0] = 70.0
        drops.dropped("access", "127.0.0.9", "unknown_nas")
    assert caplog.records[-1].getMessage().endswith("(1 more like it in the last 1 min not logged)")


def test_spoofed_sources_cannot_grow_the_memory_without_bound() -> None:
    from netops.radius import logsafe

    drops = DropLog(60.0, clock=lambda: 0.0)
    for i in range(logsafe.MAX_KEYS + 500):
        drops.dropped("access", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", "unknown_nas")
    assert len(drops._windows) <= logsafe.MAX_KEYS + 1


def test_only_names_shaped_like_voucher_codes_count_as_vouchers() -> None:
    assert subject("pegawai2024") == "pegawai2024"
    assert subject("k7qx m3pa rt").startswith("voucher~")
