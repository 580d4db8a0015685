"""Command groups load on first use, and every one of them is reachable."""

import subprocess
import sys

import pytest

from netops.cli.lazy import resolve
from netops.cli.main import _Root, app, main


@pytest.mark.parametrize("group", sorted(_Root.lazy))
def test_every_lazy_group_resolves_to_a_command(group: str) -> None:
    command, rest = resolve(app, [group])
    assert rest == []
    assert command.name == group


def test_commands_added_by_registrant_modules_are_found() -> None:
    for words in (["radius", "serve"], ["radius", "user", "add"], ["prometheus", "rules"]):
        command, rest = resolve(app, words)
        assert rest == [], words
        assert command.name == words[-1]


def test_unknown_words_are_left_over() -> None:
    _, rest = resolve(app, ["radius", "no-such-command", "--x"])
    assert rest == ["no-such-command", "--x"]


def test_root_help_lists_every_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for group in _Root.lazy:
        assert group in out


def test_version_does_not_import_the_subsystems() -> None:
    code = (
        "import sys; from netops.cli.main import main; rc = main(['--version']); "
        "heavy = [m for m in ('napalm', 'scapy', 'pysnmp', 'sqlalchemy', 'fastapi') "
        "if m in sys.modules]; print(heavy); sys.exit(rc)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"
