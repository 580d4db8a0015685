"""How the tests and benchmarks start ``netops radius serve``: on loopback, on ports the
kernel picks (the server prints them)."""

from __future__ import annotations

SERVE_ON_PORT_ZERO: tuple[str, ...] = (
    "radius",
    "serve",
    "--bind",
    "127.0.0.1",
    "--auth-port",
    "0",
    "--acct-port",
    "0",
)
