"""The exporter against net-snmp's snmpd: values, labels, v3, failures, timeouts."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.snmp_peers import (
    ExporterProcess,
    Namespace,
    Snmpd,
    make_inventory,
    run,
    start_exporter,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"
TRAFFIC = (  # 200 datagrams over the namespace's loopback
    "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
    "[s.sendto(b'x' * 500, ('127.0.0.1', 9)) for _ in range(200)]"
)
Series = dict[str, list[tuple[dict[str, str], float]]]


def parse(text: str) -> Series:
    """Samples by the name they carry on the wire (the parser adds _total to counters)."""
    series: Series = defaultdict(list)
    for fam in text_string_to_metric_families(text):
        bare = f"\n{fam.name}{{" in text
        for sample in fam.samples:
            name = fam.name if bare and sample.name == f"{fam.name}_total" else sample.name
            series[name].append((sample.labels, sample.value))
    return series


def types(text: str) -> dict[str, str]:
    return {
        line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE")
    }


def scrape(exporter: ExporterProcess, timeout: float = 10, **params: str) -> httpx.Response:
    return exporter.get(
        "/snmp",
        params=params,
        headers={"X-Prometheus-Scrape-Timeout-Seconds": str(timeout)},
        timeout=timeout + 5,
    )


@pytest.fixture(scope="module")
def big_exporter(
    tmp_path_factory: pytest.TempPathFactory, big_device: tuple[Namespace, Snmpd]
) -> Iterator[tuple[ExporterProcess, Namespace, Snmpd]]:
    """An exporter in the client namespace whose inventory has the 202-interface device,
    vp0a a leased Telkom uplink: its SNMP crosses the veth."""
    ns, agent = big_device
    inventory = make_inventory(
        tmp_path_factory.mktemp("inv-big") / "lab",
        1,
        sites=[{"id": "nx-lab", "name": "Exporter test site", "kind": "pop"}],
        devices=[
            {
                "hostname": "nx-big-01",
                "site": "nx-lab",
                "role": "distribution",
                "platform": "eos",
                "mgmt_ip": agent.address,
                "snmp_port": agent.port,
                "interfaces": [{"name": "vp0a"}, {"name": "vp1a"}],
            }
        ],
        links=[
            {
                "a": "nx-big-01:vp0a",
                "provider": "Telkom",
                "medium": "leased",
                "capacity_mbps": 200,
                "monthly_cost_idr": 15000000,
            }
        ],
        prefixes=[{"prefix": "10.253.0.0/16", "role": "management", "site": "nx-lab"}],
    )
    proc = start_exporter(inventory, netns=ns.client)
    try:
        yield proc, ns, agent
    finally:
        proc.stop()


def test_all_202_interfaces_are_exported_with_snmpd_names_and_statuses(
    big_exporter: tuple[ExporterProcess, Namespace, Snmpd],
) -> None:
    exporter, _, agent = big_exporter
    response = scrape(exporter, target=agent.target, module="if_mib")
    assert response.status_code == 200, response.text
    series = parse(response.text)
    names = agent.snmpwalk("1.3.6.1.2.1.31.1.1.1.1")
    descrs = agent.snmpwalk("1.3.6.1.2.1.2.2.1.2")
    admin = agent.snmpwalk("1.3.6.1.2.1.2.2.1.7")
    oper = agent.snmpwalk("1.3.6.1.2.1.2.2.1.8")
    assert len(names) == 202  # lo, eth0 (the link to the client namespace), 100 veth pairs
    by_index = {labels["ifIndex"]: labels for labels, _ in series["ifOperStatus"]}
    assert len(by_index) == len(names)
    for oid, name in names.items():
        index = oid.rsplit(".", 1)[1]
        labels = by_index[index]
        assert labels["ifName"] == name
        assert labels["ifDescr"] == descrs[f"1.3.6.1.2.1.2.2.1.2.{index}"]
    admin_by_name = {lb["ifName"]: v for lb, v in series["ifAdminStatus"]}
    oper_by_name = {lb["ifName"]: v for lb, v in series["ifOperStatus"]}
    for oid, value in admin.items():
        index = oid.rsplit(".", 1)[1]
        assert admin_by_name[by_index[index]["ifName"]] == float(value)
    for oid, value in oper.items():
        index = oid.rsplit(".", 1)[1]
        assert oper_by_name[by_index[index]["ifName"]] == float(value)
    # What the kernel was told: vp0a/vp0b up with each other, vp1a up alone, vp3a down.
    assert admin_by_name["vp0a"] == 1 and oper_by_name["vp0a"] == 1
    assert admin_by_name["vp1a"] == 1 and oper_by_name["vp1a"] != 1
    assert admin_by_name["vp3a"] == 2 and oper_by_name["vp3a"] == 2


def test_counters_lie_between_snmpget_reads_before_and_after_and_gauges_equal_them(
    big_exporter: tuple[ExporterProcess, Namespace, Snmpd],
) -> None:
    exporter, ns, agent = big_exporter
    loopback_index = next(
        oid.rsplit(".", 1)[1]
        for oid, name in agent.snmpwalk("1.3.6.1.2.1.31.1.1.1.1").items()
        if name == "lo"
    )
    oid = f"{IF_HC_IN}.{loopback_index}"
    first = int(agent.snmpget(oid)[oid])
    # Move the counter (snmpd caches interface statistics for a few seconds).
    before = first
    deadline = time.monotonic() + 20
    while before == first and time.monotonic() < deadline:
        run(sys.executable, "-c", TRAFFIC, netns=ns.name)
        before = int(agent.snmpget(oid)[oid])
    assert before > first, "the loopback counter never moved"
    response = scrape(exporter, target=agent.target, module="if_mib")
    after = int(agent.snmpget(oid)[oid])
    series = parse(response.text)
    value = next(v for lb, v in series["ifHCInOctets"] if lb["ifIndex"] == loopback_index)
    assert before <= value <= after
    mtu = agent.snmpwalk("1.3.6.1.2.1.2.2.1.4")
    speed = agent.snmpwalk("1.3.6.1.2.1.31.1.1.1.15")
    mtus = {lb["ifIndex"]: v for lb, v in series["ifMtu"]}
    speeds = {lb["ifIndex"]: v for lb, v in series["ifHighSpeed"]}
    assert {o.rsplit(".", 1)[1]: float(v) for o, v in mtu.items()} == mtus
    assert {o.rsplit(".", 1)[1]: float(v) for o, v in speed.items()} == speeds


def test_series_carry_inventory_labels_and_link_labels_on_inventory_ports(
    big_exporter: tuple[ExporterProcess, Namespace, Snmpd],
) -> None:
    exporter, _, agent = big_exporter
    response = scrape(exporter, target=agent.target, module="if_mib")
    series = parse(response.text)
    for labels, _ in series["ifHCOutOctets"]:
        assert (labels["device"], labels["site"], labels["role"]) == (
            "nx-big-01",
            "nx-lab",
            "distribution",
        )
    uplink = next(lb for lb, _ in series["ifHCInOctets"] if lb["ifName"] == "vp0a")
    assert uplink["link_far_end"] == "Telkom"
    assert uplink["link_medium"] == "leased"
    assert uplink["link_capacity_mbps"] == "200"
    assert uplink["link_provider"] == "Telkom"
    other = next(lb for lb, _ in series["ifHCInOctets"] if lb["ifName"] == "vp1a")
    assert "link_far_end" not in other
    assert series["snmp_scrape_pdus_returned"][0][1] > 202 * 30


def test_if_mib_has_snmp_exporter_names_types_and_self_metrics(
    exporter: ExporterProcess, snmpd: Snmpd
) -> None:
    response = scrape(exporter, target=snmpd.target, module="if_mib", auth="public_v2")
    assert response.status_code == 200, response.text
    kinds = types(response.text)
    for name in (
        "ifHCInOctets",
        "ifHCOutOctets",
        "ifHCInUcastPkts",
        "ifHCOutUcastPkts",
        "ifInErrors",
        "ifOutErrors",
        "ifInDiscards",
        "ifOutDiscards",
    ):
        assert kinds[name] == "counter", name
    for name in ("ifOperStatus", "ifAdminStatus", "ifHighSpeed", "ifMtu", "ifLastChange"):
        assert kinds[name] == "gauge", name
    series = parse(response.text)
    labels = series["ifHCInOctets"][0][0]
    assert {"ifIndex", "ifName", "ifDescr", "ifAlias"} <= set(labels)
    assert (labels["device"], labels["site"], labels["role"]) == (
        "lab-hs-01",
        "lab-park",
        "hotspot-gateway",
    )
    assert series["snmp_scrape_duration_seconds"][0][1] > 0
    assert {lb["module"] for lb, _ in series["snmp_scrape_walk_duration_seconds"]} == {"if_mib"}


def test_if_mib_gives_sysuptime_and_system_gives_identity_as_info(
    exporter: ExporterProcess, snmpd: Snmpd
) -> None:
    before = int(snmpd.snmpget("1.3.6.1.2.1.1.3.0")["1.3.6.1.2.1.1.3.0"])
    response = scrape(exporter, target=snmpd.target, module="if_mib,system", auth="public_v2")
    after = int(snmpd.snmpget("1.3.6.1.2.1.1.3.0")["1.3.6.1.2.1.1.3.0"])
    assert response.status_code == 200
    assert types(response.text)["sysUpTime"] == "gauge"
    series = parse(response.text)
    assert before <= series["sysUpTime"][0][1] <= after
    name = snmpd.snmpget("1.3.6.1.2.1.1.5.0")["1.3.6.1.2.1.1.5.0"]
    assert series["sysName"][0][0]["sysName"] == name
    assert series["sysName"][0][1] == 1
    assert series["sysLocation"][0][0]["sysLocation"] == "Lab Park"


def test_v3_authpriv_sha_aes_reads_the_same_interfaces_as_v2c(
    exporter: ExporterProcess, snmpd: Snmpd
) -> None:
    v2 = parse(scrape(exporter, target=snmpd.target, module="if_mib", auth="public_v2").text)
    response = scrape(exporter, target=snmpd.target, module="if_mib,system", auth="lab-v3")
    assert response.status_code == 200, response.text
    v3 = parse(response.text)
    assert {lb["ifName"] for lb, _ in v3["ifOperStatus"]} == {
        lb["ifName"] for lb, _ in v2["ifOperStatus"]
    }
    assert v3["sysUpTime"][0][1] > 0


def _errors(exporter: ExporterProcess) -> dict[str, float]:
    metrics = parse(httpx.get(f"{exporter.url}/metrics", timeout=5).text)
    return {lb["reason"]: v for lb, v in metrics["netops_snmp_scrape_errors_total"]}


def test_wrong_v3_password_is_reported_as_an_auth_failure(tmp_path: Path, snmpd: Snmpd) -> None:
    inventory = make_inventory(
        tmp_path / "lab",
        snmpd.port,
        snmp_profiles={
            "lab-v3-wrong": {
                "version": 3,
                "user": "netops",
                "auth": "sha",
                "auth_key": "not-the-password",
                "priv": "aes",
                "priv_key": "labprivpass",
            }
        },
    )
    exporter = start_exporter(inventory)
    try:
        before = _errors(exporter)
        response = scrape(exporter, target=snmpd.target, module="system", auth="lab-v3-wrong")
        assert response.status_code == 500
        assert "auth" in response.text and "authentication failed" in response.text
        after = _errors(exporter)
        assert after["auth"] == before["auth"] + 1
        assert after["timeout"] == before["timeout"]
    finally:
        exporter.stop()


@pytest.fixture
def silent_udp() -> Iterator[int]:
    """A UDP socket that receives and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_silent_target_fails_within_its_timeout_while_a_parallel_live_scrape_succeeds(
    exporter: ExporterProcess, snmpd: Snmpd, silent_udp: int
) -> None:
    results: dict[str, tuple[int, float, str]] = {}

    def run(key: str, target: str, timeout: float) -> None:
        started = time.monotonic()
        response = scrape(exporter, timeout, target=target, module="if_mib", auth="public_v2")
        results[key] = (response.status_code, time.monotonic() - started, response.text)

    before = _errors(exporter)
    silent = threading.Thread(target=run, args=("silent", f"127.0.0.1:{silent_udp}", 3.0))
    silent.start()
    time.sleep(0.2)
    live = threading.Thread(target=run, args=("live", snmpd.target, 3.0))
    live.start()
    live.join(30)
    silent.join(30)
    status, took, text = results["silent"]
    assert status == 500
    assert "timeout" in text and "no SNMP response" in text
    assert took < 3.0
    live_status, live_took, _ = results["live"]
    assert live_status == 200
    assert 0.2 + live_took < took  # the live scrape ended while the silent one still waited
    assert _errors(exporter)["timeout"] == before["timeout"] + 1


def test_a_lost_request_is_retried_and_counted_like_snmp_exporter_counts_it(
    exporter: ExporterProcess, snmpd: Snmpd
) -> None:
    """A relay in front of snmpd drops the first datagram: the exporter sends it again after
    the profile's timeout and reports one retried packet among the packets sent."""
    agent = ("127.0.0.1", int(snmpd.target.rpartition(":")[2]))
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as front,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as back,
    ):
        front.bind(("127.0.0.1", 0))
        back.bind(("127.0.0.1", 0))
        port = front.getsockname()[1]
        stop = threading.Event()
        seen = {"requests": 0}

        def relay() -> None:
            front.settimeout(0.05)
            back.settimeout(0.05)
            client = None
            while not stop.is_set():
                try:
                    data, client = front.recvfrom(65535)
                    seen["requests"] += 1
                    if seen["requests"] > 1:
                        back.sendto(data, agent)
                except TimeoutError:
                    pass
                try:
                    answer, _ = back.recvfrom(65535)
                    if client is not None:
                        front.sendto(answer, client)
                except TimeoutError:
                    pass

        thread = threading.Thread(target=relay)
        thread.start()
        try:
            response = scrape(
                exporter, 8.0, target=f"127.0.0.1:{port}", module="system", auth="public_v2"
            )
        finally:
            stop.set()
            thread.join(5)
    assert response.status_code == 200, response.text
    series = parse(response.text)
    assert series["snmp_scrape_packets_retried"][0][1] == 1
    assert series["snmp_scrape_packets_sent"][0][1] == seen["requests"] == 2
    assert series["sysName"][0][1] == 1


def test_target_answering_garbage_fails_as_a_protocol_error(exporter: ExporterProcess) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        stop = threading.Event()

        def answer() -> None:
            sock.settimeout(0.1)
            while not stop.is_set():
                try:
                    _, peer = sock.recvfrom(4096)
                except TimeoutError:
                    continue
                sock.sendto(b"\x30\x03\x02\x01", peer)

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            response = scrape(
                exporter, 2.0, target=f"127.0.0.1:{port}", module="system", auth="public_v2"
            )
        finally:
            stop.set()
            thread.join(5)
    assert response.status_code == 500
    assert "protocol" in response.text and "malformed response" in response.text


def test_bad_requests_get_400_with_the_reason(exporter: ExporterProcess, snmpd: Snmpd) -> None:
    missing = httpx.get(f"{exporter.url}/snmp", timeout=5)
    assert missing.status_code == 400 and "target" in missing.text
    module = scrape(exporter, target=snmpd.target, module="no_such", auth="public_v2")
    assert module.status_code == 400 and "unknown module no_such" in module.text
    auth = scrape(exporter, target=snmpd.target, module="system", auth="nope")
    assert auth.status_code == 400 and "not an SNMP profile" in auth.text
    unknown = scrape(exporter, target="127.0.0.9:161", module="system")
    assert unknown.status_code == 400 and "auth=PROFILE" in unknown.text


def test_netops_usm_and_pysnmp_read_the_same_v3_values(
    lab_inventory: Path, exporter: ExporterProcess, snmpd: Snmpd
) -> None:
    reference = start_exporter(lab_inventory, "--v3-engine", "pysnmp")
    try:
        params = {"target": snmpd.target, "module": "if_mib,system", "auth": "lab-v3"}
        ours = scrape(exporter, **params)
        theirs = scrape(reference, **params)
    finally:
        reference.stop()
    assert ours.status_code == theirs.status_code == 200
    mine, peer = parse(ours.text), parse(theirs.text)
    for name in ("ifMtu", "ifAdminStatus", "ifHighSpeed", "sysName", "sysLocation"):
        assert sorted(map(repr, mine[name])) == sorted(map(repr, peer[name])), name


def test_unknown_v3_user_is_reported_as_an_auth_failure(tmp_path: Path, snmpd: Snmpd) -> None:
    inventory = make_inventory(
        tmp_path / "lab",
        snmpd.port,
        snmp_profiles={
            "stranger": {
                "version": 3,
                "user": "stranger",
                "auth": "sha256",
                "auth_key": "whatever-pass",
                "priv": "aes",
                "priv_key": "whatever-priv",
            }
        },
    )
    exporter = start_exporter(inventory)
    try:
        response = scrape(exporter, target=snmpd.target, module="system", auth="stranger")
    finally:
        exporter.stop()
    assert response.status_code == 500
    assert "auth" in response.text and "no v3 user 'stranger'" in response.text
