"""The candidate driver: napalm sessions for devices with a candidate configuration.

The intended configuration is loaded as a replace candidate and the device says the
difference; a push commits it (with a revert timer where the driver offers one), verifies
by loading the intended configuration again and reading the facts, then confirms; a failed
verification is undone with the device's own rollback. With a session log, each call and
what came back is written to it, secrets masked.
"""

from __future__ import annotations

import re
from contextlib import suppress
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
    changed_lines,
    describe,
    quiet_libraries,
    translated,
)
from netops.provision.drivers.netmiko import failures as netmiko_failures
from netops.provision.render import Redactor, Rendered


@cache
def failures() -> Failures:
    """What napalm's exceptions mean, and netmiko's and paramiko's (napalm's IOS driver runs
    on netmiko); pyeapi's (EOS) say what happened through their causes."""
    from napalm.base.exceptions import ConnectAuthError, ConnectTimeoutError
    from napalm.base.exceptions import ConnectionException as NapalmConnectionError

    return netmiko_failures() | Failures(
        auth=(ConnectAuthError,),
        connect_timeout=(ConnectTimeoutError,),
        dropped=(NapalmConnectionError,),
    )


class NapalmSession:
    """A napalm session; a :class:`~netops.provision.drivers.base.Session` whose diff is a
    candidate loaded on the device (the :class:`Diff`'s plan is None)."""

    def __init__(
        self,
        inventory: Inventory,
        login: Login,
        redactor: Redactor,
        session_log: Path | None = None,
    ) -> None:
        self.inventory = inventory
        self.login = login
        self.redactor = redactor
        self.driver: Any = None
        opts: dict[str, Any] = dict(login.device.data.get("napalm", {}))
        self.driver_name = str(opts.pop("driver", login.platform.napalm))
        self.optional_args: dict[str, Any] = dict(opts.pop("optional_args", {}))
        if login.port != 22 and "port" not in self.optional_args:
            self.optional_args["port"] = login.port
        self.revert_in = int(opts.pop("revert_in", 300))
        self.session_log = session_log
        self._transcript: Any = None

    def describe(self, exc: BaseException, timeout: float | None = None) -> str:
        return describe(exc, self.login, self.redactor, failures(), timeout)

    def _log(self, what: str, text: str = "") -> None:
        if self._transcript is not None:
            self._transcript.write(what, text)

    def open(self) -> None:
        from napalm import get_network_driver

        quiet_libraries()
        creds = self.inventory.credentials[self.login.device.credentials or ""]
        password = creds.password.reveal()
        self.redactor.add(password)
        if creds.enable_secret is not None and "secret" not in self.optional_args:
            self.optional_args["secret"] = creds.enable_secret.reveal()
        for key, value in self.optional_args.items():
            if isinstance(value, str) and re.search("secret|password|key", key, re.I):
                self.redactor.add(value)
        if self.session_log is not None:
            from netops.provision.transcript import Transcript

            self._transcript = Transcript(self.session_log, self.redactor)
        endpoint = f"{self.login.host}:{self.optional_args.get('port', 'default port')}"
        self._log(f"open napalm {self.driver_name} {endpoint} as {self.login.username}")
        driver_cls = get_network_driver(self.driver_name)
        self.driver = driver_cls(
            self.login.host,
            self.login.username,
            password,
            timeout=int(self.login.command_timeout),
            optional_args=self.optional_args,
        )
        try:
            self.driver.open()
        except Exception as exc:
            # napalm waits for its one timeout (the command timeout), not the connect one.
            reason = self.describe(exc, self.login.command_timeout)
            self._log("open failed", reason)
            raise ProvisionError(reason) from exc

    def close(self) -> None:
        if self.driver is not None:
            with suppress(Exception):  # a dead session has nothing left to close
                self.driver.close()
            self.driver = None
            self._log("close")

    @translated
    def backup(self) -> str:
        running = str(self.driver.get_config(retrieve="running")["running"])
        self._log("get_config running", running)
        return running

    @translated
    def load(self, config: str) -> str:
        """Load ``config`` as a replace candidate; the device's diff (empty: nothing to do)."""
        self._log("load_replace_candidate", config)
        self.driver.load_replace_candidate(config=config)
        diff = str(self.driver.compare_config() or "")
        self._log("compare_config", diff or "(no difference)")
        return diff

    def diff(self, intended: Rendered) -> Diff[None]:
        """Load ``intended.text`` as the candidate (left loaded for :meth:`push`)."""
        text = self.load(intended.text)
        return Diff(intended, bool(text), text, changed_lines(text), None)

    @translated
    def _discard(self) -> None:
        self._log("discard_config")
        self.driver.discard_config()

    def discard(self, diff: Diff[None]) -> None:
        self._discard()

    @translated
    def commit(self) -> bool:
        """Commit with a revert timer when the driver offers one; True if it needs confirming."""
        self._log(f"commit_config revert_in={self.revert_in}")
        try:
            self.driver.commit_config(revert_in=self.revert_in)
        except NotImplementedError:
            self.driver.commit_config()
            return False
        return bool(self.driver.has_pending_commit())

    @translated
    def confirm(self) -> None:
        self._log("confirm_commit")
        self.driver.confirm_commit()

    def push(self, diff: Diff[None]) -> None:
        """Commit the loaded candidate, verify (no difference left, facts readable), then
        confirm. A refused commit leaves the old configuration (``applied`` False)."""
        try:
            pending = self.commit()
        except ProvisionError as exc:  # a refused commit leaves the old config
            with suppress(ProvisionError):  # the commit error is the one to report
                self._discard()
            raise PushError(f"commit refused: {exc}", applied=False) from exc
        try:
            after = self.load(diff.intended.text)
            self._discard()
            if after:
                raise ProvisionError("the committed config still differs from the intended one")
            self.facts()
            if pending:
                self.confirm()
        except ProvisionError as exc:  # verification failed: undo the commit
            raise PushError(f"verification failed ({exc})", applied=True) from exc

    def rollback(self, diff: Diff[None]) -> Undo:
        """The device's own rollback to the configuration before the commit."""
        try:
            self._log("rollback")
            self.driver.rollback()
        except Exception as exc:
            return Undo(False, f"rollback failed too ({self.describe(exc)})")
        return Undo(True, "rolled back")

    @translated
    def facts(self) -> dict[str, str]:
        raw = self.driver.get_facts()
        self._log("get_facts", "\n".join(f"{k}: {v}" for k, v in sorted(raw.items())))
        return {
            "version": str(raw.get("os_version", "")),
            "uptime": f"{float(raw.get('uptime', 0) or 0):.0f} s",
            "serial": str(raw.get("serial_number", "")),
            "model": str(raw.get("model", "")),
            "vendor": str(raw.get("vendor", "")),
        }
