"""Pure helpers for the names subscribers go by: voucher codes, MAC addresses, click-throughs.

No I/O here; the store uses them to create and to recognise usernames.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from datetime import date

# No 0/O, 1/I/L: a code read aloud or copied from paper cannot be mistaken.
VOUCHER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VOUCHER_LENGTH = 10
VOUCHER_GROUPS = (4, 4, 2)
VOUCHER_BITS = VOUCHER_LENGTH * math.log2(len(VOUCHER_ALPHABET))

# A voucher batch name (the admin API and the CLI both hold to it): it shows up in lists,
# printouts and CSV files, so it is a plain name, never something a spreadsheet evaluates.
BATCH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
BATCH_RULE = "1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit"

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_SEPARATORS = re.compile(r"[\s\-:._]")


def is_batch_name(text: str) -> bool:
    """True when ``text`` may name a voucher batch (:data:`BATCH_NAME`)."""
    return BATCH_NAME.fullmatch(text) is not None


def new_voucher_code() -> str:
    """A fresh random voucher code, grouped for reading: ``K7QX-M3PA-RT`` (~49.5 bits)."""
    raw = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_LENGTH))
    return group_code(raw)


def group_code(code: str) -> str:
    """``K7QXM3PART`` → ``K7QX-M3PA-RT``."""
    parts, pos = [], 0
    for size in VOUCHER_GROUPS:
        parts.append(code[pos : pos + size])
        pos += size
    if pos < len(code):
        parts.append(code[pos:])
    return "-".join(p for p in parts if p)


def normalise_code(text: str) -> str:
    """What a citizen typed → the stored form: upper-case, dashes and spaces dropped."""
    return re.sub(r"[\s\-]", "", text).upper()


def looks_like_voucher(text: str) -> bool:
    """True when ``text`` (after normalising) has the shape of a voucher code."""
    code = normalise_code(text)
    return len(code) == VOUCHER_LENGTH and all(c in VOUCHER_ALPHABET for c in code)


def normalise_mac(text: str) -> str | None:
    """Any common MAC spelling (``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff``, ``AABBCCDDEEFF``)
    → ``aa:bb:cc:dd:ee:ff``; None when ``text`` is not a MAC address."""
    hexes = _SEPARATORS.sub("", text.strip()).lower()
    if not _MAC_HEX.match(hexes):
        return None
    return ":".join(hexes[i : i + 2] for i in range(0, 12, 2))


def is_locally_administered(mac: str) -> bool:
    """Whether ``mac`` is a locally administered unicast address (bit 0x02 of the first
    octet set, 0x01 clear): what Android 10+, iOS 14+ and Windows use as a per-network
    "private" or "random" address. False for anything that is not a MAC."""
    canonical = normalise_mac(mac)
    if canonical is None:
        return False
    first = int(canonical[:2], 16)
    return bool(first & 0x02) and not first & 0x01


# A MAC address as stored: ``mac~`` and 13 base32 characters (65 bits) of
# HMAC-SHA256(MAC key, canonical MAC); 17 characters, the width of a clear MAC column.
PSEUDONYM_PREFIX = "mac~"
_PSEUDONYM = re.compile(r"^mac~[a-z2-7]{13}$")
_CLICKTHROUGH_NAME = re.compile(r"^ct-([a-z2-7]{13})-\d{8}$")


def mac_pseudonym(mac: str, key: bytes) -> str | None:
    """The keyed pseudonym of a MAC address in any spelling (``mac~…``); a pseudonym is
    returned as it is, anything else gives None. Equal MACs give equal pseudonyms under one
    key; without the key a pseudonym does not give the device away."""
    if is_mac_pseudonym(mac):
        return mac
    canonical = normalise_mac(mac)
    if canonical is None:
        return None
    digest = hmac.new(key, canonical.encode("ascii"), hashlib.sha256).digest()
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode("ascii")[:13].lower()


def is_mac_pseudonym(text: str) -> bool:
    """True when ``text`` is a stored MAC pseudonym (``mac~…``)."""
    return _PSEUDONYM.fullmatch(text) is not None


def clickthrough_username(device: str, day: date) -> str:
    """The per-device, per-day username of a click-through allowance,
    ``ct-<pseudonym>-<yyyymmdd>``: ``device`` is the MAC's pseudonym (:func:`mac_pseudonym`),
    so the name never carries the clear MAC."""
    if not is_mac_pseudonym(device):
        raise ValueError("a click-through name is made from a MAC pseudonym")
    return f"ct-{device[len(PSEUDONYM_PREFIX) :]}-{day:%Y%m%d}"


def clickthrough_device(username: str) -> str | None:
    """The MAC pseudonym inside a click-through user name; None for any other name."""
    match = _CLICKTHROUGH_NAME.fullmatch(username)
    return PSEUDONYM_PREFIX + match.group(1) if match else None


# A voucher as RADIUS and the records know it: ``v-`` and 13 base32 characters (65 bits) of
# HMAC-SHA256(pseudonym key, label + normalised code). The code is what a citizen types; the
# name is what the gateway, accounting, logs and the console see, and it does not give the
# code away.
VOUCHER_NAME_PREFIX = "v-"
_VOUCHER_NAME = re.compile(r"^v-[a-z2-7]{13}$")
_VOUCHER_LABEL = b"netops voucher name v1\x00"
_HANDOFF_LABEL = b"netops voucher hand-off v1\x00"


def voucher_name(code: str, key: bytes) -> str | None:
    """The RADIUS user name of a voucher code in any spelling (``v-…``); a voucher name is
    returned as it is, anything that is not shaped like a code gives None."""
    if is_voucher_name(code):
        return code
    if not looks_like_voucher(code):
        return None
    digest = hmac.new(key, _VOUCHER_LABEL + normalise_code(code).encode("ascii"), hashlib.sha256)
    return VOUCHER_NAME_PREFIX + base64.b32encode(digest.digest()).decode("ascii")[:13].lower()


def is_voucher_name(text: str) -> bool:
    """True when ``text`` is a voucher's derived user name (``v-…``)."""
    return _VOUCHER_NAME.fullmatch(text) is not None


def voucher_handoff_password(name: str, key: bytes) -> str:
    """The password the portal hands to the gateway with a voucher's derived name: a keyed
    hash of the name, so it is never the code and only the store's key can make it."""
    digest = hmac.new(key, _HANDOFF_LABEL + name.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:22]


def new_clickthrough_password() -> str:
    """A random password for a click-through allowance (the portal submits it, nobody types it)."""
    return secrets.token_urlsafe(12)
