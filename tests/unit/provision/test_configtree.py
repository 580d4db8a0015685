"""Config trees: parsing, merge/replace comparison and the commands that apply a change."""

from __future__ import annotations

import pytest

from netops.provision.configtree import commands, compare, parse, render_diff, to_text
from netops.provision.platforms import platform

pytestmark = pytest.mark.timeout(60)

FRR = platform("frr")
IOS = platform("cisco_ios")
ROS = platform("mikrotik_routeros")

RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname r1
service integrated-vtysh-config
!
interface eth1
 ip address 10.9.9.1/30
 ip ospf hello-interval 10
exit
!
ip route 10.1.0.0/16 10.9.9.2
!
end
"""

INTENDED = """hostname lab-core-01
!
interface eth1
 description to r2
 ip address 10.254.100.1/30
 ip ospf hello-interval 1
exit
!
router ospf
 ospf router-id 10.254.255.1
exit
"""


def _changes(running: str, intended: str, plat=FRR, mode: str = "merge"):  # type: ignore[no-untyped-def]
    return compare(parse(running, plat), parse(intended, plat), plat, mode)


def test_noise_lines_are_ignored_so_equal_configs_have_no_changes() -> None:
    assert _changes(RUNNING, RUNNING) == []
    assert to_text(parse(RUNNING, FRR)).splitlines()[0] == "hostname r1"


def test_merge_adds_missing_lines_and_negates_stale_ones_inside_managed_blocks() -> None:
    cmds = commands(_changes(RUNNING, INTENDED), FRR)
    assert cmds == [
        "hostname lab-core-01",
        "router ospf",
        "ospf router-id 10.254.255.1",
        "exit",
        "interface eth1",
        "no ip address 10.9.9.1/30",
        "description to r2",
        "ip address 10.254.100.1/30",
        "ip ospf hello-interval 1",
    ]


def test_merge_leaves_top_level_lines_the_templates_do_not_manage() -> None:
    cmds = commands(_changes(RUNNING, INTENDED), FRR)
    assert not any("ip route" in c for c in cmds)


def test_single_valued_commands_are_replaced_not_negated() -> None:
    cmds = commands(_changes(RUNNING, INTENDED), FRR)
    assert "no hostname r1" not in cmds
    assert "no ip ospf hello-interval 10" not in cmds


def test_replace_mode_removes_everything_not_in_the_target() -> None:
    after = RUNNING.replace("!\nend", "router ospf\n ospf router-id 1.1.1.1\nexit\n!\nend")
    cmds = commands(_changes(after, RUNNING, mode="replace"), FRR)
    assert cmds == ["no router ospf"]


def test_applying_the_commands_converges_a_simulated_device() -> None:
    changes = _changes(RUNNING, INTENDED)
    diff = render_diff(changes, FRR)
    assert "+router ospf\n+ ospf router-id 10.254.255.1\n" in diff
    assert " interface eth1\n- ip address 10.9.9.1/30\n" in diff


def test_ios_banner_is_one_line_whatever_its_delimiter_layout() -> None:
    running = "banner motd ^C\nAkses tanpa izin dilarang.\n^C\n"
    intended = "banner motd ^CAkses tanpa izin dilarang.^C\n"
    assert _changes(running, intended, IOS) == []
    changed = _changes(running, "banner motd ^CBaru.^C\n", IOS)
    assert commands(changed, IOS) == ["banner motd ^CBaru.^C"]


def test_eos_banner_until_eof_and_three_space_indent() -> None:
    eos = platform("eos")
    text = "banner motd\nline one\nEOF\n!\nrouter ospf 1\n   router-id 1.1.1.1\n"
    tree = parse(text, eos)
    assert list(tree.children) == ["banner motd line one", "router ospf 1"]
    assert list(tree.children["router ospf 1"].children) == ["router-id 1.1.1.1"]


def test_hashed_secrets_in_running_config_do_not_count_as_drift() -> None:
    running = "username netops privilege 15 secret 9 $9$abc\n"
    intended = "username netops privilege 15 secret s3cret\n"
    assert _changes(running, intended, IOS) == []


def test_routeros_menus_and_terse_export_compare_equal() -> None:
    intended = "/ip pool\nadd name=pool-a ranges=10.0.0.10-10.0.0.20\n/snmp\nset enabled=yes\n"
    terse = (
        "# 2026-11-22 by RouterOS 7.16\n"
        "/ip pool add name=pool-a ranges=10.0.0.10-10.0.0.20\n/snmp set enabled=yes\n"
    )
    assert _changes(terse, intended, ROS) == []
    more = intended + "/ip hotspot walled-garden\nadd dst-host=portal.test action=allow\n"
    assert commands(_changes(terse, more, ROS), ROS) == [
        "/ip hotspot walled-garden add dst-host=portal.test action=allow"
    ]


def test_routeros_never_removes_entries_it_cannot_address_in_merge_mode() -> None:
    running = "/ip pool add name=old ranges=10.9.0.1-10.9.0.9\n"
    assert _changes(running, "/ip pool\n", ROS) == []


def test_routeros_line_continuations_are_joined() -> None:
    text = "/ip hotspot profile\nadd name=p \\\n    use-radius=yes\n"
    assert list(parse(text, ROS).children["/ip hotspot profile"].children) == [
        "add name=p use-radius=yes"
    ]
