"""Running configs kept in a git repository: one commit per run, only changed files.

The Oxidized habit: ``<repo>/<hostname>.cfg`` per device, the commit message names the
devices whose configuration changed, so ``git log -p host.cfg`` is the device's history.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from netops.errors import NetopsError

GIT_IDENTITY = ("-c", "user.name=netops", "-c", "user.email=netops@localhost")


class BackupError(NetopsError):
    """The backup repository could not be written (git missing, not a folder, git failed)."""


@dataclass(frozen=True)
class BackupCommit:
    """What one backup run committed: the commit id (None when nothing changed)."""

    commit: str | None
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]


def _git(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *GIT_IDENTITY, "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise BackupError("git is not installed: the backup repository needs it") from None
    if result.returncode != 0:
        raise BackupError(f"git {args[0]} failed in {repo}: {result.stderr.strip()[:200]}")
    return result.stdout


def ensure_repo(repo: Path) -> None:
    if repo.exists() and not repo.is_dir():
        raise BackupError(f"backup folder {repo} is a file, not a folder")
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        _git(repo, "init", "-q", "-b", "main")


def commit_configs(repo: Path, configs: Mapping[str, str], message: str) -> BackupCommit:
    """Write ``<host>.cfg`` files and commit only those whose content changed."""
    ensure_repo(repo)
    for host, text in configs.items():
        path = repo / f"{host}.cfg"
        body = text if text.endswith("\n") else text + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != body:
            path.write_text(body, encoding="utf-8")
    files = [f"{host}.cfg" for host in configs]
    if files:
        _git(repo, "add", "--", *files)
    status = _git(repo, "status", "--porcelain", "--", *files) if files else ""
    changed = tuple(
        sorted(line[3:].removesuffix(".cfg") for line in status.splitlines() if line.strip())
    )
    unchanged = tuple(sorted(h for h in configs if h not in changed))
    if not changed:
        return BackupCommit(None, (), unchanged)
    head = f"{message}: {len(changed)} device(s) changed"
    body = "\n".join(changed)
    _git(repo, "commit", "-q", "-m", head, "-m", body, "--", *[f"{h}.cfg" for h in changed])
    commit = _git(repo, "rev-parse", "HEAD").strip()
    return BackupCommit(commit, changed, unchanged)
