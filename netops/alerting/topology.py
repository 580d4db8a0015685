"""Which devices sit behind which links and devices, seen from the command centre.

A device *depends on* a link (or a device) when every path from the command centre to it
crosses that link (or device): when it fails, the device is cut off. Rings therefore make no
dependency, and a device behind two failures is attributed to both. Pure functions, no I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from netops.inventory.models import Inventory, Link


@dataclass(frozen=True)
class LinkDependency:
    """``device`` is cut off when ``link`` fails; ``via`` is the end that stays reachable."""

    device: str
    link_id: str
    via_device: str
    via_interface: str


@dataclass(frozen=True)
class Dependencies:
    """The topology facts alert rules need, computed from the inventory."""

    roots: tuple[str, ...]
    distance: dict[str, int] = field(default_factory=dict)
    on_links: tuple[LinkDependency, ...] = ()
    on_devices: tuple[tuple[str, str], ...] = ()  # (device, upstream device it needs)
    upstream_end: dict[str, tuple[str, str]] = field(default_factory=dict)  # link id → end

    def behind_link(self, link_id: str) -> tuple[str, ...]:
        return tuple(sorted(d.device for d in self.on_links if d.link_id == link_id))

    def behind_device(self, hostname: str) -> tuple[str, ...]:
        return tuple(sorted(dev for dev, via in self.on_devices if via == hostname))


def _roots(inventory: Inventory) -> tuple[str, ...]:
    centre = {s.id for s in inventory.sites if s.kind == "command-centre"}
    roots = [d.hostname for d in inventory.devices if d.site in centre]
    if not roots:
        roots = [d.hostname for d in inventory.devices if d.role == "core"]
    return tuple(sorted(roots))


def _reachable(
    roots: Iterable[str],
    adjacency: dict[str, list[tuple[str, int]]],
    *,
    skip_link: int | None = None,
    skip_device: str | None = None,
) -> dict[str, int]:
    """Hop distance from the roots to every reachable device, avoiding one link or device."""
    dist: dict[str, int] = {}
    queue: deque[str] = deque()
    for root in roots:
        if root != skip_device and root not in dist:
            dist[root] = 0
            queue.append(root)
    while queue:
        here = queue.popleft()
        for there, index in adjacency.get(here, ()):
            if index == skip_link or there == skip_device or there in dist:
                continue
            dist[there] = dist[here] + 1
            queue.append(there)
    return dist


def dependencies(inventory: Inventory) -> Dependencies:
    """Link and device dependencies of every device, from the command-centre devices out.

    Roots are the devices at ``command-centre`` sites (else every ``core`` device). A device
    not reachable at all from the roots gets no dependency (nothing to attribute it to).
    """
    roots = _roots(inventory)
    internal: list[Link] = [link for link in inventory.links if link.b is not None]
    adjacency: dict[str, list[tuple[str, int]]] = {}
    for index, link in enumerate(internal):
        assert link.b is not None
        adjacency.setdefault(link.a.device, []).append((link.b.device, index))
        adjacency.setdefault(link.b.device, []).append((link.a.device, index))
    full = _reachable(roots, adjacency)

    on_links: list[LinkDependency] = []
    upstream_end: dict[str, tuple[str, str]] = {}
    for index, link in enumerate(internal):
        assert link.b is not None
        a, b = link.a, link.b
        da, db = full.get(a.device), full.get(b.device)
        if da is None and db is None:
            continue
        up, _down = (a, b) if db is None or (da is not None and da <= db) else (b, a)
        upstream_end[link.id] = (up.device, up.interface)
        without = _reachable(roots, adjacency, skip_link=index)
        if up.device not in without:
            continue
        for device in sorted(set(full) - set(without)):
            on_links.append(LinkDependency(device, link.id, up.device, up.interface))
    for link in inventory.links:
        if link.b is None:
            upstream_end[link.id] = (link.a.device, link.a.interface)

    on_devices: list[tuple[str, str]] = []
    for hostname in sorted(full):
        without = _reachable(roots, adjacency, skip_device=hostname)
        for device in sorted(set(full) - set(without) - {hostname}):
            on_devices.append((device, hostname))
    return Dependencies(
        roots=roots,
        distance=full,
        on_links=tuple(on_links),
        on_devices=tuple(on_devices),
        upstream_end=upstream_end,
    )
