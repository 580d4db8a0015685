"""How subscriber passwords are kept: encrypted when CHAP needs them back, hashed otherwise.

CHAP proves knowledge of the password by hashing it with a challenge, so the server must be
able to recover the clear password: those secrets are encrypted with AES-256-GCM under a key
the operator gives as ``NETOPS_STORE_KEY`` (read by the CLI and handed down in
:class:`StoreKeys`; the username is bound in as associated data, so ciphertexts cannot
be swapped between rows). PAP-only accounts keep a scrypt hash instead: a stolen database does
not give their passwords away.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from netops.errors import StoreError

log = logging.getLogger("netops.store")

KEY_ENV = "NETOPS_STORE_KEY"
MAC_KEY_ENV = "NETOPS_MAC_KEY"
KEY_BYTES = 32


@dataclass(frozen=True)
class StoreKeys:
    """The keys the operator gave: ``NETOPS_STORE_KEY`` and ``NETOPS_MAC_KEY`` as text (the
    CLI reads them: :func:`netops.environment.store_keys`). None: the lab key file next to the
    database, a MAC key derived from the store key. Never shown in a repr."""

    store_key: str | None = field(default=None, repr=False)
    mac_key: str | None = field(default=None, repr=False)


#: No key given: the lab key file (made on first use) and a derived MAC key.
NO_KEYS = StoreKeys()

# scrypt cost: n=2**14, r=8 (16 MiB, ~40 ms here): slow for a thief, bearable for PAP.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1


def generate_key() -> str:
    """A new random store key, URL-safe base64 (the form ``NETOPS_STORE_KEY`` takes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def parse_key(text: str, where: str) -> bytes:
    """Decode a store key (URL-safe base64 or hex of 32 bytes); ``where`` names its origin."""
    text = text.strip()
    for decode in (_b64, bytes.fromhex):
        try:
            key = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(key) == KEY_BYTES:
            return key
    raise StoreError(
        f"the store key in {where} is not 32 bytes in base64 or hex "
        "(make one with: netops radius store-key)"
    )


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(key: bytes) -> str:
    """A short fingerprint naming a key without revealing it."""
    return hashlib.sha256(b"netops-store-key" + key).hexdigest()[:8]


def load_key(key_file: Path, keys: StoreKeys = NO_KEYS) -> tuple[bytes, str]:
    """The store key and where it came from: the given ``NETOPS_STORE_KEY``, else the lab key
    file (created 0600 with a warning when missing)."""
    if keys.store_key:
        return parse_key(keys.store_key, f"${KEY_ENV}"), f"${KEY_ENV}"
    if key_file.exists():
        log.warning(
            "%s is not set: using the lab key file %s (set it in production)", KEY_ENV, key_file
        )
        try:
            text = key_file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"the store key file {key_file} cannot be read ({exc})") from None
        return parse_key(text, str(key_file)), str(key_file)
    log.warning(
        "%s is not set: created the lab key file %s (set %s in production)",
        KEY_ENV,
        key_file,
        KEY_ENV,
    )
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(generate_key() + "\n")
    except FileExistsError:
        pass  # another process created it first: use theirs
    except OSError as exc:
        raise StoreError(
            f"{KEY_ENV} is not set and the key file {key_file} cannot be created ({exc.strerror})"
        ) from None
    return parse_key(key_file.read_text(encoding="ascii"), str(key_file)), str(key_file)


class Cipher:
    """AES-256-GCM for CHAP-capable passwords. Stored form: ``aesgcm$<key id>$<base64>``."""

    def __init__(self, key: bytes, origin: str) -> None:
        self._aead = AESGCM(key)
        self.key_id = key_id(key)
        self.origin = origin

    def encrypt(self, username: str, password: str) -> str:
        nonce = secrets.token_bytes(12)
        blob = nonce + self._aead.encrypt(nonce, password.encode("utf-8"), username.encode())
        return f"aesgcm${self.key_id}${base64.b64encode(blob).decode('ascii')}"

    def decrypt(self, username: str, stored: str) -> str:
        try:
            scheme, kid, data = stored.split("$", 2)
        except ValueError:
            scheme, kid, data = "", "", ""
        if scheme != "aesgcm":
            raise StoreError(f"the stored password of {username!r} is not in a known format")
        if kid != self.key_id:
            raise StoreError(
                f"the password of {username!r} was encrypted with store key {kid}, "
                f"but the key from {self.origin} is {self.key_id}: set {KEY_ENV} to the old key"
            )
        try:
            blob = base64.b64decode(data)
            clear = self._aead.decrypt(blob[:12], blob[12:], username.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise StoreError(
                f"the stored password of {username!r} is corrupt or was tampered with"
            ) from None
        return clear.decode("utf-8")


def hash_password(password: str) -> str:
    """A scrypt hash: ``scrypt$n$r$p$<salt b64>$<hash b64>``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return "$".join(
        [
            "scrypt",
            str(SCRYPT_N),
            str(SCRYPT_R),
            str(SCRYPT_P),
            base64.b64encode(salt).decode("ascii"),
            base64.b64encode(digest).decode("ascii"),
        ]
    )


def verify_hash(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` string."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two clear-text secrets."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def mac_key(key_file: Path, keys: StoreKeys = NO_KEYS) -> tuple[bytes, str]:
    """The key of MAC pseudonyms and where it came from: ``NETOPS_MAC_KEY`` (32 bytes, base64
    or hex, like the store key), else derived from the store key (HMAC-SHA256 of it with a
    fixed label), so a lab needs no second key. Pin ``NETOPS_MAC_KEY`` before changing the
    store key, or every pseudonym changes with it."""
    if keys.mac_key:
        return parse_key(keys.mac_key, f"${MAC_KEY_ENV}"), f"${MAC_KEY_ENV}"
    store_key, origin = load_key(key_file, keys)
    return derived_mac_key(store_key), f"derived from the store key ({origin})"


def derived_mac_key(store_key: bytes) -> bytes:
    """The MAC key an installation without ``NETOPS_MAC_KEY`` uses: HMAC-SHA256 of its
    store key with a fixed label."""
    return hmac.new(store_key, b"netops mac pseudonym v1", hashlib.sha256).digest()


def mac_key_id(key: bytes) -> str:
    """A short fingerprint naming a MAC key without revealing it."""
    return hashlib.sha256(b"netops-mac-key" + key).hexdigest()[:8]
