"""SNMP module files: the shipped modules load, bad files fail with the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import ExporterError
from netops.exporters.modules import format_oid, load_modules, parse_modules, parse_oid

SNMP_EXPORTER_IF_MIB = {
    "ifHCInOctets": "counter",
    "ifHCOutOctets": "counter",
    "ifHCInUcastPkts": "counter",
    "ifHCOutUcastPkts": "counter",
    "ifInErrors": "counter",
    "ifOutErrors": "counter",
    "ifInDiscards": "counter",
    "ifOutDiscards": "counter",
    "ifOperStatus": "gauge",
    "ifAdminStatus": "gauge",
    "ifHighSpeed": "gauge",
    "ifMtu": "gauge",
    "ifLastChange": "gauge",
    "ifSpeed": "gauge",
    "ifType": "EnumAsInfo",
    "ifPhysAddress": "PhysAddress48",
}


def test_shipped_modules_load_with_snmp_exporter_if_mib_names_and_types() -> None:
    modules = load_modules()
    assert {"if_mib", "system", "mikrotik", "host_resources"} <= set(modules)
    if_mib = {m.name: m for m in modules["if_mib"].metrics}
    for name, kind in SNMP_EXPORTER_IF_MIB.items():
        assert if_mib[name].type == kind, name
    hc_in = if_mib["ifHCInOctets"]
    assert [i.labelname for i in hc_in.indexes] == ["ifIndex"]
    assert {lk.labelname for lk in hc_in.lookups} == {"ifAlias", "ifDescr", "ifName"}
    assert hc_in.fallback == parse_oid("1.3.6.1.2.1.2.2.1.10")
    assert {m.name for m in modules["system"].metrics} >= {"sysName", "sysDescr"}
    assert if_mib["sysUpTime"].is_scalar and if_mib["ifSpecific"].type == "OctetString"


def test_no_metric_is_defined_by_two_shipped_modules() -> None:
    """Modules are polled together (if_mib,system,mikrotik,host_resources): a metric defined
    twice would be emitted from whichever module comes first, with that module's labels."""
    owners: dict[str, list[str]] = {}
    for module in load_modules().values():
        for metric in module.metrics:
            owners.setdefault(metric.name, []).append(module.name)
    assert {name: mods for name, mods in owners.items() if len(mods) > 1} == {}


def test_mikrotik_module_counts_wireless_clients_and_hotspot_users_and_scales_health() -> None:
    metrics = {m.name: m for m in load_modules()["mikrotik"].metrics}
    assert metrics["mtxrHotspotActiveUsers"].type == "count"
    assert metrics["mtxrWlRegistrations"].count_by == ("ifName",)
    assert metrics["mtxrWlApClientCount"].type == "gauge"
    assert metrics["mtxrHlTemperature"].scale == 0.1
    assert metrics["mtxrHlVoltage"].scale == 0.1
    assert "hrProcessorLoad" not in metrics  # host_resources has it, with hrDeviceDescr


# Column numbers as MIKROTIK-MIB (revision 2023-05-01) defines them.
MIKROTIK_MIB = {
    "mtxrWlApClientCount": "1.3.6.1.4.1.14988.1.1.1.3.1.6",
    "mtxrWlApFreq": "1.3.6.1.4.1.14988.1.1.1.3.1.7",
    "mtxrWlApNoiseFloor": "1.3.6.1.4.1.14988.1.1.1.3.1.9",
    "mtxrWlApOverallTxCCQ": "1.3.6.1.4.1.14988.1.1.1.3.1.10",
    "mtxrWlApAuthClientCount": "1.3.6.1.4.1.14988.1.1.1.3.1.11",
    "mtxrWlRtabEntryCount": "1.3.6.1.4.1.14988.1.1.1.4",
    "mtxrWlCMRtabEntryCount": "1.3.6.1.4.1.14988.1.1.1.6",
    "mtxrWlCMRegClientCount": "1.3.6.1.4.1.14988.1.1.1.7.1.2",
    "mtxrWlCMAuthClientCount": "1.3.6.1.4.1.14988.1.1.1.7.1.3",
    "mtxrWlCMRemoteRadios": "1.3.6.1.4.1.14988.1.1.1.11.1.5",
    "mtxrHlSensorTemperature": "1.3.6.1.4.1.14988.1.1.3.5",
    "mtxrHlCpuTemperature": "1.3.6.1.4.1.14988.1.1.3.6",
    "mtxrHlBoardTemperature": "1.3.6.1.4.1.14988.1.1.3.7",
    "mtxrHlVoltage": "1.3.6.1.4.1.14988.1.1.3.8",
    "mtxrHlTemperature": "1.3.6.1.4.1.14988.1.1.3.10",
    "mtxrHlProcessorTemperature": "1.3.6.1.4.1.14988.1.1.3.11",
    "mtxrHlPower": "1.3.6.1.4.1.14988.1.1.3.12",
    "mtxrHlProcessorFrequency": "1.3.6.1.4.1.14988.1.1.3.14",
    "mtxrHlPowerSupplyState": "1.3.6.1.4.1.14988.1.1.3.15",
    "mtxrHlBackupPowerSupplyState": "1.3.6.1.4.1.14988.1.1.3.16",
    "mtxrGaugeValue": "1.3.6.1.4.1.14988.1.1.3.100.1.3",
    "mtxrHotspotActiveUsers": "1.3.6.1.4.1.14988.1.1.5.1.1.2",
    "mtxrDHCPLeaseCount": "1.3.6.1.4.1.14988.1.1.6.1",
}


def test_mikrotik_metrics_read_the_columns_mikrotik_mib_gives_them() -> None:
    metrics = {m.name: m for m in load_modules()["mikrotik"].metrics}
    assert {name: format_oid(metrics[name].oid) for name in MIKROTIK_MIB} == MIKROTIK_MIB
    ssid = {lk.labelname: format_oid(lk.oid) for lk in metrics["mtxrWlApClientCount"].lookups}
    assert ssid["mtxrWlApSsid"] == "1.3.6.1.4.1.14988.1.1.1.3.1.4"
    assert ssid["mtxrWlApBand"] == "1.3.6.1.4.1.14988.1.1.1.3.1.8"


def test_columns_walked_include_lookups_and_fallbacks_once() -> None:
    if_mib = load_modules()["if_mib"]
    columns = if_mib.columns
    assert len(columns) == len(set(columns))
    assert parse_oid("1.3.6.1.2.1.31.1.1.1.1") in columns  # ifName, a look-up only
    assert parse_oid("1.3.6.1.2.1.2.2.1.10") in columns  # ifInOctets, a fallback
    assert if_mib.scalars == (parse_oid("1.3.6.1.2.1.1.3.0"), parse_oid("1.3.6.1.2.1.2.1.0"))


def test_broken_yaml_names_the_file_and_line() -> None:
    with pytest.raises(ExporterError, match=r"mods\.yml:4: not valid YAML \(expected ',' or ']'"):
        parse_modules("x:\n  metrics:\n    - [unclosed\n", "mods.yml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("m:\n  metrics:\n    - {name: a, oid: 1.3.6, type: wat}\n", "metrics.0.type"),
        ("m:\n  metrics:\n    - {name: a, oid: not.an.oid, type: gauge}\n", "not a numeric OID"),
        ("m:\n  metrics: []\n", "metrics"),
        ("m:\n  metrics:\n    - {name: 1bad, oid: 1.3.6, type: gauge}\n", "metrics.0.name"),
        (
            "m:\n  metrics:\n    - name: a\n      oid: 1.3.6\n      type: gauge\n"
            "      indexes: [{labelname: ifIndex}]\n"
            "      lookups: [{labels: [other], labelname: x, oid: 1.3.7}]\n",
            "needs index label",
        ),
        ("m:\n  metrics:\n    - {name: a, oid: 1.3.6, type: count}\n", "count metric needs"),
        ("- just\n- a list\n", "expected a mapping"),
    ],
)
def test_invalid_module_definitions_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ExporterError, match=message) as caught:
        parse_modules(text, "bad.yml")
    assert str(caught.value).startswith("bad.yml")


def test_a_module_defined_twice_across_files_is_refused(tmp_path: Path) -> None:
    body = "m:\n  metrics:\n    - {name: a, oid: 1.3.6.1, type: gauge}\n"
    (tmp_path / "a.yml").write_text(body)
    (tmp_path / "b.yml").write_text(body)
    with pytest.raises(ExporterError, match="already defined"):
        load_modules(tmp_path)


def test_a_missing_module_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExporterError, match="does not exist"):
        load_modules(tmp_path / "nope")
