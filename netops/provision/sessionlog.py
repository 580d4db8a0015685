"""Session logs (``--session-log DIR``) with every secret the run knows masked.

netmiko's own ``no_log`` masking leaks: it holds back the end of a read only while it could
be the start of a secret, so a secret that ends with the start of another one (``netops-lab``
and ``labauthpass``) is written out in clear when the device echoes it character by
character. :class:`MaskingSessionLog` replaces that with :class:`StreamRedactor`, and reads
the run's :class:`Redactor` live, so a secret learned after the session opened is masked too.

Imported only when a session log is asked for (it imports netmiko).
"""

from __future__ import annotations

import threading
from pathlib import Path

from netmiko.session_log import SessionLog

from netops.provision.render import Redactor, StreamRedactor


class MaskingSessionLog(SessionLog):
    """A netmiko session log that never writes a secret the run's redactor knows."""

    def __init__(self, path: Path, redactor: Redactor) -> None:
        super().__init__(file_name=str(path), file_mode="append")
        self._stream = StreamRedactor(redactor)

    def write(self, data: str) -> None:
        if data:
            self._emit(self._stream.feed(data))

    def flush(self) -> None:
        """Nothing to do: :meth:`write` writes all that can be written without a risk."""

    def close(self) -> None:
        self._emit(self._stream.close())
        if self.session_log is not None and self._session_log_close:
            self.session_log.close()
            self.session_log = None

    def _emit(self, text: str) -> None:
        if text and self.session_log is not None:
            self._write(text)


class Transcript:
    """The session log of a napalm session: each call netops makes and what came back,
    masked (napalm drivers talk through an API, not a terminal netmiko could record)."""

    _lock = threading.Lock()

    def __init__(self, path: Path, redactor: Redactor) -> None:
        self.path = path
        self.redactor = redactor
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, what: str, text: str = "") -> None:
        body = f"### {what}\n"
        if text:
            body += text if text.endswith("\n") else text + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(self.redactor(body))
