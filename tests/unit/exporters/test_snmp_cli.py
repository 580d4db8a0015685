"""The exporter's commands as a user runs them: output files, exit codes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from netops.cli.main import main
from tests.paths import BANJARMASIN, LAB


def test_prometheus_targets_writes_snmp_and_icmp_file_sd_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prometheus", "targets", "-i", str(BANJARMASIN), "-o", str(tmp_path)]) == 0
    snmp = json.loads((tmp_path / "snmp.json").read_text())
    icmp = json.loads((tmp_path / "icmp.json").read_text())
    assert snmp and icmp
    for entry in snmp:
        assert set(entry) == {"targets", "labels"}
        assert entry["labels"]["__param_auth"] == "city-v3"
        assert {"device", "site", "role", "__param_module"} <= set(entry["labels"])
    assert "wrote" in capsys.readouterr().out


def test_prometheus_targets_prints_one_kind_for_a_site(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prometheus", "targets", "-i", str(LAB), "--kind", "icmp", "-s", "lab-park"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert {e["labels"]["device"] for e in entries} == {"lab-hs-01", "lab-ap-01"}


def test_prometheus_config_points_at_the_target_files_and_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "prom" / "prometheus.yml"
    code = main(
        [
            "prometheus",
            "config",
            "-i",
            str(LAB),
            "-o",
            str(out),
            "--exporter",
            "10.0.0.9:9116",
            "--with-targets",
        ]
    )
    assert code == 0
    config = yaml.safe_load(out.read_text())
    snmp = next(j for j in config["scrape_configs"] if j["job_name"] == "snmp")
    assert snmp["file_sd_configs"][0]["files"] == [str(out.parent.resolve() / "snmp.json")]
    assert (out.parent / "snmp.json").exists() and (out.parent / "icmp.json").exists()
    assert config["rule_files"][0].endswith("exporters/prometheus/rules/*.yml")
    assert config["rule_files"][1] == str(out.parent.resolve() / "netops-rules.yml")
    assert config["global"]["external_labels"] == {"city": "Lab"}


def test_unknown_site_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prometheus", "targets", "-i", str(LAB), "-s", "atlantis"]) == 1
    assert "site 'atlantis' is not in the inventory" in capsys.readouterr().err


def test_unwritable_output_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["prometheus", "targets", "-i", str(LAB), "-o", str(blocker / "dir")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_serve_refuses_a_broken_module_folder_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yml").write_text("m:\n  metrics:\n    - {name: a, oid: x.y, type: gauge}\n")
    code = main(
        ["exporter", "serve", "-i", str(LAB), "--modules", str(tmp_path), "--listen", "127.0.0.1:0"]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "bad.yml" in err and "not a numeric OID" in err


def test_serve_refuses_a_bad_listen_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exporter", "serve", "-i", str(LAB), "--listen", "127.0.0.1:http"]) == 1
    assert "the port must be a number" in capsys.readouterr().err


def test_modules_lists_the_shipped_modules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["exporter", "modules"]) == 0
    out = capsys.readouterr().out
    for name in ("if_mib", "system", "mikrotik", "host_resources"):
        assert name in out


def test_scrape_of_an_unknown_module_exits_1_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["exporter", "scrape", "lab-hs-01", "-i", str(LAB), "-m", "nope"]) == 1
    assert "unknown module nope" in capsys.readouterr().err


def test_prometheus_config_takes_several_radius_servers_and_refuses_one_without_a_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["prometheus", "config", "-i", str(LAB), "--radius", "10.0.0.1:9812"]
    assert main([*args, "--radius", "[2001:db8::2]:9812"]) == 0
    config = yaml.safe_load(capsys.readouterr().out)
    radius = next(j for j in config["scrape_configs"] if j["job_name"] == "netops-radius")
    assert radius["static_configs"] == [{"targets": ["10.0.0.1:9812", "[2001:db8::2]:9812"]}]
    assert main([*args, "--radius", "10.0.0.2"]) == 1
    err = capsys.readouterr().err
    assert "--radius '10.0.0.2' needs a port" in err and "Traceback" not in err
