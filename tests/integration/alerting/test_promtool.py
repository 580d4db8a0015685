"""The shipped alert rules and the rules generated from the inventories, checked and
unit-tested by Prometheus's own promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from netops.alerting import generate_rules, render_rules
from netops.inventory import load_inventory
from tests.paths import BANJARMASIN, LAB, REPO

RULES = REPO / "exporters" / "prometheus" / "rules"
TESTS = REPO / "exporters" / "prometheus" / "tests"
STATIC = RULES / "netops.yml"
PRIVACY = RULES / "privacy.yml"
ALERTS = {
    "DeviceUnreachable",
    "SnmpDown",
    "LinkDown",
    "UplinkOnBackup",
    "BackupUplinkDown",
    "LinkSaturated",
    "InterfaceErrors",
    "DeviceRebooted",
    "LeasedUplinkSaturated",
    "RadiusDown",
    "HotspotNoSessions",
    "ExporterDown",
    "InventoryRulesMissing",
}
# Personal-data alerts (privacy.yml): about the store, no site or device to name.
PRIVACY_ALERTS = {"PrivacyActionBurst", "OperatorSignInFailures", "PrivacyMetricsDown"}
# Alerts about monitoring itself: no site or device to name.
SELF = {"InventoryRulesMissing"} | PRIVACY_ALERTS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed: apt-get install prometheus (Debian ships it)")
    return subprocess.run(
        [binary, *map(str, args)], capture_output=True, text=True, check=False, timeout=100
    )


def _assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def test_shipped_rule_files_pass_promtool_check() -> None:
    files = sorted(RULES.glob("*.yml"))
    assert files
    _assert_ok(promtool("check", "rules", *files))


def test_shipped_promtool_unit_tests_pass() -> None:
    _assert_ok(promtool("test", "rules", *sorted(TESTS.glob("*.test.yml"))))


def _tested(path: Path) -> dict[str, set[str]]:
    """alertname → {"fires", "quiet"} over one promtool test file."""
    seen: dict[str, set[str]] = {}
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
        for check in case.get("alert_rule_test", []):
            kind = "fires" if check.get("exp_alerts") else "quiet"
            seen.setdefault(check["alertname"], set()).add(kind)
            for alert in check.get("exp_alerts") or []:
                labels = alert["exp_labels"]
                assert "severity" in labels, (path, labels)
                assert "device" in labels or check["alertname"] in SELF, (path, labels)
                annotations = set(alert["exp_annotations"])
                assert {
                    "summary_id",
                    "summary_en",
                    "description_id",
                    "description_en",
                } <= annotations
    return seen


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    shipped = {
        rule["alert"]
        for group in yaml.safe_load(STATIC.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert shipped == ALERTS
    seen: dict[str, set[str]] = {}
    for path in TESTS.glob("*.test.yml"):
        for name, kinds in _tested(path).items():
            seen.setdefault(name, set()).update(kinds)
    assert {
        name: kinds for name, kinds in seen.items() if kinds == {"fires", "quiet"}
    }.keys() == ALERTS | PRIVACY_ALERTS
    privacy = {
        rule["alert"]
        for group in yaml.safe_load(PRIVACY.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    assert privacy == PRIVACY_ALERTS


@pytest.mark.parametrize("path", [STATIC, PRIVACY], ids=["netops", "privacy"])
def test_every_alert_is_bilingual_with_severity(path: Path) -> None:
    for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["labels"]["severity"] in {"critical", "warning"}
                assert {"summary_id", "summary_en", "description_id", "description_en"} <= set(
                    rule["annotations"]
                )


@pytest.mark.parametrize("inventory", [LAB, BANJARMASIN], ids=["lab", "banjarmasin"])
def test_generated_rules_pass_promtool_check(inventory: Path, tmp_path: Path) -> None:
    inv = load_inventory(inventory)
    out = tmp_path / "inventory.rules.yml"
    out.write_text(render_rules(generate_rules(inv), inv), encoding="utf-8")
    result = promtool("check", "rules", out, STATIC)
    _assert_ok(result)
    assert "SUCCESS" in result.stdout


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{inner}}}", "values": values}


def _run_case(
    tmp_path: Path, inventory: Path, tests: list[dict[str, Any]], every: str = "1m"
) -> None:
    inv = load_inventory(inventory)
    generated = tmp_path / "inventory.rules.yml"
    generated.write_text(render_rules(generate_rules(inv), inv), encoding="utf-8")
    test_file = tmp_path / "inventory.test.yml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(STATIC), str(generated)],
                "evaluation_interval": every,
                "tests": tests,
            },
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    _assert_ok(promtool("test", "rules", test_file))


def _up(device: str, site: str, role: str, values: str) -> dict[str, str]:
    """The device's ICMP probe (reachability is ping only)."""
    labels = {"job": "icmp", "instance": device, "device": device, "site": site, "role": role}
    return _series("probe_success", labels, values)


def _if(name: str, device: str, role: str, site: str, if_name: str, values: str) -> dict[str, str]:
    labels = {
        "job": "snmp",
        "instance": device,
        "device": device,
        "site": site,
        "role": role,
        "ifIndex": "3",
        "ifName": if_name,
    }
    return _series(name, labels, values)


def _port(name: str, device: str, site: str, if_name: str, values: str) -> dict[str, str]:
    labels = {
        "job": "snmp",
        "instance": device,
        "device": device,
        "site": site,
        "role": "distribution",
        "ifIndex": "15",
        "ifName": if_name,
    }
    return _series(name, labels, values)


def test_banjarmasin_cut_fibre_to_a_hotspot_raises_one_link_alert(tmp_path: Path) -> None:
    hs, ap = "pasar-terapung-siring-hs-01", "pasar-terapung-siring-ap-01"
    site = "pasar-terapung-siring"
    port = "GigabitEthernet0/15"
    dist = "kec-tengah-dist-01"
    tests = [
        {
            "interval": "1m",
            "input_series": [
                _up("kec-tengah-dist-01", "kec-tengah", "distribution", "1x10"),
                _up(hs, site, "hotspot-gateway", "1 0x10"),
                _up(ap, site, "access-point", "1 0x10"),
                _port("ifOperStatus", "kec-tengah-dist-01", "kec-tengah", port, "1 2x10"),
                _port("ifAdminStatus", "kec-tengah-dist-01", "kec-tengah", port, "1x10"),
            ],
            "alert_rule_test": [
                {"eval_time": "6m", "alertname": "DeviceUnreachable", "exp_alerts": []},
                {
                    "eval_time": "6m",
                    "alertname": "LinkDown",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "device": "kec-tengah-dist-01",
                                "ifName": port,
                                "site": "kec-tengah",
                                "link_id": f"kec-tengah-dist-01:{port}--{hs}:ether1",
                                "link_far_end": f"{hs}:ether1",
                                "link_medium": "fiber",
                                "link_end": "upstream",
                            },
                            "exp_annotations": {
                                "summary_id": f"Link {dist}:{port} ke {hs}:ether1 putus",
                                "summary_en": f"Link {dist}:{port} to {hs}:ether1 is down",
                                "description_id": (
                                    f"Port {port} di kec-tengah-dist-01 (kec-tengah) mati padahal "
                                    f"diaktifkan, selama 2 menit. Link fiber ke {hs}:ether1; "
                                    "perangkat di belakangnya tidak dilaporkan terpisah."
                                ),
                                "description_en": (
                                    f"Port {port} on kec-tengah-dist-01 (kec-tengah) has been "
                                    "operationally down while administratively up for 2 minutes. "
                                    f"fiber link to {hs}:ether1; devices behind it are not "
                                    "reported separately."
                                ),
                            },
                        }
                    ],
                },
            ],
        }
    ]
    _run_case(tmp_path, BANJARMASIN, tests)


def test_banjarmasin_dead_core_router_raises_one_alert_not_one_per_district(
    tmp_path: Path,
) -> None:
    behind = [
        ("kec-barat-dist-01", "kec-barat", "distribution"),
        ("kel-pelambuan-gw-01", "kel-pelambuan", "switch"),
        ("pelabuhan-trisakti-hs-01", "pelabuhan-trisakti", "hotspot-gateway"),
    ]
    tests = [
        {
            "interval": "1m",
            "input_series": [
                _up("cc-core-01", "cc-balaikota", "core", "1 0x10"),
                _up("cc-core-02", "cc-balaikota", "core", "1x11"),
                *(_up(d, s, r, "1 0x10") for d, s, r in behind),
            ],
            "alert_rule_test": [
                {
                    "eval_time": "6m",
                    "alertname": "DeviceUnreachable",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "device": "cc-core-01",
                                "site": "cc-balaikota",
                                "role": "core",
                            },
                            "exp_annotations": {
                                "summary_id": (
                                    "Perangkat cc-core-01 di cc-balaikota tidak terjangkau"
                                ),
                                "summary_en": "Device cc-core-01 at cc-balaikota is unreachable",
                                "description_id": (
                                    "Ping ke cc-core-01 (core) gagal selama 2 menit. "
                                    "Perangkat di belakangnya tidak dilaporkan terpisah."
                                ),
                                "description_en": (
                                    "Ping to cc-core-01 (core) has failed for 2 minutes. "
                                    "Devices behind it are not reported separately."
                                ),
                            },
                        }
                    ],
                }
            ],
        }
    ]
    _run_case(tmp_path, BANJARMASIN, tests)


def test_banjarmasin_access_point_power_loss_is_the_aps_warning_not_a_link_page(
    tmp_path: Path,
) -> None:
    """The AP's gateway port goes down with it: the generated facts mark that port as
    serving one access point, so the AP warns and no critical LinkDown pages."""
    hs, ap, site = (
        "siring-menara-pandang-hs-01",
        "siring-menara-pandang-ap-01",
        "siring-menara-pandang",
    )
    tests = [
        {
            "interval": "1m",
            "input_series": [
                _up(hs, site, "hotspot-gateway", "1x10"),
                _up(ap, site, "access-point", "1 0x10"),
                _if("ifOperStatus", hs, "hotspot-gateway", site, "ether3", "1 2x10"),
                _if("ifAdminStatus", hs, "hotspot-gateway", site, "ether3", "1x10"),
            ],
            "alert_rule_test": [
                {"eval_time": "6m", "alertname": "LinkDown", "exp_alerts": []},
                {
                    "eval_time": "6m",
                    "alertname": "DeviceUnreachable",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "warning",
                                "device": ap,
                                "site": site,
                                "role": "access-point",
                            },
                            "exp_annotations": {
                                "summary_id": f"Perangkat {ap} di {site} tidak terjangkau",
                                "summary_en": f"Device {ap} at {site} is unreachable",
                                "description_id": (
                                    f"Ping ke {ap} (access-point) gagal selama 2 menit. "
                                    "Perangkat di belakangnya tidak dilaporkan terpisah."
                                ),
                                "description_en": (
                                    f"Ping to {ap} (access-point) has failed for 2 minutes. "
                                    "Devices behind it are not reported separately."
                                ),
                            },
                        }
                    ],
                },
            ],
        }
    ]
    _run_case(tmp_path, BANJARMASIN, tests)


def test_banjarmasin_primary_uplink_down_with_backup_up_is_no_page(tmp_path: Path) -> None:
    """ASTINET-BJM-0001 fails while its backup METRO-BJM-0042 is up (inventory facts)."""
    primary, backup = "GigabitEthernet0/2", "GigabitEthernet0/3"
    series = [
        _if("ifOperStatus", "cc-core-01", "core", "cc-balaikota", primary, "1 2x10"),
        _if("ifAdminStatus", "cc-core-01", "core", "cc-balaikota", primary, "1x10"),
        _if("ifAdminStatus", "cc-core-02", "core", "cc-balaikota", backup, "1x10"),
    ]
    up = _if("ifOperStatus", "cc-core-02", "core", "cc-balaikota", backup, "1x10")
    down = _if("ifOperStatus", "cc-core-02", "core", "cc-balaikota", backup, "1 2x10")
    labels = {
        "device": "cc-core-01",
        "ifName": primary,
        "site": "cc-balaikota",
        "link_id": f"cc-core-01:{primary}--Telkom",
        "link_far_end": "Telkom",
        "link_medium": "leased",
        "link_provider": "Telkom",
        "link_end": "uplink",
        "link_role": "primary",
    }

    def fired(name: str, severity: str) -> list[dict[str, Any]]:
        return [{"eval_time": "6m", "alertname": name, "exp_alerts": [
            {"exp_labels": {"severity": severity, **labels}, "exp_annotations": ANNOTATIONS[name]}
        ]}]  # fmt: skip

    tests = [
        {
            "interval": "1m",
            "input_series": [*series, up],
            "alert_rule_test": [
                {"eval_time": "6m", "alertname": "LinkDown", "exp_alerts": []},
                *fired("UplinkOnBackup", "warning"),
            ],
        },
        {
            "interval": "1m",
            "input_series": [*series, down],
            "alert_rule_test": [
                {"eval_time": "6m", "alertname": "UplinkOnBackup", "exp_alerts": []},
                *fired("LinkDown", "critical"),
            ],
        },
    ]
    _run_case(tmp_path, BANJARMASIN, tests)


ANNOTATIONS = {
    "UplinkOnBackup": {
        "summary_id": "Uplink Telkom cc-core-01:GigabitEthernet0/2 putus, trafik lewat cadangan",
        "summary_en": (
            "Telkom uplink cc-core-01:GigabitEthernet0/2 is down, traffic runs on the backup"
        ),
        "description_id": (
            "Port GigabitEthernet0/2 di cc-core-01 (cc-balaikota) mati selama 2 menit; link "
            "cadangan masih hidup dan menanggung trafik. Laporkan gangguan ke Telkom: tanpa "
            "cadangan lagi, satu gangguan berikutnya memutus internet."
        ),
        "description_en": (
            "Port GigabitEthernet0/2 on cc-core-01 (cc-balaikota) has been down for 2 minutes; "
            "the backup circuit is up and carries the traffic. Report the fault to Telkom: one "
            "more failure cuts the internet off."
        ),
    },
    "LinkDown": {
        "summary_id": "Link cc-core-01:GigabitEthernet0/2 ke Telkom putus",
        "summary_en": "Link cc-core-01:GigabitEthernet0/2 to Telkom is down",
        "description_id": (
            "Port GigabitEthernet0/2 di cc-core-01 (cc-balaikota) mati padahal diaktifkan, selama "
            "2 menit. Link leased ke Telkom; perangkat di belakangnya tidak dilaporkan terpisah."
        ),
        "description_en": (
            "Port GigabitEthernet0/2 on cc-core-01 (cc-balaikota) has been operationally down "
            "while administratively up for 2 minutes. leased link to Telkom; devices behind it "
            "are not reported separately."
        ),
    },
}


def _hotspot_alert(hotspot: str, device: str, hours: str) -> dict[str, Any]:
    return {
        "exp_labels": {
            "severity": "warning",
            "hotspot": hotspot,
            "site": hotspot,
            "device": device,
            "opening_hours": hours,
            "timezone": "Asia/Makassar",
        },
        "exp_annotations": {
            "summary_id": f"Hotspot {hotspot} buka tapi tidak ada pengguna",
            "summary_en": f"Hotspot {hotspot} is open but has no users",
            "description_id": (
                f"Tidak ada sesi aktif di {hotspot} selama 30 menit pada jam buka ({hours}, "
                f"Asia/Makassar) padahal gateway {device} hidup. Periksa access point, SSID "
                "dan portal."
            ),
            "description_en": (
                f"No active session at {hotspot} for 30 minutes during opening hours ({hours}, "
                f"Asia/Makassar) while gateway {device} is up. Check the access points, the "
                "SSID and the portal."
            ),
        },
    }


def test_banjarmasin_empty_market_alerts_only_in_its_wita_opening_hours(tmp_path: Path) -> None:
    # Dermaga Pasar Terapung Siring opens 05:00-12:00 WITA = 21:00-04:00 UTC; promtool's
    # clock starts at 1970-01-01 00:00 UTC (08:00 WITA). Five-minute steps keep 22 hours of
    # the city's 680 rules quick to evaluate.
    hs = "pasar-terapung-siring-hs-01"
    samples = "1x288"
    tests = [
        {
            "interval": "5m",
            "input_series": [
                _up(hs, "pasar-terapung-siring", "hotspot-gateway", samples),
                _series("up", {"job": "netops-radius", "instance": "127.0.0.1:9812"}, samples),
                _series(
                    "netops_radius_active_sessions",
                    {
                        "job": "netops-radius",
                        "instance": "127.0.0.1:9812",
                        "hotspot": "terminal-km6",
                    },
                    samples,
                ),
            ],
            "alert_rule_test": [
                {
                    "eval_time": "40m",
                    "alertname": "HotspotNoSessions",
                    "exp_alerts": [_hotspot_alert("pasar-terapung-siring", hs, "05:00-12:00")],
                },
                {"eval_time": "5h", "alertname": "HotspotNoSessions", "exp_alerts": []},
                {"eval_time": "21h20m", "alertname": "HotspotNoSessions", "exp_alerts": []},
                {
                    "eval_time": "21h45m",
                    "alertname": "HotspotNoSessions",
                    "exp_alerts": [_hotspot_alert("pasar-terapung-siring", hs, "05:00-12:00")],
                },
            ],
        }
    ]
    _run_case(tmp_path, BANJARMASIN, tests, every="5m")
