"""The subscriber and accounting store the RADIUS server and the captive portal share.

One :class:`Store` per process; it is thread-safe (a pooled engine, one transaction per call)
and every call commits before it returns. Writes that decide something (Simultaneous-Use,
first use of a voucher, accounting counters) are single atomic statements or run under a row
lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two RADIUS
servers on one PostgreSQL behave as one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from netops.errors import StoreError
from netops.store import codes
from netops.store.credentials import (
    KEY_ENV,
    Cipher,
    hash_password,
    load_key,
    same_secret,
    verify_hash,
)
from netops.store.engine import WRITE, describe, make_engine, parse_url, translate
from netops.store.fastread import SESSION_COLUMNS, SUBSCRIBER_COLUMNS, Execute, FastReader
from netops.store.migrate import upgrade
from netops.store.schema import (
    AdmissionRow,
    SessionRow,
    SubscriberRow,
    UsageTotalRow,
    UTCDateTime,
)
from netops.store.types import (
    AccountingRecord,
    AuthView,
    NewUser,
    Purged,
    Session,
    Subscriber,
    SubscriberKind,
    Usage,
)

SUBSCRIBERS = cast(Table, SubscriberRow.__table__)
SESSIONS = cast(Table, SessionRow.__table__)
ADMISSIONS = cast(Table, AdmissionRow.__table__)
TOTALS = cast(Table, UsageTotalRow.__table__)

# 2**48 octets (281 TB) is far beyond any Wi-Fi session, and sums over thousands of sessions
# still fit a signed 64-bit column: absurd (fuzzed) counters are clamped, never overflow.
MAX_COUNTER = 2**48 - 1
MAX_SESSION_TIME = 2**32 - 1  # Acct-Session-Time is a 32-bit RADIUS integer
MAX_INTERVAL = 2**31 - 1
DEFAULT_INTERIM = 300
STALE_FACTOR = 3
STALE_CAUSE = "Stale-Session"
MAX_VOUCHERS = 10_000
REVEALED_MAX = 65_536  # clear passwords kept decrypted per process (see Store._reveal)
MAX_PASSWORD = 128  # RFC 2865 User-Password limit
KEY_FILE_NAME = "netops-store.key"


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not {value!r}")
    return value.astimezone(UTC)


def _counter(value: int) -> int:
    return max(0, min(int(value), MAX_COUNTER))


class Store:
    """Subscribers (users, vouchers, MACs, click-throughs) and accounting sessions."""

    def __init__(self, engine: Engine, where: str, key_file: Path) -> None:
        self._engine = engine
        self._where = where
        self._key_file = key_file
        self._cipher: Cipher | None = None
        self._cipher_lock = threading.Lock()
        self._fast = FastReader(engine, where)
        self._revealed: dict[tuple[str, str], str] = {}
        self._read: dict[tuple[Any, ...], Subscriber] = {}
        self._last_when: tuple[datetime | None, str] = (None, "")
        self._pid = os.getpid()

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, key_file: Path | None = None) -> Store:
        """Connect to ``sqlite:///PATH`` or ``postgresql+psycopg://…`` and migrate to the newest
        schema. ``key_file`` is where the lab key lives when ``NETOPS_STORE_KEY`` is unset
        (default: ``netops-store.key`` next to the SQLite file, else ``var/``)."""
        parsed = parse_url(url)
        where = describe(parsed)
        engine = make_engine(parsed)
        try:
            with translate(where):
                upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        if key_file is None:
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                key_file = Path(parsed.database).expanduser().parent / KEY_FILE_NAME
            else:
                key_file = Path("var") / KEY_FILE_NAME
        return cls(engine, where, key_file)

    def close(self) -> None:
        """Release every connection (the store may be used again: it reconnects)."""
        self._fast.close()
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def where(self) -> str:
        """The database in words, without any password."""
        return self._where

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    @contextmanager
    def _tx(self, write: bool = False) -> Iterator[Connection]:
        if self._pid != os.getpid():
            # Forked: leave the parent's pooled connections to the parent.
            self._engine.dispose(close=False)
            self._pid = os.getpid()
        with translate(self._where), self._engine.connect() as conn:
            if write:
                conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn

    def _insert(self) -> Any:
        return postgresql.insert if self.dialect == "postgresql" else sqlite.insert

    def _cipher_(self) -> Cipher:
        with self._cipher_lock:
            if self._cipher is None:
                key, origin = load_key(self._key_file)
                self._cipher = Cipher(key, origin)
            return self._cipher

    # --- subscribers --------------------------------------------------------------------------

    def add_user(
        self, username: str, password: str, plan: str, *, chap: bool = True, note: str | None = None
    ) -> None:
        """Register a user. CHAP-capable (default): the password is stored encrypted;
        ``chap=False``: only a scrypt hash is kept (PAP only)."""
        _check_username(username)
        _check_password(password)
        if codes.normalise_mac(username) is not None:
            raise StoreError(
                f"user name {username!r} is a MAC address: add it to the MAC allow-list instead"
            )
        enc = self._cipher_().encrypt(username, password) if chap else None
        digest = None if chap else hash_password(password)
        self._insert_subscriber(
            username,
            kind="user",
            plan=plan,
            password_enc=enc,
            password_hash=digest,
            note=note,
            what=f"user {username!r}",
        )

    def add_users(self, users: list[NewUser]) -> int:
        """Register many users in one transaction: all of them, or none if any name is taken
        (the error names the first one) or invalid. Returns how many were added."""
        now = datetime.now(UTC)
        rows = []
        seen: set[str] = set()
        for user in users:
            _check_username(user.username)
            _check_password(user.password)
            _check_plan(user.plan)
            if codes.normalise_mac(user.username) is not None:
                raise StoreError(
                    f"user name {user.username!r} is a MAC address: add it to the MAC "
                    "allow-list instead"
                )
            if user.username in seen:
                raise StoreError(f"user {user.username!r} is listed twice")
            seen.add(user.username)
            rows.append(
                _subscriber_values(
                    user.username,
                    kind="user",
                    plan=user.plan,
                    now=now,
                    password_enc=(
                        self._cipher_().encrypt(user.username, user.password) if user.chap else None
                    ),
                    password_hash=None if user.chap else hash_password(user.password),
                    note=user.note,
                )
            )
        if not rows:
            return 0
        with self._tx(write=True) as conn:
            taken = sorted(
                conn.scalars(select(SUBSCRIBERS.c.username).where(SUBSCRIBERS.c.username.in_(seen)))
            )
            if taken:
                more = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
                raise StoreError(f"user {taken[0]!r} already exists{more}; nothing was added")
            try:
                conn.execute(SUBSCRIBERS.insert(), rows)
            except sa_exc.IntegrityError:
                raise StoreError(
                    "another process added some of these users; nothing was added"
                ) from None
        return len(rows)

    def set_password(self, username: str, password: str, *, chap: bool = True) -> bool:
        """Change a user's password (and whether it is CHAP-capable); False if unknown."""
        _check_password(password)
        enc = self._cipher_().encrypt(username, password) if chap else None
        digest = None if chap else hash_password(password)
        with self._tx(write=True) as conn:
            result = conn.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.username == username, SUBSCRIBERS.c.kind == "user")
                .values(password_enc=enc, password_hash=digest)
            )
            return bool(result.rowcount)

    def set_enabled(self, username: str, enabled: bool) -> bool:
        """Disable (or re-enable) any subscriber without deleting it; False if unknown."""
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            name = self._canonical(conn, username)
            result = conn.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.username == name)
                .values(enabled=enabled, revoked_at=None if enabled else now)
            )
            return bool(result.rowcount)

    def delete_user(self, username: str) -> bool:
        """Remove a registered user (their sessions stay, for the records); False if unknown."""
        return self._delete(username, "user")

    def list_users(self) -> list[Subscriber]:
        """Registered users by name. Lists never carry clear passwords (use :meth:`lookup`)."""
        return self._list("user")

    def create_vouchers(
        self,
        plan: str,
        count: int,
        *,
        shared: bool = False,
        validity_s: int | None = None,
        batch: str | None = None,
    ) -> list[str]:
        """Create ``count`` vouchers for ``plan``; returns their codes grouped for reading.

        A code is both user name and password. ``validity_s`` counts from first use;
        ``shared`` lets several devices use one code (else it binds to the first MAC)."""
        if not 1 <= count <= MAX_VOUCHERS:
            raise StoreError(f"voucher count must be between 1 and {MAX_VOUCHERS}, not {count}")
        if validity_s is not None and validity_s <= 0:
            raise StoreError(f"voucher validity must be positive, not {validity_s} s")
        _check_plan(plan)
        now = datetime.now(UTC)
        made: list[str] = []
        insert = self._insert()
        with self._tx(write=True) as conn:
            for _attempt in range(5):
                wanted = {codes.normalise_code(codes.new_voucher_code()) for _ in range(count)}
                rows = [
                    _subscriber_values(
                        code,
                        kind="voucher",
                        plan=plan,
                        now=now,
                        shared=shared,
                        validity_s=validity_s,
                        batch=batch,
                    )
                    for code in wanted
                ]
                stmt = insert(SUBSCRIBERS).on_conflict_do_nothing(index_elements=["username"])
                conn.execute(stmt, rows)
                stored = set(
                    conn.scalars(
                        select(SUBSCRIBERS.c.username).where(
                            SUBSCRIBERS.c.username.in_(wanted),
                            SUBSCRIBERS.c.kind == "voucher",
                            SUBSCRIBERS.c.created_at == now,
                        )
                    )
                )
                made.extend(sorted(stored))
                count -= len(stored)
                if count == 0:
                    break
            else:  # pragma: no cover - needs five collisions in a 49-bit space
                raise StoreError("could not find unused voucher codes; try again")
        return [codes.group_code(code) for code in made]

    def revoke_voucher(self, code: str) -> bool:
        """Disable a voucher for good; True if it exists (revoking twice is harmless)."""
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            name = codes.normalise_code(code)
            result = conn.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.username == name, SUBSCRIBERS.c.kind == "voucher")
                .values(
                    enabled=False,
                    revoked_at=func.coalesce(SUBSCRIBERS.c.revoked_at, now),
                )
            )
            return bool(result.rowcount)

    def revoke_batch(self, batch: str) -> int:
        """Revoke every voucher of a batch; returns how many the batch holds."""
        now = datetime.now(UTC)
        with self._tx(write=True) as conn:
            result = conn.execute(
                update(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.batch == batch, SUBSCRIBERS.c.kind == "voucher")
                .values(enabled=False, revoked_at=func.coalesce(SUBSCRIBERS.c.revoked_at, now))
            )
            return int(result.rowcount)

    def list_vouchers(self, *, batch: str | None = None) -> list[Subscriber]:
        """Vouchers (of one batch), newest first."""
        return self._list("voucher", batch=batch)

    def add_mac(self, mac: str, plan: str, note: str | None = None) -> None:
        """Allow a device (kiosk, CCTV) to log in by its MAC address alone."""
        canonical = codes.normalise_mac(mac)
        if canonical is None:
            raise StoreError(f"{mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
        self._insert_subscriber(
            canonical, kind="mac", plan=plan, note=note, what=f"MAC address {canonical}"
        )

    def delete_mac(self, mac: str) -> bool:
        """Remove a MAC from the allow-list; False if it was not there."""
        canonical = codes.normalise_mac(mac)
        return canonical is not None and self._delete(canonical, "mac")

    def list_macs(self) -> list[Subscriber]:
        """The MAC allow-list."""
        return self._list("mac")

    def create_clickthrough(
        self,
        mac: str,
        hotspot: str,
        plan: str,
        today: date,
        *,
        valid_until: datetime | None = None,
        rotate: bool = False,
    ) -> tuple[str, str]:
        """The device's click-through allowance for ``today``: (username, password).

        Idempotent per (MAC, day): asking again returns the same user name, and the same
        password unless ``rotate`` is set, which gives an existing allowance a fresh password
        (the portal rotates on every hand-off, so naming a MAC never reveals a password
        issued before). It expires at ``valid_until`` (default: the end of ``today`` in
        UTC; the portal passes the city's local midnight)."""
        canonical = codes.normalise_mac(mac)
        if canonical is None:
            raise StoreError(f"{mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
        _check_plan(plan)
        username = codes.clickthrough_username(canonical, today)
        until = (
            _utc(valid_until, "valid_until")
            if valid_until is not None
            else datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
        )
        cipher = self._cipher_()
        password = codes.new_clickthrough_password()
        values = _subscriber_values(
            username,
            kind="clickthrough",
            plan=plan,
            now=datetime.now(UTC),
            password_enc=cipher.encrypt(username, password),
            bound_mac=canonical,
            hotspot=hotspot,
            valid_until=until,
        )
        with self._tx(write=True) as conn:
            stmt = self._insert()(SUBSCRIBERS).on_conflict_do_nothing(index_elements=["username"])
            inserted = conn.execute(stmt, [values]).rowcount == 1
            if rotate and not inserted:
                conn.execute(
                    update(SUBSCRIBERS)
                    .where(SUBSCRIBERS.c.username == username)
                    .where(SUBSCRIBERS.c.kind == "clickthrough")
                    .values(password_enc=values["password_enc"])
                )
            row = conn.execute(
                select(SUBSCRIBERS.c.kind, SUBSCRIBERS.c.password_enc).where(
                    SUBSCRIBERS.c.username == username
                )
            ).one()
        if row.kind != "clickthrough" or row.password_enc is None:
            raise StoreError(f"user name {username!r} is taken by a {row.kind}")
        return username, cipher.decrypt(username, row.password_enc)

    def lookup(self, username: str, *, reveal: bool = True) -> Subscriber | None:
        """Any subscriber by the name a NAS sends: exact first, then as a MAC address or a
        voucher code typed in any case with or without dashes. None if unknown.
        ``reveal=False`` leaves an encrypted password encrypted (listings, helpdesk)."""
        if not _storable(username):
            return None  # no subscriber can have this name (NUL, not UTF-8, too long)
        candidates = _candidates(username)
        found = _first_spelling(
            candidates, self._fast.rows(_select_subscribers(len(candidates)), candidates)
        )
        if not found:
            return None
        raw = found[0]
        if reveal:
            return self._subscriber_of(raw)
        return self._subscriber(self._fast.subscriber(raw), reveal=False)

    def check_password(self, sub: Subscriber, password: str) -> bool:
        """PAP check in constant time (scrypt for PAP-only accounts).

        A MAC subscriber's credential is its address, not a password: this returns True and
        the server must require Calling-Station-Id to equal the user name."""
        if sub.kind == "mac":
            return True
        if sub.kind == "voucher":
            return same_secret(codes.normalise_code(password), sub.username)
        if sub.password_hash is not None:
            return verify_hash(password, sub.password_hash)
        if sub.clear_password is not None:
            return same_secret(password, sub.clear_password)
        return False

    def claim_voucher(self, code: str, mac: str | None, now: datetime) -> Subscriber:
        """Record a voucher's first use: start its validity and (unless shared) bind it to
        ``mac``. Later calls return it unchanged; the first device wins a race."""
        now = _utc(now, "now")
        name = codes.normalise_code(code)
        device = codes.normalise_mac(mac) if mac else None
        with self._tx(write=True) as conn:
            row = conn.execute(
                select(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.username == name, SUBSCRIBERS.c.kind == "voucher")
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise StoreError(f"voucher {codes.group_code(name)} does not exist")
            changes: dict[str, Any] = {}
            if row.first_used_at is None:
                changes["first_used_at"] = now
                if row.validity_s:
                    changes["valid_until"] = now + timedelta(seconds=row.validity_s)
            if not row.shared and row.bound_mac is None and device is not None:
                changes["bound_mac"] = device
            if changes:
                conn.execute(
                    update(SUBSCRIBERS).where(SUBSCRIBERS.c.id == row.id).values(**changes)
                )
                row = conn.execute(select(SUBSCRIBERS).where(SUBSCRIBERS.c.id == row.id)).one()
        return self._subscriber(row, reveal=True)

    # --- policy inputs ------------------------------------------------------------------------

    def usage(self, username: str, since: datetime | None = None) -> Usage:
        """Seconds and octets of every session (closed and open) of ``username`` overlapping
        ``since`` (None: all time). Seconds are counted from ``since`` on; octets cannot be
        split, so a session crossing ``since`` counts whole."""
        name = self._canonical_fast(username)
        if since is None:
            total = self._fast.rows(_USAGE_ALL, (name, name))[0]
            return Usage(seconds=int(total[0]), octets=int(total[1]), sessions=int(total[2]))
        since = _utc(since, "since")
        rows = self._fast.rows(_SESSIONS_SINCE, (name, self._when(since)))
        time = self._fast.time
        return _usage_since(
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

    def auth_view(self, username: str, since: datetime) -> AuthView | None:
        """What an Access-Request needs, in one statement (one round trip to PostgreSQL):
        the subscriber as :meth:`lookup` finds it, ``usage(name, since)`` and
        ``open_sessions(name)``. None if no subscriber answers to ``username``."""
        if not _storable(username):
            return None
        since = _utc(since, "since")
        candidates = _candidates(username)
        found = self._fast.rows(_auth_view_sql(len(candidates)), (self._when(since), *candidates))
        rows = _first_spelling(candidates, found)
        if not rows:
            return None
        sub = self._subscriber_of(rows[0][:_SUB_WIDTH])
        sessions = sorted(
            (self._fast.session(r[_SUB_WIDTH:]) for r in rows if r[_SUB_WIDTH] is not None),
            key=lambda s: (s.started_at, s.id),
        )
        today = _usage_since(
            (
                (s.stopped_at, s.updated_at, s.session_time, s.input_octets + s.output_octets)
                for s in sessions
            ),
            since,
        )
        return AuthView(
            subscriber=sub,
            today=today,
            open_sessions=tuple(_session(s) for s in sessions if s.stopped_at is None),
        )

    def open_sessions(self, username: str) -> list[Session]:
        """Sessions of ``username`` with no Stop yet (for Simultaneous-Use)."""
        name = self._canonical_fast(username)
        rows = [self._fast.session(r) for r in self._fast.rows(_OPEN_SESSIONS, (name,))]
        return [_session(r) for r in rows]

    def admit(
        self,
        username: str,
        limit: int,
        *,
        mac: str | None,
        now: datetime,
        nas_ip: str | None = None,
        hold_s: int = 60,
    ) -> bool:
        """Atomic Simultaneous-Use check for an Access-Accept about to be sent.

        Counts the devices with an open session plus those accepted in the last ``hold_s``
        seconds whose Accounting-Start has not arrived, under a lock on the subscriber's row:
        two servers cannot both hand out the last slot. The same device logging in again is
        always admitted. True: send Accept (the slot is held until its Start or ``hold_s``)."""
        now = _utc(now, "now")
        device = codes.normalise_mac(mac) if mac else None
        # Without a Calling-Station-Id the NAS stands in for the device.
        nas_ip = _clean(nas_ip, ADDRESS)
        key = device or f"nas:{nas_ip or '?'}"
        name = self._canonical_fast(username)
        at, until = self._when(now), self._when(now + timedelta(seconds=hold_s))
        # A device that already holds a slot (an open session, or an admission with at least
        # half its hold left) is admitted by a plain read: re-authentications take no lock.
        fresh = self._when(now + timedelta(seconds=hold_s / 2))
        if self._fast.rows(_ALREADY_HELD, (name, key, fresh, device)):
            return True
        lock = _LOCK_SUBSCRIBER + (" FOR UPDATE" if self._fast.postgres else "")

        def decide(execute: Execute) -> bool:
            if not execute(lock, (name,)):
                return False
            execute(_DROP_LAPSED, (name, at))
            devices = {m or f"session:{sid}" for sid, m in execute(_OPEN_DEVICES, (name,))}
            devices |= {held for (held,) in execute(_HELD_DEVICES, (name,))}
            if key not in devices and len(devices) >= limit:
                return False
            execute(_HOLD, (name, key, nas_ip, at, until))
            return True

        return self._fast.write(decide)

    # --- accounting ---------------------------------------------------------------------------

    def account(self, rec: AccountingRecord) -> Session:
        """Store one Start / Interim-Update / Stop and return the session as it now stands.

        Keyed by (NAS, Acct-Session-Id, user name): a retransmission changes nothing, counters
        only grow (an out-of-order interim never lowers them), the first Stop closes it, and an
        Interim or Stop whose Start was lost creates the session. Commits before returning."""
        if rec.status not in ("start", "interim", "stop"):
            raise ValueError(f"account() takes start/interim/stop, not {rec.status!r}")
        event = _utc(rec.event_time, "event_time")
        session_time = min(_counter(rec.session_time), MAX_SESSION_TIME)
        interval = (
            min(rec.interim_interval, MAX_INTERVAL) if rec.interim_interval > 0 else DEFAULT_INTERIM
        )
        mac = codes.normalise_mac(rec.mac) if rec.mac else None
        stopping = rec.status == "stop"
        name = self._canonical_fast(rec.username)
        nas_ip = _clean(rec.nas_ip, ADDRESS) or ""
        values = (
            name,
            nas_ip,
            _clean(rec.nas_identifier, NAME),
            _clean(rec.hotspot, SHORT),
            _clean(rec.acct_session_id, NAME) or "",
            mac,
            _clean(rec.ip, ADDRESS),
            self._when(event - timedelta(seconds=session_time)),
            self._when(event),
            self._when(event) if stopping else None,
            self._when(event + timedelta(seconds=STALE_FACTOR * interval)),
            session_time,
            _counter(rec.input_octets),
            _counter(rec.output_octets),
            _counter(rec.input_packets),
            _counter(rec.output_packets),
            _clean(rec.terminate_cause, SHORT) if stopping else None,
            interval,
        )
        admission = (name, mac or f"nas:{nas_ip}")

        def merge(execute: Execute) -> tuple[Any, ...]:
            (row,) = execute(_UPSERT_SESSION, values)
            if rec.status == "start":
                execute(_ADMITTED, admission)
            return row

        return _session(self._fast.session(self._fast.write(merge)))

    def close_nas_sessions(self, nas_ip: str, at: datetime, cause: str) -> int:
        """Close every open session of a NAS (Accounting-On / -Off); returns how many.

        Each session ends at ``at`` and its time is counted up to then (``at - start``, as
        FreeRADIUS's stock SQL does), not left at its last Interim-Update's value: a power
        cut must not give time back. A session silent for longer than the stale limit
        (3 × its interim interval) ends at that limit instead: a NAS that was off for a day
        and announces itself now does not charge a day."""
        at = _utc(at, "at")
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
        now = _utc(now, "now")
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
                replace(_session(row), stopped_at=end, session_time=seconds, terminate_cause=cause)
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
            query = query.where(SESSIONS.c.mac == (codes.normalise_mac(mac) or mac))
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
                since = _utc(since, "since")
                query = query.where(
                    or_(SESSIONS.c.stopped_at.is_(None), SESSIONS.c.stopped_at >= since)
                )
            query = query.order_by(SESSIONS.c.started_at.desc(), SESSIONS.c.id.desc())
            if limit is not None:
                query = query.limit(limit)
            rows = conn.execute(query).all()
        return [_session(r) for r in rows]

    def session(self, acct_session_id: str, nas_ip: str | None = None) -> Session | None:
        """The session with this Acct-Session-Id (from this NAS); the newest if several."""
        query = select(SESSIONS).where(SESSIONS.c.acct_session_id == acct_session_id)
        if nas_ip is not None:
            query = query.where(SESSIONS.c.nas_ip == nas_ip)
        with self._tx() as conn:
            row = conn.execute(
                query.order_by(SESSIONS.c.started_at.desc(), SESSIONS.c.id.desc()).limit(1)
            ).one_or_none()
        return None if row is None else _session(row)

    # --- housekeeping -------------------------------------------------------------------------

    def purge(self, before: datetime) -> Purged:
        """Delete what is no longer needed from before ``before``: closed sessions that ended
        earlier, click-through allowances and vouchers that expired earlier, and lapsed
        admissions. Open sessions, users and MAC entries are never purged.

        The deleted sessions of subscribers that remain are first added to their usage
        totals (``usage_totals``), so ``usage(user)`` — and with it a plan's total data
        quota — is the same before and after. Daily limits need the sessions of the current
        day themselves: the caller must not purge them (``netops radius purge`` refuses
        ages shorter than a day when a plan has a daily limit)."""
        before = _utc(before, "before")
        now = datetime.now(UTC)
        ended = (SESSIONS.c.stopped_at.is_not(None), SESSIONS.c.stopped_at < before)
        with self._tx(write=True) as conn:
            subscribers = conn.execute(
                delete(SUBSCRIBERS).where(
                    SUBSCRIBERS.c.kind.in_(("clickthrough", "voucher")),
                    or_(
                        SUBSCRIBERS.c.valid_until < before,
                        SUBSCRIBERS.c.revoked_at < before,
                    ),
                )
            ).rowcount
            sums = conn.execute(
                select(
                    SESSIONS.c.username,
                    func.sum(SESSIONS.c.session_time),
                    func.sum(SESSIONS.c.input_octets + SESSIONS.c.output_octets),
                    func.count(),
                )
                .where(*ended, SESSIONS.c.username.in_(select(SUBSCRIBERS.c.username)))
                .group_by(SESSIONS.c.username)
            ).all()
            if sums:
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
                            "seconds": int(seconds),
                            "octets": int(used),
                            "sessions": int(count),
                            "updated_at": now,
                        }
                        for name, seconds, used, count in sums
                    ],
                )
            sessions = conn.execute(delete(SESSIONS).where(*ended)).rowcount
            conn.execute(
                delete(TOTALS).where(TOTALS.c.username.not_in(select(SUBSCRIBERS.c.username)))
            )
            conn.execute(delete(ADMISSIONS).where(ADMISSIONS.c.expires_at < before))
        return Purged(sessions=int(sessions), subscribers=int(subscribers))

    def rekey(self, old_key: bytes) -> int:
        """Re-encrypt every CHAP-capable password from ``old_key`` to the current key
        (``NETOPS_STORE_KEY``); returns how many were re-encrypted. Passwords already under
        the current key are left alone, so an interrupted rekey can simply be run again."""
        new = self._cipher_()
        old = Cipher(old_key, "the old key")
        changed = 0
        with self._tx(write=True) as conn:
            rows = conn.execute(
                select(SUBSCRIBERS.c.id, SUBSCRIBERS.c.username, SUBSCRIBERS.c.password_enc)
                .where(SUBSCRIBERS.c.password_enc.is_not(None))
                .with_for_update()
            ).all()
            for row in rows:
                kid = str(row.password_enc).split("$", 2)[1] if "$" in row.password_enc else ""
                if kid == new.key_id:
                    continue
                if kid != old.key_id:
                    raise StoreError(
                        f"the password of {row.username!r} is under store key {kid}, neither "
                        f"the current key {new.key_id} nor the old key {old.key_id}"
                    )
                clear = old.decrypt(row.username, row.password_enc)
                conn.execute(
                    update(SUBSCRIBERS)
                    .where(SUBSCRIBERS.c.id == row.id)
                    .values(password_enc=new.encrypt(row.username, clear))
                )
                changed += 1
        return changed

    def counts(self) -> dict[str, int]:
        """How many users, vouchers, MACs, click-throughs and open / all sessions are stored."""
        with self._tx() as conn:
            kinds: dict[str, int] = {
                str(kind): int(n)
                for kind, n in conn.execute(
                    select(SUBSCRIBERS.c.kind, func.count()).group_by(SUBSCRIBERS.c.kind)
                ).all()
            }
            open_count = conn.scalar(
                select(func.count()).select_from(SESSIONS).where(SESSIONS.c.stopped_at.is_(None))
            )
            all_count = conn.scalar(select(func.count()).select_from(SESSIONS))
        result = {
            kind: int(kinds.get(kind, 0)) for kind in ("user", "voucher", "mac", "clickthrough")
        }
        result["open_sessions"] = int(open_count or 0)
        result["sessions"] = int(all_count or 0)
        return result

    def key_status(self) -> dict[str, Any]:
        """Which store key is in force and how many stored passwords each key id protects,
        without creating a key file: ``{"source", "key_id", "passwords_by_key"}``."""
        source: str | None = None
        key_id: str | None = None
        if os.environ.get(KEY_ENV) or self._key_file.exists() or self._cipher is not None:
            cipher = self._cipher_()
            source, key_id = cipher.origin, cipher.key_id
        with self._tx() as conn:
            stored = conn.scalars(
                select(SUBSCRIBERS.c.password_enc).where(SUBSCRIBERS.c.password_enc.is_not(None))
            ).all()
        by_key: dict[str, int] = {}
        for text in stored:
            kid = text.split("$", 2)[1] if text.count("$") >= 2 else "?"
            by_key[kid] = by_key.get(kid, 0) + 1
        return {"source": source, "key_id": key_id, "passwords_by_key": by_key}

    # --- internals ----------------------------------------------------------------------------

    def _insert_subscriber(self, username: str, *, what: str, **fields: Any) -> None:
        values = _subscriber_values(username, now=datetime.now(UTC), **fields)
        _check_plan(values["plan"])
        with self._tx(write=True) as conn:
            try:
                conn.execute(SUBSCRIBERS.insert().values(**values))
            except sa_exc.IntegrityError:
                raise StoreError(f"{what} already exists") from None

    def _delete(self, username: str, kind: SubscriberKind) -> bool:
        with self._tx(write=True) as conn:
            result = conn.execute(
                delete(SUBSCRIBERS).where(
                    SUBSCRIBERS.c.username == username, SUBSCRIBERS.c.kind == kind
                )
            )
            return bool(result.rowcount)

    def _list(self, kind: SubscriberKind, batch: str | None = None) -> list[Subscriber]:
        query = select(SUBSCRIBERS).where(SUBSCRIBERS.c.kind == kind)
        if batch is not None:
            query = query.where(SUBSCRIBERS.c.batch == batch)
        order = (
            (SUBSCRIBERS.c.created_at.desc(), SUBSCRIBERS.c.username)
            if kind == "voucher"
            else (SUBSCRIBERS.c.username,)
        )
        with self._tx() as conn:
            rows = conn.execute(query.order_by(*order)).all()
        return [self._subscriber(r, reveal=False) for r in rows]

    def _subscriber_of(self, raw: tuple[Any, ...]) -> Subscriber:
        """The :class:`Subscriber` (password revealed) of a row as the driver returned it.

        Keyed by the whole row just read, so it is never stale: any change to the row is a
        new key. It spares the conversions when the same people log in again and again."""
        sub = self._read.get(raw)
        if sub is None:
            sub = self._subscriber(self._fast.subscriber(raw), reveal=True)
            if len(self._read) >= REVEALED_MAX:
                self._read.clear()
            self._read[raw] = sub
        return sub

    def _reveal(self, username: str, stored: str) -> str:
        """The clear password of an encrypted one, decrypted once per process: keyed by the
        stored text (a fresh nonce each time a password is set), so a changed password is
        never answered from the cache. Bounded; only successful decryptions are kept."""
        key = (username, stored)
        clear = self._revealed.get(key)
        if clear is None:
            clear = self._cipher_().decrypt(username, stored)
            if len(self._revealed) >= REVEALED_MAX:
                self._revealed.clear()
            self._revealed[key] = clear
        return clear

    def _when(self, moment: datetime) -> Any:
        """A UTC time as the driver takes it (SQLite keeps naive UTC text)."""
        if self._fast.postgres:
            return moment
        last = self._last_when
        if last[0] == moment:  # every Access-Request asks for the same start of the day
            return last[1]
        # isoformat() with microseconds is "%Y-%m-%d %H:%M:%S.%f", at a fifth of the cost.
        text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        self._last_when = (moment, text)
        return text

    def _canonical_fast(self, username: str) -> str:
        username = _clean(username, NAME) or ""
        candidates = _candidates(username)
        if len(candidates) == 1:
            return username
        found = {
            r[0] for r in self._fast.rows(_select_usernames(len(candidates)), tuple(candidates))
        }
        return next((c for c in candidates if c in found), username)

    def _canonical(self, conn: Connection, username: str) -> str:
        """The stored spelling of a name the NAS sent (MAC / voucher forms); itself if unknown."""
        candidates = _candidates(username)
        if len(candidates) == 1:
            return username
        found = set(
            conn.scalars(
                select(SUBSCRIBERS.c.username).where(SUBSCRIBERS.c.username.in_(candidates))
            )
        )
        return next((c for c in candidates if c in found), username)

    def _subscriber(self, row: Any, *, reveal: bool) -> Subscriber:
        kind = cast(SubscriberKind, row.kind)
        clear: str | None = None
        if kind in ("voucher", "mac"):
            clear = row.username
        elif row.password_enc is not None and reveal:
            clear = self._reveal(row.username, row.password_enc)
        return Subscriber(
            username=row.username,
            kind=kind,
            plan=row.plan,
            enabled=bool(row.enabled),
            chap_capable=kind in ("voucher", "mac") or row.password_enc is not None,
            clear_password=clear,
            bound_mac=row.bound_mac,
            shared=bool(row.shared),
            first_used_at=row.first_used_at,
            valid_until=row.valid_until,
            hotspot=row.hotspot,
            batch=row.batch,
            created_at=row.created_at,
            note=row.note,
            password_hash=row.password_hash,
        )


_SUBSCRIBER_LIST = ", ".join(SUBSCRIBER_COLUMNS)
_LOCK_SUBSCRIBER = "SELECT id FROM subscribers WHERE username = ?"
_ALREADY_HELD = (
    "SELECT 1 FROM subscribers s WHERE s.username = ? AND ("
    "EXISTS (SELECT 1 FROM admissions a WHERE a.username = s.username AND a.device = ? "
    "AND a.expires_at > ?) OR "
    "EXISTS (SELECT 1 FROM acct_sessions x WHERE x.username = s.username AND x.mac = ? "
    "AND x.stopped_at IS NULL))"
)
_DROP_LAPSED = "DELETE FROM admissions WHERE username = ? AND expires_at <= ?"
_OPEN_DEVICES = "SELECT id, mac FROM acct_sessions WHERE username = ? AND stopped_at IS NULL"
_HELD_DEVICES = "SELECT device FROM admissions WHERE username = ?"
_HOLD = (
    "INSERT INTO admissions (username, device, nas_ip, created_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (username, device) DO UPDATE "
    "SET expires_at = excluded.expires_at, nas_ip = excluded.nas_ip"
)
_ADMITTED = "DELETE FROM admissions WHERE username = ? AND device = ?"
_INSERTED = SESSION_COLUMNS[1:]  # every column but the generated id


def _greater(column: str) -> str:
    return (
        f"{column} = CASE WHEN excluded.{column} > acct_sessions.{column} "
        f"THEN excluded.{column} ELSE acct_sessions.{column} END"
    )


def _first(column: str) -> str:
    return f"{column} = COALESCE(acct_sessions.{column}, excluded.{column})"


# One statement merges any Start / Interim / Stop into its session: counters only grow, the
# first Stop wins, a lost Start is recreated (same SQL on SQLite >= 3.35 and PostgreSQL).
_UPSERT_SESSION = (
    f"INSERT INTO acct_sessions ({', '.join(_INSERTED)}) "
    f"VALUES ({', '.join('?' * len(_INSERTED))}) "
    "ON CONFLICT (nas_ip, acct_session_id, username) DO UPDATE SET "
    + ", ".join(
        [
            *(
                _greater(c)
                for c in (
                    "session_time",
                    "input_octets",
                    "output_octets",
                    "input_packets",
                    "output_packets",
                    "updated_at",
                    "stale_at",
                )
            ),
            # The first-known start stays: an interim's ``now - Acct-Session-Time`` is an
            # estimate (rounding, a NAS's own clock) and must not walk the start back.
            "started_at = acct_sessions.started_at",
            *(_first(c) for c in ("stopped_at", "terminate_cause", "mac", "nas_identifier")),
            "hotspot = COALESCE(acct_sessions.hotspot, excluded.hotspot)",
            "ip = COALESCE(excluded.ip, acct_sessions.ip)",
            "interim_interval = excluded.interim_interval",
        ]
    )
    + f" RETURNING {', '.join(SESSION_COLUMNS)}"
)
_SESSION_LIST = ", ".join(SESSION_COLUMNS)
# Every session still stored, plus what purged ones added up to (usage_totals).
_USAGE_ALL = (
    "SELECT COALESCE(SUM(t), 0), COALESCE(SUM(o), 0), COALESCE(SUM(n), 0) FROM ("
    "SELECT session_time AS t, input_octets + output_octets AS o, 1 AS n "
    "FROM acct_sessions WHERE username = ? "
    "UNION ALL SELECT seconds, octets, sessions FROM usage_totals WHERE username = ?) u"
)
_SESSIONS_SINCE = (
    "SELECT stopped_at, updated_at, session_time, input_octets + output_octets "
    "FROM acct_sessions "
    "WHERE username = ? AND (stopped_at IS NULL OR stopped_at >= ?)"
)
_OPEN_SESSIONS = (
    f"SELECT {_SESSION_LIST} FROM acct_sessions "
    "WHERE username = ? AND stopped_at IS NULL ORDER BY started_at, id"
)


_SUB_WIDTH = len(SUBSCRIBER_COLUMNS)


@lru_cache(maxsize=8)
def _auth_view_sql(count: int) -> str:
    """The subscriber(s) a user name may stand for, one row per session of theirs open or
    ended since the given moment (no such session: one row, session columns NULL)."""
    sub = ", ".join(f"s.{c}" for c in SUBSCRIBER_COLUMNS)
    session = ", ".join(f"e.{c}" for c in SESSION_COLUMNS)
    return (
        f"SELECT {sub}, {session} FROM subscribers s "
        "LEFT JOIN acct_sessions e ON e.username = s.username "
        "AND (e.stopped_at IS NULL OR e.stopped_at >= ?) "
        f"WHERE s.username IN ({_placeholders(count)})"
    )


def _first_spelling(
    candidates: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """The rows (username in column 1) of the first of ``candidates`` that has any: the name
    as sent wins over its reading as a MAC address or a voucher code."""
    if len(candidates) == 1:
        return rows
    names = {r[1] for r in rows}
    name = next((c for c in candidates if c in names), None)
    return [r for r in rows if r[1] == name]


def _usage_since(
    sessions: Iterator[tuple[datetime | None, datetime | None, Any, Any]], since: datetime
) -> Usage:
    """Seconds (from ``since`` on) and octets of sessions open or ended since ``since``:
    (stopped_at, updated_at, session_time, octets) each."""
    seconds = octets = count = 0
    for stopped_at, updated_at, session_time, used in sessions:
        end = stopped_at or updated_at
        assert end is not None
        within = int((end - since).total_seconds())
        seconds += max(0, min(int(session_time), within))
        octets += int(used)
        count += 1
    return Usage(seconds=seconds, octets=octets, sessions=count)


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


@lru_cache(maxsize=8)
def _select_subscribers(count: int) -> str:
    return f"SELECT {_SUBSCRIBER_LIST} FROM subscribers WHERE username IN ({_placeholders(count)})"


@lru_cache(maxsize=8)
def _select_usernames(count: int) -> str:
    return f"SELECT username FROM subscribers WHERE username IN ({_placeholders(count)})"


NAME = 253  # RADIUS text attributes carry at most 253 octets
ADDRESS = 45
SHORT = 64


def _clean(text: str | None, size: int) -> str | None:
    """Text from a NAS made storable: no NUL, valid UTF-8, cut to the column's size."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:size]


def _storable(username: str) -> bool:
    """Whether a subscriber could have this name at all."""
    return 0 < len(username) <= NAME and _clean(username, NAME) == username


@lru_cache(maxsize=8192)
def _candidates(username: str) -> tuple[str, ...]:
    """The stored spellings ``username`` may stand for: itself, as a MAC, as a voucher code."""
    found = [username]
    mac = codes.normalise_mac(username)
    if mac is not None and mac not in found:
        found.append(mac)
    if codes.looks_like_voucher(username):
        code = codes.normalise_code(username)
        if code not in found:
            found.append(code)
    return tuple(found)


def _subscriber_values(
    username: str,
    *,
    kind: SubscriberKind,
    plan: str,
    now: datetime,
    password_enc: str | None = None,
    password_hash: str | None = None,
    bound_mac: str | None = None,
    shared: bool = False,
    validity_s: int | None = None,
    valid_until: datetime | None = None,
    hotspot: str | None = None,
    batch: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "username": username,
        "kind": kind,
        "plan": plan,
        "enabled": True,
        "password_enc": password_enc,
        "password_hash": password_hash,
        "bound_mac": bound_mac,
        "shared": shared,
        "validity_s": validity_s,
        "first_used_at": None,
        "valid_until": valid_until,
        "hotspot": hotspot,
        "batch": batch,
        "note": note,
        "created_at": now,
        "revoked_at": None,
    }


def _session(row: Any) -> Session:
    return Session(
        id=int(row.id),
        username=row.username,
        nas_ip=row.nas_ip,
        nas_identifier=row.nas_identifier,
        hotspot=row.hotspot,
        acct_session_id=row.acct_session_id,
        mac=row.mac,
        ip=row.ip,
        started_at=row.started_at,
        updated_at=row.updated_at,
        stopped_at=row.stopped_at,
        session_time=int(row.session_time),
        input_octets=int(row.input_octets),
        output_octets=int(row.output_octets),
        terminate_cause=row.terminate_cause,
        input_packets=int(row.input_packets),
        output_packets=int(row.output_packets),
        interim_interval=int(row.interim_interval),
    )


def _check_username(username: str) -> None:
    if not username or username != username.strip() or len(username.encode()) > 253:
        raise StoreError(
            f"user name {username!r} must be 1-253 bytes with no leading or trailing spaces"
        )
    if any(ord(c) < 32 for c in username):
        raise StoreError(f"user name {username!r} contains control characters")


def _check_password(password: str) -> None:
    if not password or len(password.encode()) > MAX_PASSWORD:
        raise StoreError(f"a password must be 1-{MAX_PASSWORD} bytes long")


def _check_plan(plan: str) -> None:
    if not plan or len(plan) > 64:
        raise StoreError(f"plan name {plan!r} must be 1-64 characters")
