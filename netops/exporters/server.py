"""The exporter's HTTP side: ``/snmp`` (multi-target, snmp_exporter compatible), ``/probe``
(ICMP, blackbox style) and ``/metrics`` (the exporter itself), as a small ASGI app.

Each scrape has a budget: Prometheus's ``X-Prometheus-Scrape-Timeout-Seconds`` minus a small
offset (or the default timeout). SNMP request timeouts are shortened so every retry fits in
it, and the whole scrape is cancelled when it runs out, so a silent target answers HTTP 500
within the budget while other scrapes carry on: all of them share one event loop, and waiting
on a target costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric

from netops import defaults
from netops import listen as listen_helpers
from netops.errors import ExporterError, NetopsError
from netops.exporters.convert import Labels, build_families, family
from netops.exporters.expose import CONTENT_TYPE, encode
from netops.exporters.icmp import IcmpProber
from netops.exporters.modules import Module
from netops.exporters.snmp import ScrapeStats, SnmpClient, SnmpFailure, SnmpTarget
from netops.exporters.targets import device_labels, device_modules, find_device, resolve_target
from netops.inventory.models import Inventory

log = logging.getLogger("netops.exporter")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TIMEOUT_HEADER = b"x-prometheus-scrape-timeout-seconds"
REASONS = ("timeout", "auth", "protocol")


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"


@dataclass
class ExporterSettings:
    """Tunables: scrape budget when Prometheus sends none, the offset kept for HTTP, probes."""

    default_timeout: float = 10.0
    timeout_offset: float = 0.5
    probe_count: int = 3
    probe_interval: float = 0.02


class _SelfMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.errors = Counter(
            "netops_snmp_scrape_errors_total",
            "SNMP scrapes that failed, by reason (timeout, auth, protocol).",
            ["reason"],
            registry=registry,
        )
        for reason in REASONS:
            self.errors.labels(reason)
        self.scrapes = Counter(
            "netops_snmp_scrapes_total", "SNMP scrapes served.", registry=registry
        )
        self.duration = Histogram(
            "netops_snmp_scrape_duration_seconds",
            "Time to serve an SNMP scrape, failures included.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )
        self.in_flight = Gauge(
            "netops_snmp_scrapes_in_flight",
            "SNMP scrapes being served now.",
            registry=registry,
            multiprocess_mode="livesum",  # with workers: the sum over the live ones
        )
        self.probes = Counter(
            "netops_probes_total", "ICMP probes served, by result.", ["result"], registry=registry
        )
        for result in ("success", "failure"):
            self.probes.labels(result)
        self.bad_requests = Counter(
            "netops_exporter_bad_requests_total",
            "Requests refused for a missing or unknown parameter.",
            registry=registry,
        )


def _budget(headers: dict[bytes, bytes], settings: ExporterSettings) -> float:
    raw = headers.get(TIMEOUT_HEADER)
    timeout = settings.default_timeout
    if raw:
        with contextlib.suppress(ValueError):
            timeout = float(raw)
    return max(0.05, timeout - settings.timeout_offset)


def _self_families(stats: ScrapeStats, took: float, labels: Labels) -> list[Metric]:
    stats_walk, pdus = stats.walk_seconds, stats.pdus
    walk = family("snmp_scrape_walk_duration_seconds", "Time SNMP walk/bulkwalk took.", "gauge")
    for module, seconds in stats_walk.items():
        walk.add_sample(walk.name, {**labels, "module": module}, seconds)
    pdus_f = family("snmp_scrape_pdus_returned", "PDUs returned from walk.", "gauge")
    pdus_f.add_sample(pdus_f.name, dict(labels), float(pdus))
    sent = family(
        "snmp_scrape_packets_sent",
        "Packets sent for get, bulkget, and walk; including retries.",
        "gauge",
    )
    sent.add_sample(sent.name, dict(labels), float(stats.packets))
    retried = family(
        "snmp_scrape_packets_retried", "Packets retried for get, bulkget, and walk.", "gauge"
    )
    retried.add_sample(retried.name, dict(labels), float(stats.retried))
    duration = family(
        "snmp_scrape_duration_seconds",
        "Total SNMP time scrape took (walk and processing).",
        "gauge",
    )
    duration.add_sample(duration.name, dict(labels), took)
    return [walk, pdus_f, sent, retried, duration]


class Exporter:
    """The exporter: scrape logic plus an ASGI ``__call__``; one per process."""

    def __init__(
        self,
        inventory: Inventory,
        modules: dict[str, Module],
        settings: ExporterSettings | None = None,
        client: SnmpClient | None = None,
        prober: IcmpProber | None = None,
    ) -> None:
        self.inventory = inventory
        self.modules = modules
        self.settings = settings or ExporterSettings()
        self.client = client or SnmpClient()
        self.prober = prober or IcmpProber()
        self.registry = CollectorRegistry()
        self.metrics = _SelfMetrics(self.registry)
        self.loader: Callable[[], tuple[Inventory, dict[str, Module]]] | None = None
        #: With worker processes: the reload generation they share (a reload in one bumps it,
        #: and every other worker re-reads the files before its next request), and the
        #: folder of prometheus_client's multiprocess files /metrics sums over.
        self.generation: Any = None
        self.seen_generation = 0
        self.metrics_dir: str | None = None
        self.reloads = Counter(
            "netops_exporter_reloads_total",
            "Reloads of the inventory and modules, by result.",
            ["result"],
            registry=self.registry,
        )
        for result in ("success", "failure"):
            self.reloads.labels(result)

    def reload(self) -> Response:
        """Re-read the inventory and modules; on any error keep the running ones (HTTP 500).
        With workers, the others follow before their next request."""
        response = self._reload(count=True)
        if self.generation is not None and response.status == 200:
            with self.generation.get_lock():
                self.generation.value += 1
                self.seen_generation = self.generation.value
        return response

    def follow_reloads(self) -> None:
        """Reload when another worker (or SIGHUP to the parent) has since the last request.
        Not counted again in ``netops_exporter_reloads_total``: one reload, one count."""
        if self.generation is None or self.generation.value == self.seen_generation:
            return
        self.seen_generation = self.generation.value
        self._reload(count=False)

    def _reload(self, count: bool) -> Response:
        if self.loader is None:
            return Response(500, b"this exporter was not started from files: nothing to reload\n")
        try:
            inventory, modules = self.loader()
        except NetopsError as exc:
            if count:
                self.reloads.labels("failure").inc()
            log.warning("reload failed, keeping the running configuration: %s", exc)
            return Response(
                500, f"reload failed, still running the old configuration: {exc}\n".encode()
            )
        self.inventory, self.modules = inventory, modules
        if count:
            self.reloads.labels("success").inc()
        return Response(
            200, f"reloaded: {len(inventory.devices)} devices, {len(modules)} modules\n".encode()
        )

    # --- scrapes --------------------------------------------------------------------------

    def _modules(self, names: list[str], default: tuple[str, ...]) -> list[Module]:
        wanted = [n.strip() for raw in names for n in raw.split(",") if n.strip()] or list(default)
        unknown = [n for n in wanted if n not in self.modules]
        if unknown:
            raise ExporterError(
                f"unknown module {', '.join(unknown)} (known: {', '.join(sorted(self.modules))})"
            )
        return [self.modules[n] for n in dict.fromkeys(wanted)]

    async def scrape_snmp(
        self, target: str, modules: list[str], auth: str | None, budget: float
    ) -> Response:
        """One ``/snmp`` request: 200 with the metrics, 400 for a bad request, 500 on failure."""
        started = time.perf_counter()
        try:
            resolved = resolve_target(self.inventory, target, auth)
            default = device_modules(resolved.device) if resolved.device else ("if_mib",)
            chosen = self._modules(modules, default)
        except NetopsError as exc:
            self.metrics.bad_requests.inc()
            return Response(400, f"{exc}\n".encode())
        profile = resolved.profile
        per_try = min(profile.timeout, max(0.05, 0.95 * budget / (profile.retries + 1)))
        snmp_target = SnmpTarget(resolved.host, resolved.port, profile, per_try, profile.retries)
        self.metrics.scrapes.inc()
        self.metrics.in_flight.inc()
        try:
            async with asyncio.timeout(budget):
                data, stats = await self.client.collect(snmp_target, chosen)
            families = build_families(chosen, data, resolved.labels, resolved.ports)
        except TimeoutError:
            return self._failed(
                "timeout",
                f"{snmp_target}: scrape did not finish within its {budget:g}s budget",
                started,
            )
        except SnmpFailure as exc:
            return self._failed(exc.reason, str(exc), started)
        except NetopsError as exc:  # an unset secret, for one
            return self._failed("auth", f"{snmp_target}: {exc}", started)
        finally:
            self.metrics.in_flight.dec()
        took = time.perf_counter() - started
        families += _self_families(stats, took, resolved.labels)
        body = encode(families)
        self.metrics.duration.observe(time.perf_counter() - started)
        return Response(200, body, CONTENT_TYPE)

    def _failed(self, reason: str, message: str, started: float) -> Response:
        self.metrics.errors.labels(reason).inc()
        self.metrics.duration.observe(time.perf_counter() - started)
        line = " ".join(message.split())
        log.warning("scrape failed (%s): %s", reason, line)
        return Response(
            500, f"An error has occurred while serving metrics: {reason}: {line}\n".encode()
        )

    async def probe(self, target: str, budget: float, count: int | None = None) -> Response:
        """One ``/probe`` request: always 200, ``probe_success`` says whether it answered."""
        count = count or self.settings.probe_count
        device = find_device(self.inventory, target)
        labels = device_labels(device) if device else {}
        address = str(device.mgmt_ip) if device and target == device.hostname else target
        started = time.perf_counter()
        wait = max(0.05, budget - self.settings.probe_interval * count)
        try:
            result = await self.prober.probe(address, count, wait, self.settings.probe_interval)
        except NetopsError as exc:
            log.warning("probe of %s failed: %s", target, exc)
            success, rtt, loss, took = 0.0, None, 1.0, time.perf_counter() - started
        else:
            success = 1.0 if result.success else 0.0
            rtt, loss, took = result.rtt, result.loss_ratio, result.duration
        self.metrics.probes.labels("success" if success else "failure").inc()
        out = [
            ("probe_success", "Whether the target answered ICMP echo.", success),
            ("probe_duration_seconds", "How long the probe took.", took),
            ("probe_icmp_loss_ratio", "Share of echo requests left unanswered.", loss),
        ]
        if rtt is not None:
            out.append(("probe_icmp_rtt_seconds", "Mean round-trip time of the replies.", rtt))
        families = []
        for name, doc, value in out:
            fam = family(name, doc, "gauge")
            fam.add_sample(name, dict(labels), value)
            families.append(fam)
        return Response(200, encode(families), CONTENT_TYPE)

    def self_metrics(self) -> Response:
        """The exporter's own metrics; with workers, summed over all of them (prometheus_client
        multiprocess files), whichever worker answers."""
        if self.metrics_dir is None:
            return Response(200, encode(self.registry.collect()), CONTENT_TYPE)
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.metrics_dir)  # type: ignore[no-untyped-call]
        return Response(200, encode(registry.collect()), CONTENT_TYPE)

    def index(self) -> Response:
        modules = "".join(
            f"<li><code>{escape(m.name)}</code>: {escape(m.description)}</li>"
            for m in sorted(self.modules.values(), key=lambda m: m.name)
        )
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>netops exporter</title>"
            "</head><body><h1>netops SNMP exporter</h1>"
            "<form action='/snmp'><label>Target <input name='target' "
            "placeholder='10.10.0.1 or 127.0.0.1:1161'></label> "
            "<label>Module <input name='module' value='if_mib'></label> "
            "<label>Auth <input name='auth' placeholder='inventory SNMP profile'></label> "
            "<input type='submit' value='Scrape'></form>"
            "<form action='/probe'><label>Probe target <input name='target'></label> "
            "<input type='submit' value='Probe'></form>"
            f"<h2>Modules</h2><ul>{modules}</ul>"
            "<p><a href='/metrics'>Exporter metrics</a></p></body></html>"
        )
        return Response(200, page.encode(), "text/html; charset=utf-8")

    # --- ASGI -----------------------------------------------------------------------------

    async def _route(self, scope: Scope) -> Response:
        self.follow_reloads()
        path = scope.get("path", "/")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        if path == "/-/reload":
            if scope.get("method") != "POST":
                return Response(405, b"reload with POST\n")
            return self.reload()
        if scope.get("method") not in ("GET", "HEAD"):
            return Response(405, b"only GET is supported\n")
        if path == "/snmp":
            target = query.get("target", [""])[0]
            if not target:
                self.metrics.bad_requests.inc()
                return Response(400, b"'target' parameter must be specified\n")
            auth = query.get("auth", [None])[0]
            return await self.scrape_snmp(
                target, query.get("module", []), auth, _budget(headers, self.settings)
            )
        if path == "/probe":
            target = query.get("target", [""])[0]
            if not target:
                self.metrics.bad_requests.inc()
                return Response(400, b"'target' parameter must be specified\n")
            count = query.get("count", [""])[0]
            return await self.probe(
                target,
                _budget(headers, self.settings),
                int(count) if count.isdigit() and 0 < int(count) <= 100 else None,
            )
        if path == "/metrics":
            return self.self_metrics()
        if path in ("/-/healthy", "/-/ready"):
            return Response(200, b"OK\n")
        if path == "/":
            return self.index()
        return Response(404, b"not found\n")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.client.close()
                    self.prober.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        response = await self._route(scope)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [
                    (b"content-type", response.content_type.encode()),
                    (b"content-length", str(len(response.body)).encode()),
                ],
            }
        )
        body = b"" if scope.get("method") == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})


def parse_listen(text: str, default_port: int = defaults.EXPORTER_PORT) -> tuple[str, int]:
    """``:9116``, ``0.0.0.0:9116``, ``[::]:9116`` or ``127.0.0.1`` → (host, port)."""
    return listen_helpers.parse_listen(text, default_port=default_port, error=ExporterError)


def bind(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A listening TCP socket (port 0 lets the kernel choose). ``reuse_port``: one of a
    SO_REUSEPORT group, each worker's own; ``listen=False`` only reserves the port (a bound
    socket that does not listen is given no connections)."""
    sock = listen_helpers.bind_socket(host, port, error=ExporterError, reuse_port=reuse_port)
    if listen:
        sock.listen(1024)
    sock.set_inheritable(True)
    return sock


async def serve(exporter: Exporter, sock: socket.socket) -> None:
    """Serve ``exporter`` on ``sock`` until cancelled (uvicorn, one process); SIGHUP reloads."""
    import uvicorn

    config = uvicorn.Config(
        exporter, log_level="warning", access_log=False, lifespan="on", timeout_keep_alive=30
    )
    server = uvicorn.Server(config)
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, exporter.reload)
    await server.serve(sockets=[sock])
