"""Session logs (``--session-log DIR``) with every secret the run knows masked.

netmiko's own ``no_log`` masking leaks: it holds back the end of a read only while it could
be the start of a secret, so a secret that ends with the start of another one (``netops-lab``
and ``labauthpass``) is written out in clear when the device echoes it character by
character. :class:`MaskingSessionLog` replaces that with :class:`StreamRedactor`, and reads
the run's :class:`Redactor` live, so a secret learned after the session opened is masked too.

Imported only when a session log is asked for (it imports netmiko).
"""

from __future__ import annotations

from pathlib import Path

from netmiko.session_log import SessionLog

from netops.provision.render import Redactor, StreamRedactor
from netops.provision.transcript import Transcript

__all__ = ["MaskingSessionLog", "Transcript"]


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
