"""Every panel of the command-centre dashboards returns data from a real Prometheus that
scrapes the lab: the lab's own SNMP agents (snmpsim serving `netops.lab.snmprec`, RouterOS
columns included) for every lab device, polled by `netops exporter serve`, with the scrape
configuration and rules `netops prometheus config` / `rules` generate.

Only the SNMP agents run (no FRR, no `netops lab up`): each device gets its own loopback
address (127.0.2.N) so the exporter tells them apart as it tells real devices apart."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from netops.inventory import load_inventory
from netops.lab.runtime import agent_answers, agent_command
from netops.lab.snmprec import device_records, render, share
from tests.paths import REPO
from tests.support.snmp_peers import (
    NETOPS,
    ExporterProcess,
    free_port,
    make_inventory,
    need,
    running_prometheus,
    start_exporter,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

DASHBOARDS = REPO / "exporters" / "grafana" / "dashboards"
CHECKED = ("city-overview", "hotspot-detail", "device-health")
VARIABLES = {"hotspot": "lab-park", "device": "lab-hs-01|lab-ap-01"}
MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def netops(*args: str) -> str:
    out = subprocess.run([NETOPS, *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def query(url: str, promql: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=10)
    assert response.status_code == 200, f"{promql}: {response.text}"
    result: list[dict[str, Any]] = response.json()["data"]["result"]
    return result


def panel_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel or variable, PromQL with Grafana's variables filled in)."""
    out = []
    for name in CHECKED:
        board = json.loads((DASHBOARDS / f"{name}.json").read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                out.append((name, f"{panel['title']} [{target['refId']}]", target["expr"]))
        for var in board["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", var["query"]["query"])
            assert match, var["query"]
            out.append((name, f"variable {var['name']}", match.group(1)))
    return [(board_name, title, fill(expr)) for board_name, title, expr in out]


def fill(expr: str) -> str:
    """``expr`` as Grafana sends it for the lab: macros and variables replaced."""
    for macro, value in MACROS.items():
        expr = expr.replace(macro, value)
    for var_name, value in VARIABLES.items():
        expr = expr.replace(f"${var_name}", value)
    assert "$" not in expr, f"unfilled variable in {expr}"
    return expr


@pytest.fixture(scope="module")
def lab_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The lab inventory with every device on its own loopback address and port, each
    answered by the lab's snmpsim agent with that device's records."""
    tmp = tmp_path_factory.mktemp("lab-city")
    inventory = make_inventory(tmp / "inventory", 161)
    devices_file = inventory / "devices.yml"
    data = yaml.safe_load(devices_file.read_text())
    for n, device in enumerate(data["devices"], start=1):
        device["mgmt_ip"] = f"127.0.2.{n}"
        device["snmp_port"] = free_port(host=f"127.0.2.{n}")
    devices_file.write_text(yaml.safe_dump(data, sort_keys=False))
    sites_file = inventory / "sites.yml"  # the FRR routers' 10.254.0.0/24 moves to loopback
    sites = yaml.safe_load(sites_file.read_text())
    sites["prefixes"] = [p for p in sites["prefixes"] if p["prefix"] != "10.254.0.0/24"]
    sites_file.write_text(yaml.safe_dump(sites, sort_keys=False))
    inv = load_inventory(inventory)
    profile = inv.snmp["public_v2"]
    agents = []
    try:
        for device in inv.devices:
            argv = agent_command(
                tmp / "agents" / device.hostname,
                render(device_records(inv, device)),
                profile,
                f"{device.mgmt_ip}:{device.snmp_port}",
            )
            agents.append(
                subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        deadline = time.monotonic() + 90
        for device in inv.devices:
            assert device.snmp_port is not None
            while not agent_answers(profile, str(device.mgmt_ip), device.snmp_port):
                assert time.monotonic() < deadline, f"{device.hostname}: agent never answered"
                time.sleep(0.2)
        yield inventory
    finally:
        for agent in agents:
            agent.terminate()
        for agent in agents:
            agent.wait(10)


@pytest.fixture(scope="module")
def city_exporter(lab_city: Path) -> Iterator[ExporterProcess]:
    proc = start_exporter(lab_city)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def prometheus(
    tmp_path_factory: pytest.TempPathFactory, lab_city: Path, city_exporter: ExporterProcess
) -> Iterator[str]:
    """Prometheus with the generated config, targets and rules, scraping every second."""
    binary = need("prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    conf = tmp / "conf"
    netops("prometheus", "targets", "-i", str(lab_city), "-o", str(conf))
    netops("prometheus", "rules", "-i", str(lab_city), "-o", str(conf / "netops-rules.yml"))
    netops(
        "prometheus", "config", "-i", str(lab_city), "-o", str(conf / "prometheus.yml"),
        "--exporter", city_exporter.address, "--scrape-interval", "1s", "--scrape-timeout", "1s",
    )  # fmt: skip
    with running_prometheus(binary, conf / "prometheus.yml", tmp) as url:
        yield url


def test_every_panel_of_the_command_centre_dashboards_returns_data_from_the_lab(
    prometheus: str,
) -> None:
    queries = panel_queries()
    assert len(queries) > 40
    empty = queries
    deadline = time.monotonic() + 120
    while empty and time.monotonic() < deadline:
        time.sleep(2)
        empty = [(b, t, e) for b, t, e in empty if not query(prometheus, e)]
    assert not empty, "panels without data:\n" + "\n".join(f"{b}: {t}: {e}" for b, t, e in empty)


def test_hotspot_users_and_ap_clients_shown_are_what_the_devices_report(
    prometheus: str, lab_city: Path
) -> None:
    """The figures on the wall are the agents' own: the gateway's hotspot table rows and
    the AP's mtxrWlApClientCount (not its frequency, 2412)."""
    users = 5 + int(20 * share("lab-hs-01", "hotspot-users"))
    clients = 3 + int(12 * share("lab-ap-01", "wlan1", "clients"))
    hotspot = json.loads((DASHBOARDS / "hotspot-detail.json").read_text())
    exprs = {p["title"]: fill(p["targets"][0]["expr"]) for p in hotspot["panels"]}

    deadline = time.monotonic() + 60
    while not query(prometheus, "mtxrHotspotActiveUsers or mtxrWlApClientCount")[1:]:
        assert time.monotonic() < deadline, "the RouterOS series never arrived"
        time.sleep(1)

    def value(expr: str) -> float:
        result = query(prometheus, expr)
        assert result, expr
        return float(result[0]["value"][1])

    assert value(exprs["Pengguna sekarang / Users now"]) == users
    assert value(exprs["Klien WiFi / Wi-Fi clients"]) == clients
    per_ap = query(prometheus, exprs["Klien per AP / Clients per AP"])
    assert [(r["metric"]["device"], r["metric"]["ifName"], r["value"][1]) for r in per_ap] == [
        ("lab-ap-01", "wlan1", str(clients))
    ]
