"""CSV that netops writes for people, safe to open in a spreadsheet.

Excel, LibreOffice Calc and Google Sheets read a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab, a carriage return or NUL as a formula (CSV or formula injection): a batch name
``=HYPERLINK(…)`` or a user name typed at the portal would become a live link, or worse, in
the operator's spreadsheet. Every CSV netops writes goes through :func:`to_csv`, which puts
``'`` before such a text cell (OWASP ASVS 1.2.10): the spreadsheet shows the text as it is
and scripts can strip the one character. Numbers, and text that is just a number, are kept.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> object:
    """``value`` as a spreadsheet must receive it: text a spreadsheet would evaluate gets a
    leading ``'``; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (``\\n`` line ends, RFC 4180 quoting) with every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(cell) for cell in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
