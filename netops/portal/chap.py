"""CHAP answers the gateways expect from a login page. Pure functions, no I/O.

MikroTik (http-chap): the router hands the page ``chap-id`` and ``chap-challenge`` as
octal-escaped strings (``\\357`` …) and expects the page to send
``password = hex(MD5(chap-id + password + chap-challenge))`` — what RouterOS's own
``login.html`` does with ``hexMD5('$(chap-id)' + password + '$(chap-challenge)')``.

CoovaChilli (UAM): the redirect carries ``challenge`` as 32 hex digits; with a UAM secret
the CHAP challenge is ``MD5(challenge + uamsecret)``, and the page sends
``response = hex(MD5(0x00 + password + challenge'))`` to ``/logon`` (CHAP identifier 0),
as in CoovaChilli's ``hotspotlogin.cgi``.
"""

from __future__ import annotations

import hashlib
import re

_OCTAL = re.compile(r"\\([0-7]{1,3})")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


class ChapFormatError(ValueError):
    """A chap-id / challenge from the gateway is not in the expected form."""


def unescape_mikrotik(value: str) -> bytes:
    """RouterOS's ``\\ooo`` octal escapes (other characters literal, Latin-1) → bytes."""
    out = bytearray()
    pos = 0
    for match in _OCTAL.finditer(value):
        out += value[pos : match.start()].encode("latin-1", errors="strict")
        number = int(match.group(1), 8)
        if number > 0xFF:
            raise ChapFormatError(f"octal escape \\{match.group(1)} is larger than a byte")
        out.append(number)
        pos = match.end()
    try:
        out += value[pos:].encode("latin-1")
    except UnicodeEncodeError:
        raise ChapFormatError("chap value holds characters outside Latin-1") from None
    return bytes(out)


def escape_mikrotik(data: bytes) -> str:
    """bytes → RouterOS's octal-escaped form (every byte as ``\\ooo``), as the router sends."""
    return "".join(f"\\{b:03o}" for b in data)


def mikrotik_chap_response(chap_id: str, password: str, chap_challenge: str) -> str:
    """The hex MD5 a MikroTik http-chap login expects in ``password``."""
    ident = unescape_mikrotik(chap_id)
    if len(ident) != 1:
        raise ChapFormatError("chap-id must be exactly one byte")
    challenge = unescape_mikrotik(chap_challenge)
    if not challenge:
        raise ChapFormatError("chap-challenge is empty")
    return hashlib.md5(ident + password.encode("utf-8") + challenge).hexdigest()


def chap_verify(ident: int, password: str, challenge: bytes, response: bytes) -> bool:
    """Whether ``response`` is MD5(ident + password + challenge) (RFC 1994)."""
    expected = hashlib.md5(bytes([ident]) + password.encode("utf-8") + challenge).digest()
    return expected == response


def coova_challenge(challenge_hex: str, uam_secret: str | None) -> bytes:
    """The CHAP challenge CoovaChilli puts in the Access-Request for a UAM ``challenge``."""
    if not _HEX32.match(challenge_hex):
        raise ChapFormatError("the UAM challenge must be 32 hexadecimal digits")
    raw = bytes.fromhex(challenge_hex)
    if uam_secret:
        return hashlib.md5(raw + uam_secret.encode("utf-8")).digest()
    return raw


def coova_response(challenge_hex: str, password: str, uam_secret: str | None) -> str:
    """The hex ``response`` for CoovaChilli's ``/logon`` (CHAP identifier 0)."""
    challenge = coova_challenge(challenge_hex, uam_secret)
    return hashlib.md5(b"\x00" + password.encode("utf-8") + challenge).hexdigest()
