"""The shipped nginx site in front of a real portal writes no citizen's MAC, IP or voucher.

Real peers: Debian's nginx with its own ``/etc/nginx/nginx.conf`` and the shipped
``deploy/nginx/netops-portal.conf``, both adapted only in ports and paths (loopback, a
temporary directory), and ``netops portal serve`` behind it. Requests carry what a phone's
URLs carry (``mac=``, ``ip=``, ``voucher=``, a voucher in the admin API's path); afterwards
every file either server wrote is searched for any trace of them.
"""

from __future__ import annotations

import re
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPHandler, HTTPRedirectHandler, HTTPSHandler, Request, build_opener

import pytest

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
from tests.support.portal_peers import LAB, Service, base_env, start_service

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


MAC = "AA:BB:CC:DD:EE:42"
IP = "10.254.200.77"
VOUCHER = "K7QX-M3PA-RT"
# Every spelling of the three that could land in a log line.
SECRETS = [
    MAC,
    MAC.lower(),
    MAC.replace(":", "-"),
    MAC.replace(":", ""),
    MAC.replace(":", "%3A"),
    MAC.replace(":", "%3a"),
    IP,
    VOUCHER,
    VOUCHER.replace("-", ""),
    "mac=",
    "ip=",
    "voucher=",
]
GATEWAY = {
    "link-login-only": "http://10.254.200.1/login",
    "link-orig": f"http://example.net/?voucher={VOUCHER}",
    "mac": MAC,
    "ip": IP,
    "dst": "http://example.net/",
    "server-name": "lab-park",
    "voucher": VOUCHER,
}


@dataclass
class Front:
    http: int
    https: int
    crt: Path
    logs: Path
    portal: Service
    nginx: subprocess.Popen[bytes]


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Front]:
    logs = tmp_path / "logs"
    logs.mkdir()
    env = base_env(generate_key(), "nginx-test-operator-token-0123-Hq7vXb2p")
    db = f"sqlite:///{tmp_path / 'netops.db'}"
    portal = start_service(
        "portal",
        ["-i", str(LAB), "--db", db, "portal", "serve", "--listen", "127.0.0.1:0"],
        log_dir=logs,
        env=env,
        pattern=r"serving http://",
    )
    upstream = re.search(r"serving http://([^/\s]+)", portal.line)
    assert upstream
    crt, key = certificate(tmp_path)
    http, https = free_port(), free_port()
    site = tmp_path / "netops-portal.conf"
    site.write_text(
        adapt_site(
            SITE.read_text(),
            http=http,
            https=https,
            upstream=upstream.group(1),
            crt=crt,
            key=key,
            logs=logs,
        )
    )
    nginx = start_nginx(site, logs)
    try:
        wait_port(https)
        wait_port(http)
        yield Front(http, https, crt, logs, portal, nginx)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        portal.stop()


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(front: Front, path: str, *, method: str = "GET", tls: bool = True) -> int:
    context = ssl.create_default_context(cafile=str(front.crt))
    opener = build_opener(HTTPSHandler(context=context), HTTPHandler(), _NoRedirect())
    base = f"https://127.0.0.1:{front.https}" if tls else f"http://127.0.0.1:{front.http}"
    request = Request(base + path, method=method, headers={"Host": NAME})
    try:
        with opener.open(request, timeout=10) as reply:
            reply.read()
            return int(reply.status)
    except HTTPError as exc:
        exc.read()
        return int(exc.code)


def test_no_mac_ip_or_voucher_reaches_any_log_file(front: Front) -> None:
    query = urlencode(GATEWAY)
    assert _get(front, f"/login?{query}") == 200
    assert _get(front, f"/?{query}") == 200
    assert _get(front, f"/login?{urlencode({**GATEWAY, 'ip': 'zz'})}") == 400
    assert _get(front, f"/status?{query}") == 200
    assert _get(front, f"/login?{query}", tls=False) == 302  # port 80 redirects
    # The console is only for the NOC: nginx itself denies loopback (an "error"-level event).
    assert _get(front, f"/admin/vouchers?{query}") == 403
    assert _get(front, f"/api/admin/vouchers/{VOUCHER}?{query}", method="DELETE") == 403
    # The portal goes away: nginx answers 502 (another "error"-level event with the URL).
    front.portal.stop()
    assert _get(front, f"/login?{query}") == 502
    front.nginx.terminate()
    front.nginx.wait(timeout=10)

    files = [p for p in front.logs.rglob("*") if p.is_file()]
    written = {p.name: p.read_text(errors="replace") for p in files}
    leaks = {
        name: [s for s in SECRETS if s.lower() in body.lower()] for name, body in written.items()
    }
    assert {n: s for n, s in leaks.items() if s} == {}, "personal data in the logs"
    # No client address either (the requests came from 127.0.0.1; nginx's own pid file aside).
    assert not [n for n, b in written.items() if "127.0.0.1" in b and n != "nginx.pid"]

    # The access log still says what happened: statuses, paths, the voucher path masked.
    access = written["netops-portal.access.log"].splitlines()
    assert len(access) == 8
    statuses = [int(line.split()[3]) for line in access]
    assert sorted(statuses) == [200, 200, 200, 302, 400, 403, 403, 502]
    assert any('DELETE "/api/admin/vouchers/-" 403' in line for line in access)
    assert all(
        re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d [A-Z]+ \"/", line)
        for line in access
    )
