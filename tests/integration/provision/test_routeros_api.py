"""The RouterOS API driver against the lab RouterOS device, through ``netops config``.

Real peers: the lab device speaks the RouterOS API wire protocol (netops.lab.routeros),
the edits "by hand" go through librouteros, a client nobody on the team wrote. Each test
runs its own devices in-process on loopback ports the kernel picks.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import librouteros
import pytest

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.routeros import DeviceOptions, LabRouterOS
from netops.provision import operations
from netops.provision.drivers.routeros import RouterOSSession, _strip, managed_paths
from netops.provision.operations import Options
from netops.provision.routeros.planner import Add
from tests.paths import LAB, REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
PASSWORD = "netops-lab"
SECRETS = ("netops-lab", "testing123")
NETOPS = REPO / ".venv" / "bin" / "netops"


@dataclass
class Lab:
    root: Path
    devices: dict[str, LabRouterOS]

    def inventory(self) -> Inventory:
        return load_inventory(self.root)

    def api(self, host: str) -> Any:
        addr, port = self.devices[host].address("api")
        return librouteros.connect(addr, "netops", PASSWORD, port=port, timeout=5)

    def netops(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "250"}
        return subprocess.run(
            [str(NETOPS), "config", *args, "-i", str(self.root)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=self.root.parent,
        )


def _start(tmp: Path, host: str, version: str, address: str, tls: bool = False) -> LabRouterOS:
    options = DeviceOptions(
        state_dir=tmp / host,
        identity=host,
        version=version,
        user="netops",
        password=PASSWORD,
        api=(address, 0),
        api_ssl=(address, 0) if tls else None,
        ssh=(address, 0),
    )
    return LabRouterOS(options).start()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """The lab inventory with its gateway (7.16) and access point (6.49) on lab devices."""
    devices = {"lab-hs-01": _start(tmp_path, "lab-hs-01", "7.16", "127.0.0.1")}
    devices["lab-ap-01"] = _start(tmp_path, "lab-ap-01", "6.49", "127.0.1.5")
    root = tmp_path / "inv"
    shutil.copytree(LAB, root)
    text = (root / "devices.yml").read_text()
    for host, ssh, api in (("lab-hs-01", 10021, 10031), ("lab-ap-01", 10022, 10032)):
        text = text.replace(f"ssh_port: {ssh}", f"ssh_port: {devices[host].address('ssh')[1]}")
        text = text.replace(f"port: {api}", f"port: {devices[host].address('api')[1]}")
    # The access point's version is read from /system/resource, not pinned.
    text = text.replace(', version: "7.16"', "")
    (root / "devices.yml").write_text(text)
    try:
        yield Lab(root, devices)
    finally:
        for dev in devices.values():
            dev.stop()


def _read(lab: Lab, host: str) -> dict[str, list[dict[str, str]]]:
    inv = lab.inventory()
    from netops.provision.drivers.base import login_for
    from netops.provision.render import Redactor

    session = RouterOSSession(inv, login_for(inv, inv.device(host)), Redactor())
    session.open()
    try:
        return _strip(session.read())
    finally:
        session.close()


def test_push_twice_changes_nothing_the_second_time(lab: Lab, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    first = lab.netops("push", "--commit", "--session-log", str(logs), "-r", "hotspot-gateway")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "changed" in first.stdout
    first_ap = lab.netops("push", "--commit", "-d", "lab-ap-01")
    assert first_ap.returncode == 0, first_ap.stdout + first_ap.stderr
    # A confirmed push leaves no confirm entry behind.
    api = lab.api("lab-hs-01")
    assert not [r for r in api.path("system", "scheduler") if "netops" in r["name"]]
    again = lab.netops("push", "--commit", "-d", "lab-hs-01")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 unchanged" in again.stdout, again.stdout
    again_ap = lab.netops("push", "--commit", "-d", "lab-ap-01")
    assert "1 unchanged" in again_ap.stdout, again_ap.stdout + again_ap.stderr
    # The git backup holds the /export read before the push.
    export = (lab.root.parent / "var" / "backups" / "lab-hs-01.cfg").read_text()
    assert "/system identity" in export or "/ip" in export
    # The session log shows the API calls and no secret.
    log = (logs / "lab-hs-01.log").read_text()
    assert "/radius/add" in log and "/ip/pool/add" in log
    for secret in SECRETS:
        assert secret not in log


def test_hand_edit_is_set_back_with_set_and_rogue_radius_goes_with_prune(lab: Lab) -> None:
    assert lab.netops("push", "--commit", "-d", "lab-hs-01").returncode == 0
    api = lab.api("lab-hs-01")
    pool = next(r for r in api.path("ip", "pool") if r["name"] == "pool-lab-park")
    api.path("ip", "pool").update(**{".id": pool[".id"], "ranges": "10.254.200.50-10.254.200.60"})
    api.path("radius").add(address="10.9.9.9", service="hotspot", secret="rogue-secret")
    api.path("ip", "hotspot", "user").add(name="tamu", password="tamu-pass")

    shown = lab.netops("diff", "-d", "lab-hs-01")
    assert "only-on-device" in shown.stdout and "10.9.9.9" in shown.stdout, shown.stdout
    assert "/ip/hotspot/user" in shown.stdout and "name=tamu" in shown.stdout, shown.stdout
    assert "default-trial" not in shown.stdout  # dynamic: never drift
    assert "/ip pool set" in shown.stdout and "ranges" in shown.stdout, shown.stdout
    assert "/ip pool add" not in shown.stdout

    pushed = lab.netops("push", "--commit", "-d", "lab-hs-01")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    pool = next(r for r in api.path("ip", "pool") if r["name"] == "pool-lab-park")
    assert pool["ranges"] == "10.254.200.10-10.254.200.254"
    assert [r for r in api.path("radius") if r["address"] == "10.9.9.9"], "kept without --prune"

    pruned = lab.netops("push", "--commit", "--prune", "-d", "lab-hs-01")
    assert pruned.returncode == 0, pruned.stdout + pruned.stderr
    assert not [r for r in api.path("radius") if r["address"] == "10.9.9.9"]
    users = [r["name"] for r in api.path("ip", "hotspot", "user")]
    assert "tamu" not in users and "default-trial" in users
    check = lab.netops("check", "-d", "lab-hs-01")
    assert check.returncode == 0 and "none" in check.stdout, check.stdout


def test_prune_is_refused_for_other_drivers(lab: Lab) -> None:
    out = lab.netops("push", "--prune", "-d", "lab-dist-01")
    assert out.returncode == 1
    assert "--prune works on RouterOS gateways and access points" in out.stdout


def test_failed_verification_rolls_back_to_the_state_read_before(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _read(lab, "lab-hs-01")
    original = RouterOSSession.apply

    def apply_then_meddle(self: RouterOSSession, ops: Any) -> None:
        original(self, ops)
        api = lab.api("lab-hs-01")  # someone else changes the device before verification
        pool = next(r for r in api.path("ip", "pool") if r["name"] == "pool-lab-park")
        api.path("ip", "pool").update(**{".id": pool[".id"], "ranges": "10.254.200.99"})

    monkeypatch.setattr(RouterOSSession, "apply", apply_then_meddle)
    inv = lab.inventory()
    result = operations.push(inv, inv.device("lab-hs-01"), Options(commit=True))
    assert result.error is not None and "verification failed" in result.error
    assert result.rolled_back, result.error
    assert _read(lab, "lab-hs-01") == before


def test_a_trap_on_one_operation_rolls_back(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _read(lab, "lab-hs-01")
    original = RouterOSSession.apply

    def trap_midway(self: RouterOSSession, ops: Any) -> None:
        original(self, ops[:5])
        original(self, (Add("/ip/pool", {"name": "x", "ranges": "not-a-range"}, "+99"),))

    monkeypatch.setattr(RouterOSSession, "apply", trap_midway)
    inv = lab.inventory()
    result = operations.push(inv, inv.device("lab-hs-01"), Options(commit=True))
    assert result.error is not None
    assert "the device refused add on /ip/pool" in result.error, result.error
    assert result.rolled_back, result.error
    assert _read(lab, "lab-hs-01") == before


class CuttingProxy:
    """A TCP relay to the device's API that cuts both sides once the client has sent
    ``after`` add commands, and then refuses new connections (netops lost the device)."""

    def __init__(self, target: tuple[str, int], after: int) -> None:
        self.target, self.after = target, after
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.adds = 0
        self.cut = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.cut.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, counting: bool) -> None:
        try:
            while data := src.recv(65536):
                if counting:
                    self.adds += data.count(b"/add")
                    if self.adds >= self.after:
                        self.cut.set()
                        self.listener.close()
                        for s in (src, dst):
                            s.shutdown(socket.SHUT_RDWR)
                            s.close()
                        return
                dst.sendall(data)
        except OSError:
            pass


def test_cut_connection_mid_push_leaves_the_device_as_it_was(lab: Lab) -> None:
    before = _read(lab, "lab-hs-01")
    proxy = CuttingProxy(lab.devices["lab-hs-01"].address("api"), after=8)
    inv = lab.inventory()
    device = inv.device("lab-hs-01")
    device = device.model_copy(update={"api": device.api.model_copy(update={"port": proxy.port})})
    started = time.monotonic()
    result = operations.push(inv, device, Options(commit=True, confirm_timeout=3))
    assert proxy.cut.is_set()
    assert result.error is not None and not result.rolled_back, result.error
    assert "loads netops-pre-" in result.error
    assert _read(lab, "lab-hs-01") != before  # half applied, until the device restores
    deadline = started + 15
    while time.monotonic() < deadline and _read(lab, "lab-hs-01") != before:
        time.sleep(0.5)
    assert _read(lab, "lab-hs-01") == before


def test_api_ssl_with_the_devices_authority_and_a_clear_sentence_without_it(
    tmp_path: Path,
) -> None:
    dev = _start(tmp_path, "lab-hs-01", "7.16", "127.0.0.1", tls=True)
    try:
        root = tmp_path / "inv"
        shutil.copytree(LAB, root)
        port = dev.address("api-ssl")[1]
        text = (root / "devices.yml").read_text().replace("ssh_port: 10021", "ssh_port: 1")
        ca = tmp_path / "lab-hs-01" / "api-ssl.crt"
        trusted = f"api: {{port: {port}, tls: true, ca_file: '{ca}'}}"
        (root / "devices.yml").write_text(text.replace("api: {port: 10031}", trusted))
        inv = load_inventory(root)
        result = operations.check(inv, inv.device("lab-hs-01"), Options())
        assert result.error is None, result.error
        assert result.facts["version"] == "7.16 (stable)"
        untrusted = f"api: {{port: {port}, tls: true}}"
        (root / "devices.yml").write_text(text.replace("api: {port: 10031}", untrusted))
        inv = load_inventory(root)
        result = operations.check(inv, inv.device("lab-hs-01"), Options())
        assert result.error is not None and result.error.startswith(
            f"the API-SSL certificate of lab-hs-01 at 127.0.0.1:{port} is not trusted ("
        ), result.error
    finally:
        dev.stop()


def test_render_writes_rsc_and_state_json(lab: Lab, tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    done = lab.netops("render", "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    rsc = (out / "lab-hs-01.rsc").read_text()
    state = json.loads((out / "lab-hs-01.json").read_text())
    assert "/ip pool" in rsc and "[netops]" in rsc
    assert state["/ip/pool"][0]["name"] == "pool-lab-park"
    assert "testing123" not in rsc and "<secret:" in json.dumps(state["/radius"])
    assert (out / "lab-core-01.cfg").exists()
    assert managed_paths("6.49") != managed_paths("7.16")


def test_clients_dns_forced_to_the_resolvers_is_pushed_and_converges(lab: Lab) -> None:
    """services.client_dns on the lab gateway: the push adds the DNS redirect, the DoT block
    and the DHCP resolvers on the device (read back through librouteros), and a second push
    changes nothing."""
    meta = lab.root / "meta.yml"
    text = meta.read_text()
    meta.write_text(
        text.replace(
            "  dns: [127.0.0.1]\n",
            "  dns: [127.0.0.1]\n  client_dns: {resolvers: [127.0.0.53, 127.0.0.54]}\n",
        )
    )
    first = lab.netops("push", "--commit", "-d", "lab-hs-01")
    assert first.returncode == 0, first.stdout + first.stderr
    api = lab.api("lab-hs-01")
    nat = [r for r in api.path("ip", "firewall", "nat") if r.get("chain") == "dstnat"]
    assert sorted(
        (r["protocol"], str(r["dst-port"]), r["dst-address-list"], r["action"]) for r in nat
    ) == [
        ("tcp", "53", "!netops-dns", "redirect"),
        ("udp", "53", "!netops-dns", "redirect"),
    ]
    dot = [r for r in api.path("ip", "firewall", "filter") if r.get("chain") == "forward"]
    assert sorted((r["protocol"], str(r["dst-port"]), r["action"]) for r in dot) == [
        ("tcp", "853", "reject"),
        ("udp", "853", "reject"),
    ]
    (network,) = list(api.path("ip", "dhcp-server", "network"))
    assert network["dns-server"] == "127.0.0.53,127.0.0.54"
    assert next(iter(api.path("ip", "dns")))["servers"] == "127.0.0.53,127.0.0.54"
    again = lab.netops("push", "--commit", "-d", "lab-hs-01")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 unchanged" in again.stdout, again.stdout
    drift = lab.netops("diff", "-d", "lab-hs-01")
    assert "dstnat" not in drift.stdout, drift.stdout
