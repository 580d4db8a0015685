"""A busy hotspot: the simulated MikroTik gateway with citizens coming, browsing and going.

The gateway (``netops.lab.gateway``) does the NAS's part over real HTTP and RADIUS.
Around it, this keeps ``citizens`` phones online: each joins through the portal
(:class:`~netops.lab.citizen.Phone`), browses for a while and logs out, and another one
comes. Like a real NAS, the gateway reports every open session (also those of phones that
joined from elsewhere, e.g. ``netops lab login``) with an Interim-Update every ``interim``
seconds, carrying the traffic the phone used.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from netops.errors import NetopsError
from netops.lab.citizen import Phone

if TYPE_CHECKING:
    from netops.lab.gateway import GatewaySim

log = logging.getLogger("netops.lab.hotspot")


class Gateway(Protocol):
    """What the hotspot needs of the simulated gateway."""

    @property
    def base_url(self) -> str: ...

    def open_sessions(self) -> list[str]: ...

    def traffic(
        self, mac: str, *, input_octets: int, output_octets: int, seconds: int
    ) -> object: ...


@dataclass(frozen=True)
class Browsing:
    """How simulated citizens use the Wi-Fi: bytes per second each way, session lengths."""

    down_bps: float = 2_000_000.0  # to the phone
    up_bps: float = 400_000.0
    session_seconds: tuple[float, float] = (120.0, 600.0)
    join_gap: float = 5.0

    def usage(self, seconds: float, rng: random.Random) -> tuple[int, int]:
        """``(input_octets, output_octets)`` as the NAS counts them (input = from the phone)."""
        factor = rng.uniform(0.3, 1.7)
        return int(self.up_bps / 8 * seconds * factor), int(self.down_bps / 8 * seconds * factor)


class Hotspot:
    """Keep ``citizens`` phones online at ``gateway`` and report traffic every ``interim`` s."""

    def __init__(
        self,
        gateway: Gateway,
        citizens: int = 3,
        interim: float = 15.0,
        browsing: Browsing | None = None,
        seed: int | None = None,
        via_gateway: bool = False,
    ) -> None:
        self.gateway = gateway
        self.citizens = citizens
        self.interim = interim
        self.browsing = browsing or Browsing()
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.joined = 0
        self.failures = 0
        #: Phones use the gateway as their proxy (it plays a pushed config: walled garden).
        self.via_gateway = via_gateway

    def run(self) -> None:
        """Until :attr:`stop` is set: keep phones online, send interims."""
        threads = [threading.Thread(target=self._interims, name="interims", daemon=True)]
        threads += [
            threading.Thread(target=self._citizen, args=(i,), name=f"citizen-{i}", daemon=True)
            for i in range(self.citizens)
        ]
        for thread in threads:
            thread.start()
        self.stop.wait()
        for thread in threads:
            thread.join(timeout=5)

    def _citizen(self, number: int) -> None:
        if self.stop.wait(number * self.browsing.join_gap):
            return
        retry = 2.0
        while not self.stop.is_set():
            with Phone(via=self.gateway.base_url if self.via_gateway else None) as phone:
                try:
                    joined = phone.join(self.gateway.base_url)
                except NetopsError as exc:
                    self.failures += 1
                    log.warning(
                        "citizen %d could not join: %s; retrying in %.0f s", number, exc, retry
                    )
                    self.stop.wait(retry)
                    retry = min(retry * 2, 60.0)
                    continue
                retry = 2.0
                self.joined += 1
                log.info("citizen %d online as %s", number, joined.username)
                stay = self.rng.uniform(*self.browsing.session_seconds)
                if self.stop.wait(stay):
                    return
                phone.leave(self.gateway.base_url)
                log.info("citizen %d left after %.0f s", number, stay)
            self.stop.wait(self.rng.uniform(1.0, self.browsing.join_gap))

    def _interims(self) -> None:
        last = time.monotonic()
        while not self.stop.wait(self.interim):
            now = time.monotonic()
            seconds = now - last
            last = now
            for mac in self.gateway.open_sessions():
                inbound, outbound = self.browsing.usage(seconds, self.rng)
                try:
                    self.gateway.traffic(
                        mac, input_octets=inbound, output_octets=outbound, seconds=int(seconds)
                    )
                except (KeyError, NetopsError) as exc:  # session ended meanwhile, RADIUS down
                    log.info("interim for %s not sent: %s", mac, exc)


class GatewaySimAdapter:
    """:class:`Gateway` over ``netops.lab.gateway.GatewaySim``."""

    def __init__(self, sim: GatewaySim) -> None:
        self.sim = sim

    @property
    def base_url(self) -> str:
        return self.sim.base_url

    def open_sessions(self) -> list[str]:
        return list(self.sim.sessions)

    def traffic(self, mac: str, *, input_octets: int, output_octets: int, seconds: int) -> object:
        return self.sim.traffic(
            mac, input_octets=input_octets, output_octets=output_octets, seconds=seconds
        )
