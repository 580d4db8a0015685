"""The house stays livable: no module in the cleaned packages grows past 700 lines and no
function past 100, so new work lands in rooms that fit it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Folders held to the limits, relative to the repository; a folder counts with everything
#: below it except the folders in ``EXCLUDED``. Add a folder here once it is cleaned.
CHECKED_DIRS: tuple[str, ...] = ("netops",)

#: Folders or files inside ``CHECKED_DIRS`` not held to the limits yet.
EXCLUDED: tuple[str, ...] = ()

MAX_FILE_LINES = 700
MAX_FUNCTION_LINES = 100


def _excluded(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return any(rel.match(pattern) or rel.is_relative_to(pattern) for pattern in EXCLUDED)


def _modules() -> list[Path]:
    return sorted(
        path
        for folder in CHECKED_DIRS
        for path in (ROOT / folder).rglob("*.py")
        if not _excluded(path)
    )


def _functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """(qualified name, first line, line count) of every function, nested ones included;
    a function's lines run from its first decorator to its last line."""
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                end = child.end_lineno or child.lineno
                found.append((name, start, end - start + 1))
                name += "."
            elif isinstance(child, ast.ClassDef):
                name = f"{prefix}{child.name}."
            visit(child, name)

    visit(tree, "")
    return found


def oversized(paths: list[Path]) -> list[str]:
    """One line per file over ``MAX_FILE_LINES`` and per function over
    ``MAX_FUNCTION_LINES``, naming where it is and how long."""
    problems: list[str] = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        lines = len(text.splitlines())
        if lines > MAX_FILE_LINES:
            problems.append(f"{rel}: {lines} lines (limit {MAX_FILE_LINES})")
        for name, start, count in _functions(ast.parse(text, filename=str(path))):
            if count > MAX_FUNCTION_LINES:
                problems.append(f"{rel}:{start} {name}: {count} lines (limit {MAX_FUNCTION_LINES})")
    return problems


def test_the_checked_folders_exist_and_hold_modules() -> None:
    for folder in CHECKED_DIRS:
        assert (ROOT / folder).is_dir(), folder
    assert len(_modules()) > 50


def test_no_file_or_function_is_over_the_limits() -> None:
    problems = oversized(_modules())
    assert not problems, "over the size limits:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\n" * (MAX_FILE_LINES + 1), f"{MAX_FILE_LINES + 1} lines"),
        (
            "class C:\n    @staticmethod\n    def f() -> None:\n"
            + "        pass\n" * (MAX_FUNCTION_LINES - 1),
            f"C.f: {MAX_FUNCTION_LINES + 1} lines",
        ),
        (
            "async def outer() -> None:\n    def inner() -> None:\n"
            + "        pass\n" * MAX_FUNCTION_LINES,
            f"outer.inner: {MAX_FUNCTION_LINES + 1} lines",
        ),
    ],
)
def test_an_oversized_file_or_function_is_named(tmp_path: Path, source: str, expected: str) -> None:
    module = tmp_path / "big.py"
    module.write_text(source, encoding="utf-8")
    problems = oversized([module])
    assert any(expected in p for p in problems), problems


def test_a_function_at_the_limit_passes(tmp_path: Path) -> None:
    module = tmp_path / "fits.py"
    module.write_text("def f() -> None:\n" + "    pass\n" * (MAX_FUNCTION_LINES - 1))
    assert oversized([module]) == []
