"""The FRR lab for provisioning tests: started per test, always torn down."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.provision.lab import FrrLab
from tests.paths import LAB

PREFIX = "nxprov"


@pytest.fixture
def lab_copy(tmp_path: Path) -> Callable[..., Inventory]:
    """A copy of the lab inventory, optionally edited: ``edit(file, old, new)`` pairs and
    extra files (``templates/frr/core.j2`` …)."""

    def make(
        replace: tuple[tuple[str, str, str], ...] = (), files: dict[str, str] | None = None
    ) -> Inventory:
        root = tmp_path / f"inv{len(list(tmp_path.glob('inv*')))}"
        shutil.copytree(LAB, root)
        for name, old, new in replace:
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
def inv() -> Inventory:
    return load_inventory(LAB)


@pytest.fixture
def frr_lab(inv: Inventory) -> Iterator[FrrLab]:
    for tool in ("/usr/lib/frr/zebra", "/usr/sbin/sshd", "/usr/bin/vtysh"):
        assert Path(tool).exists(), f"{tool} is missing: apt-get install frr openssh-server"
    lab = FrrLab.from_inventory(inv, PREFIX)
    with lab:
        yield lab
