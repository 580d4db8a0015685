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
WLAP = f"{MT}.1.3.1"  # mtxrWlApEntry
RTAB = f"{MT}.1.2.1"  # mtxrWlRtabEntry, index: station MAC (6 sub-ids) . ifIndex
CMRTAB = f"{MT}.1.5.1"  # mtxrWlCMRtabEntry, the same index
CM = f"{MT}.1.7.1"  # mtxrWlCMEntry
CMREMOTE = f"{MT}.1.11.1"  # mtxrWlCMRemoteEntry
HOTSPOT = f"{MT}.5.1.1"  # mtxrHotspotActiveUsersTableEntry


def _station(n: int) -> str:
    return f"44.201.143.0.{n // 256}.{n % 256}"  # 2C:C9:8F:00:… as OID sub-identifiers


def _ap_row(index: int, ssid: str, bssid: str, clients: int, freq: int, band: str, auth: int):
    """Every column of one mtxrWlApEntry, in the MIB's order (2 TxRate … 11 AuthClientCount)."""
    return [
        (f"{WLAP}.2.{index}", 66, "144400000"),
        (f"{WLAP}.3.{index}", 66, "130000000"),
        (f"{WLAP}.4.{index}", 4, ssid),
        (f"{WLAP}.5.{index}", "4x", bssid),
        (f"{WLAP}.6.{index}", 65, str(clients)),
        (f"{WLAP}.7.{index}", 2, str(freq)),
        (f"{WLAP}.8.{index}", 4, band),
        (f"{WLAP}.9.{index}", 2, "-105"),
        (f"{WLAP}.10.{index}", 65, "87"),
        (f"{WLAP}.11.{index}", 65, str(auth)),
    ]


def _rtab_row(station: int, if_index: int, strength: int):
    """The columns of one mtxrWlRtabEntry a RouterOS 6 AP fills (3 Strength … 12 SNR)."""
    i = f"{_station(station)}.{if_index}"
    return [
        (f"{RTAB}.3.{i}", 2, str(strength)),
        (f"{RTAB}.4.{i}", 65, str(1000 * station)),
        (f"{RTAB}.5.{i}", 65, str(2000 * station)),
        (f"{RTAB}.8.{i}", 66, "72200000"),
        (f"{RTAB}.9.{i}", 66, "65000000"),
        (f"{RTAB}.11.{i}", 67, "36000"),
        (f"{RTAB}.12.{i}", 2, str(strength + 100)),
    ]


def _cm_rtab_row(station: int, if_index: int, ssid: str):
    i = f"{_station(station)}.{if_index}"
    return [
        (f"{CMRTAB}.1.{i}", "4x", "2cc98f00" + f"{station:04x}"),
        (f"{CMRTAB}.3.{i}", 67, "12000"),
        (f"{CMRTAB}.10.{i}", 2, "-40"),
        (f"{CMRTAB}.11.{i}", 2, "-58"),
        (f"{CMRTAB}.12.{i}", 4, ssid),
    ]


# A RouterOS hotspot gateway as snmpwalk shows it: ifIndex 3 and 4 are legacy `wireless`
# APs (wlan1: 10 clients on 2412 MHz, 9 of them authenticated), ifIndex 7 and 8 are CAPsMAN
# interfaces for one remote cAP, 3 hotspot users are logged in.
RECORDS = [
    ("1.3.6.1.2.1.1.3.0", 67, "424242"),
    ("1.3.6.1.2.1.25.3.2.1.3.1", 4, "CPU 1"),
    ("1.3.6.1.2.1.25.3.2.1.3.2", 4, "CPU 2"),
    ("1.3.6.1.2.1.25.3.3.1.2.1", 2, "17"),
    ("1.3.6.1.2.1.25.3.3.1.2.2", 2, "23"),
    *[
        (f"1.3.6.1.2.1.31.1.1.1.1.{i}", 4, name)
        for i, name in (
            (1, "ether1"),
            (2, "ether2"),
            (3, "wlan1"),
            (4, "wlan2"),
            (7, "cap-park-1"),
            (8, "cap-park-2"),
        )
    ],
    *_ap_row(3, "WiFi Gratis Banjarmasin", "2cc98f000001", 10, 2412, "2ghz-b/g/n", 9),
    *_ap_row(4, "WiFi Pegawai", "2cc98f000002", 1, 5180, "5ghz-a/n/ac", 1),
    *[row for n in range(1, 11) for row in _rtab_row(n, 3, -50 - n)],
    *_rtab_row(11, 4, -66),
    (f"{MT}.1.4.0", 66, "11"),
    *[row for n in range(20, 24) for row in _cm_rtab_row(n, 7, "WiFi Gratis Banjarmasin")],
    *_cm_rtab_row(24, 8, "WiFi Pegawai"),
    (f"{MT}.1.6.0", 66, "5"),
    (f"{CM}.2.7", 65, "4"),
    (f"{CM}.2.8", 65, "1"),
    (f"{CM}.3.7", 65, "4"),
    (f"{CM}.3.8", 65, "1"),
    (f"{CM}.4.7", 4, "running-ap"),
    (f"{CM}.4.8", 4, "running-ap"),
    (f"{CM}.5.7", 4, "2437/20-Ce/gn(20dBm)"),
    (f"{CM}.5.8", 4, "5500/20-Ceee/ac(23dBm)"),
    (f"{MT}.1.10.0", 66, "1"),
    (f"{CMREMOTE}.2.1", 4, "cap-taman-kamboja"),
    (f"{CMREMOTE}.3.1", 4, "Run"),
    (f"{CMREMOTE}.4.1", 4, "10.30.4.12/48:8F:5A:00:00:AA"),
    (f"{CMREMOTE}.5.1", 65, "2"),
    (f"{MT}.3.8.0", 2, "241"),
    (f"{MT}.3.10.0", 2, "415"),
    (f"{MT}.3.11.0", 2, "523"),
    (f"{MT}.3.12.0", 2, "87"),
    (f"{MT}.3.13.0", 2, "361"),
    (f"{MT}.3.14.0", 2, "880"),
    (f"{MT}.3.15.0", 2, "1"),
    (f"{MT}.3.16.0", 2, "0"),
    (f"{MT}.3.100.1.2.1", 4, "cpu-temperature"),
    (f"{MT}.3.100.1.3.1", 66, "52"),
    (f"{MT}.3.100.1.4.1", 2, "1"),
    (f"{MT}.3.100.1.2.2", 4, "psu1-voltage"),
    (f"{MT}.3.100.1.3.2", 66, "242"),
    (f"{MT}.3.100.1.4.2", 2, "3"),
    *[
        row
        for i in (7, 8, 9)
        for row in (
            (f"{HOTSPOT}.2.{i}", 2, "1"),
            (f"{HOTSPOT}.3.{i}", 4, f"voucher-{i}"),
            (f"{HOTSPOT}.5.{i}", 64, f"10.30.0.{i}"),
            (f"{HOTSPOT}.6.{i}", "4x", f"2cc98f0100{i:02x}"),
        )
    ],
    (f"{MT}.6.1.0", 66, "14"),
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
            "module": "if_mib,system,mikrotik,host_resources",
            "auth": "public_v2",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    series: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(response.text):
        for s in fam.samples:
            series.setdefault(s.name, []).append((s.labels, s.value))

    def by_if(name: str) -> dict[str, float]:
        return {lb["ifName"]: v for lb, v in series[name]}

    clients = {lb["ifName"]: (lb["mtxrWlApSsid"], v) for lb, v in series["mtxrWlApClientCount"]}
    assert clients == {"wlan1": ("WiFi Gratis Banjarmasin", 10), "wlan2": ("WiFi Pegawai", 1)}
    assert by_if("mtxrWlApAuthClientCount") == {"wlan1": 9, "wlan2": 1}
    assert by_if("mtxrWlApFreq") == {"wlan1": 2412, "wlan2": 5180}
    assert by_if("mtxrWlApNoiseFloor") == {"wlan1": -105, "wlan2": -105}
    assert {lb["mtxrWlApBand"] for lb, _ in series["mtxrWlApClientCount"]} == {
        "2ghz-b/g/n",
        "5ghz-a/n/ac",
    }
    assert by_if("mtxrWlRegistrations") == {"wlan1": 10, "wlan2": 1}
    assert series["mtxrWlRtabEntryCount"][0][1] == 11
    # CAPsMAN: per-interface client counts, stations per interface and SSID, remote CAPs.
    assert by_if("mtxrWlCMRegClientCount") == {"cap-park-1": 4, "cap-park-2": 1}
    assert {lb["mtxrWlCMState"] for lb, _ in series["mtxrWlCMAuthClientCount"]} == {"running-ap"}
    cm = {(lb["ifName"], lb["mtxrWlCMRtabSsid"]): v for lb, v in series["mtxrWlCMRegistrations"]}
    assert cm == {("cap-park-1", "WiFi Gratis Banjarmasin"): 4, ("cap-park-2", "WiFi Pegawai"): 1}
    assert series["mtxrWlCMRtabEntryCount"][0][1] == 5
    (remote,) = series["mtxrWlCMRemoteRadios"]
    assert remote[0]["mtxrWlCMRemoteName"] == "cap-taman-kamboja" and remote[1] == 2
    # Hotspot, DHCP and health.
    assert series["mtxrHotspotActiveUsers"][0][1] == 3
    assert series["mtxrDHCPLeaseCount"][0][1] == 14
    assert series["mtxrHlTemperature"][0][1] == pytest.approx(41.5)
    assert series["mtxrHlProcessorTemperature"][0][1] == pytest.approx(52.3)
    assert series["mtxrHlVoltage"][0][1] == pytest.approx(24.1)
    assert series["mtxrHlPower"][0][1] == pytest.approx(8.7)
    assert series["mtxrHlCurrent"][0][1] == 361
    assert series["mtxrHlProcessorFrequency"][0][1] == 880
    assert series["mtxrHlPowerSupplyState"][0][1] == 1
    assert series["mtxrHlBackupPowerSupplyState"][0][1] == 0
    gauges = {lb["mtxrGaugeName"]: (lb["mtxrGaugeUnit"], v) for lb, v in series["mtxrGaugeValue"]}
    assert gauges == {"cpu-temperature": ("1", 52), "psu1-voltage": ("3", 242)}
    assert "mtxrHlCpuTemperature" not in series  # not on this board: no series
    # hrProcessorLoad comes from host_resources only, with its processor's description.
    load = {lb["hrDeviceDescr"]: v for lb, v in series["hrProcessorLoad"]}
    assert load == {"CPU 1": 17, "CPU 2": 23}
    # No station or hotspot user is exported one by one: no MAC address, no user name.
    text = response.text.lower()
    assert "2c:c9:8f" not in text and "voucher-" not in text
