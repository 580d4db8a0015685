"""The lab RouterOS's configuration rules, each as MikroTik's manual describes it.

Pages cited: API https://help.mikrotik.com/docs/display/ROS/API ; HotSpot
https://help.mikrotik.com/docs/spaces/ROS/pages/56459266/Hotspot ; IP pools
https://help.mikrotik.com/docs/display/ROS/IP+Pools ; DNS
https://help.mikrotik.com/docs/display/ROS/DNS ; RADIUS
https://help.mikrotik.com/docs/display/ROS/RADIUS ; users
https://help.mikrotik.com/docs/display/ROS/User ; scheduler
https://help.mikrotik.com/docs/display/ROS/Scheduler ; backup and export
https://help.mikrotik.com/docs/display/ROS/Configuration+Management .
"""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from netops.lab.routeros.state import STATE_FILE, DeviceState, Trap


@pytest.fixture
def dev(tmp_path: Path) -> DeviceState:
    state = DeviceState(tmp_path / "gw", identity="smp-hs-01", version="7.16")
    state.ensure_user("admin", "lab-pass")
    return state


def rows(dev: DeviceState, path: str, *query: str) -> list[dict[str, str]]:
    return dev.run(f"/{path}/print", query=list(query)).rows


def test_add_fills_documented_defaults_and_leaves_comment_absent(dev: DeviceState) -> None:
    """HotSpot page, server profile defaults: html-directory, login-by=cookie,http-chap,
    http-cookie-lifetime=3d, use-radius=no; user profile shared-users=1, keepalive 2m."""
    ret = dev.run("/ip/hotspot/profile/add", {"name": "hsprof1"}).ret
    assert ret is not None and ret.startswith("*")
    (row,) = rows(dev, "ip/hotspot/profile", f".id={ret}")
    assert row["login-by"] == "cookie,http-chap"
    assert row["http-cookie-lifetime"] == "3d"
    assert row["use-radius"] == "false"
    assert row["default"] == "false"
    assert "comment" not in row
    prof = dev.run("/ip/hotspot/user/profile/add", {"name": "gratis"}).ret
    (uprof,) = rows(dev, "ip/hotspot/user/profile", f".id={prof}")
    assert (uprof["shared-users"], uprof["keepalive-timeout"]) == ("1", "2m")


def test_every_list_entry_gets_disabled_false(dev: DeviceState) -> None:
    """HotSpot page, walled garden: ``action`` defaults to ``allow``; entries are enabled
    (``disabled=no``) unless told otherwise."""
    dev.run("/ip/hotspot/walled-garden/add", {"dst-host": "*.go.id"})
    (row,) = rows(dev, "ip/hotspot/walled-garden")
    assert row["disabled"] == "false"
    assert row["action"] == "allow"


def test_built_in_default_profiles_cannot_be_removed_but_can_be_set(dev: DeviceState) -> None:
    """HotSpot page: the ``default`` server and user profiles always exist."""
    (default,) = rows(dev, "ip/hotspot/profile", "default=yes")
    assert default[".id"] == "*0" and default["name"] == "default"
    dev.run("/ip/hotspot/profile/set", {".id": "*0", "use-radius": "yes"})
    assert rows(dev, "ip/hotspot/profile", "name=default")[0]["use-radius"] == "true"
    with pytest.raises(Trap, match="default"):
        dev.run("/ip/hotspot/profile/remove", {".id": "*0"})
    with pytest.raises(Trap):
        dev.run("/ip/hotspot/user/profile/remove", {"numbers": "default"})


def test_dynamic_entries_refuse_set_and_remove(dev: DeviceState) -> None:
    """The trial user ``default-trial`` is dynamic (flag D) in /ip hotspot user."""
    (trial,) = rows(dev, "ip/hotspot/user", "dynamic=true")
    assert trial["name"] == "default-trial"
    with pytest.raises(Trap, match="dynamic"):
        dev.run("/ip/hotspot/user/set", {".id": trial[".id"], "comment": "x"})
    with pytest.raises(Trap, match="dynamic"):
        dev.run("/ip/hotspot/user/remove", {".id": trial[".id"]})


@pytest.mark.parametrize(
    ("path", "args"),
    [
        ("ip/hotspot/profile", {"name": "hsprof1"}),
        ("ip/pool", {"name": "hs-pool", "ranges": "10.5.50.2-10.5.50.254"}),
    ],
)
def test_duplicate_key_is_already_have_such_entry(
    dev: DeviceState, path: str, args: dict[str, str]
) -> None:
    """HotSpot page (profile names) and IP Pools page
    (https://help.mikrotik.com/docs/display/ROS/IP+Pools, pool names): names are unique;
    a second add answers ``failure: already have such entry``."""
    dev.run(f"/{path}/add", dict(args))
    with pytest.raises(Trap) as caught:
        dev.run(f"/{path}/add", dict(args))
    assert caught.value.message == "failure: already have such entry"
    assert len(rows(dev, path, f"name={args['name']}")) == 1


def test_unknown_parameter_and_unknown_command_and_path(dev: DeviceState) -> None:
    """API page: a property the menu lacks is a ``!trap`` (``unknown parameter``); an
    unknown command or menu is ``no such command`` (``… prefix`` for the menu)."""
    with pytest.raises(Trap, match=r"^unknown parameter colour$"):
        dev.run("/ip/pool/add", {"name": "p", "ranges": "10.0.0.1-10.0.0.2", "colour": "red"})
    with pytest.raises(Trap, match=r"^no such command$"):
        dev.run("/ip/pool/frobnicate")
    with pytest.raises(Trap, match=r"^no such command prefix$"):
        dev.run("/ip/nowhere/print")
    with pytest.raises(Trap, match=r"^no such command$"):
        dev.run("/interface/add", {"name": "ether9"})


def test_routeros_6_says_unknown_parameter_without_the_name(tmp_path: Path) -> None:
    dev6 = DeviceState(tmp_path / "ap", version="6.49")
    with pytest.raises(Trap, match=r"^unknown parameter$"):
        dev6.run("/ip/pool/add", {"name": "p", "ranges": "10.0.0.1", "colour": "red"})
    assert rows(dev6, "interface/wireless")[0]["name"] == "wlan1"
    with pytest.raises(Trap, match="prefix"):
        dev6.run("/interface/wifi/print")


def test_references_must_name_existing_entries(dev: DeviceState) -> None:
    """IP Addressing page (https://help.mikrotik.com/docs/display/ROS/IP+Addressing):
    an address belongs to an existing interface; ``network`` is computed from it."""
    with pytest.raises(Trap) as caught:
        dev.run("/ip/address/add", {"address": "10.5.50.1/24", "interface": "bridge-hs"})
    assert caught.value.message == "input does not match any value of interface"
    assert caught.value.category == 1
    dev.run("/interface/bridge/add", {"name": "bridge-hs"})
    dev.run("/ip/address/add", {"address": "10.5.50.1/24", "interface": "bridge-hs"})
    (addr,) = rows(dev, "ip/address")
    assert addr["network"] == "10.5.50.0"


def test_renaming_an_interface_follows_into_entries_that_use_it(dev: DeviceState) -> None:
    """Bridging page (https://help.mikrotik.com/docs/display/ROS/Bridging+and+Switching):
    ports name their bridge; RouterOS refers by id, so a rename shows everywhere."""
    bridge = dev.run("/interface/bridge/add", {"name": "bridge1"}).ret
    dev.run("/interface/bridge/port/add", {"bridge": "bridge1", "interface": "ether2"})
    dev.run("/interface/bridge/set", {".id": str(bridge), "name": "bridge-hs"})
    assert rows(dev, "interface/bridge/port")[0]["bridge"] == "bridge-hs"
    assert "bridge-hs" in [r["name"] for r in rows(dev, "interface", "type=bridge")]


def test_interface_lists_the_given_ports_and_is_read_only(dev: DeviceState) -> None:
    """Interface page (https://help.mikrotik.com/docs/display/ROS/Interfaces): physical
    ports cannot be added or removed; their comment can be set."""
    names = [r["name"] for r in rows(dev, "interface", "type=ether")]
    assert names == ["ether1", "ether2", "ether3", "ether4", "ether5"]
    with pytest.raises(Trap):
        dev.run("/interface/remove", {"numbers": "ether1"})
    dev.run("/interface/set", {"numbers": "ether1", "comment": "uplink"})
    assert rows(dev, "interface", "name=ether1")[0]["comment"] == "uplink"


def test_hotspot_dns_name_is_a_dynamic_static_dns_entry(dev: DeviceState) -> None:
    """HotSpot page: the server profile's dns-name is added as a static DNS entry for
    the hotspot address; it is dynamic and goes away with the hotspot."""
    dev.run("/interface/bridge/add", {"name": "bridge-hs"})
    dev.run("/ip/address/add", {"address": "10.5.50.1/24", "interface": "bridge-hs"})
    dev.run("/ip/hotspot/profile/add", {"name": "hsprof1", "dns-name": "login.wifi.lab"})
    server = dev.run(
        "/ip/hotspot/add", {"name": "hs1", "interface": "bridge-hs", "profile": "hsprof1"}
    ).ret
    (entry,) = rows(dev, "ip/dns/static", "name=login.wifi.lab")
    assert entry["address"] == "10.5.50.1"
    assert entry["dynamic"] == "true"
    with pytest.raises(Trap, match="dynamic"):
        dev.run("/ip/dns/static/remove", {".id": entry[".id"]})
    dev.run("/ip/hotspot/profile/set", {"numbers": "hsprof1", "hotspot-address": "10.5.50.2"})
    assert rows(dev, "ip/dns/static", "name=login.wifi.lab")[0]["address"] == "10.5.50.2"
    dev.run("/ip/hotspot/remove", {".id": str(server)})
    assert rows(dev, "ip/dns/static", "name=login.wifi.lab") == []


def test_secrets_are_write_only(dev: DeviceState) -> None:
    """RADIUS ``secret`` and user ``password`` are accepted but never printed."""
    rid = dev.run(
        "/radius/add", {"address": "127.0.0.1", "secret": "nas-secret", "service": "hotspot"}
    ).ret
    (row,) = rows(dev, "radius")
    assert "secret" not in row and row["authentication-port"] == "1812"
    assert dev.tables["radius"][0]["secret"] == "nas-secret"
    with pytest.raises(Trap):
        dev.run("/radius/get", {"number": str(rid), "value-name": "secret"})
    dev.run("/user/add", {"name": "noc", "password": "pw-noc", "group": "read"})
    assert all("password" not in r for r in rows(dev, "user"))
    assert dev.authenticate("noc", "pw-noc")
    assert not dev.authenticate("noc", "wrong")
    assert "pw-noc" not in (dev.state_dir / STATE_FILE).read_text()


def test_move_reorders_an_ordered_list_and_is_refused_elsewhere(dev: DeviceState) -> None:
    """Filter page (https://help.mikrotik.com/docs/display/ROS/Filter): rules are
    processed in order and ``move`` reorders them (before ``destination``, else to the end)."""
    ids = [
        dev.run("/ip/firewall/filter/add", {"chain": "forward", "comment": c}).ret
        for c in ("a", "b", "c")
    ]
    dev.run("/ip/firewall/filter/move", {"numbers": str(ids[2]), "destination": str(ids[0])})
    assert [r["comment"] for r in rows(dev, "ip/firewall/filter")] == ["c", "a", "b"]
    dev.run("/ip/firewall/filter/move", {"numbers": f"{ids[2]},{ids[0]}"})
    assert [r["comment"] for r in rows(dev, "ip/firewall/filter")] == ["b", "c", "a"]
    with pytest.raises(Trap, match="no such command"):
        dev.run("/ip/pool/move", {"numbers": "x"})


def test_set_with_bang_unsets_and_empty_comment_removes_it(dev: DeviceState) -> None:
    """API page: ``=!name=`` unsets a property (what Ansible's api_modify sends)."""
    pid = str(dev.run("/ip/pool/add", {"name": "p", "ranges": "10.0.0.1", "comment": "c"}).ret)
    dev.run("/ip/pool/set", {".id": pid, "comment": ""})
    assert "comment" not in rows(dev, "ip/pool")[0]
    dev.run("/ip/pool/set", {".id": pid, "next-pool": "p"})
    dev.run("/ip/pool/set", {".id": pid, "!next-pool": ""})
    assert "next-pool" not in rows(dev, "ip/pool")[0]


def test_settings_paths_set_without_id(dev: DeviceState) -> None:
    """DNS page and RADIUS page: ``/ip dns`` and ``/radius incoming`` (accept=no,
    port=3799) are single settings, set without an id."""
    dev.run("/ip/dns/set", {"servers": "1.1.1.1", "allow-remote-requests": "yes"})
    (dns,) = rows(dev, "ip/dns")
    assert dns["allow-remote-requests"] == "true" and ".id" not in dns
    dev.run("/radius/incoming/set", {"accept": "yes"})
    assert rows(dev, "radius/incoming")[0] == {"accept": "true", "port": "3799"}
    with pytest.raises(Trap, match="unknown parameter"):
        dev.run("/snmp/set", {"colour": "red"})


def test_proplist_and_count_only(dev: DeviceState) -> None:
    """API page: ``=.proplist=`` limits properties; ``=count-only=`` returns ``=ret=``."""
    res = dev.run("/interface/print", {".proplist": ".id,name"}, ["type=ether"])
    assert res.rows[0] == {".id": "*1", "name": "ether1"}
    assert dev.run("/interface/print", {"count-only": ""}, ["type=ether"]).ret == "5"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    """A router keeps its configuration over a reboot; so does the lab device."""
    first = DeviceState(tmp_path / "gw", identity="gw")
    pid = first.run("/ip/pool/add", {"name": "hs", "ranges": "10.5.50.2-10.5.50.254"}).ret
    mode = stat.S_IMODE((tmp_path / "gw" / STATE_FILE).stat().st_mode)
    assert mode == 0o600
    again = DeviceState(tmp_path / "gw", identity="ignored-after-first-start")
    assert again.identity == "gw"
    assert rows(again, "ip/pool") == [{".id": pid, "name": "hs", "ranges": "10.5.50.2-10.5.50.254"}]
    new = again.run("/ip/pool/add", {"name": "x", "ranges": "10.0.0.1"}).ret
    assert new != pid


def test_state_of_another_major_version_is_refused(tmp_path: Path) -> None:
    DeviceState(tmp_path / "gw", version="7.16")
    with pytest.raises(ValueError, match="RouterOS 7"):
        DeviceState(tmp_path / "gw", version="6.49")


def test_backup_save_and_load_restore_the_saved_configuration(dev: DeviceState) -> None:
    """Configuration Management page: ``/system backup save name=…`` then ``load``
    returns the router to the saved configuration (and reboots it)."""
    rebooted: list[bool] = []
    dev.on_reboot.append(lambda: rebooted.append(True))
    dev.run("/ip/pool/add", {"name": "keep", "ranges": "10.0.0.1"})
    dev.run("/system/backup/save", {"name": "before-change", "dont-encrypt": "yes"})
    assert [r["name"] for r in rows(dev, "file")] == ["before-change.backup"]
    dev.run("/ip/pool/add", {"name": "new", "ranges": "10.0.0.2"})
    dev.run("/system/identity/set", {"name": "changed"})
    dev.run("/system/backup/load", {"name": "before-change"})
    assert [r["name"] for r in rows(dev, "ip/pool")] == ["keep"]
    assert dev.identity == "smp-hs-01"
    assert rebooted == [True]
    with pytest.raises(Trap, match="no such backup"):
        dev.run("/system/backup/load", {"name": "missing"})


def test_scheduler_runs_a_restore_script_when_due(dev: DeviceState) -> None:
    """Scheduler page: a task runs ``on-event`` (a /system script name) at
    start-date/start-time, once when interval is 0; run-count counts the runs."""
    dev.run("/system/script/add", {"name": "rollback", "source": "/system backup load name=before"})
    dev.run("/system/backup/save", {"name": "before"})
    dev.run("/ip/pool/add", {"name": "risky", "ranges": "10.9.9.1"})
    later = dev.now().timestamp() + 60
    start = time.strftime("%H:%M:%S", time.gmtime(later))
    day = time.strftime("%Y-%m-%d", time.gmtime(later))
    dev.run(
        "/system/scheduler/add",
        {"name": "auto-rollback", "on-event": "rollback", "start-date": day, "start-time": start},
    )
    (task,) = rows(dev, "system/scheduler")
    assert task["next-run"].endswith(start) and task["interval"] == "0s"
    assert dev.run_due(now=later - 5) == 0
    assert [r["name"] for r in rows(dev, "ip/pool")] == ["risky"]
    assert dev.run_due(now=later + 1) == 1
    assert rows(dev, "ip/pool") == []
    # the schedule was added after the backup, so the restore removed it too
    assert rows(dev, "system/scheduler") == []
    assert dev.due(later + 100) == []


def test_interval_schedule_repeats_and_inline_on_event_runs(dev: DeviceState) -> None:
    dev.run(
        "/system/scheduler/add",
        {"name": "tick", "interval": "00:00:10", "on-event": ':log info "tick"'},
    )
    (task,) = rows(dev, "system/scheduler")
    assert task["interval"] == "10s"
    now = time.time()
    assert dev.run_due(now + 11) == 1
    assert dev.run_due(now + 12) == 0
    assert dev.run_due(now + 22) == 1
    assert dev.script_log == ["tick", "tick"]
    assert rows(dev, "system/scheduler")[0]["run-count"] == "2"


def test_startup_schedule_runs_three_seconds_after_start(tmp_path: Path) -> None:
    """Scheduler page: start-time=startup with interval 0 runs once, 3 s after boot."""
    first = DeviceState(tmp_path / "gw")
    first.run(
        "/system/scheduler/add",
        {
            "name": "boot",
            "start-time": "startup",
            "on-event": "/ip pool add name=b ranges=10.0.0.1",
        },
    )
    booted = DeviceState(tmp_path / "gw")
    assert booted.run_due(booted.started + 2) == 0
    assert booted.run_due(booted.started + 3.5) == 1
    assert [r["name"] for r in rows(booted, "ip/pool")] == ["b"]


def test_script_errors_stop_the_script_and_are_logged(dev: DeviceState) -> None:
    dev.run_script("/ip pool add name=a ranges=10.0.0.1\n/ip pool add name=a ranges=10.0.0.2")
    assert dev.script_log == ["script error: failure: already have such entry (line 2)"]


def test_export_shows_changes_hides_defaults_dynamic_and_secrets(dev: DeviceState) -> None:
    """Configuration Management page: ``/export`` prints the non-default configuration;
    RouterOS 7 hides sensitive values unless ``show-sensitive``."""
    dev.run("/interface/bridge/add", {"name": "bridge-hs"})
    dev.run("/ip/address/add", {"address": "10.5.50.1/24", "interface": "bridge-hs"})
    dev.run("/ip/hotspot/profile/add", {"name": "hsprof1", "dns-name": "login.wifi.lab"})
    dev.run("/ip/hotspot/add", {"name": "hs1", "interface": "bridge-hs", "profile": "hsprof1"})
    dev.run("/radius/add", {"address": "127.0.0.1", "secret": "nas-secret", "service": "hotspot"})
    dev.run(
        "/ip/hotspot/walled-garden/add",
        {"dst-host": "*.banjarmasinkota.go.id", "comment": "Kota Banjarmasin"},
    )
    dev.run("/ip/hotspot/profile/set", {".id": "*0", "use-radius": "yes"})
    dev.run("/interface/set", {"numbers": "ether1", "comment": "wan"})
    text = dev.export()
    assert text.startswith("# ") and "by RouterOS 7.16" in text.splitlines()[0]
    assert "/interface bridge\nadd name=bridge-hs\n" in text
    assert "add address=10.5.50.1/24 interface=bridge-hs\n" in text
    assert "set [ find default=yes ] use-radius=yes\n" in text
    assert "/interface ethernet\nset [ find default-name=ether1 ] comment=wan\n" in text
    assert 'comment="Kota Banjarmasin" dst-host=*.banjarmasinkota.go.id' in text
    assert "nas-secret" not in text
    assert "login.wifi.lab" in text and "/ip dns static" not in text
    assert "default-trial" not in text
    assert "secret=nas-secret" in dev.export(show_sensitive=True)
    terse = dev.export(terse=True)
    assert "/ip hotspot add interface=bridge-hs name=hs1 profile=hsprof1\n" in terse
    assert "/system identity set name=smp-hs-01\n" in terse


def test_login_challenge_uses_md5_of_zero_password_and_challenge(dev: DeviceState) -> None:
    """API page, pre-6.43 login: response = "00" + md5(0x00 + password + challenge)."""
    import hashlib

    challenge = bytes(range(16))
    good = "00" + hashlib.md5(b"\x00lab-pass" + challenge).hexdigest()
    assert dev.authenticate_challenge("admin", challenge, good)
    assert not dev.authenticate_challenge("admin", challenge, "00" + "0" * 32)


def test_state_file_is_json_with_the_changed_entry(dev: DeviceState) -> None:
    dev.run("/ip/pool/add", {"name": "hs", "ranges": "10.5.50.2-10.5.50.254"})
    doc = json.loads((dev.state_dir / STATE_FILE).read_text())
    assert doc["tables"]["ip/pool"][0]["name"] == "hs"
    assert doc["major"] == "7"


def test_ip_service_entries_are_built_in(dev: DeviceState) -> None:
    """IP Services page (https://help.mikrotik.com/docs/display/ROS/Services): the service
    list is fixed (api 8728, api-ssl 8729, …); ports and disabled can be set, entries
    cannot be added, removed or renamed."""
    services = {r["name"]: r["port"] for r in rows(dev, "ip/service")}
    assert services["api"] == "8728" and services["api-ssl"] == "8729"
    with pytest.raises(Trap, match="no such command"):
        dev.run("/ip/service/add", {"port": "1"})
    with pytest.raises(Trap):
        dev.run("/ip/service/remove", {"numbers": "telnet"})
    with pytest.raises(Trap, match="unknown parameter name"):
        dev.run("/ip/service/set", {"numbers": "api", "name": "api2"})
    dev.run("/ip/service/set", {"numbers": "telnet", "disabled": "yes"})
    assert "/ip service set telnet disabled=yes\n" in dev.export(terse=True)


def test_a_failing_command_changes_nothing(dev: DeviceState) -> None:
    """A ``set`` naming two entries where the second fails leaves the first unchanged."""
    a = str(dev.run("/ip/pool/add", {"name": "a", "ranges": "10.0.0.1"}).ret)
    b = str(dev.run("/ip/pool/add", {"name": "b", "ranges": "10.0.0.2"}).ret)
    with pytest.raises(Trap, match="already have such entry"):
        dev.run("/ip/pool/set", {"numbers": f"{a},{b}", "name": "c"})
    assert [r["name"] for r in rows(dev, "ip/pool")] == ["a", "b"]
    with pytest.raises(Trap):
        dev.run("/system/clock/set", {"time-zone-name": "Nowhere/Atlantis"})
    assert rows(dev, "system/clock")[0]["time-zone-name"] == "UTC"


def test_reboot_reruns_startup_schedules(dev: DeviceState) -> None:
    """Scheduler page: ``start-time=startup`` runs 3 s after every boot; ``/system reboot``."""
    dev.run(
        "/system/scheduler/add",
        {"name": "boot", "start-time": "startup", "on-event": ':log info "booted"'},
    )
    rebooted: list[bool] = []
    dev.on_reboot.append(lambda: rebooted.append(True))
    dev.run("/system/reboot")
    assert rebooted == [True]
    assert dev.run_due(dev.started + 4) == 1
    assert dev.script_log == ["booted"]
    with pytest.raises(Trap, match="no such command"):
        dev.run("/system/print")
