"""Sheets as exported: Excel, wide, duplicates, loose ids, many problems at once."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

MONTHS = pd.date_range("2023-01-01", periods=12, freq="MS")


def _long(n=12):
    return pd.DataFrame({"unique_id": "shoes", "ds": MONTHS[:n], "y": np.arange(n) + 10.0})


# --- Excel ----------------------------------------------------------------------------------


def _workbook(tmp_path):
    path = tmp_path / "sales.xlsx"
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"Notes": ["exported from the ERP"]}).to_excel(
            book, sheet_name="Notes", index=False
        )
        _long().to_excel(book, sheet_name="Sales", index=False)
    return path


def test_excel_workbook_is_read_by_sheet_name_or_position(tmp_path):
    path = _workbook(tmp_path)
    by_name = tc.read_sales(path, sheet="Sales")
    by_position = tc.read_sales(path, sheet=1)
    pd.testing.assert_frame_equal(by_name, by_position)
    assert by_name["y"].tolist() == list(np.arange(12) + 10.0)
    assert by_name.attrs["freq"] == "MS"


def test_excel_first_sheet_is_the_default(tmp_path):
    path = tmp_path / "one.xlsx"
    _long().to_excel(path, index=False)
    assert len(tc.read_sales(path)) == 12


def test_unknown_sheet_lists_the_sheets(tmp_path):
    with pytest.raises(tc.DataValidationError, match=r"no sheet 'Sheet1'.*'Notes', 'Sales'"):
        tc.read_sales(_workbook(tmp_path), sheet="Sheet1")


def test_excel_without_openpyxl_names_the_extra(tmp_path, monkeypatch):
    path = _workbook(tmp_path)
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(tc.MissingDependencyError, match=r'pip install "trendcast\[excel\]"'):
        tc.read_sales(path, sheet="Sales")


def test_a_workbook_saved_as_csv_is_named_as_excel(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_bytes(_workbook(tmp_path).read_bytes())
    with pytest.raises(tc.DataValidationError, match="is an Excel workbook"):
        tc.read_sales(path)


def test_legacy_xls_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(tc.DataValidationError, match=r"legacy Excel \.xls.*save it as \.xlsx"):
        tc.read_sales(path)


# --- wide sheets --------------------------------------------------------------------------


def _wide():
    return pd.DataFrame(
        {"Month": MONTHS.strftime("%Y-%m"), "Shoes": np.arange(12) * 3 + 50.0, "Bags": 40.0}
    )


def test_a_wide_sheet_is_read_and_the_reader_says_so(tmp_path):
    path = tmp_path / "wide.csv"
    _wide().to_csv(path, index=False)
    with pytest.warns(tc.DataWarning, match=r"read a wide table: period column 'Month'"):
        out = tc.read_sales(path)
    assert list(out.columns) == ["unique_id", "ds", "y"]
    assert sorted(out["unique_id"].unique()) == ["Bags", "Shoes"]
    shoes = out[out["unique_id"] == "Shoes"]
    assert shoes["y"].tolist() == list(np.arange(12) * 3 + 50.0)
    assert out.attrs["freq"] == "MS"


def test_layout_wide_is_silent_and_keeps_the_period_column_name():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tc.read_sales(_wide(), layout="wide", time_col="Month")
    assert list(out.columns) == ["unique_id", "Month", "y"]


def test_wide_series_starting_later_drop_their_leading_blanks():
    wide = _wide()
    wide.loc[:3, "Bags"] = np.nan
    out = tc.read_sales(wide, layout="wide")
    assert (out["unique_id"] == "Bags").sum() == 8


def test_a_blank_inside_a_wide_series_is_a_gap():
    wide = _wide()
    wide.loc[5, "Bags"] = np.nan
    with pytest.raises(tc.DataValidationError, match="1 demand value is missing"):
        tc.read_sales(wide, layout="wide")


def test_layout_long_refuses_wide_and_names_the_option():
    with pytest.raises(tc.DataValidationError, match="layout='wide'"):
        tc.read_sales(_wide(), layout="long")


def test_a_long_frame_missing_its_id_is_not_read_as_wide():
    with pytest.raises(tc.DataValidationError, match="missing column 'unique_id'"):
        tc.read_sales(_long().drop(columns="unique_id"))


def test_layout_must_be_a_choice():
    with pytest.raises(tc.ParameterError, match="layout"):
        tc.read_sales(_long(), layout="tall")


# --- duplicates ---------------------------------------------------------------------------


def _with_copy():
    return pd.concat([_long(), _long().iloc[[3]]], ignore_index=True)


def test_identical_duplicates_offer_drop_identical_first():
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(_with_copy())
    msg = str(err.value)
    assert "identical copies" in msg
    fix = msg.split("Fix:")[1]
    assert fix.index("drop_identical") < fix.index("'sum'")


def test_drop_identical_keeps_one_copy_and_warns():
    dropped = "dropped 1 identical copy of another row with duplicates='drop_identical'"
    with pytest.warns(tc.DataWarning, match=dropped):
        out = tc.read_sales(_with_copy(), duplicates="drop_identical")
    pd.testing.assert_frame_equal(out, tc.read_sales(_long()))


def test_drop_identical_still_refuses_rows_that_differ():
    frame = pd.concat([_long(), _long().iloc[[3]].assign(y=99.0)], ignore_index=True)
    with pytest.raises(tc.DataValidationError, match="different values") as err:
        tc.read_sales(frame, duplicates="drop_identical")
    assert "duplicates='sum'" in str(err.value) and "duplicates='last'" in str(err.value)


@pytest.mark.parametrize(("policy", "expected"), [("sum", 13.0 + 99.0), ("last", 99.0)])
def test_sum_and_last(policy, expected):
    frame = pd.concat([_long(), _long().iloc[[3]].assign(y=99.0)], ignore_index=True)
    done = "added up" if policy == "sum" else "replaced by a later row"
    with pytest.warns(tc.DataWarning, match=f"{done} 1 row sharing a .* duplicates='{policy}'"):
        out = tc.read_sales(frame, duplicates=policy)
    assert len(out) == 12
    assert out.loc[out["ds"] == MONTHS[3], "y"].item() == expected


def test_duplicates_must_be_a_choice():
    with pytest.raises(tc.ParameterError, match="duplicates"):
        tc.read_sales(_long(), duplicates="first")


# --- every problem at once ----------------------------------------------------------------

MESSY = (
    "unique_id,ds,y\n"
    'shoes,2024-01-01,"1,150"\n'
    "shoes,2024-02-01,1200\n"
    "shoes,2024-02-01,1200\n"
    "shoes,2024-03-01,1250\n" + "".join(f"shoes,2024-{m:02d}-01,13{m:02d}\n" for m in range(5, 13))
)


def test_separators_duplicates_and_gaps_come_in_one_error(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_text(MESSY)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(path)
    msg = str(err.value)
    assert msg.startswith(f"In file '{path}': 3 problems were found")
    first, second, third = msg.split("\n")[1:4]
    assert first.startswith("  1. ") and "thousands=','" in first
    assert second.startswith("  2. ") and "duplicates='drop_identical'" in second
    assert third.startswith("  3. ") and "1 period is missing inside 1 series" in third


def test_missing_ids_bad_values_and_duplicates_come_together():
    frame = pd.DataFrame(
        {"unique_id": [f"c{i}" for i in range(30) for _ in range(2)], "ds": "2024-01-01", "y": 1.0}
    )
    frame.loc[frame.index % 2 == 1, "ds"] = "2024-02-01"
    frame["y"] = frame["y"].astype(object)
    frame.loc[0, "y"] = "x"
    frame.loc[[2, 3], "ds"] = "2024-01-01"  # duplicate
    frame.loc[5, "unique_id"] = None
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(frame)
    assert "3 problems were found" in str(err.value)


# --- ids ------------------------------------------------------------------------------------


def _loose_ids():
    return pd.DataFrame(
        {
            "unique_id": ["Shoes ", "Shoes ", "shoes", "bags", "bags", "bags"],
            "ds": list(MONTHS[:3]) * 2,
            "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


def test_ids_differing_by_spaces_or_case_are_warned_about():
    with pytest.warns(tc.DataWarning, match=r"'Shoes ' = 'shoes'.*normalize_ids=True"):
        out = tc.read_sales(_loose_ids())
    assert sorted(out["unique_id"].unique()) == ["Shoes ", "bags", "shoes"]


def test_normalize_ids_merges_them_as_text():
    with pytest.warns(tc.DataWarning, match="merged category ids"):
        out = tc.read_sales(_loose_ids(), normalize_ids=True)
    assert sorted(out["unique_id"].unique()) == ["Shoes", "bags"]
    assert out.loc[out["unique_id"] == "Shoes", "y"].tolist() == [1.0, 2.0, 3.0]


def test_normalized_ids_that_collide_on_a_period_are_duplicates():
    frame = _loose_ids()
    frame.loc[2, "ds"] = MONTHS[0]
    with pytest.warns(tc.DataWarning), pytest.raises(tc.DataValidationError, match="share a"):
        tc.read_sales(frame, normalize_ids=True)


def test_clean_ids_raise_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tc.read_sales(_long())


def test_ids_from_a_csv_stay_text(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("unique_id,ds,y\n012 ,2024-01-01,1\n012,2024-02-01,2\n")
    with pytest.warns(tc.DataWarning):
        out = tc.read_sales(path, normalize_ids=True)
    assert out["unique_id"].tolist() == ["012", "012"]


def test_a_combined_message_lists_at_most_ten_problems():
    from trendcast._validation import MAX_PROBLEMS, Problems

    problems = Problems("f.csv")
    for i in range(12):
        with problems.check():
            raise tc.DataValidationError(f"problem {i}")
    with pytest.raises(tc.DataValidationError) as err:
        problems.raise_any()
    msg = str(err.value)
    assert MAX_PROBLEMS == 10 and "12 problems were found" in msg
    assert "problem 9" in msg and "problem 10" not in msg
    assert msg.endswith("and 2 more problems (fix these first)")


def test_a_damaged_workbook_is_a_data_error(tmp_path):
    path = tmp_path / "sales.xlsx"
    path.write_text("unique_id,ds,y\na,2024-01-01,1\n")
    with pytest.raises(tc.DataValidationError, match="could not be read as an Excel workbook"):
        tc.read_sales(path)
