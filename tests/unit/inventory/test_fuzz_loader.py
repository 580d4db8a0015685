"""Fuzz the inventory loader: 1,000 mutated copies of the lab inventory, each either loads or
fails with one ``NetopsError`` sentence, never a traceback.

Two kinds of mutation, drawn by hypothesis: text (a line deleted, duplicated, cut short or
given YAML punctuation, tabs, anchors, tags, control characters) and structure (one value in
the parsed YAML replaced by another type, a huge number, a deep nesting, a duplicate key).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netops.errors import NetopsError
from netops.inventory import load_inventory
from tests.paths import LAB

FILES = sorted(p.name for p in LAB.glob("*.yml"))
LINES = {name: (LAB / name).read_text().splitlines() for name in FILES}
PARSED = {name: yaml.safe_load((LAB / name).read_text()) for name in FILES}

NOISE = [
    ": ",
    "- ",
    "\t",
    "&a ",
    "*a",
    "!!python/object/apply:os.system ['true']",
    "!!binary x",
    "{",
    "]",
    "'",
    '"',
    "#",
    "|",
    "? ",
    "<<: *a",
    "\x00",
    "\x1b[31m",
    "~",
    "1e999",
    "-0x1",
    "9" * 40,
    "ÿ",
    "🙂",
    "env:",
    "file:/etc/shadow",
    "0.0.0.0/0",
    "::",
    "...",
    "---",
]

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "10.0.0.300", "env:", "1x", "-1h", "999999d", "lab-hs-01", "gratis"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def text_mutation(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(FILES))
    lines = list(LINES[name])
    for _ in range(draw(st.integers(1, 3))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "cut", "noise", "indent"]))
        if action == "delete":
            del lines[at]
        elif action == "duplicate":
            lines.insert(at, lines[at])
        elif action == "cut":
            lines[at] = lines[at][: draw(st.integers(0, max(0, len(lines[at]) - 1)))]
        elif action == "noise":
            col = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:col] + draw(st.sampled_from(NOISE)) + lines[at][col:]
        else:
            lines[at] = " " * draw(st.integers(1, 3)) + lines[at]
    return name, "\n".join(lines) + "\n"


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*here, i))
    return found


@st.composite
def structure_mutation(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(FILES))
    tree = yaml.safe_load((LAB / name).read_text())
    paths = _paths(tree)
    where = draw(st.sampled_from(paths))
    parent = tree
    for step in where[:-1]:
        parent = parent[step]
    kind = draw(st.sampled_from(["leaf", "deep", "drop"]))
    if kind == "leaf":
        parent[where[-1]] = draw(LEAVES)
    elif kind == "deep":
        value: Any = "x"
        for _ in range(draw(st.integers(30, 80))):
            value = [value]
        parent[where[-1]] = value
    elif isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent.pop(where[-1])
    text = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
    return name, text


ROOT = Path(tempfile.mkdtemp(prefix="netops-fuzz-inv-")) / "inv"
shutil.copytree(LAB, ROOT)
atexit.register(shutil.rmtree, ROOT.parent, True)


def _load_mutated(name: str, text: str) -> None:
    """Load the lab copy with ``name`` replaced by ``text``; the copy is restored after."""
    (ROOT / name).write_text(text)
    try:
        load_inventory(ROOT)
    except NetopsError as error:
        message = str(error)
        assert message.strip(), "an empty error message"
        assert "Traceback" not in message
    finally:
        (ROOT / name).write_text((LAB / name).read_text())


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(text_mutation())
def test_text_mutations_load_or_give_one_sentence(mutation: tuple[str, str]) -> None:
    _load_mutated(*mutation)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(structure_mutation())
def test_structure_mutations_load_or_give_one_sentence(mutation: tuple[str, str]) -> None:
    _load_mutated(*mutation)
