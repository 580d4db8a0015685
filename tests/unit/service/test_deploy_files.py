"""The production files in deploy/ agree with the code: every systemd unit runs a netops
command and options that exist, the Prometheus config is valid and scrapes both RADIUS
servers of the sample city, and the helper scripts run."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from netops.cli.lazy import resolve
from netops.cli.main import app
from netops.inventory import load_inventory
from tests.paths import BANJARMASIN, REPO

DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("netops-*.service"))


def _unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    text = path.read_text().replace("\\\n", " ")
    parser.read_string(text)
    return parser


def _exec_lines(path: Path) -> list[list[str]]:
    lines = []
    for raw in path.read_text().replace("\\\n", " ").splitlines():
        if raw.startswith("ExecStart="):
            lines.append(shlex.split(raw.removeprefix("ExecStart=").lstrip("+-")))
    return lines


def _command(words: list[str]) -> tuple[Any, list[str]]:
    """The click command ``netops words…`` resolves to, and the words left as options."""
    return resolve(app, words)


def test_there_is_a_unit_for_each_service_of_the_two_server_setup() -> None:
    names = {p.name for p in UNITS}
    assert {"netops-radius.service", "netops-portal.service", "netops-exporter.service",
            "netops-migrate.service", "netops-backup.service"} <= names  # fmt: skip
    timers = {p.name for p in (DEPLOY / "systemd").glob("*.timer")}
    assert {"netops-backup.timer", "netops-config-backup.timer"} <= timers


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_every_netops_command_in_a_unit_exists_with_its_options(unit: Path) -> None:
    for words in _exec_lines(unit):
        if not words[0].endswith("/netops"):
            assert words[0].startswith("/opt/netops/deploy/bin/") or words[0].startswith(
                "/usr/bin/"
            ), words
            if words[0].startswith("/opt/netops/deploy/bin/"):
                assert (DEPLOY / "bin" / Path(words[0]).name).exists()
            continue
        command, rest = _command(words[1:])
        assert not getattr(command, "commands", None), f"{unit.name}: incomplete {words}"
        known = {opt for param in command.params for opt in param.opts}
        given = {w.split("=", 1)[0] for w in rest if w.startswith("-")}
        assert given <= known, f"{unit.name}: unknown options {given - known}"


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_services_run_unprivileged_with_their_secrets_from_an_environment_file(
    unit: Path,
) -> None:
    service = _unit(unit)["Service"]
    assert service.get("User") == "netops"
    if unit.name != "netops-prometheus-files.service":
        assert "/etc/netops/secrets.env" in unit.read_text()
    assert service.get("NoNewPrivileges") == "yes"


def test_prometheus_config_is_valid_and_scrapes_both_radius_servers_of_the_city() -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing (Debian package prometheus)"
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"snmp", "icmp", "netops-radius", "netops-portal", "netops-exporter"} <= set(jobs)
    radius = jobs["netops-radius"]["static_configs"][0]["targets"]
    servers = load_inventory(BANJARMASIN).services.radius.servers
    assert radius == [f"{server}:9812" for server in servers]
    assert len(radius) == 2


def test_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["rule_files"] = []  # the rule files live on the monitoring host
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))
    done = subprocess.run(["promtool", "check", "config", str(checked)], capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_mikrotik_failover_lists_both_servers_primary_first() -> None:
    text = (DEPLOY / "mikrotik" / "radius-failover.rsc").read_text().replace("\\\n", " ")
    adds = [line for line in text.splitlines() if line.startswith("add address=")]
    servers = [str(s) for s in load_inventory(BANJARMASIN).services.radius.servers]
    assert [line.split()[1].removeprefix("address=") for line in adds] == servers


def test_backup_script_copies_an_sqlite_store_and_prunes_old_dumps(tmp_path: Path) -> None:
    sqlite3 = shutil.which("sqlite3")
    if sqlite3 is None:
        pytest.fail("sqlite3 is missing (Debian package sqlite3): netops-backup needs it")
    db = tmp_path / "netops.db"
    subprocess.run([sqlite3, str(db), "create table t(x); insert into t values (42);"],
                   check=True)  # fmt: skip
    out = tmp_path / "backups"
    old = out / "netops-20000101-000000.sqlite"
    out.mkdir()
    old.write_text("old")
    subprocess.run(["touch", "-d", "30 days ago", str(old)], check=True)
    env = {"PATH": "/usr/bin:/bin", "NETOPS_DB": f"sqlite:///{db}",
           "NETOPS_BACKUP_DIR": str(out), "NETOPS_BACKUP_KEEP_DAYS": "14"}  # fmt: skip
    done = subprocess.run([str(DEPLOY / "bin" / "netops-backup")], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (copy,) = out.glob("netops-*.sqlite")
    assert not old.exists()
    value = subprocess.run([sqlite3, str(copy), "select x from t"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert value.strip() == "42"


def test_migrate_script_creates_the_schema_once_and_then_reports_it_current(
    tmp_path: Path,
) -> None:
    import sys

    env = {"PATH": "/usr/bin:/bin", "NETOPS_DB": f"sqlite:///{tmp_path / 'netops.db'}"}
    script = [sys.executable, str(DEPLOY / "bin" / "netops-migrate")]
    first = subprocess.run(script, env=env, capture_output=True, text=True, cwd=REPO)
    assert first.returncode == 0, first.stderr
    assert "migrated empty -> " in first.stdout
    second = subprocess.run(script, env=env, capture_output=True, text=True, cwd=REPO)
    assert second.returncode == 0 and "is current" in second.stdout


def test_migrate_script_names_an_unreachable_database(tmp_path: Path) -> None:
    import sys

    env = {"PATH": "/usr/bin:/bin", "NETOPS_DB": "postgresql+psycopg://netops:x@127.0.0.1:1/netops"}
    done = subprocess.run([sys.executable, str(DEPLOY / "bin" / "netops-migrate")], env=env,
                          capture_output=True, text=True, cwd=REPO)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("netops-migrate: PostgreSQL database netops at 127.0.0.1:1")
    assert "x@" not in done.stderr  # the password is never printed
