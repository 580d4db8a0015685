"""Passwords for ``netops radius user add|passwd`` never need to be on the command line."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import LAB, REPO

NETOPS = Path(sys.executable).with_name("netops")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'netops.db'}"
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_DB", url)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    return url


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str,
    *argv: str,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))  # not a terminal
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def logs_in(db: str, name: str, password: str) -> bool:
    with Store.open(db, keys=store_keys()) as store:
        sub = store.lookup(name)
        return sub is not None and store.check_password(sub, password)


def test_password_stdin_for_add_and_passwd(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(
        capsys, monkeypatch, "rahasia 1\n", "radius", "user", "add", "ani", "--plan", "gratis",
        "--password-stdin",
    )  # fmt: skip
    assert code == 0, err
    assert "rahasia" not in out + err
    assert logs_in(db, "ani", "rahasia 1")
    code, _, err = run(
        capsys, monkeypatch, "baru-2\r\n", "radius", "user", "passwd", "ani", "--password-stdin"
    )
    assert code == 0, err
    assert logs_in(db, "ani", "baru-2") and not logs_in(db, "ani", "rahasia 1")


def test_no_password_and_no_terminal_is_one_clear_sentence(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, monkeypatch, "", "radius", "user", "add", "ani", "--plan", "gratis")
    assert code == 1
    assert "standard input is not a terminal" in err and "--password-stdin" in err
    assert "Traceback" not in err and "Warning" not in err
    with Store.open(db, keys=store_keys()) as store:
        assert store.lookup("ani") is None


@pytest.mark.parametrize(
    ("stdin", "says"),
    [("", "holds no password"), ("\n", "holds no password"), ("a\nb\n", "more than one line")],
)
def test_password_stdin_refuses_nothing_or_several_lines(
    db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: str,
    says: str,
) -> None:
    argv = ["radius", "user", "add", "ani", "--plan", "gratis", "--password-stdin"]
    code, _, err = run(capsys, monkeypatch, stdin, *argv)
    assert code == 1 and says in err


def test_password_on_the_command_line_still_works_with_a_warning(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["radius", "user", "add", "ani", "--plan", "gratis", "--password", "pw1"]
    code, _, err = run(capsys, monkeypatch, "", *argv)
    assert code == 0
    assert "process list" in err and "--password-stdin" in err
    assert logs_in(db, "ani", "pw1")
    code, _, err = run(capsys, monkeypatch, "pw2\n", *argv, "--password-stdin")
    assert code == 1 and "not both" in err


def test_passwd_for_an_unknown_user_fails_before_asking(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(capsys, monkeypatch, "", "radius", "user", "passwd", "nobody")
    assert code == 1
    assert "there is no user 'nobody'" in err and "terminal" not in err


# --- at a real terminal -------------------------------------------------------------------


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A command on a pseudo-terminal of its own, as a person at a shell runs it."""

    def __init__(self, argv: list[str]) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            preexec_fn=_controlling_terminal,
            cwd=REPO,
        )
        os.close(slave)
        self.seen = b""
        self.cursor = 0  # output before it has been matched already

    def expect(self, text: str, timeout: float = 60) -> None:
        """Wait for ``text`` in what the command writes next. Wait for a hidden prompt's
        trailing space: click writes the label, then getpass turns echo off, flushes what
        was typed ahead and writes the space."""
        deadline = time.monotonic() + timeout
        while (at := self.seen.find(text.encode(), self.cursor)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} in {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"ended before {text!r}: {self.seen!r}"
                self.seen += chunk
        self.cursor = at + len(text)

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def finish(self) -> int:
        code = self.proc.wait(timeout=60)
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk
        os.close(self.master)
        return code


def test_at_a_terminal_the_password_is_asked_twice_and_not_echoed(db: str) -> None:
    term = Terminal([str(NETOPS), "radius", "user", "add", "ani", "--plan", "gratis"])
    term.expect("Password: ")
    term.type("layar-sentuh-7")
    term.expect("Repeat for confirmation: ")
    term.type("layar-sentuh-8")  # a typo: asked again
    term.expect("do not match")
    term.expect("Password: ")
    term.type("layar-sentuh-7")
    term.expect("Repeat for confirmation: ")
    term.type("layar-sentuh-7")
    assert term.finish() == 0, term.seen
    assert b"added user" in term.seen
    assert b"layar-sentuh" not in term.seen  # never echoed
    assert logs_in(db, "ani", "layar-sentuh-7")
