"""What the lab runs for an inventory: which devices get an SNMP agent where, which are FRR
routers in namespaces. Pure: no I/O."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory

LAB_PREFIX = "nxlab"
FRR_PLATFORM = "frr"


class SimulationError(NetopsError):
    """The simulated lab could not be planned, started or stopped; says what and where."""


@dataclass(frozen=True)
class AgentPlan:
    """One simulated SNMP agent: the device it plays and where it answers."""

    device: str
    address: str
    port: int
    profile: str
    namespace: str | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"


@dataclass(frozen=True)
class LabPlan:
    """Everything ``netops lab up`` starts for an inventory."""

    agents: tuple[AgentPlan, ...]
    routers: tuple[str, ...]
    notes: tuple[str, ...] = ()
    hotspots: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouterOSTarget:
    """One RouterOS lab device (``netops.lab.routeros``) playing an inventory device: the
    RouterOS API (plain or TLS, as the inventory says) and ``/export`` over SSH at its
    management address."""

    device: str
    address: str
    api_port: int
    tls: bool
    ssh_port: int
    version: str

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "api-ssl" if self.tls else "api": f"{self.address}:{self.api_port}",
            "ssh": f"{self.address}:{self.ssh_port}",
        }


#: RouterOS version a lab device runs when the inventory does not pin one.
LAB_ROUTEROS_VERSION = "7.16"


def plan_routeros(inventory: Inventory) -> tuple[tuple[RouterOSTarget, ...], tuple[str, ...]]:
    """A RouterOS lab device for each ``mikrotik_routeros`` device on a loopback address
    (with an ``ssh_port`` other than 22, which belongs to this machine's sshd), and notes
    on those left out."""
    targets: list[RouterOSTarget] = []
    notes: list[str] = []
    for device in inventory.devices:
        if device.platform != "mikrotik_routeros":
            continue
        if not (_simulable(device) and device.mgmt_ip.is_loopback):
            notes.append(f"{device.hostname}: {device.mgmt_ip} is not loopback; not simulated")
            continue
        if device.ssh_port == 22:
            notes.append(f"{device.hostname}: give it an ssh_port other than 22 to simulate it")
            continue
        targets.append(
            RouterOSTarget(
                device.hostname,
                str(device.mgmt_ip),
                device.api.effective_port,
                device.api.tls,
                device.ssh_port,
                device.api.version or LAB_ROUTEROS_VERSION,
            )
        )
    return tuple(targets), tuple(notes)


def namespace_of(hostname: str, prefix: str = LAB_PREFIX) -> str:
    """The network namespace an FRR lab router lives in (as ``netops.lab.frr`` names it)."""
    return f"{prefix}-{hostname}"


def _simulable(device: Device) -> bool:
    return device.platform == FRR_PLATFORM or (
        isinstance(device.mgmt_ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
        and device.mgmt_ip.is_loopback
    )


def plan_lab(inventory: Inventory, prefix: str = LAB_PREFIX) -> LabPlan:
    """The lab for ``inventory``: an SNMP agent per device, FRR namespaces for frr devices.

    Only a lab inventory (``meta.lab: true``) is simulated: its devices sit on loopback
    addresses or in the lab's own namespaces, never on a real network.
    """
    if not inventory.meta.lab:
        raise SimulationError(
            f"inventory {inventory.root} is not a lab (meta.lab is not true); "
            "netops lab only simulates lab inventories such as inventory/lab"
        )
    agents: list[AgentPlan] = []
    notes: list[str] = []
    for device in inventory.devices:
        if not _simulable(device):
            notes.append(
                f"{device.hostname}: {device.mgmt_ip} is neither loopback nor an frr lab "
                "router; not simulated"
            )
            continue
        if device.snmp is None:
            notes.append(f"{device.hostname}: no SNMP profile; no agent")
            continue
        profile = inventory.snmp.get(device.snmp)
        if profile is None:
            raise SimulationError(f"{device.hostname}: SNMP profile {device.snmp!r} is not defined")
        if profile.version != "2c":
            raise SimulationError(
                f"{device.hostname}: the lab's SNMP agents speak v2c; profile {device.snmp!r} "
                "is v3 (give lab devices a v2c profile)"
            )
        namespace = (
            namespace_of(device.hostname, prefix) if device.platform == FRR_PLATFORM else None
        )
        agents.append(
            AgentPlan(
                device=device.hostname,
                address=str(device.mgmt_ip),
                port=device.snmp_port or profile.port,
                profile=device.snmp,
                namespace=namespace,
            )
        )
    routers = tuple(d.hostname for d in inventory.devices if d.platform == FRR_PLATFORM)
    hotspots = []
    for spot in inventory.hotspots:
        gateway = inventory.find_device(spot.gateway)
        if gateway is None or not _simulable(gateway) or gateway.platform == FRR_PLATFORM:
            notes.append(f"hotspot {spot.id}: gateway {spot.gateway} is not simulated here")
        elif not gateway.radius or gateway.radius not in inventory.radius:
            notes.append(f"hotspot {spot.id}: gateway {spot.gateway} has no RADIUS profile")
        else:
            hotspots.append(spot.id)
    return LabPlan(tuple(agents), routers, tuple(notes), tuple(hotspots))
