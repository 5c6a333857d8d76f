"""The planner's workbook written by trendcast.to_excel (issue 22)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import trendcast as tc

MONTHS = pd.date_range("2025-01-01", periods=4, freq="MS")


def _tables():
    fc = pd.DataFrame(
        {
            "unique_id": np.repeat(["shoes", "bags", "hats"], 4),
            "ds": np.tile(MONTHS, 3),
            "model": "ETS",
            "mean": 1000.0,
            "lo-80": 800.0,
            "hi-80": 1200.0,
        }
    )
    supply = np.repeat([700.0, 1000.0, 1400.0], 4)  # short, fine, long
    plan = fc[["unique_id", "ds"]].assign(supply=supply)
    gaps = tc.supply_gaps(fc, plan)
    return fc, gaps, tc.summarize_gaps(gaps)


def _cell_of(sheet, column, row):
    header = [c.value for c in sheet[1]]
    return sheet.cell(row=row, column=header.index(column) + 1)


def test_one_sheet_per_table_with_frozen_bold_headers(tmp_path):
    fc, gaps, summary = _tables()
    path = tc.to_excel(tmp_path / "out" / "plan.xlsx", gaps=gaps, forecast=fc, summary=summary)
    book = load_workbook(path)
    assert book.sheetnames == ["summary", "gaps", "forecast"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(c.font.bold for c in sheet[1])
    assert book["gaps"].max_row == len(gaps) + 1
    assert pd.read_excel(path, sheet_name="forecast")["mean"].tolist() == fc["mean"].tolist()


def test_number_formats_and_reasons_in_full(tmp_path):
    fc, gaps, summary = _tables()
    book = load_workbook(tc.to_excel(tmp_path / "plan.xlsx", gaps=gaps, summary=summary))
    sheet = book["gaps"]
    assert _cell_of(sheet, "p_short", 2).number_format == "0.0%"
    assert _cell_of(sheet, "ds", 2).number_format == "yyyy-mm-dd"
    assert _cell_of(sheet, "expected_shortfall", 2).number_format == "#,##0.00"
    reason = _cell_of(book["summary"], "reason", 2)
    assert reason.value == summary["reason"].iloc[0]
    assert reason.alignment.wrap_text
    letter = reason.column_letter
    assert book["summary"].column_dimensions[letter].width == 100


def test_flagged_rows_are_coloured(tmp_path):
    fc, gaps, summary = _tables()
    sheet = load_workbook(tc.to_excel(tmp_path / "plan.xlsx", gaps=gaps))["gaps"]
    colours = {}
    for row in range(2, sheet.max_row + 1):
        flag = _cell_of(sheet, "flag", row).value
        colours.setdefault(str(flag), set()).add(_cell_of(sheet, "mean", row).fill.fgColor.rgb[-6:])
    assert colours["short"] == {"FFC7CE"}
    assert colours["long"] == {"FFEB9C"}
    assert "FFC7CE" not in colours.get("None", set()) | colours.get("", set())


def test_other_tables_by_name(tmp_path):
    history = pd.DataFrame({"unique_id": "a", "ds": MONTHS, "y": [1, 2, 3, 4]})
    book = load_workbook(tc.to_excel(tmp_path / "x.xlsx", history=history))
    assert book.sheetnames == ["history"]
    assert _cell_of(book["history"], "y", 2).number_format == "#,##0"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "at least one table"),
        ({"gaps": [1, 2]}, "gaps= must be a DataFrame"),
        ({"a_name_much_longer_than_thirty_one_characters": pd.DataFrame({"a": [1]})}, "31"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(tc.ParameterError, match=match):
        tc.to_excel(tmp_path / "x.xlsx", **kwargs)


def test_the_path_must_be_xlsx(tmp_path):
    with pytest.raises(tc.ParameterError, match=r"\.xlsx"):
        tc.to_excel(tmp_path / "x.csv", gaps=_tables()[1])


def test_without_openpyxl_the_extra_is_named(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    monkeypatch.setitem(sys.modules, "openpyxl.styles", None)
    with pytest.raises(tc.MissingDependencyError, match=r"trendcast\[excel\]"):
        tc.to_excel(tmp_path / "x.xlsx", gaps=_tables()[1])
