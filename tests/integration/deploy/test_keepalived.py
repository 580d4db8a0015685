"""The shipped keepalived configuration: valid for keepalived, no shared cleartext password.

Real peer: Debian's keepalived in ``--config-test`` mode inside a network namespace the test
creates with the interface the file names (``ens18``), for radius-1's file as shipped and for
radius-2's as docs/deploy.md says to derive it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "deploy" / "keepalived" / "keepalived.conf"

pytestmark = [pytest.mark.integration, pytest.mark.root, pytest.mark.timeout(60)]


def radius_2(text: str) -> str:
    """radius-2's file, as the shipped file's header says to make it."""
    swaps = [
        ("unicast_src_ip 10.40.0.10", "unicast_src_ip 10.40.0.11"),
        ("unicast_peer {\n        10.40.0.11", "unicast_peer {\n        10.40.0.10"),
        ("router_id netops-radius-1", "router_id netops-radius-2"),
        ("priority 150", "priority 100"),
    ]
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def netns() -> Iterator[str]:
    if os.geteuid() != 0:
        raise RuntimeError("this test needs root (network namespaces)")
    if shutil.which("keepalived") is None:
        raise RuntimeError("keepalived is missing: install the Debian package keepalived")
    name = f"nxka{os.getpid() % 100000}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for cmd in (
            ["ip", "-n", name, "link", "add", "ens18", "type", "veth", "peer", "name", "peer0"],
            ["ip", "-n", name, "addr", "add", "10.40.0.10/24", "dev", "ens18"],
            ["ip", "-n", name, "link", "set", "ens18", "up"],
        ):
            subprocess.run(cmd, check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _config_test(netns: str, conf: Path, log: Path) -> None:
    done = subprocess.run(
        ["ip", "netns", "exec", netns, "keepalived", f"--config-test={log}", "-f", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    # keepalived 2.2 ends a config test that has track scripts by signalling itself (SIGTERM);
    # what matters is that it wrote no complaint.
    assert done.returncode in (0, 143, -15), done
    assert not log.exists() or log.read_text().strip() == "", log.read_text()


def test_both_hosts_files_pass_keepalived_config_test(netns: str, tmp_path: Path) -> None:
    text = SHIPPED.read_text()
    one, two = tmp_path / "radius-1.conf", tmp_path / "radius-2.conf"
    one.write_text(text)
    two.write_text(radius_2(text))
    _config_test(netns, one, tmp_path / "radius-1.log")
    _config_test(netns, two, tmp_path / "radius-2.log")


def test_no_shared_cleartext_password_and_unicast_to_the_peer_only() -> None:
    body = "\n".join(
        line.split("#", 1)[0] for line in SHIPPED.read_text().splitlines()
    )  # settings only, not the comments that explain them
    assert "authentication" not in body and "auth_pass" not in body and "auth_type" not in body
    assert "CHANGEME" not in body.upper().replace("-", "")
    assert re.search(r"unicast_src_ip 10\.40\.0\.10\b", body)
    assert re.search(r"unicast_peer \{\s*10\.40\.0\.11\s*\}", body)
    assert "check_unicast_src" in body and "enable_script_security" in body


# --- the address moves with the portal's health, and only the named peer can take it ------


class Pair:
    """Two hosts' namespaces joined by a veth pair named ``ens18`` on both sides."""

    def __init__(self, tag: str, work: Path) -> None:
        self.ns = (f"{tag}-1", f"{tag}-2")
        self.work = work
        self.procs: list[subprocess.Popen[bytes]] = []
        (work / "healthz").write_text("ok\n")

    def up(self, addresses: tuple[str, str]) -> None:
        one, two = self.ns
        for ns in self.ns:
            subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(
            [
                "ip",
                "link",
                "add",
                "ens18",
                "netns",
                one,
                "type",
                "veth",
                "peer",
                "name",
                "ens18",
                "netns",
                two,
            ],
            check=True,
        )
        for ns, address in zip(self.ns, addresses, strict=True):
            subprocess.run(
                ["ip", "-n", ns, "addr", "add", f"{address}/24", "dev", "ens18"], check=True
            )
            subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
            subprocess.run(["ip", "-n", ns, "link", "set", "ens18", "up"], check=True)

    def portal(self, index: int) -> subprocess.Popen[bytes]:
        """A stand-in portal answering /healthz on 127.0.0.1:8080 inside host ``index``."""
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.ns[index],
                sys.executable,
                "-m",
                "http.server",
                "8080",
                "--bind",
                "127.0.0.1",
                "--directory",
                str(self.work),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def keepalived(self, index: int, conf: str) -> None:
        path = self.work / f"keepalived-{index}.conf"
        path.write_text(conf)
        log = (self.work / f"keepalived-{index}.log").open("wb")
        self.procs.append(
            subprocess.Popen(
                [
                    "keepalived",
                    "-n",
                    "-l",
                    "-D",
                    "--vrrp",
                    f"--namespace={self.ns[index]}",
                    "-f",
                    str(path),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )

    def has_vip(self, index: int) -> bool:
        shown = subprocess.run(
            ["ip", "-n", self.ns[index], "-br", "addr", "show", "ens18"],
            capture_output=True,
            text=True,
            check=True,
        )
        return "10.40.0.12/24" in shown.stdout

    def down(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        for ns in self.ns:
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def _until(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    if os.geteuid() != 0:
        raise RuntimeError("this test needs root (network namespaces)")
    made = Pair(f"nxkf{os.getpid() % 10000}", tmp_path)
    try:
        yield made
    finally:
        made.down()


@pytest.mark.timeout(90)
def test_the_address_follows_a_healthy_portal(pair: Pair) -> None:
    text = SHIPPED.read_text()
    pair.up(("10.40.0.10", "10.40.0.11"))
    first = pair.portal(0)
    pair.portal(1)
    pair.keepalived(0, text)
    pair.keepalived(1, radius_2(text))
    _until(lambda: pair.has_vip(0) and not pair.has_vip(1), "the address on radius-1")
    first.terminate()  # radius-1's portal stops answering /healthz
    _until(lambda: pair.has_vip(1) and not pair.has_vip(0), "the address on radius-2")


@pytest.mark.timeout(90)
def test_a_host_that_is_not_the_named_peer_cannot_take_the_address(pair: Pair) -> None:
    text = SHIPPED.read_text()
    # A stranger on the segment, with a higher priority, speaking to radius-1.
    pair.up(("10.40.0.10", "10.40.0.99"))
    pair.portal(0)
    pair.portal(1)
    pair.keepalived(0, text)
    _until(lambda: pair.has_vip(0), "the address on radius-1")
    stranger = radius_2(text).replace("unicast_src_ip 10.40.0.11", "unicast_src_ip 10.40.0.99")
    pair.keepalived(1, stranger.replace("priority 100", "priority 254"))
    time.sleep(6)  # several advertisement intervals
    assert pair.has_vip(0)
    log = (pair.work / "keepalived-0.log").read_text()
    assert "Entering BACKUP STATE" not in log.split("Entering MASTER STATE", 1)[-1]
