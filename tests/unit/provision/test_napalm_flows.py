"""The candidate / compare / commit / confirm / rollback path, through napalm's mock driver.

No lab target can run a vendor commit-confirm; napalm's ``mock`` driver replays the answers a
device gives, file by file (``<method>.<call number>``), and records what netops asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import Device, Inventory
from netops.provision import operations
from netops.provision.operations import Options
from netops.provision.render import Redactor
from tests.paths import LAB

pytestmark = pytest.mark.timeout(60)

DIFF = "@@ -1,3 +1,3 @@\n-hostname old\n+hostname lab-dist-01\n"
RUNNING = "hostname old\nusername netops secret netops-lab\n"
FACTS = {
    "hostname": "lab-dist-01",
    "fqdn": "lab-dist-01.lab.netops.test",
    "vendor": "Arista",
    "model": "vEOS",
    "os_version": "4.30.1F",
    "serial_number": "SN-LAB-1",
    "uptime": 3600.0,
    "interface_list": ["Ethernet1", "Ethernet2"],
}


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(LAB)


def _device(inv: Inventory, path: Path) -> Device:
    device = inv.device("lab-dist-01")
    napalm = {"driver": "mock", "optional_args": {"path": str(path)}, "revert_in": 120}
    return device.model_copy(update={"data": {**device.data, "napalm": napalm}})


def _write(path: Path, answers: dict[str, Any]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, body in answers.items():
        (path / name).write_text(json.dumps(body))
    return path


def test_dry_run_loads_compares_and_discards(inv: Inventory, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "discard_config.1": {},
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=False))
    assert result.error is None and result.changed and result.diff == DIFF
    assert result.running is None  # nothing kept: nothing was going to change


def test_commit_with_revert_timer_is_verified_then_confirmed(
    inv: Inventory, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "get_config.1": {"running": RUNNING, "startup": "", "candidate": ""},
            "commit_config.1": {},
            "load_replace_candidate.2": {},
            "compare_config.2": {"diff": ""},
            "discard_config.1": {},
            "get_facts.1": FACTS,
            "confirm_commit.1": {},
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=True))
    assert (result.status, result.error, result.rolled_back) == ("changed", None, False)
    assert result.running is not None and "hostname old" in result.running
    assert "netops-lab" not in result.running  # the backup copy is redacted


def test_no_difference_means_no_commit(inv: Inventory, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": ""},
            "discard_config.1": {},
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=True))
    assert result.status == "unchanged" and result.error is None
    assert not (path / "commit_config.1").exists()


def test_failed_verification_rolls_back_the_commit(inv: Inventory, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "get_config.1": {"running": RUNNING, "startup": "", "candidate": ""},
            "commit_config.1": {},
            "load_replace_candidate.2": {},
            "compare_config.2": {"diff": "+ip routing\n"},
            "discard_config.1": {},
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=True))
    assert result.failed and result.rolled_back
    assert result.error == (
        "verification failed (the committed config still differs from the intended one); "
        "rolled back"
    )


def test_unhealthy_device_after_commit_is_rolled_back(inv: Inventory, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "get_config.1": {"running": RUNNING, "startup": "", "candidate": ""},
            "commit_config.1": {},
            "load_replace_candidate.2": {},
            "compare_config.2": {"diff": ""},
            "discard_config.1": {},
            "get_facts.1": {
                "exception": "napalm.base.exceptions.ConnectionClosedException",
                "args": ["eAPI went away"],
            },
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=True))
    assert result.failed and result.rolled_back
    assert "dropped" in (result.error or "") and "rolled back" in (result.error or "")


def test_commit_refused_by_the_device_discards_the_candidate(
    inv: Inventory, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "get_config.1": {"running": RUNNING, "startup": "", "candidate": ""},
            "commit_config.1": {
                "exception": "napalm.base.exceptions.CommitError",
                "args": ["% Invalid input (privileged mode required)"],
            },
            "discard_config.1": {},
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=True))
    assert result.failed and not result.changed and not result.rolled_back
    assert result.error == "commit refused: CommitError: % Invalid input (privileged mode required)"


def test_candidate_the_device_rejects_fails_before_anything_changes(
    inv: Inventory, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        {
            "load_replace_candidate.1": {
                "exception": "napalm.base.exceptions.ReplaceConfigException",
                "args": ["Error [1002]: CLI command 3 of 40 'ip ospf bogus' failed: invalid"],
            }
        },
    )
    result = operations.push(inv, _device(inv, path), Options(commit=True))
    assert result.failed and not result.changed
    assert result.error is not None and result.error.startswith("ReplaceConfigException: Error")


def test_check_reports_napalm_facts_and_drift(inv: Inventory, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "get_facts.1": FACTS,
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "discard_config.1": {},
        },
    )
    result = operations.check(inv, _device(inv, path), Options())
    assert result.error is None and result.changed and result.diff == DIFF
    assert result.facts["version"] == "4.30.1F" and result.facts["serial"] == "SN-LAB-1"
    assert result.facts["uptime"] == "3600 s" and result.facts["drift"] == "2 line(s)"


# The device shows a secret no template of this device uses: only the inventory knows it.
RUNNING_WITH_RADIUS = RUNNING + "radius-server host 127.0.0.1 key testing123\n"


@pytest.mark.parametrize("caller_redactor", [True, False], ids=["cli", "library"])
def test_session_log_records_each_call_with_every_secret_masked(
    inv: Inventory, tmp_path: Path, caller_redactor: bool
) -> None:
    path = _write(
        tmp_path / "answers",
        {
            "load_replace_candidate.1": {},
            "compare_config.1": {"diff": DIFF},
            "get_config.1": {"running": RUNNING_WITH_RADIUS, "startup": "", "candidate": ""},
            "commit_config.1": {},
            "load_replace_candidate.2": {},
            "compare_config.2": {"diff": ""},
            "discard_config.1": {},
            "get_facts.1": FACTS,
            "confirm_commit.1": {},
        },
    )
    logs = tmp_path / "logs"
    redactor = Redactor()
    redactor.add_inventory(inv)
    # The CLI brings the run's redactor; a library caller may not, and is covered the same.
    mine = redactor if caller_redactor else None
    options = Options(commit=True, session_log_dir=logs, redactor=mine)
    result = operations.push(inv, _device(inv, path), options)
    assert result.error is None, result.error
    text = (logs / "lab-dist-01.log").read_text()
    calls = [line for line in text.splitlines() if line.startswith("### ")]
    assert [c.split()[1] for c in calls] == [
        "open",
        "load_replace_candidate",
        "compare_config",
        "get_config",
        "commit_config",
        "load_replace_candidate",
        "compare_config",
        "discard_config",
        "get_facts",
        "confirm_commit",
        "close",
    ]
    assert "username netops privilege 15 role network-admin secret <redacted>" in text
    assert "hostname old" in text and "SN-LAB-1" in text
    assert "radius-server host 127.0.0.1 key <redacted>" in text
    for secret in redactor.values:
        assert secret not in text
