"""Who may log in: registered users, vouchers, the MAC allow-list, click-through allowances.

Administrative writes and listings run as SQLAlchemy transactions; ``lookup`` (which the
RADIUS server calls for every Access-Request that is not an ``auth_view``) reads on the hot
path's driver connection.
"""

from __future__ import annotations

import hmac
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy import exc as sa_exc

from netops.errors import StoreError
from netops.store import codes
from netops.store.base import StoreBase
from netops.store.credentials import (
    MAC_KEY_ENV,
    hash_password,
    mac_key_id,
    same_secret,
    verify_hash,
)
from netops.store.hotpath import first_spelling, select_subscribers
from netops.store.renames import rename_users
from netops.store.rows import SESSIONS, SUBSCRIBERS, storable, subscriber_values, utc
from netops.store.schema import PrivacyRequestRow
from netops.store.types import NewUser, Subscriber, SubscriberKind, VoucherRenames

MAX_VOUCHERS = 10_000
MAX_PASSWORD = 128  # RFC 2865 User-Password limit
REQUESTS = cast(Table, PrivacyRequestRow.__table__)


class Subscribers(StoreBase):
    """Users, vouchers, MACs and click-throughs: adding, finding, checking, revoking."""

    # --- users --------------------------------------------------------------------------------

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
                subscriber_values(
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

    # --- vouchers -----------------------------------------------------------------------------

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

        A citizen types the code; RADIUS, accounting and the console know the voucher by a
        name derived from it (:meth:`voucher_name`), and the row keeps the code only
        encrypted (for printing cards). ``validity_s`` counts from first use; ``shared``
        lets several devices use one code (else it binds to the first MAC)."""
        if not 1 <= count <= MAX_VOUCHERS:
            raise StoreError(f"voucher count must be between 1 and {MAX_VOUCHERS}, not {count}")
        if validity_s is not None and validity_s <= 0:
            raise StoreError(f"voucher validity must be positive, not {validity_s} s")
        _check_plan(plan)
        now = datetime.now(UTC)
        made: list[str] = []
        insert = self._insert()
        cipher = self._cipher_()
        with self._tx(write=True) as conn:
            for _attempt in range(5):
                wanted: dict[str, str] = {}
                for _ in range(count):
                    code = codes.normalise_code(codes.new_voucher_code())
                    wanted[self._voucher_key(code)] = code
                rows = [
                    subscriber_values(
                        name,
                        kind="voucher",
                        plan=plan,
                        now=now,
                        password_enc=cipher.encrypt(name, code),
                        shared=shared,
                        validity_s=validity_s,
                        batch=batch,
                    )
                    for name, code in wanted.items()
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
                made.extend(sorted(wanted[name] for name in stored))
                count -= len(stored)
                if count == 0:
                    break
            else:  # pragma: no cover - needs five collisions in a 49-bit space
                raise StoreError("could not find unused voucher codes; try again")
        return [codes.group_code(code) for code in made]

    def revoke_voucher(self, code: str) -> bool:
        """Disable a voucher (by its code or its name) for good; True if it exists
        (revoking twice is harmless)."""
        now = datetime.now(UTC)
        name = self.voucher_name(code)
        if name is None:
            return False
        with self._tx(write=True) as conn:
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

    def claim_voucher(self, code: str, mac: str | None, now: datetime) -> Subscriber:
        """Record a voucher's (named by code or name) first use: start its validity and
        (unless shared) bind it to ``mac``. Later calls return it unchanged; the first
        device wins a race."""
        now = utc(now, "now")
        name = self._voucher_key(code)
        device = self.mac_pseudonym(mac) if mac else None
        with self._tx(write=True) as conn:
            row = conn.execute(
                select(SUBSCRIBERS)
                .where(SUBSCRIBERS.c.username == name, SUBSCRIBERS.c.kind == "voucher")
                .with_for_update()
            ).one_or_none()
            if row is None:
                typed = codes.normalise_code(code)
                shown = name if codes.is_voucher_name(code) else codes.group_code(typed)
                raise StoreError(f"voucher {shown} does not exist")
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

    def voucher_code(self, sub: Subscriber) -> str | None:
        """The code of voucher ``sub``, grouped for reading (to print its card again);
        None for a voucher whose code the store no longer holds or any other subscriber."""
        if sub.kind != "voucher":
            return None
        with self._tx() as conn:
            stored = conn.scalar(
                select(SUBSCRIBERS.c.password_enc).where(
                    SUBSCRIBERS.c.username == sub.username, SUBSCRIBERS.c.kind == "voucher"
                )
            )
        if stored is None:
            return None
        return codes.group_code(self._cipher_().decrypt(sub.username, stored))

    def rename_vouchers(self, old_mac_key: bytes) -> VoucherRenames:
        """Name every voucher again under the MAC key in force (``NETOPS_MAC_KEY``) after
        a rotation from ``old_mac_key``, in one transaction: its code is decrypted from the
        row, the name derived under the old key must be the stored one, and the voucher,
        its sessions, admissions, usage totals, binding moves and privacy requests move to
        the new name (the code re-encrypted under it). Vouchers already named under the
        current key are left alone, so an interrupted run can simply be run again; a voucher
        named under neither key is a StoreError and nothing changes. MAC pseudonyms (the
        bindings) stay: without the clear MAC they cannot be derived again."""
        new_key = self._mac_key_()
        if hmac.compare_digest(old_mac_key, new_key):
            raise StoreError(
                f"the old MAC key is the key in force ({mac_key_id(new_key)}): set "
                f"{MAC_KEY_ENV} to the new key first, then give the previous one as the old key"
            )
        cipher = self._cipher_()
        with self._tx(write=True) as conn:
            rows = conn.execute(
                select(SUBSCRIBERS.c.id, SUBSCRIBERS.c.username, SUBSCRIBERS.c.password_enc)
                .where(SUBSCRIBERS.c.kind == "voucher")
                .order_by(SUBSCRIBERS.c.id)
                .with_for_update()
            ).all()
            renames: list[tuple[str, str]] = []
            codes_of: list[dict[str, Any]] = []
            for row in rows:
                old = str(row.username)
                if not codes.is_voucher_name(old):
                    continue  # not a derived name (0009 leaves odd names as they are)
                if row.password_enc is None:
                    raise StoreError(
                        f"voucher {old} keeps no code, so its name cannot be derived again: "
                        "nothing was renamed"
                    )
                code = cipher.decrypt(old, row.password_enc)
                new = codes.voucher_name(code, new_key)
                if new == old:
                    continue
                if new is None or codes.voucher_name(code, old_mac_key) != old:
                    raise StoreError(
                        f"voucher {old} is named under neither the MAC key in force "
                        f"({mac_key_id(new_key)}) nor the old key ({mac_key_id(old_mac_key)}): "
                        "give the key its vouchers were made under; nothing was renamed"
                    )
                renames.append((old, new))
                codes_of.append({"b_id": row.id, "b_enc": cipher.encrypt(new, code)})
            self._move_vouchers(conn, renames, codes_of)
            open_sessions = 0
            for part in range(0, len(renames), 500):
                news = [new for _old, new in renames[part : part + 500]]
                open_sessions += int(
                    conn.scalar(
                        select(func.count())
                        .select_from(SESSIONS)
                        .where(SESSIONS.c.username.in_(news), SESSIONS.c.stopped_at.is_(None))
                    )
                    or 0
                )
        current = sum(1 for r in rows if codes.is_voucher_name(r.username)) - len(renames)
        return VoucherRenames(renamed=len(renames), current=current, open_sessions=open_sessions)

    @staticmethod
    def _move_vouchers(
        conn: Any, renames: list[tuple[str, str]], codes_of: list[dict[str, Any]]
    ) -> None:
        """Write :meth:`rename_vouchers`' renames: every table the name keys, the codes
        encrypted under their new names, the privacy requests about them."""
        if not renames:
            return
        rename_users(conn, renames)
        conn.execute(
            update(SUBSCRIBERS)
            .where(SUBSCRIBERS.c.id == bindparam("b_id"))
            .values(password_enc=bindparam("b_enc")),
            codes_of,
        )
        conn.execute(
            update(REQUESTS)
            .where(REQUESTS.c.subject_kind == "user", REQUESTS.c.subject == bindparam("b_old"))
            .values(subject=bindparam("b_new")),
            [{"b_old": old, "b_new": new} for old, new in renames],
        )

    def _voucher_key(self, code: str) -> str:
        """The stored name of a voucher given by its code (any spelling) or its name."""
        name = self.voucher_name(code)
        if name is None:
            raise StoreError(
                "that is not a voucher code (10 letters and digits, like K7QX-M3PA-RT)"
            )
        return name

    # --- MAC allow-list -----------------------------------------------------------------------

    def add_mac(self, mac: str, plan: str, note: str | None = None) -> None:
        """Allow a device (kiosk, CCTV) to log in by its MAC address alone."""
        device = self.mac_pseudonym(mac)
        if device is None or codes.is_mac_pseudonym(mac):
            raise StoreError(f"{mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
        self._insert_subscriber(device, kind="mac", plan=plan, note=note, what=f"MAC address {mac}")

    def delete_mac(self, mac: str) -> bool:
        """Remove a MAC from the allow-list; False if it was not there."""
        device = self.mac_pseudonym(mac)
        return device is not None and self._delete(device, "mac")

    def list_macs(self) -> list[Subscriber]:
        """The MAC allow-list."""
        return self._list("mac")

    # --- click-through ------------------------------------------------------------------------

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
        device = self.mac_pseudonym(mac)
        if device is None:
            raise StoreError(f"{mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
        _check_plan(plan)
        username = codes.clickthrough_username(device, today)
        until = (
            utc(valid_until, "valid_until")
            if valid_until is not None
            else datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)
        )
        cipher = self._cipher_()
        password = codes.new_clickthrough_password()
        values = subscriber_values(
            username,
            kind="clickthrough",
            plan=plan,
            now=datetime.now(UTC),
            password_enc=cipher.encrypt(username, password),
            bound_mac=device,
            hotspot=hotspot,
            valid_until=until,
        )
        with self._tx(write=True) as conn:
            stmt = self._insert()(SUBSCRIBERS).on_conflict_do_nothing(index_elements=["username"])
            inserted = conn.execute(stmt, values).rowcount == 1
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

    def clickthrough_name(self, mac: str, day: date) -> str | None:
        """The user name ``mac``'s click-through allowance for ``day`` has (or would have);
        None when ``mac`` is not a MAC address."""
        device = self.mac_pseudonym(mac)
        return codes.clickthrough_username(device, day) if device else None

    # --- finding and checking -----------------------------------------------------------------

    def lookup(self, username: str, *, reveal: bool = True) -> Subscriber | None:
        """Any subscriber by the name a NAS sends: exact first, then as a MAC address or a
        voucher code typed in any case with or without dashes. None if unknown.
        ``reveal=False`` leaves an encrypted password encrypted (listings, helpdesk)."""
        if not storable(username):
            return None  # no subscriber can have this name (NUL, not UTF-8, too long)
        spellings = self._candidates(username)
        found = first_spelling(
            spellings, self._fast.rows(select_subscribers(len(spellings)), spellings)
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
            # The portal's hand-off password, or the code itself (typed on the gateway's
            # own login page: the code's derived name must be this voucher's).
            if same_secret(password, self.voucher_handoff(sub.username)):
                return True
            if not codes.looks_like_voucher(password):
                return False  # never the name itself
            return same_secret(self.voucher_name(password) or "", sub.username)
        if sub.password_hash is not None:
            return verify_hash(password, sub.password_hash)
        if sub.clear_password is not None:
            return same_secret(password, sub.clear_password)
        return False

    # --- internals ----------------------------------------------------------------------------

    def _insert_subscriber(self, username: str, *, what: str, **fields: Any) -> None:
        values = subscriber_values(username, now=datetime.now(UTC), **fields)
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


def _check_username(username: str) -> None:
    if not username or username != username.strip() or len(username.encode()) > 253:
        raise StoreError(
            f"user name {username!r} must be 1-253 bytes with no leading or trailing spaces"
        )
    if any(ord(c) < 32 for c in username):
        raise StoreError(f"user name {username!r} contains control characters")
    if codes.is_voucher_name(username):
        raise StoreError(f"user name {username!r} is shaped like a voucher name; choose another")


def _check_password(password: str) -> None:
    if not password or len(password.encode()) > MAX_PASSWORD:
        raise StoreError(f"a password must be 1-{MAX_PASSWORD} bytes long")


def _check_plan(plan: str) -> None:
    if not plan or len(plan) > 64:
        raise StoreError(f"plan name {plan!r} must be 1-64 characters")
