"""Encrypted CHAP secrets, scrypt hashes and the store key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from netops.errors import StoreError
from netops.store import credentials
from netops.store.credentials import (
    Cipher,
    StoreKeys,
    generate_key,
    hash_password,
    parse_key,
    verify_hash,
)


def _cipher(origin: str = "test") -> Cipher:
    return Cipher(parse_key(generate_key(), origin), origin)


def test_encrypted_passwords_round_trip_and_hide_the_text() -> None:
    cipher = _cipher()
    stored = cipher.encrypt("alice", "rahasia-ü")
    assert stored.startswith(f"aesgcm${cipher.key_id}$")
    assert "rahasia" not in stored
    assert cipher.decrypt("alice", stored) == "rahasia-ü"
    assert cipher.encrypt("alice", "rahasia-ü") != stored, "fresh nonce each time"


def test_a_ciphertext_moved_to_another_user_does_not_decrypt() -> None:
    cipher = _cipher()
    stored = cipher.encrypt("alice", "pw")
    with pytest.raises(StoreError, match="corrupt or was tampered with"):
        cipher.decrypt("mallory", stored)


def test_a_tampered_ciphertext_is_refused() -> None:
    cipher = _cipher()
    head, kid, data = cipher.encrypt("alice", "pw").split("$")
    flipped = data[:-4] + ("AAAA" if data[-4:] != "AAAA" else "BBBB")
    with pytest.raises(StoreError, match="tampered"):
        cipher.decrypt("alice", f"{head}${kid}${flipped}")


def test_the_wrong_key_is_named_by_id_not_value() -> None:
    key = generate_key()
    stored = _cipher().encrypt("alice", "pw")
    other = Cipher(parse_key(key, "$NETOPS_STORE_KEY"), "$NETOPS_STORE_KEY")
    with pytest.raises(StoreError, match="encrypted with store key") as info:
        other.decrypt("alice", stored)
    assert key not in str(info.value)


def test_scrypt_hashes_verify_only_the_right_password() -> None:
    stored = hash_password("kata-sandi")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_hash("kata-sandi", stored)
    assert not verify_hash("kata-sandI", stored)
    assert hash_password("kata-sandi") != stored, "salted"


@pytest.mark.parametrize("stored", ["", "scrypt$x", "md5$1$2$3$4$5", "scrypt$16384$8$1$!!$!!"])
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not verify_hash("anything", stored)


def test_keys_are_accepted_in_base64_and_hex() -> None:
    raw = bytes(range(32))
    assert parse_key(raw.hex(), "x") == raw
    assert parse_key(generate_key(), "x") != raw


@pytest.mark.parametrize("text", ["short", "", "zz" * 32])
def test_bad_keys_are_a_clear_error(text: str) -> None:
    with pytest.raises(StoreError, match="not 32 bytes"):
        parse_key(text, "$NETOPS_STORE_KEY")


def test_the_given_key_wins_over_the_key_file(tmp_path: Path) -> None:
    key = generate_key()
    loaded, origin = credentials.load_key(tmp_path / "k", StoreKeys(store_key=key))
    assert loaded == parse_key(key, "x") and origin == "$NETOPS_STORE_KEY"
    assert not (tmp_path / "k").exists()


def test_the_store_never_reads_the_environment_for_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(credentials.KEY_ENV, generate_key())
    _, origin = credentials.load_key(tmp_path / "k")
    assert origin == str(tmp_path / "k")


def test_keys_never_show_in_a_repr() -> None:
    key = generate_key()
    assert key not in repr(StoreKeys(store_key=key, mac_key=key))


def test_missing_env_creates_a_private_key_file_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(credentials.KEY_ENV, raising=False)
    path = tmp_path / "var" / "netops-store.key"
    first, origin = credentials.load_key(path)
    assert origin == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "NETOPS_STORE_KEY is not set" in caplog.text
    second, _ = credentials.load_key(path)
    assert first == second
    assert first.hex() not in caplog.text


def test_an_unreadable_key_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(credentials.KEY_ENV, raising=False)
    path = tmp_path / "key"
    path.write_text("not a key\n")
    with pytest.raises(StoreError, match=f"store key in {path}"):
        credentials.load_key(path)
