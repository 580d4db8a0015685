"""Two portal processes behind one nginx keep one set of limits, forms and lock-outs.

Real peers: Debian's nginx from the shipped ``deploy/nginx/netops-portal.conf`` (adapted
only in ports, paths, its upstream servers and the console's allowed network) with one
worker, so that its round-robin alternates strictly between two ``netops portal serve``
processes on one store (SQLite, and a throwaway PostgreSQL). Neither process is given
``NETOPS_PORTAL_SECRET``: they must agree through the store alone.

- A phone guessing voucher codes through nginx, its posts landing on the two processes in
  turn, is stopped after exactly as many wrong codes as a phone guessing at one process.
- The CSRF token in a page from process A is accepted by process B.
- An operator locked out after wrong passwords is locked out on both processes.
"""

from __future__ import annotations

import html
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.support.nginx_front import (
    NAME,
    SITE,
    adapt_site,
    certificate,
    free_port,
    start_nginx,
    wait_port,
)
from tests.support.portal_peers import REPO, Service, base_env, start_service
from tests.support.postgres import postgres_cluster  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

LAB = REPO / "inventory" / "lab"
WRONG = "ABCD-EFGH-JK"  # the shape of a voucher code, but no such voucher
PHONE_LIMIT = 5  # failed codes per phone per 10 minutes (PortalSettings.phone_limit)
CONSOLE_LIMIT = 5  # wrong passwords per account and per source per 10 minutes
PASSWORD = "kata-sandi-operator-yang-panjang-7"


@dataclass
class Front:
    """nginx on ``https`` in front of portals ``a`` and ``b`` (their URLs ``urls``)."""

    https: int
    crt: Path
    a: Service
    b: Service
    urls: tuple[str, str]

    def client(self) -> httpx.Client:
        """A browser that reaches the portals only through nginx."""
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.https}",
            headers={"Host": NAME},
            verify=ssl.create_default_context(cafile=str(self.crt)),
            follow_redirects=False,
            timeout=15,
        )

    def direct(self, which: int) -> httpx.Client:
        """A browser talking to one portal process, bypassing nginx."""
        return httpx.Client(base_url=self.urls[which], follow_redirects=False, timeout=15)

    def posts(self, path: str) -> tuple[int, int]:
        """How many ``POST path`` each process answered (from its access log)."""
        pattern = f'"POST {path}'
        return (
            self.a.log.read_text().count(pattern),
            self.b.log.read_text().count(pattern),
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def front(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Front]:
    key = generate_key()
    monkeypatch.setenv("NETOPS_STORE_KEY", key)
    if request.param == "sqlite":
        db = f"sqlite:///{tmp_path / 'netops.db'}"
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        if not cluster.running:
            cluster.start()
        db = cluster.new_database()
    with Store.open(db, keys=store_keys()) as store:
        store.add_operator("siti", "admin", password=PASSWORD)
        store.add_operator("budi", "helpdesk", password=PASSWORD)
    env = base_env(key, "")
    del env["NETOPS_PORTAL_SECRET"]
    del env["NETOPS_ADMIN_TOKEN"]
    logs = tmp_path / "logs"
    logs.mkdir()
    args = ["-i", str(LAB), "--db", db, "portal", "serve", "--listen", "127.0.0.1:0"]
    portals: list[Service] = []
    nginx = None
    try:
        for name in ("portal-a", "portal-b"):
            portals.append(
                start_service(
                    name,
                    [*args, "--access-log"],
                    log_dir=logs,
                    env=env,
                    pattern=r"serving http://",
                )
            )
        ups = [re.search(r"serving http://([^/\s]+)", p.line) for p in portals]
        upstream = [m.group(1) for m in ups if m]
        assert len(upstream) == 2
        crt, pem = certificate(tmp_path)
        https = free_port()
        site = tmp_path / "netops-portal.conf"
        text = adapt_site(
            SITE.read_text(),
            http=free_port(),
            https=https,
            upstream=upstream,
            crt=crt,
            key=pem,
            logs=logs,
            noc="127.0.0.1",
        )
        site.write_text(text)
        nginx = start_nginx(site, logs)
        wait_port(https)
        urls = (f"http://{upstream[0]}", f"http://{upstream[1]}")
        yield Front(https, crt, portals[0], portals[1], urls)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for portal in portals:
            portal.stop()


def _params(n: int) -> dict[str, str]:
    """What lab-hs-01 passes for its phone number ``n``."""
    gateway = "http://127.0.0.1:8081"
    return {
        "link-login-only": f"{gateway}/login",
        "link-orig": "http://example.net/",
        "dst": "http://example.net/",
        "mac": f"02:00:00:00:42:{n:02x}",
        "ip": f"10.254.200.{10 + n}",
        "server-name": "lab-park",
        "identity": "lab-hs-01",
    }


def _hidden(text: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    return {k: html.unescape(v) for k, v in pairs}


def _guess_until_stopped(client: httpx.Client, n: int) -> list[int]:
    """One phone: the login page once, then wrong codes until a 429; the statuses."""
    page = client.get("/login", params=_params(n))
    assert page.status_code == 200
    form = _hidden(page.text)
    assert form.get("csrf")
    form.update(_params(n), method="voucher", code=WRONG)
    statuses: list[int] = []
    while not statuses or statuses[-1] != 429:
        statuses.append(client.post("/login", data=form).status_code)
        assert len(statuses) <= 4 * PHONE_LIMIT, statuses
    return statuses


def test_guessing_through_both_portals_stops_at_the_same_count_as_through_one(
    front: Front,
) -> None:
    with front.direct(0) as one:
        alone = _guess_until_stopped(one, 1)
    before = front.posts("/login")
    with front.client() as browser:
        spread = _guess_until_stopped(browser, 2)
    after = front.posts("/login")
    assert alone == [400] * PHONE_LIMIT + [429]
    assert spread == [400] * PHONE_LIMIT + [429]
    # The posts through nginx really went to both processes, in turn.
    took = (after[0] - before[0], after[1] - before[1])
    assert sorted(took) == [len(spread) // 2, len(spread) - len(spread) // 2], took


def test_a_csrf_token_from_one_portal_is_accepted_by_the_other(front: Front) -> None:
    with front.direct(0) as a, front.direct(1) as b:
        page = a.get("/login", params=_params(3))
        form = _hidden(page.text)
        form.update(_params(3), method="voucher", code=WRONG)
        b.cookies.update(a.cookies)
        answer = b.post("/login", data=form)
        # Checked as a login (a wrong code), not refused as a forged form (403).
        assert answer.status_code == 400, answer.text[-500:]
        forged = dict(form, csrf=form["csrf"][:-2] + "xx")
        assert b.post("/login", data=forged).status_code == 403
    assert front.posts("/login") == (0, 2)


def _sign_in_form(client: httpx.Client) -> dict[str, str]:
    page = client.get("/admin/login")
    assert page.status_code == 200
    return _hidden(page.text)


def _sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    form = dict(_sign_in_form(client), name=name, password=password)
    return client.post("/admin/login", data=form)


def test_a_console_lock_out_holds_on_both_portals(front: Front) -> None:
    with front.client() as browser:
        form = _sign_in_form(browser)
        wrong = dict(form, name="siti", password="not-the-password")
        statuses = [browser.post("/admin/login", data=wrong).status_code for _ in range(5)]
        assert statuses == [401] * CONSOLE_LIMIT
        locked = browser.post("/admin/login", data=dict(wrong, password=PASSWORD))
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 500
    assert front.posts("/admin/login") == (3, 3)  # the posts went to each process in turn
    for which in (0, 1):
        with front.direct(which) as one:
            assert _sign_in(one, "siti", PASSWORD).status_code == 429, which


def test_a_console_sign_in_on_one_portal_works_on_the_other(front: Front) -> None:
    with front.direct(0) as a, front.direct(1) as b:
        signed = _sign_in(a, "budi", PASSWORD)
        assert signed.status_code == 303
        b.cookies.update(a.cookies)
        assert b.get("/admin/vouchers").status_code == 200
        a.post("/admin/logout", data=_hidden(a.get("/admin/vouchers").text))
        assert b.get("/admin/vouchers").status_code == 303  # signed out everywhere
