"""The RADIUS servers a hotspot gateway asks, and the CoA/Disconnect port it listens on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netops.inventory.models import Device, Inventory
from netops.provision.routeros.menus.common import _Builder, _secret


def radius_clients(
    out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, reveal: bool
) -> None:
    """One ``/radius`` entry per netops RADIUS server (primary first), and incoming CoA."""
    radius = ctx["radius"]
    if radius is None:
        return
    rsvc = inv.services.radius
    for n, server in enumerate(rsvc.servers, 1):
        out.add(
            "/radius",
            address=server,
            service="hotspot",
            secret=_secret(radius.secret, reveal, dev.hostname),
            authentication_port=rsvc.auth_port,
            accounting_port=rsvc.acct_port,
            src_address=dev.radius_source,
            timeout="3s",
            require_message_auth="no"
            if radius.require_message_authenticator == "no"
            else "yes-for-request-resp",
            comment=f"RADIUS {n}",
        )
    out.settings("/radius/incoming", accept="yes", port=radius.coa_port)
