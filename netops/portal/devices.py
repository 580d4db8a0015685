"""A phone whose MAC address changed: its voucher and its free allowance follow it.

Android 10+, iOS 14+ and Windows join each network with a private (random, locally
administered) MAC, and may pick a new one later (Android's non-persistent mode, iOS 18's
"rotating" address, Windows' "change daily"). The gateway and the RADIUS server only see
the MAC, so without this module a citizen whose phone changed address is told their own
voucher "is already used on another device", and a phone could take a fresh click-through
allowance with every new address.

Two proofs that it is the same phone (docs/portal.md, "Private MAC addresses"):

* the voucher code itself, typed again on a private MAC: the binding moves to the new
  address;
* the device cookie (``netops_device``) the portal set at the last login, signed, kept
  by the phone's login window or browser: it names the voucher or today's click-through
  allowance, and that allowance moves to the new address with the time already used.

Either way a binding moves at most :data:`REBIND_LIMIT` times in :data:`REBIND_WINDOW`
per voucher or allowance, never while the voucher's Simultaneous-Use slots are taken by
other devices, and each move is logged with pseudonyms only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from fastapi import Request, Response

from netops.inventory.models import Hotspot
from netops.portal.login import LoginCheck
from netops.portal.state import Portal
from netops.radius.logsafe import subject
from netops.store.codes import (
    clickthrough_username,
    is_locally_administered,
    looks_like_voucher,
    normalise_code,
)
from netops.store.devices import Rebind
from netops.store.types import Session

log = logging.getLogger("netops.portal")

DEVICE_COOKIE = "netops_device"
DEVICE_MAX_AGE = 30 * 24 * 3600
REBIND_LIMIT = 3
REBIND_WINDOW = timedelta(hours=24)


def device_login(portal: Portal, request: Request) -> str | None:
    """The user name the phone's device cookie names (its last login here), if genuine."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or len(token) > 1024:
        return None
    body = portal.signer.verify("device", token, time.time(), DEVICE_MAX_AGE)
    name = body.get("u") if body else None
    return name if isinstance(name, str) else None


def remember_device(portal: Portal, response: Response, check: LoginCheck, mac: str | None) -> None:
    """At the hand-off of a login to the gateway: note whether the phone's MAC is a private
    address (for the console), and give the phone the device cookie naming its voucher or
    click-through allowance (other logins have no binding to follow)."""
    if mac:
        portal.store.note_private(mac, portal.now())
    if check.kind not in ("voucher", "clickthrough") or check.username is None:
        return
    token = portal.signer.sign("device", {"u": check.username}, time.time())
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=portal.secure,
        path="/",
    )


def _move(portal: Portal, username: str, mac: str, now: datetime, via: str) -> Rebind:
    """Move ``username``'s binding to ``mac`` within the limit, and log what happened with
    pseudonyms only."""
    moved = portal.store.rebind(
        username, mac, now=now, limit=REBIND_LIMIT, window=REBIND_WINDOW, via=via
    )
    if moved.outcome == "limit":
        log.info(
            "binding of %s not moved to a new device: %d moves in 24 h (%s)",
            subject(username),
            moved.moves,
            via,
        )
    elif moved.outcome == "moved":
        log.info(
            "binding of %s moved to a new %s MAC (%s), move %d of %d in 24 h",
            subject(username),
            "private" if is_locally_administered(mac) else "universal",
            via,
            moved.moves,
            REBIND_LIMIT,
        )
    return moved


TOO_OFTEN = LoginCheck(error="error.moved_too_often")
IN_USE = LoginCheck(error="error.in_use")


def _in_use_elsewhere(portal: Portal, username: str, plan: str, mac: str) -> bool:
    """Whether the plan's Simultaneous-Use slots are taken by sessions of ``username`` at
    other addresses: then its binding does not move (the RADIUS server would refuse the
    login anyway, and the citizen reads why here)."""
    try:
        slots = portal.inventory.plan(plan).simultaneous_use
    except KeyError:
        slots = 1
    device = portal.store.mac_pseudonym(mac)
    others = [s for s in portal.store.open_sessions(username) if s.mac != device]
    return len(others) >= slots


def rebind_voucher(
    portal: Portal, request: Request, code: str, mac: str | None, now: datetime
) -> LoginCheck | None:
    """A voucher bound to another device, typed on this one: its check when the binding may
    move here (a private MAC, or this phone's device cookie names the voucher), else None
    (the caller keeps "already used on another device")."""
    if not mac or not looks_like_voucher(code.strip()):
        return None
    sub = portal.store.lookup(normalise_code(code.strip()), reveal=False)
    if sub is None or sub.kind != "voucher" or sub.shared:
        return None
    by_cookie = device_login(portal, request) == sub.username
    if not by_cookie and not is_locally_administered(mac):
        return None
    if _in_use_elsewhere(portal, sub.username, sub.plan, mac):
        return IN_USE
    moved = _move(portal, sub.username, mac, now, "cookie" if by_cookie else "code")
    if moved.outcome == "limit":
        return TOO_OFTEN
    if moved.outcome == "none":
        return None
    # The gateway gets the voucher's keyed name and its hand-off password, never the code.
    return LoginCheck(
        username=sub.username, password=portal.store.voucher_handoff(sub.username), kind="voucher"
    )


def carry_clickthrough(
    portal: Portal, request: Request, mac: str | None, hotspot: Hotspot | None, now: datetime
) -> LoginCheck | None:
    """Today's free allowance of the phone the device cookie names, moved to this MAC, with
    a fresh password; None when the cookie names no allowance of today (the ordinary
    click-through then applies)."""
    if not mac or hotspot is None:
        return None
    named = device_login(portal, request)
    today = now.astimezone(portal.zone).date()
    if named is None or not named.startswith("ct-") or not named.endswith(f"-{today:%Y%m%d}"):
        return None
    device = portal.store.mac_pseudonym(mac)
    if device is None or clickthrough_username(device, today) == named:
        return None
    allowance = portal.store.lookup(named, reveal=False)
    if allowance is None or allowance.kind != "clickthrough":
        return None
    if _in_use_elsewhere(portal, named, allowance.plan, mac):
        return IN_USE
    moved = _move(portal, named, mac, now, "cookie")
    if moved.outcome == "limit":
        return TOO_OFTEN
    if moved.outcome == "none":
        return None
    password = portal.store.fresh_clickthrough_password(named)
    if password is None:
        return None
    return LoginCheck(username=named, password=password, kind="clickthrough")


def private_devices(portal: Portal, sessions: Iterable[Session]) -> set[str]:
    """The MAC pseudonyms among ``sessions`` that were private (locally administered)
    addresses when the portal saw them: the console marks them."""
    return portal.store.private_devices(s.mac for s in sessions if s.mac)
