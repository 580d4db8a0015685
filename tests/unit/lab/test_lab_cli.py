"""`netops lab` refusing what it must not do, with one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.cli.main import main
from tests.paths import BANJARMASIN, LAB


def test_lab_up_refuses_a_city_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "up", "-i", str(BANJARMASIN), "--lab-dir", str(tmp_path)]) == 1
    assert "is not a lab (meta.lab is not true)" in capsys.readouterr().err


def test_lab_login_without_a_running_lab_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "login", "-i", str(LAB), "--lab-dir", str(tmp_path)]) == 1
    assert "start the lab first with `netops lab up`" in capsys.readouterr().err


def test_lab_status_when_nothing_runs_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "status", "--lab-dir", str(tmp_path)]) == 3
    assert "not running" in capsys.readouterr().out
