"""Captive-portal login latency: the whole web flow beside the RADIUS exchange alone.

A phone's voucher login through the simulated MikroTik gateway and ``netops portal serve``
(redirect, login page, form post with the portal's checks, CHAP hand-off, the gateway's
RADIUS Access-Request and Accounting-Start to ``netops radius serve``, the status page with
the quota) is timed login by login. Beside it, FreeRADIUS's ``radclient`` sends the same
CHAP Access-Request for a voucher to the same server: what a login costs without the portal.
Figures go to the ``## Portal`` section of docs/benchmarks.md.

Run with ``make bench`` (or ``.venv/bin/pytest -q -s tests/bench/test_portal_bench.py``).
"""

from __future__ import annotations

import html
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from netops.environment import store_keys  # noqa: E402
from netops.lab.gateway import GatewaySim  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402
from tests.support.portal_peers import base_env, start_service  # noqa: E402

LOGINS = int(os.environ.get("NETOPS_PORTAL_BENCH_LOGINS", "60"))
WARMUP = 10
LAB = REPO / "inventory" / "lab"
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')

pytestmark = [pytest.mark.timeout(600)]


def _fields(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in HIDDEN.findall(page)}


def _login(gateway: GatewaySim, portal_url: str, code: str) -> float:
    with httpx.Client(follow_redirects=True, timeout=30) as http:
        started = time.perf_counter()
        page = http.get(f"{gateway.base_url}/news")
        form = _fields(page.text)
        form.update(method="voucher", code=code)
        handoff = http.post(f"{portal_url}login", data=form)
        action = re.search(r'id="handoff" method="post" action="([^"]+)"', handoff.text)
        assert action, handoff.text[:300]
        status = http.post(html.unescape(action.group(1)), data=_fields(handoff.text))
        elapsed = time.perf_counter() - started
    assert "Sisa kuota data" in status.text, status.text[:300]
    return elapsed


def _radclient(auth_port: int, code: str, count: int) -> float:
    tool = shutil.which("radclient")
    if tool is None:
        pytest.fail("radclient is missing: install Debian's freeradius-utils")
    code = code.replace("-", "")  # the voucher's user name and password as stored
    request = (
        f'User-Name = "{code}"\nCHAP-Password = "{code}"\n'
        'Calling-Station-Id = "AA-BB-CC-00-00-01"\nNAS-Identifier = "lab-hs-01"\n'
        "Message-Authenticator = 0x00\n"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [
            tool,
            "-c",
            str(count),
            "-p",
            "1",
            "-t",
            "3",
            "-s",
            f"127.0.0.1:{auth_port}",
            "auth",
            "testing123",
        ],
        input=request,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    accepted = re.search(r"Accepted\s*:\s*(\d+)", done.stdout + done.stderr)
    assert accepted and int(accepted.group(1)) == count, done.stdout + done.stderr
    return elapsed / count


def test_portal_login_latency_beside_radclient(tmp_path: Path) -> None:
    key = generate_key()
    env = base_env(key, "bench-operator-token-0123456789-Tz4k")
    db = f"sqlite:///{tmp_path / 'netops.db'}"
    common = ["-i", str(LAB), "--db", db]
    radius = start_service(
        "radius",
        [
            *common,
            "radius",
            "serve",
            "--bind",
            "127.0.0.1",
            "--auth-port",
            "0",
            "--acct-port",
            "0",
            "--metrics-listen",
            "off",
            "--sweep-interval",
            "0",
        ],
        log_dir=tmp_path,
        env=env,
        pattern=r"auth \d+ acct \d+",
    )
    portal = start_service(
        "portal",
        [*common, "portal", "serve", "--listen", "127.0.0.1:0"],
        log_dir=tmp_path,
        env=env,
        pattern=r"serving http://",
    )
    patch = pytest.MonkeyPatch()
    patch.setenv("NETOPS_STORE_KEY", key)
    found = re.search(r"auth (\d+) acct (\d+)", radius.line)
    served = re.search(r"serving (\S+)", portal.line)
    assert found and served
    auth_port, acct_port = int(found.group(1)), int(found.group(2))
    gateway = GatewaySim(
        portal_url=served.group(1),
        auth_port=auth_port,
        acct_port=acct_port,
        secret="testing123",
        listen_host="127.0.0.1",  # lab-hs-01: the portal trusts the inventory's gateways
    )
    store = Store.open(db, keys=store_keys())
    try:
        gateway.start()
        codes = store.create_vouchers("gratis", LOGINS + WARMUP + 1)
        flow = [_login(gateway, served.group(1), code) for code in codes[:-1]][WARMUP:]
        alone = _radclient(auth_port, codes[-1], LOGINS)
    finally:
        gateway.stop()
        store.close()
        portal.stop()
        radius.stop()
        patch.undo()

    p50 = statistics.median(flow) * 1000
    p90 = sorted(flow)[int(len(flow) * 0.9)] * 1000
    peer = alone * 1000
    print(
        f"\nportal login chain: p50 {p50:.0f} ms, p90 {p90:.0f} ms; radclient CHAP: {peer:.1f} ms"
    )
    _write_section(p50, p90, peer)
    assert len(flow) == LOGINS


def _write_section(p50: float, p90: float, peer: float) -> None:
    load = os.getloadavg()
    lines = [
        "## Portal",
        "",
        f"{LOGINS} voucher logins one after another (after {WARMUP} warm-up logins), each the "
        "whole captive flow a phone goes through: the simulated MikroTik gateway's redirect, "
        "the login page, the form post with the portal's checks (CSRF, rate limits, the store), "
        "the CHAP hand-off, the gateway's Access-Request and Accounting-Start to "
        "`netops radius serve` (SQLite), and the status page with the quota. Beside it, "
        f"FreeRADIUS's `radclient -c {LOGINS} -p 1` sends the same kind of CHAP Access-Request "
        "for a voucher to the same server: a login without any web page.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, load average "
        f"{load[0]:.1f} when the run ended (shared machine); command: "
        "`.venv/bin/pytest -q -s tests/bench/test_portal_bench.py`.",
        "",
        "| what | p50 | p90 | ratio to radclient alone |",
        "| --- | ---: | ---: | ---: |",
        f"| captive login through gateway + portal + RADIUS | {p50:.0f} ms | {p90:.0f} ms | "
        f"{p50 / peer:.1f} |",
        f"| radclient CHAP Access-Request alone (mean) | {peer:.1f} ms | | 1.0 |",
        "",
        "The login page with its stylesheet weighs about 7.5 KB (budget 30 KB).",
    ]
    write_section("\n".join(lines))
