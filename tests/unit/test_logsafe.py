"""Outside input escaped in log lines (netops.logsafe), shared by RADIUS and the portal."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from netops.logsafe import EscapingFilter, escape_logger, printable

BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1e")


@pytest.mark.parametrize("brk", BREAKS)
def test_printable_leaves_no_line_break(brk: str) -> None:
    shown = printable(f"budi{brk}FORGED line", None)
    assert len(shown.splitlines()) == 1 and shown.startswith("budi\\")


def test_printable_cuts_to_the_limit_unless_told_not_to() -> None:
    assert printable("x" * 100, 10) == "x" * 10 + "…"
    assert printable("x" * 100, None) == "x" * 100


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("netops.test.logsafe")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logger.filters.clear()


@pytest.mark.parametrize("brk", BREAKS)
def test_a_filtered_logger_writes_one_line_per_record(
    logged: tuple[logging.Logger, io.StringIO], brk: str
) -> None:
    logger, out = logged
    escape_logger(logger.name)
    escape_logger(logger.name)  # once is enough, twice changes nothing
    assert sum(isinstance(f, EscapingFilter) for f in logger.filters) == 1
    logger.info("source %s said %s", f"10.0.0.1{brk}INFO forged", r"C:\path")
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "10.0.0.1\\" in lines[0] and "INFO forged" in lines[0]
    assert lines[0].endswith(r"said C:\path")  # a backslash alone is no line break


def test_a_traceback_stays_as_it_is(logged: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = logged
    escape_logger(logger.name)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed for %s", "a\nb")
    text = out.getvalue()
    assert "failed for a\\nb" in text and "Traceback (most recent call last):\n" in text
