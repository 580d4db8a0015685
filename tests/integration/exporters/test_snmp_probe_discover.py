"""ICMP probes and the discovery sweep across network namespaces (real kernel replies).

The exporter and `netops discover` run in a client namespace; the namespaces they probe hang
off it by a veth each ("ok" answers ICMP, "drop" ignores it)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.snmp_peers import (
    NETOPS,
    ExporterProcess,
    Namespace,
    make_inventory,
    namespace,
    run,
    start_exporter,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def client() -> Iterator[str]:
    """The namespace the exporter and `netops discover` run in (only lo until joined)."""
    with namespace("probe", client=False) as ns:
        yield ns.name


@pytest.fixture(scope="module")
def prober(lab_inventory: Path, client: str) -> Iterator[ExporterProcess]:
    """`netops exporter serve` inside the client namespace."""
    proc = start_exporter(lab_inventory, netns=client)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def answering(client: str) -> Iterator[Namespace]:
    """A namespace joined to the client on its own /24, with two more addresses on eth0."""
    with namespace("ok", client=client) as ns:
        for extra in ("10.253.{}.3", "10.253.{}.4"):
            address = extra.format(ns.ns_ip.split(".")[2])
            run("ip", "addr", "add", f"{address}/24", "dev", "eth0", netns=ns.name)
        yield ns


@pytest.fixture(scope="module")
def dropping(client: str) -> Iterator[Namespace]:
    """A namespace joined to the client whose kernel ignores ICMP echo requests."""
    with namespace("drop", client=client) as ns:
        run("sysctl", "-q", "-w", "net.ipv4.icmp_echo_ignore_all=1", netns=ns.name)
        yield ns


def probe(exporter: ExporterProcess, target: str) -> dict[str, tuple[dict[str, str], float]]:
    response = exporter.get(
        "/probe",
        params={"target": target},
        headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"},
        timeout=10,
    )
    assert response.status_code == 200
    return {
        s.name: (s.labels, s.value)
        for fam in text_string_to_metric_families(response.text)
        for s in fam.samples
    }


def test_probe_of_a_namespace_that_answers_reports_success_rtt_and_no_loss(
    prober: ExporterProcess, answering: Namespace
) -> None:
    result = probe(prober, answering.ns_ip)
    assert result["probe_success"][1] == 1
    assert result["probe_icmp_loss_ratio"][1] == 0
    assert 0 < result["probe_icmp_rtt_seconds"][1] < result["probe_duration_seconds"][1]


def test_probe_of_a_namespace_that_drops_icmp_reports_failure_and_full_loss(
    prober: ExporterProcess, dropping: Namespace
) -> None:
    result = probe(prober, dropping.ns_ip)
    assert result["probe_success"][1] == 0
    assert result["probe_icmp_loss_ratio"][1] == 1
    assert "probe_icmp_rtt_seconds" not in result


def test_probe_of_an_inventory_device_carries_its_labels(prober: ExporterProcess) -> None:
    result = probe(prober, "lab-hs-01")
    labels, value = result["probe_success"]
    assert value == 1
    assert labels == {"device": "lab-hs-01", "site": "lab-park", "role": "hotspot-gateway"}


def discover(client: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`netops discover ARGS` run inside ``client``, where the swept prefixes are on-link."""
    return subprocess.run(
        ["ip", "netns", "exec", client, NETOPS, "discover", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_discover_lists_live_hosts_missing_from_the_inventory(
    tmp_path: Path, client: str, answering: Namespace, dropping: Namespace
) -> None:
    subnet = answering.ns_ip.split(".")[2]
    inventory = make_inventory(
        tmp_path / "lab",
        161,
        sites=[{"id": "nx-disc", "name": "Discovery test site", "kind": "office"}],
        devices=[
            {
                "hostname": "nx-known-01",
                "site": "nx-disc",
                "role": "switch",
                "platform": "eos",
                "mgmt_ip": answering.ns_ip,
            }
        ],
        prefixes=[{"prefix": f"10.253.{subnet}.0/24", "role": "management", "site": "nx-disc"}],
    )
    out = discover(client, "-i", str(inventory), "--site", "nx-disc", "--json", "--all")
    assert out.returncode == 0, out.stderr
    found = {row["address"]: row for row in json.loads(out.stdout)}
    rogue = {f"10.253.{subnet}.3", f"10.253.{subnet}.4"}
    assert rogue <= set(found)
    for address in rogue:
        assert found[address]["device"] is None
        assert set(found[address]["seen_by"]) == {"arp", "icmp"}
        assert found[address]["mac"]
    assert found[answering.ns_ip]["device"] == "nx-known-01"
    assert answering.client_ip not in found  # this host's own address is not a discovery
    unknown_only = discover(client, "-i", str(inventory), "--site", "nx-disc", "--json", "--no-arp")
    assert {row["address"] for row in json.loads(unknown_only.stdout)} == rogue


def test_discover_of_an_unknown_site_is_a_clear_error(tmp_path: Path) -> None:
    inventory = make_inventory(tmp_path / "lab", 161)
    out = subprocess.run(
        [NETOPS, "discover", "-i", str(inventory), "--site", "atlantis"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 1
    assert "site 'atlantis' is not in the inventory" in out.stderr


def test_reload_picks_up_inventory_changes_and_keeps_running_on_a_broken_file(
    tmp_path: Path,
) -> None:
    inventory = make_inventory(tmp_path / "lab", 161)
    exporter = start_exporter(inventory)
    try:
        assert "device" not in probe(exporter, "127.0.0.9")["probe_success"][0]
        devices = inventory / "devices.yml"
        text = devices.read_text()
        devices.write_text(
            text.rstrip("\n")
            + "\n- hostname: lab-sw-09\n  site: lab-park\n  role: switch\n  platform: eos\n"
            "  mgmt_ip: 127.0.0.9\n"
        )
        reloaded = httpx.post(f"{exporter.url}/-/reload", timeout=30)
        assert reloaded.status_code == 200, reloaded.text
        assert probe(exporter, "127.0.0.9")["probe_success"][0]["device"] == "lab-sw-09"
        devices.write_text("devices: [unclosed\n")
        broken = httpx.post(f"{exporter.url}/-/reload", timeout=30)
        assert broken.status_code == 500
        assert "still running the old configuration" in broken.text
        assert "devices.yml" in broken.text
        labels, value = probe(exporter, "lab-sw-09")["probe_success"]
        assert labels["device"] == "lab-sw-09" and value == 1
    finally:
        exporter.stop()
