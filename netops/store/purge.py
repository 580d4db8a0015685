"""The purge of old records, in batches that leave room for accounting.

A year of sessions is millions of rows. Deleting them in one write transaction holds
SQLite's write lock for minutes (506,290 sessions took 107 s), and every Accounting-Request
and admission waits behind it: NASes retransmit, and past the busy timeout requests are
lost. :meth:`Purge.purge` deletes closed sessions a batch at a time instead, each batch
folding exactly its own sessions into ``usage_totals`` in the same transaction, so
``usage(user)`` is the same at every moment and a purge stopped between batches leaves a
consistent store that the next purge simply finishes.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Connection

from netops.store.base import StoreBase
from netops.store.rows import ADMISSIONS, SESSIONS, SUBSCRIBERS, TOTALS, utc
from netops.store.types import Purged

#: SQLite locks the whole database for a write: small batches, so accounting waits at most
#: about one batch. PostgreSQL locks only the rows a batch deletes (closed sessions nobody
#: writes any more): larger batches cost accounting nothing and save a round of statements
#: per batch (at 2,000 a batch, 1 M sessions took 68 s to purge there against 3 s at once).
BATCH_BY_ENGINE = {"sqlite": 2_000, "postgresql": 50_000}


class Purge(StoreBase):
    """Housekeeping: the purge of old sessions, vouchers, click-throughs and admissions."""

    #: Sessions deleted per write transaction; None: by engine (:data:`BATCH_BY_ENGINE`).
    purge_batch: int | None = None
    #: Seconds the purge waits between batches on SQLite, so that writers waiting for the
    #: lock get it: SQLite's busy handler polls at most every 100 ms, and takes no turns.
    #: (PostgreSQL locks rows, not the database: no pause there.)
    purge_pause: float = 0.15

    def purge(
        self,
        before: datetime,
        *,
        vouchers_before: datetime | None = None,
        clickthroughs_before: datetime | None = None,
    ) -> Purged:
        """Delete what is no longer needed from before ``before``: closed sessions that ended
        earlier, click-through allowances and vouchers that expired earlier, and lapsed
        admissions. Open sessions, users and MAC entries are never purged.

        The deleted sessions of subscribers that remain are added to their usage totals
        (``usage_totals``) in the transaction that deletes them, so ``usage(user)`` — and
        with it a plan's total data quota — is the same before, during and after. Sessions
        go :attr:`purge_batch` at a time, one write transaction each, so accounting writes
        are served between batches rather than after the whole purge; a purge interrupted
        between batches leaves a consistent store and can simply be run again. Daily limits
        need the sessions of the current day themselves: the caller must not purge them
        (``netops radius purge`` refuses ages shorter than a day when a plan has a daily
        limit).

        ``vouchers_before`` and ``clickthroughs_before`` give those their own retention
        (``netops privacy purge`` applies the inventory's period per data class); both
        default to ``before``."""
        before = utc(before, "before")
        cutoffs = {
            "voucher": utc(vouchers_before, "vouchers_before") if vouchers_before else before,
            "clickthrough": (
                utc(clickthroughs_before, "clickthroughs_before")
                if clickthroughs_before
                else before
            ),
        }
        gone: dict[str, int] = {}
        with self._tx(write=True) as conn:
            for kind, cutoff in cutoffs.items():
                gone[kind] = conn.execute(
                    delete(SUBSCRIBERS).where(
                        SUBSCRIBERS.c.kind == kind,
                        or_(
                            SUBSCRIBERS.c.valid_until < cutoff,
                            SUBSCRIBERS.c.revoked_at < cutoff,
                        ),
                    )
                ).rowcount
        sessions = self._purge_sessions(before)
        with self._tx(write=True) as conn:
            conn.execute(
                delete(TOTALS).where(TOTALS.c.username.not_in(select(SUBSCRIBERS.c.username)))
            )
            conn.execute(delete(ADMISSIONS).where(ADMISSIONS.c.expires_at < before))
        return Purged(
            sessions=sessions,
            subscribers=int(gone["voucher"] + gone["clickthrough"]),
            vouchers=int(gone["voucher"]),
            clickthroughs=int(gone["clickthrough"]),
        )

    def _purge_sessions(self, before: datetime) -> int:
        """Delete the sessions that ended before ``before``, a batch per transaction, in the
        order they ended (the ``stopped_at`` index: each batch reads only what it deletes);
        returns how many."""
        deleted = 0
        start: datetime | None = None
        while True:
            with self._tx(write=True) as conn:
                count, start = self._purge_batch(conn, before, start)
            if not count:
                return deleted
            deleted += count
            self._between_batches()

    def _between_batches(self) -> None:
        """Leave the write lock free for a moment after a batch (SQLite only)."""
        if self.dialect == "sqlite" and self.purge_pause > 0:
            time.sleep(self.purge_pause)

    def _batch_size(self) -> int:
        if self.purge_batch is not None:
            return max(1, self.purge_batch)
        return BATCH_BY_ENGINE.get(self.dialect, 2_000)

    def _purge_batch(
        self, conn: Connection, before: datetime, start: datetime | None
    ) -> tuple[int, datetime | None]:
        """One batch: lock up to :attr:`purge_batch` sessions that ended in ``[start,
        before)``, fold them into their subscribers' totals, delete them. Returns how many
        and where the next batch starts (the latest end in this one)."""
        query = select(
            SESSIONS.c.id,
            SESSIONS.c.username,
            SESSIONS.c.session_time,
            SESSIONS.c.input_octets + SESSIONS.c.output_octets,
            SESSIONS.c.stopped_at,
        ).where(SESSIONS.c.stopped_at.is_not(None), SESSIONS.c.stopped_at < before)
        if start is not None:
            query = query.where(SESSIONS.c.stopped_at >= start)
        rows = conn.execute(
            query.order_by(SESSIONS.c.stopped_at).limit(self._batch_size()).with_for_update()
        ).all()
        if not rows:
            return 0, start
        self._fold(conn, rows)
        ids = [row[0] for row in rows]
        conn.execute(delete(SESSIONS).where(SESSIONS.c.id.in_(ids)))
        return len(ids), max(row[4] for row in rows)

    def _fold(self, conn: Connection, rows: Sequence[Any]) -> None:
        """Add the sessions in ``rows`` (id, username, seconds, octets, end) to the usage
        totals of those of their subscribers that still exist."""
        names = {row[1] for row in rows}
        kept = set(
            conn.execute(
                select(SUBSCRIBERS.c.username).where(SUBSCRIBERS.c.username.in_(names))
            ).scalars()
        )
        sums: dict[str, list[int]] = {}
        for _id, name, seconds, used, _end in rows:
            if name in kept:
                total = sums.setdefault(name, [0, 0, 0])
                total[0] += int(seconds)
                total[1] += int(used)
                total[2] += 1
        if not sums:
            return
        now = datetime.now(UTC)
        insert = self._insert()(TOTALS)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["username"],
                set_={
                    "seconds": TOTALS.c.seconds + insert.excluded.seconds,
                    "octets": TOTALS.c.octets + insert.excluded.octets,
                    "sessions": TOTALS.c.sessions + insert.excluded.sessions,
                    "updated_at": insert.excluded.updated_at,
                },
            ),
            [
                {
                    "username": name,
                    "seconds": seconds,
                    "octets": used,
                    "sessions": count,
                    "updated_at": now,
                }
                for name, (seconds, used, count) in sorted(sums.items())
            ],
        )
