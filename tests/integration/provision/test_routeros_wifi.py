"""RouterOS 7 WiFi on the lab access point: ``netops config push`` through ``/interface/wifi``
and its profile menus on 7.x, ``/interface/wireless`` on 6.49.

Real peers: the lab RouterOS device over the API wire protocol, read back with librouteros.
The menus follow MikroTik's WiFi page (https://help.mikrotik.com/docs/display/ROS/WiFi):
a radio takes its settings from a configuration profile that names datapath, security and
channel profiles; a reference to a profile that does not exist is refused.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import librouteros
import pytest
from librouteros.exceptions import TrapError

from tests.integration.provision.test_routeros_api import Lab, _start
from tests.paths import LAB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def _lab(tmp_path: Path, ap_version: str, pin: bool) -> Lab:
    """The lab inventory with only its access point on a lab device running
    ``ap_version``; ``pin`` keeps the inventory's ``api.version`` (7.16), else netops reads
    the version from ``/system/resource``."""
    devices = {"lab-ap-01": _start(tmp_path, "lab-ap-01", ap_version, "127.0.1.5")}
    root = tmp_path / "inv"
    shutil.copytree(LAB, root)
    text = (root / "devices.yml").read_text()
    text = text.replace("ssh_port: 10022", f"ssh_port: {devices['lab-ap-01'].address('ssh')[1]}")
    text = text.replace("port: 10032", f"port: {devices['lab-ap-01'].address('api')[1]}")
    if not pin:
        assert ', version: "7.16"' in text
        text = text.replace(', version: "7.16"', "")
    (root / "devices.yml").write_text(text)
    return Lab(root, devices)


def _running(lab: Lab) -> Iterator[Lab]:
    try:
        yield lab
    finally:
        for dev in lab.devices.values():
            dev.stop()


@pytest.fixture
def lab7(tmp_path: Path) -> Iterator[Lab]:
    yield from _running(_lab(tmp_path, "7.16", pin=True))


@pytest.fixture
def lab6(tmp_path: Path) -> Iterator[Lab]:
    yield from _running(_lab(tmp_path, "6.49", pin=False))


def _rows(api: librouteros.api.Api, *path: str) -> list[dict[str, object]]:
    return [dict(r) for r in api.path(*path)]


def test_push_to_a_routeros_7_access_point_uses_wifi_and_converges(lab7: Lab) -> None:
    """The lab inventory pins the access point to 7.16: the push writes the datapath,
    security and configuration profiles and points both radios at the configuration;
    a second push changes nothing and ``config check`` sees no drift."""
    first = lab7.netops("push", "--commit", "-d", "lab-ap-01")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "changed" in first.stdout, first.stdout
    api = lab7.api("lab-ap-01")
    (datapath,) = _rows(api, "interface", "wifi", "datapath")
    assert (datapath["name"], datapath["bridge"], datapath["vlan-id"]) == (
        "dp-lab-park",
        "br-ap",
        30,
    )
    (security,) = _rows(api, "interface", "wifi", "security")
    assert security["name"] == "sec-lab-park" and not security.get("authentication-types")
    (config,) = _rows(api, "interface", "wifi", "configuration")
    assert (config["ssid"], config["datapath"], config["security"], config["mode"]) == (
        "WiFi Gratis Lab",
        "dp-lab-park",
        "sec-lab-park",
        "ap",
    )
    radios = {r["default-name"]: r for r in _rows(api, "interface", "wifi")}
    assert set(radios) == {"wifi1", "wifi2"}
    for radio in radios.values():
        assert radio["configuration"] == "cfg-lab-park" and radio["disabled"] is False
    with pytest.raises(TrapError):  # a 7.x device has no legacy wireless menu
        _rows(api, "interface", "wireless")

    again = lab7.netops("push", "--commit", "-d", "lab-ap-01")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 unchanged" in again.stdout, again.stdout
    check = lab7.netops("check", "-d", "lab-ap-01")
    assert check.returncode == 0 and "none" in check.stdout, check.stdout

    # A hand edit of a profile is set back in place, not added again.
    api.path("interface", "wifi", "configuration").update(
        **{".id": config[".id"], "ssid": "Bukan Gratis"}
    )
    shown = lab7.netops("diff", "-d", "lab-ap-01")
    assert "/interface wifi configuration set" in shown.stdout, shown.stdout
    assert "/interface wifi configuration add" not in shown.stdout, shown.stdout
    fixed = lab7.netops("push", "--commit", "-d", "lab-ap-01")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _rows(api, "interface", "wifi", "configuration")[0]["ssid"] == "WiFi Gratis Lab"
    api.close()


def test_wifi_profiles_must_exist_before_a_radio_names_them(lab7: Lab) -> None:
    """RouterOS refuses a reference to a profile that does not exist (the reason the
    planner adds datapath, security and configuration before it sets the radio)."""
    api = lab7.api("lab-ap-01")
    radio = next(r for r in api.path("interface", "wifi") if r["default-name"] == "wifi1")
    with pytest.raises(TrapError, match="configuration"):
        api.path("interface", "wifi").update(**{".id": radio[".id"], "configuration": "nope"})
    with pytest.raises(TrapError, match="datapath"):
        api.path("interface", "wifi", "configuration").add(name="c1", datapath="nope")
    api.path("interface", "wifi", "datapath").add(name="dp1", **{"vlan-id": "30"})
    api.path("interface", "wifi", "configuration").add(name="c1", datapath="dp1", ssid="x")
    api.path("interface", "wifi").update(**{".id": radio[".id"], "configuration": "c1"})
    with pytest.raises(TrapError, match="already have"):
        api.path("interface", "wifi", "datapath").add(name="dp1")
    # Renaming a profile renames the references to it.
    (dp,) = api.path("interface", "wifi", "datapath")
    api.path("interface", "wifi", "datapath").update(**{".id": dp[".id"], "name": "dp2"})
    assert [c["datapath"] for c in api.path("interface", "wifi", "configuration")] == ["dp2"]
    api.close()


def test_a_routeros_6_access_point_still_uses_wireless(lab6: Lab) -> None:
    """Without a pinned version, netops reads 6.49 from the device and pushes
    ``/interface/wireless``; the push converges there too."""
    first = lab6.netops("push", "--commit", "-d", "lab-ap-01")
    assert first.returncode == 0, first.stdout + first.stderr
    api = lab6.api("lab-ap-01")
    (wlan,) = _rows(api, "interface", "wireless")
    assert (wlan["ssid"], wlan["mode"], wlan["disabled"]) == ("WiFi Gratis Lab", "ap-bridge", False)
    with pytest.raises(TrapError):
        _rows(api, "interface", "wifi")
    again = lab6.netops("push", "--commit", "-d", "lab-ap-01")
    assert "1 unchanged" in again.stdout, again.stdout + again.stderr
    api.close()
