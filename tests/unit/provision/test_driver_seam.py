"""The driver seam: operations reach a device only through ``Session``.

A driver whose configuration is structured state (path → entries) and whose difference is
a plan goes through the same ``diff`` / ``push`` / ``rollback`` / ``backup`` / ``facts``
as the text drivers; each driver sorts its own libraries' failures by type.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netops.errors import ProvisionError, PushError
from netops.inventory import load_inventory
from netops.inventory.models import Device, Inventory
from netops.provision import operations
from netops.provision.drivers import Diff, Login, Session, Undo, describe_error, login_for
from netops.provision.operations import Options
from netops.provision.render import Rendered
from tests.paths import LAB, REPO

pytestmark = pytest.mark.timeout(60)

StateMap = dict[str, list[dict[str, str]]]
Op = tuple[str, str, dict[str, str]]  # ("add" | "remove", path, entry)


@pytest.fixture(scope="module")
def inv() -> Inventory:
    return load_inventory(LAB)


class StateDevice:
    """A device whose configuration is entries under paths, as RouterOS's API shows it."""

    def __init__(self, state: StateMap) -> None:
        self.state = state
        self.refuse = False  # refuses a change as a whole
        self.fail_after = -1  # fails after taking this many operations


class StateSession:
    """A structured-state driver: intended state read from the rendered object, the
    difference a plan of add/remove operations, rollback a plan back to the old state."""

    def __init__(self, login: Login, device: StateDevice) -> None:
        self.login = login
        self.device = device
        self.calls: list[str] = []

    def open(self) -> None:
        self.calls.append("open")

    def close(self) -> None:
        self.calls.append("close")

    @staticmethod
    def intended_state(intended: Rendered) -> StateMap:
        return {
            "/system/identity": [{"name": intended.device.hostname}],
            "/ip/dns": [{"servers": "10.254.0.1"}],
        }

    @staticmethod
    def plan(current: StateMap, wanted: StateMap) -> list[Op]:
        ops: list[Op] = []
        for path in sorted(set(current) | set(wanted)):
            have, want = current.get(path, []), wanted.get(path, [])
            ops += [("remove", path, e) for e in have if e not in want]
            ops += [("add", path, e) for e in want if e not in have]
        return ops

    @staticmethod
    def lines(ops: list[Op]) -> str:
        return "".join(
            f"{'+' if kind == 'add' else '-'}{path} {json.dumps(entry, sort_keys=True)}\n"
            for kind, path, entry in ops
        )

    def _apply(self, ops: list[Op]) -> None:
        for n, (kind, path, entry) in enumerate(ops):
            if n == self.device.fail_after:
                raise ProvisionError(f"{self.login.device.hostname}: {path} refused {entry}")
            entries = self.device.state.setdefault(path, [])
            if kind == "add":
                entries.append(dict(entry))
            else:
                entries.remove(entry)

    def diff(self, intended: Rendered) -> Diff[tuple[StateMap, list[Op]]]:
        self.calls.append("diff")
        current = json.loads(json.dumps(self.device.state))
        ops = self.plan(current, self.intended_state(intended))
        text = self.lines(ops)
        return Diff(intended, bool(ops), text, len(ops), (current, ops))

    def discard(self, diff: Diff[tuple[StateMap, list[Op]]]) -> None:
        self.calls.append("discard")

    def push(self, diff: Diff[tuple[StateMap, list[Op]]]) -> None:
        self.calls.append("push")
        if self.device.refuse:
            raise PushError("the device refused the change", applied=False)
        try:
            self._apply(diff.plan[1])
        except ProvisionError as exc:
            raise PushError(str(exc), applied=True) from exc

    def rollback(self, diff: Diff[tuple[StateMap, list[Op]]]) -> Undo:
        self.calls.append("rollback")
        self.device.fail_after = -1
        self._apply(self.plan(self.device.state, diff.plan[0]))
        return Undo(True, "rolled back")

    def backup(self) -> str:
        self.calls.append("backup")
        return json.dumps(self.device.state, sort_keys=True)

    def facts(self) -> dict[str, str]:
        self.calls.append("facts")
        return {"version": "7.16"}


OLD: StateMap = {"/system/identity": [{"name": "MikroTik"}], "/ip/dns": []}


@pytest.fixture
def state_driver(
    inv: Inventory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[StateDevice, list[StateSession]]]:
    device = StateDevice(json.loads(json.dumps(OLD)))
    sessions: list[StateSession] = []

    def session_for(inventory: Inventory, dev: Device, *_: Any) -> Session[Any]:
        session = StateSession(login_for(inventory, dev), device)
        sessions.append(session)
        return session

    monkeypatch.setattr(operations, "session_for", session_for)
    yield device, sessions


def test_a_structured_state_driver_diffs_as_a_plan_and_a_dry_run_changes_nothing(
    inv: Inventory, state_driver: tuple[StateDevice, list[StateSession]]
) -> None:
    device, sessions = state_driver
    result = operations.push(inv, inv.device("lab-hs-01"), Options(commit=False))
    assert result.error is None and result.changed and result.running is None
    assert result.diff == (
        '+/ip/dns {"servers": "10.254.0.1"}\n'
        '-/system/identity {"name": "MikroTik"}\n'
        '+/system/identity {"name": "lab-hs-01"}\n'
    )
    assert device.state == OLD
    assert sessions[0].calls == ["open", "diff", "discard", "close"]
    checked = operations.check(inv, inv.device("lab-hs-01"), Options())
    assert checked.facts["drift"] == "3 line(s)" and checked.facts["version"] == "7.16"


def test_a_structured_state_driver_commits_keeps_the_state_before_and_converges(
    inv: Inventory, state_driver: tuple[StateDevice, list[StateSession]], tmp_path: Path
) -> None:
    device, sessions = state_driver
    options = Options(commit=True, backup_dir=tmp_path / "backups")
    result = operations.push(inv, inv.device("lab-hs-01"), options)
    assert (result.status, result.error, result.rolled_back) == ("changed", None, False)
    assert device.state["/system/identity"] == [{"name": "lab-hs-01"}]
    assert result.running == json.dumps(OLD, sort_keys=True)
    assert (tmp_path / "backups" / "lab-hs-01.cfg").read_text().startswith('{"/ip/dns": []')
    assert sessions[0].calls == ["open", "diff", "backup", "push", "close"]
    again = operations.push(inv, inv.device("lab-hs-01"), options)
    assert again.status == "unchanged" and sessions[1].calls[-2:] == ["discard", "close"]


def test_a_push_that_failed_half_way_is_rolled_back_one_refused_whole_is_not(
    inv: Inventory, state_driver: tuple[StateDevice, list[StateSession]]
) -> None:
    device, sessions = state_driver
    device.fail_after = 2
    result = operations.push(inv, inv.device("lab-hs-01"), Options(commit=True))
    assert result.failed and result.rolled_back and device.state == OLD
    assert result.error == (
        "lab-hs-01: /system/identity refused {'name': 'lab-hs-01'}; rolled back"
    )
    device.refuse = True
    refused = operations.push(inv, inv.device("lab-hs-01"), Options(commit=True))
    assert refused.error == "the device refused the change"
    assert not refused.changed and not refused.rolled_back
    assert "rollback" not in sessions[1].calls


def test_operations_know_no_driver_by_name() -> None:
    source = (REPO / "netops" / "provision" / "operations.py").read_text()
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not names & {"NapalmSession", "NetmikoSession", "isinstance"}


def test_napalm_failures_are_sorted_by_type_whatever_the_class_is_called(
    inv: Inventory,
) -> None:
    from napalm.base.exceptions import ConnectAuthError, ConnectionException, ConnectTimeoutError

    class EapiGone(ConnectionException):  # a driver's own subclass, named its own way
        pass

    login = login_for(inv, inv.device("lab-dist-01"))  # EOS: the napalm driver
    where = f"lab-dist-01 at {login.host}:{login.port}"

    def say(exc: BaseException) -> str:
        return describe_error(exc, login, lambda text: text)

    assert say(ConnectAuthError("denied")) == f"authentication failed for user 'netops' on {where}"
    assert say(ConnectTimeoutError("slow")) == (
        f"no answer from {where} within {login.connect_timeout:g} s"
    )
    assert say(EapiGone("socket closed")) == f"the connection to {where} dropped (socket closed)"


def test_a_failure_of_netops_own_is_not_called_a_dropped_connection(
    inv: Inventory, tmp_path: Path
) -> None:
    answers = tmp_path / "answers"
    answers.mkdir()
    for name, body in {
        "load_replace_candidate.1": {},
        "compare_config.1": {"diff": "+hostname lab-dist-01\n"},
        "get_config.1": {"running": "hostname old\n", "startup": "", "candidate": ""},
        "discard_config.1": {},
    }.items():
        (answers / name).write_text(json.dumps(body))
    device = inv.device("lab-dist-01")
    napalm = {"driver": "mock", "optional_args": {"path": str(answers)}}
    device = device.model_copy(update={"data": {**device.data, "napalm": napalm}})
    backups = tmp_path / "backups"
    (backups / "lab-dist-01.cfg").mkdir(parents=True)  # the backup cannot be written
    result = operations.push(inv, device, Options(commit=True, backup_dir=backups))
    assert result.failed and not result.rolled_back
    assert result.error is not None and result.error.startswith("IsADirectoryError: ")
    assert "connection" not in result.error
