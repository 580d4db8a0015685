"""Drop-in compatibility: the series Prometheus's snmp_exporter gives for the same agent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.snmp_peers import ExporterProcess, Process, Snmpd, start_snmp_exporter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

INVENTORY_LABELS = {"device", "site", "role"}
MOVING = {"ifLastChange", "sysUpTime"}  # move between the two scrapes on a live machine


@pytest.fixture(scope="module")
def snmp_exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """Debian's prometheus-snmp-exporter 0.21 with an if_mib module written from RFC 2863."""
    proc = start_snmp_exporter(tmp_path_factory.mktemp("snmp-exporter"))
    try:
        yield proc
    finally:
        proc.stop()


def _self_metrics(text: str) -> set[str]:
    return {
        fam.name for fam in text_string_to_metric_families(text) if fam.name.startswith("snmp_")
    }


def _series(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], tuple[str, float]]:
    out = {}
    for fam in text_string_to_metric_families(text):
        if fam.name.startswith("snmp_scrape"):
            continue
        for sample in fam.samples:
            labels = frozenset(
                (k, v) for k, v in sample.labels.items() if k not in INVENTORY_LABELS
            )
            out[(sample.name, labels)] = (fam.type, sample.value)
    return out


def test_if_mib_gives_the_series_snmp_exporter_gives(
    exporter: ExporterProcess, snmp_exporter: Process, snmpd: Snmpd, tmp_path: Path
) -> None:
    theirs = httpx.get(
        f"{snmp_exporter.url}/snmp",
        params={"target": snmpd.target, "module": "if_mib"},
        timeout=30,
    )
    ours = httpx.get(
        f"{exporter.url}/snmp",
        params={"target": snmpd.target, "module": "if_mib", "auth": "public_v2"},
        timeout=30,
    )
    assert theirs.status_code == 200, theirs.text
    assert ours.status_code == 200, ours.text
    peer, mine = _series(theirs.text), _series(ours.text)
    assert {name for name, _ in peer} >= {"sysUpTime", "ifSpecific"}
    assert set(mine) == set(peer)
    assert _self_metrics(ours.text) == _self_metrics(theirs.text)
    for key, (kind, value) in peer.items():
        my_kind, my_value = mine[key]
        assert my_kind == kind, key
        if kind == "gauge" and key[0] not in MOVING:
            assert my_value == value, key
    uptime = ("sysUpTime", frozenset())
    assert 0 <= mine[uptime][1] - peer[uptime][1] < 1000  # ours was read after theirs
