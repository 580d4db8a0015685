"""Rendering: golden files for every platform and role of the sample city, secrets, errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.provision.render import (
    Redactor,
    Rendered,
    RenderError,
    render_all,
    render_device,
    write_rendered,
)
from tests.paths import BANJARMASIN, LAB

pytestmark = pytest.mark.timeout(60)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("NETOPS_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def city() -> Inventory:
    return load_inventory(BANJARMASIN)


@pytest.fixture(scope="module")
def lab() -> Inventory:
    return load_inventory(LAB)


def _one_per_platform_role(inv: Inventory) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    for device in inv.devices:
        seen.setdefault((device.platform, device.role), device.hostname)
    return sorted(seen.values())


CITY_DEVICES = _one_per_platform_role(load_inventory(BANJARMASIN))
LAB_DEVICES = [d.hostname for d in load_inventory(LAB).devices]


def _check_golden(name: str, rendered: Rendered) -> None:
    """``<host>.cfg`` for a text template, ``<host>.rsc`` for a RouterOS gateway or access
    point (the script of its declarative state)."""
    path = GOLDEN / f"{name}.{'cfg' if rendered.state is None else 'rsc'}"
    text = rendered.text
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with NETOPS_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def test_sample_city_covers_every_platform_and_role_with_a_golden_file(city: Inventory) -> None:
    pairs = {(d.platform, d.role) for d in city.devices}
    assert len(CITY_DEVICES) == len(pairs) == 7


@pytest.mark.parametrize("hostname", CITY_DEVICES)
def test_city_device_renders_as_its_golden_file(city: Inventory, hostname: str) -> None:
    _check_golden(hostname, render_device(city, city.device(hostname)))


@pytest.mark.parametrize("hostname", LAB_DEVICES)
def test_lab_device_renders_as_its_golden_file(lab: Inventory, hostname: str) -> None:
    _check_golden(hostname, render_device(lab, lab.device(hostname)))


def test_hotspot_gateway_has_radius_hotspot_login_page_walled_garden_and_snmp(
    city: Inventory,
) -> None:
    rendered = render_device(city, city.device("siring-menara-pandang-hs-01"))
    text = rendered.text
    assert rendered.state is not None and rendered.template == "routeros/intended-state"
    assert "use-radius=yes" in text
    assert 'login-by="http-chap,http-pap"' in text
    assert "html-directory=hotspot-netops" in text
    # login.html sends the phone on to the portal with the parameters the portal reads.
    assert 'action=\\"https://wifi.banjarmasinkota.go.id/\\" method=\\"get\\"' in text
    assert 'name=\\"link-login-only\\" value=\\"\\$(link-login-only)\\"' in text
    assert "f.action+=location.hash" in text  # a voucher's #code never reaches a server log
    assert "dns-name=login.wifi.banjarmasinkota.go.id html-directory" in text
    assert "/ip hotspot walled-garden\nadd dst-host=wifi.banjarmasinkota.go.id" in text
    assert 'secret="<secret:env:NETOPS_RADIUS_SECRET>"' in text
    assert "/radius incoming\nset accept=yes port=3799" in text
    assert "src-address=10.10.0.46" in text
    assert "/snmp community" in text and "security=private" in text
    # The plan's rate comes in the RADIUS reply: no hotspot user profile to fall back on.
    assert "/ip hotspot user profile" not in text
    # The state is the same data the push plans with, owned entries marked.
    radius = rendered.state["/radius"]
    assert [r["address"] for r in radius] == ["10.40.0.10", "10.40.0.11"]
    assert 'comment="RADIUS 1 [netops]"' in text


def test_cisco_core_has_ospf_and_link_descriptions_from_the_inventory(city: Inventory) -> None:
    text = render_device(city, city.device("cc-core-01")).text
    assert "router ospf 1\n router-id 10.255.0.1" in text
    assert " no passive-interface GigabitEthernet0/0" in text
    assert " description cc-core-02:GigabitEthernet0/0, fiber 10G" in text
    assert " description Telkom ASTINET-BJM-0001, leased 1G, Telkom Astinet 1 Gbps" in text
    assert "ntp server 10.40.0.2 source Loopback0" in text  # the group's data


def test_every_city_device_renders_and_output_is_deterministic(
    city: Inventory, tmp_path: Path
) -> None:
    first = write_rendered(render_all(city, city.devices), tmp_path / "a")
    second = write_rendered(render_all(city, city.devices), tmp_path / "b")
    declarative = [d for d in city.devices if render_device(city, d).state is not None]
    # RouterOS gateways and access points: <host>.rsc and <host>.json; the rest <host>.cfg.
    assert len(city.devices) == 69 and declarative
    assert len(first) == len(city.devices) + len(declarative)
    assert {p.suffix for p in first} == {".cfg", ".rsc", ".json"}
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_secrets_are_placeholders_on_disk_and_values_only_when_asked(
    lab: Inventory, tmp_path: Path
) -> None:
    device = lab.device("lab-hs-01")
    plain = render_device(lab, device).text
    assert "testing123" not in plain and 'secret="<secret:inline>"' in plain
    redactor = Redactor()
    real = render_device(lab, device, with_secrets=True, redactor=redactor).text
    assert "secret=testing123" in real
    assert "testing123" in redactor.values
    assert "testing123" not in redactor(real)


def test_env_secret_is_resolved_only_in_memory(
    city: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DEVICE_PASSWORD", "ENABLE_SECRET", "SNMP_AUTH", "SNMP_PRIV"):
        monkeypatch.setenv(f"NETOPS_{name}", f"value-of-{name.lower()}")
    text = render_device(city, city.device("cc-core-01"), with_secrets=True).text
    assert "secret value-of-device_password" in text
    assert "<secret:" not in text


def test_unset_secret_reference_fails_naming_the_reference(
    city: Inventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_DEVICE_PASSWORD", raising=False)
    with pytest.raises(Exception, match="env:NETOPS_DEVICE_PASSWORD is not set"):
        render_device(city, city.device("cc-core-01"), with_secrets=True)


def test_missing_template_names_platform_role_and_paths(tmp_path: Path) -> None:
    shutil.copytree(LAB, tmp_path / "inv")
    devices = tmp_path / "inv" / "devices.yml"
    devices.write_text(devices.read_text().replace("role: distribution", "role: switch"))
    inv = load_inventory(tmp_path / "inv")
    with pytest.raises(RenderError) as err:
        render_device(inv, inv.device("lab-dist-01"))
    assert str(err.value) == (
        "lab-dist-01: no template for platform 'eos' role 'switch' "
        "(looked for templates/eos/switch.j2 and templates/eos/default.j2)"
    )


def test_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(LAB, tmp_path / "inv")
    folder = tmp_path / "inv" / "templates" / "frr"
    folder.mkdir(parents=True)
    (folder / "core.j2").write_text("!\nhostname {{ hostname }\n")
    inv = load_inventory(tmp_path / "inv")
    with pytest.raises(RenderError, match=r"lab-core-01: templates/frr/core.j2:2: unexpected"):
        render_device(inv, inv.device("lab-core-01"))


def test_template_error_for_unknown_variable_names_device_and_template(tmp_path: Path) -> None:
    shutil.copytree(LAB, tmp_path / "inv")
    folder = tmp_path / "inv" / "templates" / "frr"
    folder.mkdir(parents=True)
    (folder / "core.j2").write_text("hostname {{ no_such_thing }}\n")
    inv = load_inventory(tmp_path / "inv")
    with pytest.raises(RenderError, match=r"lab-core-01: templates/frr/core.j2: 'no_such_thing'"):
        render_device(inv, inv.device("lab-core-01"))


def test_inventory_templates_override_the_shipped_ones(tmp_path: Path) -> None:
    shutil.copytree(LAB, tmp_path / "inv")
    folder = tmp_path / "inv" / "templates" / "frr"
    folder.mkdir(parents=True)
    (folder / "core.j2").write_text("hostname {{ hostname }}-custom\n")
    inv = load_inventory(tmp_path / "inv")
    assert render_device(inv, inv.device("lab-core-02")).text == "hostname lab-core-02-custom\n"


def test_unsupported_platform_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(LAB, tmp_path / "inv")
    profiles = tmp_path / "inv" / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("{platform: eos}", "{platform: junos}"))
    inv = load_inventory(tmp_path / "inv")
    with pytest.raises(Exception, match="platform 'junos' is not supported"):
        render_device(inv, inv.device("lab-dist-01"))


def test_ip_walled_garden_opens_only_the_portals_https_port_never_the_radius_servers(
    city: Inventory,
) -> None:
    text = render_device(city, city.device("siring-menara-pandang-hs-01")).text
    section = text.split("/ip hotspot walled-garden ip\n", 1)[1].split("\n/", 1)[0]
    assert section.splitlines() == [
        "add action=accept protocol=tcp dst-port=443 dst-host=wifi.banjarmasinkota.go.id "
        'comment="captive portal [netops]"'
    ]
    for server in city.services.radius.servers:
        assert f"dst-address={server}" not in section
