"""A lab RouterOS: the RouterOS API wire protocol (plain and TLS) over a stateful
configuration that persists to JSON, ``/export`` over SSH, and schedules that run.

No real RouterOS runs in the lab; this device answers the clients the provisioning code
uses (librouteros, Ansible's community.routeros) as RouterOS documents its behaviour.
"""

from netops.lab.routeros.device import DeviceOptions, LabRouterOS, serve
from netops.lab.routeros.state import DeviceState, Result, Trap

__all__ = ["DeviceOptions", "DeviceState", "LabRouterOS", "Result", "Trap", "serve"]
