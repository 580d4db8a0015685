"""Sessions with devices, behind one seam (:class:`~netops.provision.drivers.base.Session`).

- :mod:`.base`: the :class:`Session` protocol, :class:`Diff`, :class:`Undo`, logins, and
  the sorting of library failures into one sentence;
- :mod:`.netmiko`: CLI devices without a candidate configuration (IOS, FRR, RouterOS, EOS);
- :mod:`.napalm`: devices with a candidate configuration (EOS, or any device whose
  inventory entry names a napalm driver);
- :mod:`.routeros`: RouterOS gateways and access points over the RouterOS API
  (``librouteros``): declarative state, a planner, commit-confirm by a scheduled snapshot.

This is the edge of the provisioning subsystem: every session talks to a device.
Credentials are resolved from the inventory's secret references only when a session opens;
session logs are written with every secret the run's redactor knows masked. A new driver
implements :class:`Session` and is chosen in :func:`session_for`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netops.errors import ProvisionError, PushError
from netops.inventory.models import Device, Inventory
from netops.provision.drivers.base import (
    Diff,
    Failures,
    Login,
    Session,
    Undo,
    describe,
    login_for,
)
from netops.provision.drivers.napalm import NapalmSession
from netops.provision.drivers.napalm import failures as napalm_failures
from netops.provision.drivers.netmiko import NetmikoSession, parse_facts, strip_prompts
from netops.provision.drivers.netmiko import failures as netmiko_failures
from netops.provision.drivers.routeros import DEFAULT_CONFIRM_TIMEOUT, RouterOSSession
from netops.provision.drivers.routeros import failures as routeros_failures
from netops.provision.render import Redactor, declarative

__all__ = [
    "DEFAULT_CONFIRM_TIMEOUT",
    "Diff",
    "Failures",
    "Login",
    "NapalmSession",
    "NetmikoSession",
    "ProvisionError",
    "PushError",
    "RouterOSSession",
    "Session",
    "Undo",
    "describe",
    "describe_error",
    "login_for",
    "parse_facts",
    "session_for",
    "strip_prompts",
]


def _uses_napalm(device: Device, login: Login) -> bool:
    """napalm if the inventory names a napalm driver for the device, or the platform is one
    netops drives through napalm (EOS); netmiko otherwise."""
    return "napalm" in device.data or bool(login.platform.napalm and login.platform.name == "eos")


def session_for(
    inventory: Inventory,
    device: Device,
    redactor: Redactor,
    session_log_dir: Path | None = None,
    *,
    prune: bool = False,
    confirm_timeout: float = DEFAULT_CONFIRM_TIMEOUT,
) -> Session[Any]:
    """The right kind of session for the device (not yet open).

    ``prune`` (remove entries only on the device) and ``confirm_timeout`` (how long a
    RouterOS device waits for a push to be confirmed before it restores itself) are the
    RouterOS API driver's; the other drivers refuse ``prune`` with one sentence.
    """
    login = login_for(inventory, device)
    log = session_log_dir / f"{device.hostname}.log" if session_log_dir else None
    if declarative(device):
        return RouterOSSession(
            inventory, login, redactor, log, prune=prune, confirm_timeout=confirm_timeout
        )
    if prune:
        raise ProvisionError(
            f"{device.hostname}: --prune works on RouterOS gateways and access points driven "
            f"over the API; platform {device.platform} role {device.role} is not one"
        )
    if _uses_napalm(device, login):
        return NapalmSession(inventory, login, redactor, log)
    if login.platform.netmiko is None:
        raise ProvisionError(f"{device.hostname}: platform {device.platform} has no CLI driver")
    return NetmikoSession(inventory, login, redactor, log)


def describe_error(
    exc: BaseException, login: Login, redact: Redactor, timeout: float | None = None
) -> str:
    """The sentence the device's driver says for ``exc`` (see :func:`.base.describe`)."""
    if declarative(login.device):
        kinds = routeros_failures()
    elif _uses_napalm(login.device, login):
        kinds = napalm_failures()
    else:
        kinds = netmiko_failures()
    return describe(exc, login, redact, kinds, timeout)
