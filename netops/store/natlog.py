"""Source-NAT mappings the hotspot gateways log by syslog: which private ``ip:port`` went out
as which public ``ip:port``, when, through which gateway (NAS). A lawful trace
(``netops privacy trace``) narrows the sessions on a public address to the one device behind a
public port; nothing else reads them. They have their own retention
(``services.natlog.retention_days``): :meth:`NatLog.purge_nat` drops older rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Index, Integer, SmallInteger, String, Table, and_, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from netops.store.base import StoreBase
from netops.store.rows import SESSIONS, to_session, utc
from netops.store.schema import Base, RowId, UTCDateTime
from netops.store.types import Session

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132, "gre": 47}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}


class NatMappingRow(Base):
    """One new source-NAT connection: kept small (times, addresses, ports, protocol number)."""

    __tablename__ = "nat_mappings"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    nas: Mapped[str] = mapped_column(String(45))
    proto: Mapped[int] = mapped_column(SmallInteger)
    private_ip: Mapped[str] = mapped_column(String(45))
    private_port: Mapped[int] = mapped_column(Integer)
    public_ip: Mapped[str] = mapped_column(String(45))
    public_port: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_nat_mappings_public_ip_at", "public_ip", "at"),)


NAT = cast(Table, NatMappingRow.__table__)


@dataclass(frozen=True)
class NatMapping:
    """One logged translation: ``private`` went out as ``public`` at ``at`` through ``nas``."""

    at: datetime
    nas: str
    proto: str
    private_ip: str
    private_port: int
    public_ip: str
    public_port: int


def _proto_number(name: str) -> int:
    name = name.lower()
    if name.isdigit():
        return int(name)
    return PROTOCOLS.get(name, 0)


class NatLog(StoreBase):
    """Write and look up source-NAT mappings."""

    def add_nat(self, mappings: Iterable[NatMapping]) -> int:
        """Store ``mappings`` in one transaction; returns how many."""
        rows = [
            {
                "at": utc(m.at, "at"),
                "nas": m.nas,
                "proto": _proto_number(m.proto),
                "private_ip": m.private_ip,
                "private_port": m.private_port,
                "public_ip": m.public_ip,
                "public_port": m.public_port,
            }
            for m in mappings
        ]
        if not rows:
            return 0
        with self._tx(write=True) as conn:
            conn.execute(NAT.insert(), rows)
        return len(rows)

    def nat_mappings(
        self,
        public_ip: str,
        start: datetime,
        end: datetime,
        *,
        public_port: int | None = None,
    ) -> list[NatMapping]:
        """Mappings to ``public_ip`` (and ``public_port``) logged between ``start`` and
        ``end``, oldest first."""
        query = select(NAT).where(
            NAT.c.public_ip == public_ip,
            NAT.c.at >= utc(start, "start"),
            NAT.c.at <= utc(end, "end"),
        )
        if public_port is not None:
            query = query.where(NAT.c.public_port == public_port)
        with self._tx() as conn:
            rows = conn.execute(query.order_by(NAT.c.at, NAT.c.id)).all()
        return [
            NatMapping(
                at=r.at,
                nas=r.nas,
                proto=PROTOCOL_NAMES.get(int(r.proto), str(r.proto)),
                private_ip=r.private_ip,
                private_port=int(r.private_port),
                public_ip=r.public_ip,
                public_port=int(r.public_port),
            )
            for r in rows
        ]

    def sessions_on_nas(self, nas_ip: str, start: datetime, end: datetime) -> list[Session]:
        """Accounting sessions of NAS ``nas_ip`` open at some moment between ``start`` and
        ``end``, oldest first. A session whose Stop never came counts as open until it went
        stale (its last interim update plus the grace the server allows)."""
        start, end = utc(start, "start"), utc(end, "end")
        query = (
            select(SESSIONS)
            .where(
                SESSIONS.c.nas_ip == nas_ip,
                SESSIONS.c.started_at <= end,
                or_(
                    SESSIONS.c.stopped_at >= start,
                    and_(SESSIONS.c.stopped_at.is_(None), SESSIONS.c.stale_at >= start),
                ),
            )
            .order_by(SESSIONS.c.started_at, SESSIONS.c.id)
        )
        with self._tx() as conn:
            rows = conn.execute(query).all()
        return [to_session(r) for r in rows]

    def purge_nat(self, before: datetime) -> int:
        """Delete mappings logged before ``before`` (their retention); returns how many."""
        with self._tx(write=True) as conn:
            result = conn.execute(delete(NAT).where(NAT.c.at < utc(before, "before")))
        return int(result.rowcount or 0)
