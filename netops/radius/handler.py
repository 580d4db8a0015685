"""Authentication and accounting decisions against the store (synchronous; run in threads).

The server decodes packets and hands this module plain values; this module asks the store
and the pure :mod:`netops.radius.policy`, and returns what to answer. It never sees bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from netops.errors import RadiusError, SecretError
from netops.inventory.models import Device, Hotspot, Inventory, Plan, RadiusProfile
from netops.radius.backend import RadiusStore
from netops.radius.logsafe import printable, subject
from netops.radius.messages import RejectReason, reject_message
from netops.radius.policy import Consumed, Decision, authorize, quota_exhausted
from netops.radius.protocol import Chap, DropReason, Hardening, chap_matches
from netops.store.codes import group_code, is_voucher_name, normalise_code

if TYPE_CHECKING:
    from netops.store import AccountingRecord, Subscriber

log = logging.getLogger("netops.radius")

ADMIT_HOLD = 60  # seconds the store holds a slot for an Accept whose Start has not come


@dataclass
class Nas:
    """A RADIUS client: the gateway device, its profile, the resolved secret, its hotspots."""

    address: str
    device: Device
    profile: RadiusProfile
    secret: bytes = field(repr=False)
    hotspots: tuple[Hotspot, ...]
    hardening: Hardening

    @property
    def name(self) -> str:
        return self.device.hostname

    def hotspot_for(self, called_station: str | None, nas_identifier: str | None) -> str | None:
        """The hotspot a request belongs to: named by Called-Station-Id / NAS-Identifier
        (MikroTik sends the hotspot server name), else the gateway's first hotspot."""
        for hint in (called_station, nas_identifier):
            if hint:
                for spot in self.hotspots:
                    if hint in (spot.id, spot.ssid) or hint.endswith(":" + spot.ssid):
                        return spot.id
        return self.hotspots[0].id if self.hotspots else None


def nas_table(inventory: Inventory) -> dict[str, Nas]:
    """Source address → :class:`Nas` for every inventory device with a RADIUS profile.

    Secrets are resolved here, once, when the server starts: the hot path must not read
    the environment or files per packet.
    """
    table: dict[str, Nas] = {}
    for address, (device, profile) in inventory.nas_clients().items():
        try:
            secret = profile.secret.reveal().encode()
        except SecretError as exc:
            raise RadiusError(f"NAS {device.hostname} ({address}): {exc}") from None
        table[address] = Nas(
            address=address,
            device=device,
            profile=profile,
            secret=secret,
            hotspots=inventory.hotspots_at(device.hostname),
            hardening=Hardening(
                require_message_authenticator=profile.require_message_authenticator,
                limit_proxy_state=profile.limit_proxy_state,
            ),
        )
    return table


@dataclass(slots=True)  # not frozen: a frozen dataclass is built field by field, slowly
class AuthInput:
    """An Access-Request, decoded and checked: who, with what credentials, from where."""

    username: str
    password: str | None = field(default=None, repr=False)
    chap: Chap | None = field(default=None, repr=False)
    mac: str | None = None
    eap: bool = False


@dataclass(slots=True)  # not frozen: built for every Access-Request
class AuthResult:
    """The decision, and the language a Reply-Message must use."""

    decision: Decision
    language: str
    username: str
    plan: str | None = None

    @property
    def reply_message(self) -> str | None:
        reason = self.decision.reason
        return reject_message(reason, self.language) if reason else None


class Handler:
    """Authentication and accounting logic for one server process."""

    def __init__(self, inventory: Inventory, store: RadiusStore) -> None:
        self.inventory = inventory
        self.store = store
        self.timezone = ZoneInfo(inventory.meta.timezone)
        self._admitted: dict[tuple[str, str | None], float] = {}
        self._day: tuple[datetime, datetime] | None = None

    def harden(
        self, nas: Nas, *, has_ma: bool, has_proxy_state: bool, has_eap: bool
    ) -> DropReason | None:
        """Why an Access-Request from ``nas`` must be dropped (BlastRADIUS), or None.

        What ``auto`` learns about a NAS is kept in the store (``nas_guards``) when the store
        offers it: every worker, every server on the store and a restarted server decide
        alike. While nothing can be learnt any more (the NAS must send a
        Message-Authenticator, or the settings are fixed), the store is not asked."""
        guard = nas.hardening
        read = getattr(self.store, "nas_guard", None)
        if not guard.settled and read is not None:
            try:
                guard.merge(*read(nas.address))
            except Exception as exc:  # the store is down: authentication fails later
                log.debug("cannot read the BlastRADIUS record of %s: %s", nas.name, exc)
        guard.changed = False
        reason = guard.check(has_ma=has_ma, has_proxy_state=has_proxy_state, has_eap=has_eap)
        if guard.changed:
            if guard.learnt_require:
                log.warning(
                    "NAS %s sent a Message-Authenticator: from now on every Access-Request "
                    "from it must carry one (require_message_authenticator: auto)",
                    nas.name,
                )
            elif not has_ma:
                log.warning(
                    "NAS %s sends Access-Requests without Message-Authenticator, open to "
                    "BlastRADIUS (CVE-2024-3596): upgrade it and set "
                    "require_message_authenticator: yes",
                    nas.name,
                )
            note = getattr(self.store, "note_nas_guard", None)
            if note is not None:
                try:
                    note(nas.address, require=guard.learnt_require, limit=guard.learnt_limit)
                except Exception as exc:
                    log.debug("cannot keep the BlastRADIUS record of %s: %s", nas.name, exc)
        return reason

    def day_start(self, now: datetime) -> datetime:
        """Midnight of ``now``'s day in the city's time zone, as UTC (daily limits reset).

        Remembers the current day (start, next start): every request asks, and the answer
        changes once a day."""
        day = self._day
        if day is not None and day[0] <= now < day[1]:
            return day[0]
        local = now.astimezone(self.timezone)
        midnight = datetime.combine(local.date(), time(0), tzinfo=self.timezone)
        following = datetime.combine(
            local.date() + timedelta(days=1), time(0), tzinfo=self.timezone
        )
        start = midnight.astimezone(UTC)
        self._day = (start, following.astimezone(UTC))
        return start

    def plan_of(self, name: str) -> Plan | None:
        try:
            return self.inventory.plan(name)
        except KeyError:
            return None

    # -- authentication ------------------------------------------------------------------

    def authenticate(self, nas: Nas, req: AuthInput, now: datetime) -> AuthResult:
        """Check credentials, then the plan's limits; never raises for a user's mistake."""
        language = nas.profile.language

        def reject(
            reason: RejectReason, lang: str = language, plan: str | None = None
        ) -> AuthResult:
            return AuthResult(Decision.reject(reason), lang, req.username, plan)

        if req.eap:
            return reject("method")
        typed = req.username
        # The store also finds a MAC or a voucher code however the NAS spelled it.
        view = self.store.auth_view(
            req.username,
            self.day_start(now),
            mac=req.mac,
            nas_ip=nas.address,
            now=now,
            hold_s=ADMIT_HOLD,
        )
        if view is None:
            return reject("credentials")
        sub = view.subscriber
        username = sub.username
        # From here on the request is named as the store knows it: a voucher typed on the
        # gateway's own page is its derived name, never the code, in results and logs.
        req = replace(req, username=username) if username != req.username else req
        if not self._credentials_ok(sub, req, typed):
            return reject("credentials")
        plan = self.plan_of(sub.plan)
        if plan is None:
            log.warning(
                "subscriber %s has plan %s, which the inventory lacks",
                subject(username),
                printable(sub.plan),
            )
            return reject("plan")
        language = plan.language or language
        if not sub.enabled:
            return reject("disabled", language, plan.name)
        # The store holds MACs as keyed pseudonyms: compare the calling device's.
        device = self.store.mac_pseudonym(req.mac)
        if sub.kind == "clickthrough" and (sub.bound_mac is None or device != sub.bound_mac):
            # The portal hands a click-through allowance to the device it saw: only that
            # device (as the NAS reports it) may use it, or its time would be spent by others.
            return reject("device", language, plan.name)
        if sub.kind == "voucher":
            if sub.bound_mac and not sub.shared and device and device != sub.bound_mac:
                return reject("bound_mac", language, plan.name)
            if sub.valid_until is not None and now >= sub.valid_until:
                return reject("expired", language, plan.name)
            if sub.first_used_at is None:
                sub = self.store.claim_voucher(sub.username, req.mac, now)
                if sub.bound_mac and not sub.shared and device and device != sub.bound_mac:
                    return reject("bound_mac", language, plan.name)
        today = view.today
        total = self.store.usage(username) if plan.data_quota is not None else today
        open_sessions = [
            s
            for s in view.open_sessions
            # The same device again at the same NAS replaces its old session (lost Stop).
            if not (device and s.mac == device and s.nas_ip == nas.address)
        ]
        used_today = Consumed(today.seconds, today.octets)
        decision = authorize(
            plan=plan,
            platform=nas.device.platform,
            now=now,
            today=used_today,
            total=used_today if total is today else Consumed(total.seconds, total.octets),
            open_sessions=len(open_sessions),
            valid_until=sub.valid_until,
            timezone=self.timezone,
        )
        if decision.accept and not self._admit(
            username, plan.simultaneous_use, req.mac, nas, now, held=view.held
        ):
            # Another server (or worker) gave the last slot away since we counted.
            decision = Decision.reject("simultaneous_use")
        return AuthResult(decision, language, username, plan.name)

    def _admit(
        self, username: str, limit: int, mac: str | None, nas: Nas, now: datetime, *, held: bool
    ) -> bool:
        """The store's atomic Simultaneous-Use hold, skipped while this device's hold from a
        recent admission is still fresh (it would only be renewed: a write per login), as
        this process remembers it or the store's read (``held``) just found it."""
        key = (username, mac)
        if mac is not None and not held:
            fresh_until = self._admitted.get(key)
            if fresh_until is not None and fresh_until > now.timestamp():
                return True
        if not held and not self.store.admit(
            username, limit, mac=mac, now=now, nas_ip=nas.address, checked=True
        ):
            return False
        if mac is not None:
            if len(self._admitted) > 100_000:
                self._admitted.clear()
            self._admitted[key] = now.timestamp() + ADMIT_HOLD / 2
        return True

    def forget_admission(self, username: str, mac: str | None) -> None:
        """A Stop ended the device's session: its next login must take a slot again."""
        self._admitted.pop((username, mac), None)

    def _credentials_ok(self, sub: Subscriber, req: AuthInput, typed: str) -> bool:
        """Whether the request proves ``sub``; ``typed`` is the User-Name as the NAS sent it."""
        if sub.kind == "mac":
            # MAC authentication: the NAS sends the MAC as User-Name and an empty (or the
            # MAC as) password; the device must also be the one calling.
            if req.mac is not None and self.store.mac_pseudonym(req.mac) != sub.username:
                return False
            if req.chap is not None:
                return any(chap_matches(req.chap, pw) for pw in ("", typed, sub.username))
            return req.password in (None, "", typed, sub.username)
        if req.chap is not None and sub.kind == "voucher":
            return any(chap_matches(req.chap, pw) for pw in self._voucher_secrets(sub, typed))
        if req.chap is not None:
            if not sub.chap_capable or sub.clear_password is None:
                return False
            return chap_matches(req.chap, sub.clear_password)
        if req.password is None:
            return False
        return self.store.check_password(sub, req.password)

    def _voucher_secrets(self, sub: Subscriber, typed: str) -> list[str]:
        """The passwords a CHAP login of voucher ``sub`` may have used: the portal's hand-off
        password, and, when the citizen typed the code on the gateway's own login page
        (User-Name = the code), the code as printed or run together, in either case."""
        found = [sub.clear_password] if sub.clear_password else []
        if not is_voucher_name(typed) and self.store.voucher_name(typed) == sub.username:
            code = normalise_code(typed)
            for spelling in (code, group_code(code)):
                found += [spelling, spelling.lower()]
        return found

    # -- accounting ----------------------------------------------------------------------

    def interim(self, rec: AccountingRecord, now: datetime) -> RejectReason | None:
        """Store an Interim-Update and say whether its user has used up a data limit of the
        plan (one statement for both: :meth:`RadiusStore.account_with_usage`)."""
        session, plan_name, octets = self.store.account_with_usage(rec, self.day_start(now))
        plan = self.plan_of(plan_name) if plan_name else None
        if plan is None or (plan.data_quota is None and plan.daily_data is None):
            return None
        today = Consumed(0, octets)
        if plan.data_quota is None:
            return quota_exhausted(plan, today, today)
        total = self.store.usage(session.username)
        return quota_exhausted(plan, today, Consumed(total.seconds, total.octets))
