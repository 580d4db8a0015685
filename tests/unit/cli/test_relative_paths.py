"""Relative paths on the command line mean "from the folder I am in", in every command.

The CLI resolves them once, as it parses: a file or folder option, the inventory and an
SQLite database URL reach the subsystems (and the daemons and services they start) as
absolute paths. These tests run from a folder that is not the repository.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from netops.cli.common import absolute, absolute_db_url
from netops.cli.main import app, main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import BANJARMASIN, LAB

# Options a path-taking command must have; the walk below has to find each of them.
KNOWN = {
    ("netops", "--inventory"), ("netops", "--db"),
    ("netops inventory graph", "--out"),
    ("netops config render", "--out"), ("netops config push", "--backup-dir"),
    ("netops config push", "--session-log"), ("netops config backup", "--out"),
    ("netops config check", "--session-log"), ("netops config diff", "--session-log"),
    ("netops radius user import", "file"), ("netops exporter serve", "--modules"),
    ("netops prometheus targets", "--out-dir"), ("netops prometheus config", "--out"),
    ("netops prometheus config", "--targets-dir"), ("netops prometheus config", "--rules-file"),
    ("netops prometheus rules", "--out"), ("netops report capacity", "--out"),
    ("netops report hotspots", "--out"), ("netops report hotspots", "--db"),
    ("netops up", "--state-dir"), ("netops up", "--db"), ("netops lab up", "--lab-dir"),
    ("netops lab down", "--lab-dir"), ("netops lab login", "--lab-dir"),
    ("netops lab status", "--lab-dir"), ("netops voucher create", "--db"),
    ("netops portal serve", "--db"), ("netops radius serve", "--inventory"),
}  # fmt: skip


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder outside the repository, with a copy of both inventories in it."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(BANJARMASIN, work / "city")
    shutil.copytree(LAB, work / "lab")
    monkeypatch.chdir(work)
    for name in ("NETOPS_INVENTORY", "NETOPS_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    monkeypatch.setenv("COLUMNS", "200")
    return work


def _annotation(param: Any) -> str:
    """The declared type of a typer parameter ('' when it cannot be told)."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None:
        return str(descriptor.annotation)
    return type(getattr(param, "type", None)).__name__  # typer on click: click.Path


def _parameters(command: Any, path: str, parent: Any = None) -> list[tuple[str, Any, Any]]:
    """``(command path, parameter, context)`` for every parameter of the whole command tree."""
    ctx = typer.Context(command, parent=parent, info_name=path.rsplit(" ", 1)[-1])
    found = [(path, p, ctx) for p in command.params]
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            found += _parameters(command.get_command(ctx, name), f"{path} {name}", ctx)
    return found


def test_every_path_option_is_made_absolute_against_the_current_folder(elsewhere: Path) -> None:
    seen: set[tuple[str, str]] = set()
    relative: list[str] = []
    for path, param, ctx in _parameters(typer.main.get_command(app), "netops"):
        kind, name = _annotation(param), param.opts[0]
        if "Path" in kind:
            given: Any = ["rel/x"] if "list" in kind else "rel/x"
            want: Any = [elsewhere / "rel/x"] if "list" in kind else elsewhere / "rel/x"
        elif param.name == "db":
            given, want = "sqlite:///rel/x.db", f"sqlite:///{elsewhere}/rel/x.db"
        else:
            continue
        seen.add((path, name))
        got = param.process_value(ctx, given)
        if got != want:
            relative.append(f"{path} {name}: {given!r} became {got!r}")
    assert not KNOWN - seen, f"path options not found: {sorted(KNOWN - seen)}"
    assert relative == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/netops.db", "sqlite:///{cwd}/var/netops.db"),
        ("sqlite:///netops.db?timeout=5", "sqlite:///{cwd}/netops.db?timeout=5"),
        ("sqlite+pysqlite:///a/b.db", "sqlite+pysqlite:///{cwd}/a/b.db"),
        ("sqlite:///../up.db", "sqlite:///{parent}/up.db"),
        ("sqlite:///~/n.db", "sqlite:///{home}/n.db"),
        ("sqlite:////srv/netops.db", "sqlite:////srv/netops.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("sqlite://", "sqlite://"),
        ("sqlite:///file:n.db?mode=ro&uri=true", "sqlite:///file:n.db?mode=ro&uri=true"),
        ("postgresql+psycopg://netops@db/netops", "postgresql+psycopg://netops@db/netops"),
    ],
)
def test_database_urls_name_an_absolute_sqlite_file(
    elsewhere: Path, given: str, expected: str
) -> None:
    home = os.path.expanduser("~")
    want = expected.format(cwd=elsewhere, parent=elsewhere.parent, home=home)
    assert absolute_db_url(given) == want


def test_home_and_dot_dot_are_resolved_and_an_unknown_user_is_no_traceback(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert absolute(Path("~/x")) == Path(os.path.expanduser("~")) / "x"
    assert absolute(Path("a/../b")) == elsewhere / "b"
    assert main(["inventory", "validate", "-i", "~no-such-user-here/city"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no-such-user-here" in err


def test_inventory_before_the_command_reaches_it_absolute_through_the_context(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # -i / --db before the command reach it in the typer context, not the environment;
    # services `netops up` starts get them on their command line.
    argv = ["-i", "lab", "--db", "sqlite:///var/n.db", "radius", "user", "add", "alice"]
    assert main([*argv, "--password", "s3cret-pass", "--plan", "gratis"]) == 0
    assert (elsewhere / "var" / "n.db").is_file()
    assert "NETOPS_INVENTORY" not in os.environ and "NETOPS_DB" not in os.environ
    os.chdir(elsewhere / "lab")
    listed = ["--db", f"sqlite:///{elsewhere}/var/n.db", "radius", "user", "list"]
    assert main(["-i", ".", *listed]) == 0
    assert "alice" in capsys.readouterr().out


def test_relative_inventory_from_the_environment(
    elsewhere: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_INVENTORY", "city")
    assert main(["inventory", "validate"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")


def test_graph_and_render_write_where_the_user_stands(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "graph", "-i", "city", "--out", "city.svg"]) == 0
    assert (elsewhere / "city.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert main(["config", "render", "-i", "lab", "--role", "core", "-o", "out/rendered"]) == 0
    written = sorted(p.name for p in (elsewhere / "out" / "rendered").iterdir())
    assert written == ["lab-core-01.cfg", "lab-core-02.cfg"]
    assert not Path("var").exists()


def test_prometheus_files_point_at_absolute_paths(
    elsewhere: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("rules").mkdir()
    Path("rules/extra.yml").write_text("groups: []\n")
    assert main(["prometheus", "rules", "-i", "lab", "-o", "prom/netops-rules.yml"]) == 0
    assert main(["prometheus", "targets", "-i", "lab", "-o", "prom/sd"]) == 0
    args = ["prometheus", "config", "-i", "lab", "-o", "prom/prometheus.yml"]
    assert main([*args, "--targets-dir", "prom/sd", "--rules-file", "rules/extra.yml"]) == 0
    prom = elsewhere / "prom"
    assert (prom / "netops-rules.yml").exists()
    assert json.loads((prom / "sd" / "snmp.json").read_text())
    config = yaml.safe_load((prom / "prometheus.yml").read_text())
    assert str(elsewhere / "rules" / "extra.yml") in config["rule_files"]
    files = [
        f
        for job in config["scrape_configs"]
        for sd in job.get("file_sd_configs", [])
        for f in sd["files"]
    ]
    assert files and all(f.startswith(f"{prom / 'sd'}/") for f in files), files


def test_store_commands_use_the_database_under_the_current_folder(
    elsewhere: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("data").mkdir()
    Path("staff.csv").write_text("username,password,plan\nrina,s3cret1,pegawai\n")
    db = ["-i", "lab", "--db", "sqlite:///data/netops.db"]
    assert main([*db, "radius", "user", "import", "staff.csv"]) == 0
    assert main([*db, "voucher", "create", "--plan", "voucher-harian", "--count", "2"]) == 0
    assert main([*db, "report", "hotspots", "--format", "csv", "-o", "reports/use.csv"]) == 0
    assert (elsewhere / "reports" / "use.csv").read_text().startswith("hotspot,")
    # The same file, named absolutely from another folder.
    monkeypatch.chdir(elsewhere.parent)
    with Store.open(f"sqlite:///{elsewhere / 'data' / 'netops.db'}", keys=store_keys()) as store:
        assert [u.username for u in store.list_users()] == ["rina"]
    capsys.readouterr()
    assert main(["-i", str(elsewhere / "lab"), "--db", f"sqlite:///{elsewhere}/data/netops.db",
                 "voucher", "list", "--format", "json"]) == 0  # fmt: skip
    assert len(json.loads(capsys.readouterr().out)) == 2
