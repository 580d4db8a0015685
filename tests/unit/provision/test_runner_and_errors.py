"""The parallel runner, the final table, per-device error sentences and the CLI's errors."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from netops.cli.main import main
from netops.inventory import load_inventory
from netops.inventory.models import Device, Inventory
from netops.provision.drivers import describe_error, login_for, parse_facts
from netops.provision.operations import Options
from netops.provision.platforms import platform
from netops.provision.render import Redactor
from netops.provision.result import Result
from netops.provision.runner import run, summary_table
from tests.paths import LAB

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(LAB)


def test_runner_keeps_inventory_order_and_one_failure_does_not_stop_the_others(
    inv: Inventory,
) -> None:
    def operation(_inv: Inventory, device: Device, _opts: Options) -> Result:
        if device.hostname == "lab-core-02":
            return Result(device.hostname, "push", error="boom")
        time.sleep(0.05)
        return Result(device.hostname, "push", changed=device.role == "core")

    results = run(operation, inv, inv.devices, Options(), workers=3)
    assert [r.device for r in results] == [d.hostname for d in inv.devices]
    assert [r.status for r in results] == [
        "changed",
        "failed",
        "unchanged",
        "unchanged",
        "unchanged",
    ]


def test_runner_runs_devices_at_the_same_time_up_to_the_worker_count(inv: Inventory) -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def operation(_inv: Inventory, device: Device, _opts: Options) -> Result:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.1)
        with lock:
            active[0] -= 1
        return Result(device.hostname, "push")

    run(operation, inv, inv.devices, Options(), workers=2)
    assert peak[0] == 2
    run(operation, inv, inv.devices, Options(), workers=1)
    assert peak[0] == 2  # never more than asked


def test_summary_table_counts_statuses_and_shows_the_reason() -> None:
    results = [
        Result("a", "push", changed=True),
        Result("b", "push"),
        Result("c", "push", error="authentication failed for user 'netops' at 10.0.0.1:22"),
    ]
    buffer = io.StringIO()
    Console(file=buffer, width=200).print(summary_table(results, "config push"))
    text = buffer.getvalue()
    assert "1 failed, 1 changed, 1 unchanged" in text
    assert "authentication failed for user 'netops'" in text


def test_error_sentences_name_the_problem_and_hide_secrets(inv: Inventory) -> None:
    import errno
    import ssl

    from netmiko.exceptions import (
        ConfigInvalidException,
        NetmikoAuthenticationException,
        NetmikoTimeoutException,
        ReadTimeout,
    )
    from paramiko.ssh_exception import NoValidConnectionsError, SSHException

    def raised_from(outer: Exception, cause: BaseException) -> Exception:
        outer.__cause__ = cause
        return outer

    login = login_for(inv, inv.device("lab-core-01"))
    where = "lab-core-01 at 10.254.0.2:22"
    redactor = Redactor()
    redactor.add("s3cr3t-value")
    assert describe_error(NetmikoAuthenticationException("x"), login, redactor) == (
        f"authentication failed for user 'netops' on {where}"
    )
    # netmiko raises the same exception for a refused and a silent port: the cause decides.
    refused = raised_from(
        NetmikoTimeoutException("TCP connection to device failed."),
        NoValidConnectionsError(
            {("10.254.0.2", 22): ConnectionRefusedError(errno.ECONNREFUSED, "")}
        ),
    )
    assert describe_error(refused, login, redactor) == f"connection refused by {where}"
    silent = raised_from(
        NetmikoTimeoutException("Paramiko: 'No existing session' error"),
        SSHException("No existing session"),
    )
    assert describe_error(silent, login, redactor) == f"no answer from {where} within 5 s"
    syn_lost = raised_from(
        NetmikoTimeoutException("TCP connection to device failed."), TimeoutError()
    )
    assert describe_error(syn_lost, login, redactor) == f"no answer from {where} within 5 s"
    assert describe_error(syn_lost, login, redactor, timeout=15) == (
        f"no answer from {where} within 15 s"
    )
    unreachable = OSError(errno.EHOSTUNREACH, "No route to host")
    assert describe_error(unreachable, login, redactor) == f"no route to {where}"
    tls = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    tls.reason = "WRONG_VERSION_NUMBER"
    assert describe_error(raised_from(RuntimeError("eAPI"), tls), login, redactor) == (
        f"the TLS handshake with {where} failed (wrong version number): no HTTPS API on that port"
    )
    assert describe_error(ReadTimeout("x"), login, redactor) == (
        "the device did not answer a command within 15 s"
    )
    rejected = ConfigInvalidException("snmp-server community s3cr3t-value\n% Invalid input")
    assert describe_error(rejected, login, redactor) == (
        "the device rejected a line: % Invalid input"
    )
    dropped = describe_error(OSError("Socket is closed"), login, redactor)
    assert dropped == f"the connection to {where} dropped (Socket is closed)"
    leaked = describe_error(RuntimeError("bad s3cr3t-value"), login, redactor)
    assert "s3cr3t-value" not in leaked and "<redacted>" in leaked


def test_facts_are_read_from_frr_ios_and_routeros_show_output() -> None:
    frr = "FRRouting 8.4.4 (lab-core-01) on Linux(6.1.0).\nCopyright 1996-2005 Kunihiro Ishiguro"
    assert parse_facts(platform("frr"), frr) == {"version": "8.4.4"}
    ros = "  uptime: 1d2h\n  version: 7.16 (stable)\n  board-name: RB5009UG+S+\n"
    assert parse_facts(platform("mikrotik_routeros"), ros) == {
        "version": "7.16 (stable)",
        "uptime": "1d2h",
        "model": "RB5009UG+S+",
    }


def test_redactor_masks_longest_values_first_and_ignores_tiny_ones() -> None:
    redactor = Redactor()
    for value in ("ab", "secret", "secret-longer"):
        redactor.add(value)
    assert redactor("ab secret-longer secret") == "ab <redacted> <redacted>"


def test_cli_without_inventory_says_how_to_name_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_INVENTORY", raising=False)
    assert main(["config", "render"]) == 1
    assert "no inventory given" in capsys.readouterr().err


def test_cli_selection_matching_nothing_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-i", str(LAB), "config", "diff", "--site", "nowhere"]) == 1
    assert "no device in the inventory matches site 'nowhere'" in capsys.readouterr().err


def test_cli_render_writes_one_file_per_selected_device(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["-i", str(LAB), "config", "render", "--role", "core", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lab-core-01.cfg", "lab-core-02.cfg"]
    assert "rendered 2 device(s)" in capsys.readouterr().out


def test_cli_render_with_secrets_writes_values_only_when_asked(tmp_path: Path) -> None:
    plain, real = tmp_path / "plain", tmp_path / "real"
    assert main(["-i", str(LAB), "config", "render", "-d", "lab-hs-01", "-o", str(plain)]) == 0
    assert (
        main(
            [
                "-i",
                str(LAB),
                "config",
                "render",
                "-d",
                "lab-hs-01",
                "-o",
                str(real),
                "--with-secrets",
            ]
        )
        == 0
    )
    for name in ("lab-hs-01.rsc", "lab-hs-01.json"):
        assert "testing123" not in (plain / name).read_text()
        assert "testing123" in (real / name).read_text()


def test_cli_broken_inventory_is_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    shutil.copytree(LAB, tmp_path / "inv")
    (tmp_path / "inv" / "provision.yml").write_text("groups:\n  frr-lab: {platform: [oops\n")
    assert main(["-i", str(tmp_path / "inv"), "config", "render", "-o", str(tmp_path)]) == 1
    assert "provision.yml" in capsys.readouterr().err
