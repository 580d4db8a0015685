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
from collections.abc import Iterator
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
