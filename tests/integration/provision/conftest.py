"""The FRR lab for provisioning tests: started per test, always torn down."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.frr import FrrLab
from tests.paths import LAB

PREFIX = "nxprov"
# The lab inventory's own addresses (10.254.0.2, .6) belong to `netops lab up`; the tests move
# their routers to other /30s of the management /24 so both can run at the same time.
MGMT = {"lab-core-01": "10.254.0.226", "lab-core-02": "10.254.0.230"}
_MOVE = (
    ("devices.yml", "mgmt_ip: 10.254.0.2\n", f"mgmt_ip: {MGMT['lab-core-01']}\n"),
    ("devices.yml", "mgmt_ip: 10.254.0.6\n", f"mgmt_ip: {MGMT['lab-core-02']}\n"),
)


@pytest.fixture
def lab_copy(tmp_path: Path) -> Callable[..., Inventory]:
    """A copy of the lab inventory, optionally edited: ``edit(file, old, new)`` pairs and
    extra files (``templates/frr/core.j2`` …)."""

    def make(
        replace: tuple[tuple[str, str, str], ...] = (), files: dict[str, str] | None = None
    ) -> Inventory:
        root = tmp_path / f"inv{len(list(tmp_path.glob('inv*')))}"
        shutil.copytree(LAB, root)
        for name, old, new in (*_MOVE, *replace):
            path = root / name
            text = path.read_text()
            assert old in text, f"{old!r} not in {name}"
            path.write_text(text.replace(old, new))
        for name, body in (files or {}).items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(body)
        return load_inventory(root)

    return make


@pytest.fixture
def inv(lab_copy: Callable[..., Inventory]) -> Inventory:
    return lab_copy()


@pytest.fixture
def frr_lab(inv: Inventory) -> Iterator[FrrLab]:
    for tool in ("/usr/lib/frr/zebra", "/usr/sbin/sshd", "/usr/bin/vtysh"):
        assert Path(tool).exists(), f"{tool} is missing: apt-get install frr openssh-server"
    lab = FrrLab.from_inventory(inv, PREFIX)
    with lab:
        yield lab
