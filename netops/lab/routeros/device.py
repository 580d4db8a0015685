"""Run a lab RouterOS: the API (plain and TLS), the scheduler, the SSH console.

:func:`serve` runs it in the current asyncio loop until cancelled (the entry point uses
it); :class:`LabRouterOS` runs it on a background thread for tests and the lab runner.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from netops.errors import NetopsError
from netops.lab.routeros.api import ApiSession
from netops.lab.routeros.state import DeviceState

log = logging.getLogger(__name__)

CERT_FILE = "api-ssl.crt"
KEY_FILE = "api-ssl.key"
SSH_KEY_FILE = "ssh_host_rsa_key"
SCHEDULER_TICK = 0.2


@dataclass
class DeviceOptions:
    """How to start one lab RouterOS. Ports of 0 pick a free port."""

    state_dir: Path
    identity: str = "MikroTik"
    version: str = "7.16"
    user: str = "admin"
    password: str = ""
    api: tuple[str, int] | None = ("127.0.0.1", 0)
    api_ssl: tuple[str, int] | None = None
    ssh: tuple[str, int] | None = None
    ports: tuple[str, ...] = ("ether1", "ether2", "ether3", "ether4", "ether5")
    wireless: tuple[str, ...] | None = None
    time_zone: str = "UTC"
    certificate: tuple[Path, Path] | None = None
    bound: dict[str, tuple[str, int]] = field(default_factory=dict)


def lab_certificate(state_dir: Path, identity: str, host: str) -> tuple[Path, Path]:
    """A self-signed certificate for API-SSL, made once and kept in the state folder."""
    cert_path, key_path = state_dir / CERT_FILE, state_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)])
    alt: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.DNSName(identity)]
    try:
        alt.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _open_state(options: DeviceOptions, state_dir: Path) -> DeviceState:
    """The device's configuration from ``state_dir`` (factory defaults the first time), with
    the API, API-SSL and SSH ports it listens on and the configured login user."""
    try:
        state = DeviceState(
            state_dir,
            version=options.version,
            identity=options.identity,
            ports=options.ports,
            wireless=options.wireless
            if options.wireless is not None
            else (("wlan1",) if options.version.startswith("6") else ("wifi1", "wifi2")),
            time_zone=options.time_zone,
            service_ports={
                name: addr[1]
                for name, addr in (
                    ("api", options.api),
                    ("api-ssl", options.api_ssl),
                    ("ssh", options.ssh),
                )
                if addr is not None and addr[1]
            },
        )
    except (ValueError, OSError) as exc:
        raise NetopsError(f"lab RouterOS {options.identity}: {exc}") from exc
    if options.password:
        state.ensure_user(options.user, options.password)
    return state


async def serve(
    options: DeviceOptions,
    ready: Callable[[DeviceState], None] | None = None,
) -> None:
    """Run the device until cancelled. ``options.bound`` is filled with the addresses
    actually listened on before ``ready`` is called."""
    state_dir = options.state_dir.resolve()
    state = _open_state(options, state_dir)
    loop = asyncio.get_running_loop()
    sessions: set[ApiSession] = set()
    tasks: set[asyncio.Task[None]] = set()

    def handler() -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            session = ApiSession(state, reader, writer, sessions.discard)
            sessions.add(session)
            task = asyncio.current_task()
            if task is not None:
                tasks.add(task)
            try:
                await session.serve()
            except asyncio.CancelledError:
                session.close()
            finally:
                if task is not None:
                    tasks.discard(task)

        return handle

    def reboot() -> None:
        """After a backup load: drop every session opened before it, as a reboot would;
        the one that asked still gets its ``!done`` (written before the drop runs)."""
        cutoff = time.monotonic()

        def drop() -> None:
            for session in list(sessions):
                if session.created <= cutoff:
                    session.close()

        loop.call_soon_threadsafe(drop)

    state.on_reboot.append(reboot)
    servers: list[asyncio.Server] = []
    console = None
    try:
        if options.api is not None:
            server = await _listen(handler(), options.api, None)
            servers.append(server)
            options.bound["api"] = _address(server)
        if options.api_ssl is not None:
            cert, key = options.certificate or lab_certificate(
                state_dir, state.identity, options.api_ssl[0]
            )
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert), str(key))
            server = await _listen(handler(), options.api_ssl, context)
            servers.append(server)
            options.bound["api-ssl"] = _address(server)
        if options.ssh is not None:
            from netops.lab.routeros.ssh import SshConsole

            try:
                console = SshConsole(
                    state, options.ssh[0], options.ssh[1], state_dir / SSH_KEY_FILE
                )
            except OSError as exc:
                raise NetopsError(f"SSH on {options.ssh[0]}:{options.ssh[1]}: {exc}") from exc
            console.start()
            options.bound["ssh"] = (options.ssh[0], console.port)
        if ready is not None:
            ready(state)
        while True:
            await asyncio.sleep(SCHEDULER_TICK)
            if state.due():
                await loop.run_in_executor(None, state.run_due)
    finally:
        for server in servers:
            server.close()
        for session in list(sessions):
            session.close()
        if tasks:
            _, pending = await asyncio.wait(list(tasks), timeout=2)
            for task in pending:
                task.cancel()
        if console is not None:
            console.stop()


async def _listen(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    address: tuple[str, int],
    context: ssl.SSLContext | None,
) -> asyncio.Server:
    try:
        return await asyncio.start_server(handle, address[0], address[1], ssl=context)
    except OSError as exc:
        raise NetopsError(f"cannot listen on {address[0]}:{address[1]}: {exc}") from exc


def _address(server: asyncio.Server) -> tuple[str, int]:
    host, port = server.sockets[0].getsockname()[:2]
    return str(host), int(port)


class LabRouterOS:
    """A lab RouterOS on a background thread: ``start()``, use ``options.bound``, ``stop()``."""

    def __init__(self, options: DeviceOptions) -> None:
        self.options = options
        self.state: DeviceState | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="lab-routeros", daemon=True)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop

        def ready(state: DeviceState) -> None:
            self.state = state
            self._ready.set()

        self._task = loop.create_task(serve(self.options, ready))
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            loop.close()

    def start(self, timeout: float = 10) -> LabRouterOS:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise NetopsError("lab RouterOS did not start in time")
        if self._error is not None:
            raise self._error
        return self

    def address(self, service: str) -> tuple[str, int]:
        return self.options.bound[service]

    def stop(self) -> None:
        if self._loop is not None and self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=10)

    def __enter__(self) -> LabRouterOS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
