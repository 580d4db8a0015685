"""What the server remembers between requests for speed never changes an answer: a password
changed by another server (or the admin CLI) is used at once, the daily counters restart at
the city's midnight, and the fast paths read attributes as the general ones do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrad import packet as rp

from netops.inventory import load_inventory
from netops.radius.dictionary import load_dictionary
from netops.radius.handler import AuthInput, Handler, nas_table
from netops.radius.protocol import (
    CALLING_STATION_ID,
    USER_NAME,
    chap_of,
    normalise_mac,
    raw_text,
    text,
)
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

SECRET = b"testing123"


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_a_password_changed_elsewhere_is_used_at_once(
    inventory_dir: Path, sqlite_url: str, open_store: Callable[[str], Store]
) -> None:
    inventory = load_inventory(inventory_dir)
    admin = open_store(sqlite_url)  # the admin CLI, or the other RADIUS server
    server = open_store(sqlite_url)
    admin.add_user("dewi", "lama-123", "pegawai")
    nas = next(iter(nas_table(inventory).values()))
    handler = Handler(inventory, server)

    def accepted(password: str) -> bool:
        request = AuthInput(username="dewi", password=password, mac="02:00:00:00:00:09")
        return handler.authenticate(nas, request, NOW).decision.accept

    assert accepted("lama-123")
    assert accepted("lama-123")  # answered with the password decrypted the first time
    assert admin.set_password("dewi", "baru-456")
    assert not accepted("lama-123")
    assert accepted("baru-456")
    # CHAP needs the clear password: it must be the new one too.
    sub = server.lookup("dewi")
    assert sub is not None and sub.clear_password == "baru-456"


def test_daily_counters_restart_at_the_city_midnight_while_the_day_is_remembered(
    inventory_dir: Path, sqlite_url: str, open_store: Callable[[str], Store]
) -> None:
    inventory = load_inventory(inventory_dir)
    handler = Handler(inventory, open_store(sqlite_url))
    # The lab city is WITA (UTC+8): midnight is 16:00 UTC.
    before = datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC)
    assert handler.day_start(before) == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert handler.day_start(before - timedelta(hours=20)) == datetime(
        2026, 11, 21, 16, 0, tzinfo=UTC
    )
    assert handler.day_start(before + timedelta(seconds=1)) == datetime(
        2026, 11, 22, 16, 0, tzinfo=UTC
    )
    # Going back (a clock step, a test clock) is answered right as well.
    assert handler.day_start(before) == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert handler.day_start(datetime(2026, 11, 19, 1, 0, tzinfo=UTC)) == datetime(
        2026, 11, 18, 16, 0, tzinfo=UTC
    )


def _request(user: bytes, station: bytes | None) -> rp.AuthPacket:
    pkt = rp.AuthPacket(code=1, id=1, secret=SECRET, dict=load_dictionary())
    pkt[USER_NAME] = [user]
    if station is not None:
        pkt[CALLING_STATION_ID] = [station]
    wire = pkt.RequestPacket()
    return rp.AuthPacket(packet=wire, secret=SECRET, dict=load_dictionary())


@given(
    user=st.binary(min_size=1, max_size=64),
    station=st.one_of(st.none(), st.binary(min_size=1, max_size=32)),
)
def test_user_name_and_station_are_read_as_the_general_path_reads_them(
    user: bytes, station: bytes | None
) -> None:
    pkt = _request(user, station)
    assert raw_text(pkt, USER_NAME) == text(pkt, "User-Name")
    assert raw_text(pkt, CALLING_STATION_ID) == text(pkt, "Calling-Station-Id")
    assert chap_of(pkt) is None


def _general_mac(raw: str) -> str | None:
    """The normalisation without the fast path for the common forms."""
    digits = "".join(c for c in raw.lower() if c in "0123456789abcdef")
    stripped = "".join(c for c in raw.lower() if c not in ":-. ")
    if len(digits) != 12 or digits != stripped:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@given(
    octets=st.binary(min_size=6, max_size=6),
    sep=st.sampled_from([":", "-"]),
    upper=st.booleans(),
    noise=st.text(alphabet="0123456789abcdefABCDEF:-. gG\n", max_size=20),
)
def test_mac_fast_path_agrees_with_the_general_normalisation(
    octets: bytes, sep: str, upper: bool, noise: str
) -> None:
    form = sep.join(f"{b:02x}" for b in octets)
    form = form.upper() if upper else form
    assert normalise_mac(form) == octets.hex(":")
    assert normalise_mac(noise) == (_general_mac(noise) if noise else None)


def test_serving_moves_what_startup_loaded_out_of_the_collectors_sight() -> None:
    import asyncio
    import gc

    from netops.radius.service import _run_server

    class Started:
        frozen = -1

        async def start(self) -> None:
            self.dictionary = load_dictionary()

        def close(self) -> None:
            pass

    server = Started()
    stop = asyncio.Event()

    def on_started() -> None:
        server.frozen = gc.get_freeze_count()
        stop.set()

    gc.unfreeze()
    try:
        asyncio.run(_run_server(server, on_started, stop))
    finally:
        gc.unfreeze()
    assert server.frozen > 1000  # the dictionary alone is thousands of objects
