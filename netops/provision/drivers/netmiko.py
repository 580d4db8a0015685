"""The CLI driver: netmiko sessions for devices without a candidate configuration (IOS,
FRR, RouterOS over SSH, EOS CLI).

The change is computed from the running configuration (:mod:`~netops.provision.configtree`)
and sent, then verified by reading the running configuration again; a failure after the
first line was sent is undone by converging the device back to the running configuration
read before the change.

On IOS-like devices (``indent`` dialect) the push is one write: configuration mode, the
changed lines, ``end`` and the read-back go down the session together and the answer is read
once, instead of a round trip per line (netmiko's ``send_config_set`` waits for each line's
echo and prompt) plus the mode changes, a prompt probe before each command and the read
after. The verify then checks the lines that changed (each must now be there, or gone).
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

#: The command that saves the running configuration, by netmiko device type, sent as one
#: command (netmiko's ``save_config`` first probes the enable mode: a round trip more).
SAVE_COMMANDS = {"cisco_ios": "write memory"}
#: The running configuration's header (IOS, FRR, EOS): where the read-back begins in a
#: pipelined push's output (the echo of the lines sent comes before it).
RUNNING_HEADER = re.compile(r"^(?:Building configuration|Current configuration)", re.M)


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

    @property
    def pipelined(self) -> bool:
        """IOS-like CLIs take the change and the read-back in one write."""
        return self.login.platform.dialect == "indent"

    @translated
    def send(self, command: str) -> str:
        output = self.conn.send_command(
            command,
            read_timeout=self.login.command_timeout,
            strip_prompt=True,
            # The prompt found at login (an IOS-like prompt does not change outside
            # configuration mode): no probe for it before every command.
            auto_find_prompt=not self.pipelined,
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
    def apply_and_read(self, commands: list[str]) -> str:
        """Send ``commands`` in configuration mode and read the running configuration back,
        in one write; raises on a line the device refuses (after every line was sent)."""
        conn = self.conn
        plat = self.login.platform
        script = ["configure terminal", *commands, "end", plat.show_running]
        conn.write_channel("".join(line + conn.RETURN for line in script))
        prompt = re.escape(str(conn.base_prompt))
        # Done when the read-back (after its header) has ended and the prompt is back.
        done = rf"(?:Building|Current) configuration[\s\S]*\nend\s*\n[\s\S]*{prompt}#\s*$"
        output = str(conn.read_until_pattern(pattern=done, read_timeout=self.login.command_timeout))
        header = RUNNING_HEADER.search(output)
        echo = output[: header.start()] if header else output
        refused = refused_line(echo, commands, plat.error_pattern)
        if refused is not None:
            from netmiko.exceptions import ConfigInvalidException

            line, error = refused
            raise ConfigInvalidException(
                f"Invalid input detected at command: {line}, matched error: {error}"
            )
        return strip_prompts(output[header.start() :] if header else "", str(conn.base_prompt))

    @translated
    def save(self) -> None:
        if not self.login.platform.save:
            return
        command = SAVE_COMMANDS.get(str(self.login.platform.netmiko))
        if command is None or not self.pipelined:
            self.conn.save_config()
            return
        self.conn.send_command(
            command, read_timeout=self.login.command_timeout, auto_find_prompt=False
        )

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
            commands = configtree.commands(diff.plan, plat)
            if self.pipelined:
                after = self.apply_and_read(commands)
                # The verify checks what this push changed: each of its lines is now there
                # (or gone). Drift elsewhere is the diff's business, not the push's.
                remaining = not_taken(diff.plan, self._changes(after, diff.intended.text))
            else:
                self.apply(commands)
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


def not_taken(plan: CliPlan, remaining: CliPlan) -> CliPlan:
    """The changes of ``plan`` that are still to be made after the push (``remaining`` is
    what the device still lacks or still has): the lines the push sent and the device did
    not take."""
    sent = {(c.op, tuple(c.path), c.line) for c in plan if c.op != " "}
    return [c for c in remaining if (c.op, tuple(c.path), c.line) in sent]


def refused_line(echo: str, commands: list[str], error_pattern: str) -> tuple[str, str] | None:
    """The first line the device refused in the echo of a pipelined push, and its error
    (``None``: every line was taken): the error follows the line it is about."""
    error = re.compile(error_pattern)
    wanted = [c.strip() for c in commands if c.strip()]
    last = ""
    for text in echo.splitlines():
        found = error.search(text)
        if found:
            return last or "(unknown)", found.group(0).strip()
        stripped = text.strip()
        for command in wanted:
            if stripped.endswith(command):
                last = command
                break
    return None


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
