"""Debian's nginx in front of portal processes, from the shipped site (tests' helper).

The shipped ``deploy/nginx/netops-portal.conf`` and Debian's own ``/etc/nginx/nginx.conf``
are changed only in ports and paths (loopback, a temporary directory) and in the upstream
servers; nginx runs with its own pid file and logs there.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from netops.lab.tls import make_lab_tls

REPO = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
SITE = REPO / "deploy" / "nginx" / "netops-portal.conf"
NAME = "wifi.banjarmasinkota.go.id"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def certificate(directory: Path) -> tuple[Path, Path]:
    """The portal's certificate for ``NAME`` and 127.0.0.1 (its chain, the lab CA last, so
    the file also serves as the CA to trust) and its key."""
    tls = make_lab_tls(directory, (NAME, "127.0.0.1"), days=1)
    return tls.cert, tls.key


def adapt_site(
    text: str,
    *,
    http: int,
    https: int,
    upstream: str | list[str],
    crt: Path,
    key: Path,
    logs: Path,
    noc: str | None = None,
) -> str:
    """The shipped site with only its ports, paths and upstream servers changed (and, with
    ``noc``, the console's allowed network); fails if one is not found."""
    servers = [upstream] if isinstance(upstream, str) else upstream
    swaps = [
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        (f"/etc/ssl/netops/{NAME}.crt", str(crt)),
        (f"/etc/ssl/netops/{NAME}.key", str(key)),
        ("/var/log/nginx/", f"{logs}/"),
        ("server 127.0.0.1:8080;", " ".join(f"server {s};" for s in servers)),
    ]
    if noc is not None:
        swaps.append(("allow 10.40.10.0/24;", f"allow {noc};"))
    for old, new in swaps:
        assert old in text, f"the shipped site no longer has {old!r}: update this test"
        text = text.replace(old, new)
    return text


def adapt_main(text: str, *, site: Path, logs: Path) -> str:
    """Debian's own nginx.conf, with its pid, logs and the included site moved, and one
    worker (each worker keeps its own round-robin turn)."""
    swaps = [
        ("worker_processes auto;", "worker_processes 1;"),
        ("pid /run/nginx.pid;", f"pid {logs}/nginx.pid;"),
        ("error_log /var/log/nginx/error.log;", f"error_log {logs}/error.log;"),
        ("access_log /var/log/nginx/access.log;", f"access_log {logs}/access.log;"),
        ("include /etc/nginx/sites-enabled/*;", f"include {site};"),
    ]
    for old, new in swaps:
        assert old in text, f"/etc/nginx/nginx.conf has no {old!r}"
        text = text.replace(old, new)
    return text


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


def start_nginx(site: Path, logs: Path) -> subprocess.Popen[bytes]:
    """Check and start nginx (one worker, so that round-robin alternates strictly) with
    Debian's nginx.conf including ``site``; its files go to ``logs``."""
    if shutil.which(NGINX) is None:
        raise RuntimeError(f"{NGINX} is missing: install the Debian package nginx")
    main = logs.parent / "nginx.conf"
    text = adapt_main(Path("/etc/nginx/nginx.conf").read_text(), site=site, logs=logs)
    main.write_text(text)
    check = subprocess.run(
        [NGINX, "-t", "-c", str(main), "-e", str(logs / "startup.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    return subprocess.Popen(
        [NGINX, "-c", str(main), "-e", str(logs / "startup.log"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(logs / "nginx.stderr").open("wb"),
    )
