"""Grafana dashboards, provisioning files, the example prometheus.yml and the Alertmanager
configuration: structure checked here, every PromQL expression parsed by promtool, configs
checked by promtool and amtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from netops.alerting import generate_rules, render_rules
from netops.inventory import load_inventory
from tests.paths import BANJARMASIN, REPO

GRAFANA = REPO / "exporters" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PROMETHEUS = REPO / "exporters" / "prometheus"
STATIC_RULES = PROMETHEUS / "rules" / "netops.yml"
# Series other subsystems export (the metric contract), besides the rule-generated ones.
CONTRACT_NETOPS = {
    "netops_radius_requests_total",
    "netops_radius_dropped_total",
    "netops_radius_request_duration_seconds_bucket",
    "netops_radius_active_sessions",
    "netops_radius_coa_total",
    "netops_snmp_scrape_errors_total",
}
SAMPLE_VARS = {"device": "cc-core-01", "ifName": "GigabitEthernet0/2", "hotspot": ".*"}
GRAFANA_MACROS = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "${__range}": "1h",
}

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install {package}")
    return path


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows
    return out


def _datasource_uids() -> dict[str, str]:
    doc = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "netops.yml").read_text())
    assert doc["apiVersion"] == 1
    return {ds["uid"]: ds["type"] for ds in doc["datasources"]}


def _expressions(dashboard: dict[str, Any]) -> list[str]:
    exprs = [
        target["expr"]
        for panel in _panels(dashboard)
        for target in panel.get("targets", [])
        if "expr" in target
    ]
    for var in dashboard["templating"]["list"]:
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        match = re.fullmatch(r"label_values\((.+),\s*\w+\)", query)
        exprs.append(match.group(1) if match else query)
    return exprs


def _concrete(expr: str) -> str:
    for macro, value in GRAFANA_MACROS.items():
        expr = expr.replace(macro, value)
    for name, value in SAMPLE_VARS.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr.replace("$1", ""), f"unreplaced variable in {expr}"
    return expr


def test_there_are_the_five_dashboards() -> None:
    assert {p.stem for p in DASHBOARDS} == {
        "city-overview",
        "link-detail",
        "hotspot-usage",
        "hotspot-detail",
        "device-health",
    }


def test_dashboards_have_grafana_structure_and_unique_ids() -> None:
    uids = set()
    for path in DASHBOARDS:
        board = _load(path)
        for key in ("uid", "title", "schemaVersion", "panels", "templating", "time"):
            assert key in board, f"{path.name}: no {key}"
        assert board["uid"] not in uids, f"{path.name}: duplicate dashboard uid"
        uids.add(board["uid"])
        assert len(board["uid"]) <= 40
        ids = [panel["id"] for panel in _panels(board)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        for panel in _panels(board):
            grid = panel["gridPos"]
            assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
            assert panel["title"] and panel.get("description"), f"{path.name}: panel without text"
            refs = [t["refId"] for t in panel.get("targets", [])]
            assert len(refs) == len(set(refs)), f"{path.name}: {panel['title']} refIds repeat"


def test_panels_overlap_nowhere() -> None:
    for path in DASHBOARDS:
        taken: set[tuple[int, int]] = set()
        for panel in _panels(_load(path)):
            g = panel["gridPos"]
            cells = {
                (x, y)
                for x in range(g["x"], g["x"] + g["w"])
                for y in range(g["y"], g["y"] + g["h"])
            }
            assert not cells & taken, f"{path.name}: {panel['title']} overlaps another panel"
            taken |= cells


def test_every_datasource_reference_is_a_provisioned_datasource() -> None:
    provisioned = _datasource_uids()
    for path in DASHBOARDS:
        board = _load(path)
        refs = [p["datasource"] for p in _panels(board)]
        refs += [t["datasource"] for p in _panels(board) for t in p.get("targets", [])]
        refs += [v["datasource"] for v in board["templating"]["list"]]
        for ref in refs:
            assert ref["uid"] in provisioned, f"{path.name}: unknown datasource {ref}"
            assert provisioned[ref["uid"]] == ref["type"], f"{path.name}: {ref} has the wrong type"


def test_dashboard_provider_points_at_a_folder() -> None:
    doc = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "netops.yml").read_text())
    (provider,) = doc["providers"]
    assert provider["type"] == "file" and provider["options"]["path"].startswith("/")


def test_every_promql_expression_parses(tmp_path: Path) -> None:
    rules = []
    for path in DASHBOARDS:
        for index, expr in enumerate(_expressions(_load(path))):
            name = f"dashboard:{path.stem.replace('-', '_')}:{index}"
            rules.append({"record": name, "expr": _concrete(expr)})
    assert len(rules) > 30
    check = tmp_path / "dashboards.rules.yml"
    check.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [tool("promtool", "prometheus"), "check", "rules", str(check)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboards_use_only_series_that_exist(tmp_path: Path) -> None:
    inv = load_inventory(BANJARMASIN)
    generated = yaml.safe_load(render_rules(generate_rules(inv), inv))
    static = yaml.safe_load(STATIC_RULES.read_text(encoding="utf-8"))
    recorded = {
        rule["record"]
        for doc in (generated, static)
        for group in doc["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    for path in DASHBOARDS:
        for expr in _expressions(_load(path)):
            for name in re.findall(r"\bnetops[:_][A-Za-z0-9_:]+", expr):
                assert name in recorded | CONTRACT_NETOPS, f"{path.name}: no series {name}"


def test_example_prometheus_config_is_valid(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "netops").mkdir()
    shutil.copy(PROMETHEUS / "prometheus.yml", tmp_path / "prometheus.yml")
    shutil.copy(STATIC_RULES, tmp_path / "rules" / "netops.yml")
    inv = load_inventory(BANJARMASIN)
    (tmp_path / "netops" / "netops-rules.yml").write_text(render_rules(generate_rules(inv), inv))
    for name in ("snmp.json", "icmp.json"):
        (tmp_path / "netops" / name).write_text("[]")
    result = subprocess.run(
        [tool("promtool", "prometheus"), "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def _routes(*labels: str) -> str:
    result = subprocess.run(
        [tool("amtool", "prometheus-alertmanager"), "config", "routes", "test",
         f"--config.file={PROMETHEUS / 'alertmanager.yml'}", *labels],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_alertmanager_config_is_valid_and_routes_by_severity() -> None:
    result = subprocess.run(
        [tool("amtool", "prometheus-alertmanager"), "check-config",
         str(PROMETHEUS / "alertmanager.yml")],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert _routes("alertname=LinkDown", "severity=critical") == "noc-pager,noc-chat"
    assert _routes("alertname=InterfaceErrors", "severity=warning") == "noc-chat"
    assert _routes("alertname=LeasedUplinkSaturated", "severity=warning") == (
        "budget-office,noc-chat"
    )
    assert _routes("alertname=RadiusDown", "severity=critical") == "noc-pager,wifi-team,noc-chat"
    assert _routes("alertname=SnmpDown", "severity=warning") == "noc-chat"
    assert _routes("alertname=UplinkOnBackup", "severity=warning") == "budget-office,noc-chat"
    assert _routes("alertname=BackupUplinkDown", "severity=warning") == "budget-office,noc-chat"


def test_inhibitions_name_only_alerts_that_exist() -> None:
    static = yaml.safe_load(STATIC_RULES.read_text(encoding="utf-8"))
    alerts = {r["alert"] for g in static["groups"] for r in g["rules"] if "alert" in r}
    config = yaml.safe_load((PROMETHEUS / "alertmanager.yml").read_text(encoding="utf-8"))
    for rule in config["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            if matcher.startswith("alertname"):
                names = matcher.split("=", 1)[1].lstrip("~").strip('"').split("|")
                assert set(names) <= alerts, matcher
