"""The lab gateway's reading of a lab RouterOS device's hotspot configuration.

Walled-garden matching follows MikroTik's "Hotspot" page (Walled Garden): HTTP entries match
``dst-host`` (``*`` wildcards), ``dst-port`` and ``path`` with allow/deny, first match wins;
IP entries (``/ip hotspot walled-garden ip``) match address, host, protocol and port and
bypass the hotspot, HTTPS included. ``/radius incoming`` defaults to port 3799 ("RADIUS
Client").
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from netops.lab.hotspot_config import (
    HotspotNotConfigured,
    PushedConfig,
    WalledGardenIpRule,
    WalledGardenRule,
    read_hotspot,
)


def _state(folder: Path, **changes: object) -> Path:
    tables: dict[str, list[dict[str, str]]] = {
        "ip/hotspot": [
            {"name": "hs-park", "profile": "hsprof-park", "disabled": "false"},
        ],
        "ip/hotspot/profile": [
            {
                "name": "hsprof-park",
                "hotspot-address": "10.254.200.1",
                "dns-name": "login.park.test",
                "html-directory": "hotspot-netops",
                "login-by": "http-chap,http-pap",
                "use-radius": "true",
                "radius-accounting": "true",
                "radius-interim-update": "5m",
            }
        ],
        "ip/hotspot/walled-garden": [
            {"action": "allow", "dst-host": "portal.park.test", "disabled": "false"}
        ],
        "ip/hotspot/walled-garden/ip": [
            {
                "action": "accept",
                "dst-address": "127.0.0.1",
                "protocol": "tcp",
                "dst-port": "8443",
                "disabled": "false",
            },
        ],
        "radius": [
            {"service": "login", "address": "10.0.0.9", "secret": "other", "disabled": "false"},
            {
                "service": "hotspot",
                "address": "127.0.0.1",
                "secret": "s3cret",
                "authentication-port": "11812",
                "accounting-port": "11813",
                "timeout": "300ms",
                "disabled": "false",
            },
        ],
    }
    tables.update(changes.get("tables", {}))  # type: ignore[arg-type]
    settings = {
        "system/identity": {"name": "park-gw"},
        "radius/incoming": {"accept": "true", "port": "13799"},
    }
    doc = {"format": 1, "major": "7", "version": "7.16", "next_id": 1, "tables": tables,
           "settings": settings}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "state.json").write_text(json.dumps(doc))
    page = folder / "files" / "hotspot-netops" / "login.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<form action='http://portal.park.test/'>$(link-login-only)</form>")
    return folder


def test_the_configuration_is_read_from_the_devices_state(tmp_path: Path) -> None:
    cfg = read_hotspot(_state(tmp_path))
    assert (cfg.identity, cfg.server, cfg.dns_name) == ("park-gw", "hs-park", "login.park.test")
    assert cfg.chap and cfg.pap and cfg.use_radius and cfg.radius_accounting
    assert cfg.interim_update == 300
    assert cfg.login_html is not None and "$(link-login-only)" in cfg.login_html
    assert cfg.radius is not None
    assert (cfg.radius.address, cfg.radius.secret) == ("127.0.0.1", "s3cret")  # service=hotspot
    assert (cfg.radius.auth_port, cfg.radius.acct_port, cfg.radius.timeout) == (11812, 11813, 0.3)
    assert (cfg.coa_accept, cfg.coa_port) == (True, 13799)
    assert cfg.own_hosts() == {"login.park.test", "10.254.200.1"}


def test_walled_garden_http_and_ip_entries(tmp_path: Path) -> None:
    cfg = read_hotspot(_state(tmp_path))
    assert cfg.walled("portal.park.test", 80, "/login")
    assert cfg.walled("127.0.0.1", 8443, "/", http=False)  # HTTPS through the IP list
    assert not cfg.walled("portal.park.test", 443, "/", http=False)  # HTTP entry: not HTTPS
    assert not cfg.walled("127.0.0.1", 8080, "/")
    assert not cfg.walled("news.example.test", 80, "/")


def test_walled_garden_rules_wildcards_ports_and_first_match() -> None:
    rule = WalledGardenRule("allow", dst_host="*.kota.go.id", dst_port="80,8000-8080")
    assert rule.matches("portal.kota.go.id", 8080, "/")
    assert not rule.matches("portal.kota.go.id", 443, "/")
    assert not rule.matches("kota.go.id.evil.test", 80, "/")
    assert WalledGardenIpRule("accept", dst_address="10.0.0.0/8").matches("10.1.2.3", 443)
    assert not WalledGardenIpRule("accept", dst_address="10.0.0.0/8").matches("11.0.0.1", 443)
    assert not WalledGardenIpRule("accept", protocol="udp").matches("10.0.0.1", 53, "tcp")
    assert WalledGardenRule("allow", dst_port="!443").matches("a.test", 80, "/")


def test_a_device_without_a_hotspot_is_one_sentence(tmp_path: Path) -> None:
    _state(tmp_path, tables={"ip/hotspot": []})
    with pytest.raises(HotspotNotConfigured, match="park-gw has no enabled /ip hotspot"):
        read_hotspot(tmp_path)
    with pytest.raises(HotspotNotConfigured, match="does not exist"):
        read_hotspot(tmp_path / "missing")


def test_a_new_push_is_followed_without_a_restart(tmp_path: Path) -> None:
    source = PushedConfig(_state(tmp_path))
    assert source.current().walled("portal.park.test", 80)
    _state(tmp_path, tables={"ip/hotspot/walled-garden": []})
    later = time.time() + 5  # another mtime even on a coarse clock
    os.utime(tmp_path / "state.json", (later, later))
    assert not source.current().walled("portal.park.test", 80)
    (tmp_path / "files" / "hotspot-netops" / "login.html").write_text("changed $(error)")
    os.utime(tmp_path / "files" / "hotspot-netops" / "login.html", (later + 5, later + 5))
    assert source.current().login_html == "changed $(error)"
