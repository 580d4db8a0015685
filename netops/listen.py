"""``ADDR:PORT`` options (``--listen``, ``--metrics-listen``) parsed the same way everywhere."""

from __future__ import annotations

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
