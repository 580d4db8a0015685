"""The supervisor's own HTTP endpoint: ``/health`` (JSON) and ``/metrics`` (Prometheus).

``GET /health`` answers 200 when every component is up and 503 otherwise, so a load
balancer or ``curl --fail`` can use it as is; the body says which component is down, its
pid, restarts and last exit. ``/metrics`` exposes the same as ``netops_service_*`` series.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from netops.service.model import ComponentStatus, State, health_document, overall

Snapshot = Callable[[], list[ComponentStatus]]


class ServiceCollector(Collector):
    """``netops_service_up``, ``_restarts``, ``_state`` per component, from a snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        statuses = self._snapshot()
        up = GaugeMetricFamily(
            "netops_service_up",
            "1 when the component runs and answers its probe",
            labels=["component"],
        )
        restarts = GaugeMetricFamily(
            "netops_service_restarts",
            "Restarts since the supervisor started",
            labels=["component"],
        )
        state = GaugeMetricFamily(
            "netops_service_state",
            "1 for the state the component is in",
            labels=["component", "state"],
        )
        for s in statuses:
            up.add_metric([s.name], 1.0 if s.state is State.UP else 0.0)
            restarts.add_metric([s.name], float(s.restarts))
            for candidate in State:
                state.add_metric([s.name, candidate.value], float(s.state is candidate))
        yield up
        yield restarts
        yield state


class HealthServer:
    """A small HTTP/1.1 server for the supervisor's state; one request per connection."""

    def __init__(self, snapshot: Snapshot, host: str, port: int, started_at: float) -> None:
        self._snapshot = snapshot
        self.host = host
        self.port = port
        self._started_at = started_at
        self._registry = CollectorRegistry(auto_describe=True)
        self._registry.register(ServiceCollector(snapshot))
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        sock = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    def respond(self, method: str, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for a request (no I/O: unit-testable)."""
        path = path.split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", b"only GET is supported\n"
        if path in ("/health", "/healthz"):
            statuses = self._snapshot()
            doc = health_document(statuses, time.time(), os.getpid(), self._started_at)
            code = 200 if overall(statuses) == "ok" else 503
            return code, "application/json", json.dumps(doc, indent=2).encode() + b"\n"
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4; charset=utf-8", generate_latest(self._registry)
        if path == "/":
            lines = [
                "netops supervisor",
                "",
                "/health   JSON state of every component",
                "/metrics  Prometheus metrics",
                "",
            ]
            for s in self._snapshot():
                lines.append(f"{s.name:10} {s.state.value:9} pid={s.pid} restarts={s.restarts}")
                lines.extend(f"           {e.label}: {e.address}" for e in s.endpoints)
            return 200, "text/plain; charset=utf-8", ("\n".join(lines) + "\n").encode()
        return 404, "text/plain; charset=utf-8", b"not found: try /health or /metrics\n"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while True:  # skip headers
                line = await asyncio.wait_for(reader.readline(), 5)
                if line in (b"\r\n", b"\n", b""):
                    break
            parts = request.decode("latin-1").split()
            if len(parts) < 2:
                code, ctype, body = 400, "text/plain; charset=utf-8", b"bad request\n"
                method = "GET"
            else:
                method = parts[0]
                code, ctype, body = self.respond(method, parts[1])
            reason = {
                200: "OK",
                400: "Bad Request",
                404: "Not Found",
                405: "Method Not Allowed",
                503: "Service Unavailable",
            }[code]
            head = (
                f"HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (OSError, TimeoutError, UnicodeError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
