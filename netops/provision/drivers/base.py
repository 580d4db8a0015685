"""The seam between provisioning operations and device drivers.

:class:`Session` is what every driver implements; :mod:`netops.provision.operations` talks
to a device only through it. A driver reads the device, compares it with the device's
rendered intended configuration (:class:`~netops.provision.render.Rendered`, which each
driver interprets in its own way: a text config, a candidate to load, structured state),
and returns a :class:`Diff` that carries the driver's own plan; ``push`` applies that plan,
``rollback`` undoes it. Every library failure leaves a driver as a :class:`ProvisionError`
whose message is one sentence, sorted by the exception's type (:func:`describe`).
"""

from __future__ import annotations

import errno
import functools
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

from netops.errors import ProvisionError
from netops.inventory.models import Device, Inventory
from netops.provision.platforms import Platform, platform
from netops.provision.render import Redactor, Rendered

PlanT = TypeVar("PlanT")


@dataclass(frozen=True)
class Login:
    """Where and how to log in to a device (secrets still references)."""

    device: Device
    platform: Platform
    host: str
    port: int
    username: str
    connect_timeout: float
    command_timeout: float


def login_for(inventory: Inventory, device: Device) -> Login:
    creds = inventory.credentials.get(device.credentials or "")
    if creds is None:
        raise ProvisionError(f"{device.hostname}: no credentials profile to log in with")
    return Login(
        device=device,
        platform=platform(device.platform),
        host=str(device.mgmt_ip),
        port=device.ssh_port,
        username=creds.username,
        connect_timeout=device.timeouts.connect,
        command_timeout=device.timeouts.command,
    )


@dataclass(frozen=True)
class Diff(Generic[PlanT]):
    """What a driver found between a device and its intended configuration.

    ``text`` is the difference as an engineer reads it (secrets not yet masked: the
    operation masks them), ``lines`` how many lines or operations it adds or removes,
    ``changed`` whether pushing would change the device. ``plan`` is the driver's own: the
    lines to send (CLI), nothing (a candidate already loaded on the device), the operations
    a planner chose (structured state). ``before`` is the running configuration the driver
    read to compute the difference, when it read one: the backup of that moment.
    ``drift`` counts differences a push leaves alone (entries only on the device, which
    only a pruning push removes) together with those it changes; 0 when the driver does
    not tell them apart (then ``lines`` says it).
    """

    intended: Rendered
    changed: bool
    text: str
    lines: int
    plan: PlanT
    before: str | None = None
    drift: int = 0


@dataclass(frozen=True)
class Undo:
    """What a rollback achieved: ``done`` when the device is back where it was; ``note``
    finishes the push's failure sentence (``rolled back``, ``rollback failed too (…)``)."""

    done: bool
    note: str


class Session(Protocol[PlanT]):
    """An open conversation with one device, the only way operations touch a device.

    Each method raises :class:`ProvisionError` (never a library's exception) except
    :meth:`close` and :meth:`rollback`, which never raise. A push is
    ``diff`` → (``discard`` | ``backup`` → ``push`` → on :class:`PushError` with
    ``applied``: ``rollback``).
    """

    login: Login

    def open(self) -> None:
        """Log in (credentials are resolved now and taught to the run's redactor)."""

    def close(self) -> None:
        """Log out; a session that already dropped is closed quietly."""

    def diff(self, intended: Rendered) -> Diff[PlanT]:
        """Read the device and compare it with ``intended``; the device is not changed
        (a candidate may be left loaded until :meth:`push` or :meth:`discard`)."""

    def discard(self, diff: Diff[PlanT]) -> None:
        """Forget a diff that will not be pushed (unload a candidate)."""

    def push(self, diff: Diff[PlanT]) -> None:
        """Apply the diff, verify that the device now matches its intended configuration
        and make the change permanent. Raises :class:`PushError`: ``applied`` False when
        the device refused the change as a whole and still runs what it ran before."""

    def rollback(self, diff: Diff[PlanT]) -> Undo:
        """Bring the device back to where it was before :meth:`push` of ``diff``."""

    def backup(self) -> str:
        """The running configuration as text a person and git can read."""

    def facts(self) -> dict[str, str]:
        """Version, uptime, serial (and model, vendor where the device says them)."""


# --- failures, sorted by type -------------------------------------------------------------


@dataclass(frozen=True)
class Failures:
    """Which exception types of a driver's libraries mean what.

    ``auth``, ``connect_timeout``: anywhere in the chain of causes; the others only as the
    exception itself. ``silent``: the port took the connection but the protocol never began.
    """

    auth: tuple[type[BaseException], ...] = ()
    rejected_line: tuple[type[BaseException], ...] = ()
    command_timeout: tuple[type[BaseException], ...] = ()
    connect_timeout: tuple[type[BaseException], ...] = ()
    silent: tuple[type[BaseException], ...] = ()
    dropped: tuple[type[BaseException], ...] = ()
    #: Types that hold the operating system's error numbers elsewhere than ``errno``
    #: (paramiko keeps one per address it tried), with a function that returns them.
    errnos: tuple[tuple[type[BaseException], Callable[[Any], set[int]]], ...] = ()

    def __or__(self, other: Failures) -> Failures:
        return Failures(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _errnos(chain: list[BaseException], failures: Failures) -> set[int]:
    """The operating system's error numbers anywhere in the chain."""
    numbers: set[int] = set()
    for item in chain:
        held = next((get for kind, get in failures.errnos if isinstance(item, kind)), None)
        if held is not None:
            numbers |= held(item)
        elif isinstance(item, OSError) and item.errno:
            numbers.add(item.errno)
    return numbers


def describe(
    exc: BaseException,
    login: Login,
    redact: Callable[[str], str],
    failures: Failures,
    timeout: float | None = None,
) -> str:
    """One sentence for a failure, naming what went wrong and where, never a secret.

    Failures are sorted by type (the driver's ``failures`` and the operating system's
    own), looking through what each was raised from: netmiko reports a refused connection
    and a silent one with the same exception, the cause tells them apart. ``timeout`` is
    the time the session waited (default: the login's connect timeout).
    """
    if isinstance(exc, ProvisionError):
        return redact(str(exc))
    chain = _causes(exc)
    text = redact(str(exc)).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    root = redact(str(chain[-1])).strip().splitlines()
    detail = root[0] if root else "closed by the device"
    where = f"{login.device.hostname} at {login.host}:{login.port}"
    waited = login.connect_timeout if timeout is None else timeout
    errnos = _errnos(chain, failures)

    def has(*kinds: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kinds)), None)

    if failures.auth and has(*failures.auth):
        return f"authentication failed for user {login.username!r} on {where}"
    if isinstance(exc, failures.rejected_line):
        match = re.search(r"(% ?[^\n]+)", str(exc))
        return f"the device rejected a line: {redact(match.group(1) if match else first)}"
    if isinstance(exc, failures.command_timeout):
        return f"the device did not answer a command within {login.command_timeout:g} s"
    if errno.ECONNREFUSED in errnos:
        return f"connection refused by {where}"
    if errnos & {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return f"no route to {where}"
    if tls := has(ssl.SSLError):
        reason = str(getattr(tls, "reason", None) or tls).replace("_", " ").lower()
        return f"the TLS handshake with {where} failed ({reason}): no HTTPS API on that port"
    if has(TimeoutError, *failures.connect_timeout):
        return f"no answer from {where} within {waited:g} s"
    if has(EOFError, ConnectionError) or isinstance(exc, OSError):
        return f"the connection to {where} dropped ({detail})"
    if isinstance(exc, failures.silent):
        return f"no answer from {where} within {waited:g} s"
    if isinstance(exc, failures.dropped):
        return f"the connection to {where} dropped ({detail})"
    return f"{type(exc).__name__}: {first}"


class Translating(Protocol):
    """A session that can say one sentence for its libraries' failures."""

    login: Login
    redactor: Redactor

    def describe(self, exc: BaseException, timeout: float | None = None) -> str: ...


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=Translating)


def translated(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Let ``method`` raise only :class:`ProvisionError`: a library's exception becomes
    the session's sentence for it, raised from the original."""

    @functools.wraps(method)
    def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except ProvisionError:
            raise
        except Exception as exc:
            raise ProvisionError(self.describe(exc)) from exc

    return run


def changed_lines(diff_text: str) -> int:
    """Lines a diff adds or removes (unified headers and context not counted)."""
    return sum(
        1
        for line in diff_text.splitlines()
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    )


def quiet_libraries() -> None:
    """Keep the libraries' own failure reports (tracebacks from paramiko's transport thread,
    pyeapi's failed connection) off the terminal when nothing configured logging: the
    device's result already says what failed, in one sentence. An application that
    configures logging still receives them."""
    for name in ("paramiko", "netmiko", "napalm", "pyeapi"):
        library = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in library.handlers):
            library.addHandler(logging.NullHandler())
