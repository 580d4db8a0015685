"""One function per device operation; each returns a :class:`Result` and never raises.

``diff`` and ``push`` follow nornir's ``napalm_configure``: the device's driver computes the
difference, the change is pushed only when asked and the difference is not empty, otherwise
the device is left alone. Operations talk to a device only through the driver seam
(:class:`~netops.provision.drivers.base.Session`): how a difference is computed, applied,
verified and undone is each driver's own (see :mod:`netops.provision.drivers`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netops.errors import NetopsError, PushError
from netops.inventory.models import Device, Inventory
from netops.provision.backup import ensure_repo
from netops.provision.drivers import DEFAULT_CONFIRM_TIMEOUT, Session
from netops.provision.drivers import session_for as _session_for
from netops.provision.render import Redactor, Rendered, environment, render_device
from netops.provision.result import Result

_BACKUP_LOCK = threading.Lock()


@dataclass
class Options:
    """Settings of one run shared by every device."""

    commit: bool = False
    session_log_dir: Path | None = None
    redactor: Redactor | None = None
    backup_dir: Path | None = None
    #: Remove entries only on the device (RouterOS API driver; others refuse it).
    prune: bool = False
    #: Seconds a RouterOS device waits for a push to be verified before it restores the
    #: snapshot taken before it.
    confirm_timeout: float = DEFAULT_CONFIRM_TIMEOUT
    #: A template folder searched after the inventory's (the CLI passes $NETOPS_TEMPLATES).
    templates: Path | None = None


def _keep_before(options: Options, device: Device, running: str) -> None:
    """Write the running config (redacted) to the backup folder before changing the device."""
    if options.backup_dir is None:
        return
    with _BACKUP_LOCK:
        ensure_repo(options.backup_dir)
    path = options.backup_dir / f"{device.hostname}.cfg"
    path.write_text(running if running.endswith("\n") else running + "\n", encoding="utf-8")


_REDACTOR_LOCK = threading.Lock()


def _run_redactor(inventory: Inventory, options: Options) -> Redactor:
    """The run's redactor; one that knows every secret of the inventory when the caller
    brought none (so that a session log or an error never depends on the caller's care)."""
    with _REDACTOR_LOCK:
        if options.redactor is None:
            options.redactor = Redactor()
            options.redactor.add_inventory(inventory)
        return options.redactor


def _timed(operation: str) -> Callable[[Callable[..., Result]], Callable[..., Result]]:
    def wrap(func: Callable[..., Result]) -> Callable[..., Result]:
        def run(inventory: Inventory, device: Device, options: Options) -> Result:
            started = time.monotonic()
            redactor = _run_redactor(inventory, options)
            try:
                result = func(inventory, device, options, redactor)
            except NetopsError as exc:
                result = Result(device.hostname, operation, error=redactor(str(exc)))
            except Exception as exc:  # the per-device boundary: drivers raise only
                # ProvisionError, so anything else is netops's own failure (a backup folder
                # that cannot be written): named by its type, never a secret.
                lines = redactor(str(exc)).strip().splitlines()
                first = lines[0] if lines else ""
                result = Result(device.hostname, operation, error=f"{type(exc).__name__}: {first}")
            result.elapsed = time.monotonic() - started
            return result

        run.__doc__ = func.__doc__
        run.__name__ = func.__name__
        return run

    return wrap


def session_for(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Any:
    return _session_for(
        inventory,
        device,
        redactor,
        options.session_log_dir,
        prune=options.prune,
        confirm_timeout=options.confirm_timeout,
    )


def _render(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Rendered:
    env = environment(inventory, options.templates)
    return render_device(inventory, device, with_secrets=True, redactor=redactor, env=env)


@_timed("diff")
def diff(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Result:
    """Intended vs running: ``changed`` is True when the device differs from the inventory."""
    intended = _render(inventory, device, options, redactor)
    session = session_for(inventory, device, options, redactor)
    session.open()
    try:
        found = session.diff(intended)
        session.discard(found)
    finally:
        session.close()
    changed = found.changed or found.drift > 0
    return Result(device.hostname, "diff", changed=changed, diff=redactor(found.text))


@_timed("push")
def push(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Result:
    """Converge the device to its intended config: dry run unless ``options.commit``.

    With commit: the running config is kept first (``Result.running``), the change applied,
    verified and made permanent; when the device may have taken part of a failed change,
    it is rolled back (``Result.rolled_back``).
    """
    intended = _render(inventory, device, options, redactor)
    session = session_for(inventory, device, options, redactor)
    session.open()
    try:
        return _push(session, device, intended, options, redactor)
    finally:
        session.close()


def _push(
    session: Session[Any],
    device: Device,
    intended: Rendered,
    options: Options,
    redactor: Redactor,
) -> Result:
    result = Result(device.hostname, "push")
    found = session.diff(intended)
    result.diff, result.changed = redactor(found.text), found.changed
    if not found.changed or not options.commit:
        session.discard(found)
        return result
    before = found.before if found.before is not None else session.backup()
    result.running = redactor(before)
    _keep_before(options, device, result.running)
    try:
        session.push(found)
    except PushError as exc:
        if not exc.applied:
            result.error, result.changed = redactor(str(exc)), False
            return result
        undo = session.rollback(found)
        result.rolled_back = undo.done
        result.error = redactor(f"{exc}; {undo.note}")
    return result


@_timed("backup")
def fetch_running(
    inventory: Inventory, device: Device, options: Options, redactor: Redactor
) -> Result:
    """Read the running config (``Result.running``; secrets redacted unless none known)."""
    session = session_for(inventory, device, options, redactor)
    session.open()
    try:
        running = session.backup()
    finally:
        session.close()
    return Result(device.hostname, "backup", running=redactor(running))


@_timed("check")
def check(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Result:
    """Reachability (time to log in), facts (version, uptime, serial) and drift."""
    started = time.monotonic()
    session = session_for(inventory, device, options, redactor)
    session.open()
    facts = {"reach": f"{(time.monotonic() - started) * 1000:.0f} ms"}
    try:
        facts.update(session.facts())
        found = session.diff(_render(inventory, device, options, redactor))
        session.discard(found)
    finally:
        session.close()
    if found.drift:
        facts["drift"] = f"{found.drift} difference(s)"
    else:
        facts["drift"] = f"{found.lines} line(s)" if found.changed else "none"
    changed = found.changed or found.drift > 0
    return Result(device.hostname, "check", changed=changed, diff=redactor(found.text), facts=facts)
