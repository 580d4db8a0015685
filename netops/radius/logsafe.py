"""What the RADIUS server may write to its log about a request, and how often.

Everything in a request is written by whoever sent the datagram: a User-Name may carry a
newline that would forge a log line, a voucher code or a MAC address is personal data or a
credential. :func:`printable` (shared with the portal, :mod:`netops.logsafe`) escapes control
characters in any such value; :func:`subject`
also replaces names that are credentials or identify a device or a person (MAC addresses,
click-through names, voucher codes, phone numbers) by a pseudonym that is stable within the
process, so a helpdesk can follow one device's lines without the log holding its address.

:class:`DropLog` says why datagrams are dropped, naming the source address and the reason,
at most once per source and reason a minute, with a count of the lines it held back: a
misconfigured NAS shows in the log, a flood of spoofed packets does not fill it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from netops.logsafe import printable
from netops.radius.protocol import normalise_mac
from netops.store.codes import looks_like_voucher, normalise_code

__all__ = ["DROP_REASONS", "DropLog", "printable", "pseudonym", "subject"]

log = logging.getLogger("netops.radius")

_SALT = secrets.token_bytes(16)
_PHONE = re.compile(r"\+?[0-9][0-9 .-]{6,18}[0-9]")
# ct-<device>-<yyyymmdd>: the device is the MAC's stored pseudonym (13 base32), or a clear
# MAC (12 hex) in names from before migration 0003.
_CLICKTHROUGH = re.compile(r"ct-(?:[0-9a-f]{12}|[a-z2-7]{13})-\d{8}")


def pseudonym(value: str) -> str:
    """A short keyed hash of ``value``: the same within this process, useless outside it."""
    digest = hmac.new(_SALT, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    return digest[:10]


def subject(username: str) -> str:
    """A User-Name as the log may show it: a MAC address, a click-through name, a voucher
    code or a phone number as ``mac~…`` / ``voucher~…`` / ``phone~…`` pseudonyms, any other
    name escaped."""
    name = username.strip()
    mac = normalise_mac(name)
    if mac is not None:
        return f"mac~{pseudonym(mac)}"
    if _CLICKTHROUGH.fullmatch(name):
        return f"clickthrough~{pseudonym(name[3:-9])}"
    if _PHONE.fullmatch(name):
        return f"phone~{pseudonym(re.sub(r'[^0-9]', '', name))}"
    if looks_like_voucher(name):
        return f"voucher~{pseudonym(normalise_code(name))}"
    return printable(name)


DROP_REASONS = {
    "unknown_nas": "unknown NAS (no inventory device with a RADIUS profile has this address)",
    "bad_authenticator": "bad Request Authenticator (wrong shared secret?)",
    "bad_message_authenticator": "bad Message-Authenticator (wrong shared secret?)",
    "missing_message_authenticator": "missing Message-Authenticator, which this NAS must send",
    "malformed": "malformed packet",
}

MAX_KEYS = 4096  # (source, reason) pairs remembered; beyond, spoofed sources share one


@dataclass
class _Window:
    ends: float
    kind: str
    nas: str | None
    detail: str
    held: int = 0


class DropLog:
    """Log lines for dropped datagrams: one per (source address, reason) per ``interval``
    seconds, the next one (or :meth:`flush`) saying how many were held back meanwhile."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def dropped(
        self, kind: str, source: str, reason: str, detail: str = "", nas: str | None = None
    ) -> None:
        """Note one dropped datagram from ``source`` (its address) for ``reason``."""
        if reason not in DROP_REASONS:  # duplicates are retransmissions, not a problem
            return
        now = self.clock()
        key = (source, reason)
        with self._lock:
            window = self._windows.get(key)
            if window is None and len(self._windows) >= MAX_KEYS:
                self._prune(now)
                if len(self._windows) >= MAX_KEYS:
                    key = ("other sources", reason)
                    window = self._windows.get(key)
            if window is not None and window.ends > now:
                window.held += 1
                return
            held = window.held if window is not None else 0
            self._windows[key] = _Window(now + self.interval, kind, nas, detail)
        self._write(key[0], reason, _Window(0.0, kind, nas, detail, held), first=True)

    def flush(self) -> None:
        """Write the counts held back in windows that have ended; forget ended windows."""
        now = self.clock()
        ended: list[tuple[tuple[str, str], _Window]] = []
        with self._lock:
            for key, window in list(self._windows.items()):
                if window.ends <= now:
                    del self._windows[key]
                    if window.held:
                        ended.append((key, window))
        for (source, reason), window in ended:
            self._write(source, reason, window, first=False)

    def _prune(self, now: float) -> None:
        for key, window in list(self._windows.items()):
            if window.ends <= now and not window.held:
                del self._windows[key]

    def _write(self, source: str, reason: str, window: _Window, *, first: bool) -> None:
        what = DROP_REASONS[reason]
        if window.detail:
            what = f"{what}: {printable(window.detail, 120)}"
        where = f"{source} ({window.nas})" if window.nas else source
        minutes = f"{self.interval / 60:g} min" if self.interval >= 60 else f"{self.interval:g} s"
        if first:
            more = (
                f" ({window.held} more like it in the last {minutes} not logged)"
                if window.held
                else ""
            )
            log.warning("dropped %s request from %s: %s%s", window.kind, where, what, more)
        else:
            log.warning(
                "dropped %d more %s request(s) from %s in the last %s: %s",
                window.held,
                window.kind,
                where,
                minutes,
                what,
            )
