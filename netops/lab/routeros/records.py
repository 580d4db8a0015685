"""The lab RouterOS's vocabulary: entries, traps, command results, password hashes and the
limits every layer of :class:`~netops.lab.routeros.state.DeviceState` shares."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netops.files import write_atomic

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
FILES_DIR = "files"
_FORMAT = 1
_PBKDF2_ROUNDS = 20_000
_LIST_COMMANDS = ("print", "getall", "add", "set", "unset", "remove", "move", "enable", "disable")
_PRINT_ARGS = {
    ".proplist",
    "detail",
    "without-paging",
    "terse",
    "brief",
    "count-only",
    "follow",
    "follow-only",
    "where",
    "value-list",
    "show-ids",
}
_VIEW_MEMBERS = ("interface", "interface/bridge", "interface/vlan")
_SPECIAL_REF_VALUES = {"none", "all", "static-only", "default", ""}

Entry = dict[str, str]
Listener = Callable[[str, str, "Entry | None"], None]


class Trap(Exception):
    """A command failed the way RouterOS answers with ``!trap``."""

    def __init__(self, message: str, category: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass(frozen=True)
class Result:
    """What a command answered: rows for ``!re`` and an optional ``=ret=`` on ``!done``."""

    rows: list[Entry]
    ret: str | None = None


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _PBKDF2_ROUNDS)
    return f"pbkdf2-sha256${salt}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        _, salt, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt), stored)


def _mac(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return ":".join(f"{b:02X}" for b in (b"\x48\xa9\x8a" + digest[:3]))


def _in_range(value: str, low: int, high: int) -> None:
    if not (value.isdigit() and low <= int(value) <= high):
        raise ValueError(value)


def _write_private(path: Path, text: str) -> None:
    write_atomic(path, text, mode=0o600, parents=False, error=None)
