"""DHCP option 114 (RFC 8910) names only an HTTPS captive-portal API (RFC 8908)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netops.errors import NetopsError
from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.provision.routeros.intended import intended_state
from tests.paths import LAB


def _lab_with(tmp_path: Path, extra: str) -> Inventory:
    copy = tmp_path / "lab"
    shutil.copytree(LAB, copy)
    meta = copy / "meta.yml"
    text = meta.read_text()
    marker = "    uam_secret: uamsecret\n"
    assert marker in text
    meta.write_text(text.replace(marker, marker + extra))
    return load_inventory(copy)


def test_a_plain_http_portal_gets_no_option_114(tmp_path: Path) -> None:
    lab = load_inventory(LAB)
    assert lab.services.portal.url.startswith("http://")
    state = intended_state(lab.device("lab-hs-01"), lab)
    assert "/ip/dhcp-server/option" not in state
    for network in state["/ip/dhcp-server/network"]:
        assert "dhcp-option" not in network


def test_api_url_is_handed_out_and_let_through_the_walled_garden(tmp_path: Path) -> None:
    lab = _lab_with(tmp_path, "    api_url: https://portal.lab.test:8443/api/captive\n")
    state = intended_state(lab.device("lab-hs-01"), lab)
    assert state["/ip/dhcp-server/option"] == [
        {
            "name": "netops-captive-portal",
            "code": "114",
            "value": "'https://portal.lab.test:8443/api/captive'",
        }
    ]
    assert all(
        n["dhcp-option"] == "netops-captive-portal" for n in state["/ip/dhcp-server/network"]
    )
    assert {
        "action": "accept",
        "protocol": "tcp",
        "dst-port": "8443",
        "dst-host": "portal.lab.test",
        "comment": "captive portal API",
    } in state["/ip/hotspot/walled-garden/ip"]


def test_a_plain_http_api_url_is_refused_in_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(NetopsError, match=r"api_url .* must be an https:// URL"):
        _lab_with(tmp_path, "    api_url: http://127.0.0.1:8080/api/captive\n")


def test_a_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NetopsError, match="tls_cert and tls_key go together"):
        _lab_with(tmp_path, "    tls_cert: portal.pem\n")
