"""The MikroTik and HOST-RESOURCES modules against a simulated RouterOS agent (snmpsim)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.snmp_peers import ExporterProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MT = "1.3.6.1.4.1.14988.1.1"
STATION_A = "0.12.66.1.2.3"  # MAC 00:0C:42:01:02:03 as OID sub-identifiers
STATION_B = "0.12.66.1.2.4"
RECORDS = [
    ("1.3.6.1.2.1.1.3.0", 67, "424242"),
    ("1.3.6.1.2.1.25.3.3.1.2.1", 2, "17"),
    ("1.3.6.1.2.1.25.3.3.1.2.2", 2, "23"),
    *[
        (f"1.3.6.1.2.1.31.1.1.1.1.{i}", 4, name)
        for i, name in ((1, "ether1"), (2, "ether2"), (3, "wlan1"), (4, "wlan2"))
    ],
    (f"{MT}.1.2.1.3.{STATION_A}.3", 2, "-61"),
    (f"{MT}.1.2.1.3.{STATION_B}.3", 2, "-72"),
    (f"{MT}.1.2.1.3.{STATION_A}.4", 2, "-55"),
    (f"{MT}.1.2.1.12.{STATION_A}.3", 2, "30"),
    (f"{MT}.1.3.1.4.3", 4, "WiFi Gratis Banjarmasin"),
    (f"{MT}.1.3.1.4.4", 4, "WiFi Pegawai"),
    (f"{MT}.1.3.1.6.3", 65, "2"),
    (f"{MT}.1.3.1.6.4", 65, "1"),
    (f"{MT}.3.8.0", 2, "241"),
    (f"{MT}.3.10.0", 2, "415"),
    (f"{MT}.3.14.0", 2, "880"),
    *[(f"{MT}.5.1.1.2.{i}", 2, "1") for i in (7, 8, 9)],
]


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


@pytest.fixture(scope="module")
def routeros_sim() -> Iterator[int]:
    """snmpsim answering community ``public`` with a RouterOS hotspot gateway's data."""
    with tempfile.TemporaryDirectory(prefix="nxsnmp-sim-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        rows = sorted(RECORDS, key=lambda r: _key(r[0]))
        (data / "public.snmprec").write_text("".join(f"{o}|{t}|{v}\n" for o, t, v in rows))
        port = free_port()
        responder = Path(sys.executable).with_name("snmpsim-command-responder")
        assert responder.exists(), "snmpsim is not installed in the venv: run `make deps`"
        proc = subprocess.Popen(
            [
                str(responder),
                f"--data-dir={data}",
                f"--cache-dir={Path(tmp) / 'cache'}",
                f"--agent-udpv4-endpoint=127.0.0.1:{port}",
                "--logging-method=null",
                "--process-user=root",
                "--process-group=root",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                probe = subprocess.run(
                    [
                        "snmpget",
                        "-v2c",
                        "-c",
                        "public",
                        "-t",
                        "1",
                        "-r",
                        "0",
                        f"127.0.0.1:{port}",
                        "1.3.6.1.2.1.1.3.0",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=10,
                )
                if probe.returncode == 0:
                    break
                assert proc.poll() is None, "snmpsim exited"
            yield port
        finally:
            proc.terminate()
            proc.wait(10)


def test_mikrotik_module_reports_clients_registrations_hotspot_users_and_health(
    exporter: ExporterProcess, routeros_sim: int
) -> None:
    response = httpx.get(
        f"{exporter.url}/snmp",
        params={
            "target": f"127.0.0.1:{routeros_sim}",
            "module": "mikrotik,host_resources",
            "auth": "public_v2",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    series: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(response.text):
        for s in fam.samples:
            series.setdefault(s.name, []).append((s.labels, s.value))
    clients = {lb["ifName"]: (lb["mtxrWlApSsid"], v) for lb, v in series["mtxrWlApClientCount"]}
    assert clients == {"wlan1": ("WiFi Gratis Banjarmasin", 2), "wlan2": ("WiFi Pegawai", 1)}
    registrations = {lb["ifName"]: v for lb, v in series["mtxrWlRegistrations"]}
    assert registrations == {"wlan1": 2, "wlan2": 1}
    strength = {(lb["mtxrWlRtabAddr"], lb["ifName"]): v for lb, v in series["mtxrWlRtabStrength"]}
    assert strength[("00:0C:42:01:02:03", "wlan1")] == -61
    assert series["mtxrHotspotActiveUsers"][0][1] == 3
    assert series["mtxrHlTemperature"][0][1] == pytest.approx(41.5)
    assert series["mtxrHlVoltage"][0][1] == pytest.approx(24.1)
    assert series["mtxrHlProcessorFrequency"][0][1] == 880
    assert sorted(v for _, v in series["hrProcessorLoad"]) == [17, 23]
    assert "mtxrHlCpuTemperature" not in series  # not on this board: no series
