"""The lab hotspot gateway's front door: HTTPS tunnels through the walled garden.

A phone using the gateway as its proxy asks for an HTTPS page with ``CONNECT host:port``.
A real hotspot cannot redirect such a connection to its login page; it lets it through
when the client is logged in or an ``/ip hotspot walled-garden ip`` entry accepts the
destination, and otherwise it does not connect (MikroTik "Hotspot", Walled Garden: the HTTP
walled garden does not cover HTTPS). The ASGI server the gateway's pages run on cannot
tunnel, so this front accepts every connection, answers ``CONNECT`` itself and relays
everything else, unchanged, to the gateway's web side on an internal loopback port.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger("netops.lab.gateway")

#: ``allow(station, host, port)``: may this client open a TCP connection to ``host:port``?
Allow = Callable[[str | None, str, int], bool]
_HEAD_LIMIT = 65536


def _splice(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes, then close both."""

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join(timeout=60)
    a.close()
    b.close()


class HotspotFront:
    """Accept on ``listener``; tunnel ``CONNECT`` when ``allow`` says so; relay the rest to
    ``inner`` (host, port)."""

    def __init__(self, listener: socket.socket, inner: tuple[str, int], allow: Allow) -> None:
        self.listener = listener
        self.inner = inner
        self.allow = allow
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, name="gwsim-front", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(60)
        head = b""
        try:
            while b"\r\n\r\n" not in head and len(head) < _HEAD_LIMIT:
                chunk = conn.recv(65536)
                if not chunk:
                    conn.close()
                    return
                head += chunk
        except OSError:
            conn.close()
            return
        first = head.split(b"\r\n", 1)[0].decode("latin-1")
        if first.upper().startswith("CONNECT "):
            self._tunnel(conn, first, head)
            return
        try:
            upstream = socket.create_connection(self.inner, timeout=10)
        except OSError:
            conn.close()
            return
        upstream.settimeout(None)
        conn.settimeout(None)
        upstream.sendall(head)
        _splice(conn, upstream)

    def _tunnel(self, conn: socket.socket, first: str, head: bytes) -> None:
        def answer(status: str, text: str) -> None:
            body = text.encode()
            with contextlib.suppress(OSError):
                conn.sendall(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
            conn.close()

        target = first.split()[1] if len(first.split()) > 1 else ""
        host, _, port_text = target.rpartition(":")
        host = host.strip("[]").lower()
        if not host or not port_text.isdigit():
            answer("400 Bad Request", f"CONNECT needs host:port, not {target!r}\n")
            return
        port = int(port_text)
        headers = {}
        for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        station = headers.get("x-lab-station") or None
        if not self.allow(station, host, port):
            log.info(
                "walled garden: %s:%s (TCP, e.g. HTTPS) is not open to clients that are not "
                "logged in; not connecting",
                host,
                port,
            )
            answer("403 Forbidden", f"{host}:{port} is not in the hotspot's walled garden\n")
            return
        try:
            ipaddress.ip_address(host)
        except ValueError:
            answer("502 Bad Gateway", f"{host}: the lab resolves no names for tunnels\n")
            return
        try:
            upstream = socket.create_connection((host, port), timeout=10)
        except OSError as exc:
            answer("502 Bad Gateway", f"{host}:{port} unreachable: {exc.strerror}\n")
            return
        upstream.settimeout(None)
        conn.settimeout(None)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            upstream.sendall(rest)
        _splice(conn, upstream)
