"""What ``netops radius serve`` logs about packets it drops or rejects, read from its log:
the source and the reason, rate-limited, with nothing an attacker wrote able to forge a line."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from radius_peers import SECRET, RadiusProcess, ServerFactory, pap, radclient

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

EVERY = 8.0  # --log-drops-every for these tests: longer than four radclient runs


@pytest.fixture(scope="module")
def server(
    module_inventory: Path, module_sqlite_url: str, module_server_factory: ServerFactory
) -> RadiusProcess:
    return module_server_factory(
        module_inventory,
        module_sqlite_url,
        "--reject-delay",
        "0",
        "--log-drops-every",
        str(EVERY),
    )


def lines_after(server: RadiusProcess, mark: int, pattern: str, wait: float = 3.0) -> list[str]:
    """Log lines past offset ``mark`` matching ``pattern``, waiting up to ``wait`` s for one."""
    deadline = time.monotonic() + wait
    while True:
        found = [line for line in server.stderr()[mark:].splitlines() if re.search(pattern, line)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def acct_start() -> list[tuple[str, str]]:
    return [
        ("User-Name", '"someone"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", f'"{uuid.uuid4().hex[:8]}"'),
    ]


def test_a_wrong_secret_is_logged_with_the_nas_and_without_any_secret(
    server: RadiusProcess,
) -> None:
    mark = len(server.stderr())
    wrong = "not-the-secret-42"
    assert radclient(server.acct_port, "acct", acct_start(), secret=wrong, timeout=1).code is None
    attrs = pap("alice", "hunter2", mac='"02-00-00-00-00-77"')
    assert radclient(server.auth_port, "auth", attrs, secret=wrong, timeout=1).code is None
    (acct,) = lines_after(server, mark, "dropped accounting request")
    assert "from 127.0.0.1 (lab-hs-01): bad Request Authenticator (wrong shared secret?)" in acct
    (auth,) = lines_after(server, mark, "dropped access request")
    assert "from 127.0.0.1 (lab-hs-01): bad Message-Authenticator (wrong shared secret?)" in auth
    log = server.stderr()[mark:]
    for secret in (wrong, SECRET, "hunter2", "02-00-00-00-00-77", "02:00:00:00:00:77"):
        assert secret not in log


def test_an_unknown_nas_is_named_once_a_window_with_a_count_of_the_rest(
    server: RadiusProcess,
) -> None:
    mark = len(server.stderr())
    for _ in range(4):
        reply = radclient(
            server.auth_port, "auth", pap("x", "y"), source="127.0.0.9", timeout=0.5, retries=1
        )
        assert reply.code is None
    first = lines_after(server, mark, "dropped access request from 127.0.0.9")
    assert first == [first[0]] and first[0].endswith(
        "dropped access request from 127.0.0.9: unknown NAS (no inventory device with a "
        "RADIUS profile has this address)"
    )
    held = lines_after(server, mark, r"dropped \d+ more", wait=EVERY + 3)
    assert len(held) == 1 and held[0].endswith(
        f"dropped 3 more access request(s) from 127.0.0.9 in the last {EVERY:g} s: unknown "
        "NAS (no inventory device with a RADIUS profile has this address)"
    )


def test_a_missing_message_authenticator_is_logged_for_the_strict_nas(
    server: RadiusProcess,
) -> None:
    from radius_peers import STRICT_SECRET

    mark = len(server.stderr())
    attrs = pap("alice", "pw", ma=False)
    reply = radclient(
        server.auth_port, "auth", attrs, secret=STRICT_SECRET, source="127.0.0.3", timeout=1
    )
    assert reply.code is None
    (line,) = lines_after(server, mark, "127.0.0.3")
    assert line.endswith(
        "dropped access request from 127.0.0.3 (lab-hs-03): missing Message-Authenticator, "
        "which this NAS must send"
    )


def test_a_user_name_cannot_forge_a_log_line_and_names_that_identify_are_pseudonyms(
    server: RadiusProcess, open_store: Callable[[str], Store]
) -> None:
    mark = len(server.stderr())
    forged = "evil\\nERROR netops.radius: store unavailable"
    reply = radclient(server.auth_port, "auth", pap(forged, "pw"))
    assert reply.code == "Access-Reject"
    for name in ("AA-BB-CC-DD-EE-01", "K7QX-M3PA-RT", "+62 812 3456 7890"):
        assert radclient(server.auth_port, "auth", pap(name, "pw")).code == "Access-Reject"
    rejects = lines_after(server, mark, "reject ")
    assert len(rejects) == 4, server.stderr()[mark:]
    log = server.stderr()[mark:]
    assert not any(line.startswith("ERROR") for line in log.splitlines())
    assert "reject evil\\nERROR netops.radius: store unavailable from lab-hs-01" in log
    for secret in ("AA-BB-CC-DD-EE-01", "aa:bb:cc:dd:ee:01", "K7QX", "3456"):
        assert secret not in log
    assert re.search(r"reject mac~[0-9a-f]{10} from lab-hs-01", log)
    assert re.search(r"reject voucher~[0-9a-f]{10} from lab-hs-01", log)
    assert re.search(r"reject phone~[0-9a-f]{10} from lab-hs-01", log)


def test_a_malformed_packet_is_logged_with_what_is_wrong(server: RadiusProcess) -> None:
    import socket

    mark = len(server.stderr())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.2", 0))  # lab-hs-02
        sock.sendto(b"\x01\x07\x00", ("127.0.0.1", server.auth_port))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.3", 0))  # lab-hs-03
        # a header whose Length field claims more than was sent
        sock.sendto(b"\x04\x08\x01\x00" + bytes(16), ("127.0.0.1", server.acct_port))
    short = lines_after(server, mark, "dropped access request from 127.0.0.2")
    assert short and short[0].endswith(
        "from 127.0.0.2 (lab-hs-02): malformed packet: shorter than a RADIUS header"
    )
    length = lines_after(server, mark, "dropped accounting request from 127.0.0.3")
    assert length and length[0].endswith(
        "from 127.0.0.3 (lab-hs-03): malformed packet: bad Length field 256"
    )
