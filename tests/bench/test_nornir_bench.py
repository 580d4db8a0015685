"""Provisioning beside Nornir: the same rendered configs to freshly started FRR routers.

Nornir 3 with ``nornir_netmiko`` (``netmiko_send_config`` + ``netmiko_save_config``, the
threaded runner with as many workers as netops) against ``netops config push --commit``'s
work (``operations.push`` through the runner: read the running config, push the change,
read it back and verify, save). Rounds alternate which side goes first; every push starts
on freshly started routers, and after each the routers' running and saved configurations
are read with vtysh: both sides must leave the same end state.

Run: ``make bench`` or ``flock /tmp/frrlab.lock .venv/bin/pytest -q -s
tests/bench/test_nornir_bench.py`` (the FRR lab's addresses are shared: one run at a time).
Figures go to docs/benchmarks.md (``## Provisioning beside Nornir, N routers``);
``NETOPS_NORNIR_BENCH_DEVICES`` (20) and ``NETOPS_NORNIR_BENCH_ROUNDS`` (3) change the run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for _path in (str(REPO), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.append(_path)

from test_provision_bench import _inventory as bench_inventory  # noqa: E402
from test_provision_bench import _machine_busy, _own_cpu  # noqa: E402

from netops.inventory.models import Inventory  # noqa: E402
from netops.lab.frr import FrrLab  # noqa: E402
from netops.provision import configtree, operations  # noqa: E402
from netops.provision.operations import Options  # noqa: E402
from netops.provision.platforms import platform  # noqa: E402
from netops.provision.render import render_device  # noqa: E402
from netops.provision.runner import run  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402

DEVICES = int(os.environ.get("NETOPS_NORNIR_BENCH_DEVICES", "20"))
ROUNDS = int(os.environ.get("NETOPS_NORNIR_BENCH_ROUNDS", "3"))
WORKERS = 20
PREFIX = "nxnorb"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]


@dataclass
class Push:
    side: str
    wall: float
    own_cpu: float
    machine_cpu: float
    load: str


def _commands(inv: Inventory) -> dict[str, list[str]]:
    """Each device's rendered config as the lines a script sends to an empty router."""
    plat = platform("frr")
    out = {}
    for device in inv.devices:
        intended = render_device(inv, device, with_secrets=True).text
        changes = configtree.compare(
            configtree.parse("", plat), configtree.parse(intended, plat), plat
        )
        out[device.hostname] = configtree.commands(changes, plat)
    return out


def _nornir(inv: Inventory, base: Path) -> Callable[[], None]:
    from nornir import InitNornir
    from nornir_netmiko.tasks import netmiko_save_config, netmiko_send_config

    base.mkdir(parents=True, exist_ok=True)
    hosts = ["---"]
    for device in inv.devices:
        hosts += [
            f"{device.hostname}:",
            f"  hostname: {device.mgmt_ip}",
            "  platform: cisco_ios",
            "  username: netops",
            "  password: netops-lab",
        ]
    (base / "hosts.yaml").write_text("\n".join(hosts) + "\n")
    (base / "groups.yaml").write_text("---\n{}\n")
    (base / "defaults.yaml").write_text("---\n{}\n")
    commands = _commands(inv)

    def push_all() -> None:
        nr = InitNornir(
            runner={"plugin": "threaded", "options": {"num_workers": WORKERS}},
            inventory={
                "plugin": "SimpleInventory",
                "options": {
                    "host_file": str(base / "hosts.yaml"),
                    "group_file": str(base / "groups.yaml"),
                    "defaults_file": str(base / "defaults.yaml"),
                },
            },
            logging={"enabled": False},
        )

        def task(t: object) -> None:
            host = t.host.name  # type: ignore[attr-defined]
            t.run(task=netmiko_send_config, config_commands=commands[host])  # type: ignore[attr-defined]
            t.run(task=netmiko_save_config)  # type: ignore[attr-defined]

        try:
            result = nr.run(task=task)
            failed = {
                h: str(r.exception or r[0].result)[:300] for h, r in result.items() if r.failed
            }
            assert not failed, failed
        finally:
            nr.close_connections()

    return push_all


def _netops(inv: Inventory) -> Callable[[], None]:
    def push_all() -> None:
        results = run(operations.push, inv, inv.devices, Options(commit=True), WORKERS)
        failed = [(r.device, r.error) for r in results if r.failed]
        assert not failed, failed
        assert all(r.status == "changed" for r in results), {r.status for r in results}

    return push_all


def _end_state(lab: FrrLab, inv: Inventory) -> dict[str, tuple[str, str]]:
    def clean(text: str) -> str:
        skip = ("Building configuration", "Current configuration", "frr version")
        return "\n".join(line for line in text.splitlines() if not line.startswith(skip))

    return {
        d.hostname: (
            clean(lab.vtysh(d.hostname, "show running-config")),
            clean(lab.saved_config(d.hostname)),
        )
        for d in inv.devices
    }


def _timed(side: str, push_all: Callable[[], None]) -> Push:
    busy, own = _machine_busy(), _own_cpu()
    started = time.monotonic()
    push_all()
    wall = time.monotonic() - started
    load = f"{os.getloadavg()[0]:.2f}"
    return Push(side, wall, _own_cpu() - own, _machine_busy() - busy, load)


def test_push_beside_nornir(tmp_path: Path) -> None:
    inv = bench_inventory(tmp_path / "inv", DEVICES)
    sides = {"netops": _netops(inv), "Nornir": _nornir(inv, tmp_path / "nornir")}
    lab = FrrLab.from_inventory(inv, PREFIX)
    pushes: list[Push] = []
    states: dict[str, dict[str, tuple[str, str]]] = {}
    started_at, load_before = datetime.now(UTC), "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    try:
        for r in range(ROUNDS):
            order = ["netops", "Nornir"] if r % 2 == 0 else ["Nornir", "netops"]
            for side in order:
                lab.down()
                lab.up(wait=90)
                time.sleep(2.0)  # let the fresh routers settle
                pushes.append(_timed(side, sides[side]))
                states[side] = _end_state(lab, inv)
            assert states["netops"] == states["Nornir"], "the two sides left different configs"
    finally:
        lab.down()
    load_after = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    lines = _doc(pushes, started_at, load_before, load_after)
    print("\n".join(lines))
    write_section("\n".join(lines))


def _doc(pushes: list[Push], started_at: datetime, before: str, after: str) -> list[str]:
    by = {side: [p for p in pushes if p.side == side] for side in ("netops", "Nornir")}

    def median(side: str) -> Push:
        runs = sorted(by[side], key=lambda p: p.wall)
        return runs[len(runs) // 2]

    ours, theirs = median("netops"), median("Nornir")
    ratios = [a.wall / b.wall for a, b in zip(by["netops"], by["Nornir"], strict=True)]
    lines = [
        f"## Provisioning beside Nornir, {DEVICES} routers",
        "",
        f"The same rendered configs to {DEVICES} freshly started FRR routers (network "
        "namespaces on this machine, SSH to vtysh), each side on its own fresh routers: "
        "Nornir 3.6 with `nornir_netmiko` (`netmiko_send_config` + `netmiko_save_config`, "
        f"threaded runner, {WORKERS} workers), against netops' push with `--commit` "
        f"({WORKERS} workers), which also reads the running config first, computes the "
        "change, reads the config back and verifies the lines it sent before saving. netops "
        "sends the change and the read-back in one write per device (see docs/provision.md)"
        "; Nornir waits for each line's echo. "
        f"{ROUNDS} rounds, alternating which side goes first; after each push the routers' "
        "running and saved configs are read with vtysh, and both sides' end states are "
        "identical (asserted).",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores shared with other "
        f"work (load average {before} before, {after} after: absolute times are taken under "
        "that load); command: `flock /tmp/frrlab.lock .venv/bin/pytest -q -s "
        "tests/bench/test_nornir_bench.py`.",
        "",
        "| side | wall, median (rounds) | own CPU | machine CPU | load at the end |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for side, m in (("netops push --commit", ours), ("Nornir + nornir_netmiko", theirs)):
        runs = by["netops" if side.startswith("netops") else "Nornir"]
        lines.append(
            f"| {side} | {m.wall:.2f} s ({', '.join(f'{p.wall:.2f}' for p in runs)}) | "
            f"{m.own_cpu:.2f} s | {m.machine_cpu:.2f} s | {m.load} |"
        )
    lines += [
        "",
        f"netops ÷ Nornir wall time, round by round: {', '.join(f'{x:.2f}' for x in ratios)} "
        f"(median rounds {ours.wall / theirs.wall:.2f}); machine CPU "
        f"{ours.machine_cpu / theirs.machine_cpu:.2f}.",
    ]
    return lines
