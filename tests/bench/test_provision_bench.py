"""Benchmark: push to 50 FRR lab routers with --workers 1 and the default, beside bare netmiko.

Run by ``make bench``. Each run starts 50 FRR routers (namespaces ``nxprovb-…``), pushes the
same rendered config three ways on fresh routers, and writes the figures to
docs/benchmarks.md (section ``## Provisioning``). Nothing here asserts a time.
"""

from __future__ import annotations

import ipaddress
import os
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from netmiko import ConnectHandler

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.frr import FrrLab
from netops.provision import configtree, operations
from netops.provision.operations import Options
from netops.provision.platforms import platform
from netops.provision.render import render_device
from netops.provision.runner import DEFAULT_WORKERS, run
from tests.support.benchdoc import write_section

REPO = Path(__file__).resolve().parents[2]
DEVICES = 50

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _inventory(root: Path, devices: int = DEVICES) -> Inventory:
    root.mkdir()
    (root / "meta.yml").write_text(
        "meta: {city: Bench, lab: true}\n"
        "services: {ospf_area: 0.0.0.0}\n"
        "credentials:\n  lab: {username: netops, password: netops-lab}\n"
        "defaults: {credentials: lab, timeouts: {connect: 20, command: 60}}\n"
        "groups:\n  frr: {platform: frr, data: {ospf: {hello_interval: 1, dead_interval: 4}}}\n"
        "sites:\n  - {id: bench, name: Bench, kind: office}\n"
    )
    lines = ["devices:"]
    for n in range(devices):
        mgmt = ipaddress.IPv4Address("10.254.0.18") + 4 * n  # .2 and .6 are `netops lab up`'s
        lines += [
            f"  - hostname: bench-r{n:02d}",
            "    site: bench",
            "    role: core",
            "    groups: [frr]",
            f"    mgmt_ip: {mgmt}",
            f"    loopback: 10.254.255.{n + 1}/32",
            "    interfaces:",
            f"      - {{name: eth1, description: bench uplink {n}, "
            f"ip: 10.254.{100 + n // 64}.{(n % 64) * 4 + 1}/30, ospf_area: 0.0.0.0}}",
        ]
    (root / "devices.yml").write_text("\n".join(lines) + "\n")
    return load_inventory(root)


@pytest.fixture
def bench_inventory(tmp_path: Path) -> Inventory:
    return _inventory(tmp_path / "inv")


@pytest.fixture
def fresh_lab(bench_inventory: Inventory) -> Iterator[FrrLab]:
    lab = FrrLab.from_inventory(bench_inventory, "nxprovb")
    yield lab
    lab.down()


def _machine_busy() -> float:
    """CPU seconds all cores of the machine have spent not idle since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    """One push over the fleet: wall time, netops's own CPU, and the whole machine's."""

    wall: float
    own_cpu: float
    machine_cpu: float

    @property
    def cpu_floor(self) -> float:
        """The shortest wall time the machine's cores allow for the CPU this run used."""
        return self.machine_cpu / (os.cpu_count() or 1)


def _push(inv: Inventory, workers: int, expect: str = "changed") -> Run:
    busy, own = _machine_busy(), _own_cpu()
    started = time.monotonic()
    results = run(operations.push, inv, inv.devices, Options(commit=True), workers)
    elapsed = time.monotonic() - started
    measured = Run(elapsed, _own_cpu() - own, _machine_busy() - busy)
    failed = [(r.device, r.error) for r in results if r.failed]
    assert not failed, failed
    assert all(r.status == expect for r in results), {r.status for r in results}
    return measured


def _bare_netmiko(inv: Inventory) -> float:
    """What a script would do: connect, send the same commands, save, disconnect."""
    plat = platform("frr")
    batches = []
    for device in inv.devices:
        intended = render_device(inv, device, with_secrets=True).text
        changes = configtree.compare(
            configtree.parse("", plat), configtree.parse(intended, plat), plat
        )
        batches.append((device, configtree.commands(changes, plat)))
    started = time.monotonic()
    for device, commands in batches:
        conn = ConnectHandler(
            device_type="cisco_ios",
            host=str(device.mgmt_ip),
            username="netops",
            password="netops-lab",
            fast_cli=True,
        )
        conn.send_config_set(commands)
        conn.save_config()
        conn.disconnect()
    return time.monotonic() - started


def test_push_50_devices_sequential_parallel_and_bare_netmiko(
    fresh_lab: FrrLab, bench_inventory: Inventory
) -> None:
    inv = bench_inventory
    fresh_lab.up(wait=60)
    busy = _machine_busy()
    time.sleep(10)
    idle = (_machine_busy() - busy) / 10  # the 50 idle routers' own CPU per second
    first = _push(inv, 1)
    sequential = first.wall
    fresh_lab.down()
    fresh_lab.up(wait=60)
    many = _push(inv, DEFAULT_WORKERS)
    parallel = many.wall
    again = _push(inv, DEFAULT_WORKERS, expect="unchanged")
    noop = again.wall
    fresh_lab.down()
    fresh_lab.up(wait=60)
    bare = _bare_netmiko(inv)

    per_device = sequential / DEVICES
    bare_per_device = bare / DEVICES
    ideal = DEVICES * per_device / DEFAULT_WORKERS
    cores = os.cpu_count() or 1
    lines = [
        "## Provisioning",
        "",
        f"`make bench` (tests/bench/test_provision_bench.py): {DEVICES} FRR routers in network "
        f"namespaces on this machine ({cores} cores, shared with other jobs: load average "
        f"{os.getloadavg()[0]:.1f} at the end), each reached over SSH; every push "
        "renders, reads the running config, computes the change, applies it, re-reads to "
        "verify and saves. Bare netmiko = connect + `send_config_set` + `save_config` + "
        "disconnect with the same commands, sequentially, no verification.",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; command: "
        "`.venv/bin/pytest -q -s tests/bench/test_provision_bench.py` (part of `make bench`).",
        "",
        "| run | wall time (s) | per device (s) |",
        "| --- | ---: | ---: |",
        f"| netops push --commit --workers 1 | {sequential:.2f} | {per_device:.3f} |",
        f"| netops push --commit (default {DEFAULT_WORKERS} workers) | {parallel:.2f} | "
        f"{parallel / DEVICES:.3f} |",
        f"| netops push --commit again (no-op, {DEFAULT_WORKERS} workers) | {noop:.2f} | "
        f"{noop / DEVICES:.3f} |",
        f"| bare netmiko, sequential | {bare:.2f} | {bare_per_device:.3f} |",
        "",
        f"- speed-up of {DEFAULT_WORKERS} workers over 1: {sequential / parallel:.1f}×",
        f"- target 50 × single ÷ workers = {ideal:.2f} s; measured {parallel:.2f} s = "
        f"{parallel / ideal:.1f}× the target (goal ≤ 1.5×)",
        "",
        "Where the CPU went (netops's own process from getrusage, the whole machine from "
        "/proc/stat; the routers' sshd, vtysh and FRR daemons run on the same cores):",
        "",
        "| run | wall (s) | netops CPU (s) | machine CPU (s) | machine CPU ÷ cores (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {r.wall:.2f} | {r.own_cpu:.2f} | {r.machine_cpu:.2f} | {r.cpu_floor:.2f} |"
            for name, r in (
                ("push, 1 worker", first),
                (f"push, {DEFAULT_WORKERS} workers", many),
                (f"no-op push, {DEFAULT_WORKERS} workers", again),
            )
        ),
        "",
        f"- the {DEVICES} routers, idle before the first push, use {idle:.2f} CPU s per second",
        "- on the router side each SSH session costs about 40 ms of sshd (fork, key "
        "exchange, login) and 50 ms for vtysh to start (it builds the command tree of every "
        "FRR daemon), measured apart from the benchmark; a push opens one session per device",
        f"- a push costs the machine "
        f"{(first.machine_cpu - idle * first.wall) / DEVICES * 1000:.0f} ms of CPU per "
        f"device beyond that idle load, of which netops {first.own_cpu / DEVICES * 1000:.0f} "
        "ms; the rest is the router side (SSH handshake, vtysh, FRR applying and saving)",
        f"- with {DEFAULT_WORKERS} workers the {cores} cores were "
        f"{many.machine_cpu / (many.wall * cores):.0%} busy: the run took "
        f"{many.wall / many.cpu_floor:.2f}× the shortest time the CPU allows "
        f"({many.cpu_floor:.2f} s). The target assumes the devices' CPU is their own; "
        f"here it would need {ideal:.2f} s × {cores} cores = "
        f"{ideal * cores:.1f} CPU s for work that takes {many.machine_cpu:.1f}.",
        f"- netops overhead per device over bare netmiko (render, read, verify): "
        f"{per_device - bare_per_device:+.3f} s ({per_device / bare_per_device:.2f}×)",
        "",
    ]
    section = "\n".join(lines) + "\n"
    print("\n" + section)
    write_section(section)
    assert sequential > 0 and parallel > 0 and bare > 0
