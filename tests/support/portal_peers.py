"""Start the real services the portal's end-to-end tests need, on ports the kernel picks.

``netops radius serve`` and ``netops portal serve`` run as subprocesses (the real CLI); the
simulated MikroTik gateway runs in the test process; Chromium is driven by Playwright.
:func:`portal_stack` starts the three together (the ``stack`` fixture of
``tests/integration/portal/conftest.py`` and the phone sign-up stack); the page helpers
(:func:`phone_page`, :func:`wait_for`, :func:`quota_of`) are shared by the browser tests.
Test modules import what they use from here, by name.
"""

from __future__ import annotations

import html
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.request import Request, urlopen

from netops.lab.gateway import GatewaySim
from netops.store import Store
from netops.store.credentials import StoreKeys, generate_key

REPO = Path(__file__).resolve().parents[2]
NETOPS = REPO / ".venv" / "bin" / "netops"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts" / "portal"
LAB = REPO / "inventory" / "lab"
ADMIN_TOKEN = "e2e-operator-token-7f3a9c1d5b-Kq2wYx8n"
GATEWAY_HOST = "127.0.0.1"  # lab-hs-01's mgmt_ip: the lab gateway's address
NAS_SECRET = "testing123"  # the lab inventory's RADIUS secret
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True}


@dataclass
class Service:
    """A netops service started as a subprocess; ``line`` is its start-up announcement."""

    name: str
    proc: subprocess.Popen[str]
    line: str
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _readline(stream: IO[str], timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def start_service(
    name: str, args: list[str], *, log_dir: Path, env: dict[str, str], pattern: str
) -> Service:
    """Run ``netops ARGS`` and wait (at most 30 s) for a stdout line matching ``pattern``."""
    if not NETOPS.exists():
        raise RuntimeError(f"{NETOPS} is missing: run `make venv` first")
    log = log_dir / f"{name}.log"
    proc = subprocess.Popen(
        [str(NETOPS), *args],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = _readline(proc.stdout, 0.5)
        if line and re.search(pattern, line):
            return Service(name, proc, line.strip(), log)
        if proc.poll() is not None:
            break
    proc.kill()
    proc.wait(timeout=5)
    raise RuntimeError(f"{name} did not start; its log says:\n{log.read_text()[-2000:]}")


def require_chromium() -> str:
    """The Debian Chromium binary; a clear failure (not a skip) when it is missing."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"{CHROMIUM} is missing: install the Debian package chromium")
    return CHROMIUM


def base_env(store_key: str, admin_token: str = ADMIN_TOKEN) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        NETOPS_STORE_KEY=store_key,
        NETOPS_ADMIN_TOKEN=admin_token,
        NETOPS_PORTAL_SECRET="portal-secret-for-the-e2e-tests-0123",
    )
    return env


def start_radius(
    inventory: Path, db: str, *, log_dir: Path, env: dict[str, str], name: str = "radius"
) -> tuple[Service, int, int]:
    """``netops radius serve`` on loopback ports the kernel picks, no reject delay and no
    sweeps: the service and its (auth, acct) ports."""
    service = start_service(
        name,
        ["-i", str(inventory), "--db", db, "radius", "serve", "--bind", "127.0.0.1",
         "--auth-port", "0", "--acct-port", "0", "--metrics-listen", "off",
         "--reject-delay", "0", "--sweep-interval", "0"],
        log_dir=log_dir,
        env=env,
        pattern=r"auth \d+ acct \d+",
    )  # fmt: skip
    found = re.search(r"auth (\d+) acct (\d+)", service.line)
    assert found, service.line
    return service, int(found.group(1)), int(found.group(2))


def start_portal(
    db: str,
    *options: str,
    log_dir: Path,
    env: dict[str, str],
    inventory: Path = LAB,
    name: str = "portal",
) -> tuple[Service, str]:
    """``netops portal serve --listen 127.0.0.1:0 OPTIONS``: the service and its URL."""
    service = start_service(
        name,
        ["-i", str(inventory), "--db", db, "portal", "serve", "--listen", "127.0.0.1:0",
         *options],
        log_dir=log_dir,
        env=env,
        pattern=r"serving http",
    )  # fmt: skip
    found = re.search(r"serving (\S+)", service.line)
    assert found, service.line
    return service, found.group(1)


@contextmanager
def serving_portal(
    db: str, *options: str, log_dir: Path, env: dict[str, str], name: str = "portal"
) -> Iterator[str]:
    """:func:`start_portal` for a ``with`` block (a fixture's own portal): its URL."""
    service, url = start_portal(db, *options, log_dir=log_dir, env=env, name=name)
    try:
        yield url
    finally:
        service.stop()


@dataclass
class Stack:
    """RADIUS server and portal (subprocesses), the simulated gateway, the test's own store
    (with the servers' key)."""

    db: str
    env: dict[str, str]
    store: Store
    radius: Service
    portal: Service
    portal_url: str
    auth_port: int
    acct_port: int
    gateway: GatewaySim

    def gateway_sim(self, portal_url: str | None = None, **options: Any) -> GatewaySim:
        """Another simulated gateway at the lab gateway's address, talking to this stack's
        RADIUS server (not started)."""
        return GatewaySim(
            portal_url=portal_url or self.portal_url,
            auth_port=self.auth_port,
            acct_port=self.acct_port,
            secret=NAS_SECRET,
            listen_host=GATEWAY_HOST,
            **options,
        )


@contextmanager
def portal_stack(
    work: Path,
    *,
    inventory: Path = LAB,
    extra_env: dict[str, str] | None = None,
    coa: bool = True,
) -> Iterator[Stack]:
    """Start RADIUS, the gateway and the portal on a fresh SQLite store in ``work`` (the
    portal sends Disconnect-Requests to the gateway when ``coa``); stop them afterwards."""
    key = generate_key()
    env = {**base_env(key), **(extra_env or {})}
    db = f"sqlite:///{work / 'netops.db'}"
    with ExitStack() as cleanup:
        radius, auth_port, acct_port = start_radius(inventory, db, log_dir=work, env=env)
        cleanup.callback(radius.stop)
        # The gateway sits at lab-hs-01's address in the inventory (127.0.0.1): the portal
        # hands logins only to the inventory's gateways. Its RADIUS packets come from there
        # too, the lab NAS address.
        gateway = GatewaySim(
            portal_url="http://127.0.0.1:1/",
            auth_port=auth_port,
            acct_port=acct_port,
            secret=NAS_SECRET,
            listen_host=GATEWAY_HOST,
        )
        gateway.start()
        cleanup.callback(gateway.stop)
        options = ["--coa-port", str(gateway.coa_port)] if coa else []
        portal, url = start_portal(db, *options, log_dir=work, env=env, inventory=inventory)
        cleanup.callback(portal.stop)
        gateway.portal_url = url
        # The test's own Store decrypts passwords with the servers' key.
        store = cleanup.enter_context(Store.open(db, keys=StoreKeys(store_key=key)))
        yield Stack(db, env, store, radius, portal, url, auth_port, acct_port, gateway)


@contextmanager
def phone_page(browser: Any) -> Iterator[Any]:
    """A page in a fresh phone-sized browser context (a new phone: new cookies, so a new
    MAC at the gateway)."""
    context = browser.new_context(**PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> None:
    """Poll ``predicate`` until it is true; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def quota_of(page: Any) -> dict[str, str]:
    """The status page's allowance list: term → value."""
    terms = page.locator("#quota dt").all_inner_texts()
    values = page.locator("#quota dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


def console_get(stack: Stack, path: str) -> str:
    """GET a console page or API path with the break-glass operator token."""
    request = Request(
        f"{stack.portal_url}{path}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    with urlopen(request, timeout=10) as reply:
        return str(reply.read().decode())


def mikrotik_params(path: str, mac: str, ip: str) -> dict[str, str]:
    """What lab-hs-01 (the lab's MikroTik at lab-park) sends a phone to the login page with,
    its links under ``http://GATEWAY_HOST:8081PATH``."""
    gateway = f"http://{GATEWAY_HOST}:8081{path}"
    return {
        "link-login-only": f"{gateway}/login",
        "link-orig": "http://example.net/",
        "dst": "http://example.net/",
        "mac": mac,
        "ip": ip,
        "server-name": "lab-park",
        "identity": "lab-hs-01",
    }


def hidden_fields(page: str) -> dict[str, str]:
    """A portal page's hidden form fields (the gateway's parameters it carries, the CSRF
    token), unescaped."""
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    return {name: html.unescape(value) for name, value in pairs}
