"""What a user sees from the CLI when the inventory or one of its secrets is wrong."""

import shutil
from pathlib import Path

import pytest

from netops.cli.main import main
from tests.paths import BANJARMASIN
from tests.unit.inventory.conftest import Fault


def test_validate_reports_all_five_faults_with_file_and_line(
    five_faults: tuple[Path, list[Fault]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, faults = five_faults
    assert main(["inventory", "validate", "-i", str(root)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "inventory has 5 errors:" in err
    reported = [line.strip() for line in err.splitlines() if line.startswith(f"  {root}")]
    assert len(reported) == 5, err
    for fault, line in zip(faults, reported, strict=True):
        assert line.startswith(f"{fault.file}:{fault.line}: "), line
        assert fault.says in line, line


@pytest.fixture
def city_with_file_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample city whose device password is ``file:secrets/device.pw``, and a working
    directory beside it (not the repository, not the inventory)."""
    city = tmp_path / "inv" / "city"
    shutil.copytree(BANJARMASIN, city)
    profiles = city / "profiles.yml"
    profiles.write_text(
        profiles.read_text().replace(
            "password: env:NETOPS_DEVICE_PASSWORD", "password: file:secrets/device.pw"
        )
    )
    (city / "secrets").mkdir()
    (city / "secrets" / "device.pw").write_text("pw-from-the-file\n")
    for name in ("NETOPS_ENABLE_SECRET", "NETOPS_SNMP_AUTH", "NETOPS_SNMP_PRIV"):
        monkeypatch.setenv(name, f"{name.lower()}-value")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return city


def test_file_secret_is_read_relative_to_the_inventory_not_the_cwd(
    city_with_file_secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["config", "render", "--with-secrets", "-d", "cc-core-01", "-o", "out"]
    assert main([*args, "-i", "../inv/city"]) == 0, capsys.readouterr().err
    config = Path("out/cc-core-01.cfg").read_text()
    assert "username netops privilege 15 secret pw-from-the-file" in config


def test_missing_file_secret_is_one_sentence_naming_reference_and_place(
    city_with_file_secret: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (city_with_file_secret / "secrets" / "device.pw").unlink()
    args = ["config", "render", "--with-secrets", "-d", "cc-core-01", "-o", "out"]
    assert main([*args, "-i", "../inv/city"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = next(line for line in err.splitlines() if "file:secrets/device.pw" in line)
    used_by = "credentials profile 'netops-admin' field 'password'"
    # Outside the working folder the file is named by its whole path.
    assert f"{used_by} at {city_with_file_secret / 'profiles.yml'}:5" in line
    path = city_with_file_secret / "secrets" / "device.pw"
    assert f"cannot be read: {path}: No such file or directory" in line
