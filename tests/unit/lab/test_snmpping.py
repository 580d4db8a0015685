"""The readiness check's GetRequest, checked against net-snmp's decoder and a real agent."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from netops.lab.snmpping import answers, get_request


def test_get_request_is_what_net_snmp_would_send() -> None:
    # snmpget -v2c -c public HOST 1.3.6.1.2.1.1.5.0 with request id 1234
    assert get_request("public", 1234).hex() == (
        "302702010104067075626c6963a01a020204d2020100020100300e300c06082b060102010105000500"
    )


def test_long_community_uses_a_long_form_length() -> None:
    packet = get_request("c" * 200, 1)
    assert packet[0] == 0x30 and packet[1] == 0x81


def test_an_agent_that_echoes_the_request_id_answers() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as agent:
        agent.bind(("127.0.0.1", 0))
        port = agent.getsockname()[1]

        def reply() -> None:
            data, peer = agent.recvfrom(2048)
            agent.sendto(data.replace(b"\xa0", b"\xa2", 1), peer)

        thread = threading.Thread(target=reply)
        thread.start()
        assert answers("127.0.0.1", port, "public", timeout=2)
        thread.join()


def test_silence_is_not_an_answer() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as quiet:
        quiet.bind(("127.0.0.1", 0))
        assert not answers("127.0.0.1", quiet.getsockname()[1], "public", timeout=0.2)


@pytest.mark.timeout(30)
def test_real_snmpd_answers_the_right_community_and_ignores_a_wrong_one(tmp_path: Path) -> None:
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    assert Path(snmpd).exists(), "net-snmp's snmpd is missing (Debian package snmpd)"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = tmp_path / "snmpd.conf"
    conf.write_text(f"agentAddress udp:127.0.0.1:{port}\nrocommunity nxsecret 127.0.0.1\n")
    proc = subprocess.Popen(
        [
            snmpd,
            "-f",
            "-Lf",
            str(tmp_path / "log"),
            "-C",
            "-c",
            str(conf),
            "-p",
            str(tmp_path / "pid"),
        ],
    )
    try:
        ok = False
        for _ in range(100):
            if answers("127.0.0.1", port, "nxsecret", timeout=0.2):
                ok = True
                break
        assert ok, "snmpd did not answer the right community"
        assert not answers("127.0.0.1", port, "wrong", timeout=0.5)
    finally:
        proc.terminate()
        proc.wait(10)
