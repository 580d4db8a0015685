"""Decoding, checks and replies on the wire (pyrad underneath)."""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyrad import packet as rp

from netops.radius.dictionary import load_dictionary
from netops.radius.protocol import (
    ACCESS_ACCEPT,
    ACCESS_REJECT,
    Chap,
    Hardening,
    Malformed,
    Reply,
    chap_matches,
    chap_of,
    decode,
    encode_reply,
    hmac_md5,
    normalise_mac,
    octets_with_gigawords,
    pap_password,
    verify_message_authenticator,
    verify_request_authenticator,
)

SECRET = b"testing123"


def access_request(ma: bool = True, **attrs: object) -> bytes:
    pkt = rp.AuthPacket(secret=SECRET, dict=load_dictionary())
    pkt.authenticator = pkt.CreateAuthenticator()
    for name, value in attrs.items():
        pkt.AddAttribute(name.replace("_", "-"), value)
    if ma:
        pkt.add_message_authenticator()
    data: bytes = pkt.RequestPacket()
    return data


def test_pap_password_decrypts_with_the_right_secret() -> None:
    req = rp.AuthPacket(secret=SECRET, dict=load_dictionary(), User_Name="alice")
    req["User-Password"] = req.PwCrypt("s3cret")
    pkt = decode(req.RequestPacket(), SECRET, load_dictionary(), accounting=False)
    assert pap_password(pkt) == "s3cret"


def test_message_authenticator_fails_with_a_wrong_secret() -> None:
    data = access_request(User_Name="alice")
    good = decode(data, SECRET, load_dictionary(), accounting=False)
    bad = decode(data, b"wrong", load_dictionary(), accounting=False)
    assert verify_message_authenticator(good)
    assert not verify_message_authenticator(bad)


def test_a_flipped_bit_breaks_the_message_authenticator() -> None:
    data = bytearray(access_request(User_Name="alice"))
    data[-1] ^= 1
    pkt = decode(bytes(data), SECRET, load_dictionary(), accounting=False)
    assert not verify_message_authenticator(pkt)


def test_accounting_request_authenticator_is_verified() -> None:
    req = rp.AcctPacket(secret=SECRET, dict=load_dictionary(), User_Name="alice")
    req["Acct-Status-Type"] = "Start"
    data = req.RequestPacket()
    assert verify_request_authenticator(decode(data, SECRET, load_dictionary(), accounting=True))
    assert not verify_request_authenticator(
        decode(data, b"other", load_dictionary(), accounting=True)
    )


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d[:19],  # shorter than a header
        lambda d: d[:2] + struct.pack("!H", 19) + d[4:],  # Length below 20
        lambda d: d[:2] + struct.pack("!H", len(d) + 5) + d[4:],  # Length beyond the data
        lambda d: d[:2] + struct.pack("!H", 5000) + d[4:] + bytes(5000),  # over 4096
        lambda d: d + b"\x01",  # attribute header cut (Length covers it)
        lambda d: d + b"\x01\x00",  # attribute length 0
        lambda d: d + b"\x01\x09abc",  # attribute runs past the end
        lambda d: d + b"\x50\x05abc",  # Message-Authenticator of 3 octets
    ],
)
def test_malformed_framing_is_refused(mangle: object) -> None:
    data = access_request(ma=False, User_Name="alice")
    bad = mangle(data)  # type: ignore[operator]
    if len(bad) >= 4 and bad[2:4] == data[2:4] and len(bad) > len(data):
        bad = bad[:2] + struct.pack("!H", len(bad)) + bad[4:]
    with pytest.raises(Malformed):
        decode(bad, SECRET, load_dictionary(), accounting=False)


def test_an_accounting_packet_on_the_auth_port_is_refused() -> None:
    req = rp.AcctPacket(secret=SECRET, dict=load_dictionary(), User_Name="alice")
    with pytest.raises(Malformed):
        decode(req.RequestPacket(), SECRET, load_dictionary(), accounting=False)


def test_chap_uses_chap_challenge_when_present() -> None:
    challenge = bytes(range(16))
    digest = hashlib.md5(b"\x07" + b"s3cret" + challenge).digest()
    data = access_request(
        User_Name="alice", CHAP_Password=b"\x07" + digest, CHAP_Challenge=challenge
    )
    chap = chap_of(decode(data, SECRET, load_dictionary(), accounting=False))
    assert chap is not None
    assert chap.challenge == challenge
    assert chap_matches(chap, "s3cret")
    assert not chap_matches(chap, "s3cres")


def test_chap_falls_back_to_the_request_authenticator() -> None:
    pkt = rp.AuthPacket(secret=SECRET, dict=load_dictionary(), User_Name="alice")
    pkt.authenticator = bytes(range(100, 116))
    digest = hashlib.md5(b"\x01" + b"pw" + pkt.authenticator).digest()
    pkt.AddAttribute("CHAP-Password", b"\x01" + digest)
    decoded = decode(pkt.RequestPacket(), SECRET, load_dictionary(), accounting=False)
    chap = chap_of(decoded)
    assert chap == Chap(b"\x01", digest, bytes(range(100, 116)))
    assert chap_matches(chap, "pw")


def test_a_chap_password_of_the_wrong_length_is_malformed() -> None:
    data = access_request(User_Name="alice", CHAP_Password=b"\x01" + bytes(10))
    with pytest.raises(Malformed):
        chap_of(decode(data, SECRET, load_dictionary(), accounting=False))


def test_reply_has_message_authenticator_first_and_copies_proxy_state() -> None:
    data = access_request(User_Name="alice", Proxy_State=b"one")
    req = decode(data, SECRET, load_dictionary(), accounting=False)
    raw = encode_reply(req, Reply(ACCESS_ACCEPT, [("Session-Timeout", 60)]))
    assert raw[0] == ACCESS_ACCEPT
    assert raw[20] == 80 and raw[21] == 18  # first attribute: Message-Authenticator
    sent = rp.AuthPacket(secret=SECRET, dict=load_dictionary(), packet=data)
    reply = sent.CreateReply(packet=raw)
    assert sent.VerifyReply(reply, raw, enforce_ma=True)
    assert reply["Proxy-State"] == [b"one"]
    assert reply["Session-Timeout"] == [60]


def test_reject_carries_reply_message() -> None:
    data = access_request(User_Name="alice")
    req = decode(data, SECRET, load_dictionary(), accounting=False)
    raw = encode_reply(req, Reply(ACCESS_REJECT, [("Reply-Message", "Kata sandi salah.")]))
    reply = rp.AuthPacket(secret=SECRET, dict=load_dictionary(), packet=data).CreateReply(
        packet=raw
    )
    assert reply.code == ACCESS_REJECT
    assert reply["Reply-Message"] == ["Kata sandi salah."]


def test_gigawords_are_folded_into_64_bit_counters() -> None:
    req = rp.AcctPacket(secret=SECRET, dict=load_dictionary(), User_Name="a")
    req["Acct-Input-Octets"] = 5
    req["Acct-Input-Gigawords"] = 2
    pkt = decode(req.RequestPacket(), SECRET, load_dictionary(), accounting=True)
    assert octets_with_gigawords(pkt, "Acct-Input-Octets", "Acct-Input-Gigawords") == 2 * 2**32 + 5
    assert octets_with_gigawords(pkt, "Acct-Output-Octets", "Acct-Output-Gigawords") == 0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"),
        ("aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"),
        ("AABBCCDDEEFF", "aa:bb:cc:dd:ee:ff"),
        ("aa:bb:cc:dd:ee", None),
        ("alice", None),
        ("zz:bb:cc:dd:ee:ff", None),
        (None, None),
    ],
)
def test_normalise_mac(raw: str | None, expected: str | None) -> None:
    assert normalise_mac(raw) == expected


class TestHardening:
    def test_yes_requires_message_authenticator(self) -> None:
        h = Hardening("yes", "no")
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) == (
            "missing_message_authenticator"
        )
        assert h.check(has_ma=True, has_proxy_state=False, has_eap=False) is None

    def test_no_accepts_requests_without_it(self) -> None:
        h = Hardening("no", "no")
        assert h.check(has_ma=False, has_proxy_state=True, has_eap=False) is None

    def test_auto_requires_it_once_the_first_request_had_it(self) -> None:
        h = Hardening("auto", "no")
        assert h.check(has_ma=True, has_proxy_state=False, has_eap=False) is None
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) == (
            "missing_message_authenticator"
        )

    def test_auto_requires_it_once_sent_even_when_the_first_request_lacked_it(self) -> None:
        # FreeRADIUS would stay lenient for good here; a junk first packet must not do that.
        h = Hardening("auto", "no")
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) is None
        assert not h.settled
        assert h.check(has_ma=True, has_proxy_state=False, has_eap=False) is None
        assert h.settled
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) == (
            "missing_message_authenticator"
        )

    def test_an_eap_request_does_not_decide(self) -> None:
        h = Hardening("auto", "no")
        assert h.check(has_ma=True, has_proxy_state=False, has_eap=True) is None
        assert not h.learnt_require
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) is None

    def test_what_another_process_learnt_is_merged_and_never_loosened(self) -> None:
        h = Hardening("auto", "auto")
        h.merge(True, None)
        assert h.settled
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) == (
            "missing_message_authenticator"
        )
        h.merge(False, False)
        assert h.learnt_require and h.learnt_limit is False

    def test_limit_proxy_state_auto_drops_proxy_state_without_ma_from_a_non_proxy(self) -> None:
        h = Hardening("no", "auto")
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=False) is None
        assert h.check(has_ma=False, has_proxy_state=True, has_eap=False) == (
            "missing_message_authenticator"
        )
        assert h.check(has_ma=True, has_proxy_state=True, has_eap=False) is None

    def test_limit_proxy_state_auto_leaves_a_proxy_alone(self) -> None:
        h = Hardening("no", "auto")
        assert h.check(has_ma=False, has_proxy_state=True, has_eap=False) is None
        assert h.check(has_ma=False, has_proxy_state=True, has_eap=False) is None

    def test_eap_always_needs_message_authenticator(self) -> None:
        h = Hardening("no", "no")
        assert h.check(has_ma=False, has_proxy_state=False, has_eap=True) == (
            "missing_message_authenticator"
        )


@pytest.mark.parametrize("password", ["", "x", "exactly-16-chars", "a" * 17, "kata sandi ü" * 5])
def test_pap_password_matches_pyrads_decryption(password: str) -> None:
    req = rp.AuthPacket(secret=SECRET, dict=load_dictionary(), User_Name="alice")
    req["User-Password"] = req.PwCrypt(password)
    pkt = decode(req.RequestPacket(), SECRET, load_dictionary(), accounting=False)
    assert pap_password(pkt) == password == pkt.PwDecrypt(dict.__getitem__(pkt, 2)[0])


def test_accounting_response_is_signed_without_message_authenticator() -> None:
    req = rp.AcctPacket(secret=SECRET, dict=load_dictionary(), User_Name="a")
    req["Acct-Status-Type"] = "Start"
    req["Proxy-State"] = b"p1"
    data = req.RequestPacket()
    pkt = decode(data, SECRET, load_dictionary(), accounting=True)
    raw = encode_reply(pkt, Reply(5))
    reply = req.CreateReply(packet=raw)
    assert req.VerifyReply(reply, raw)
    assert 80 not in reply
    assert reply["Proxy-State"] == [b"p1"]


@given(key=st.binary(max_size=200), message=st.binary(max_size=600))
def test_hmac_md5_equals_the_standard_library(key: bytes, message: bytes) -> None:
    assert hmac_md5(key, message) == hmac.digest(key, message, "md5")
