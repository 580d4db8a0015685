"""A real Prometheus scrapes the exporter through `netops prometheus targets` + `config`."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.snmp_peers import NETOPS, ExporterProcess, free_port, need

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


def netops(*args: str) -> str:
    out = subprocess.run([NETOPS, *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def query(url: str, promql: str) -> list[dict[str, object]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": promql}, timeout=5)
    response.raise_for_status()
    result: list[dict[str, object]] = response.json()["data"]["result"]
    return result


def test_prometheus_scrapes_if_mib_with_inventory_labels_through_the_generated_config(
    tmp_path: Path, lab_inventory: Path, exporter: ExporterProcess
) -> None:
    binary = need("prometheus")
    promtool = need("promtool")
    conf_dir = tmp_path / "prometheus"
    # Only the park's devices: both on loopback (lab-hs-01 is the test snmpd).
    netops(
        "prometheus", "targets", "-i", str(lab_inventory), "--site", "lab-park", "-o", str(conf_dir)
    )
    netops(
        "prometheus", "rules", "-i", str(lab_inventory), "-o", str(conf_dir / "netops-rules.yml")
    )
    netops(
        "prometheus",
        "config",
        "-i",
        str(lab_inventory),
        "-o",
        str(conf_dir / "prometheus.yml"),
        "--exporter",
        exporter.address,
        "--scrape-interval",
        "1s",
        "--scrape-timeout",
        "1s",
    )
    config = yaml.safe_load((conf_dir / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"snmp", "icmp", "netops-radius", "netops-portal", "netops-exporter"}
    assert jobs["snmp"]["honor_labels"] is True
    check = subprocess.run(
        [promtool, "check", "config", str(conf_dir / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr

    port = free_port(kind=1)
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={conf_dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "prometheus.log", "w"),  # noqa: SIM115
    )
    url = f"http://127.0.0.1:{port}"
    try:
        series: list[dict[str, object]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not series:
            time.sleep(1)
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            try:
                series = query(url, 'ifHCInOctets{device="lab-hs-01"}')
            except httpx.HTTPError:
                continue
        assert series, "Prometheus never stored ifHCInOctets for lab-hs-01"
        labels = series[0]["metric"]
        assert isinstance(labels, dict)
        assert labels["job"] == "snmp"
        assert labels["site"] == "lab-park" and labels["role"] == "hotspot-gateway"
        assert labels["instance"].startswith("127.0.0.1:")
        assert {"ifIndex", "ifName", "ifDescr"} <= set(labels)  # ifAlias is empty: dropped
        up = query(url, 'up{job="snmp", device="lab-hs-01"}')
        assert up and up[0]["value"][1] == "1"  # type: ignore[index]
        # lab-ap-01 (127.0.1.5) has no agent: the exporter fails it, Prometheus marks it down.
        deadline = time.monotonic() + 20
        down: list[dict[str, object]] = []
        while time.monotonic() < deadline and not down:
            down = query(url, 'up{job="snmp", device="lab-ap-01"} == 0')
            time.sleep(0.5)
        assert down
        probe = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not probe:
            probe = query(url, 'probe_success{job="icmp", device="lab-hs-01"}')
            time.sleep(0.5)
        assert probe and probe[0]["value"][1] == "1"  # type: ignore[index]
        # The exporter sets device/site/role itself on SNMP and ICMP series: with honor_labels
        # no series carries a second, exported_* copy of any label.
        everything = query(url, '{__name__=~".+"}')
        doubled = {k for s in everything for k in s["metric"] if k.startswith("exported_")}  # type: ignore[attr-defined]
        assert not doubled, doubled
        assert {s["metric"].get("job") for s in everything} >= {"snmp", "icmp"}  # type: ignore[attr-defined]
        # RADIUS and portal targets are the inventory's services.
        targets = httpx.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        scraped = {(t["labels"]["job"], t["scrapeUrl"]) for t in targets}
        assert ("netops-radius", "http://127.0.0.1:9812/metrics") in scraped
        assert ("netops-portal", "http://127.0.0.1:8080/metrics") in scraped
    finally:
        proc.terminate()
        proc.wait(20)


def test_the_city_config_checks_with_promtool_and_scrapes_both_radius_servers(
    tmp_path: Path,
) -> None:
    promtool = need("promtool")
    out = tmp_path / "prometheus.yml"
    netops(
        "prometheus",
        "config",
        "-i",
        str(Path(__file__).resolve().parents[3] / "inventory" / "banjarmasin"),
        "-o",
        str(out),
        "--rules-file",
        str(tmp_path / "none.yml"),
    )
    config = yaml.safe_load(out.read_text())
    config["rule_files"] = []  # the shipped rules are another engineer's; check the scrapes
    out.write_text(yaml.safe_dump(config))
    check = subprocess.run(
        [promtool, "check", "config", str(out)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["netops-radius"]["static_configs"][0]["targets"] == [
        "10.40.0.10:9812",
        "10.40.0.11:9812",
    ]
    assert jobs["netops-portal"]["scheme"] == "https"
    assert jobs["netops-portal"]["tls_config"]["server_name"] == "wifi.banjarmasinkota.go.id"
    assert jobs["icmp"]["honor_labels"] is True and jobs["snmp"]["honor_labels"] is True
