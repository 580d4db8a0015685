"""The shipped and generated rules loaded by a real Prometheus that scrapes the real netops
exporter polling net-snmp's snmpd: the recording rules see the exporter's real names and
labels; the device that answers ping without an SNMP agent is SnmpDown, not unreachable."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.snmp_peers import (
    NETOPS,
    ExporterProcess,
    Snmpd,
    free_port,
    make_inventory,
    need,
    start_exporter,
    start_snmpd,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def netops(*args: str) -> None:
    out = subprocess.run([NETOPS, *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def query(url: str, promql: str) -> list[dict[str, Any]]:
    data = urllib.parse.urlencode({"query": promql}).encode()
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query", data=data, timeout=5) as response:
            result: list[dict[str, Any]] = json.load(response)["data"]["result"]
    except OSError:
        return []
    return result


def wait_for(url: str, promql: str, seconds: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = query(url, promql)
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"Prometheus never answered {promql!r}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[str]:
    agent: Snmpd = start_snmpd(tmp_path / "snmpd")
    exporter: ExporterProcess | None = None
    proc: subprocess.Popen[bytes] | None = None
    try:
        inventory = make_inventory(tmp_path / "lab", agent.port)
        exporter = start_exporter(inventory)
        conf = tmp_path / "prometheus"
        netops("prometheus", "targets", "-i", str(inventory), "--site", "lab-park", "-o", str(conf))
        netops("prometheus", "rules", "-i", str(inventory), "-o", str(conf / "netops-rules.yml"))
        netops(
            "prometheus", "config", "-i", str(inventory), "-o", str(conf / "prometheus.yml"),
            "--exporter", exporter.address, "--scrape-interval", "1s", "--scrape-timeout", "1s",
        )  # fmt: skip
        port = free_port(kind=1)
        proc = subprocess.Popen(
            [
                need("prometheus"),
                f"--config.file={conf / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "prometheus.log").open("w"),
        )
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)
        if exporter is not None:
            exporter.stop()
        agent.stop()


def test_real_prometheus_evaluates_the_rules_on_the_exporters_series(stack: str) -> None:
    url = stack
    loaded = wait_for(url, 'count(netops_link_info{device="lab-hs-01"})')
    assert loaded[0]["value"][1] == "2"  # ether1 and ether2 are inventory links
    up = wait_for(url, 'netops:device_reachable{device="lab-hs-01"} == 1')
    assert up[0]["metric"] == {
        "__name__": "netops:device_reachable",
        "device": "lab-hs-01",
        "site": "lab-park",
        "role": "hotspot-gateway",
    }
    # lab-ap-01 (127.0.1.5) answers ping but runs no SNMP agent: reachable, SnmpDown pending.
    wait_for(url, 'netops:device_reachable{device="lab-ap-01"} == 1')
    wait_for(url, 'netops:snmp_up{device="lab-ap-01"} == 0')
    pending = wait_for(url, 'ALERTS{alertname="SnmpDown"}')
    assert [a["metric"]["device"] for a in pending] == ["lab-ap-01"]
    assert pending[0]["metric"]["severity"] == "warning"
    assert pending[0]["metric"]["alertstate"] == "pending"
    assert query(url, 'ALERTS{alertname="DeviceUnreachable"}') == []
    assert wait_for(url, 'netops:hotspot_open{hotspot="lab-park"}')[0]["value"][1] == "1"
    # snmpd's uptime is real: the DeviceRebooted expression evaluates and stays quiet.
    wait_for(url, 'sysUpTime{device="lab-hs-01"}')
    assert query(url, 'ALERTS{alertname=~"DeviceRebooted|LinkDown|HotspotNoSessions"}') == []
