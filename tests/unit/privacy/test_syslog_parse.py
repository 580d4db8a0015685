"""Syslog framing (RFC 3164, RFC 5424, RouterOS bare) and RouterOS srcnat log lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from netops.privacy.syslog import NatReceiver, SyslogError, parse_nat, parse_syslog
from netops.store.natlog import NatMapping

AT = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
LINE = (
    "netops-nat srcnat: in:bridge-hotspot out:ether1, connection-state:new src-mac "
    "02:00:00:00:00:01, proto TCP (SYN), 10.254.200.23:51514->93.184.216.34:443, "
    "NAT (10.254.200.23:51514->100.64.10.1:51514)->93.184.216.34:443, len 60"
)


def test_rfc5424_keeps_the_senders_time_with_its_offset() -> None:
    msg = parse_syslog(f"<134>1 2026-12-05T14:00:00+08:00 gw firewall - - - {LINE}".encode())
    assert msg.pri == 134 and msg.at == AT and msg.text == LINE


def test_rfc5424_with_structured_data() -> None:
    msg = parse_syslog(f'<134>1 - gw fw 1 ID [x@1 a="b\\]"][y@2] {LINE}')
    assert msg.at is None and msg.text == LINE


def test_rfc3164_and_routeros_bare_frames() -> None:
    assert parse_syslog(f"<30>Dec  5 14:00:00 gw {LINE}").text == LINE
    assert parse_syslog(f"<30>firewall,info {LINE}\n").text == f"firewall,info {LINE}"


@pytest.mark.parametrize(
    "raw",
    [b"no pri", b"<999>1 x", b"<30>a\x00b", b"<30>" + b"x" * 9000, b"<1>1 notatime h a p m - x"],
)
def test_unreadable_frames_are_refused(raw: bytes) -> None:
    with pytest.raises(SyslogError):
        parse_syslog(raw)


def test_private_to_public_form() -> None:
    m = parse_nat(LINE, "127.0.0.1", AT)
    assert m == NatMapping(AT, "127.0.0.1", "tcp", "10.254.200.23", 51514, "100.64.10.1", 51514)


def test_translated_tuple_only_form_and_udp_with_changed_port() -> None:
    line = (
        "srcnat: in:ether2 out:ether1, proto UDP, 10.0.0.3:51258->1.1.1.1:53, "
        "NAT (100.64.10.1:3000->1.1.1.1:53), len 73"
    )
    m = parse_nat(line, "10.1.1.1", AT)
    assert m is not None and (m.proto, m.private_ip, m.private_port) == ("udp", "10.0.0.3", 51258)
    assert (m.public_ip, m.public_port) == ("100.64.10.1", 3000)


def test_tcp_flags_with_commas() -> None:
    line = LINE.replace("(SYN)", "(ACK,PSH)")
    assert parse_nat(line, "n", AT) is not None


def test_other_lines_are_not_nat_and_broken_srcnat_lines_are_errors() -> None:
    assert parse_nat("user admin logged in from 10.0.0.1 via winbox", "n", AT) is None
    for broken in (
        "srcnat: in:x out:y, truncated",
        LINE.replace("51514->100", "99999->100"),
        LINE.replace("100.64.10.1", "100.64.10.300"),
    ):
        with pytest.raises(SyslogError):
            parse_nat(broken, "n", AT)


def test_receiver_counts_and_drops_bad_input_and_survives_a_failing_store() -> None:
    stored: list[NatMapping] = []

    def sink(batch: list[NatMapping]) -> int:
        stored.extend(batch)
        return len(batch)

    rx = NatReceiver(sink, clock=lambda: AT)
    for raw in (b"\xff\xfe", b"<30>srcnat: in:a out:b, x", b"<30>hello", f"<30>{LINE}".encode()):
        rx.handle(raw, "127.0.0.1")
    assert rx.flush() == 1 and stored[0].at == AT and stored[0].nas == "127.0.0.1"
    assert (rx.counters.received, rx.counters.malformed, rx.counters.ignored) == (4, 2, 1)

    def broken(batch: list[NatMapping]) -> int:
        raise RuntimeError("database is locked")

    rx = NatReceiver(broken, clock=lambda: AT + timedelta(seconds=1))
    rx.handle(f"<30>{LINE}".encode(), "127.0.0.1")
    assert rx.flush() == 0 and rx.counters.store_errors == 1


def test_tcp_framing_octet_counted_and_newline() -> None:
    rx = NatReceiver(lambda batch: len(batch), clock=lambda: AT)
    one = f"<30>{LINE}".encode()
    buffer = b"%d %s" % (len(one), one) + one + b"\n" + one[:10]
    rest = rx._frames(buffer, "127.0.0.1")
    assert rest == one[:10] and len(rx._pending) == 2


def test_receiver_stores_in_batches_over_udp_and_tcp_on_loopback() -> None:
    import asyncio
    import socket

    stored: list[NatMapping] = []

    def sink(batch: list[NatMapping]) -> int:
        stored.extend(batch)
        return len(batch)

    async def run() -> NatReceiver:
        rx = NatReceiver(sink)
        await rx.start("127.0.0.1", 0)
        line = f"<30>{LINE}".encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(600):
                udp.sendto(line, rx.addresses["udp"])
                if i % 50 == 0:
                    await asyncio.sleep(0.01)
        _, writer = await asyncio.open_connection(*rx.addresses["tcp"])
        writer.write(line + b"\n" + b"\x00garbage\n" + line + b"\n")
        await writer.drain()
        writer.close()
        for _ in range(100):
            if rx.counters.received >= 603:
                break
            await asyncio.sleep(0.02)
        await rx.stop()
        return rx

    rx = asyncio.run(run())
    assert rx.counters.received == 603 and rx.counters.malformed == 1
    assert rx.counters.stored == len(stored) == 602
