"""Sessions with devices: netmiko for CLI platforms, napalm where a candidate config exists.

This is the edge of the provisioning subsystem: every function here talks to a device.
Credentials are resolved from the inventory's secret references only when a session opens;
session logs are written through netmiko's ``no_log`` masking plus the run's redactor.
"""

from __future__ import annotations

import errno
import logging
import re
import ssl
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory
from netops.provision.platforms import Platform, platform
from netops.provision.render import Redactor


class ProvisionError(NetopsError):
    """A device operation failed; the message is one sentence, secrets redacted."""


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


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _errnos(chain: list[BaseException]) -> set[int]:
    """The operating system's error numbers anywhere in the chain (paramiko keeps one per
    address it tried)."""
    from paramiko.ssh_exception import NoValidConnectionsError  # type: ignore[import-untyped]

    numbers: set[int] = set()
    for item in chain:
        if isinstance(item, NoValidConnectionsError):
            numbers |= {e.errno for e in item.errors.values() if getattr(e, "errno", None)}
        elif isinstance(item, OSError) and item.errno:
            numbers.add(item.errno)
    return numbers


def describe_error(
    exc: BaseException,
    login: Login,
    redact: Callable[[str], str],
    timeout: float | None = None,
) -> str:
    """One sentence for a failure, naming what went wrong and where, never a secret.

    Library failures are sorted by type (netmiko, paramiko, napalm, pyeapi and the
    operating system's own), looking through what each was raised from: netmiko reports a
    refused connection and a silent one with the same exception, the cause tells them apart.
    ``timeout`` is the time the session waited (default: the login's connect timeout).
    """
    from napalm.base.exceptions import ConnectAuthError, ConnectTimeoutError
    from napalm.base.exceptions import ConnectionException as NapalmConnectionError
    from netmiko.exceptions import ConfigInvalidException, NetmikoTimeoutException, ReadTimeout
    from netmiko.exceptions import ConnectionException as NetmikoConnectionError
    from paramiko.ssh_exception import (
        AuthenticationException,
        SSHException,
    )

    if isinstance(exc, ProvisionError):
        return redact(str(exc))
    chain = _causes(exc)
    text = redact(str(exc)).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    root = redact(str(chain[-1])).strip().splitlines()
    detail = root[0] if root else "closed by the device"
    where = f"{login.device.hostname} at {login.host}:{login.port}"
    waited = login.connect_timeout if timeout is None else timeout
    errnos = _errnos(chain)

    def has(*kinds: type[BaseException]) -> BaseException | None:
        return next((e for e in chain if isinstance(e, kinds)), None)

    if has(AuthenticationException, ConnectAuthError):
        return f"authentication failed for user {login.username!r} on {where}"
    if isinstance(exc, ConfigInvalidException):
        match = re.search(r"(% ?[^\n]+)", str(exc))
        return f"the device rejected a line: {redact(match.group(1) if match else first)}"
    if isinstance(exc, ReadTimeout):
        return f"the device did not answer a command within {login.command_timeout:g} s"
    if errno.ECONNREFUSED in errnos:
        return f"connection refused by {where}"
    if errnos & {errno.ENETUNREACH, errno.EHOSTUNREACH}:
        return f"no route to {where}"
    if tls := has(ssl.SSLError):
        reason = str(getattr(tls, "reason", None) or tls).replace("_", " ").lower()
        return f"the TLS handshake with {where} failed ({reason}): no HTTPS API on that port"
    if has(TimeoutError, ConnectTimeoutError):
        return f"no answer from {where} within {waited:g} s"
    if has(EOFError, ConnectionError) or isinstance(exc, OSError):
        return f"the connection to {where} dropped ({detail})"
    if isinstance(exc, NetmikoTimeoutException):
        # netmiko's other connect failures: the port took the connection, SSH never began.
        return f"no answer from {where} within {waited:g} s"
    if isinstance(exc, SSHException | NapalmConnectionError | NetmikoConnectionError):
        return f"the connection to {where} dropped ({detail})"
    return f"{type(exc).__name__}: {first}"


def _quiet_libraries() -> None:
    """Keep the libraries' own failure reports (tracebacks from paramiko's transport thread,
    pyeapi's failed connection) off the terminal when nothing configured logging: the
    device's result already says what failed, in one sentence. An application that
    configures logging still receives them."""
    for name in ("paramiko", "netmiko", "napalm", "pyeapi"):
        library = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in library.handlers):
            library.addHandler(logging.NullHandler())


class NetmikoSession:
    """A CLI session (IOS, FRR, RouterOS, EOS CLI) through netmiko."""

    candidate = False

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

    def open(self) -> None:
        from netmiko import ConnectHandler

        _quiet_libraries()

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

    def send(self, command: str) -> str:
        output = self.conn.send_command(
            command, read_timeout=self.login.command_timeout, strip_prompt=True
        )
        return strip_prompts(str(output), str(self.conn.base_prompt))

    def get_running(self) -> str:
        return self.send(self.login.platform.show_running)

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

    def save(self) -> None:
        if self.login.platform.save:
            self.conn.save_config()

    def facts(self) -> dict[str, str]:
        return parse_facts(self.login.platform, self.send(self.login.platform.show_version or ""))


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


class NapalmSession:
    """A napalm session: candidate load, compare, commit (with revert timer), rollback.

    With a session log, each call and what came back is written to it, secrets masked.
    """

    candidate = True

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

    def _log(self, what: str, text: str = "") -> None:
        if self._transcript is not None:
            self._transcript.write(what, text)

    def open(self) -> None:
        from napalm import get_network_driver

        _quiet_libraries()
        creds = self.inventory.credentials[self.login.device.credentials or ""]
        password = creds.password.reveal()
        self.redactor.add(password)
        if creds.enable_secret is not None and "secret" not in self.optional_args:
            self.optional_args["secret"] = creds.enable_secret.reveal()
        for key, value in self.optional_args.items():
            if isinstance(value, str) and re.search("secret|password|key", key, re.I):
                self.redactor.add(value)
        if self.session_log is not None:
            from netops.provision.sessionlog import Transcript

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
            reason = describe_error(exc, self.login, self.redactor, self.login.command_timeout)
            self._log("open failed", reason)
            raise ProvisionError(reason) from exc

    def close(self) -> None:
        if self.driver is not None:
            with suppress(Exception):  # a dead session has nothing left to close
                self.driver.close()
            self.driver = None
            self._log("close")

    def get_running(self) -> str:
        running = str(self.driver.get_config(retrieve="running")["running"])
        self._log("get_config running", running)
        return running

    def load(self, config: str) -> str:
        """Load ``config`` as a replace candidate; the device's diff (empty: nothing to do)."""
        self._log("load_replace_candidate", config)
        self.driver.load_replace_candidate(config=config)
        diff = str(self.driver.compare_config() or "")
        self._log("compare_config", diff or "(no difference)")
        return diff

    def discard(self) -> None:
        self._log("discard_config")
        self.driver.discard_config()

    def commit(self) -> bool:
        """Commit with a revert timer when the driver offers one; True if it needs confirming."""
        self._log(f"commit_config revert_in={self.revert_in}")
        try:
            self.driver.commit_config(revert_in=self.revert_in)
        except NotImplementedError:
            self.driver.commit_config()
            return False
        return bool(self.driver.has_pending_commit())

    def confirm(self) -> None:
        self._log("confirm_commit")
        self.driver.confirm_commit()

    def rollback(self) -> None:
        self._log("rollback")
        self.driver.rollback()

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


Session = NetmikoSession | NapalmSession


def session_for(
    inventory: Inventory,
    device: Device,
    redactor: Redactor,
    session_log_dir: Path | None = None,
) -> Session:
    """The right kind of session for the device's platform (napalm if it has a driver for it
    and the platform is one netops drives through napalm, netmiko otherwise)."""
    login = login_for(inventory, device)
    log = session_log_dir / f"{device.hostname}.log" if session_log_dir else None
    if "napalm" in device.data or (login.platform.napalm and login.platform.name == "eos"):
        return NapalmSession(inventory, login, redactor, log)
    if login.platform.netmiko is None:
        raise ProvisionError(f"{device.hostname}: platform {device.platform} has no CLI driver")
    return NetmikoSession(inventory, login, redactor, log)
