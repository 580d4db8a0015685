"""Sessions with devices: netmiko for CLI platforms, napalm where a candidate config exists.

This is the edge of the provisioning subsystem: every function here talks to a device.
Credentials are resolved from the inventory's secret references only when a session opens;
session logs are written through netmiko's ``no_log`` masking plus the run's redactor.
"""

from __future__ import annotations

import re
import socket
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


def describe_error(exc: BaseException, login: Login, redact: Callable[[str], str]) -> str:
    """One sentence for a failure, naming what went wrong and where, never a secret."""
    name = type(exc).__name__
    text = redact(str(exc)).strip().splitlines()
    first = text[0] if text else name
    where = f"{login.host}:{login.port}"
    if isinstance(exc, ProvisionError):
        return redact(str(exc))
    if "Authentication" in name:
        return f"authentication failed for user {login.username!r} at {where}"
    if name in ("NetmikoTimeoutException",) or isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer from {where} within {login.connect_timeout:g} s ({first})"
    if name == "ReadTimeout":
        return f"the device did not answer a command within {login.command_timeout:g} s"
    if name == "ConfigInvalidException":
        match = re.search(r"(% ?[^\n]+)", str(exc))
        return f"the device rejected a line: {redact(match.group(1) if match else first)}"
    if isinstance(exc, EOFError | ConnectionError | OSError) or name in (
        "SSHException",
        "ConnectionClosedException",
        "ConnectionException",
    ):
        return f"the connection to {where} dropped ({first or name})"
    return f"{name}: {first}"


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
        from netmiko.session_log import SessionLog

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
            self.session_log.parent.mkdir(parents=True, exist_ok=True)
            no_log = {f"s{i}": v for i, v in enumerate(sorted(self.redactor.values))}
            params["session_log"] = SessionLog(
                file_name=str(self.session_log), file_mode="append", no_log=no_log
            )
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
        return str(output)

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
    """A napalm session: candidate load, compare, commit (with revert timer), rollback."""

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

    def open(self) -> None:
        from napalm import get_network_driver

        creds = self.inventory.credentials[self.login.device.credentials or ""]
        password = creds.password.reveal()
        self.redactor.add(password)
        if creds.enable_secret is not None and "secret" not in self.optional_args:
            self.optional_args["secret"] = creds.enable_secret.reveal()
            self.redactor.add(self.optional_args["secret"])
        driver_cls = get_network_driver(self.driver_name)
        self.driver = driver_cls(
            self.login.host,
            self.login.username,
            password,
            timeout=int(self.login.command_timeout),
            optional_args=self.optional_args,
        )
        self.driver.open()

    def close(self) -> None:
        if self.driver is not None:
            with suppress(Exception):  # a dead session has nothing left to close
                self.driver.close()
            self.driver = None

    def get_running(self) -> str:
        return str(self.driver.get_config(retrieve="running")["running"])

    def load(self, config: str) -> str:
        """Load ``config`` as a replace candidate; the device's diff (empty: nothing to do)."""
        self.driver.load_replace_candidate(config=config)
        return str(self.driver.compare_config() or "")

    def discard(self) -> None:
        self.driver.discard_config()

    def commit(self) -> bool:
        """Commit with a revert timer when the driver offers one; True if it needs confirming."""
        try:
            self.driver.commit_config(revert_in=self.revert_in)
        except NotImplementedError:
            self.driver.commit_config()
            return False
        return bool(self.driver.has_pending_commit())

    def confirm(self) -> None:
        self.driver.confirm_commit()

    def rollback(self) -> None:
        self.driver.rollback()

    def facts(self) -> dict[str, str]:
        raw = self.driver.get_facts()
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
