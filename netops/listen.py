"""Listening the same way everywhere: ``ADDR:PORT`` options (``--listen``,
``--metrics-listen``) parsed, sockets bound with a failure told in one sentence."""

from __future__ import annotations

import socket

from netops.errors import NetopsError


def parse_listen(
    text: str,
    *,
    option: str = "--listen",
    default_port: int | None = None,
    error: type[NetopsError] = NetopsError,
) -> tuple[str, int]:
    """``127.0.0.1:8080``, ``:8080``, ``[::1]:8080`` (or a bare host when ``default_port`` is
    given) → (host, port); an empty host means every address. ``error`` says what is wrong
    with an example, naming ``option``."""
    raw = text.strip()
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif raw.count(":") > 1:
        host, port_text = raw, ""
    else:
        host, _, port_text = raw.partition(":")
    example = f"127.0.0.1:{default_port or 8080}"
    if not port_text and default_port is None:
        raise error(f"{option} {text!r} must look like {example}")
    if port_text and not port_text.isdigit():
        raise error(f"{option} {text!r} must look like {example}: the port must be a number")
    port = int(port_text) if port_text else int(default_port or 0)
    if port > 65535:
        raise error(f"{option} {text!r}: the port must be 0-65535")
    return host or "0.0.0.0", port


def bind_socket(
    host: str,
    port: int,
    *,
    udp: bool = False,
    error: type[NetopsError] = NetopsError,
    what: str = "cannot listen on",
    reuse_port: bool = False,
    receive_buffer: int | None = None,
) -> socket.socket:
    """A TCP (or ``udp``) socket bound to ``host:port`` (port 0: the kernel picks), IPv6 when
    ``host`` has a colon. TCP sockets get ``SO_REUSEADDR`` (a restart finds its port free);
    UDP ones never (it would let a second server share the port unnoticed), ``reuse_port``
    asks for ``SO_REUSEPORT`` (several workers on one port). A bind that fails (the port is
    taken, the address is not this machine's, a privileged port) raises ``error``:
    ``"<what> HOST:PORT: <reason>"``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
    try:
        if not udp:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise error(f"{what} {host}:{port}: {exc.strerror or exc}") from None
    return sock


def ensure_free(
    host: str,
    port: int,
    *,
    udp: bool = False,
    error: type[NetopsError] = NetopsError,
    what: str,
    advice: str,
) -> None:
    """Raise ``error`` (``"<what> is in use (<reason>); <advice>"``) when ``host:port`` cannot
    be bound now: checked before starting something that would fail there later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as sock:
        if not udp:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise error(f"{what} is in use ({exc.strerror}); {advice}") from None
