"""SNMP values → metric families, snmp_exporter style, with inventory labels."""

from __future__ import annotations

from prometheus_client.exposition import generate_latest

from netops.exporters.convert import ScrapeData, build_families, parse_index, render
from netops.exporters.expose import Families, encode
from netops.exporters.modules import Index, load_modules, parse_modules, parse_oid

IF_HC_IN = parse_oid("1.3.6.1.2.1.31.1.1.1.6")
IF_IN = parse_oid("1.3.6.1.2.1.2.2.1.10")
IF_NAME = parse_oid("1.3.6.1.2.1.31.1.1.1.1")
IF_DESCR = parse_oid("1.3.6.1.2.1.2.2.1.2")
IF_OPER = parse_oid("1.3.6.1.2.1.2.2.1.8")


def _samples(families: list, name: str) -> dict[str, tuple[dict[str, str], float]]:
    fam = next(f for f in families if f.name == name)
    return {s.labels.get("ifIndex", ""): (s.labels, s.value) for s in fam.samples}


def _data() -> ScrapeData:
    return ScrapeData(
        columns={
            IF_HC_IN: {(1,): 2**40, (2,): 7},
            IF_IN: {(1,): 5, (2,): 6, (3,): 99},
            IF_NAME: {(1,): b"ether1", (2,): b"ether2", (3,): b"wlan1"},
            IF_DESCR: {(1,): b"ether1", (2,): b"ether2"},
            IF_OPER: {(1,): 1, (2,): 2, (3,): 7},
        }
    )


def test_64_bit_counters_are_preferred_and_32_bit_fills_rows_without_them() -> None:
    families = build_families([load_modules()["if_mib"]], _data())
    rows = _samples(families, "ifHCInOctets")
    assert rows["1"][1] == float(2**40)
    assert rows["2"][1] == 7
    assert rows["3"][1] == 99  # only ifInOctets exists for ifIndex 3


def test_lookups_label_every_row_and_missing_lookups_are_empty() -> None:
    families = build_families([load_modules()["if_mib"]], _data())
    rows = _samples(families, "ifOperStatus")
    assert rows["1"][0] == {"ifIndex": "1", "ifName": "ether1", "ifDescr": "ether1", "ifAlias": ""}
    assert rows["3"][0]["ifDescr"] == ""
    assert rows["3"][1] == 7


def test_inventory_labels_go_on_every_series_and_link_labels_on_linked_ports() -> None:
    families = build_families(
        [load_modules()["if_mib"]],
        _data(),
        {"device": "hs-01", "site": "park", "role": "hotspot-gateway"},
        {"ether1": {"link_far_end": "Telkom", "link_medium": "leased"}},
    )
    rows = _samples(families, "ifHCInOctets")
    assert rows["1"][0]["link_far_end"] == "Telkom"
    assert "link_far_end" not in rows["2"][0]
    assert all(labels["device"] == "hs-01" for labels, _ in rows.values())


def test_counters_keep_their_mib_name_in_the_exposition() -> None:
    text = encode(build_families([load_modules()["if_mib"]], _data())).decode()
    assert "# TYPE ifHCInOctets counter\n" in text
    assert 'ifHCInOctets{ifAlias="",ifDescr="ether1",ifIndex="1",ifName="ether1"}' in text
    assert "ifHCInOctets_total" not in text
    assert "# TYPE ifOperStatus gauge\n" in text


def test_encode_is_prometheus_client_text_format() -> None:
    families = build_families([load_modules()["if_mib"]], _data())
    assert encode(families) == generate_latest(Families(families))


def test_system_scalars_become_uptime_gauge_and_info_style_strings() -> None:
    data = ScrapeData(
        scalars={
            parse_oid("1.3.6.1.2.1.1.3.0"): 12345,
            parse_oid("1.3.6.1.2.1.1.5.0"): b"hs-01",
            parse_oid("1.3.6.1.2.1.1.1.0"): b"RouterOS \xff",
        }
    )
    modules = load_modules()
    families = {f.name: f for f in build_families([modules["if_mib"], modules["system"]], data)}
    assert families["sysUpTime"].samples[0].value == 12345
    assert families["sysName"].samples[0].labels == {"sysName": "hs-01"}
    assert families["sysName"].samples[0].value == 1
    assert families["sysDescr"].samples[0].labels["sysDescr"] == "RouterOS \ufffd"
    assert "sysContact" not in families  # absent on the agent: no series


def test_count_metrics_count_rows_per_label_and_report_zero_for_an_empty_table() -> None:
    module = load_modules()["mikrotik"]
    strength = parse_oid("1.3.6.1.4.1.14988.1.1.1.2.1.3")
    mac_a, mac_b = (0, 1, 2, 3, 4, 5), (0, 1, 2, 3, 4, 6)
    data = ScrapeData(
        columns={
            strength: {(*mac_a, 7): -60, (*mac_b, 7): -70, (*mac_a, 8): -50},
            IF_NAME: {(7,): b"wlan1", (8,): b"wlan2"},
        },
        scalars={parse_oid("1.3.6.1.4.1.14988.1.1.3.10.0"): 415},
    )
    families = {f.name: f for f in build_families([module], data)}
    counts = {s.labels["ifName"]: s.value for s in families["mtxrWlRegistrations"].samples}
    assert counts == {"wlan1": 2, "wlan2": 1}
    assert [s.value for s in families["mtxrHotspotActiveUsers"].samples] == [0]
    assert families["mtxrHlTemperature"].samples[0].value == 41.5
    # Stations are counted, never exported one by one: no MAC address in any label.
    assert not any("mtxrWlRtabAddr" in s.labels for fam in families.values() for s in fam.samples)


def test_enum_as_info_names_the_value() -> None:
    data = ScrapeData(columns={parse_oid("1.3.6.1.2.1.2.2.1.3"): {(1,): 6, (2,): 4242}})
    families = {f.name: f for f in build_families([load_modules()["if_mib"]], data)}
    values = {s.labels["ifIndex"]: s.labels["ifType"] for s in families["ifType_info"].samples}
    assert values == {"1": "ethernetCsmacd", "2": "4242"}


def test_index_parsing_handles_strings_macs_and_refuses_malformed_suffixes() -> None:
    string_index = (Index("name", "DisplayString"), Index("n", "gauge"))
    assert parse_index((3, 97, 98, 99, 9), string_index) == (
        {"name": "abc", "n": "9"},
        {"name": (3, 97, 98, 99), "n": (9,)},
    )
    assert parse_index((5, 97), string_index) is None  # length says 5, 1 given
    assert parse_index((1, 2), (Index("i", "gauge"),)) is None  # trailing sub-id
    assert parse_index((1, 2, 3, 4), (Index("ip", "IpAddr"),))[0] == {"ip": "1.2.3.4"}  # type: ignore[index]
    assert parse_index((1, 2, 300, 4), (Index("ip", "IpAddr"),)) is None


def test_non_numeric_values_in_a_numeric_column_are_skipped_not_fatal() -> None:
    data = ScrapeData(columns={IF_OPER: {(1,): b"up", (2,): 1}})
    families = build_families([load_modules()["if_mib"]], data)
    assert list(_samples(families, "ifOperStatus")) == ["2"]


def test_render_formats_like_snmp_exporter() -> None:
    assert render(b"\x00\x1a\x2b\x3c\x4d\x5e", "PhysAddress48") == "00:1A:2B:3C:4D:5E"
    assert render(b"", "PhysAddress48") == "00:00:00:00:00:00"
    assert render(b"\x0a\x00\x00\x01", "IpAddr") == "10.0.0.1"
    assert render(b"\x01\xff", "OctetString") == "0x01FF"
    assert render((1, 3, 6), "gauge") == "1.3.6"


def test_a_metric_listed_by_two_modules_is_exported_once() -> None:
    extra = parse_modules(
        "dup:\n  metrics:\n    - name: ifOperStatus\n      oid: 1.3.6.1.2.1.2.2.1.8\n"
        "      type: gauge\n      indexes: [{labelname: ifIndex}]\n",
        "dup.yml",
    )["dup"]
    families = build_families([load_modules()["if_mib"], extra], _data())
    assert [f.name for f in families].count("ifOperStatus") == 1
