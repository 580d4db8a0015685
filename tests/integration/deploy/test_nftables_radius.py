"""The shipped nftables rules let RADIUS in from the inventory's NAS and from no one else.

Real peers: the kernel's nftables (Debian ``nft``) in a network namespace the test creates,
loading ``deploy/nftables/netops.nft`` (only its include path adapted) and the sets that
``netops radius nftables`` renders from ``inventory/banjarmasin``. A second namespace sends
RADIUS-port datagrams from a NAS address and from another city address in 10.0.0.0/8.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
NETOPS = REPO / ".venv" / "bin" / "netops"
SHIPPED = REPO / "deploy" / "nftables" / "netops.nft"
GENERATED = "/etc/nftables.d/netops-nas.nft"
NAS = "10.10.0.46"  # siring-menara-pandang-hs-01 in inventory/banjarmasin
OTHER = "10.10.0.99"  # inside 10.0.0.0/8, but no NAS
SERVER = "10.40.0.10"

pytestmark = [pytest.mark.integration, pytest.mark.root, pytest.mark.timeout(60)]

LISTEN = """
import json, select, socket, sys, time
socks = []
for port in (1812, 1813):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    socks.append(s)
print("ready", flush=True)
seen = []
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for s in select.select(socks, [], [], 0.1)[0]:
        _, (src, _) = s.recvfrom(4096)
        seen.append([src, s.getsockname()[1]])
print(json.dumps(seen), flush=True)
"""

SEND = """
import socket, sys
for src in sys.argv[2:]:
    for port in (1812, 1813):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        for _ in range(3):
            s.sendto(b"radius?", (sys.argv[1], port))
        s.close()
"""


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0:
        raise RuntimeError("this test needs root (network namespaces)")
    if shutil.which("nft") is None:
        raise RuntimeError("nft is missing: install the Debian package nftables")
    tag = f"nxdep{os.getpid() % 100000}"
    srv, cli = f"{tag}-s", f"{tag}-c"
    try:
        _run("ip", "netns", "add", srv)
        _run("ip", "netns", "add", cli)
        _run(
            "ip",
            "link",
            "add",
            f"{tag}a",
            "netns",
            srv,
            "type",
            "veth",
            "peer",
            "name",
            f"{tag}b",
            "netns",
            cli,
        )
        _run("ip", "-n", srv, "addr", "add", f"{SERVER}/8", "dev", f"{tag}a")
        _run("ip", "-n", cli, "addr", "add", f"{NAS}/8", "dev", f"{tag}b")
        _run("ip", "-n", cli, "addr", "add", f"{OTHER}/8", "dev", f"{tag}b")
        for ns, dev in ((srv, f"{tag}a"), (cli, f"{tag}b")):
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            _run("ip", "-n", ns, "link", "set", dev, "up")
        yield srv, cli
    finally:
        for ns in (srv, cli):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def test_radius_is_accepted_from_the_inventorys_nas_only(
    namespaces: tuple[str, str], tmp_path: Path
) -> None:
    srv, cli = namespaces
    sets = tmp_path / "netops-nas.nft"
    subprocess.run(
        [
            str(NETOPS),
            "-i",
            str(REPO / "inventory" / "banjarmasin"),
            "radius",
            "nftables",
            "-o",
            str(sets),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    shipped = SHIPPED.read_text()
    assert f'include "{GENERATED}"' in shipped
    rules = tmp_path / "netops.nft"
    rules.write_text(shipped.replace(GENERATED, str(sets)))
    _run("ip", "netns", "exec", srv, "nft", "-c", "-f", str(rules))
    _run("ip", "netns", "exec", srv, "nft", "-f", str(rules))
    # Loading it again replaces the table (a reload after an inventory change).
    _run("ip", "netns", "exec", srv, "nft", "-f", str(rules))

    listener = subprocess.Popen(
        ["ip", "netns", "exec", srv, sys.executable, "-c", LISTEN, "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert listener.stdout is not None
        assert listener.stdout.readline().strip() == "ready"
        _run("ip", "netns", "exec", cli, sys.executable, "-c", SEND, SERVER, NAS, OTHER)
        seen = json.loads(listener.stdout.readline())
    finally:
        listener.wait(timeout=10)
    assert {(src, port) for src, port in seen} == {(NAS, 1812), (NAS, 1813)}
    assert len(seen) == 6
