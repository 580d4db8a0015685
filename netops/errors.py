"""The base of every exception netops raises on purpose, and the ones several subsystems share.

The CLI catches :class:`NetopsError` once, prints its message and exits 1. Anything else
that escapes is a bug and shows a traceback. A subsystem's own kinds subclass
:class:`NetopsError` beside the code that raises them (``RenderError``, ``BackupError``,
``PortalError``, ``LabError``, …).
"""

from __future__ import annotations

from dataclasses import dataclass


class NetopsError(Exception):
    """Base class: a user-facing error whose message says what went wrong and where in one
    sentence (an :class:`InventoryError`: a head line and one line per issue)."""


@dataclass(frozen=True)
class InventoryIssue:
    """One problem found in an inventory, with where it is."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class InventoryError(NetopsError):
    """The inventory could not be loaded or did not validate; carries every issue found."""

    def __init__(self, issues: list[InventoryIssue]) -> None:
        self.issues = issues
        count = len(issues)
        head = f"inventory has {count} error{'s' if count != 1 else ''}:"
        super().__init__("\n".join([head, *(f"  {issue}" for issue in issues)]))


class SecretError(NetopsError):
    """A secret reference could not be resolved (unset variable, unreadable file)."""


class ProvisionError(NetopsError):
    """A device could not be read or changed: a refused, silent or dropped connection, a
    failed login, a line the device rejected, a change that did not take effect. The
    message names the device and its address where the failure has one, secrets masked."""


class PushError(ProvisionError):
    """A push did not complete; ``applied`` says the device may have taken part of the
    change (a rollback is due), False when the device refused it as a whole."""

    def __init__(self, message: str, applied: bool) -> None:
        self.applied = applied
        super().__init__(message)


class RadiusError(NetopsError):
    """The RADIUS server, a CoA request or the dictionary cannot do what was asked: a port
    it cannot listen on, a NAS that is not in the inventory or cannot be reached, an
    inventory with no RADIUS clients, a dictionary that does not exist."""


class StoreError(NetopsError):
    """The database is unreachable, refused an operation or the login, or holds no such
    record (a user, voucher batch or MAC address an operator named)."""


class SnmpError(NetopsError):
    """An SNMP request failed; the message says whether it was auth, timeout or protocol."""


class ReportError(NetopsError):
    """A report could not be produced: Prometheus unreachable or refusing the query, no
    data, or a report option out of range (days, end time, tiers, time zone)."""


class ExporterError(NetopsError):
    """An SNMP module file, an exporter request (target, module, auth profile) or its
    listening address is unusable; names the file, parameter or address."""
