"""SNMP exporter benchmark: netops vs Prometheus snmp_exporter, in the same run.

1. One if_mib scrape of a net-snmp snmpd with 202 interfaces (100 veth pairs in a network
   namespace), over v2c and over v3 authPriv SHA/AES: median wall time and CPU time per
   scrape of each exporter, and the ratio.
   snmp_exporter gets an if_mib module generated from netops' own (same OIDs, types,
   look-ups), in its 0.21 format.
2. Devices per minute: many simulated agents (snmpsim, one UDP endpoint per device, a
   24-port switch each) scraped through each exporter's HTTP endpoint with a few scrapes
   in flight, plus each exporter's (and snmpsim's) CPU seconds per device scrape.

Figures go to docs/benchmarks.md, section ``## SNMP exporter``.
Run: ``make bench`` or ``.venv/bin/pytest -q -s tests/bench/test_snmp_bench.py``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]

from tests.support.snmp_peers import (  # noqa: E402
    Process,
    add_veth_pairs,
    free_port,
    make_inventory,
    namespace,
    start_exporter,
    start_snmp_exporter,
    start_snmpd,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

DOC = REPO / "docs" / "benchmarks.md"
SECTION = "## SNMP exporter"
SCRAPES = 30
DEVICES = 100
CONCURRENCY = 8
RESULTS: dict[str, Any] = {}


@pytest.fixture(scope="module")
def exporters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Process]]:
    tmp = tmp_path_factory.mktemp("exporters")
    peer = start_snmp_exporter(tmp)
    # The same SNMP timeout and retries as the snmp_exporter module below.
    profiles = {"bench_v2": {"version": "2c", "community": "public", "timeout": 5, "retries": 1}}
    ours = start_exporter(make_inventory(tmp / "lab", 161, snmp_profiles=profiles))
    try:
        yield {"snmp_exporter": peer, "netops": Process(ours.proc, ours.url)}
    finally:
        peer.stop()
        ours.stop()


def _scrape(
    client: httpx.Client, exporter: str, url: str, target: str, version: str = "v2c"
) -> httpx.Response:
    if exporter == "netops":
        auth = "bench_v2" if version == "v2c" else "lab-v3"
        params = {"target": target, "module": "if_mib", "auth": auth}
    else:
        params = {"target": target, "module": "if_mib" if version == "v2c" else "if_mib_v3"}
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": "60"}
    return client.get(f"{url}/snmp", params=params, headers=headers, timeout=120)


def test_if_mib_scrape_of_202_interfaces_against_snmp_exporter(
    tmp_path_factory: pytest.TempPathFactory, exporters: dict[str, Process]
) -> None:
    with namespace("bench") as ns:
        add_veth_pairs(ns.name, 100)
        agent = start_snmpd(tmp_path_factory.mktemp("snmpd"), ns.ns_ip, ns.name)
        try:
            for version in ("v2c", "v3"):
                RESULTS[f"scrape-{version}"] = _compare(exporters, agent, version)
        finally:
            agent.stop()
    for version in ("v2c", "v3"):
        result = RESULTS[f"scrape-{version}"]
        print(f"\nif_mib {version}, 202 interfaces: {result}")
        assert result["series"]["netops"] == result["series"]["snmp_exporter"]


def _compare(exporters: dict[str, Process], agent: Any, version: str) -> dict[str, Any]:
    walls: dict[str, list[float]] = {name: [] for name in exporters}
    cpus: dict[str, float] = {}
    series: dict[str, int] = {}
    with httpx.Client() as client:
        for name, proc in exporters.items():
            for _ in range(3):  # warm-up
                response = _scrape(client, name, proc.url, agent.target, version)
                assert response.status_code == 200, response.text
            series[name] = sum(1 for line in response.text.splitlines() if line.startswith("if"))
        cpu_before = {name: proc.cpu() for name, proc in exporters.items()}
        snmpd = Process(agent.proc, "")  # `ip netns exec` execs snmpd: same pid
        agent_cpu = dict.fromkeys(exporters, 0.0)
        for _ in range(SCRAPES):  # alternate, so both see the same machine load
            for name, proc in exporters.items():
                agent_before = snmpd.cpu()
                started = time.perf_counter()
                response = _scrape(client, name, proc.url, agent.target, version)
                walls[name].append(time.perf_counter() - started)
                agent_cpu[name] += (snmpd.cpu() - agent_before) / SCRAPES
                assert response.status_code == 200
        for name, proc in exporters.items():
            cpus[name] = (proc.cpu() - cpu_before[name]) / SCRAPES
    wall = {name: statistics.median(values) for name, values in walls.items()}
    return {"wall": wall, "cpu": cpus, "series": series, "agent": agent_cpu}


def _snmprec(ports: int) -> str:
    """A 24-port switch: ifTable and ifXTable rows, counters moving between reads."""
    lines = ["1.3.6.1.2.1.1.3.0|67|12345", f"1.3.6.1.2.1.2.1.0|2|{ports}"]
    cols = {
        "1.3.6.1.2.1.2.2.1": [
            (1, 2, "{i}"),
            (2, 4, "port{i}"),
            (3, 2, "6"),
            (4, 2, "1500"),
            (5, 66, "1000000000"),
            (6, 4, ""),
            (7, 2, "1"),
            (8, 2, "1"),
            (9, 67, "100"),
            (10, 65, "{c}"),
            (11, 65, "{c}"),
            (12, 65, "0"),
            (13, 65, "0"),
            (14, 65, "0"),
            (15, 65, "0"),
            (16, 65, "{c}"),
            (17, 65, "{c}"),
            (18, 65, "0"),
            (19, 65, "0"),
            (20, 65, "0"),
            (21, 66, "0"),
        ],
        "1.3.6.1.2.1.31.1.1.1": [
            (1, 4, "ge-0/0/{i}"),
            (2, 65, "0"),
            (3, 65, "0"),
            (4, 65, "0"),
            (5, 65, "0"),
            (6, 70, "{c}"),
            (7, 70, "{c}"),
            (8, 70, "0"),
            (9, 70, "0"),
            (10, 70, "{c}"),
            (11, 70, "{c}"),
            (12, 70, "0"),
            (13, 70, "0"),
            (14, 2, "2"),
            (15, 66, "1000"),
            (16, 2, "2"),
            (17, 2, "1"),
            (18, 4, "port {i}"),
            (19, 67, "0"),
        ],
    }
    for table, columns in cols.items():
        for column, tag, value in columns:
            for i in range(1, ports + 1):
                text = value.format(i=i, c=1000 * i + column)
                lines.append(f"{table}.{column}.{i}|{tag}|{text}")

    def key(line: str) -> tuple[int, ...]:
        return tuple(int(p) for p in line.split("|")[0].split("."))

    return "\n".join(sorted(lines, key=key)) + "\n"


def test_devices_per_minute_with_simulated_agents(
    tmp_path_factory: pytest.TempPathFactory, exporters: dict[str, Process]
) -> None:
    tmp = tmp_path_factory.mktemp("snmpsim")
    data = tmp / "data"
    data.mkdir()
    (data / "public.snmprec").write_text(_snmprec(24))
    ports = [free_port() for _ in range(DEVICES)]
    endpoints = [f"--agent-udpv4-endpoint=127.0.0.1:{p}" for p in ports]
    responder = str(Path(sys.executable).with_name("snmpsim-command-responder"))
    args_file = tmp / "args"
    args_file.write_text("\n".join(endpoints) + "\n")
    sim = subprocess.Popen(
        [
            responder,
            f"--data-dir={data}",
            f"--cache-dir={tmp / 'cache'}",
            "--logging-method=null",
            "--process-user=root",
            "--process-group=root",
            *endpoints,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
            deadline = time.monotonic() + 120
            while True:
                response = _scrape(
                    client, "netops", exporters["netops"].url, f"127.0.0.1:{ports[-1]}"
                )
                if response.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert response.status_code == 200, response.text
            rates: dict[str, float] = {}
            cpu_per_device: dict[str, float] = {}
            failures: dict[str, int] = {}
            sim_cpu: dict[str, float] = {}
            for name, proc in exporters.items():
                sim_before = Process(sim, "").cpu()
                before = proc.cpu()
                started = time.perf_counter()

                def one(port: int, name: str = name, proc: Process = proc) -> tuple[int, str]:
                    response = _scrape(client, name, proc.url, f"127.0.0.1:{port}")
                    return response.status_code, response.text[:300]

                with ThreadPoolExecutor(CONCURRENCY) as pool:
                    answers = list(pool.map(one, ports))
                codes = [code for code, _ in answers]
                errors = [text for code, text in answers if code != 200]
                if errors:
                    print(f"\n{name}: {len(errors)} failed, first: {errors[0]}")
                took = time.perf_counter() - started
                rates[name] = DEVICES / took * 60
                cpu_per_device[name] = (proc.cpu() - before) / DEVICES
                sim_cpu[name] = (Process(sim, "").cpu() - sim_before) / DEVICES
                failures[name] = sum(1 for c in codes if c != 200)
    finally:
        sim.terminate()
        sim.wait(10)
    RESULTS["fleet"] = {
        "rates": rates,
        "cpu": cpu_per_device,
        "failures": failures,
        "sim_cpu": sim_cpu,
    }
    print(
        f"\n{DEVICES} simulated devices: per minute {rates}, cpu/device {cpu_per_device}, "
        f"failures {failures}, snmpsim cpu/device {sim_cpu}"
    )
    assert failures["netops"] == 0
    _write_doc()


def _write_doc() -> None:
    fleet = RESULTS["fleet"]
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
        f"{os.cpu_count()} cores shared with other work, by "
        "`.venv/bin/pytest -q -s tests/bench/test_snmp_bench.py` (`make bench`).",
        "Both exporters run side by side and are scraped in alternation over HTTP; CPU is the "
        "exporter process's user+system time (from /proc) divided by the scrapes. "
        f"Load average at the end of the run: {os.getloadavg()[0]:.1f} (other test suites "
        "share the machine), so compare the ratios; absolute times grow with the load.",
        "",
    ]
    for version in ("v2c", "v3"):
        scrape = RESULTS.get(f"scrape-{version}")
        if not scrape:
            continue
        w, c, s, a = scrape["wall"], scrape["cpu"], scrape["series"], scrape["agent"]
        lines += [
            f"### if_mib over {'SNMPv2c' if version == 'v2c' else 'SNMPv3 authPriv SHA/AES'}: "
            f"net-snmp snmpd with 202 interfaces (median of {SCRAPES})",
            "",
            "| exporter | wall per scrape | CPU per scrape | snmpd CPU per scrape | if* series |",
            "| --- | --- | --- | --- | --- |",
            f"| Prometheus snmp_exporter 0.21 | {w['snmp_exporter'] * 1000:.1f} ms | "
            f"{c['snmp_exporter'] * 1000:.1f} ms | {a['snmp_exporter'] * 1000:.1f} ms | "
            f"{s['snmp_exporter']} |",
            f"| netops exporter | {w['netops'] * 1000:.1f} ms | "
            f"{c['netops'] * 1000:.1f} ms | {a['netops'] * 1000:.1f} ms | {s['netops']} |",
            f"| **ratio netops / snmp_exporter** | **{w['netops'] / w['snmp_exporter']:.2f}×** | "
            f"**{c['netops'] / c['snmp_exporter']:.2f}×** | | |",
            "",
        ]
    r, cpu, f, sim = fleet["rates"], fleet["cpu"], fleet["failures"], fleet["sim_cpu"]
    lines += [
        f"### {DEVICES} simulated devices (snmpsim, 24-port if_mib each, {CONCURRENCY} in flight)",
        "",
        "| exporter | devices per minute | exporter CPU per device | failed | "
        "snmpsim CPU per device |",
        "| --- | --- | --- | --- | --- |",
        f"| Prometheus snmp_exporter 0.21 | {r['snmp_exporter']:.0f} | "
        f"{cpu['snmp_exporter'] * 1000:.1f} ms | {f['snmp_exporter']} | "
        f"{sim['snmp_exporter'] * 1000:.1f} ms |",
        f"| netops exporter | {r['netops']:.0f} | {cpu['netops'] * 1000:.1f} ms | "
        f"{f['netops']} | {sim['netops'] * 1000:.1f} ms |",
        "",
        "snmpsim answers through pysnmp and shares the two cores, so it bounds the end-to-end "
        "rate; the exporter's own CPU per device gives its capacity: 120 s of CPU per minute "
        f"on 2 cores ÷ {cpu['netops'] * 1000:.1f} ms ≈ {120 / cpu['netops']:.0f} devices per "
        "minute for netops.",
        "",
    ]
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    start = text.find(SECTION)
    if start >= 0:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + "\n".join(lines) + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    DOC.write_text(text)
