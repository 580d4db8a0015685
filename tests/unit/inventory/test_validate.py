"""Validation: one test per kind of error, each naming what is wrong and where."""

from collections.abc import Callable
from pathlib import Path

import pytest

from netops.errors import InventoryError, InventoryIssue
from netops.inventory import load_inventory
from tests.unit.inventory.conftest import Fault


def issues_of(root: Path) -> list[InventoryIssue]:
    with pytest.raises(InventoryError) as caught:
        load_inventory(root)
    return caught.value.issues


def only_issue(root: Path) -> InventoryIssue:
    issues = issues_of(root)
    assert len(issues) == 1, issues
    return issues[0]


def test_minimal_inventory_is_valid(write_inventory: Callable[..., Path]) -> None:
    inv = load_inventory(write_inventory())
    assert inv.summary().endswith("2 sites, 2 devices, 2 links, 1 hotspots, 1 plans")


def test_yaml_syntax_error_gives_file_and_line(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(sites_yml="sites:\n  - {id: cc, name: [broken\n")
    issue = only_issue(root)
    assert issue.file.endswith("sites.yml")
    assert issue.line is not None
    assert "YAML syntax error" in issue.message


def test_duplicate_key_in_a_mapping_is_an_error(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(meta_yml="meta: {city: A, city: B}\n")
    assert "appears twice" in only_issue(root).message


def test_unknown_section_is_named(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(extra_yml="routers: []\n")
    issue = only_issue(root)
    assert "unknown section 'routers'" in issue.message
    assert issue.file.endswith("extra.yml")


def test_unknown_field_names_the_record_and_line(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        sites_yml="""
        sites:
          - {id: cc, name: CC, kind: command-centre}
          - {id: park, name: Park, kind: hotspot, colour: green}
        prefixes:
          - {prefix: 10.10.0.0/24, role: management}
        """
    )
    issue = only_issue(root)
    assert issue.line == 3
    assert "site 'park'" in issue.message and "unknown field 'colour'" in issue.message


def test_bad_ip_address_is_reported_with_the_value(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("10.10.0.2", "10.10.0.300"))
    issue = only_issue(root)
    assert "device 'hs-01'" in issue.message and "mgmt_ip" in issue.message
    assert "10.10.0.300" in issue.message


def test_bad_enum_value_lists_the_choices(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("role: core", "role: router"))
    issue = only_issue(root)
    assert "role" in issue.message and "'core'" in issue.message and "router" in issue.message


def test_bad_duration_in_a_plan(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "hotspots.yml").read_text()
    root = write_inventory(
        hotspots_yml=text.replace("session_timeout: 2h", "session_timeout: 2 jam")
    )
    issue = only_issue(root)
    assert "plan 'gratis'" in issue.message and "not a duration" in issue.message


def test_duplicate_hostname(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    text = text.replace("hostname: hs-01", "hostname: core-01").replace(
        '"hs-01:ether1"', '"core-01:ether1"'
    )
    root = write_inventory(devices_yml=text, hotspots_yml=MINIMAL_HOTSPOT_FOR("core-01"))
    messages = [i.message for i in issues_of(root)]
    assert any("device 'core-01' is defined twice (first at " in m for m in messages)


def MINIMAL_HOTSPOT_FOR(gateway: str) -> str:
    return f"""
    plans:
      - {{name: gratis}}
    hotspots:
      - {{id: park, site: park, gateway: {gateway}, ssid: WiFi, plan: gratis}}
    """


def test_duplicate_management_ip_names_ip_devices_and_file(
    write_inventory: Callable[..., Path],
) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("10.10.0.2", "10.10.0.1"))
    issue = only_issue(root)
    assert issue.file.endswith("devices.yml")
    assert "management IP 10.10.0.1" in issue.message
    assert "'core-01'" in issue.message and "'hs-01'" in issue.message


def test_management_ip_outside_the_management_prefix(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("10.10.0.2", "10.99.0.2"))
    issue = only_issue(root)
    assert "10.99.0.2 is outside the management prefix (10.10.0.0/24)" in issue.message


def test_device_at_unknown_site(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("site: park", "site: pasar"))
    assert "device 'hs-01' is at unknown site 'pasar'" in only_issue(root).message


def test_unknown_profile_reference(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("credentials: admin", "credentials: root"))
    assert "uses unknown credentials profile 'root'" in only_issue(root).message


def test_unknown_group(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(
        devices_yml=text.replace("platform: cisco_ios", "platform: cisco_ios\n    groups: [x]")
    )
    assert "device 'core-01' is in unknown group 'x'" in only_issue(root).message


def test_link_to_unknown_device_and_interface(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        links_yml="""
        links:
          - {a: "core-01:Gi0/9", b: "ghost:eth0", medium: fiber, capacity_mbps: 100}
        """
    )
    messages = [i.message for i in issues_of(root)]
    assert any("device 'core-01' has no interface 'Gi0/9'" in m for m in messages)
    assert any("unknown device 'ghost'" in m for m in messages)


def test_link_end_must_be_device_colon_interface(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        links_yml="""
        links:
          - {a: "core-01", b: "hs-01:ether1", medium: fiber, capacity_mbps: 100}
        """
    )
    assert "must be written device:interface" in only_issue(root).message


def test_port_used_by_two_links(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        links_yml="""
        links:
          - {a: "core-01:Gi0/1", b: "hs-01:ether1", medium: fiber, capacity_mbps: 1000}
          - {a: "core-01:Gi0/1", provider: Telkom, medium: leased, capacity_mbps: 100}
        """
    )
    assert "port core-01:Gi0/1 is used by two links" in only_issue(root).message


def test_capacity_must_be_positive(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "links.yml").read_text()
    root = write_inventory(links_yml=text.replace("capacity_mbps: 1000", "capacity_mbps: 0"))
    issue = only_issue(root)
    assert "capacity_mbps" in issue.message and "greater than 0" in issue.message


def test_uplink_needs_a_provider(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        links_yml="""
        links:
          - {a: "core-01:Gi0/2", medium: leased, capacity_mbps: 100}
        """
    )
    assert "needs a second end (b) or a provider" in only_issue(root).message


def test_hotspot_references(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        hotspots_yml="""
        plans:
          - {name: gratis}
        hotspots:
          - {id: park, site: park, gateway: core-01, ssid: WiFi, plan: premium,
             access_points: [ap-9]}
        """
    )
    messages = " | ".join(i.message for i in issues_of(root))
    assert "uses unknown plan 'premium'" in messages
    assert "has role 'core', not hotspot-gateway" in messages
    assert "unknown access point 'ap-9'" in messages


def test_plain_secret_outside_a_lab(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        profiles_yml="""
        credentials:
          admin: {username: netops, password: hunter2}
        snmp:
          v2: {version: 2c, community: env:C}
        radius:
          nas: {secret: env:S}
        """
    )
    issue = only_issue(root)
    assert "credentials profile 'admin' field 'password' is written in plain text" in issue.message
    assert "hunter2" not in issue.message


def test_plain_secret_is_allowed_in_a_lab(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        meta_yml="meta: {city: Lab, lab: true}\n",
        profiles_yml="""
        credentials:
          admin: {username: netops, password: hunter2}
        radius:
          nas: {secret: testing123}
        """,
    )
    assert load_inventory(root).meta.lab


def test_snmp_v3_profile_must_be_complete(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        profiles_yml="""
        credentials:
          admin: {username: netops, password: env:P}
        snmp:
          v3: {version: 3, user: netops, auth: sha, priv: aes, priv_key: env:K}
        radius:
          nas: {secret: env:S}
        """
    )
    assert "needs auth_key" in only_issue(root).message


def test_missing_meta_section(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(meta_yml="# nothing here\n")
    assert "no 'meta:' section" in only_issue(root).message


def test_missing_folder_and_empty_folder(tmp_path: Path) -> None:
    assert "no such inventory folder" in only_issue(tmp_path / "nope").message
    assert "holds no YAML files" in only_issue(tmp_path).message


def test_all_errors_are_reported_at_once(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    text = text.replace("10.10.0.2", "10.10.0.1").replace("site: park", "site: pasar")
    root = write_inventory(devices_yml=text, extra_yml="routers: []\n")
    messages = [i.message for i in issues_of(root)]
    assert len(messages) == 3, messages
    assert any("unknown section 'routers'" in m for m in messages)
    assert any("management IP 10.10.0.1" in m for m in messages)
    assert any("unknown site 'pasar'" in m for m in messages)


def test_a_broken_record_does_not_cascade(write_inventory: Callable[..., Path]) -> None:
    text = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=text.replace("10.10.0.2", "not-an-ip"))
    # the link and hotspot naming hs-01 are not reported again as "unknown device"
    issue = only_issue(root)
    assert "device 'hs-01'" in issue.message and "mgmt_ip" in issue.message


def test_shipped_lab_with_a_duplicated_ip_fails(lab_copy: Path) -> None:
    devices = lab_copy / "devices.yml"
    devices.write_text(devices.read_text().replace("127.0.1.5", "127.0.1.3"))
    issue = only_issue(lab_copy)
    assert "management IP 127.0.1.3 is used by devices 'lab-dist-01'" in issue.message
    assert "'lab-ap-01'" in issue.message


# --- every error at once, without cascades ------------------------------------------------


def test_five_faults_in_the_sample_are_reported_together(
    five_faults: tuple[Path, list[Fault]],
) -> None:
    root, faults = five_faults
    issues = issues_of(root)
    assert len(issues) == len(faults), "\n".join(map(str, issues))
    for fault, issue in zip(faults, issues, strict=True):
        assert (issue.file, issue.line) == (str(fault.file), fault.line), issue
        assert fault.says in issue.message, issue


def test_a_file_that_does_not_parse_hides_only_references_into_it(
    write_inventory: Callable[..., Path],
) -> None:
    text = (Path(write_inventory()) / "hotspots.yml").read_text()
    broken = text.replace("rate_limit: {down: 5M, up: 2M}", "rate_limit: {down: 5M, up: 2M")
    devices = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(
        hotspots_yml=broken, devices_yml=devices.replace("site: park", "site: pasar")
    )
    issues = issues_of(root)
    assert len(issues) == 2, issues
    syntax, site = issues
    assert syntax.file.endswith("hotspots.yml") and "YAML syntax error" in syntax.message
    # the message says once what the broken file means for the other checks
    assert "sections 'hotspots', 'plans' are left out" in syntax.message
    # a reference to another kind of object is still checked
    assert "device 'hs-01' is at unknown site 'pasar'" in site.message


def test_references_into_a_broken_file_are_not_reported_as_dangling(
    write_inventory: Callable[..., Path],
) -> None:
    sites = (Path(write_inventory()) / "sites.yml").read_text()
    root = write_inventory(sites_yml=sites.replace("kind: hotspot}", "kind: hotspot"))
    issue = only_issue(root)  # no "unknown site" for the devices and the hotspot
    assert "YAML syntax error" in issue.message
    assert "section" in issue.message and "'sites'" in issue.message


def test_a_file_that_cannot_be_read_is_one_error(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory()
    (root / "sites.yml").write_bytes(b"sites:\n  - {id: cc, name: Kantor \xff}\n")
    issue = only_issue(root)
    assert issue.file.endswith("sites.yml")
    assert "cannot read the file (it is not UTF-8 text)" in issue.message
    assert "references between files are not checked" in issue.message


def test_broken_groups_do_not_make_every_device_incomplete(
    write_inventory: Callable[..., Path],
) -> None:
    root = write_inventory(
        profiles_yml="""
        credentials:
          admin: {username: netops, password: env:NETOPS_TEST_PW}
        radius:
          nas: {secret: env:NETOPS_TEST_SECRET}
        groups:
          gw: {platform: mikrotik_routeros, radius: nas
        """,
        devices_yml="""
        devices:
          - {hostname: core-01, site: cc, role: core, platform: cisco_ios, mgmt_ip: 10.10.0.1,
             interfaces: [{name: Gi0/1}, {name: Gi0/2}]}
          - {hostname: hs-01, site: park, role: hotspot-gateway, groups: [gw],
             mgmt_ip: 10.10.0.1, interfaces: [{name: ether1}]}
        """,
    )
    issues = issues_of(root)
    # not "platform is missing", "unknown group 'gw'", nor "no RADIUS profile" for hs-01
    assert len(issues) == 2, issues
    assert "YAML syntax error" in issues[0].message
    assert "management IP 10.10.0.1 is used by devices 'core-01'" in issues[1].message


def test_a_broken_meta_file_still_lets_the_other_checks_run(
    write_inventory: Callable[..., Path],
) -> None:
    devices = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(
        meta_yml="meta: {city: Testkota, lab: false\n",
        devices_yml=devices.replace("site: park", "site: pasar"),
    )
    issues = issues_of(root)
    assert len(issues) == 2, issues
    assert "YAML syntax error" in issues[0].message
    assert "unknown site 'pasar'" in issues[1].message


def test_a_missing_meta_section_is_reported_beside_other_errors(
    write_inventory: Callable[..., Path],
) -> None:
    devices = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(
        meta_yml="# nothing here\n", devices_yml=devices.replace("site: park", "site: pasar")
    )
    messages = [i.message for i in issues_of(root)]
    assert len(messages) == 2, messages
    assert any("no 'meta:' section" in m for m in messages)
    assert any("unknown site 'pasar'" in m for m in messages)


def test_a_broken_record_hides_only_references_to_its_own_kind(
    write_inventory: Callable[..., Path],
) -> None:
    # a site and a hotspot are both called 'park': the broken site must not hide the
    # hotspot's own problems
    sites = (Path(write_inventory()) / "sites.yml").read_text()
    root = write_inventory(
        sites_yml=sites.replace("kind: hotspot}", "kind: hotspot, colour: green}"),
        hotspots_yml=MINIMAL_HOTSPOT_FOR("hs-01").replace("plan: gratis}", "plan: premium}"),
    )
    messages = [i.message for i in issues_of(root)]
    assert len(messages) == 2, messages
    assert "site 'park': unknown field 'colour'" in messages[0]
    assert "hotspot 'park' uses unknown plan 'premium'" in messages[1]


def test_a_reference_error_points_at_the_line_of_the_reference(
    write_inventory: Callable[..., Path],
) -> None:
    devices = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=devices.replace("site: park", "site: pasar"))
    issue = only_issue(root)
    lines = (root / "devices.yml").read_text().splitlines()
    assert lines[issue.line - 1].strip() == "site: pasar"  # type: ignore[operator]


def test_a_duplicate_interface_has_file_and_line(write_inventory: Callable[..., Path]) -> None:
    devices = (Path(write_inventory()) / "devices.yml").read_text()
    root = write_inventory(devices_yml=devices.replace("- {name: Gi0/2}", "- {name: Gi0/1}"))
    issues = issues_of(root)
    duplicate = next(i for i in issues if "declares interface 'Gi0/1' twice" in i.message)
    assert duplicate.file.endswith("devices.yml")
    lines = (root / "devices.yml").read_text().splitlines()
    assert duplicate.line is not None and "Gi0/1" in lines[duplicate.line - 1]


def test_a_broken_profile_is_not_reported_again_by_its_devices(
    write_inventory: Callable[..., Path],
) -> None:
    root = write_inventory(
        profiles_yml="""
        credentials:
          admin: {username: netops, password: env:NETOPS_TEST_PW, colour: green}
        radius:
          nas: {secret: env:NETOPS_TEST_SECRET}
        """
    )
    issue = only_issue(root)  # not "device 'core-01' uses unknown credentials profile"
    assert "unknown field 'colour'" in issue.message


def test_a_broken_management_prefix_does_not_put_devices_outside(
    write_inventory: Callable[..., Path],
) -> None:
    root = write_inventory(
        sites_yml="""
        sites:
          - {id: cc, name: Command Centre, kind: command-centre}
          - {id: park, name: Park, kind: hotspot}
        prefixes:
          - {prefix: 10.10.0.0/33, role: management}
          - {prefix: 10.99.0.0/24, role: management}
        """
    )
    issue = only_issue(root)  # the devices in 10.10.0.0/24 are not "outside" 10.99.0.0/24
    assert "prefix" in issue.message and "10.10.0.0/33" in issue.message


def test_a_section_of_the_wrong_shape_is_reported_once(
    write_inventory: Callable[..., Path],
) -> None:
    root = write_inventory(devices_yml="devices:\n  hostname: core-01\n")
    issue = only_issue(root)  # not the links and hotspot naming the devices it held
    assert issue.message == (
        "section 'devices' must be a list; until it is, references into it are not checked"
    )
