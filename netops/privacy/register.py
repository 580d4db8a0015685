"""The data register: every piece of personal data netops holds, declared once here.

Each :class:`DataItem` names its data class (whose retention period the inventory's
``privacy.retention`` gives), what it is, where it lives (table.column or log), why it is
held and on which legal basis of UU 27/2022 art. 20(2). ``netops privacy register`` prints
it with the periods filled in: the table a data protection impact assessment starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from netops.inventory.models import Privacy, Retention
from netops.inventory.units import format_duration

DataClass = Literal[
    "accounting_sessions",
    "connection_records",
    "subscriber_accounts",
    "vouchers",
    "clickthroughs",
    "operator_audit",
    "service_logs",
]

# UU 27/2022 art. 20(2)
CONSENT = "consent (art. 20(2)(a))"
CONTRACT = "performing an agreement with the subject (art. 20(2)(b))"
LEGAL_OBLIGATION = "legal obligation of the controller (art. 20(2)(c))"
PUBLIC_TASK = "public service / official authority (art. 20(2)(e))"


@dataclass(frozen=True)
class DataItem:
    """One piece of personal data netops holds."""

    data_class: DataClass
    data: str
    where: str
    purpose: str
    legal_basis: str
    deletion: str


REGISTER: tuple[DataItem, ...] = (
    DataItem(
        "subscriber_accounts",
        "user name (may be a phone number), plan, note, created; password encrypted "
        "(AES-256-GCM) or hashed (scrypt)",
        "subscribers (kind user): username, plan, note, created_at, password_enc, password_hash",
        "let a registered resident or employee log in to the city's Wi-Fi",
        PUBLIC_TASK,
        "after the period without a login (privacy purge); on an erasure request",
    ),
    DataItem(
        "subscriber_accounts",
        "MAC allow-list entry: device pseudonym (keyed HMAC-SHA256), plan, note",
        "subscribers (kind mac): username, note",
        "let the city's own devices (kiosks, CCTV) log in without a portal",
        PUBLIC_TASK,
        "when the operator removes it (radius mac del); never by age",
    ),
    DataItem(
        "vouchers",
        "voucher code (encrypted; known by a keyed name), first use, validity, the device "
        "pseudonym it is bound to",
        "subscribers (kind voucher): username (v-… keyed name), password_enc (the code, "
        "encrypted), first_used_at, valid_until, bound_mac; device_rebinds: username, at, via",
        "time-limited access handed out on paper; one device per code, which follows the "
        "phone to a new private MAC a few times a day",
        PUBLIC_TASK,
        "the period after expiry or revocation (privacy purge)",
    ),
    DataItem(
        "clickthroughs",
        "daily allowance of a device: user name ct-<device pseudonym>-<day>, hotspot, "
        "expiry; password encrypted; the terms' acceptance with the notice version",
        "subscribers (kind clickthrough): username, bound_mac, hotspot, valid_until; "
        "notice_acceptances: device, hotspot, version, accepted_at",
        "one free allowance per device and day after the citizen accepts the terms; "
        "proof of that consent and of the notice shown",
        CONSENT,
        "the period after the allowance expires (privacy purge)",
    ),
    DataItem(
        "accounting_sessions",
        "who used the Wi-Fi when and how much: user name, NAS, hotspot, start, stop, "
        "time, octets, packets, terminate cause; sums of purged sessions; which device "
        "pseudonyms were private (random) MAC addresses",
        "acct_sessions: username, nas_ip, nas_identifier, hotspot, acct_session_id, "
        "started_at, stopped_at, counters; usage_totals; private_macs: device, seen_at",
        "plan limits (daily and total quotas), Simultaneous-Use, capacity and usage reports",
        PUBLIC_TASK,
        "the period after the session ended (privacy purge; never today's sessions while "
        "a plan has a daily limit); totals with their subscriber",
    ),
    DataItem(
        "connection_records",
        "which device (pseudonym) had which client address when",
        "acct_sessions: ip, mac (with started_at, stopped_at); admissions: device",
        "network security and answering lawful requests about an address and a time",
        LEGAL_OBLIGATION,
        "cleared from the session the period after it ended (privacy purge); kept through "
        "an erasure request until then (lawful hold)",
    ),
    DataItem(
        "operator_audit",
        "data subject requests: kind, subject (user name or pseudonym), received, due, "
        "answered, outcome; operators' actions (who, when, what, on which subject, from where)",
        "privacy_requests; audit_log (hash chain) and audit_anchor (where it starts)",
        "accountability: showing each request was answered in time (art. 47)",
        LEGAL_OBLIGATION,
        "the period after the request was answered or the action recorded (privacy purge; "
        "the audit trail loses its oldest rows behind a sealed anchor)",
    ),
    DataItem(
        "service_logs",
        "RADIUS and portal events with subjects pseudonymised (mac~, voucher~, phone~, "
        "clickthrough~), NAS addresses; never a clear MAC, password, code or phone",
        "the system journal (journalctl -u netops-*), netops up's log/ folder",
        "operating and troubleshooting the service",
        PUBLIC_TASK,
        "the journal's own retention (set MaxRetentionSec= at most connection_records)",
    ),
)


@dataclass(frozen=True)
class RegisterRow:
    """A register entry with its retention period from the inventory."""

    item: DataItem
    retention_s: int | None

    @property
    def retention(self) -> str:
        if self.retention_s is None:
            return "set by the system journal"
        return format_duration(self.retention_s)


def period_of(retention: Retention, data_class: DataClass) -> int | None:
    """The inventory's period for ``data_class`` in seconds (None: not netops's to set)."""
    value = getattr(retention, data_class, None)
    return int(value) if isinstance(value, int) else None


def register(privacy: Privacy) -> list[RegisterRow]:
    """The register with the periods of ``privacy`` filled in."""
    return [RegisterRow(item, period_of(privacy.retention, item.data_class)) for item in REGISTER]
