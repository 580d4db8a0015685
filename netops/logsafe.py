"""Outside input in a log line: escaped so it can never start a line of its own.

A User-Name in a RADIUS request, a gateway's redirect parameter, an HTTP header: whoever
sent it chose every character. Written into a log as it is, a newline (or ``\\r``, NEL,
U+2028, an escape sequence for the terminal) forges a log line or hides one. :func:`printable`
escapes every such character and cuts the value to a length; :class:`EscapingFilter` does
the same to a whole record, for loggers whose lines carry values the code does not vet
(a web server's access log).
"""

from __future__ import annotations

import logging
import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
MAX_SHOWN = 80


def printable(text: object, limit: int | None = MAX_SHOWN) -> str:
    """``text`` with control and other unprintable characters escaped (``\\n``, ``\\x1b``,
    ``\\u2028``) and, unless ``limit`` is None, cut to ``limit`` characters: it cannot
    start a new log line or move the terminal's cursor."""
    value = str(text)
    if limit is not None and len(value) > limit:
        value = value[:limit] + "…"
    if value.isprintable() and "\\" not in value:
        return value
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == " " or unicodedata.category(char)[0] not in "CZ":
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)


class EscapingFilter(logging.Filter):
    """Escapes control characters in a record's message (its arguments filled in), so a
    value inside it cannot forge a line; a traceback attached to the record is left as it is.
    Backslashes are kept as they are: only characters that break or hide a line change."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.isprintable():
            record.msg = "".join(
                char if char.isprintable() else printable(char, None) for char in message
            )
            record.args = None
        return True


def escape_logger(name: str) -> None:
    """Put an :class:`EscapingFilter` on the logger ``name`` (once)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, EscapingFilter) for f in logger.filters):
        logger.addFilter(EscapingFilter())
