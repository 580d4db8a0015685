"""What the RADIUS server enforces after a phone's voucher followed it to a new private
MAC through the portal: radclient (FreeRADIUS) as the NAS, `netops radius serve` as the
server, the portal app in-process on the same store."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from radius_peers import RadiusProcess, ServerFactory, pap, radclient

from netops.inventory import load_inventory
from netops.portal.app import PortalSettings, create_app
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

OLD, NEW = "DA-A1-19-00-00-0A", "3E-77-01-00-00-0B"  # private (locally administered) MACs
GATEWAY = "http://10.254.200.1"


@pytest.fixture(scope="module")
def server(
    module_inventory: Path, module_sqlite_url: str, module_server_factory: ServerFactory
) -> RadiusProcess:
    return module_server_factory(module_inventory, module_sqlite_url, "--reject-delay", "0.5")


def _portal_login(inventory: Path, store: Store, code: str, mac: str) -> dict[str, str]:
    """The code typed on the phone with ``mac`` at the lab hotspot: the hand-off's fields."""
    settings = PortalSettings(inventory=load_inventory(inventory), store=store)
    params = {
        "link-login-only": f"{GATEWAY}/login",
        "link-orig": "http://example.net/",
        "mac": mac.replace("-", ":"),
        "ip": "10.254.200.51",
        "server-name": "lab-park",
    }
    with TestClient(create_app(settings), follow_redirects=False) as client:
        page = client.get("/login", params=params).text
        data = {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}
        data.update(method="voucher", code=code)
        reply = client.post("/login", data=data)
    alert = re.search(r'role="alert" id="error">([^<]*)<', reply.text)
    assert reply.status_code == 200, unescape(alert.group(1)) if alert else reply.text[:300]
    return {k: unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', reply.text)}


def test_after_the_portal_moved_a_voucher_radius_accepts_the_new_mac_and_refuses_the_old(
    server: RadiusProcess, module_inventory: Path, open_store: Callable[[str], Store]
) -> None:
    store = open_store(server.db)
    (code,) = store.create_vouchers("voucher-harian", 1)
    first = radclient(server.auth_port, "auth", pap(code, code, mac=f'"{OLD}"'))
    assert first.code == "Access-Accept", first.output

    fields = _portal_login(module_inventory, store, code, NEW)  # before: "sudah dipakai …"
    assert fields["username"] == store.voucher_name(code)  # the keyed name, never the code

    moved = radclient(server.auth_port, "auth", pap(code, code, mac=f'"{NEW}"'))
    assert moved.code == "Access-Accept", moved.output
    old = radclient(server.auth_port, "auth", pap(code, code, mac=f'"{OLD}"'))
    assert old.code == "Access-Reject"
    assert old.attributes["Reply-Message"] == ["Voucher ini sudah dipakai di perangkat lain."]
