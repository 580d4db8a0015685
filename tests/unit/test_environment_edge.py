"""The environment is read at the edge only: the CLI (``netops/cli/``), ``netops.environment``
and a process's own ``__main__``. Every subsystem gets what the edge read in its settings
(``Store.open(keys=…)``, ``ServerConfig.dictionary``, ``Options.templates``, …), so a test,
an embedding program or a second process in one interpreter decides its settings itself.

Read with ``ast``: ``os.environ``, ``os.getenv``, ``os.putenv``, ``os.unsetenv`` and
``from os import environ / getenv`` all count, inside functions too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import REPO

#: Modules that read the environment on purpose, each with why.
ALLOWED: dict[str, str] = {
    "netops/environment.py": "the edge's reader of the variables named in netops.defaults",
    "netops/inventory/secrets.py": "an inventory secret `env:NAME` is resolved when used",
    "netops/service/supervisor.py": "hands its own environment on to the services it starts",
    "netops/radius/service.py": "prometheus_client's multiprocess mode is configured by "
    "PROMETHEUS_MULTIPROC_DIR (written for the workers, never read)",
    "netops/exporters/workers.py": "prometheus_client's multiprocess mode is configured by "
    "PROMETHEUS_MULTIPROC_DIR (set for the exporter's workers, which inherit it)",
    "netops/lab/kannel.py": "a lab program's own entry point: its parent hands it the SMS "
    "password in the environment, never on the command line",
}

_NAMES = {"environ", "getenv", "putenv", "unsetenv", "environb", "getenvb"}


def environment_reads(root: Path, package: str = "netops") -> dict[str, list[int]]:
    """File (relative to ``root``) → the lines where it touches the process environment,
    for every module outside the edge (``cli/``, any ``__main__.py``)."""
    found: dict[str, list[int]] = {}
    for path in sorted((root / package).rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(f"{package}/cli/") or path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), relative)
        lines = []
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in _NAMES
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(alias.name in _NAMES for alias in node.names)
            ):
                lines.append(node.lineno)
        if lines:
            found[relative] = sorted(lines)
    return found


def test_no_subsystem_reads_the_environment() -> None:
    found = environment_reads(REPO)
    new = {path: lines for path, lines in found.items() if path not in ALLOWED}
    assert not new, (
        "read environment variables in the CLI (or netops.environment) and pass the values "
        f"down in the subsystem's settings: {new}"
    )
    gone = sorted(set(ALLOWED) - set(found))
    assert not gone, f"these modules no longer read the environment: drop them from ALLOWED: {gone}"


def test_the_checker_sees_every_way_of_reading_it(tmp_path: Path) -> None:
    files = {
        "netops/store/base.py": "import os\n\ndef key():\n    return os.environ.get('K')\n",
        "netops/radius/dictionary.py": "import os\nPATH = os.getenv('D')\n",
        "netops/portal/branding.py": "from os import environ as e\n",
        "netops/provision/render.py": "import os\nos.putenv('A', 'b')\n",
        "netops/report/ok.py": "import os\nos.path.join('a', 'b')\n",
        "netops/cli/main.py": "import os\nos.environ['X'] = '1'\n",
        "netops/lab/routeros/__main__.py": "import os\nos.environ.get('P')\n",
    }
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    assert environment_reads(tmp_path) == {
        "netops/portal/branding.py": [1],
        "netops/provision/render.py": [2],
        "netops/radius/dictionary.py": [2],
        "netops/store/base.py": [4],
    }
