"""The `netops inventory` commands as a user runs them: exit codes and what is printed."""

import html
import json
import shutil
from pathlib import Path

import pytest

from netops.cli.main import main
from tests.paths import BANJARMASIN, LAB


def test_validate_good_inventory_prints_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "validate", "-i", str(BANJARMASIN)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    assert "sites" in out and "devices" in out and "links" in out and "hotspots" in out


def test_inventory_option_also_works_before_the_group(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_INVENTORY", raising=False)
    assert main(["-i", str(LAB), "inventory", "validate"]) == 0
    assert "netops loopback lab" in capsys.readouterr().out


def test_inventory_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    assert main(["inventory", "validate"]) == 0


def test_no_inventory_is_one_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_INVENTORY", raising=False)
    assert main(["inventory", "validate"]) == 1
    err = capsys.readouterr().err
    assert "no inventory given" in err
    assert "Traceback" not in err


def test_duplicate_ip_exits_1_naming_ip_devices_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "city"
    shutil.copytree(BANJARMASIN, copy)
    devices = copy / "devices.yml"
    text = devices.read_text()
    devices.write_text(text.replace("mgmt_ip: 10.10.0.3", "mgmt_ip: 10.10.0.2", 1))
    assert main(["inventory", "validate", "-i", str(copy)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "management IP 10.10.0.2" in err
    assert "'cc-core-01'" in err and "'cc-core-02'" in err
    assert str(devices) in err


def test_show_json_has_the_whole_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "show", "--format", "json", "-i", str(LAB)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"sites", "devices", "links", "hotspots", "plans"} <= set(data)
    assert any(d["hostname"] == "lab-hs-01" for d in data["devices"])
    # plain lab secrets are masked, references would be shown as references
    assert "testing123" not in json.dumps(data)


def test_show_table_lists_devices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "show", "-i", str(LAB)]) == 0
    out = capsys.readouterr().out
    assert "lab-core-01" in out and "Telkom" in out and "5M/2M" in out


@pytest.mark.parametrize("suffix", [".svg", ".dot"])
def test_graph_draws_links_and_marks_leased_uplinks(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"topology{suffix}"
    assert main(["inventory", "graph", "--out", str(out), "-i", str(BANJARMASIN)]) == 0
    text = html.unescape(out.read_text())
    assert "cc-core-01" in text and "Telkom" in text
    assert "leased 1 Gbps" in text
    if suffix == ".svg":
        assert text.lstrip().startswith("<?xml") and "<svg" in text
        assert "#c00000" in text  # the leased uplinks stand out


def test_graph_rejects_an_unknown_picture_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "graph", "--out", str(tmp_path / "x.gif"), "-i", str(LAB)]) == 1
    assert "must end in .svg, .png or .dot" in capsys.readouterr().err


def test_help_is_available_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert main(["inventory", "validate", "--help"]) == 0
    assert "--inventory" in capsys.readouterr().out
