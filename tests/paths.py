"""Where the repository's shipped data lives, for tests."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "inventory" / "lab"
BANJARMASIN = REPO / "inventory" / "banjarmasin"
