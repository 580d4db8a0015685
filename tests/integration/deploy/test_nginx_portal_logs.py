"""The shipped nginx site in front of a real portal writes no citizen's MAC, IP or voucher.

Real peers: Debian's nginx with its own ``/etc/nginx/nginx.conf`` and the shipped
``deploy/nginx/netops-portal.conf``, both adapted only in ports and paths (loopback, a
temporary directory), and ``netops portal serve`` behind it. Requests carry what a phone's
URLs carry (``mac=``, ``ip=``, ``voucher=``, a voucher in the admin API's path); afterwards
every file either server wrote is searched for any trace of them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPHandler, HTTPRedirectHandler, HTTPSHandler, Request, build_opener

import pytest

from netops.store.credentials import generate_key
from tests.support.portal_peers import LAB, REPO, Service, base_env, start_service

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

NGINX = "/usr/sbin/nginx"
SITE = REPO / "deploy" / "nginx" / "netops-portal.conf"
NAME = "wifi.banjarmasinkota.go.id"

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    crt, pem = directory / "portal.crt", directory / "portal.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pem.chmod(0o600)
    return crt, pem


def adapt_site(
    text: str, *, http: int, https: int, upstream: str, crt: Path, key: Path, logs: Path
) -> str:
    """The shipped site with only its ports and paths changed; fails if one is not found."""
    swaps = [
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        (f"/etc/ssl/netops/{NAME}.crt", str(crt)),
        (f"/etc/ssl/netops/{NAME}.key", str(key)),
        ("/var/log/nginx/", f"{logs}/"),
        ("http://127.0.0.1:8080", f"http://{upstream}"),
    ]
    for old, new in swaps:
        assert old in text, f"the shipped site no longer has {old!r}: update this test"
        text = text.replace(old, new)
    return text


def adapt_main(text: str, *, site: Path, logs: Path) -> str:
    """Debian's own nginx.conf, with its pid, logs and the included site moved."""
    swaps = [
        ("pid /run/nginx.pid;", f"pid {logs}/nginx.pid;"),
        ("error_log /var/log/nginx/error.log;", f"error_log {logs}/error.log;"),
        ("access_log /var/log/nginx/access.log;", f"access_log {logs}/access.log;"),
        ("include /etc/nginx/sites-enabled/*;", f"include {site};"),
    ]
    for old, new in swaps:
        assert old in text, f"/etc/nginx/nginx.conf has no {old!r}"
        text = text.replace(old, new)
    return text


@dataclass
class Front:
    http: int
    https: int
    crt: Path
    logs: Path
    portal: Service
    nginx: subprocess.Popen[bytes]


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Front]:
    if shutil.which(NGINX) is None:
        raise RuntimeError(f"{NGINX} is missing: install the Debian package nginx")
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
    crt, key = _certificate(tmp_path)
    http, https = _free_port(), _free_port()
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
    main = tmp_path / "nginx.conf"
    main.write_text(adapt_main(Path("/etc/nginx/nginx.conf").read_text(), site=site, logs=logs))
    check = subprocess.run(
        [NGINX, "-t", "-c", str(main), "-e", str(logs / "startup.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen(
        [NGINX, "-c", str(main), "-e", str(logs / "startup.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(logs / "nginx.stderr").open("wb"),
    )
    try:
        _wait_port(https)
        _wait_port(http)
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
