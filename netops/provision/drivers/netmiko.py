"""The CLI driver: netmiko sessions for devices without a candidate configuration (IOS,
FRR, RouterOS over SSH, EOS CLI).

The change is computed from the running configuration (:mod:`~netops.provision.configtree`)
and sent line by line, then verified by reading the running configuration again; a failure
after the first line was sent is undone by converging the device back to the running
configuration read before the change.
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

from netops.errors import ProvisionError, PushError
from netops.inventory.models import Inventory
from netops.provision import configtree
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
from netops.provision.platforms import Platform
from netops.provision.render import Redactor, Rendered

CliPlan = list[configtree.Change]


@cache
def failures() -> Failures:
    """What netmiko's and paramiko's exceptions mean."""
    from netmiko.exceptions import ConfigInvalidException, NetmikoTimeoutException, ReadTimeout
    from netmiko.exceptions import ConnectionException as NetmikoConnectionError
    from paramiko.ssh_exception import (  # type: ignore[import-untyped]
        AuthenticationException,
        NoValidConnectionsError,
        SSHException,
    )

    def tried(exc: Any) -> set[int]:
        return {e.errno for e in exc.errors.values() if getattr(e, "errno", None)}

    return Failures(
        auth=(AuthenticationException,),
        rejected_line=(ConfigInvalidException,),
        command_timeout=(ReadTimeout,),
        # netmiko's other connect failures: the port took the connection, SSH never began.
        silent=(NetmikoTimeoutException,),
        dropped=(SSHException, NetmikoConnectionError),
        errnos=((NoValidConnectionsError, tried),),
    )


class NetmikoSession:
    """A CLI session through netmiko; a :class:`~netops.provision.drivers.base.Session`."""

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
        self.session_log = session_log
        self.conn: Any = None

    def describe(self, exc: BaseException, timeout: float | None = None) -> str:
        return describe(exc, self.login, self.redactor, failures(), timeout)

    @translated
    def open(self) -> None:
        from netmiko import ConnectHandler

        quiet_libraries()

        creds = self.inventory.credentials[self.login.device.credentials or ""]
        password = creds.password.reveal()
        self.redactor.add(password)
        params: dict[str, Any] = {
            "device_type": self.login.platform.netmiko,
            "host": self.login.host,
            "port": self.login.port,
            "username": self.login.username,
            "password": password,
            "conn_timeout": self.login.connect_timeout,
            "auth_timeout": self.login.connect_timeout,
            "banner_timeout": self.login.connect_timeout,
            "read_timeout_override": None,
            "fast_cli": True,
            "allow_agent": False,
            "use_keys": False,
            "ssh_config_file": None,
        }
        if creds.enable_secret is not None:
            params["secret"] = creds.enable_secret.reveal()
            self.redactor.add(params["secret"])
        if self.session_log is not None:
            from netops.provision.sessionlog import MaskingSessionLog

            self.session_log.parent.mkdir(parents=True, exist_ok=True)
            params["session_log"] = MaskingSessionLog(self.session_log, self.redactor)
        self.conn = ConnectHandler(**params)
        if params.get("secret") and self.login.platform.netmiko == "cisco_ios":
            self.conn.enable()

    def close(self) -> None:
        if self.conn is not None:
            with suppress(Exception):  # a dead session has nothing left to close
                self.conn.disconnect()
            self.conn = None

    @translated
    def send(self, command: str) -> str:
        output = self.conn.send_command(
            command, read_timeout=self.login.command_timeout, strip_prompt=True
        )
        return strip_prompts(str(output), str(self.conn.base_prompt))

    def backup(self) -> str:
        running = self.send(self.login.platform.show_running)
        if self.login.platform.dialect == "routeros":
            running = drop_blank_lines(running)
        return running

    @translated
    def apply(self, commands: list[str]) -> str:
        """Send configuration lines; raises on a line the device refuses."""
        try:
            output = self.conn.send_config_set(
                commands,
                read_timeout=self.login.command_timeout,
                error_pattern=self.login.platform.error_pattern,
                strip_prompt=False,
                strip_command=False,
            )
        except Exception:
            # Leave configuration mode so that the session can still read and roll back.
            with suppress(Exception):
                if self.conn.check_config_mode():
                    self.conn.exit_config_mode()
            raise
        return str(output)

    @translated
    def save(self) -> None:
        if self.login.platform.save:
            self.conn.save_config()

    def facts(self) -> dict[str, str]:
        return parse_facts(self.login.platform, self.send(self.login.platform.show_version or ""))

    def _changes(self, running: str, intended: str, mode: str = "merge") -> CliPlan:
        plat = self.login.platform
        return configtree.compare(
            configtree.parse(running, plat), configtree.parse(intended, plat), plat, mode
        )

    def diff(self, intended: Rendered) -> Diff[CliPlan]:
        """The lines that turn the running configuration into ``intended.text``."""
        before = self.backup()
        changes = self._changes(before, intended.text)
        text = configtree.render_diff(changes, self.login.platform)
        return Diff(intended, bool(changes), text, changed_lines(text), changes, before)

    def discard(self, diff: Diff[CliPlan]) -> None:
        """Nothing to do: nothing was sent."""

    def push(self, diff: Diff[CliPlan]) -> None:
        """Send the lines, read the running configuration again and save it; every failure
        is :class:`PushError` with ``applied`` (a line may have been taken)."""
        plat = self.login.platform
        try:
            self.apply(configtree.commands(diff.plan, plat))
            remaining = self._changes(self.backup(), diff.intended.text)
            # A RouterOS menu is where a command goes, not a line of its own.
            missed = [c for c in remaining if c.path or plat.dialect != "routeros"]
            if missed:
                raise ProvisionError(
                    f"{len(missed)} line(s) did not take effect, first: "
                    f"{self.redactor(describe_change(missed[0], plat))}"
                )
            self.save()
        except Exception as exc:
            raise PushError(self.describe(exc), applied=True) from exc

    def rollback(self, diff: Diff[CliPlan]) -> Undo:
        """Converge the device back to ``diff.before`` (reconnecting if the session dropped)."""
        before = diff.before if diff.before is not None else ""
        plat = self.login.platform
        try:
            try:
                current = self.backup()
            except Exception:  # the session is gone: open a new one
                self.close()
                self.open()
                current = self.backup()
            undo = self._changes(current, before, mode="replace")
            if undo:
                self.apply(configtree.commands(undo, plat))
            left = self._changes(self.backup(), before, mode="replace")
            if left:
                return Undo(False, f"rollback left {len(left)} line(s) different")
            self.save()
            return Undo(True, "rolled back to the previous running config")
        except Exception as exc:
            return Undo(False, f"rollback failed ({self.describe(exc)})")


def describe_change(change: configtree.Change, plat: Platform) -> str:
    """One change as the engineer finds it in the config: the command with its menu
    (RouterOS) or its parent block (IOS-like), and whether it is missing or still there."""
    state = "missing" if change.op == "+" else "still there"
    if plat.dialect == "routeros":
        return f"{' '.join((*change.path, change.line))} ({state})"
    where = f" under {' > '.join(change.path)}" if change.path else ""
    return f"{change.line} ({state}{where})"


def strip_prompts(output: str, base_prompt: str) -> str:
    """``output`` without the device's prompt lines at its start and end.

    netmiko strips one trailing prompt, but a device that repaints its prompt (RouterOS
    does, and so does the lab's RouterOS target) can leave another one in the output, or
    an empty line after it; a backup must hold the configuration and nothing else.
    """
    if not base_prompt.strip():
        return output
    prompt = re.compile(re.escape(base_prompt.strip()) + r"\s*(?:\([^)]*\))?\s*[>#$]?\s*$")
    lines = output.split("\n")
    while lines and (not lines[-1].strip() or prompt.match(lines[-1].strip())):
        lines.pop()
    while lines and prompt.match(lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines)


def drop_blank_lines(export: str) -> str:
    """A RouterOS export without empty lines: RouterOS writes none (one command per line),
    but a prompt it repaints while the export is read can leave one behind (1 read in 8 of
    the lab's RouterOS target), and a backup of an unchanged device must read the same."""
    return "\n".join(line for line in export.split("\n") if line.strip())


def parse_facts(plat: Platform, text: str) -> dict[str, str]:
    """Version, uptime and serial from ``show version`` style output (best effort)."""
    facts: dict[str, str] = {}
    patterns = {
        "version": [
            r"FRRouting (\S+)",
            r"Cisco IOS.*Version ([^,\s]+)",
            r"Software image version: (\S+)",
            r"^\s*version: (.+)$",
        ],
        "uptime": [r"uptime is (.+)$", r"^\s*uptime: (.+)$", r"Uptime: (.+)$"],
        "serial": [
            r"Processor board ID (\S+)",
            r"Serial number:\s*(\S+)",
            r"^\s*serial-number: (\S+)",
        ],
        "model": [r"^[Cc]isco (\S+) .*processor", r"^\s*board-name: (.+)$", r"^Arista (\S+)"],
    }
    for key, options in patterns.items():
        for pattern in options:
            match = re.search(pattern, text, re.MULTILINE)
            if match:
                facts[key] = match.group(1).strip()
                break
    return facts
