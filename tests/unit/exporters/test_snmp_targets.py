"""Inventory → scrape targets, file_sd lists and the Prometheus configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import ExporterError, NetopsError
from netops.exporters.discover import hosts_of, known_addresses, site_prefixes
from netops.exporters.server import ExporterSettings, _budget, parse_listen
from netops.exporters.targets import (
    port_labels,
    probe_targets,
    prometheus_config,
    resolve_target,
    snmp_targets,
    split_host_port,
)
from netops.inventory import Inventory, load_inventory

REPO = Path(__file__).resolve().parents[3]
LAB = REPO / "inventory" / "lab"


@pytest.fixture(scope="module")
def lab() -> Inventory:
    return load_inventory(LAB)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1", ("10.0.0.1", None)),
        ("10.0.0.1:1161", ("10.0.0.1", 1161)),
        ("[2001:db8::1]:161", ("2001:db8::1", 161)),
        ("2001:db8::1", ("2001:db8::1", None)),
        ("router.lab", ("router.lab", None)),
    ],
)
def test_targets_split_into_host_and_port(text: str, expected: tuple[str, int | None]) -> None:
    assert split_host_port(text) == expected


@pytest.mark.parametrize("text", ["", "10.0.0.1:http", "10.0.0.1:70000", "[::1", ":161"])
def test_bad_targets_are_refused(text: str) -> None:
    with pytest.raises(ExporterError):
        split_host_port(text)


def test_loopback_target_with_a_port_is_the_lab_hotspot_gateway(lab: Inventory) -> None:
    resolved = resolve_target(lab, "127.0.0.1:16100", "public_v2")
    assert (resolved.host, resolved.port) == ("127.0.0.1", 16100)
    assert resolved.labels == {"device": "lab-hs-01", "site": "lab-park", "role": "hotspot-gateway"}
    assert resolved.ports["ether1"]["link_far_end"] == "lab-dist-01:Ethernet2"
    assert resolved.ports["ether1"]["link_medium"] == "fiber"
    assert resolved.ports["ether1"]["link_capacity_mbps"] == "100"


def test_a_hostname_target_uses_the_devices_address_and_profile(lab: Inventory) -> None:
    resolved = resolve_target(lab, "lab-core-01", None)
    assert (resolved.host, resolved.port, resolved.profile_name) == ("10.254.0.2", 161, "public_v2")


def test_unknown_hosts_need_an_auth_profile_and_profiles_must_exist(lab: Inventory) -> None:
    with pytest.raises(ExporterError, match="auth=PROFILE"):
        resolve_target(lab, "127.0.0.99", None)
    with pytest.raises(ExporterError, match=r"'nope' is not an SNMP profile \(known: lab-v3"):
        resolve_target(lab, "127.0.0.1", "nope")
    assert resolve_target(lab, "127.0.0.99", "lab-v3").labels == {}


def test_leased_uplinks_carry_their_provider(lab: Inventory) -> None:
    ports = port_labels(lab, lab.device("lab-core-01"))
    assert ports["eth2"] == {
        "link_far_end": "Telkom",
        "link_medium": "leased",
        "link_capacity_mbps": "100",
        "link_provider": "Telkom",
    }
    assert ports["eth1"]["link_far_end"] == "lab-core-02:eth1"


def test_file_sd_lists_carry_module_auth_and_inventory_labels(lab: Inventory) -> None:
    entries = {e["labels"]["device"]: e for e in snmp_targets(lab)}
    assert set(entries) == {d.hostname for d in lab.devices}
    gateway = entries["lab-hs-01"]
    assert gateway["targets"] == ["127.0.0.1:161"]
    assert gateway["labels"]["__param_auth"] == "public_v2"
    assert gateway["labels"]["__param_module"] == "if_mib,system,mikrotik,host_resources"
    assert entries["lab-core-01"]["labels"]["__param_module"] == "if_mib,system"
    park = probe_targets(lab, site="lab-park")
    assert sorted(e["targets"][0] for e in park) == ["127.0.0.1", "127.0.1.5"]


def test_prometheus_config_has_every_job_and_the_multi_target_relabelling(lab: Inventory) -> None:
    config = prometheus_config(lab, Path("/etc/prom"), ["/rules/*.yml"], exporter="10.0.0.5:9116")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"snmp", "icmp", "netops-radius", "netops-portal", "netops-exporter"}
    snmp = jobs["snmp"]
    assert snmp["metrics_path"] == "/snmp" and snmp["honor_labels"] is True
    assert snmp["file_sd_configs"] == [{"files": ["/etc/prom/snmp.json"]}]
    assert snmp["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": "10.0.0.5:9116"},
    ]
    assert jobs["icmp"]["metrics_path"] == "/probe"
    assert jobs["icmp"]["honor_labels"] is True  # the exporter sets device/site/role itself
    assert jobs["netops-portal"]["static_configs"] == [{"targets": ["127.0.0.1:8080"]}]
    assert jobs["netops-portal"]["scheme"] == "http" and "tls_config" not in jobs["netops-portal"]
    assert jobs["netops-radius"]["static_configs"] == [{"targets": ["127.0.0.1:9812"]}]
    assert config["rule_files"] == ["/rules/*.yml"]


def test_prometheus_config_scrapes_every_radius_server_and_the_https_portal_of_the_city() -> None:
    city = load_inventory(REPO / "inventory" / "banjarmasin")
    config = prometheus_config(city, Path("/etc/prom"), [])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["netops-radius"]["static_configs"] == [
        {"targets": ["10.40.0.10:9812", "10.40.0.11:9812"]}
    ]
    portal = jobs["netops-portal"]
    assert portal["scheme"] == "https" and portal["metrics_path"] == "/metrics"
    assert portal["static_configs"] == [{"targets": ["wifi.banjarmasinkota.go.id:443"]}]
    assert portal["tls_config"] == {"server_name": "wifi.banjarmasinkota.go.id"}
    # Each portal host named apart keeps the URL's scheme and certificate name.
    both = prometheus_config(
        city, Path("/p"), [], portal=["10.40.0.10:443", "10.40.0.11:443"], radius_metrics_port=9900
    )
    jobs = {job["job_name"]: job for job in both["scrape_configs"]}
    assert jobs["netops-portal"]["static_configs"] == [
        {"targets": ["10.40.0.10:443", "10.40.0.11:443"]}
    ]
    assert jobs["netops-portal"]["tls_config"] == {"server_name": "wifi.banjarmasinkota.go.id"}
    assert jobs["netops-radius"]["static_configs"][0]["targets"][1] == "10.40.0.11:9900"


def test_discovery_sweeps_a_sites_prefixes_and_knows_inventory_addresses(lab: Inventory) -> None:
    assert [str(n) for n in site_prefixes(lab, "lab-cc")] == ["10.254.0.0/24"]
    with pytest.raises(NetopsError, match="no IPv4 prefix"):
        site_prefixes(lab, "lab-office")
    with pytest.raises(NetopsError, match="not in the inventory"):
        site_prefixes(lab, "atlantis")
    known = known_addresses(lab)
    assert known["10.254.0.2"] == "lab-core-01"
    assert known["10.254.100.1"] == "lab-core-01"  # an interface address
    assert known["10.254.255.1"] == "lab-core-01"  # the loopback


def test_sweeps_larger_than_the_limit_are_refused() -> None:
    import ipaddress

    nets = [ipaddress.IPv4Network("10.0.0.0/16")]
    with pytest.raises(NetopsError, match="more than the limit"):
        hosts_of(nets, 4096)
    assert len(hosts_of([ipaddress.IPv4Network("10.0.0.0/30")], 10)) == 2
    assert hosts_of([ipaddress.IPv4Network("10.0.0.7/32")], 10) == ["10.0.0.7"]


def test_scrape_budget_is_prometheus_timeout_minus_the_offset() -> None:
    settings = ExporterSettings(default_timeout=10, timeout_offset=0.5)
    assert _budget({b"x-prometheus-scrape-timeout-seconds": b"3"}, settings) == 2.5
    assert _budget({}, settings) == 9.5
    assert _budget({b"x-prometheus-scrape-timeout-seconds": b"junk"}, settings) == 9.5
    assert _budget({b"x-prometheus-scrape-timeout-seconds": b"0.1"}, settings) == 0.05


def test_listen_addresses_parse_like_snmp_exporters() -> None:
    assert parse_listen(":9116") == ("0.0.0.0", 9116)
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("[::1]:9200") == ("::1", 9200)
    assert parse_listen("10.0.0.1") == ("10.0.0.1", 9116)
    with pytest.raises(ExporterError):
        parse_listen(":http")
