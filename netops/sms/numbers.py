"""Indonesian mobile numbers: what a citizen may type, and the one form netops keeps.

A number is accepted in national form (``0812-3456-7890``), with the country code
(``+62 812 3456 7890`` or ``62812…``), with spaces, dots, dashes or brackets, and kept in
E.164 (``+6281234567890``). It must start with a mobile operator's prefix (``08xx``) and
have 10 to 13 digits in national form. No I/O here.
"""

from __future__ import annotations

import re

# 08xx prefixes of Indonesia's mobile operators (Telkomsel, Indosat, XL/Axis, Tri, Smartfren).
MOBILE_PREFIXES = frozenset(
    [f"081{d}" for d in "123456789"]
    + ["0821", "0822", "0823"]
    + ["0831", "0832", "0833", "0838"]
    + [f"085{d}" for d in "123456789"]
    + ["0877", "0878", "0879"]
    + [f"088{d}" for d in "123456789"]
    + [f"089{d}" for d in "56789"]
)
NATIONAL_MIN, NATIONAL_MAX = 10, 13
_SEPARATORS = re.compile(r"[\s.\-()/]")
MAX_TYPED = 32


def normalise_mobile(text: str) -> str | None:
    """The E.164 form (``+628…``) of an Indonesian mobile number as typed, None when it is
    not one (wrong prefix, wrong length, letters)."""
    if len(text) > MAX_TYPED:
        return None
    digits = _SEPARATORS.sub("", text.strip())
    if digits.startswith("+62"):
        national = "0" + digits[3:]
    elif digits.startswith("62"):
        national = "0" + digits[2:]
    elif digits.startswith("0"):
        national = digits
    else:
        return None
    if not national.isascii() or not national.isdigit():
        return None
    if not NATIONAL_MIN <= len(national) <= NATIONAL_MAX:
        return None
    if national[:4] not in MOBILE_PREFIXES:
        return None
    return "+62" + national[1:]


def masked(e164: str) -> str:
    """A number as a person may be shown it without learning it: ``+62812*****890``."""
    return e164[:6] + "*" * max(0, len(e164) - 9) + e164[-3:]


def spaced(e164: str) -> str:
    """A number as the citizen who typed it reads it: ``0812 3456 7890``."""
    national = "0" + e164[3:]
    return " ".join(national[i : i + 4] for i in range(0, len(national), 4))
