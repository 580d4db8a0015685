"""Root options (``netops -i DIR --db URL command``) reach the command through the typer
context: the command's own option wins, then the root's, then the environment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.inventory import load_inventory
from netops.store.credentials import generate_key
from tests.paths import BANJARMASIN, LAB


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(BANJARMASIN, tmp_path / "city")
    shutil.copytree(LAB, tmp_path / "lab")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETOPS_INVENTORY", raising=False)
    monkeypatch.delenv("NETOPS_DB", raising=False)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def _validated(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.strip()


def test_root_inventory_wins_over_the_environment(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = f"ok: {load_inventory(work / 'lab').summary()}"
    city = f"ok: {load_inventory(work / 'city').summary()}"
    assert lab != city
    monkeypatch.setenv("NETOPS_INVENTORY", "city")
    assert _validated(capsys, "inventory", "validate") == city
    assert _validated(capsys, "-i", "lab", "inventory", "validate") == lab
    assert os.environ["NETOPS_INVENTORY"] == "city"


def test_the_commands_own_inventory_wins_over_the_root_one(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city = f"ok: {load_inventory(work / 'city').summary()}"
    assert _validated(capsys, "-i", "lab", "inventory", "validate", "-i", "city") == city


def test_root_db_wins_over_the_environment_and_the_environment_is_left_alone(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_DB", "sqlite:///env.db")
    add = ["radius", "user", "add", "alice", "--password", "s3cret-pass", "--plan", "gratis"]
    assert main(["-i", "lab", "--db", "sqlite:///root.db", *add]) == 0
    assert (work / "root.db").is_file() and not (work / "env.db").exists()
    assert os.environ["NETOPS_DB"] == "sqlite:///env.db"
    assert main(["-i", "lab", "radius", "user", "add", "bob", *add[4:]]) == 0
    assert (work / "env.db").is_file()


def test_no_inventory_anywhere_is_one_clear_sentence(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "validate"]) == 1
    err = capsys.readouterr().err
    assert "no inventory given" in err and "Traceback" not in err
