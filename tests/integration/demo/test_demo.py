"""`make demo` as a new user runs it, end to end and headless: a fresh `git clone` of this
repository, then the README's `make demo` in it with every default (its own `.venv`, its
state in the relative folder `var`). The demo brings the lab and the stack up, pushes the
routers' configs, a citizen logs in through the portal and Prometheus has the lab's metrics;
the quickstart's commands, verbatim, work in the clone while it runs; Ctrl-C then stops
everything, leaving no process and no network namespace behind.

Real peers: FRR + sshd in network namespaces, snmpsim agents, Debian's Prometheus, the
netops RADIUS server, portal and exporter, the simulated MikroTik gateway, Chromium.
"""

from __future__ import annotations

import codecs
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.paths import REPO

pytestmark = [pytest.mark.integration, pytest.mark.root]
README_DEMO = "make demo"
READY = "netops demo is running."
DOCS_IMG = REPO / "docs" / "img"
ARTIFACTS = REPO / "test-artifacts" / "quickstart"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync",
]  # fmt: skip
VOUCHER = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}")
# docs/quickstart.md's commands, run as written there, in the clone, while the demo runs.
QUICKSTART_INVENTORY = "export NETOPS_INVENTORY=inventory/lab"
QUICKSTART_RENDER = ".venv/bin/netops config render --role core --out var/rendered"
QUICKSTART_DIFF = ".venv/bin/netops config diff --role core"
QUICKSTART_PUSH = ".venv/bin/netops config push --role core"
QUICKSTART_OSPF = (
    "ip netns exec nxlab-lab-core-01 vtysh -N nxlab-lab-core-01 -c 'show ip ospf neighbor'"
)
QUICKSTART_VOUCHER = (
    ".venv/bin/netops --db sqlite:///var/netops.db voucher create --plan voucher-harian --count 1"
)
QUICKSTART_SESSIONS = ".venv/bin/netops --db sqlite:///var/netops.db radius sessions --active"


def _free_ports(count: int) -> list[int]:
    """Ports free for TCP and UDP alike, all different, chosen by the kernel."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


def _namespaces(prefix: str = "nxlab-") -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


def _processes_mentioning(*needles: str) -> list[str]:
    """Command lines of live processes that contain any of ``needles``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and any(n in line for n in needles):
            found.append(f"{entry.name}: {line.strip()}")
    return found


_PENDING: dict[int, tuple[str, Any]] = {}


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """The script's output up to the line containing ``marker``; fail with it if it ends.

    Reads the pipe's descriptor itself: a text wrapper's readline would pull several lines
    into its own buffer, where select() cannot see them, and wait for output that never
    comes. What follows the marker's line is kept for the next call."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending, decoder = _PENDING.pop(
        proc.pid, ("", codecs.getincrementaldecoder("utf-8")("replace"))
    )
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        while "\n" in pending:
            line, pending = pending.split("\n", 1)
            seen.append(line + "\n")
            if marker in line:
                _PENDING[proc.pid] = (pending, decoder)
                return "".join(seen)
        if time.monotonic() > deadline:
            break
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += decoder.decode(chunk)
    tail = "".join(seen[-40:]) + pending
    raise AssertionError(f"demo did not print {marker!r} (exit {proc.poll()}):\n{tail}")


def _quickstart_screens(ports: dict[str, int], code: str, var: Path, shots: Path) -> str:
    """Walk the quickstart in Chromium: a phone at the hotspot, a login with voucher
    ``code``, the operator console and a Prometheus graph; screenshots go to ``shots``.
    Returns the voucher's RADIUS username."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "chromium is missing (Debian package chromium)"
    portal = f"http://127.0.0.1:{ports['PORTAL_PORT']}"
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            phone = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="id-ID"
            ).new_page()
            phone.goto(f"http://127.0.0.1:{ports['GATEWAY_PORT']}/berita")
            # The gateway's pushed login.html sends the phone on to the portal by script.
            phone.wait_for_url(re.compile(re.escape(portal) + r"/(login)?\?"))
            phone.screenshot(path=str(shots / "quickstart-portal-login.png"), full_page=True)
            phone.get_by_label("Kode voucher", exact=True).fill(code)
            phone.get_by_role("button", name="Masuk dengan voucher").click()
            phone.wait_for_url(re.compile(re.escape(portal) + r"/status\?"))
            assert phone.get_by_role("status").inner_text() == "Anda terhubung ke internet."
            phone.screenshot(path=str(shots / "quickstart-voucher-online.png"), full_page=True)
            _android_probe_passes(phone, ports)

            desk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            desk.goto(f"{portal}/admin/login")
            # No operator name: the deprecated break-glass token (scripts/demo.sh sets it).
            desk.locator("#password").fill((var / "admin-token").read_text().strip())
            desk.locator("form button[type=submit]").click()
            desk.wait_for_url(re.compile(re.escape(portal) + r"/admin/vouchers"))
            desk.goto(f"{portal}/admin/sessions")
            # The console knows the voucher by its derived name, never by its code.
            content = desk.content()
            found = re.search(r"\bv-[a-z2-7]{13}\b", content)
            assert found, "the voucher's session is listed under its derived name"
            assert code not in content and code.replace("-", "") not in content
            username = found.group(0)
            desk.screenshot(path=str(shots / "quickstart-console-sessions.png"), full_page=True)

            query = "sum by (device) (rate(ifHCInOctets[1m])) * 8"
            params = urlencode({"g0.expr": query, "g0.tab": "0", "g0.range_input": "3m"})
            desk.goto(f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}/graph?{params}")
            # Debian's Prometheus serves the classic UI (Rickshaw, SVG) at /graph.
            desk.wait_for_selector(".graph_area svg path", timeout=60_000)
            desk.wait_for_timeout(1000)
            legend = desk.locator(".graph_legend, .legend").first.inner_text()
            assert "lab-core-01" in legend, legend
            desk.screenshot(path=str(shots / "quickstart-prometheus.png"), full_page=True)
        finally:
            browser.close()
    return username


def _watch_foreign_labs(found: list[str], demo: subprocess.Popen[str]) -> None:
    """Note any interface outside the lab that takes the lab routers' gateway addresses
    while the demo runs: SSH to 10.254.0.2 would then reach another lab's router."""
    while demo.poll() is None:
        shown = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True,
                               text=True).stdout  # fmt: skip
        for line in shown.splitlines():
            parts = line.split()
            if (len(parts) > 3 and parts[3].split("/")[0] in ("10.254.0.1", "10.254.0.5")
                    and not parts[1].startswith("nxlab") and parts[1] not in found):  # fmt: skip
                found.append(parts[1])
        time.sleep(1)


def _prometheus_devices(url: str) -> set[str]:
    resp = httpx.get(url, params={"query": "count by (device) (ifHCInOctets)"}, timeout=10)
    resp.raise_for_status()
    return {r["metric"].get("device", "") for r in resp.json()["data"]["result"]}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _fresh_clone(dest: Path) -> Path:
    """A `git clone` of the repository these tests run from, into ``dest``.

    Changes to tracked files not committed yet are applied on top (the test checks what the
    next commit holds); untracked and ignored files (``.venv``, ``var``) stay behind, as in
    any clone."""
    assert (REPO / ".git").exists(), f"{REPO} is not a git checkout: this test clones it"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(dest)], check=True, timeout=300)
    diff = subprocess.run(
        ["git", "-C", str(REPO), "diff", "HEAD", "--binary"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    if diff.strip():
        subprocess.run(["git", "-C", str(dest), "apply", "--whitespace=nowarn"], input=diff,
                       capture_output=True, check=True, timeout=60)  # fmt: skip
    return dest


def _user_env(ports: dict[str, int]) -> dict[str, str]:
    """A user's shell: none of this run's virtualenv, make, netops or demo settings; only the
    ports (the demo's documented ``*_PORT`` variables), so parallel runs do not collide."""
    ours = ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "PYTHONPATH", "PYTHONHOME")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ours and not k.startswith(("NETOPS_", "DEMO_"))
    }
    venv = str(REPO / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv)
    env["COLUMNS"] = "200"
    return {**env, **{k: str(v) for k, v in ports.items()}}


def _shell(clone: Path, env: dict[str, str], *lines: str) -> str:
    """Run ``lines`` as one shell session in the clone, as a user types them; their output."""
    done = subprocess.run(["bash", "-ec", "\n".join(lines)], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, f"{lines[-1]} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def _android_probe_passes(phone: Any, ports: dict[str, int]) -> None:
    """Once the phone is online, its OS's probe reaches the demo's stand-in internet through
    the lab gateway and gets what Google's server answers (204), so the login window closes."""
    (mac,) = [c["value"] for c in phone.context.cookies() if c["name"] == "gwsim_client"]
    conn = http.client.HTTPConnection("127.0.0.1", ports["GATEWAY_PORT"], timeout=10)
    try:
        conn.request(
            "GET",
            "/generate_204",
            headers={"Host": "connectivitycheck.gstatic.com", "Cookie": f"gwsim_client={mac}"},
        )
        reply = conn.getresponse()
        assert (reply.status, reply.read()) == (204, b"")
    finally:
        conn.close()


def _phone_sign_up_through_kannel(output: str, ports: dict[str, int], var: Path) -> None:
    """The demo says where the lab's SMS can be read; a number signed up at the demo's
    portal gets its code there (Kannel's test SMSC) and nowhere else the demo writes."""
    sms_log = var / "lab" / "kannel" / "sms.log"
    if shutil.which("bearerbox") is None:
        assert "phone sign-up         off: Kannel is not installed" in output
        return
    assert "SMS sign-up codes     var/lab/kannel/sms.log" in output, output[-2000:]
    portal = f"http://127.0.0.1:{ports['PORTAL_PORT']}"
    gateway = "http://10.254.200.1"
    params = {"link-login-only": f"{gateway}/login", "mac": "02:00:5e:10:00:01",
              "ip": "10.254.200.77", "server-name": "lab-park",
              "link-orig": "http://x.test/"}  # fmt: skip
    with httpx.Client(base_url=portal, timeout=20) as client:
        page = client.get("/login", params=params).text
        data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        data.update(method="phone", step="send", phone="0812-5550-1234")
        sent = client.post("/login", data=data)
    assert sent.status_code == 200, sent.text[-500:]
    deadline = time.monotonic() + 30
    found: list[str] = []
    while not found and time.monotonic() < deadline:
        text = sms_log.read_text(errors="replace") if sms_log.exists() else ""
        found = re.findall(r"Got message \d+: <\S+ (\S+) text (.*)>", text)
        time.sleep(0.5)
    assert found, "no SMS reached Kannel's test SMSC"
    to, text = found[-1]
    assert to.endswith("81255501234")
    code = re.search(r"\b(\d{6})\b", text)
    assert code, text
    for log in [*(var / "log").glob("*"), *(var / "lab" / "log").glob("*")]:
        assert code.group(1) not in log.read_text(errors="replace"), log


@pytest.mark.timeout(900)
def test_make_demo_in_a_fresh_clone_runs_headless_and_ctrl_c_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    for tool in ("/usr/bin/prometheus", "/usr/lib/frr/zebra", "/usr/sbin/sshd", "/usr/bin/make"):
        assert Path(tool).exists(), f"{tool} is missing: install the Debian packages (make deps)"
    clone = _fresh_clone(tmp_path / "netops")
    quickstart = (clone / "docs" / "quickstart.md").read_text()
    readme = (clone / "README.md").read_text()
    assert f"\n{README_DEMO}    #" in readme, "the README's first command is no longer `make demo`"
    for line in (QUICKSTART_INVENTORY, QUICKSTART_RENDER, QUICKSTART_DIFF, QUICKSTART_PUSH,
                 QUICKSTART_OSPF, QUICKSTART_VOUCHER, QUICKSTART_SESSIONS):  # fmt: skip
        assert line in quickstart, f"docs/quickstart.md no longer says {line!r}"
    var = clone / "var"  # the default DEMO_VAR, relative to where `make demo` runs
    names = ["RADIUS_AUTH_PORT", "RADIUS_ACCT_PORT", "RADIUS_METRICS_PORT", "PORTAL_PORT",
             "EXPORTER_PORT", "HEALTH_PORT", "PROMETHEUS_PORT", "GATEWAY_PORT"]  # fmt: skip
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    env = _user_env(ports)

    # Leftovers of an earlier, crashed run: a stale state file and a stray lab namespace.
    var.mkdir()
    (var / "up.json").write_text(json.dumps({"pid": 999_999_999, "components": {}}))
    subprocess.run(["ip", "netns", "add", "nxlab-lab-core-01"], check=True)

    demo = subprocess.Popen(
        README_DEMO.split(), cwd=clone, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
        # Ctrl-C as in a terminal, even when this test runs as a background job (which
        # ignores SIGINT): an ignored signal stays ignored in make and bash.
        preexec_fn=_default_sigint,
    )  # fmt: skip
    try:
        foreign: list[str] = []
        watcher = threading.Thread(target=_watch_foreign_labs, args=(foreign, demo), daemon=True)
        watcher.start()
        output = _read_until(demo, READY, timeout=720)
        output += _read_until(demo, "Logs: ", timeout=30)  # the rest of what to open
        (tmp_path / "demo.out").write_text(output)
        assert (clone / ".venv" / "bin" / "netops").exists(), "make demo made no .venv"
        prometheus = f"http://127.0.0.1:{ports['PROMETHEUS_PORT']}/api/v1/query"
        devices: set[str] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            devices = _prometheus_devices(prometheus)
            if len(devices) == 5:
                break
            time.sleep(2)
        assert devices == {"lab-core-01", "lab-core-02", "lab-dist-01", "lab-hs-01", "lab-ap-01"}

        if foreign:
            pytest.fail(
                "another FRR lab (the provisioning tests or benchmarks) used the lab's "
                f"addresses while this test ran (interfaces {', '.join(foreign)}); "
                "run it again when they have finished"
            )
        assert (var / "banjarmasin-topology.svg").exists() and (var / "lab" / "lab.json").exists()
        start = output.find("Provisioning")
        push = output[start : output.find("A citizen joins", start)]
        assert "dry run: nothing was changed" in push, push
        assert "running configs before the push:" in push, push  # the commit ran
        assert (var / "backups" / "lab-core-01.cfg").exists()
        joined = re.search(r"online at lab-park as (\S+)", output)
        assert joined, "the demo's citizen did not get online"
        # ... through the hotspot config netops pushed to the RouterOS lab gateway.
        assert "through lab-hs-01's pushed hotspot config" in output, output[-3000:]
        hotspot = json.loads((var / "lab" / "hotspot-lab-park.json").read_text())
        assert hotspot["device_state"].endswith("routeros/lab-hs-01"), hotspot
        username = joined.group(1)

        # docs/quickstart.md, sections 2 and 3, in a second terminal.
        section = [QUICKSTART_INVENTORY]
        _shell(clone, env, *section, QUICKSTART_RENDER)
        assert sorted(p.name for p in (var / "rendered").iterdir()) == [
            "lab-core-01.cfg", "lab-core-02.cfg"
        ]  # fmt: skip
        assert "ip address 10.254.101.1/30" in (var / "rendered" / "lab-core-02.cfg").read_text()
        _shell(clone, env, *section, QUICKSTART_DIFF)
        again = _shell(clone, env, *section, QUICKSTART_PUSH)
        assert "2 unchanged" in again, again  # the demo pushed already
        running = subprocess.run(
            ["ip", "netns", "exec", "nxlab-lab-core-02", "vtysh", "-N", "nxlab-lab-core-02",
             "-c", "show running-config"],
            capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        assert "ip address 10.254.101.1/30" in running, running
        assert "router ospf" in running
        neighbours = ""
        deadline = time.monotonic() + 30
        while "Full" not in neighbours and time.monotonic() < deadline:
            neighbours = _shell(clone, env, QUICKSTART_OSPF)
            time.sleep(1)
        assert "Full" in neighbours, neighbours
        made = _shell(clone, env, *section, QUICKSTART_VOUCHER)
        codes = VOUCHER.findall(made)
        assert len(codes) == 1, made
        sessions = _shell(clone, env, *section, QUICKSTART_SESSIONS)
        assert username in sessions, sessions

        shots = tmp_path / "shots"
        shots.mkdir()
        voucher_user = _quickstart_screens(ports, codes[0], var, shots)
        active = _shell(clone, env, *section, QUICKSTART_SESSIONS + " --format json")
        assert {r["username"] for r in json.loads(active)} >= {username, voucher_user}
        # Screenshots are test artefacts; NETOPS_UPDATE_DOCS_IMG=1 refreshes the docs' copies.
        target = DOCS_IMG if os.environ.get("NETOPS_UPDATE_DOCS_IMG") == "1" else ARTIFACTS
        target.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copyfile(shot, target / shot.name)

        _phone_sign_up_through_kannel(output, ports, var)

        health_url = f"http://127.0.0.1:{ports['HEALTH_PORT']}/health"
        health = httpx.get(health_url, timeout=10)
        assert health.status_code == 200
        # The lab inventory has a privacy section, so the daily retention purge runs too.
        components = {"radius", "portal", "exporter", "prometheus", "privacy-purge"}
        assert set(health.json()["components"]) == components

        # The RADIUS server crashes: the supervisor reports it and starts a new one.
        before = health.json()["components"]["radius"]
        os.kill(before["pid"], signal.SIGKILL)
        radius = before
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            radius = httpx.get(health_url, timeout=10).json()["components"]["radius"]
            if radius["up"] and radius["pid"] != before["pid"]:
                break
            time.sleep(0.5)
        assert radius["up"] and radius["restarts"] == before["restarts"] + 1, radius
        assert radius["last_error"] == "killed by SIGKILL"

        os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C: the terminal signals make and the demo
        rest, _ = demo.communicate(timeout=180)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGINT)
            try:
                demo.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(demo.pid, signal.SIGKILL)
        leftovers = _namespaces()
        if leftovers:
            netops = clone / ".venv" / "bin" / "netops"
            subprocess.run([str(netops), "lab", "down", "--lab-dir", str(var / "lab")],
                           cwd=clone, capture_output=True, timeout=120)  # fmt: skip

    # make reports the interrupt and dies of SIGINT once the demo has cleaned up.
    assert demo.returncode == -signal.SIGINT, rest
    assert "stopped: supervisor pid" in rest and "lab down:" in rest, rest
    assert leftovers == [], f"network namespaces left behind: {leftovers}"
    assert _processes_mentioning(str(clone), "nxlab-") == []
    for port in ports.values():  # nothing listens any more (TIME_WAIT is no listener)
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind(("127.0.0.1", port))
            udp.bind(("127.0.0.1", port))


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
