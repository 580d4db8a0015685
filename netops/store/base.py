"""The store's core: the engine and its transactions, migrations on open, the store key.

:class:`StoreBase` holds the one engine (SQLAlchemy transactions for administrative calls),
the per-thread driver connections of the hot path (:class:`FastReader`) and the cipher of
``NETOPS_STORE_KEY``, and the few internals every part of the store uses: a name's stored
spelling, a row as a :class:`Subscriber` with its password revealed, a time as the driver
takes it. The parts (:mod:`~netops.store.subscribers`, :mod:`~netops.store.accounting`)
build on it; :class:`netops.store.Store` composes them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, cast

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from netops.errors import StoreError
from netops.store import codes
from netops.store.credentials import NO_KEYS, Cipher, StoreKeys, load_key, mac_key, mac_key_id
from netops.store.engine import WRITE, describe, make_engine, parse_url, translate
from netops.store.fastread import FastReader
from netops.store.hotpath import select_usernames
from netops.store.migrate import upgrade
from netops.store.rows import NAME, SESSIONS, SUBSCRIBERS, candidates, clean, to_subscriber
from netops.store.types import Subscriber, SubscriberKind

REVEALED_MAX = 65_536  # clear passwords kept decrypted per process (see StoreBase._reveal)
KEY_FILE_NAME = "netops-store.key"


class StoreBase:
    """Engine, transactions and store key shared by every part of :class:`~netops.store.Store`."""

    def __init__(
        self, engine: Engine, where: str, key_file: Path, keys: StoreKeys = NO_KEYS
    ) -> None:
        self._engine = engine
        self._where = where
        self._key_file = key_file
        self._keys = keys
        self._cipher: Cipher | None = None
        self._cipher_lock = threading.Lock()
        self._mac_key: tuple[bytes, str] | None = None
        self._pseudonyms: dict[str, str | None] = {}
        self._fast = FastReader(engine, where)
        self._revealed: dict[tuple[str, str], str] = {}
        self._read: dict[tuple[Any, ...], Subscriber] = {}
        self._when_text: dict[datetime, str] = {}  # see _when
        self._pid = os.getpid()

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, *, keys: StoreKeys = NO_KEYS, key_file: Path | None = None) -> Self:
        """Connect to ``sqlite:///PATH`` or ``postgresql+psycopg://…`` and migrate to the newest
        schema. ``keys`` are the keys the operator gave (the CLI reads ``NETOPS_STORE_KEY``
        and ``NETOPS_MAC_KEY``); ``key_file`` is where the lab key lives when no store key is
        given (default: ``netops-store.key`` next to the SQLite file, else ``var/``)."""
        parsed = parse_url(url)
        where = describe(parsed)
        if key_file is None:
            if parsed.get_backend_name() == "sqlite" and parsed.database:
                key_file = Path(parsed.database).expanduser().parent / KEY_FILE_NAME
            else:
                key_file = Path("var") / KEY_FILE_NAME
        engine = make_engine(parsed)
        try:
            with translate(where):
                upgrade(engine, key_file, keys)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, where, key_file, keys)

    def close(self) -> None:
        """Release every connection (the store may be used again: it reconnects)."""
        self._fast.close()
        self._engine.dispose()

    def __enter__(self) -> Self:
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
        """One SQLAlchemy transaction (``BEGIN IMMEDIATE`` on SQLite when ``write``),
        committed when the block ends; driver errors become one-sentence StoreErrors."""
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
        """The dialect's ``insert`` (with ``on_conflict_do_*``)."""
        return postgresql.insert if self.dialect == "postgresql" else sqlite.insert

    # --- store key ----------------------------------------------------------------------------

    def _cipher_(self) -> Cipher:
        with self._cipher_lock:
            if self._cipher is None:
                key, origin = load_key(self._key_file, self._keys)
                self._cipher = Cipher(key, origin)
            return self._cipher

    def _mac_key_(self) -> bytes:
        with self._cipher_lock:
            if self._mac_key is None:
                self._mac_key = mac_key(self._key_file, self._keys)
            return self._mac_key[0]

    def mac_pseudonym(self, mac: str | None) -> str | None:
        """The stored form of a MAC address in any spelling (``mac~…``, keyed HMAC-SHA256):
        what sessions, voucher bindings, admissions, click-through names and the MAC
        allow-list hold instead of the MAC. A pseudonym passes through unchanged; None for
        None or anything that is not a MAC."""
        if mac is None:
            return None
        found = self._pseudonyms.get(mac, "")
        if found == "":
            found = codes.mac_pseudonym(mac, self._mac_key_())
            if len(self._pseudonyms) >= REVEALED_MAX:
                self._pseudonyms.clear()
            self._pseudonyms[mac] = found
        return found

    def voucher_name(self, code: str) -> str | None:
        """The RADIUS user name of a voucher code in any spelling (``v-…``, keyed like MAC
        pseudonyms); a voucher name passes through; None for anything else."""
        return codes.voucher_name(code, self._mac_key_())

    def voucher_handoff(self, name: str) -> str:
        """The password the portal hands to the gateway with voucher name ``name``."""
        return codes.voucher_handoff_password(name, self._mac_key_())

    def mac_key_status(self) -> dict[str, str]:
        """Where the MAC pseudonym key comes from and its fingerprint (never the key)."""
        key = self._mac_key_()
        assert self._mac_key is not None
        return {"source": self._mac_key[1], "key_id": mac_key_id(key)}

    def _candidates(self, username: str) -> tuple[str, ...]:
        return candidates(username, self._mac_key_())

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

    def key_status(self) -> dict[str, Any]:
        """Which store key is in force and how many stored passwords each key id protects,
        without creating a key file: ``{"source", "key_id", "passwords_by_key"}``."""
        source: str | None = None
        key_id: str | None = None
        if self._keys.store_key or self._key_file.exists() or self._cipher is not None:
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

    # --- status -------------------------------------------------------------------------------

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

    # --- internals every part uses ------------------------------------------------------------

    def _subscriber(self, row: Any, *, reveal: bool) -> Subscriber:
        """A ``subscribers`` row as a :class:`Subscriber`; ``reveal`` decrypts a CHAP
        password (a MAC's password is its name; a voucher's, the hand-off password derived
        from its name: never the code, which only :meth:`voucher_code` decrypts)."""
        kind = cast(SubscriberKind, row.kind)
        clear: str | None = None
        if kind == "mac":
            clear = row.username
        elif kind == "voucher":
            clear = self.voucher_handoff(row.username) if reveal else None
        elif row.password_enc is not None and reveal:
            clear = self._reveal(row.username, row.password_enc)
        return to_subscriber(row, clear)

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

    def _when(self, moment: datetime) -> Any:
        """A UTC time as the driver takes it (SQLite keeps naive UTC text)."""
        if self._fast.postgres:
            return moment
        # Every Access-Request asks for the same start of the day, beside a moment of its
        # own (its admission's freshness bound): a few recent ones are kept, not just one,
        # or the two would evict each other on every request.
        known = self._when_text.get(moment)
        if known is not None:
            return known
        # isoformat() with microseconds is "%Y-%m-%d %H:%M:%S.%f", at a fifth of the cost.
        text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        if len(self._when_text) >= 8:
            self._when_text.clear()
        self._when_text[moment] = text
        return text

    def _canonical_fast(self, username: str) -> str:
        """:meth:`_canonical` on the hot path's driver connection."""
        username = clean(username, NAME) or ""
        spellings = self._candidates(username)
        if len(spellings) == 1:
            return username
        found = {r[0] for r in self._fast.rows(select_usernames(len(spellings)), spellings)}
        return next((c for c in spellings if c in found), username)

    def _canonical(self, conn: Connection, username: str) -> str:
        """The stored spelling of a name the NAS sent (MAC / voucher forms); itself if unknown."""
        spellings = self._candidates(username)
        if len(spellings) == 1:
            return username
        found = set(
            conn.scalars(
                select(SUBSCRIBERS.c.username).where(SUBSCRIBERS.c.username.in_(spellings))
            )
        )
        return next((c for c in spellings if c in found), username)
