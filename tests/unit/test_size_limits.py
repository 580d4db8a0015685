"""The house stays livable: no module over 700 lines and no function over 100 in the
directories listed here (issue 15's reviewer targets). Add a directory once it meets them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import REPO

MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 100

#: Directories under the repository root held to the limits, every ``*.py`` below them.
CHECKED_DIRECTORIES = ("netops/lab",)


def oversized(directory: Path, root: Path = REPO) -> list[str]:
    """Each file over :data:`MAX_FILE_LINES` and each function (methods and nested
    functions included, decorators counted) over :data:`MAX_FUNCTION_LINES` below
    ``directory``, named by its path relative to ``root``."""
    found: list[str] = []
    for path in sorted(directory.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        where = path.relative_to(root)
        lines = len(source.splitlines())
        if lines > MAX_FILE_LINES:
            found.append(f"{where}: {lines} lines (limit {MAX_FILE_LINES})")
        for node in ast.walk(ast.parse(source, filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(
                        f"{where}:{node.lineno} {node.name}: {length} lines "
                        f"(limit {MAX_FUNCTION_LINES})"
                    )
    return found


@pytest.mark.parametrize("directory", CHECKED_DIRECTORIES)
def test_no_file_or_function_over_the_size_limits(directory: str) -> None:
    root = REPO / directory
    assert root.is_dir(), f"{directory} is not a directory of the repository"
    assert oversized(root) == []


def test_the_size_check_names_a_long_file_and_a_long_function(tmp_path: Path) -> None:
    # At the limits is fine; one line over is named, decorators counted, methods included.
    (tmp_path / "long.py").write_text("x = 1\n" * (MAX_FILE_LINES + 1))
    (tmp_path / "at_limit.py").write_text("x = 1\n" * MAX_FILE_LINES)
    statements = [f"y{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1)]
    method = ["class C:", "    @staticmethod", "    def too_long() -> None:"]
    method += [f"        {line}" for line in statements]
    function = ["def fits() -> None:", *(f"    {line}" for line in statements)]
    (tmp_path / "func.py").write_text("\n".join([*method, "", "", *function]) + "\n")
    assert oversized(tmp_path, tmp_path) == [
        f"func.py:3 too_long: {MAX_FUNCTION_LINES + 1} lines (limit {MAX_FUNCTION_LINES})",
        f"long.py: {MAX_FILE_LINES + 1} lines (limit {MAX_FILE_LINES})",
    ]
