"""The house is checked: the package's import graph has no cycle and no forbidden arrow.

Read with ``ast`` from ``netops/**.py`` (imports inside functions count too: a lazy import
is still a dependency). The rules (the README's layout says why):

- ``inventory`` and ``store`` import only ``errors`` (and the standard library and third
  parties): every other subsystem stands on them;
- no subsystem imports ``cli`` (the command line is the outermost layer);
- nothing imports ``lab`` but ``cli``: simulators stay out of the product;
- ``radius`` never imports ``portal``: the RADIUS server runs without the web app.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.paths import REPO

Graph = dict[str, set[str]]

#: Cycles that other work removes; each entry names why it is allowed for now.
ALLOWED_CYCLES: dict[frozenset[str], str] = {}
#: Forbidden arrows that other work removes (none today).
ALLOWED_ARROWS: dict[tuple[str, str], str] = {}


def import_graph(root: Path, package: str = "netops") -> Graph:
    """Module → the package's modules it imports (``from a import b`` names module ``a.b``
    when that is a module, else ``a``; relative imports resolved)."""
    files = {_module(root, path): path for path in sorted((root / package).rglob("*.py"))}

    def known(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: Graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        here = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        targets: set[str | None] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names if _inside(a.name, package)}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                if not _inside(source, package):
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    targets.add(full if full in files else known(source))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _module(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def subsystem(module: str) -> str:
    """``netops.portal.app`` → ``portal``; a top-level module (``netops.errors``) → ``errors``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycles(graph: Graph) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(frozenset(group))
    return found


def forbidden(graph: Graph) -> list[tuple[str, str, str]]:
    """(importer, imported, rule) for every arrow the house rules forbid."""
    out = []
    for module in sorted(graph):
        for target in sorted(graph[module]):
            a, b = subsystem(module), subsystem(target)
            if a == b:
                continue
            if a in ("inventory", "store") and b != "errors":
                out.append((module, target, f"{a} imports only errors"))
            if b == "cli" and module != "netops.__main__":
                out.append((module, target, "no subsystem imports cli"))
            if b == "lab" and a != "cli":
                out.append((module, target, "nothing imports lab but cli"))
            if a == "radius" and b == "portal":
                out.append((module, target, "radius never imports portal"))
    return out


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(REPO)


def test_no_import_cycle_between_modules_but_the_allowed_ones(graph: Graph) -> None:
    found = cycles(graph)
    new = [sorted(c) for c in found if c not in ALLOWED_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in ALLOWED_CYCLES if c not in found]
    assert not gone, f"these allowed cycles are gone: remove them from ALLOWED_CYCLES: {gone}"


def test_no_forbidden_arrow_between_subsystems(graph: Graph) -> None:
    found = forbidden(graph)
    new = [f for f in found if (f[0], f[1]) not in ALLOWED_ARROWS]
    assert not new, "\n".join(f"{a} -> {b}: {rule}" for a, b, rule in new)
    gone = [arrow for arrow in ALLOWED_ARROWS if arrow not in {(a, b) for a, b, _ in found}]
    assert not gone, f"these allowed arrows are gone: remove them from ALLOWED_ARROWS: {gone}"


def test_the_graph_sees_the_package_as_it_is(graph: Graph) -> None:
    assert "netops.provision.operations" in graph
    assert "netops.provision.drivers" in graph["netops.provision.operations"]
    assert "netops.lab.gateway" in graph["netops.lab.hotspot"]  # a lazy import counts
    assert "netops.portal.chap" in graph["netops.lab.gateway_web"]  # lab → portal is allowed


def test_the_checker_finds_cycles_and_forbidden_arrows(tmp_path: Path) -> None:
    files = {
        "netops/__init__.py": "",
        "netops/errors.py": "",
        "netops/inventory/__init__.py": "from netops.errors import *\n",
        "netops/inventory/models.py": "from netops.timefmt import now\n",
        "netops/timefmt.py": "",
        "netops/cli/__init__.py": "from netops.lab import frr\n",
        "netops/lab/__init__.py": "",
        "netops/lab/frr.py": "",
        "netops/radius/__init__.py": "",
        "netops/radius/server.py": "def f():\n    from ..portal import app\n",
        "netops/portal/__init__.py": "",
        "netops/portal/app.py": "from . import admin\n",
        "netops/portal/admin.py": "import netops.portal.app\nfrom netops.cli import main\n",
        "netops/provision/__init__.py": "",
        "netops/provision/ops.py": "from netops.lab.frr import FrrLab\n",
    }
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    graph = import_graph(tmp_path)
    assert cycles(graph) == [frozenset({"netops.portal.app", "netops.portal.admin"})]
    assert [(a, b) for a, b, _ in forbidden(graph)] == [
        ("netops.inventory.models", "netops.timefmt"),
        ("netops.portal.admin", "netops.cli"),
        ("netops.provision.ops", "netops.lab.frr"),
        ("netops.radius.server", "netops.portal.app"),
    ]
