"""One function per device operation; each returns a :class:`Result` and never raises.

``diff`` and ``push`` follow nornir's ``napalm_configure``: load or compute the change,
compare, commit only when asked and the diff is not empty, otherwise leave the device alone.
CLI platforms (IOS, FRR, RouterOS) have no candidate config: the change is computed from the
running config and applied line by line, then verified by re-reading; any failure after the
first line was sent is undone by converging the device back to the running config saved
before the change.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory
from netops.provision import configtree
from netops.provision.backup import ensure_repo
from netops.provision.drivers import (
    NapalmSession,
    NetmikoSession,
    ProvisionError,
    Session,
    describe_error,
    login_for,
    session_for,
)
from netops.provision.platforms import Platform
from netops.provision.render import Redactor, render_device
from netops.provision.result import Result

_BACKUP_LOCK = threading.Lock()


@dataclass
class Options:
    """Settings of one run shared by every device."""

    commit: bool = False
    session_log_dir: Path | None = None
    redactor: Redactor | None = None
    backup_dir: Path | None = None


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
            except Exception as exc:  # the per-device boundary
                login = login_for(inventory, device)
                result = Result(
                    device.hostname, operation, error=describe_error(exc, login, redactor)
                )
            result.elapsed = time.monotonic() - started
            return result

        run.__doc__ = func.__doc__
        run.__name__ = func.__name__
        return run

    return wrap


def _changes(
    running: str, intended: str, session: NetmikoSession, mode: str = "merge"
) -> list[configtree.Change]:
    plat = session.login.platform
    return configtree.compare(
        configtree.parse(running, plat), configtree.parse(intended, plat), plat, mode
    )


@_timed("diff")
def diff(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Result:
    """Intended vs running: ``changed`` is True when the device differs from the inventory."""
    intended = render_device(inventory, device, with_secrets=True, redactor=redactor).text
    session = session_for(inventory, device, redactor, options.session_log_dir)
    session.open()
    try:
        if isinstance(session, NapalmSession):
            text = session.load(intended)
            session.discard()
            return Result(device.hostname, "diff", changed=bool(text), diff=redactor(text))
        changes = _changes(session.get_running(), intended, session)
        text = configtree.render_diff(changes, session.login.platform)
        return Result(device.hostname, "diff", changed=bool(changes), diff=redactor(text))
    finally:
        session.close()


@_timed("push")
def push(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Result:
    """Converge the device to its intended config: dry run unless ``options.commit``.

    With commit: the running config is kept first (``Result.running``), the change applied
    and saved, then verified; on any failure the device is rolled back.
    """
    intended = render_device(inventory, device, with_secrets=True, redactor=redactor).text
    session = session_for(inventory, device, redactor, options.session_log_dir)
    session.open()
    try:
        if isinstance(session, NapalmSession):
            return _push_napalm(session, device, intended, options, redactor)
        return _push_cli(session, device, intended, options, redactor)
    finally:
        session.close()


def _push_napalm(
    session: NapalmSession, device: Device, intended: str, options: Options, redactor: Redactor
) -> Result:
    result = Result(device.hostname, "push")
    text = session.load(intended)
    result.diff, result.changed = redactor(text), bool(text)
    if not text or not options.commit:
        session.discard()
        return result
    result.running = redactor(session.get_running())
    _keep_before(options, device, result.running)
    try:
        pending = session.commit()
    except Exception as exc:  # a refused commit leaves the old config
        with suppress(Exception):  # the commit error is the one to report
            session.discard()
        result.error = f"commit refused: {describe_error(exc, session.login, redactor)}"
        result.changed = False
        return result
    try:
        after = session.load(intended)
        session.discard()
        if after:
            raise ProvisionError("the committed config still differs from the intended one")
        session.facts()
        if pending:
            session.confirm()
    except Exception as exc:  # verification failed: undo the commit
        reason = describe_error(exc, session.login, redactor)
        try:
            session.rollback()
            result.rolled_back = True
            result.error = f"verification failed ({reason}); rolled back"
        except Exception as again:
            result.error = (
                f"verification failed ({reason}); rollback failed too "
                f"({describe_error(again, session.login, redactor)})"
            )
    return result


def _push_cli(
    session: NetmikoSession, device: Device, intended: str, options: Options, redactor: Redactor
) -> Result:
    result = Result(device.hostname, "push")
    plat = session.login.platform
    before = session.get_running()
    changes = _changes(before, intended, session)
    result.diff = redactor(configtree.render_diff(changes, plat))
    result.changed = bool(changes)
    if not changes or not options.commit:
        return result
    result.running = redactor(before)
    _keep_before(options, device, result.running)
    try:
        session.apply(configtree.commands(changes, plat))
        remaining = _changes(session.get_running(), intended, session)
        # A RouterOS menu is where a command goes, not a line of its own.
        missed = [c for c in remaining if c.path or plat.dialect != "routeros"]
        if missed:
            raise ProvisionError(
                f"{len(missed)} line(s) did not take effect, first: "
                f"{redactor(_describe_change(missed[0], plat))}"
            )
        session.save()
    except Exception as exc:  # undo what was applied
        reason = describe_error(exc, session.login, redactor)
        result.rolled_back, note = _rollback_cli(session, before)
        result.error = f"{reason}; {note}"
    return result


def _describe_change(change: configtree.Change, plat: Platform) -> str:
    """One change as the engineer finds it in the config: the command with its menu
    (RouterOS) or its parent block (IOS-like), and whether it is missing or still there."""
    state = "missing" if change.op == "+" else "still there"
    if plat.dialect == "routeros":
        return f"{' '.join((*change.path, change.line))} ({state})"
    where = f" under {' > '.join(change.path)}" if change.path else ""
    return f"{change.line} ({state}{where})"


def _rollback_cli(session: NetmikoSession, before: str) -> tuple[bool, str]:
    """Bring the device back to ``before`` (reconnecting if the session dropped)."""
    plat = session.login.platform
    try:
        try:
            current = session.get_running()
        except Exception:  # the session is gone: open a new one
            session.close()
            session.open()
            current = session.get_running()
        undo = _changes(current, before, session, mode="replace")
        if undo:
            session.apply(configtree.commands(undo, plat))
        left = _changes(session.get_running(), before, session, mode="replace")
        if left:
            return False, f"rollback left {len(left)} line(s) different"
        session.save()
        return True, "rolled back to the previous running config"
    except Exception as exc:
        return False, f"rollback failed ({describe_error(exc, session.login, session.redactor)})"


@_timed("backup")
def fetch_running(
    inventory: Inventory, device: Device, options: Options, redactor: Redactor
) -> Result:
    """Read the running config (``Result.running``; secrets redacted unless none known)."""
    session = session_for(inventory, device, redactor, options.session_log_dir)
    session.open()
    try:
        running = session.get_running()
    finally:
        session.close()
    return Result(device.hostname, "backup", running=redactor(running))


@_timed("check")
def check(inventory: Inventory, device: Device, options: Options, redactor: Redactor) -> Result:
    """Reachability (time to log in), facts (version, uptime, serial) and drift."""
    started = time.monotonic()
    session: Session = session_for(inventory, device, redactor, options.session_log_dir)
    session.open()
    facts = {"reach": f"{(time.monotonic() - started) * 1000:.0f} ms"}
    try:
        facts.update(session.facts())
        intended = render_device(inventory, device, with_secrets=True, redactor=redactor).text
        if isinstance(session, NapalmSession):
            text = session.load(intended)
            session.discard()
            drift = bool(text)
        else:
            changes = _changes(session.get_running(), intended, session)
            text = configtree.render_diff(changes, session.login.platform)
            drift = bool(changes)
    finally:
        session.close()
    facts["drift"] = f"{_changed_lines(text)} line(s)" if drift else "none"
    return Result(device.hostname, "check", changed=drift, diff=redactor(text), facts=facts)


def _changed_lines(diff_text: str) -> int:
    """Lines a diff adds or removes (unified headers and context not counted)."""
    return sum(
        1
        for line in diff_text.splitlines()
        if line[:1] in ("+", "-") and not line.startswith(("+++", "---"))
    )
