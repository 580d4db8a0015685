"""Benchmark: ``netops config push --commit`` against an Ansible ``api_modify`` playbook on
50 lab RouterOS hotspot gateways, first push and second (no-op) push.

Run by ``make bench``. One helper process serves two fleets of fresh lab RouterOS 7.16
devices (API and ``/export`` over SSH, on 127.0.2.x and 127.0.3.x, kernel-picked ports):
one for netops, one for Ansible. Both get the same intended state, the one
``netops config render`` writes as ``<host>.json``; the playbook has one
``community.routeros.api_modify`` task per path (the mapping of
tests/integration/provision/test_routeros_ansible.py) and runs with as many forks as
netops has workers. Figures go to docs/benchmarks.md (section
``## RouterOS push: netops against Ansible``). ``BENCH_ROUTEROS_DEVICES`` runs a smaller
fleet. Nothing here asserts a time.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netops.provision.runner import DEFAULT_WORKERS
from tests.integration.provision.test_routeros_ansible import (
    LAB_HIDES,
    NO_COMMENT,
    modify_options,
    ros_quote,
)
from tests.support.benchdoc import write_section

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
LAB = REPO / "inventory" / "lab"
DEVICES = int(os.environ.get("BENCH_ROUTEROS_DEVICES", "50"))
PASSWORD = "netops-lab"  # the lab inventory's credentials

pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]

FLEET = """
import json, signal, sys, threading
from pathlib import Path
from netops.lab.routeros import DeviceOptions, LabRouterOS
root, net, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
devices = {}
for n in range(count):
    host = f"bench-hs-{n:02d}"
    addr = f"{net}.{n + 1}"
    devices[host] = LabRouterOS(DeviceOptions(
        state_dir=root / host, version="7.16", user="netops", password=sys.argv[4],
        api=(addr, 0), ssh=(addr, 0))).start(timeout=60)
print(json.dumps({h: [d.address("api")[1], d.address("ssh")[1]] for h, d in devices.items()}),
      flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait()
for d in devices.values():
    d.stop()
"""


@dataclass
class Fleet:
    """A helper process serving ``count`` lab devices; ``ports`` by host (api, ssh)."""

    proc: subprocess.Popen[str]
    ports: dict[str, tuple[int, int]]

    def cpu(self) -> float:
        """CPU seconds the devices' process has used (user + system, /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_fleet(root: Path, net: str, count: int) -> Fleet:
    proc = subprocess.Popen(
        [str(BIN / "python"), "-c", FLEET, str(root), net, str(count), PASSWORD],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "the lab fleet did not start"
    ports = {h: (p[0], p[1]) for h, p in json.loads(line).items()}
    return Fleet(proc, ports)


def write_inventory(root: Path, fleet: Fleet, net: str) -> None:
    """The lab inventory's profiles with ``len(fleet)`` hotspot gateways, each with its
    own site, hotspot and client prefix, at the fleet's addresses and ports."""
    root.mkdir(parents=True)
    for name in ("meta.yml", "profiles.yml", "provision.yml", "privacy.yml"):
        (root / name).write_text((LAB / name).read_text())
    plans = (LAB / "hotspots.yml").read_text().split("\nhotspots:")[0]
    sites = ["sites:"]
    devices = ["devices:"]
    hotspots = [plans, "hotspots:"]
    for n, (host, (api, ssh)) in enumerate(sorted(fleet.ports.items())):
        sites.append(f"  - {{id: bench-{n:02d}, name: Bench {n:02d}, kind: hotspot}}")
        devices += [
            f"  - hostname: {host}",
            f"    ssh_port: {ssh}",
            f"    api: {{port: {api}}}",
            f"    site: bench-{n:02d}",
            "    role: hotspot-gateway",
            "    groups: [hotspot-gateways]",
            f"    mgmt_ip: {net}.{n + 1}",
            "    interfaces:",
            "      - {name: ether1, description: uplink}",
            f"      - {{name: ether2, ip: 100.64.{n}.1/24, vlan: 30}}",
        ]
        hotspots += [
            f"  - id: bench-{n:02d}",
            f"    name: Bench {n:02d}",
            f"    site: bench-{n:02d}",
            f"    gateway: {host}",
            "    ssid: WiFi Gratis Bench",
            "    plan: gratis",
            "    opening_hours: always",
            f"    client_prefix: 100.64.{n}.0/24",
            "    vlan: 30",
            "    interface: ether2",
            "    dns_name: login.bench.netops.test",
        ]
    sites += [
        "",
        "vlans:",
        "  - {id: 10, name: mgmt}",
        "  - {id: 30, name: wifi-publik}",
        "",
        "prefixes:",
        "  - {prefix: 127.0.0.0/8, role: management, description: loopback}",
    ]
    (root / "sites.yml").write_text("\n".join(sites) + "\n")
    (root / "devices.yml").write_text("\n".join(devices) + "\n")
    (root / "hotspots.yml").write_text("\n".join(hotspots) + "\n")
    (root / "links.yml").write_text("links: []\n")


@dataclass
class Run:
    wall: float
    client_cpu: float
    device_cpu: float
    output: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], fleet: Fleet, cwd: Path, env: dict[str, str] | None = None) -> Run:
    cpu, dev = _children_cpu(), fleet.cpu()
    started = time.monotonic()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return Run(wall, _children_cpu() - cpu, fleet.cpu() - dev, proc.stdout)


def playbook(paths: list[str]) -> list[dict[str, Any]]:
    """One play over every gateway: one api_modify task per path, the data from each
    host's rendered state (``host_vars``); the login page through the ``api`` module."""
    tasks: list[dict[str, Any]] = []
    for path in paths:
        words = path.strip("/").replace("/", " ")
        data = f"{{{{ ros_state['{path}'] }}}}"
        if path == "/file":
            tasks += [
                {
                    "name": "login page present?",
                    "community.routeros.api": {
                        "path": "file",
                        "extended_query": {
                            "attributes": ["name"],
                            "where": [
                                {"attribute": "name", "is": "==", "value": "{{ ros_file.name }}"}
                            ],
                        },
                    },
                    "register": "found",
                },
                {
                    "name": "login page",
                    "community.routeros.api": {"path": "file", "add": "{{ ros_file_add }}"},
                    "when": "found.msg | length == 0",
                },
            ]
            continue
        task: dict[str, Any] = {"path": words, "data": data, **modify_options(path)}
        tasks.append({"name": path, "community.routeros.api_modify": task})
    return [
        {
            "hosts": "gateways",
            "gather_facts": False,
            "module_defaults": {
                "group/community.routeros.api": {
                    "hostname": "{{ ros_address }}",
                    "port": "{{ ros_port }}",
                    "username": "netops",
                    "password": PASSWORD,
                    "tls": False,
                }
            },
            "tasks": tasks,
        }
    ]


def ansible_project(
    folder: Path, rendered: Path, fleet: Fleet, net: str, omit: Mapping[str, frozenset[str]]
) -> list[str]:
    """Inventory, host_vars and playbook for the Ansible fleet (without the fields
    ``omit`` names for a path); the command to run it."""
    (folder / "host_vars").mkdir(parents=True)
    hosts = sorted(fleet.ports)
    paths: list[str] = []
    for n, host in enumerate(hosts):
        state = json.loads((rendered / f"{host}.json").read_text())
        for path in state:
            skip = omit.get(path, frozenset()) | ({"comment"} if path in NO_COMMENT else set())
            state[path] = [{k: v for k, v in e.items() if k not in skip} for e in state[path]]
        paths = paths or list(state)
        assert list(state) == paths, f"{host} has other paths"
        (page,) = state.get("/file", [{}])
        variables = {
            "ros_address": f"{net}.{n + 1}",
            "ros_port": fleet.ports[host][0],
            "ros_state": state,
            "ros_file": page,
            "ros_file_add": " ".join(f"{k}={ros_quote(v)}" for k, v in page.items()),
        }
        (folder / "host_vars" / f"{host}.json").write_text(json.dumps(variables))
    (folder / "hosts.ini").write_text("[gateways]\n" + "\n".join(hosts) + "\n")
    (folder / "play.yml").write_text(json.dumps(playbook(paths)))
    return [
        str(BIN / "ansible-playbook"),
        "-i",
        str(folder / "hosts.ini"),
        "-c",
        "local",
        "-f",
        str(DEFAULT_WORKERS),
        str(folder / "play.yml"),
    ]


def ansible_env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_PYTHON_INTERPRETER": str(BIN / "python"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_HOME": str(folder / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(folder / "ansible-tmp"),
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "PYTHONWARNINGS": "ignore",
    }


@pytest.fixture
def fleets(tmp_path: Path) -> Iterator[dict[str, Fleet]]:
    started: dict[str, Fleet] = {}
    try:
        started["netops"] = start_fleet(tmp_path / "netops-fleet", "127.0.2", DEVICES)
        started["ansible"] = start_fleet(tmp_path / "ansible-fleet", "127.0.3", DEVICES)
        yield started
    finally:
        for fleet in started.values():
            fleet.stop()


def test_routeros_push_50_devices_netops_against_ansible(
    fleets: dict[str, Fleet], tmp_path: Path
) -> None:
    load_before = os.getloadavg()
    nets = {"netops": "127.0.2", "ansible": "127.0.3"}
    for side, fleet in fleets.items():
        write_inventory(tmp_path / side / "inv", fleet, nets[side])
    netops = [str(BIN / "netops"), "config"]
    rendered = tmp_path / "rendered"
    out = str(rendered)
    render = subprocess.run(
        [*netops, "render", "-i", str(tmp_path / "ansible" / "inv"), "--with-secrets", "-o", out],
        capture_output=True,
        text=True,
    )
    assert render.returncode == 0, render.stdout + render.stderr
    # The second run leaves out the /radius secret, which the lab device never prints:
    # with it, api_modify matches no /radius entry and adds one on every run
    # (LAB_HIDES in tests/integration/provision/test_routeros_ansible.py).
    project = tmp_path / "ansible" / "project"
    net = nets["ansible"]
    play = ansible_project(project / "first", rendered, fleets["ansible"], net, {})
    replay = ansible_project(project / "second", rendered, fleets["ansible"], net, LAB_HIDES)
    env = ansible_env(project)

    push = [*netops, "push", "--commit", "-i", str(tmp_path / "netops" / "inv")]
    runs = {
        ("netops", "first"): timed(push, fleets["netops"], tmp_path / "netops"),
        ("netops", "second"): timed(push, fleets["netops"], tmp_path / "netops"),
        ("ansible", "first"): timed(play, fleets["ansible"], tmp_path / "ansible", env),
        ("ansible", "second"): timed(replay, fleets["ansible"], tmp_path / "ansible", env),
    }
    load_after = os.getloadavg()
    # The second pushes changed nothing, on either side.
    assert f"{DEVICES} unchanged" in runs[("netops", "second")].output
    recap = re.findall(
        r"^(bench-hs-\d+)\s+: ok=\d+\s+changed=(\d+)", runs[("ansible", "second")].output, re.M
    )
    assert len(recap) == DEVICES and all(n == "0" for _, n in recap), recap
    first = re.findall(r"changed=(\d+)", runs[("ansible", "first")].output)
    assert len(first) == DEVICES and all(int(n) > 0 for n in first)
    again = subprocess.run(
        [*netops, "check", "-i", str(tmp_path / "netops" / "inv")], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stdout + again.stderr

    def row(side: str, which: str) -> str:
        r = runs[(side, which)]
        return (
            f"| {side} | {which} | {r.wall:.2f} | {r.wall / DEVICES:.3f} | "
            f"{r.client_cpu / DEVICES:.3f} | {r.device_cpu / DEVICES:.3f} |"
        )

    ratio = {w: runs[("netops", w)].wall / runs[("ansible", w)].wall for w in ("first", "second")}
    cores = os.cpu_count() or 1
    lines = [
        "## RouterOS push: netops against Ansible",
        "",
        f"`make bench` (tests/bench/test_routeros_bench.py): {DEVICES} lab RouterOS 7.16 "
        "hotspot gateways (netops.lab.routeros: the RouterOS API over TCP, `/export` over "
        "SSH), two fresh fleets served by one helper process on this machine "
        f"({cores} cores shared with other jobs). The same intended state (`netops config "
        "render`'s `<host>.json`) reaches one fleet by `netops config push --commit` "
        f"({DEFAULT_WORKERS} workers: read every managed path, plan, back up `/export`, "
        "snapshot + confirm scheduler, apply, re-read and verify) and the other by "
        "`ansible-playbook` with one `community.routeros.api_modify` task per path "
        f"(`-f {DEFAULT_WORKERS}`, local connection). Second push: the same again, nothing "
        "to change.",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; command: "
        "`.venv/bin/pytest -q -s tests/bench/test_routeros_bench.py` (part of `make bench`); "
        f"load average (1/5/15 min) {load_before[0]:.2f}/{load_before[1]:.2f}/"
        f"{load_before[2]:.2f} before, {load_after[0]:.2f}/{load_after[1]:.2f}/"
        f"{load_after[2]:.2f} after.",
        "",
        "| tool | push | wall (s) | wall per device (s) | client CPU per device (s) "
        "| device CPU per device (s) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
        row("netops", "first"),
        row("ansible", "first"),
        row("netops", "second"),
        row("ansible", "second"),
        "",
        f"- netops ÷ Ansible wall time: first push {ratio['first']:.3f}×, second push "
        f"{ratio['second']:.3f}× (target ≤ 0.2× on both)",
        "- client CPU: the tool's process and its children (getrusage); device CPU: the "
        "helper process serving the fleet (/proc)",
        "- the second Ansible run leaves the `/radius` secret out of its data: the lab device "
        "never prints it, and with it api_modify adds a second `/radius` entry on every run "
        "(docs/mikrotik.md); both second runs are checked to change nothing",
        "- where Ansible's time goes: every task on every host runs its module as a new "
        "Python process (AnsiballZ: start Python, import librouteros, log in, read the "
        f"path): {runs[('ansible', 'first')].client_cpu / DEVICES:.1f} CPU s a device for "
        "one task per path, on both pushes, against netops's one API session per device "
        "that reads every path over one connection",
        "",
    ]
    write_section("\n".join(lines))
    print("\n".join(lines))
