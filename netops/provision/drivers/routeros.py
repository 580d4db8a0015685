"""The RouterOS API driver: declarative state over ``librouteros`` (API-SSL, or plain API).

The device's current state is read with ``print`` on every managed path
(:data:`~netops.provision.routeros.schema.SCHEMA`), the pure planner
(:func:`~netops.provision.routeros.planner.plan`) turns it and the intended state into
operations, and ``push`` applies them in order. A push is RouterOS's commit-confirm:

1. a device-side snapshot (``/system/backup/save name=netops-pre-<ts>``);
2. a ``/system/scheduler`` entry that loads the snapshot after ``confirm_timeout``, so a
   device netops loses mid-push goes back by itself;
3. the operations, each ``Add.ref`` mapped to the ``.id`` the device returned;
4. the state read again and planned again: the plan must be empty;
5. only then the scheduler entry is removed (the snapshot file stays, for a person).

When verification fails, :meth:`RouterOSSession.rollback` loads the snapshot at once
(exact, secrets included, which planning back from the state read before could not do: the
device never shows a secret) and checks that the device holds the state read before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import ssl
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from netops.errors import ProvisionError, PushError
from netops.inventory.models import Inventory
from netops.provision.drivers.base import (
    Diff,
    Failures,
    Login,
    Undo,
    describe,
    translated,
)
from netops.provision.render import Redactor, Rendered
from netops.provision.routeros import schema as ros_schema
from netops.provision.routeros.intended import intended_state, wireless_menu
from netops.provision.routeros.planner import (
    Add,
    Drift,
    Move,
    Op,
    Plan,
    Remove,
    Set,
    State,
    plan,
)

DEFAULT_CONFIRM_TIMEOUT = 300.0
SNAPSHOT_PREFIX = "netops-pre-"
CONFIRM_PREFIX = "netops-confirm-"
#: Paths that exist on one major version only.
_V6_ONLY = ("/interface/wireless",)
_V7_ONLY = ("/interface/wifi",)  # and its profile menus, /interface/wifi/…
_EXPORT_STAMP = re.compile(r"^# \S+ \S+ by RouterOS ")
_AUTH_TRAPS = ("invalid user name or password", "cannot log in", "not logged in")


@cache
def failures() -> Failures:
    """What librouteros's exceptions mean (traps are sorted by :meth:`describe` itself)."""
    from librouteros.exceptions import ConnectionClosed, FatalError  # type: ignore[import-untyped]

    return Failures(dropped=(ConnectionClosed, FatalError))


class AuthFailed(Exception):
    """The device refused the login (a trap answered ``/login``)."""


class OperationFailed(Exception):
    """The device trapped one operation: ``path``, the operation as a person reads it, the
    device's message."""

    def __init__(self, path: str, operation: str, message: str) -> None:
        super().__init__(f"{path}: {operation}: {message}")
        self.path, self.operation, self.message = path, operation, message


@dataclass(frozen=True)
class RouterOSPlan:
    """What ``diff`` found: the planner's :class:`Plan`, the state read (the rollback's
    target) and the intended state it was planned against."""

    plan: Plan
    current: State
    intended: State
    version: str


def secret_key(inventory: Inventory, login: Login) -> bytes:
    """The key of the secrets' fingerprints in ownership markers: derived from the device's
    login password, a secret netops holds and the comment never shows."""
    creds = inventory.credentials[login.device.credentials or ""]
    return hmac.new(
        creds.password.reveal().encode(), b"netops routeros secret fingerprint", hashlib.sha256
    ).digest()


def major(version: str) -> str:
    return version.strip()[:1]


def managed_paths(version: str) -> list[str]:
    """The schema's paths this RouterOS version has (wifi on 7, wireless on 6)."""
    skip = _V7_ONLY if major(version) == "6" else _V6_ONLY
    return [p for p in ros_schema.SCHEMA if not any(p.startswith(s) for s in skip)]


def drift_table(drift: tuple[Drift, ...], ops: list[str]) -> str:
    """The differences as one table (path, kind, entry, field, device, intended), then the
    operations a push would send."""
    rows: list[tuple[str, ...]] = [("path", "kind", "entry", "field", "device", "intended")]
    for d in drift:
        if d.fields and d.kind not in ("missing", "only-on-device"):
            for name, (have, want) in sorted(d.fields.items()):
                rows.append((d.path, d.kind, _cut(d.what), name, _cut(have), _cut(want)))
        else:
            rows.append((d.path, d.kind, _cut(d.what), "", "", ""))
    lines: list[str] = []
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for i, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
    if ops:
        lines += ["", "operations:", *(f"  {line}" for line in ops)]
    return "\n".join(lines) + "\n" if lines else ""


class RouterOSSession:
    """A RouterOS API session; a :class:`~netops.provision.drivers.base.Session`."""

    def __init__(
        self,
        inventory: Inventory,
        login: Login,
        redactor: Redactor,
        session_log: Path | None = None,
        *,
        prune: bool = False,
        confirm_timeout: float = DEFAULT_CONFIRM_TIMEOUT,
    ) -> None:
        self.inventory = inventory
        self.login = login
        self.redactor = redactor
        self.session_log = session_log
        self.prune = prune
        self.confirm_timeout = confirm_timeout
        api = login.device.api
        self.api_port = api.effective_port
        self.tls = api.tls
        self.api: Any = None
        self.version = api.version or ""
        self._transcript: Any = None
        self._where = Login(
            login.device,
            login.platform,
            login.host,
            self.api_port,
            login.username,
            login.connect_timeout,
            login.command_timeout,
        )

    # --- connection ---------------------------------------------------------------------

    def describe(self, exc: BaseException, timeout: float | None = None) -> str:
        from librouteros.exceptions import TrapError

        where = f"{self.login.device.hostname} at {self.login.host}:{self.api_port}"
        if isinstance(exc, AuthFailed):
            return f"authentication failed for user {self.login.username!r} on {where}"
        if isinstance(exc, OperationFailed):
            return self.redactor(f"the device refused {exc.operation} on {exc.path}: {exc.message}")
        if isinstance(exc, TrapError):
            return self.redactor(f"the device answered with an error: {exc.message}")
        verify = next((e for e in _chain(exc) if isinstance(e, ssl.SSLCertVerificationError)), None)
        if verify is not None:
            reason = verify.verify_message or verify.reason or "not trusted"
            return (
                f"the API-SSL certificate of {where} is not trusted ({reason}): give the "
                "authority that signed it as api.ca_file in the inventory"
            )
        return describe(exc, self._where, self.redactor, failures(), timeout)

    def _log(self, what: str, text: str = "") -> None:
        if self._transcript is not None:
            self._transcript.write(what, text)

    def _ssl_wrapper(self) -> Any:
        api = self.login.device.api
        context = ssl.create_default_context(cafile=api.ca_file)
        if not api.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        host = self.login.host
        return lambda sock: context.wrap_socket(sock, server_hostname=host)

    @translated
    def open(self) -> None:
        import librouteros  # type: ignore[import-untyped]
        from librouteros.exceptions import TrapError

        creds = self.inventory.credentials[self.login.device.credentials or ""]
        password = creds.password.reveal()
        self.redactor.add(password)
        if self.session_log is not None:
            from netops.provision.transcript import Transcript

            self._transcript = Transcript(self.session_log, self.redactor)
        self._log(
            f"login {self.login.username}@{self.login.host}:{self.api_port}"
            f" ({'api-ssl' if self.tls else 'api'})"
        )
        try:
            self.api = librouteros.connect(
                self.login.host,
                self.login.username,
                password,
                port=self.api_port,
                timeout=self.login.connect_timeout,
                ssl_wrapper=self._ssl_wrapper() if self.tls else None,
            )
        except TrapError as exc:
            if any(t in exc.message.lower() for t in _AUTH_TRAPS):
                raise AuthFailed(exc.message) from exc
            raise
        self.api.protocol.transport.sock.settimeout(self.login.command_timeout)
        if not self.version:
            resource = self.call("/system/resource/print")
            self.version = resource[0].get("version", "7") if resource else "7"

    def close(self) -> None:
        if self.api is not None:
            with suppress(Exception):  # a dead session has nothing left to close
                self.api.close()
            self.api = None

    def call(self, command: str, **attrs: str) -> list[dict[str, str]]:
        """One API command with its attributes as the device's own strings (no casting of
        ``yes`` or numbers); the rows it answered. A trap raises librouteros's
        ``TrapError``."""
        from librouteros.exceptions import MultiTrapError, TrapError

        if self.api is None:
            raise ProvisionError(f"{self.login.device.hostname}: the API session is not open")
        words = [f"={k}={v}" for k, v in attrs.items()]
        self._log(command, "\n".join(words))
        self.api.protocol.writeSentence(command, *words)
        rows: list[dict[str, str]] = []
        traps: list[TrapError] = []
        reply = ""
        while reply != "!done":
            reply, raw = self.api.protocol.readSentence()
            attrs_in = dict(_split(w) for w in raw if w.startswith("="))
            if reply == "!trap":
                traps.append(
                    TrapError(attrs_in.get("message", "trap"), _int(attrs_in.get("category")))
                )
            elif reply in ("!re", "!done") and attrs_in:
                rows.append(attrs_in)
        if traps:
            self._log("trap", "; ".join(t.message for t in traps))
            raise traps[0] if len(traps) == 1 else MultiTrapError(*traps)
        return rows

    # --- reading ------------------------------------------------------------------------

    @translated
    def read(self) -> dict[str, list[dict[str, str]]]:
        """Every managed path's entries, as the device shows them; a menu the device does
        not have (a package not installed) is left out of the state."""
        from librouteros.exceptions import TrapError

        state: dict[str, list[dict[str, str]]] = {}
        self.missing: set[str] = set()
        for path in managed_paths(self.version):
            try:
                state[path] = self.call(f"{path}/print")
            except TrapError as exc:
                if "no such command" not in exc.message:
                    raise
                self.missing.add(path)
        return state

    @translated
    def facts(self) -> dict[str, str]:
        resource = (self.call("/system/resource/print") or [{}])[0]
        board = (self.call("/system/routerboard/print") or [{}])[0]
        identity = (self.call("/system/identity/print") or [{}])[0]
        facts = {
            "version": resource.get("version", ""),
            "uptime": resource.get("uptime", ""),
            "model": board.get("model") or resource.get("board-name", ""),
            "serial": board.get("serial-number", ""),
            "identity": identity.get("name", ""),
            "vendor": "MikroTik",
        }
        return {k: v for k, v in facts.items() if v}

    def backup(self) -> str:
        """``/export`` over SSH, the text RouterOS itself writes; a script of the state read
        over the API when the device has no SSH console to read it from."""
        try:
            return self._export()
        except Exception as exc:  # no SSH: the API's view, still readable and diffable
            from netops.provision.routeros.intended import to_rsc

            self._log("export over SSH failed", self.describe(exc))
            return to_rsc(
                self.read(), title=f"{self.login.device.hostname}: state read over the API"
            )

    def _export(self) -> str:
        import paramiko  # type: ignore[import-untyped]

        creds = self.inventory.credentials[self.login.device.credentials or ""]
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        try:
            client.connect(
                self.login.host,
                port=self.login.port,
                username=self.login.username,
                password=creds.password.reveal(),
                timeout=self.login.connect_timeout,
                auth_timeout=self.login.connect_timeout,
                banner_timeout=self.login.connect_timeout,
                allow_agent=False,
                look_for_keys=False,
            )
            _, stdout, _ = client.exec_command("/export", timeout=self.login.command_timeout)
            text = stdout.read().decode("utf-8", "replace")
        finally:
            client.close()
        self._log("/export over SSH", text)
        # The first line says when the export was made: a backup of an unchanged device
        # must read the same (Oxidized drops it too).
        return "\n".join(
            line
            for line in text.replace("\r", "").split("\n")
            if line.strip() and not _EXPORT_STAMP.match(line)
        )

    # --- planning -----------------------------------------------------------------------

    def intended(self, rendered: Rendered) -> State:
        """The intended state for this device's version: v6 has ``/interface/wireless``
        where v7 has ``/interface/wifi``. The version read from the device decides unless
        the inventory pins ``api.version`` or says ``data.wireless``; the rendered state
        is re-rendered when it was made for the other menu."""
        device = self.login.device
        menu = wireless_menu(self.version)
        if "wireless" in device.data or menu == wireless_menu(device.api.version):
            if rendered.state is not None:
                return rendered.state
        else:
            device = device.model_copy(update={"data": {**device.data, "wireless": menu}})
        return intended_state(device, self.inventory, with_secrets=True)

    def _plan(self, current: State, intended: State) -> Plan:
        return plan(
            current,
            intended,
            prune=self.prune,
            secret_key=secret_key(self.inventory, self.login),
        )

    def diff(self, intended: Rendered) -> Diff[RouterOSPlan]:
        """Read every managed path and plan; the device is not changed."""
        state = self.intended(intended)
        current = self.read()
        lacking = sorted(p for p in self.missing if state.get(p))
        if lacking:
            raise ProvisionError(
                f"{self.login.device.hostname}: RouterOS {self.version} has no menu "
                f"{', '.join(lacking)} that the intended state needs"
            )
        found = self._plan(current, state)
        ops = found.lines()
        seen = [
            d
            for d in found.drift
            if d.kind != "adopted" and not (d.path == "/file" and SNAPSHOT_PREFIX in d.what)
        ]
        return Diff(
            intended,
            bool(found.ops),
            drift_table(tuple(seen), ops),
            len(found.ops),
            RouterOSPlan(found, current, state, self.version),
            None,
            drift=len(seen),
        )

    def discard(self, diff: Diff[RouterOSPlan]) -> None:
        """Nothing to do: nothing was sent."""

    # --- applying -----------------------------------------------------------------------

    def apply(self, ops: tuple[Op, ...]) -> None:
        """Send the operations in order; ``Add.ref`` becomes the ``.id`` the device gave."""
        from librouteros.exceptions import TrapError

        refs: dict[str, str] = {}

        def ident(value: str | None) -> str | None:
            return refs.get(value, value) if value is not None else None

        for op in ops:
            try:
                if isinstance(op, Add):
                    attrs = dict(op.values)
                    if op.before:
                        attrs["place-before"] = ident(op.before) or ""
                    rows = self.call(f"{op.path}/add", **attrs)
                    refs[op.ref] = rows[0].get("ret", "") if rows else ""
                elif isinstance(op, Set):
                    attrs = dict(op.values)
                    if op.id is not None:
                        attrs = {".id": ident(op.id) or "", **attrs}
                    attrs.update({f"!{name}": "" for name in op.unset})
                    self.call(f"{op.path}/set", **attrs)
                elif isinstance(op, Remove):
                    self.call(f"{op.path}/remove", **{".id": ident(op.id) or ""})
                elif isinstance(op, Move):
                    attrs = {"numbers": ident(op.id) or ""}
                    if op.before:
                        attrs["destination"] = ident(op.before) or ""
                    self.call(f"{op.path}/move", **attrs)
            except TrapError as exc:
                raise OperationFailed(op.path, type(op).__name__.lower(), exc.message) from exc

    @translated
    def _arm(self) -> tuple[str, str]:
        """Save the snapshot and install the scheduler entry that loads it after the
        confirm timeout; the names of both."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        snapshot, confirm = f"{SNAPSHOT_PREFIX}{stamp}", f"{CONFIRM_PREFIX}{stamp}"
        self.call("/system/backup/save", name=snapshot, **{"dont-encrypt": "yes"})
        self.call(
            "/system/scheduler/add",
            name=confirm,
            interval=_duration(self.confirm_timeout),
            **{
                "on-event": f"/system backup load name={snapshot}",
                "comment": "netops: restores the device unless the push is confirmed",
            },
        )
        return snapshot, confirm

    @translated
    def _disarm(self, confirm: str) -> None:
        for row in self.call("/system/scheduler/print"):
            if row.get("name") == confirm:
                self.call("/system/scheduler/remove", **{".id": row[".id"]})

    def push(self, diff: Diff[RouterOSPlan]) -> None:
        """Commit-confirm (module docstring); :class:`PushError` ``applied`` False only
        when nothing reached the device's configuration."""
        try:
            snapshot, confirm = self._arm()
        except ProvisionError as exc:
            raise PushError(f"{exc} (before any change)", applied=False) from exc
        self._armed = (snapshot, confirm)
        try:
            self.apply(diff.plan.plan.ops)
            left = self._plan(self.read(), diff.plan.intended)
        except Exception as exc:
            raise PushError(
                f"{self.describe(exc)}; the device loads {snapshot} by itself within "
                f"{_duration(self.confirm_timeout)} unless netops rolls back first",
                applied=True,
            ) from exc
        if left.ops:
            first = self.redactor(left.lines()[0])
            raise PushError(
                f"verification failed: {len(left.ops)} operation(s) still needed after the "
                f"push, first: {first}",
                applied=True,
            )
        try:
            self._disarm(confirm)
        except ProvisionError as exc:
            raise PushError(
                f"the change is verified but the confirm entry {confirm} could not be "
                f"removed ({exc}): remove it before it restores {snapshot}",
                applied=True,
            ) from exc

    def rollback(self, diff: Diff[RouterOSPlan]) -> Undo:
        """Load the snapshot saved before the push and check the device holds the state
        read before it; reconnects when the session dropped."""
        armed = getattr(self, "_armed", None)
        if armed is None:
            return Undo(False, "nothing to roll back: no snapshot was saved")
        snapshot, _ = armed
        try:
            try:
                self.call("/system/identity/print")
            except Exception:  # the session is gone: open a new one
                self.close()
                self.open()
            with suppress(Exception):  # the load drops every session, this one too
                self.call("/system/backup/load", name=snapshot)
            self.close()
            deadline = time.monotonic() + max(self.login.connect_timeout, 5.0)
            while True:
                try:
                    self.open()
                    break
                except ProvisionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            # Files are not part of a backup: remove those the push added.
            added = {op.values.get("name") for op in diff.plan.plan.ops if isinstance(op, Add)}
            for row in self.call("/file/print"):
                if op_file(row, added, diff.plan.current):
                    self.call("/file/remove", **{".id": row[".id"]})
            now = self.read()
            was, now_ = _strip(diff.plan.current), _strip(now)
            if now_ != was:
                paths = sorted(p for p in set(was) | set(now_) if was.get(p) != now_.get(p))
                return Undo(
                    False,
                    f"rollback loaded {snapshot} but the device still differs in "
                    f"{', '.join(paths)}",
                )
            return Undo(True, f"rolled back to the snapshot {snapshot}")
        except Exception as exc:
            return Undo(
                False,
                f"rollback failed ({self.describe(exc)}); the device loads {snapshot} by "
                f"itself within {_duration(self.confirm_timeout)}",
            )


def op_file(row: Mapping[str, str], added: set[str | None], before: State) -> bool:
    """Whether a ``/file`` row is one the push added (not there before it)."""
    name = row.get("name")
    had = {e.get("name") for e in before.get("/file", [])}
    return name in added and name not in had


#: Fields that change by themselves (the clock, a login): not part of a configuration.
_VOLATILE = frozenset({"time", "date", "gmt-offset", "last-logged-in", "uptime"})


def _strip(state: Mapping[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    """A state as a rollback can restore it: files by name and contents (their ids and
    times change), without the snapshot file itself."""
    out: dict[str, list[dict[str, str]]] = {}
    for path, entries in state.items():
        keep = []
        for e in entries:
            if path == "/file" and e.get("name", "").startswith(SNAPSHOT_PREFIX):
                continue
            if path == "/file":
                keep.append({k: v for k, v in e.items() if k in ("name", "contents")})
            else:
                keep.append({k: v for k, v in e.items() if k not in _VOLATILE})
        out[path] = keep
    return out


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _cut(text: str | None, width: int = 48) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _split(word: str) -> tuple[str, str]:
    key, _, value = word[1:].partition("=")
    return key, value


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _duration(seconds: float) -> str:
    total = max(1, round(seconds))
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    return "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
