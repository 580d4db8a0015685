"""The one CSV writer: formula-looking text is defused, data is otherwise untouched."""

import csv
import io

import pytest

from netops.csvexport import safe_cell, to_csv


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://x","y")',
        "+1+cmd|' /C calc'!A0",
        "-1+1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\0",
    ],
)
def test_text_a_spreadsheet_would_evaluate_gets_a_quote(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-1", "+5", "-0.25", "1e-3", "-2E+4", "abc", "", "'=1", "a=1"])
def test_numbers_and_plain_text_are_kept(cell: str) -> None:
    assert safe_cell(cell) == cell


def test_non_text_values_are_kept() -> None:
    assert safe_cell(-3) == -3 and safe_cell(None) is None and safe_cell(1.5) == 1.5


def test_to_csv_round_trips_awkward_text_and_defuses_every_cell() -> None:
    text = to_csv(["name", "=note"], [['a,b "c"\nd', "=1+1"], [-2, None]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "'=note"],
        ['a,b "c"\nd', "'=1+1"],
        ["-2", ""],
    ]
    assert text.endswith("\n") and "\r\n" not in text
