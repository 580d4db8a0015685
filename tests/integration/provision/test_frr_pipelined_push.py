"""The pipelined push against real FRR routers: one write for the change and its read-back,
and the verify still catches a line FRR takes without keeping it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory.models import Inventory
from netops.lab.frr import FrrLab
from netops.provision import operations
from netops.provision.operations import Options
from netops.provision.runner import run
from tests.paths import LAB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

HOST = "lab-core-01"


def _running(lab: FrrLab, host: str) -> str:
    out = lab.vtysh(host, "show running-config")
    return "\n".join(line for line in out.splitlines() if not line.startswith("Building"))


def test_a_line_frr_takes_without_keeping_fails_the_verify_and_is_rolled_back(
    frr_lab: FrrLab, lab_copy: ...
) -> None:
    # FRR takes "ip ospf retransmit-interval 5" (its default) without an error, and its
    # running configuration never shows a default: the line did not take effect as written.
    template = (Path(LAB).parents[1] / "templates" / "frr" / "core.j2").read_text()
    silent = template.replace(
        " ip ospf network point-to-point\n",
        " ip ospf network point-to-point\n{% if hostname == 'lab-core-01' %}"
        " ip ospf retransmit-interval 5\n{% endif %}",
    )
    assert silent != template
    edited = lab_copy(files={"templates/frr/core.j2": silent})
    before = _running(frr_lab, HOST)
    [result] = run(operations.push, edited, [edited.device(HOST)], Options(commit=True))
    assert result.failed and result.rolled_back, result.error
    assert "did not take effect" in (result.error or ""), result.error
    assert "ip ospf retransmit-interval 5" in (result.error or "")
    assert _running(frr_lab, HOST) == before
    assert "retransmit" not in frr_lab.saved_config(HOST)


def test_the_pipelined_push_converges_and_verifies(frr_lab: FrrLab, inv: Inventory) -> None:
    [first] = run(operations.push, inv, [inv.device(HOST)], Options(commit=True))
    assert first.status == "changed", first.error
    assert "router ospf" in _running(frr_lab, HOST)
    assert "router ospf" in frr_lab.saved_config(HOST)
    [again] = run(operations.push, inv, [inv.device(HOST)], Options(commit=True))
    assert (again.status, again.diff) == ("unchanged", "")
