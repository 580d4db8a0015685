"""The lab RouterOS against clients nobody on the team wrote.

Real peers: librouteros 4.x (the API client the provisioning driver will use) over plain
TCP and over TLS; Ansible's community.routeros ``api_modify`` / ``api_info`` modules run by
``ansible-playbook``; a paramiko SSH client reading ``/export``. Everything listens on
127.0.0.1 with kernel-chosen ports.

MikroTik pages the behaviour follows: API https://help.mikrotik.com/docs/display/ROS/API ;
HotSpot https://help.mikrotik.com/docs/spaces/ROS/pages/56459266/Hotspot ; scheduler
https://help.mikrotik.com/docs/display/ROS/Scheduler ; backup/export
https://help.mikrotik.com/docs/display/ROS/Configuration+Management .
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import librouteros
import paramiko
import pytest
from librouteros.connections import SocketTransport
from librouteros.exceptions import FatalError, TrapError
from librouteros.login import token
from librouteros.protocol import ApiProtocol, encode_length
from librouteros.query import And, Key, Or

from netops.lab.routeros import DeviceOptions, LabRouterOS
from tests.paths import REPO
from tests.support.ansible_play import routeros_playbook

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
PASSWORD = "lab-Pass-7"
VENV_BIN = REPO / ".venv" / "bin"


@pytest.fixture
def device(tmp_path: Path) -> Iterator[LabRouterOS]:
    options = DeviceOptions(
        state_dir=tmp_path / "smp-hs-01",
        identity="smp-hs-01",
        version="7.16",
        password=PASSWORD,
        api=("127.0.0.1", 0),
        api_ssl=("127.0.0.1", 0),
        ssh=("127.0.0.1", 0),
    )
    with LabRouterOS(options) as dev:
        yield dev


def connect(dev: LabRouterOS, **kw: Any) -> librouteros.Api:
    host, port = dev.address("api")
    return librouteros.connect(host, "admin", PASSWORD, port=port, timeout=5, **kw)


def names(rows: Any) -> list[str]:
    return [r["name"] for r in rows]


def test_librouteros_login_print_queries_and_proplist(device: LabRouterOS) -> None:
    """API page: plain ``/login =name= =password=``; queries ``?=name=value`` and ``?#``
    ops; ``=.proplist=`` limits the properties returned."""
    api = connect(device)
    iface = api.path("interface")
    name, kind = Key("name"), Key("type")
    assert names(iface.select(name).where(kind == "ether")) == [
        "ether1",
        "ether2",
        "ether3",
        "ether4",
        "ether5",
    ]
    assert names(iface.select(name).where(name.In("ether2", "ether4"))) == ["ether2", "ether4"]
    assert names(iface.select(name).where(And(kind == "ether", name != "ether1"))) == [
        "ether2",
        "ether3",
        "ether4",
        "ether5",
    ]
    assert names(iface.select(name).where(Or(name == "ether5", kind == "wifi"))) == [
        "ether5",
        "wifi1",
        "wifi2",
    ]
    (row,) = iface.select(Key(".id"), name).where(name == "ether3")
    assert row == {".id": "*3", "name": "ether3"}
    (resource,) = api.path("system", "resource")
    assert resource["version"] == "7.16 (stable)"
    api.close()


def test_librouteros_add_set_remove_move_round_trip(device: LabRouterOS) -> None:
    api = connect(device)
    garden = api.path("ip", "hotspot", "walled-garden")
    first = garden.add(**{"dst-host": "*.banjarmasinkota.go.id", "comment": "kota"})
    second = garden.add(**{"dst-host": "portal.wifi.lab"})
    assert first.startswith("*") and second.startswith("*") and first != second
    (row,) = (r for r in garden if r[".id"] == first)
    assert row["disabled"] is False and row["action"] == "allow"
    garden.update(**{".id": first, "comment": "Pemkot"})
    assert [r.get("comment") for r in garden] == ["Pemkot", None]
    tuple(garden("move", numbers=second, destination=first))
    assert [r["dst-host"] for r in garden] == ["portal.wifi.lab", "*.banjarmasinkota.go.id"]
    garden.remove(second)
    assert [r[".id"] for r in garden] == [first]
    api.close()


def test_librouteros_sees_traps_for_duplicates_unknown_params_and_commands(
    device: LabRouterOS,
) -> None:
    api = connect(device)
    pool = api.path("ip", "pool")
    pool.add(name="hs-pool", ranges="10.5.50.2-10.5.50.254")
    with pytest.raises(TrapError) as dup:
        pool.add(name="hs-pool", ranges="10.6.0.2-10.6.0.9")
    assert dup.value.message == "failure: already have such entry"
    with pytest.raises(TrapError) as unknown:
        pool.add(name="other", ranges="10.6.0.2", colour="red")
    assert unknown.value.message == "unknown parameter colour"
    with pytest.raises(TrapError) as nocmd:
        tuple(api("/ip/pool/frobnicate"))
    assert nocmd.value.message == "no such command"
    with pytest.raises(TrapError) as ref:
        api.path("ip", "address").add(address="10.5.50.1/24", interface="bridge-missing")
    assert ref.value.category == 1
    with pytest.raises(TrapError) as builtin:
        api.path("ip", "hotspot", "profile").remove("*0")
    assert "default" in builtin.value.message
    assert names(pool) == ["hs-pool"]
    api.close()


def test_wrong_password_is_refused(device: LabRouterOS) -> None:
    host, port = device.address("api")
    with pytest.raises(TrapError, match="invalid user name or password"):
        librouteros.connect(host, "admin", "not-it", port=port, timeout=5)


def test_pre_643_challenge_login(device: LabRouterOS) -> None:
    """API page: ``/login`` alone returns ``=ret=`` challenge; the client answers with
    ``=response=00`` + MD5(0 + password + challenge)."""
    api = connect(device, login_method=token)
    assert names(api.path("system", "identity")) == ["smp-hs-01"]
    api.close()


def test_librouteros_over_tls_verifies_the_lab_certificate(device: LabRouterOS) -> None:
    """API-SSL (8729-style): TLS with the certificate the device generated for itself."""
    host, port = device.address("api-ssl")
    ctx = ssl.create_default_context(cafile=str(device.options.state_dir / "api-ssl.crt"))
    api = librouteros.connect(
        host,
        "admin",
        PASSWORD,
        port=port,
        timeout=5,
        ssl_wrapper=lambda sock: ctx.wrap_socket(sock, server_hostname=host),
    )
    api.path("ip", "pool").add(name="over-tls", ranges="10.7.0.2-10.7.0.9")
    plain = connect(device)
    assert names(plain.path("ip", "pool")) == ["over-tls"]
    api.close()
    plain.close()


def test_quit_answers_fatal_and_closes(device: LabRouterOS) -> None:
    api = connect(device)
    with pytest.raises(FatalError, match="session terminated on request"):
        tuple(api("/quit"))


def _raw(device: LabRouterOS) -> ApiProtocol:
    sock = socket.create_connection(device.address("api"), timeout=5)
    proto = ApiProtocol(SocketTransport(sock=sock), encoding="utf-8")
    proto.writeSentence("/login", "=name=admin", f"=password={PASSWORD}")
    assert proto.readSentence() == ("!done", ())
    return proto


def test_tags_listen_and_cancel(device: LabRouterOS) -> None:
    """API page: every reply to a tagged command carries its ``.tag``; ``listen`` streams
    changes until ``/cancel =tag=``, which ends it with ``!trap`` (category 2,
    interrupted) and ``!done``."""
    proto = _raw(device)
    proto.writeSentence("/ip/pool/listen", ".tag=watch")
    proto.writeSentence("/ip/pool/add", "=name=p1", "=ranges=10.8.0.2", ".tag=add1")
    seen = [proto.readSentence(), proto.readSentence()]
    added = next(words for reply, words in seen if reply == "!done")
    assert added[-1] == ".tag=add1" and added[0].startswith("=ret=*")
    streamed = next(words for reply, words in seen if reply == "!re")
    assert "=name=p1" in streamed and streamed[-1] == ".tag=watch"
    proto.writeSentence("/interface/print", "?type=ether", "=.proplist=name", ".tag=p")
    replies = [proto.readSentence() for _ in range(6)]
    assert all(words[-1] == ".tag=p" for _, words in replies)
    assert [r for r, _ in replies] == ["!re"] * 5 + ["!done"]
    proto.writeSentence("/cancel", "=tag=watch", ".tag=c")
    ends = [proto.readSentence() for _ in range(3)]
    assert ("!trap", ("=category=2", "=message=interrupted", ".tag=watch")) in ends
    assert ("!done", (".tag=watch",)) in ends and ("!done", (".tag=c",)) in ends
    proto.writeSentence("/ip/pool/add", "=name=p2", "=ranges=10.8.0.3", ".tag=add2")
    reply, words = proto.readSentence()
    assert reply == "!done" and words[-1] == ".tag=add2"
    proto.close()


def test_trap_before_login_and_unknown_path(device: LabRouterOS) -> None:
    sock = socket.create_connection(device.address("api"), timeout=5)
    proto = ApiProtocol(SocketTransport(sock=sock), encoding="utf-8")
    proto.writeSentence("/ip/pool/print", ".tag=1")
    assert proto.readSentence() == ("!trap", ("=message=not logged in", ".tag=1"))
    assert proto.readSentence() == ("!done", (".tag=1",))
    proto.close()
    proto = _raw(device)
    proto.writeSentence("/ip/nothing/print")
    assert proto.readSentence() == ("!trap", ("=message=no such command prefix",))
    proto.close()


def test_many_connections_at_once(device: LabRouterOS) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            api = connect(device)
            for k in range(5):
                api.path("ip", "dns", "static").add(name=f"h{n}-{k}.lab", address="10.0.0.1")
            assert len(list(api.path("ip", "dns", "static"))) >= 5
            api.close()
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    api = connect(device)
    assert len(list(api.path("ip", "dns", "static"))) == 100
    api.close()


def test_hotspot_dns_name_shows_as_dynamic_static_dns_over_the_api(device: LabRouterOS) -> None:
    """HotSpot page: the profile's DNS name resolves (via a dynamic /ip dns static entry)
    to the hotspot address."""
    api = connect(device)
    api.path("interface", "bridge").add(name="bridge-hs")
    api.path("ip", "address").add(address="10.5.50.1/24", interface="bridge-hs")
    api.path("ip", "hotspot", "profile").add(name="hsprof1", **{"dns-name": "login.wifi.lab"})
    api.path("ip", "hotspot").add(name="hs1", interface="bridge-hs", profile="hsprof1")
    (entry,) = (
        api.path("ip", "dns", "static")
        .select(Key(".id"), Key("address"), Key("dynamic"))
        .where(Key("name") == "login.wifi.lab")
    )
    assert entry["address"] == "10.5.50.1" and entry["dynamic"] is True
    with pytest.raises(TrapError):
        api.path("ip", "dns", "static").remove(str(entry[".id"]))
    api.close()


def test_ssh_export_reflects_an_api_change(device: LabRouterOS) -> None:
    """Configuration Management page: ``/export`` shows the running configuration; a
    text backup over SSH sees what the API changed. Prompt ``[admin@IDENTITY] > ``."""
    api = connect(device)
    api.path("ip", "pool").add(name="hs-pool", ranges="10.5.50.2-10.5.50.254")
    api.path("radius").add(address="127.0.0.1", secret="nas-secret", service="hotspot")
    api.path("system", "identity").update(name="smp-hs-01b")
    api.close()
    host, port = device.address("ssh")
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        host,
        port=port,
        username="admin+ct511w4098h",
        password=PASSWORD,
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    _, stdout, _ = client.exec_command("/export")
    text = stdout.read().decode()
    assert "/ip pool\r\nadd name=hs-pool ranges=10.5.50.2-10.5.50.254\r\n" in text
    assert "/radius\r\nadd address=127.0.0.1 service=hotspot\r\n" in text
    assert "nas-secret" not in text
    shell = client.invoke_shell()
    got = _read_until(shell, b"] > ")
    assert got.endswith(b"[admin@smp-hs-01b] > ")
    shell.send(b"/export terse\r")
    terse = _read_until(shell, b"[admin@smp-hs-01b] > ").decode()
    assert "/ip pool add name=hs-pool ranges=10.5.50.2-10.5.50.254\r\n" in terse
    shell.send(b"/system identity print\r")
    assert b"  name: smp-hs-01b\r\n" in _read_until(shell, b"[admin@smp-hs-01b] > ")
    client.close()


def _read_until(channel: Any, marker: bytes, timeout: float = 5) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data.split(b"\n")[-1] and time.monotonic() < deadline:
        if channel.recv_ready():
            data += channel.recv(65536)
        else:
            time.sleep(0.02)
    return data


def test_scheduled_restore_runs_when_due(device: LabRouterOS) -> None:
    """Scheduler page: a task with ``start-time`` runs its ``on-event`` script when due.
    The script restores a saved backup (``/system backup load``), as a commit-confirm
    rollback does; the device then drops API sessions as a reboot would."""
    api = connect(device)
    tuple(
        api.path("system", "script")(
            "add", name="rollback", source="/system backup load name=before-change"
        )
    )
    tuple(api.path("system", "backup")("save", name="before-change"))
    api.path("ip", "pool").add(name="risky", ranges="10.9.9.2-10.9.9.9")
    when = datetime.now(UTC) + timedelta(seconds=2)
    api.path("system", "scheduler").add(
        name="auto-rollback",
        **{
            "on-event": "rollback",
            "start-date": when.strftime("%Y-%m-%d"),
            "start-time": when.strftime("%H:%M:%S"),
        },
    )
    assert names(api.path("ip", "pool")) == ["risky"]
    deadline = time.monotonic() + 10
    pools = ["risky"]
    while time.monotonic() < deadline and pools:
        time.sleep(0.3)
        try:
            pools = names(connect(device).path("ip", "pool"))
        except (OSError, librouteros.exceptions.LibRouterosError):
            continue
    assert pools == []
    fresh = connect(device)
    assert names(fresh.path("system", "scheduler")) == []
    assert names(fresh.path("system", "script")) == ["rollback"]
    fresh.close()


def test_state_survives_a_device_restart(tmp_path: Path) -> None:
    options = DeviceOptions(state_dir=tmp_path / "gw", identity="gw", password=PASSWORD)
    with LabRouterOS(options) as dev:
        api = connect(dev)
        api.path("ip", "pool").add(name="hs-pool", ranges="10.5.50.2-10.5.50.254")
        api.close()
    options2 = DeviceOptions(state_dir=tmp_path / "gw", identity="gw", password=PASSWORD)
    with LabRouterOS(options2) as dev:
        assert names(connect(dev).path("ip", "pool")) == ["hs-pool"]


def test_routeros_6_device_has_wireless_and_its_version(tmp_path: Path) -> None:
    options = DeviceOptions(
        state_dir=tmp_path / "ap", identity="ap", version="6.49", password=PASSWORD
    )
    with LabRouterOS(options) as dev:
        api = connect(dev)
        (res,) = api.path("system", "resource")
        assert res["version"].startswith("6.49")
        assert names(api.path("interface", "wireless")) == ["wlan1"]
        with pytest.raises(TrapError, match="no such command prefix"):
            tuple(api.path("interface", "wifi"))
        api.close()


# ---------------------------------------------------------------------- the entry point


@pytest.mark.parametrize("source", ["env", "file"])
def test_entry_point_runs_until_sigterm(tmp_path: Path, source: str) -> None:
    env = {**os.environ, "LAB_ROS_PASSWORD": PASSWORD}
    secret_file = tmp_path / "password"
    secret_file.write_text(PASSWORD + "\n")
    secret = (
        ["--password-env", "LAB_ROS_PASSWORD"]
        if source == "env"
        else ["--password-file", str(secret_file)]
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netops.lab.routeros",
            "--state-dir",
            str(tmp_path / "gw"),
            "--api",
            "127.0.0.1:0",
            "--identity",
            "gw-entry",
            "--version",
            "7.16",
            "--user",
            "admin",
            *secret,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("gw-entry: RouterOS 7.16 api on 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        api = librouteros.connect("127.0.0.1", "admin", PASSWORD, port=port, timeout=5)
        assert names(api.path("system", "identity")) == ["gw-entry"]
        api.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    assert (tmp_path / "gw" / "state.json").exists()


def test_entry_point_says_one_sentence_for_a_missing_password(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "LAB_ROS_UNSET"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "netops.lab.routeros",
            "--state-dir",
            str(tmp_path / "gw"),
            "--api",
            "127.0.0.1:0",
            "--password-env",
            "LAB_ROS_UNSET",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --password-env: variable LAB_ROS_UNSET is unset or empty"


# ---------------------------------------------------------------------- Ansible


def _playbook(tmp_path: Path, port: int, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    return routeros_playbook(tmp_path, ("127.0.0.1", port), "admin", PASSWORD, tasks, timeout=120)


WALLED_GARDEN = [
    {"dst-host": "*.banjarmasinkota.go.id", "comment": "Pemkot Banjarmasin"},
    {"dst-host": "portal.wifi.lab", "action": "allow"},
    {"dst-host": "*.gstatic.com", "dst-port": "443"},
]
POOLS = [
    {"name": "hs-pool", "ranges": "10.5.50.2-10.5.50.254"},
    {"name": "mgmt", "ranges": "10.9.0.10-10.9.0.20", "comment": "management"},
]


def _modify_tasks(garden: list[dict[str, str]], pools: list[dict[str, str]]) -> list[Any]:
    return [
        {
            "name": "garden",
            "community.routeros.api_modify": {
                "path": "ip hotspot walled-garden",
                "data": garden,
                "handle_absent_entries": "remove",
                "handle_entries_content": "remove",
                "ensure_order": True,
            },
        },
        {
            "name": "pools",
            "community.routeros.api_modify": {
                "path": "ip pool",
                "data": pools,
                "handle_absent_entries": "remove",
                "handle_entries_content": "remove",
            },
        },
    ]


@pytest.mark.skipif(not (VENV_BIN / "ansible-playbook").exists(), reason="ansible not in .venv")
def test_ansible_api_modify_converges_and_is_idempotent(
    device: LabRouterOS, tmp_path: Path
) -> None:
    """community.routeros api_modify brings the walled garden and the pools to the given
    state (removing what is not listed, keeping the order) and a second run changes
    nothing; api_info reads back what librouteros wrote."""
    port = device.address("api")[1]
    api = connect(device)
    api.path("ip", "pool").add(name="stale", ranges="10.99.0.1")
    garden = api.path("ip", "hotspot", "walled-garden")
    garden.add(**{"dst-host": "portal.wifi.lab"})
    garden.add(**{"dst-host": "old.example.lab"})
    first = _playbook(tmp_path, port, _modify_tasks(WALLED_GARDEN, POOLS))
    assert first["garden"]["changed"] is True and first["pools"]["changed"] is True
    assert [r["dst-host"] for r in garden] == [g["dst-host"] for g in WALLED_GARDEN]
    assert names(api.path("ip", "pool")) == ["hs-pool", "mgmt"]
    second = _playbook(tmp_path, port, _modify_tasks(WALLED_GARDEN, POOLS))
    assert second["garden"]["changed"] is False and second["pools"]["changed"] is False
    reordered = [WALLED_GARDEN[2], WALLED_GARDEN[0], WALLED_GARDEN[1]]
    third = _playbook(tmp_path, port, _modify_tasks(reordered, POOLS[:1]))
    assert third["garden"]["changed"] is True
    assert [r["dst-host"] for r in garden] == [g["dst-host"] for g in reordered]
    assert names(api.path("ip", "pool")) == ["hs-pool"]
    api.path("ip", "dns", "static").add(name="radius.lab", address="127.0.0.1", comment="from API")
    info = _playbook(
        tmp_path,
        port,
        [
            {
                "name": "dns",
                "community.routeros.api_info": {"path": "ip dns static"},
                "register": "dns",
            }
        ],
    )
    (entry,) = info["dns"]["result"]
    assert (entry["name"], entry["address"], entry["comment"]) == (
        "radius.lab",
        "127.0.0.1",
        "from API",
    )
    api.close()
    shutil.rmtree(tmp_path / "ansible-tmp", ignore_errors=True)


def test_backup_load_over_the_api_answers_then_drops_old_sessions(device: LabRouterOS) -> None:
    """Configuration Management page: loading a backup reboots the router. The asking
    session gets ``!done`` and is then closed, as is every session opened before; a new
    connection sees the restored configuration."""
    bystander = connect(device)
    proto = _raw(device)
    proto.writeSentence("/system/backup/save", "=name=clean")
    assert proto.readSentence() == ("!done", ())
    proto.writeSentence("/ip/pool/add", "=name=temp", "=ranges=10.4.0.2")
    assert proto.readSentence()[0] == "!done"
    proto.writeSentence("/system/backup/load", "=name=clean", ".tag=load")
    assert proto.readSentence() == ("!done", (".tag=load",))
    with pytest.raises((OSError, EOFError, librouteros.exceptions.LibRouterosError)):
        proto.writeSentence("/ip/pool/print")
        proto.readSentence()
    with pytest.raises((OSError, EOFError, librouteros.exceptions.LibRouterosError)):
        tuple(bystander.path("ip", "pool"))
    assert names(connect(device).path("ip", "pool")) == []


def _hotspot_tasks() -> list[Any]:
    return [
        {
            "name": "profiles",
            "community.routeros.api_modify": {
                "path": "ip hotspot profile",
                "data": [
                    {"name": "default"},
                    {
                        "name": "hsprof1",
                        "dns-name": "login.wifi.lab",
                        "hotspot-address": "10.5.50.1",
                        "use-radius": True,
                        "login-by": "http-chap,http-pap",
                    },
                ],
                "handle_absent_entries": "remove",
                "handle_entries_content": "remove",
            },
        },
        {
            "name": "user-profiles",
            "community.routeros.api_modify": {
                "path": "ip hotspot user profile",
                "data": [
                    {"name": "default"},
                    {"name": "gratis", "rate-limit": "2M/5M", "session-timeout": "2h"},
                ],
                "handle_absent_entries": "remove",
                "handle_entries_content": "remove",
            },
        },
        {
            "name": "dns",
            "community.routeros.api_modify": {
                "path": "ip dns static",
                "data": [{"name": "radius.lab", "address": "127.0.0.1"}],
                "handle_absent_entries": "remove",
                "handle_entries_content": "remove",
            },
        },
    ]


@pytest.mark.skipif(not (VENV_BIN / "ansible-playbook").exists(), reason="ansible not in .venv")
def test_ansible_keeps_built_in_and_dynamic_entries(device: LabRouterOS, tmp_path: Path) -> None:
    """api_modify ignores dynamic entries (the hotspot's DNS name) and works with the
    built-in ``default`` profiles; a second run changes nothing."""
    port = device.address("api")[1]
    api = connect(device)
    api.path("interface", "bridge").add(name="bridge-hs")
    api.path("ip", "address").add(address="10.5.50.1/24", interface="bridge-hs")
    api.path("ip", "dns", "static").add(name="stale.lab", address="10.0.0.9")
    first = _playbook(tmp_path, port, _hotspot_tasks())
    assert all(first[t]["changed"] for t in ("profiles", "user-profiles", "dns"))
    api.path("ip", "hotspot").add(name="hs1", interface="bridge-hs", profile="hsprof1")
    dns = api.path("ip", "dns", "static")
    assert sorted((r["name"], r["dynamic"]) for r in dns) == [
        ("login.wifi.lab", True),
        ("radius.lab", False),
    ]
    second = _playbook(tmp_path, port, _hotspot_tasks())
    assert not any(second[t]["changed"] for t in ("profiles", "user-profiles", "dns"))
    assert sorted(r["name"] for r in dns) == ["login.wifi.lab", "radius.lab"]
    assert names(api.path("ip", "hotspot", "profile")) == ["default", "hsprof1"]
    api.close()


def test_netmiko_text_backup_sees_what_the_api_changed(device: LabRouterOS) -> None:
    """The project's text backup path today: netmiko's ``mikrotik_routeros`` driver finds
    the ``[admin@IDENTITY] >`` prompt and reads ``/export terse`` and
    ``/system resource print``, and sees a change made over the API."""
    from netmiko import ConnectHandler

    from netops.provision.drivers import parse_facts
    from netops.provision.platforms import platform

    api = connect(device)
    api.path("ip", "hotspot", "walled-garden").add(**{"dst-host": "*.banjarmasinkota.go.id"})
    api.close()
    host, port = device.address("ssh")
    conn = ConnectHandler(
        device_type="mikrotik_routeros", host=host, port=port, username="admin", password=PASSWORD
    )
    try:
        assert conn.find_prompt() == "[admin@smp-hs-01] >"
        text = conn.send_command(platform("mikrotik_routeros").show_running)
        assert "/ip hotspot walled-garden add dst-host=*.banjarmasinkota.go.id" in text
        facts = parse_facts(
            platform("mikrotik_routeros"), conn.send_command("/system resource print")
        )
        assert facts["version"] == "7.16 (stable)"
    finally:
        conn.disconnect()


def test_garbage_before_login_gets_fatal_and_a_closed_connection(device: LabRouterOS) -> None:
    """A reserved control byte or an oversized word before login ends the connection with
    ``!fatal``; the device keeps serving others."""
    for payload in (b"\xf8\x00", encode_length(100_000) + b"x" * 64):
        sock = socket.create_connection(device.address("api"), timeout=5)
        sock.sendall(payload)
        proto = ApiProtocol(SocketTransport(sock=sock), encoding="utf-8")
        with pytest.raises(FatalError, match="protocol error"):
            proto.readSentence()
        sock.close()
    assert names(connect(device).path("system", "identity")) == ["smp-hs-01"]
