"""netops.files.write_atomic: whole files, the permission bits asked for, one-sentence errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from netops.errors import NetopsError, ReportError
from netops.files import write_atomic


def test_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "targets.json"
    write_atomic(path, "old\n")
    write_atomic(path, "new ✓\n")
    assert path.read_text(encoding="utf-8") == "new ✓\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["targets.json"]


def test_a_private_file_is_private_and_chmod_is_exact(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "state.json", "{}", mode=0o600)
        write_atomic(tmp_path / "plain.txt", "x")
        write_atomic(tmp_path / "set.nft", "x", chmod=0o640)
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"state.json": 0o600, "plain.txt": 0o644, "set.nft": 0o640}


def test_a_missing_folder_is_one_sentence_when_folders_are_not_made(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "nas.nft"
    with pytest.raises(ReportError, match=r"^cannot write .*nas\.nft: the folder .* not exist"):
        write_atomic(target, "x", parents=False, error=ReportError)
    assert not (tmp_path / "nowhere").exists()


def test_a_failed_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    taken = tmp_path / "report.txt"
    taken.mkdir()
    (taken / "inside").write_text("kept")
    with pytest.raises(NetopsError, match=r"^cannot write .*report\.txt: Is a directory$"):
        write_atomic(taken, "x")
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    assert (taken / "inside").read_text() == "kept"


def test_without_an_error_class_the_os_error_itself_is_raised(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        write_atomic(tmp_path / "file" / "below", "x", error=None)
