"""FakeNOS SSH targets for lab devices that have no real lab target. Pure: no I/O.

FRR routers are real SSH targets (``netops.lab.frr``), RouterOS devices run the RouterOS lab
device (``netops.lab.routeros``, see :func:`netops.lab.plan.plan_routeros`). Devices of
other platforms (Arista switches, IOS) on loopback addresses get a FakeNOS
SSH server at their management address and ``ssh_port`` instead: it logs the lab's
credentials in, shows a vendor prompt naming the device and answers the commands netops
sends to read facts and the running configuration with canned output.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from netops.inventory.models import Device, Inventory

FRR_PLATFORM = "frr"
ROUTEROS_PLATFORM = "mikrotik_routeros"
# netops platform → FakeNOS NOS plugin
FAKENOS_PLATFORMS: dict[str, str] = {
    "mikrotik_routeros": "mikrotik_routeros",
    "eos": "arista_eos",
    "cisco_ios": "cisco_ios",
}
# netmiko's mikrotik_routeros driver logs in as ``<user>+ct511w4098h`` (no colours,
# terminal width 511, height 4098); the FakeNOS user must carry the same suffix.
ROUTEROS_LOGIN_SUFFIX = "+ct511w4098h"
ROUTEROS_VERSION = "7.14.3 (stable)"
EOS_VERSION = "4.31.2F"


@dataclass(frozen=True)
class SshTarget:
    """One FakeNOS SSH server: the device it plays, its FakeNOS platform, where it listens."""

    device: str
    platform: str
    nos: str
    address: str
    port: int

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"


def plan_ssh_targets(inventory: Inventory) -> tuple[tuple[SshTarget, ...], tuple[str, ...]]:
    """FakeNOS targets for the inventory's loopback devices, and notes on devices left out.

    A device gets a target when its platform is not ``frr`` (those are real routers), FakeNOS
    has a NOS for it, its management address is loopback and it has an ``ssh_port`` other
    than 22 (port 22 on loopback belongs to this machine's own sshd). The inventory loader
    already refuses two devices with one management address, so endpoints never collide.
    """
    targets: list[SshTarget] = []
    notes: list[str] = []
    for device in inventory.devices:
        if device.platform in (FRR_PLATFORM, ROUTEROS_PLATFORM) or not _on_loopback(device):
            continue
        nos = FAKENOS_PLATFORMS.get(device.platform)
        if nos is None:
            notes.append(f"{device.hostname}: FakeNOS has no {device.platform} NOS; no SSH target")
            continue
        if device.ssh_port == 22:
            notes.append(
                f"{device.hostname}: give it an ssh_port other than 22 for a FakeNOS SSH target"
            )
            continue
        targets.append(
            SshTarget(device.hostname, device.platform, nos, str(device.mgmt_ip), device.ssh_port)
        )
    return tuple(targets), tuple(notes)


def _on_loopback(device: Device) -> bool:
    ip = device.mgmt_ip
    return isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address) and ip.is_loopback


def login_name(target: SshTarget, username: str) -> str:
    """The user name the FakeNOS server must accept for netops' ``username``."""
    if target.platform == "mikrotik_routeros":
        return username + ROUTEROS_LOGIN_SUFFIX
    return username


def base_prompt(target: SshTarget, username: str) -> str:
    """The prompt FakeNOS shows (its NOS appends ``>`` / ``#``): vendor style, naming the device."""
    if target.platform == "mikrotik_routeros":
        return f"[{username}@{target.device}] "
    return target.device


def canned_commands(target: SshTarget, device: Device) -> dict[str, dict[str, Any]]:
    """Commands answered beyond the FakeNOS NOS's own: the ones netops reads facts and the
    running configuration with, answered as a freshly installed device of that platform."""
    if target.platform == "mikrotik_routeros":
        prompts = ["{base_prompt}>", "{base_prompt}#"]
        resource = "\n".join(
            [
                "                   uptime: 1h2m3s",
                f"                  version: {ROUTEROS_VERSION}",
                "               build-time: 2024-03-26 09:36:13",
                "              free-memory: 934.6MiB",
                "             total-memory: 1024.0MiB",
                "                      cpu: ARM64",
                "                cpu-count: 4",
                "        architecture-name: arm64",
                "               board-name: CHR",
                "                 platform: MikroTik",
            ]
        )
        export = "\n".join(
            [
                f"# by RouterOS {ROUTEROS_VERSION.split()[0]}",
                "# software id = LAB-0001",
                f"/system identity set name={device.hostname}",
                f"/ip service set ssh port={device.ssh_port}",
            ]
        )
        return {
            "/system resource print": {"output": resource, "prompt": prompts},
            "/export terse": {"output": export, "prompt": prompts},
            "/system routerboard print": {
                "output": "       routerboard: no\n             model: CHR",
                "prompt": prompts,
            },
        }
    if target.platform == "eos":
        prompts = ["{base_prompt}>", "{base_prompt}#", "{base_prompt}(config)#"]
        running = "\n".join(
            [
                "! Command: show running-config",
                f"hostname {device.hostname}",
                "!",
                *[f"interface {i.name}\n!" for i in device.interfaces],
                "end",
            ]
        )
        version = "\n".join(
            [
                "Arista vEOS-lab",
                "Hardware version:",
                "Serial number: LAB0000EOS01",
                "System MAC address:  5254.0000.0001",
                "",
                f"Software image version: {EOS_VERSION}",
                "Architecture: x86_64",
                "Uptime: 1 hour and 2 minutes",
                "Total memory: 2008480 kB",
            ]
        )
        return {
            "show running-config": {"output": running, "prompt": prompts},
            "show version": {"output": version, "prompt": prompts},
        }
    return {}


def fakenos_inventory(
    targets: tuple[SshTarget, ...] | list[SshTarget],
    devices: dict[str, Device],
    username: str,
    password: str,
) -> dict[str, Any]:
    """The FakeNOS inventory that serves ``targets`` with the lab's credentials."""
    hosts: dict[str, Any] = {}
    for target in targets:
        hosts[target.device] = {
            "username": login_name(target, username),
            "password": password,
            "port": target.port,
            "platform": target.nos,
            "server": {
                "plugin": "ParamikoSshServer",
                "configuration": {
                    "address": target.address,
                    "timeout": 1,
                    "ssh_banner": f"netops lab {target.device} (FakeNOS {target.nos})",
                },
            },
            "shell": {
                "plugin": "CMDShell",
                "configuration": {"base_prompt": base_prompt(target, username)},
            },
            "nos": {
                "plugin": target.nos,
                "configuration": {"commands": canned_commands(target, devices[target.device])},
            },
        }
    return {"default": {}, "hosts": hosts}
