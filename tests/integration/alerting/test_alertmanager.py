"""The shipped Alertmanager configuration in a real Alertmanager: the inhibition rules
silence exactly what they should."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.paths import REPO

CONFIG = REPO / "exporters" / "prometheus" / "alertmanager.yml"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _call(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json"},
        method="POST" if data else "GET",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read()
    return json.loads(text) if text else None


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        pytest.fail("Alertmanager is not installed: apt-get install prometheus-alertmanager")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={CONFIG}",
            f"--storage.path={tmp_path}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "alertmanager.log").read_text()
                assert time.monotonic() < deadline, "Alertmanager did not become ready"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _alert(name: str, severity: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "severity": severity, **labels}, "annotations": {}}


def _state(url: str) -> dict[str, bool]:
    return {
        ":".join(
            a["labels"].get(k, "") for k in ("alertname", "device", "ifName", "direction")
        ).rstrip(":"): bool(a["status"]["inhibitedBy"])
        for a in _call(f"{url}/api/v2/alerts")
    }


def _settled(url: str, want: dict[str, bool]) -> dict[str, bool]:
    """Alertmanager's view (alert key → inhibited?) once it equals ``want``, or after 20 s;
    the inhibitor works asynchronously."""
    deadline = time.monotonic() + 20
    state = _state(url)
    while state != want and time.monotonic() < deadline:
        time.sleep(0.2)
        state = _state(url)
    return state


def test_exporter_down_silences_device_alerts_but_not_itself(alertmanager: str) -> None:
    _call(
        f"{alertmanager}/api/v2/alerts",
        [
            _alert("ExporterDown", "critical", device="127.0.0.1", instance="127.0.0.1:9116"),
            _alert("DeviceUnreachable", "critical", device="core-01", site="cc"),
            _alert("RadiusDown", "critical", device="10.40.0.10", instance="10.40.0.10:9812"),
        ],
    )
    want = {
        "ExporterDown:127.0.0.1": False,
        "DeviceUnreachable:core-01": True,
        "RadiusDown:10.40.0.10": False,
    }
    assert _settled(alertmanager, want) == want


def test_exporter_down_silences_snmp_down_too(alertmanager: str) -> None:
    _call(
        f"{alertmanager}/api/v2/alerts",
        [
            _alert("ExporterDown", "critical", device="127.0.0.1", instance="127.0.0.1:9116"),
            _alert("SnmpDown", "warning", device="dist-01", site="office"),
        ],
    )
    want = {"ExporterDown:127.0.0.1": False, "SnmpDown:dist-01": True}
    assert _settled(alertmanager, want) == want


def test_a_dead_snmp_agent_silences_nothing_behind_it(alertmanager: str) -> None:
    """The switch answers ping but not SNMP, the gateway behind it is dead: both reach the
    NOC, the page for the gateway first of all."""
    _call(
        f"{alertmanager}/api/v2/alerts",
        [
            _alert("SnmpDown", "warning", device="dist-01", site="office"),
            _alert("DeviceUnreachable", "critical", device="park-hs-01", site="park"),
            _alert("DeviceUnreachable", "warning", device="park-ap-01", site="park"),
        ],
    )
    want = {
        "SnmpDown:dist-01": False,
        "DeviceUnreachable:park-hs-01": False,
        "DeviceUnreachable:park-ap-01": False,
    }
    assert _settled(alertmanager, want) == want


def test_leased_uplink_saturation_silences_link_saturation_on_that_port_only(
    alertmanager: str,
) -> None:
    port = {"device": "core-01", "ifName": "Gi0/2", "direction": "in"}
    _call(
        f"{alertmanager}/api/v2/alerts",
        [
            _alert("LeasedUplinkSaturated", "warning", **port),
            _alert("LinkSaturated", "warning", **port),
            _alert("LinkSaturated", "warning", **{**port, "direction": "out"}),
            _alert("LinkSaturated", "warning", device="dist-01", ifName="Gi0/3", direction="in"),
        ],
    )
    want = {
        "LeasedUplinkSaturated:core-01:Gi0/2:in": False,
        "LinkSaturated:core-01:Gi0/2:in": True,
        "LinkSaturated:core-01:Gi0/2:out": False,
        "LinkSaturated:dist-01:Gi0/3:in": False,
    }
    assert _settled(alertmanager, want) == want


def test_radius_down_silences_empty_hotspots(alertmanager: str) -> None:
    _call(
        f"{alertmanager}/api/v2/alerts",
        [
            _alert("RadiusDown", "critical", device="10.40.0.10", instance="10.40.0.10:9812"),
            _alert("HotspotNoSessions", "warning", device="park-hs-01", hotspot="park"),
        ],
    )
    want = {"RadiusDown:10.40.0.10": False, "HotspotNoSessions:park-hs-01": True}
    assert _settled(alertmanager, want) == want
