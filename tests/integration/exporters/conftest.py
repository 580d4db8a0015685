"""Fixtures for the exporter tests: snmpd on loopback, a 202-interface device in a
namespace reached from a client namespace, a lab inventory pointing at them and the exporter
itself (helpers: tests/support/snmp_peers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.snmp_peers import (
    ExporterProcess,
    Namespace,
    Snmpd,
    add_veth_pairs,
    make_inventory,
    namespace,
    run,
    start_exporter,
    start_snmpd,
)


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    """net-snmp snmpd on 127.0.0.1 (v2c public, v3 netops SHA/AES)."""
    agent = start_snmpd(tmp_path_factory.mktemp("snmpd"))
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="module")
def lab_inventory(tmp_path_factory: pytest.TempPathFactory, snmpd: Snmpd) -> Path:
    """The lab inventory, lab-hs-01 (127.0.0.1) polled on the test snmpd's port."""
    return make_inventory(tmp_path_factory.mktemp("inv") / "lab", snmpd.port)


@pytest.fixture(scope="module")
def exporter(lab_inventory: Path) -> Iterator[ExporterProcess]:
    """`netops exporter serve` on a kernel-chosen port."""
    proc = start_exporter(lab_inventory)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def big_device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Namespace, Snmpd]]:
    """A namespace with 100 veth pairs (202 interfaces with lo and eth0, the veth to its
    client namespace ``ns.client``) and snmpd inside it on ``ns.ns_ip``.

    vp0a/vp0b are up (oper up), vp1a is up with its peer down (not oper up), the rest down.
    """
    with namespace("big") as ns:
        add_veth_pairs(ns.name, 100)
        for link in ("vp0a", "vp0b", "vp1a"):
            run("ip", "link", "set", link, "up", netns=ns.name)
        run("ip", "link", "set", "vp2a", "alias", "uplink to nowhere", netns=ns.name)
        agent = start_snmpd(tmp_path_factory.mktemp("snmpd-big"), ns.ns_ip, ns.name)
        try:
            yield ns, agent
        finally:
            agent.stop()
