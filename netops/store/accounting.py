"""What subscribers use: the policy inputs of an Access-Request (usage, open sessions,
Simultaneous-Use admission), accounting sessions (Start / Interim-Update / Stop, NAS
reboots, the stale sweep, listings) and the purge that keeps usage totals.

``auth_view``, ``usage``, ``open_sessions``, ``admit`` and ``account`` run the fixed SQL of
:mod:`netops.store.hotpath` on the driver; the rest are SQLAlchemy transactions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.engine import Connection

from netops.store.base import StoreBase
from netops.store.hotpath import (
    ADMIT_IF_ROOM,
    ADMIT_PG,
    ADMITTED,
    ALREADY_HELD,
    DROP_LAPSED,
    OPEN_SESSIONS,
    SESSIONS_SINCE,
    START_SESSION_PG,
    SUB_WIDTH,
    UPSERT_SESSION,
    UPSERT_SESSION_USAGE,
    USAGE_ALL,
    auth_view_params,
    auth_view_sql,
    first_spelling,
    usage_since,
)
from netops.store.rows import (
    ADDRESS,
    ADMISSIONS,
    MAX_INTERVAL,
    MAX_SESSION_TIME,
    NAME,
    SESSIONS,
    SHORT,
    clean,
    counter,
    storable,
    to_session,
    utc,
)
from netops.store.schema import UTCDateTime
from netops.store.types import AccountingRecord, AuthView, Session, Usage

DEFAULT_INTERIM = 300
STALE_FACTOR = 3
STALE_CAUSE = "Stale-Session"


def held_until(now: datetime, hold_s: int) -> datetime:
    """The moment past which an admission must last for the device to count as holding its
    slot (half the hold from ``now``), rounded up to a whole second: every Access-Request of
    the same second then asks with the same bound, which the time conversion keeps, and the
    check is a shade stricter, never looser (a device it misses is admitted by the locked
    write instead)."""
    bound = now + timedelta(seconds=hold_s / 2)
    if bound.microsecond:
        bound += timedelta(microseconds=1_000_000 - bound.microsecond)
    return bound


class Accounting(StoreBase):
    """Usage, admission and accounting sessions; the purge of old records."""

    # --- policy inputs ------------------------------------------------------------------------

    def usage(self, username: str, since: datetime | None = None) -> Usage:
        """Seconds and octets of every session (closed and open) of ``username`` overlapping
        ``since`` (None: all time). Seconds are counted from ``since`` on; octets cannot be
        split, so a session crossing ``since`` counts whole."""
        name = self._canonical_fast(username)
        if since is None:
            total = self._fast.rows(USAGE_ALL, (name, name))[0]
            return Usage(seconds=int(total[0]), octets=int(total[1]), sessions=int(total[2]))
        since = utc(since, "since")
        rows = self._fast.rows(SESSIONS_SINCE, (name, name, self._when(since)))
        time = self._fast.time
        return usage_since(
            (
                (time(stopped), time(updated), seconds, used)
                for stopped, updated, seconds, used in rows
            ),
            since,
        )

    def warm(self) -> None:
        """Open the calling thread's hot-path connection now rather than on its first
        request (a server warms every thread of its pool when it starts)."""
        self._fast.rows("SELECT 1", ())

    def auth_view(
        self,
        username: str,
        since: datetime,
        *,
        mac: str | None = None,
        nas_ip: str | None = None,
        now: datetime | None = None,
        hold_s: int = 60,
    ) -> AuthView | None:
        """What an Access-Request needs, in one statement (one round trip to PostgreSQL):
        the subscriber as :meth:`lookup` finds it, ``usage(name, since)`` and
        ``open_sessions(name)``. None if no subscriber answers to ``username``.

        With ``now``, also whether the calling device (``mac``, else the NAS ``nas_ip``)
        already holds a slot as :meth:`admit` would find it: an open session, or an
        admission with at least half of its ``hold_s`` left (``AuthView.held``). A device
        that does is admitted without :meth:`admit`'s write."""
        if not storable(username):
            return None
        since = utc(since, "since")
        spellings = self._candidates(username)
        device = key = None
        fresh: Any = None
        if now is not None:
            device = self.mac_pseudonym(mac) if mac else None
            key = self._device_key(device, nas_ip)
            fresh = self._when(held_until(utc(now, "now"), hold_s))
        found = self._fast.rows(
            auth_view_sql(len(spellings)),
            auth_view_params(key, fresh, self._when(since), spellings),
        )
        rows = first_spelling(spellings, found)
        if not rows:
            return None
        sub = self._subscriber_of(rows[0][:SUB_WIDTH])
        sessions = sorted(
            (self._fast.session(r[SUB_WIDTH:-1]) for r in rows if r[SUB_WIDTH] is not None),
            key=lambda s: (s.started_at, s.id),
        )
        today = usage_since(
            (
                (s.stopped_at, s.updated_at, s.session_time, s.input_octets + s.output_octets)
                for s in sessions
            ),
            since,
        )
        open_sessions = tuple(to_session(s) for s in sessions if s.stopped_at is None)
        held = now is not None and (
            bool(rows[0][-1]) or any(device and s.mac == device for s in open_sessions)
        )
        return AuthView(subscriber=sub, today=today, open_sessions=open_sessions, held=held)

    @staticmethod
    def _device_key(device: str | None, nas_ip: str | None) -> str:
        """The admission key of a device: its MAC pseudonym; without a Calling-Station-Id
        the NAS stands in for the device."""
        return device or f"nas:{clean(nas_ip, ADDRESS) or '?'}"

    def open_sessions(self, username: str) -> list[Session]:
        """Sessions of ``username`` with no Stop yet (for Simultaneous-Use)."""
        name = self._canonical_fast(username)
        rows = [self._fast.session(r) for r in self._fast.rows(OPEN_SESSIONS, (name,))]
        return [to_session(r) for r in rows]

    def admit(
        self,
        username: str,
        limit: int,
        *,
        mac: str | None,
        now: datetime,
        nas_ip: str | None = None,
        hold_s: int = 60,
        checked: bool = False,
    ) -> bool:
        """Atomic Simultaneous-Use check for an Access-Accept about to be sent.

        Counts the devices with an open session plus those accepted in the last ``hold_s``
        seconds whose Accounting-Start has not arrived, under a lock on the subscriber's row:
        two servers cannot both hand out the last slot. The same device logging in again is
        always admitted. True: send Accept (the slot is held until its Start or ``hold_s``)."""
        now = utc(now, "now")
        device = self.mac_pseudonym(mac) if mac else None
        nas_ip = clean(nas_ip, ADDRESS)
        key = self._device_key(device, nas_ip)
        name = self._canonical_fast(username)
        at, until = self._when(now), self._when(now + timedelta(seconds=hold_s))
        # A device that already holds a slot (an open session, or an admission with at least
        # half its hold left) is admitted by a plain read: re-authentications take no lock.
        # ``checked``: the caller has just read that it holds none (AuthView.held).
        fresh = self._when(held_until(now, hold_s))
        if not checked and self._fast.rows(ALREADY_HELD, (name, name, key, fresh, name, device)):
            return True
        # Lock the subscriber, drop lapsed holds, decide and hold: on PostgreSQL one function
        # call (migration 0014); on SQLite the same statements in BEGIN IMMEDIATE.
        if self._fast.postgres:
            (row,) = self._fast.rows(ADMIT_PG, (name, key, device, nas_ip, at, until, limit))
            return bool(row[0])
        steps = [
            (DROP_LAPSED, (name, at)),
            (
                ADMIT_IF_ROOM,
                (key, nas_ip, at, until, name, name, key, name, device, name, name, limit),
            ),
        ]
        return bool(self._fast.atomic(steps)[-1])

    # --- accounting ---------------------------------------------------------------------------

    def account(self, rec: AccountingRecord) -> Session:
        """Store one Start / Interim-Update / Stop and return the session as it now stands.

        Keyed by (NAS, Acct-Session-Id, user name): a retransmission changes nothing, counters
        only grow (an out-of-order interim never lowers them), the first Stop closes it, and an
        Interim or Stop whose Start was lost creates the session. Commits before returning."""
        values, admission = self._session_values(rec)
        if rec.status != "start":
            # One statement, atomic on its own: no transaction around it (on PostgreSQL a
            # BEGIN and a COMMIT would be two more round trips per Interim-Update and Stop).
            (row,) = self._fast.rows(UPSERT_SESSION, values)
            return to_session(self._fast.session(row))
        # The Start and the end of its admission's hold together: one statement on
        # PostgreSQL, one transaction on SQLite.
        if self._fast.postgres:
            (row,) = self._fast.rows(START_SESSION_PG, (*admission, *values))
        else:
            ((row,), _) = self._fast.atomic([(UPSERT_SESSION, values), (ADMITTED, admission)])
        return to_session(self._fast.session(row))

    def account_with_usage(
        self, rec: AccountingRecord, since: datetime
    ) -> tuple[Session, str | None, int]:
        """:meth:`account` for an Interim-Update or Stop, in the same one statement also
        returning what its data-limit check needs: the subscriber's plan (None: no such
        subscriber) and the octets of the user's sessions open or ended since ``since``
        (this one included), as ``usage(name, since).octets`` counts them."""
        if rec.status == "start":
            raise ValueError("account_with_usage() takes interim/stop, not 'start'")
        values, _ = self._session_values(rec)
        since = utc(since, "since")
        name = values[0]
        (row,) = self._fast.rows(
            UPSERT_SESSION_USAGE, (*values, name, name, name, self._when(since))
        )
        width = len(row) - 2
        session = to_session(self._fast.session(row[:width]))
        octets = int(row[-1])
        if session.stopped_at is None or session.stopped_at >= since:
            octets += session.input_octets + session.output_octets
        return session, row[width], octets

    def _session_values(self, rec: AccountingRecord) -> tuple[tuple[Any, ...], tuple[str, str]]:
        """UPSERT_SESSION's parameters for ``rec``, and the (user, device) key of the
        admission its Start ends."""
        if rec.status not in ("start", "interim", "stop"):
            raise ValueError(f"account() takes start/interim/stop, not {rec.status!r}")
        event = utc(rec.event_time, "event_time")
        session_time = min(counter(rec.session_time), MAX_SESSION_TIME)
        interval = (
            min(rec.interim_interval, MAX_INTERVAL) if rec.interim_interval > 0 else DEFAULT_INTERIM
        )
        mac = self.mac_pseudonym(rec.mac) if rec.mac else None
        stopping = rec.status == "stop"
        name = self._canonical_fast(rec.username)
        nas_ip = clean(rec.nas_ip, ADDRESS) or ""
        values = (
            name,
            nas_ip,
            clean(rec.nas_identifier, NAME),
            clean(rec.hotspot, SHORT),
            clean(rec.acct_session_id, NAME) or "",
            mac,
            clean(rec.ip, ADDRESS),
            self._when(event - timedelta(seconds=session_time)),
            self._when(event),
            self._when(event) if stopping else None,
            self._when(event + timedelta(seconds=STALE_FACTOR * interval)),
            session_time,
            counter(rec.input_octets),
            counter(rec.output_octets),
            counter(rec.input_packets),
            counter(rec.output_packets),
            clean(rec.terminate_cause, SHORT) if stopping else None,
            interval,
        )
        return values, (name, mac or f"nas:{nas_ip}")

    def close_nas_sessions(self, nas_ip: str, at: datetime, cause: str) -> int:
        """Close every open session of a NAS (Accounting-On / -Off); returns how many.

        Each session ends at ``at`` and its time is counted up to then (``at - start``, as
        FreeRADIUS's stock SQL does), not left at its last Interim-Update's value: a power
        cut must not give time back. A session silent for longer than the stale limit
        (3 × its interim interval) ends at that limit instead: a NAS that was off for a day
        and announces itself now does not charge a day."""
        at = utc(at, "at")
        with self._tx(write=True) as conn:
            rows = conn.execute(
                select(SESSIONS)
                .where(SESSIONS.c.nas_ip == nas_ip, SESSIONS.c.stopped_at.is_(None))
                .with_for_update()
            ).all()
            self._close(conn, [(row, min(at, row.stale_at)) for row in rows], cause)
            conn.execute(delete(ADMISSIONS).where(ADMISSIONS.c.nas_ip == nas_ip))
        return len(rows)

    def close_stale(self, now: datetime) -> list[Session]:
        """Close sessions with no update for 3 × their interim interval. They end when they
        went stale (last update + 3 intervals), and their time is counted up to then: a
        gateway that lost power without a Stop does not give back the time since its last
        Interim-Update, and the sweep's own timing (or a server that was down) changes
        nothing. Returns the sessions closed."""
        now = utc(now, "now")
        with self._tx(write=True) as conn:
            rows = conn.execute(
                select(SESSIONS)
                .where(SESSIONS.c.stopped_at.is_(None), SESSIONS.c.stale_at < now)
                .with_for_update()
            ).all()
            closed = self._close(conn, [(row, row.stale_at) for row in rows], STALE_CAUSE)
        return sorted(closed, key=lambda s: s.id)

    @staticmethod
    def _close(conn: Connection, ends: list[tuple[Any, datetime]], cause: str) -> list[Session]:
        """End open sessions (rows locked by the caller) at the given moments, counting
        their time up to then (never less than the NAS last reported, never before the
        last update)."""
        if not ends:
            return []
        changes = []
        closed = []
        for row, end in ends:
            end = max(end, row.updated_at)
            ran = int((end - row.started_at).total_seconds())
            seconds = min(max(int(row.session_time), ran), MAX_SESSION_TIME)
            changes.append({"b_id": row.id, "b_end": end, "b_time": seconds})
            closed.append(
                replace(
                    to_session(row), stopped_at=end, session_time=seconds, terminate_cause=cause
                )
            )
        conn.execute(
            update(SESSIONS)
            .where(SESSIONS.c.id == bindparam("b_id"), SESSIONS.c.stopped_at.is_(None))
            .values(
                stopped_at=bindparam("b_end", type_=UTCDateTime()),
                session_time=bindparam("b_time"),
                terminate_cause=cause,
            ),
            changes,
        )
        return closed

    def sessions(
        self,
        *,
        active: bool | None = None,
        username: str | None = None,
        hotspot: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        ip: str | None = None,
        mac: str | None = None,
    ) -> list[Session]:
        """Sessions, newest first: open or closed (``active``), of one user, hotspot, client
        IP or MAC, overlapping ``since``."""
        query = select(SESSIONS)
        if ip is not None:
            query = query.where(SESSIONS.c.ip == ip)
        if mac is not None:
            device = self.mac_pseudonym(mac)
            if device is None:
                return []  # not a MAC: no session can have it
            query = query.where(SESSIONS.c.mac == device)
        with self._tx() as conn:
            if username is not None:
                query = query.where(SESSIONS.c.username == self._canonical(conn, username))
            if active is True:
                query = query.where(SESSIONS.c.stopped_at.is_(None))
            elif active is False:
                query = query.where(SESSIONS.c.stopped_at.is_not(None))
            if hotspot is not None:
                query = query.where(SESSIONS.c.hotspot == hotspot)
            if since is not None:
                since = utc(since, "since")
                query = query.where(
                    or_(SESSIONS.c.stopped_at.is_(None), SESSIONS.c.stopped_at >= since)
                )
            query = query.order_by(SESSIONS.c.started_at.desc(), SESSIONS.c.id.desc())
            if limit is not None:
                query = query.limit(limit)
            rows = conn.execute(query).all()
        return [to_session(r) for r in rows]

    def session(self, acct_session_id: str, nas_ip: str | None = None) -> Session | None:
        """The session with this Acct-Session-Id (from this NAS); the newest if several."""
        query = select(SESSIONS).where(SESSIONS.c.acct_session_id == acct_session_id)
        if nas_ip is not None:
            query = query.where(SESSIONS.c.nas_ip == nas_ip)
        with self._tx() as conn:
            row = conn.execute(
                query.order_by(SESSIONS.c.started_at.desc(), SESSIONS.c.id.desc()).limit(1)
            ).one_or_none()
        return None if row is None else to_session(row)
