"""Backups: running configs in git, one commit per run with only the changed devices."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from netops.provision.backup import BackupError, commit_configs

pytestmark = pytest.mark.timeout(60)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def test_first_run_commits_every_device_with_names_in_the_message(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    saved = commit_configs(repo, {"r1": "hostname r1\n", "r2": "hostname r2"}, "backup")
    assert saved.commit is not None and saved.changed == ("r1", "r2")
    message = _git(repo, "log", "-1", "--format=%B")
    assert message.startswith("backup: 2 device(s) changed") and "r1\nr2" in message
    assert (repo / "r2.cfg").read_text() == "hostname r2\n"


def test_second_run_without_changes_makes_no_commit(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    commit_configs(repo, {"r1": "hostname r1\n"}, "backup")
    again = commit_configs(repo, {"r1": "hostname r1\n"}, "backup")
    assert again.commit is None and again.unchanged == ("r1",)
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_a_run_commits_only_the_files_that_changed(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    commit_configs(repo, {"r1": "a\n", "r2": "b\n"}, "backup")
    saved = commit_configs(repo, {"r1": "a\n", "r2": "b changed\n"}, "backup")
    assert saved.changed == ("r2",)
    assert _git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["r2.cfg"]


def test_unrelated_files_in_the_repository_are_not_committed(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    commit_configs(repo, {"r1": "a\n"}, "backup")
    (repo / "notes.txt").write_text("mine")
    commit_configs(repo, {"r1": "b\n"}, "backup")
    assert "notes.txt" not in _git(repo, "ls-files")


def test_backup_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(BackupError, match="is a file, not a folder"):
        commit_configs(target, {"r1": "a\n"}, "backup")
