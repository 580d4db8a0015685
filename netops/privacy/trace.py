"""Answer a lawful request "who used public IP X (port P) at time T" from netops's records.

The gateway that owned X comes from the inventory (a device's ``nat_public``); the sessions
open on that gateway (its NAS address) around T from RADIUS accounting; with source-NAT
mappings logged by syslog (:mod:`netops.privacy.syslog`) the answer narrows to the session
whose private address went out as X:P. Every trace is audited with its case reference and
operator before it answers. The device is shown as the store holds it (a keyed pseudonym
where the store pseudonymises MACs), never made clearer here.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory
from netops.store import Session, Store
from netops.store.natlog import NatMapping
from netops.timefmt import machine

AUDIT_ENV = "NETOPS_PRIVACY_AUDIT"


class TraceError(NetopsError):
    """A trace request that cannot be answered as asked (bad address, time, unknown IP)."""


@dataclass(frozen=True)
class TraceResult:
    """The answer: the gateway, every session open in the window, and the NAT-narrowed ones."""

    case: str
    operator: str
    ip: str
    port: int | None
    at: datetime
    window: timedelta
    gateway: str
    hotspots: tuple[str, ...]
    nas: str
    sessions: tuple[Session, ...]
    mappings: tuple[NatMapping, ...]
    matched: tuple[Session, ...]  # narrowed by NAT mappings; empty when none were logged

    @property
    def narrowed(self) -> bool:
        return bool(self.matched)

    def answer(self) -> tuple[Session, ...]:
        """The sessions the answer names: the narrowed ones if any, else all in the window."""
        return self.matched or self.sessions

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        def session(s: Session) -> dict[str, Any]:
            return {
                "user": s.username,
                "device": s.mac,
                "private_ip": s.ip,
                "nas_ip": s.nas_ip,
                "hotspot": s.hotspot,
                "acct_session_id": s.acct_session_id,
                "start": machine(s.started_at, zone),
                "stop": machine(s.stopped_at, zone),
            }

        return {
            "case": self.case,
            "operator": self.operator,
            "query": {
                "ip": self.ip,
                "port": self.port,
                "at": machine(self.at, zone),
                "window_seconds": int(self.window.total_seconds()),
            },
            "gateway": self.gateway,
            "hotspots": list(self.hotspots),
            "nas": self.nas,
            "narrowed_by_nat_log": self.narrowed,
            "answer": [session(s) for s in self.answer()],
            "sessions_in_window": [session(s) for s in self.sessions],
            "nat_mappings": [
                {
                    "at": machine(m.at, zone),
                    "proto": m.proto,
                    "private": f"{m.private_ip}:{m.private_port}",
                    "public": f"{m.public_ip}:{m.public_port}",
                    "nas": m.nas,
                }
                for m in self.mappings
            ],
        }


def parse_at(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 with an offset, or a local time (``2026-12-05 14:03[:07]``) in ``zone``."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise TraceError(
            f"--at {text!r} is not a time: use ISO 8601 (2026-12-05T14:03:07+08:00) or "
            "local time in the inventory's zone (2026-12-05 14:03:07)"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def gateway_of(inventory: Inventory, ip: str) -> Device:
    """The device whose ``nat_public`` holds ``ip``; :class:`TraceError` when none does."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError as exc:
        raise TraceError(f"--ip {ip!r} is not an IP address") from exc
    owners = [d for d in inventory.devices if address in d.nat_public]
    if not owners:
        raise TraceError(
            f"{ip} is not a public NAT address of any device in the inventory "
            "(devices' nat_public): netops has no record of who used it"
        )
    if len(owners) > 1:
        names = ", ".join(d.hostname for d in owners)
        raise TraceError(f"{ip} is the nat_public of several devices ({names}): fix the inventory")
    return owners[0]


def narrow(sessions: list[Session], mappings: list[NatMapping]) -> list[Session]:
    """The sessions whose private address was translated, while they were open, by a mapping."""
    matched = []
    for s in sessions:
        if any(
            m.private_ip == s.ip
            and s.started_at <= m.at
            and (s.stopped_at is None or m.at <= s.stopped_at)
            for m in mappings
        ):
            matched.append(s)
    return matched


def audit(path: Path, record: dict[str, Any]) -> None:
    """Append one trace to the deprecated JSON-lines file (``--audit-log``): one line,
    flushed and synced, file mode 0600. The record is the store's audit trail."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())


def trace(
    store: Store,
    inventory: Inventory,
    *,
    ip: str,
    at: datetime,
    case: str,
    operator: str,
    port: int | None = None,
    window: timedelta = timedelta(minutes=5),
    audit_path: Path | None = None,
) -> TraceResult:
    """Who was connected behind public ``ip`` (``port``) at ``at`` ± ``window``.

    The trace is recorded in the store's hash-chained audit trail before anything is looked
    up; ``audit_path`` (deprecated) also appends it as a JSON line to that file."""
    if not case.strip():
        raise TraceError("--case must name the request's case reference")
    if port is not None and not 0 < port < 65536:
        raise TraceError(f"--port {port} is not between 1 and 65535")
    if window < timedelta(0):
        raise TraceError("--window must not be negative")
    gateway = gateway_of(inventory, ip)
    nas = str(gateway.radius_source)
    start, end = at - window, at + window
    if audit_path is not None:
        audit(
            audit_path,
            {
                "event": "privacy.trace",
                "case": case,
                "operator": operator,
                "ip": ip,
                "port": port,
                "at": machine(at),
                "window_seconds": int(window.total_seconds()),
                "gateway": gateway.hostname,
                "recorded": machine(datetime.now(UTC)),
            },
        )
    # The record: the operators' hash-chained trail (`netops audit list|verify`), which the
    # privacy metrics count (`netops_privacy_actions_total{action="trace"}`).
    store.audit(
        operator,
        "cli",
        "privacy.trace",
        gateway.hostname,
        f"case {case}; {ip}{f':{port}' if port else ''} at {machine(at)} "
        f"± {int(window.total_seconds())} s",
    )
    sessions = store.sessions_on_nas(nas, start, end)
    mappings = store.nat_mappings(ip, start, end, public_port=port)
    matched = narrow(sessions, mappings)
    return TraceResult(
        case=case,
        operator=operator,
        ip=ip,
        port=port,
        at=at,
        window=window,
        gateway=gateway.hostname,
        hotspots=tuple(h.id for h in inventory.hotspots_at(gateway.hostname)),
        nas=nas,
        sessions=tuple(sessions),
        mappings=tuple(mappings),
        matched=tuple(matched),
    )
