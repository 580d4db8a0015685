"""The hotspot seam, end to end from what was pushed.

``netops config render`` and ``netops config push --commit`` put the lab inventory's hotspot
configuration on the lab RouterOS device (``lab-hs-01``); the lab hotspot gateway plays that
device from its state alone. A phone that uses the gateway as its proxy opens a page, gets
the pushed ``login.html``, reaches the portal through the pushed walled garden, logs in with
a voucher; the gateway asks ``netops radius serve`` with the pushed ``/radius`` address and
secret, accounts, and ``netops radius disconnect`` ends the session through the pushed
``/radius incoming`` port.

Mutation twins, each with the gateway left running so that it has to follow the new state:
a walled garden without the portal, a ``/radius`` secret that is not the inventory's, and
``/radius incoming`` switched off. Each fails the happy path's assertions with a reason.

Real peers: the lab RouterOS device (RouterOS API over TCP), librouteros for the edits made
by another client, the netops CLI (render, push, voucher, radius serve, sessions,
disconnect, portal serve) as subprocesses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import librouteros
import pytest

from netops.lab.citizen import FIRST_PAGE, LoginError, Phone, gateway_login_form
from netops.lab.gateway import GatewaySim
from netops.lab.routeros import DeviceOptions, LabRouterOS
from netops.lab.tls import make_lab_tls
from netops.store.credentials import generate_key
from tests.integration.privacy.test_trace import free_port
from tests.paths import LAB, REPO
from tests.support.portal_peers import (
    CHROMIUM_ARGS,
    Service,
    base_env,
    require_chromium,
    start_service,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

NETOPS = REPO / ".venv" / "bin" / "netops"
PASSWORD = "netops-lab"
SECRET = "testing123"
VOUCHER = re.compile(r"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}\b")


@dataclass
class Seam:
    work: Path
    inv: Path
    db: str
    env: dict[str, str]
    device: LabRouterOS
    gateway: GatewaySim
    radius: Service
    portal_url: str
    coa_port: int
    ports: dict[str, Any]

    def netops(self, *args: str, inv: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(NETOPS), "-i", str(inv or self.inv), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**self.env, "COLUMNS": "250"},
            cwd=self.work,
        )

    def push(self, inv: Path | None = None) -> None:
        done = self.netops("config", "push", "--commit", "-d", "lab-hs-01", inv=inv)
        assert done.returncode == 0, done.stdout + done.stderr

    def api(self) -> Any:
        host, port = self.device.address("api")
        return librouteros.connect(host, "netops", PASSWORD, port=port, timeout=5)

    def voucher(self) -> str:
        made = self.netops("--db", self.db, "voucher", "create", "--plan", "voucher-harian")
        assert made.returncode == 0, made.stdout + made.stderr
        found = VOUCHER.search(made.stdout)
        assert found, made.stdout
        return found.group(0)


def _inventory(dest: Path, *, api: int, ssh: int, radius: tuple[int, int], portal: int,
               coa: int, secret: str = SECRET, portal_url: str | None = None) -> Path:  # fmt: skip
    """A copy of the lab inventory with this run's ports (and a NAS secret, a portal URL)."""
    shutil.copytree(LAB, dest)
    devices = (dest / "devices.yml").read_text()
    devices = devices.replace("ssh_port: 10021", f"ssh_port: {ssh}")
    devices = devices.replace("port: 10031", f"port: {api}")
    (dest / "devices.yml").write_text(devices)
    meta = (dest / "meta.yml").read_text()
    meta = meta.replace("auth_port: 1812", f"auth_port: {radius[0]}")
    meta = meta.replace("acct_port: 1813", f"acct_port: {radius[1]}")
    meta = meta.replace("http://127.0.0.1:8080/", portal_url or f"http://127.0.0.1:{portal}/")
    (dest / "meta.yml").write_text(meta)
    profiles = (dest / "profiles.yml").read_text()
    old = f"    secret: {SECRET}\n"
    assert old in profiles
    profiles = profiles.replace(old, f"    secret: {secret}\n    coa_port: {coa}\n")
    (dest / "profiles.yml").write_text(profiles)
    return dest


@pytest.fixture(scope="module")
def seam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seam]:
    work = tmp_path_factory.mktemp("seam")
    device = LabRouterOS(
        DeviceOptions(
            state_dir=work / "lab-hs-01",
            identity="lab-hs-01",
            version="7.16",
            user="netops",
            password=PASSWORD,
            api=("127.0.0.1", 0),
            ssh=("127.0.0.1", 0),
        )
    ).start()
    ports = {
        "api": device.address("api")[1],
        "ssh": device.address("ssh")[1],
        "radius": (free_port(), free_port()),
        "portal": free_port(),
        "coa": free_port(),
    }
    inv = _inventory(work / "inv", **ports)  # type: ignore[arg-type]
    _inventory(work / "inv-other-secret", **ports, secret="not-the-inventorys")  # type: ignore[arg-type]
    env = base_env(generate_key(), "seam-admin-token-of-the-hotspot-seam-tests")
    db = f"sqlite:///{work / 'netops.db'}"
    services: list[Service] = []
    gateway: GatewaySim | None = None
    try:
        common = ["-i", str(inv), "--db", db]
        radius = start_service(
            "radius",
            [*common, "radius", "serve", "--bind", "127.0.0.1",
             "--metrics-listen", "off", "--reject-delay", "0", "--sweep-interval", "0"],
            log_dir=work, env=env, pattern=r"auth \d+ acct \d+",
        )  # fmt: skip
        services.append(radius)
        portal = start_service(
            "portal",
            [*common, "portal", "serve", "--listen", f"127.0.0.1:{ports['portal']}"],
            log_dir=work, env=env, pattern=r"serving http://",
        )  # fmt: skip
        services.append(portal)
        # The gateway gets no RADIUS, portal, secret or CoA options: only where it listens
        # and the lab device whose state it plays.
        gateway = GatewaySim(
            listen_host="127.0.0.1", coa_host="127.0.0.1", device_state=work / "lab-hs-01"
        )
        gateway.start()
        portal_url = f"http://127.0.0.1:{ports['portal']}/"
        yield Seam(
            work, inv, db, env, device, gateway, radius, portal_url, int(ports["coa"]), ports
        )
    finally:
        if gateway is not None:
            gateway.stop()
        for service in reversed(services):
            service.stop()
        device.stop()


def _reply(seam: Seam, phone: Phone) -> dict[str, Any]:
    return seam.gateway.sessions[phone.station].reply


def test_before_any_push_the_gateway_says_it_has_no_hotspot(seam: Seam) -> None:
    with Phone(via=seam.gateway.base_url) as phone, pytest.raises(LoginError) as refused:
        phone.join(seam.gateway.base_url, voucher="ABCD-EFGH-JK")
    assert "no enabled /ip hotspot" in str(refused.value)


def test_a_voucher_login_through_the_pushed_gateway_config(seam: Seam) -> None:
    rendered = seam.work / "rendered"
    done = seam.netops("config", "render", "-d", "lab-hs-01", "--out", str(rendered))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/ip hotspot walled-garden" in (rendered / "lab-hs-01.rsc").read_text()
    seam.push()
    code = seam.voucher()
    with Phone(via=seam.gateway.base_url) as phone:
        # Not logged in: any page is answered with the pushed login.html, at the dns-name.
        landing = phone.open(FIRST_PAGE)
        assert landing.url.host == "login.lab.netops.test"
        form = gateway_login_form(landing)
        assert form is not None and form.action == seam.portal_url
        assert form.fields["identity"] == "lab-hs-01"
        assert form.fields["server-name"] == "hs-lab-park"
        assert form.fields["chap-challenge"]  # login-by=http-chap
        assert form.fields["link-login-only"].startswith("http://login.lab.netops.test/c/")

        joined = phone.join(seam.gateway.base_url, voucher=code)
        assert joined.status_url.startswith(seam.portal_url + "status")
        attempt = seam.gateway.attempts[-1]
        assert attempt.accepted and attempt.method == "chap"
        reply = _reply(seam, phone)
        assert reply["Session-Timeout"] == [4 * 3600]  # voucher-harian: 4h
        assert reply["Mikrotik-Rate-Limit"][0].startswith("5M/10M")
        # A Mikrotik-Group, when RADIUS sends one, names a user profile the push created.
        for group in reply.get("Mikrotik-Group", []):
            assert group in {p["name"] for p in seam.api().path("ip", "hotspot", "user", "profile")}
        session = seam.gateway.sessions[phone.station]
        seam.gateway.traffic(phone.station, input_octets=1_000, output_octets=50_000, seconds=30)

        listed = seam.netops("--db", seam.db, "radius", "sessions", "--active", "-f", "json")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        rows = json.loads(listed.stdout)
        rows = rows.get("sessions", rows) if isinstance(rows, dict) else rows
        mine = [r for r in rows if r.get("acct_session_id") == session.acct_session_id]
        assert mine, listed.stdout
        assert mine[0]["nas_identifier"] == "lab-hs-01"  # the pushed /system identity
        assert mine[0]["hotspot"] == "lab-park"
        assert (mine[0]["input_octets"], mine[0]["output_octets"]) == (1_000, 50_000)  # interim

        gone = seam.netops("--db", seam.db, "radius", "disconnect", "--session",
                           session.acct_session_id)  # fmt: skip
        assert gone.returncode == 0, gone.stdout + gone.stderr
        assert f"127.0.0.1:{seam.coa_port} " in gone.stdout  # the pushed /radius incoming port
        assert phone.station not in seam.gateway.sessions
        assert ("disconnect", "ack") in seam.gateway.coa_log
        # Off again: the next page is the login page.
        again = phone.open(FIRST_PAGE)
        assert gateway_login_form(again) is not None


def test_a_walled_garden_without_the_portal_keeps_the_phone_from_it(seam: Seam) -> None:
    seam.push()
    api = seam.api()
    for path in (("ip", "hotspot", "walled-garden"), ("ip", "hotspot", "walled-garden", "ip")):
        menu = api.path(*path)
        for entry in list(menu):
            if "captive portal" in entry.get("comment", ""):
                menu.remove(entry[".id"])
    code = seam.voucher()
    with Phone(via=seam.gateway.base_url) as phone, pytest.raises(LoginError) as refused:
        phone.join(seam.gateway.base_url, voucher=code)
    assert "not reachable before login" in str(refused.value)
    assert "walled garden" in str(refused.value)
    assert not seam.gateway.sessions


def test_a_radius_secret_other_than_the_inventorys_fails_the_login(seam: Seam) -> None:
    seam.push(seam.work / "inv-other-secret")
    code = seam.voucher()
    before = len(seam.gateway.attempts)
    with Phone(via=seam.gateway.base_url) as phone, pytest.raises(LoginError) as refused:
        phone.join(seam.gateway.base_url, voucher=code)
    assert "the gateway refused the login: RADIUS server 127.0.0.1:" in str(refused.value)
    assert "is not responding" in str(refused.value)
    assert len(seam.gateway.attempts) == before  # no answer was taken as an answer
    assert not seam.gateway.sessions
    log = seam.radius.log.read_text()
    assert "bad Message-Authenticator (wrong shared secret?)" in log, log[-2000:]


def test_radius_incoming_switched_off_makes_disconnect_fail(seam: Seam) -> None:
    seam.push()
    code = seam.voucher()
    with Phone(via=seam.gateway.base_url) as phone:
        phone.join(seam.gateway.base_url, voucher=code)
        session = seam.gateway.sessions[phone.station]
        seam.api().path("radius", "incoming").update(accept=False)
        quick = ("--timeout", "0.5", "--retries", "1")
        gone = seam.netops("--db", seam.db, "radius", "disconnect", "--session",
                           session.acct_session_id, *quick)  # fmt: skip
        assert gone.returncode != 0, gone.stdout
        assert "TIMEOUT" in gone.stdout, gone.stdout
        assert f"127.0.0.1:{seam.coa_port} " in gone.stdout
        assert phone.station in seam.gateway.sessions
        seam.gateway.logout(phone.station)
    # The next push turns it on again, and the gateway follows.
    seam.push()


@pytest.fixture(autouse=True)
def _keep_env() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_chromium_through_the_pushed_gateway_logs_in_with_a_voucher(seam: Seam) -> None:
    """A real browser with the gateway as its proxy: the pushed login.html's script sends it
    through the walled garden to the portal, where it logs in with a voucher."""
    from playwright.sync_api import sync_playwright

    seam.push()
    code = seam.voucher()
    station = "02:5e:a0:00:00:01"
    args = [*CHROMIUM_ARGS, f"--proxy-server={seam.gateway.base_url}",
            "--proxy-bypass-list=<-loopback>"]  # fmt: skip
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=require_chromium(), args=args)
        try:
            context = browser.new_context(
                extra_http_headers={"X-Lab-Station": station}, locale="id-ID"
            )
            page = context.new_page()
            page.goto(FIRST_PAGE)
            page.wait_for_url(re.compile(re.escape(seam.portal_url) + r"(login)?\?"))
            page.get_by_label("Kode voucher", exact=True).fill(code)
            page.get_by_role("button", name="Masuk dengan voucher").click()
            page.wait_for_url(re.compile(re.escape(seam.portal_url) + r"status"))
            assert page.get_by_role("status").inner_text() == "Anda terhubung ke internet."
        finally:
            browser.close()
    assert station in seam.gateway.sessions
    assert seam.gateway.sessions[station].reply["Session-Timeout"] == [4 * 3600]
    seam.gateway.logout(station)


def test_an_https_portal_is_reached_through_the_walled_garden_ip_list(seam: Seam) -> None:
    """The walled garden's IP list opens an HTTPS portal (a CONNECT tunnel through the
    gateway); without that entry the phone cannot reach it, and says so."""
    tls = make_lab_tls(seam.work / "tls")
    port = free_port()
    url = f"https://127.0.0.1:{port}/"
    inv = _inventory(seam.work / "inv-https", **seam.ports, portal_url=url)
    portal = start_service(
        "portal-https",
        ["-i", str(inv), "--db", seam.db, "portal", "serve", "--listen", f"127.0.0.1:{port}",
         "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)],
        log_dir=seam.work, env=seam.env, pattern=r"serving https://",
    )  # fmt: skip
    try:
        seam.push(inv)
        entries = list(seam.api().path("ip", "hotspot", "walled-garden", "ip"))
        assert [(e["dst-address"], str(e["dst-port"])) for e in entries] == [
            ("127.0.0.1", str(port))
        ]
        with Phone(via=seam.gateway.base_url, verify=str(tls.ca_cert)) as phone:
            joined = phone.join(seam.gateway.base_url, voucher=seam.voucher())
            assert joined.status_url.startswith(f"{url}status")
            seam.gateway.logout(phone.station)
        menu = seam.api().path("ip", "hotspot", "walled-garden", "ip")
        for entry in list(menu):
            menu.remove(entry[".id"])
        with (
            Phone(via=seam.gateway.base_url, verify=str(tls.ca_cert)) as phone,
            pytest.raises(LoginError) as refused,
        ):
            phone.join(seam.gateway.base_url, voucher=seam.voucher())
        assert f"the portal at {url} is not reachable before login" in str(refused.value)
        assert "403" in str(refused.value)
    finally:
        portal.stop()
        seam.push()


def test_interim_updates_follow_the_pushed_radius_interim_update(seam: Seam) -> None:
    seam.push()
    with Phone(via=seam.gateway.base_url) as phone:
        phone.join(seam.gateway.base_url, voucher=seam.voucher())
        session = seam.gateway.sessions[phone.station]
        time.sleep(2.5)
        assert session.interims == 0  # the pushed 5m: none yet
        profiles = seam.api().path("ip", "hotspot", "profile")
        ours = next(p for p in profiles if p["name"] == "hsprof-lab-park")
        profiles.update(**{".id": ours[".id"], "radius-interim-update": "1s"})
        deadline = time.monotonic() + 10
        while session.interims < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert session.interims >= 2
        listed = seam.netops("--db", seam.db, "radius", "sessions", "--active", "-f", "json")
        row = next(
            r for r in json.loads(listed.stdout) if r["acct_session_id"] == session.acct_session_id
        )
        assert row["session_time"] >= 1, row  # the server took the gateway's own interims
        seam.gateway.logout(phone.station)
    seam.push()


def test_the_lab_hotspot_process_plays_the_pushed_config(seam: Seam) -> None:
    """``netops lab up``'s hotspot process with ``--device-state`` (as the lab runs it): its
    citizens and ``netops lab login`` get online through the pushed config. Last in this
    module: the lab's process takes the in-process gateway's place (and its CoA port)."""
    seam.gateway.stop()
    seam.push()
    lab = seam.work / "lab"
    lab.mkdir()
    state = lab / "hotspot-lab-park.json"
    log = (seam.work / "hotspot.log").open("w")
    proc = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "netops.lab.hotspot_main",
         "--inventory", str(seam.inv), "--hotspot", "lab-park", "--state", str(state),
         "--listen", "127.0.0.1:0", "--citizens", "1", "--interim", "1",
         "--device-state", str(seam.work / "lab-hs-01")],
        stdout=log, stderr=subprocess.STDOUT, env=seam.env, cwd=seam.work,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert state.exists(), (seam.work / "hotspot.log").read_text()
        assert json.loads(state.read_text())["device_state"] == str(seam.work / "lab-hs-01")
        joined = seam.netops("lab", "login", "--lab-dir", str(lab))
        assert joined.returncode == 0, joined.stdout + joined.stderr
        assert "online at lab-park as" in joined.stdout
        assert "through lab-hs-01's pushed hotspot config" in joined.stdout
        # The process's own citizen joins as well (through the proxy, walled garden and all).
        deadline = time.monotonic() + 30
        while "online as" not in (seam.work / "hotspot.log").read_text():
            assert time.monotonic() < deadline, (seam.work / "hotspot.log").read_text()
            time.sleep(0.5)
        listed = seam.netops("--db", seam.db, "radius", "sessions", "--active", "-f", "json")
        assert len(json.loads(listed.stdout)) >= 2, listed.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
