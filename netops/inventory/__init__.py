"""The inventory: the city's sites, devices, links, hotspots and plans, typed and validated."""

from netops.inventory.loader import load_inventory
from netops.inventory.models import (
    Device,
    Hotspot,
    Interface,
    Inventory,
    Link,
    Plan,
    RadiusProfile,
    Site,
    SnmpProfile,
)
from netops.inventory.secrets import Secret

__all__ = [
    "Device",
    "Hotspot",
    "Interface",
    "Inventory",
    "Link",
    "Plan",
    "RadiusProfile",
    "Secret",
    "Site",
    "SnmpProfile",
    "load_inventory",
]
