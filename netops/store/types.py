"""The store's records as the RADIUS server and the portal see them: plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SubscriberKind = Literal["user", "voucher", "mac", "clickthrough"]
AccountingStatus = Literal["start", "interim", "stop", "on", "off"]


@dataclass(frozen=True)
class Subscriber:
    """Someone (or something) allowed to log in: a user, a voucher, a MAC or a click-through.

    ``clear_password`` is only set when ``chap_capable``; it lives in memory only and never
    appears in ``repr``.
    """

    username: str
    kind: SubscriberKind
    plan: str
    enabled: bool
    chap_capable: bool
    clear_password: str | None
    bound_mac: str | None
    shared: bool
    first_used_at: datetime | None
    valid_until: datetime | None
    hotspot: str | None
    batch: str | None
    created_at: datetime
    note: str | None = None
    password_hash: str | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        secret = "***" if self.clear_password is not None else None
        return (
            f"Subscriber(username={self.username!r}, kind={self.kind!r}, plan={self.plan!r}, "
            f"enabled={self.enabled}, chap_capable={self.chap_capable}, "
            f"clear_password={secret!r}, bound_mac={self.bound_mac!r}, shared={self.shared}, "
            f"valid_until={self.valid_until!r})"
        )

    __str__ = __repr__

    def expired(self, now: datetime) -> bool:
        """True once ``valid_until`` has passed."""
        return self.valid_until is not None and now >= self.valid_until


@dataclass(frozen=True)
class Usage:
    """What a subscriber has used: seconds and octets (input + output) over some sessions."""

    seconds: int
    octets: int
    sessions: int


@dataclass(frozen=True)
class AuthView:
    """What an Access-Request needs from the store, read in one statement: the subscriber,
    its usage since the start of the day, its open sessions, and whether the calling device
    already holds a Simultaneous-Use slot (asked for with ``now``)."""

    subscriber: Subscriber
    today: Usage
    open_sessions: tuple[Session, ...]
    held: bool = False


@dataclass(frozen=True)
class NewUser:
    """One user for :meth:`Store.add_users` (bulk registration)."""

    username: str
    password: str = field(repr=False)
    plan: str
    chap: bool = True
    note: str | None = None


@dataclass(frozen=True)
class Purged:
    """What :meth:`Store.purge` deleted."""

    sessions: int
    subscribers: int
    vouchers: int = 0
    clickthroughs: int = 0


@dataclass(frozen=True)
class VoucherRenames:
    """What :meth:`Store.rename_vouchers` did after a MAC-key rotation: vouchers renamed
    under the key in force, vouchers already named under it (left alone), and how many
    sessions of renamed vouchers were still open (their NAS keeps accounting under the old
    name until they end)."""

    renamed: int
    current: int
    open_sessions: int


@dataclass(frozen=True)
class AccountingRecord:
    """One Accounting-Request, decoded. Octets are full 64-bit counts (gigawords folded)."""

    status: AccountingStatus
    nas_ip: str
    nas_identifier: str | None
    username: str
    acct_session_id: str
    hotspot: str | None
    mac: str | None
    ip: str | None
    session_time: int
    input_octets: int
    output_octets: int
    input_packets: int
    output_packets: int
    terminate_cause: str | None
    interim_interval: int
    event_time: datetime


@dataclass(frozen=True)
class Session:
    """One accounting session as stored. ``input`` is from the user (upload)."""

    id: int
    username: str
    nas_ip: str
    nas_identifier: str | None
    hotspot: str | None
    acct_session_id: str
    mac: str | None
    ip: str | None
    started_at: datetime
    updated_at: datetime
    stopped_at: datetime | None
    session_time: int
    input_octets: int
    output_octets: int
    terminate_cause: str | None
    input_packets: int = 0
    output_packets: int = 0
    interim_interval: int = 0

    @property
    def active(self) -> bool:
        return self.stopped_at is None

    @property
    def total_octets(self) -> int:
        return self.input_octets + self.output_octets
