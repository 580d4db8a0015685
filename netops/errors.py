"""Every exception netops raises on purpose.

The CLI catches :class:`NetopsError` once, prints its message and exits 1. Anything else
that escapes is a bug and shows a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class NetopsError(Exception):
    """Base class: a user-facing error whose message is one clear sentence."""


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
    """A RADIUS protocol or policy problem (bad packet, unknown NAS, CoA failure)."""


class StoreError(NetopsError):
    """The database is unreachable or refused an operation."""


class SnmpError(NetopsError):
    """An SNMP request failed; the message says whether it was auth, timeout or protocol."""


class ReportError(NetopsError):
    """A report could not be produced (Prometheus unreachable, no data)."""


class ExporterError(NetopsError):
    """An SNMP module file or an exporter request is invalid; names the file or parameter."""
