"""Files written whole: a reader (Prometheus re-reading file_sd, nft including a set, a
command reading a supervisor's state) sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from netops.errors import NetopsError


def write_atomic(
    path: Path,
    text: str,
    *,
    mode: int = 0o666,
    chmod: int | None = None,
    parents: bool = True,
    folder_mode: int = 0o777,
    error: type[NetopsError] | None = NetopsError,
) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file beside it, flushed to
    disk, renamed over ``path``.

    ``mode`` is the new file's permission bits less the umask (0o600 for a private file);
    ``chmod`` sets exact bits whatever the umask. ``parents`` makes missing folders (with
    ``folder_mode``); without it a missing folder is an error. A failure raises ``error``
    (``"cannot write PATH: reason"``), or the ``OSError`` itself when ``error`` is None."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        if parents:
            path.parent.mkdir(mode=folder_mode, parents=True, exist_ok=True)
        elif not path.parent.is_dir():
            raise NotADirectoryError(0, f"the folder {path.parent} does not exist")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                if chmod is not None:
                    os.fchmod(handle.fileno(), chmod)
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    except OSError as exc:
        if error is None:
            raise
        raise error(f"cannot write {path}: {exc.strerror or exc}") from None
