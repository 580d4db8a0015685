"""The one place benchmarks write their figures: a ``## Title`` section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def read_section(title: str) -> str:
    """The text of section ``## title`` as the doc has it now ("" if it has none)."""
    text = DOC.read_text() if DOC.exists() else ""
    heading = f"## {title}\n"
    if text.startswith(heading):
        start = 0
    else:
        found = text.find("\n" + heading)
        if found < 0:
            return ""
        start = found + 1
    end = text.find("\n## ", start + len(heading) - 1)
    return text[start : end + 1 if end >= 0 else len(text)]


def write_section(section: str) -> None:
    """Replace the section whose ``## Title`` line ``section`` starts with, or append it;
    every other section stays as it is."""
    title = section.split("\n", 1)[0].removeprefix("## ").strip()
    body = section.rstrip("\n") + "\n"
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    old = read_section(title)
    if old:
        start = text.find(old)
        rest = text[start + len(old) :]
        text = text[:start] + body + ("\n" + rest.lstrip("\n") if rest.strip() else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    DOC.write_text(text)
