"""The busy hotspot's bookkeeping: interim usage per open session, without a network.

The gateway here is a small in-memory stand-in for the NAS side; the real simulated
MikroTik gateway, portal and RADIUS server are exercised by tests/integration/demo.
"""

from __future__ import annotations

import random
import threading

from netops.errors import NetopsError
from netops.lab.hotspot import Browsing, Hotspot


class _Gateway:
    base_url = "http://127.0.0.1:9"  # nothing listens: citizens cannot join

    def __init__(self, sessions: list[str]) -> None:
        self.sessions = sessions
        self.reports: list[tuple[str, int, int, int]] = []
        self.reported = threading.Event()

    def open_sessions(self) -> list[str]:
        return list(self.sessions)

    def traffic(self, mac: str, *, input_octets: int, output_octets: int, seconds: int) -> object:
        if mac == "gone":
            raise KeyError(mac)
        if mac == "radius-down":
            raise NetopsError("RADIUS accounting did not answer")
        self.reports.append((mac, input_octets, output_octets, seconds))
        if len(self.reports) >= 2:
            self.reported.set()
        return None


def test_usage_scales_with_time_and_phones_download_more_than_they_upload() -> None:
    browsing = Browsing(down_bps=8_000_000, up_bps=800_000)
    inbound, outbound = browsing.usage(10, random.Random(1))
    assert outbound > inbound > 0
    assert 0.3 * 10_000_000 <= outbound <= 1.7 * 10_000_000


def test_every_open_session_gets_an_interim_and_failures_do_not_stop_the_others() -> None:
    gateway = _Gateway(["gone", "radius-down", "aa:bb", "cc:dd"])
    hotspot = Hotspot(gateway, citizens=0, interim=0.05, seed=7)
    runner = threading.Thread(target=hotspot.run)
    runner.start()
    try:
        assert gateway.reported.wait(10), "no Interim-Update was sent"
    finally:
        hotspot.stop.set()
        runner.join(10)
    macs = {report[0] for report in gateway.reports}
    assert macs == {"aa:bb", "cc:dd"}
    assert all(report[1] > 0 and report[2] > 0 for report in gateway.reports)


def test_a_citizen_that_cannot_reach_the_gateway_retries_and_stops_on_request() -> None:
    gateway = _Gateway([])
    hotspot = Hotspot(gateway, citizens=1, interim=60, browsing=Browsing(join_gap=0))
    runner = threading.Thread(target=hotspot.run)
    runner.start()
    try:
        for _ in range(200):
            if hotspot.failures:
                break
            threading.Event().wait(0.05)
    finally:
        hotspot.stop.set()
        runner.join(15)
    assert not runner.is_alive()
    assert hotspot.failures >= 1 and hotspot.joined == 0
