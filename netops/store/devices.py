"""Phones whose MAC address changes: moving a voucher or a click-through allowance to the
new (private, locally administered) address, and remembering which addresses were private.

Android 10+, iOS 14+ and Windows give each network a random MAC, and Android's
non-persistent mode or iOS 18's "rotating" address change it again later. A binding to a
MAC then locks the citizen out of their own voucher. :meth:`Devices.rebind` moves the
binding to the calling device, at most ``limit`` times per ``window`` per voucher (so one
shared code cannot hop from phone to phone), and records each move (the user name and the
time, never a MAC or a code in clear). :meth:`Devices.note_private` keeps the keyed
pseudonyms of MACs seen with the locally administered bit, so the console can say a
session's "device" is a private address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Index, String, Table, delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from netops.store import codes
from netops.store.base import StoreBase
from netops.store.rows import SUBSCRIBERS, utc
from netops.store.schema import Base, RowId, UTCDateTime

RebindOutcome = Literal["same", "moved", "limit", "none"]


class RebindRow(Base):
    """One move of a voucher's or click-through's binding to a new device."""

    __tablename__ = "device_rebinds"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    via: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_device_rebinds_username_at", "username", "at"),)


class PrivateMacRow(Base):
    """A MAC (as its keyed pseudonym) seen with the locally administered bit set."""

    __tablename__ = "private_macs"

    device: Mapped[str] = mapped_column(String(17), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_private_macs_seen_at", "seen_at"),)


REBINDS = cast(Table, RebindRow.__table__)
PRIVATE_MACS = cast(Table, PrivateMacRow.__table__)


@dataclass(frozen=True)
class Rebind:
    """What :meth:`Devices.rebind` did: ``moved`` (and how many moves the window now holds),
    ``same`` (already this device's), ``limit`` (refused; ``retry_after_s`` until the oldest
    move leaves the window) or ``none`` (no such voucher or allowance, or a shared one)."""

    outcome: RebindOutcome
    moves: int = 0
    retry_after_s: int = 0


class Devices(StoreBase):
    """Bindings that follow a phone to its new private MAC, and which MACs were private."""

    def rebind(
        self,
        username: str,
        mac: str,
        *,
        now: datetime,
        limit: int,
        window: timedelta,
        via: str,
    ) -> Rebind:
        """Bind the voucher or click-through ``username`` to ``mac`` unless it already is,
        at most ``limit`` moves per ``window``; the count and the move are one transaction
        under the subscriber's row lock, so two phones racing cannot both pass the limit."""
        now = utc(now, "now")
        device = self.mac_pseudonym(mac)
        if device is None:
            return Rebind("none")
        with self._tx(write=True) as conn:
            row = conn.execute(
                select(SUBSCRIBERS.c.id, SUBSCRIBERS.c.bound_mac, SUBSCRIBERS.c.shared)
                .where(SUBSCRIBERS.c.username == username)
                .where(SUBSCRIBERS.c.kind.in_(("voucher", "clickthrough")))
                .with_for_update()
            ).one_or_none()
            if row is None or row.shared:
                return Rebind("none")
            if row.bound_mac == device:
                return Rebind("same")
            since = now - window
            moves = conn.execute(
                select(REBINDS.c.at)
                .where(REBINDS.c.username == username, REBINDS.c.at > since)
                .order_by(REBINDS.c.at)
            ).all()
            if len(moves) >= limit:
                oldest = utc(moves[0].at, "at")
                wait = max(1, int((oldest + window - now).total_seconds()) + 1)
                return Rebind("limit", len(moves), wait)
            conn.execute(
                update(SUBSCRIBERS).where(SUBSCRIBERS.c.id == row.id).values(bound_mac=device)
            )
            conn.execute(insert(REBINDS).values(username=username, at=now, via=via[:16]))
        return Rebind("moved", len(moves) + 1)

    def rebinds(self, username: str, since: datetime) -> int:
        """How many times ``username``'s binding moved since ``since``."""
        with self._tx() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(REBINDS)
                .where(REBINDS.c.username == username, REBINDS.c.at >= utc(since, "since"))
            ).scalar_one()
        return int(count)

    def fresh_clickthrough_password(self, username: str) -> str | None:
        """A new password for an existing click-through allowance (the portal hands one out
        on every login, see ``create_clickthrough(rotate=True)``); None when there is none."""
        password = codes.new_clickthrough_password()
        encrypted = self._cipher_().encrypt(username, password)
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.username == username)
                .where(SUBSCRIBERS.c.kind == "clickthrough")
                .values(password_enc=encrypted)
            ).rowcount
        return password if done == 1 else None

    def note_private(self, mac: str, now: datetime) -> bool:
        """Remember that ``mac`` is a private (locally administered) address; True if it is."""
        if not codes.is_locally_administered(mac):
            return False
        device = self.mac_pseudonym(mac)
        if device is None:
            return False
        now = utc(now, "now")
        with self._tx(write=True) as conn:
            stmt = self._insert()(PRIVATE_MACS).values(device=device, seen_at=now)
            conn.execute(
                stmt.on_conflict_do_update(index_elements=["device"], set_={"seen_at": now})
            )
        return True

    def private_devices(self, devices: Iterable[str]) -> set[str]:
        """Which of these MAC pseudonyms were seen as private addresses."""
        wanted = sorted({d for d in devices if d})
        found: set[str] = set()
        with self._tx() as conn:
            for at in range(0, len(wanted), 500):
                chunk = wanted[at : at + 500]
                found.update(
                    conn.execute(
                        select(PRIVATE_MACS.c.device).where(PRIVATE_MACS.c.device.in_(chunk))
                    ).scalars()
                )
        return found

    def purge_device_records(self, before: datetime) -> int:
        """Drop rebind records and private-address marks older than ``before``."""
        before = utc(before, "before")
        with self._tx(write=True) as conn:
            gone = conn.execute(delete(REBINDS).where(REBINDS.c.at < before)).rowcount
            gone += conn.execute(
                delete(PRIVATE_MACS).where(PRIVATE_MACS.c.seen_at < before)
            ).rowcount
        return int(gone)


def device_records(store: StoreBase, names: Iterable[str], device: str | None) -> dict[str, Any]:
    """A data subject's rebind records (by user name) and private-address mark (by device
    pseudonym), for an export."""
    wanted = tuple(names)
    with store._tx() as conn:
        moves = conn.execute(
            select(REBINDS).where(REBINDS.c.username.in_(wanted)).order_by(REBINDS.c.id)
        ).all()
        marks = (
            conn.execute(select(PRIVATE_MACS).where(PRIVATE_MACS.c.device == device)).all()
            if device is not None
            else []
        )
    return {
        "device_rebinds": [dict(r._mapping) for r in moves],
        "private_macs": [dict(r._mapping) for r in marks],
    }


def erase_device_records(
    conn: Connection, names: Iterable[str], device: str | None
) -> dict[str, int]:
    """Delete a data subject's rebind records and private-address mark (in ``conn``'s
    transaction); how many rows of each went."""
    wanted = tuple(names)
    gone = {
        "device_rebinds": int(
            conn.execute(delete(REBINDS).where(REBINDS.c.username.in_(wanted))).rowcount
        )
    }
    if device is not None:
        gone["private_macs"] = int(
            conn.execute(delete(PRIVATE_MACS).where(PRIVATE_MACS.c.device == device)).rowcount
        )
    return gone
