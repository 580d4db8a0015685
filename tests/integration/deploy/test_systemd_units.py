"""The shipped systemd units: valid for systemd itself, and files they create stay private.

Real peer: ``systemd-analyze verify`` (Debian's systemd) on the units with only the install
paths pointed at this checkout. Then each unit's settings are read as systemd reads them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
UNITS = REPO / "deploy" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _settings(path: Path) -> dict[str, list[str]]:
    """``Key`` → values in the [Service] section (continuation lines joined)."""
    found: dict[str, list[str]] = {}
    section = ""
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_systemd_analyze_verifies_every_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        raise RuntimeError("systemd-analyze is missing: install the Debian package systemd")
    for unit in UNITS.iterdir():
        text = unit.read_text()
        text = text.replace("/opt/netops/.venv/bin/netops", str(REPO / ".venv/bin/netops"))
        text = text.replace("/opt/netops/deploy/bin/", str(REPO / "deploy/bin") + "/")
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=90,
    )
    ours = [line for line in done.stderr.splitlines() if str(tmp_path) in line or "netops" in line]
    assert done.returncode == 0 and ours == [], done.stderr


@pytest.mark.parametrize("unit", SERVICES, ids=lambda p: p.name)
def test_every_service_creates_files_0640_and_runs_unprivileged(unit: Path) -> None:
    settings = _settings(unit)
    assert settings.get("UMask") == ["0027"], f"{unit.name}: UMask=0027 missing"
    assert settings.get("User") == ["netops"] and settings.get("NoNewPrivileges") == ["yes"]
    if "StateDirectory" in settings:
        assert settings.get("StateDirectoryMode") == ["0750"], unit.name
    assert settings.get("ProtectSystem") == ["strict"], unit.name


def test_logrotate_creates_log_files_0640() -> None:
    text = (REPO / "deploy" / "logrotate" / "netops").read_text()
    creates = re.findall(r"^\s*create (\d+) ", text, re.M)
    assert creates and set(creates) == {"0640"}
