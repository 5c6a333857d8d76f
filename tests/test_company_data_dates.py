"""Dates as company files write them: day first, ISO weeks, month labels (issue 22)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc


def _monthly_day_first(tmp_path, n=36):
    """First-of-month sales written day first, as a UK or European export would."""
    months = pd.date_range("2009-01-01", periods=n, freq="MS")
    frame = pd.DataFrame(
        {
            "category": np.repeat(["shoes", "bags"], n),
            "date": np.tile(months.strftime("%d/%m/%Y"), 2),
            "sales": np.arange(2 * n) * 10.0 + 1000,
        }
    )
    path = tmp_path / "dayfirst.csv"
    frame.to_csv(path, index=False)
    return path


NAMES = {"id_col": "category", "time_col": "date", "target_col": "sales"}


def test_day_first_dates_that_read_both_ways_are_refused_with_both_readings(tmp_path):
    path = _monthly_day_first(tmp_path)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(path, **NAMES)
    msg = str(err.value)
    assert "read both day first and month first" in msg
    assert "'01/02/2009' (row 1) is 2009-02-01 read day first" in msg
    assert "2009-01-02 read month first" in msg
    assert "MS from 2009-01-01 to 2011-12-01, no gaps" in msg  # the day-first reading
    assert "dayfirst=True" in msg and "date_format='%d/%m/%Y'" in msg


def test_the_day_first_case_with_fill_ends_in_a_clear_error_not_invented_rows(tmp_path):
    path = _monthly_day_first(tmp_path)
    # the issue: fill= used to invent 221,138 daily rows with only a warning
    with pytest.raises(tc.DataValidationError, match="read both day first"):
        tc.read_sales(path, fill="zero", **NAMES)
    # reading them month first on purpose: filling would invent 95% of each series
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DataWarning about filled rows either
        with pytest.raises(tc.DataValidationError) as err:
            tc.read_sales(path, fill="zero", dayfirst=False, **NAMES)
    msg = str(err.value)
    assert "more than max_fill_share=0.2" in msg and "probably wrong" in msg
    assert "'shoes': 706 of 742 periods (95%)" in msg
    assert "dayfirst=True" in msg


@pytest.mark.parametrize("option", [{"dayfirst": True}, {"date_format": "%d/%m/%Y"}])
def test_day_first_dates_are_read_when_the_order_is_given(tmp_path, option):
    path = _monthly_day_first(tmp_path)
    out = tc.read_sales(path, **NAMES, **option)
    assert out.attrs["freq"] == "MS"
    shoes = out[out["category"] == "shoes"]
    assert shoes["date"].iloc[5] == pd.Timestamp("2009-06-01")
    assert len(out) == 72


def test_day_first_dates_with_a_day_above_12_are_read_without_asking(tmp_path):
    path = tmp_path / "weekly.csv"
    days = pd.date_range("2024-01-07", periods=10, freq="W-SUN")
    pd.DataFrame({"unique_id": "a", "ds": days.strftime("%d.%m.%Y"), "y": 1.0}).to_csv(
        path, index=False
    )
    out = tc.read_sales(path)
    assert list(out["ds"]) == list(days)
    assert out.attrs["freq"] == "W-SUN"


def test_month_first_dates_with_a_day_above_12_are_read_month_first():
    days = pd.date_range("2024-01-07", periods=10, freq="W-SUN")
    frame = pd.DataFrame({"unique_id": "a", "ds": days.strftime("%m/%d/%Y"), "y": 1.0})
    assert list(tc.read_sales(frame)["ds"]) == list(days)


def test_dayfirst_must_be_a_bool():
    frame = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-02-01"], "y": 1.0})
    with pytest.raises(tc.ParameterError, match="dayfirst"):
        tc.read_sales(frame, dayfirst="yes")


def test_iso_week_labels_read_as_weeks_starting_monday(tmp_path):
    weeks = pd.date_range("2024-01-01", periods=20, freq="W-MON")
    labels = [f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in weeks]
    path = tmp_path / "weekly.csv"
    pd.DataFrame({"unique_id": "tents", "ds": labels, "y": np.arange(20.0)}).to_csv(
        path, index=False
    )
    out = tc.read_sales(path)
    assert out.attrs["freq"] == "W-MON"
    assert labels[4] == "2024-W05"
    assert out["ds"].iloc[4] == pd.Timestamp("2024-01-29")  # Monday of ISO week 5


def test_iso_weeks_across_a_53_week_year():
    weeks = pd.date_range("2020-12-14", periods=6, freq="W-MON")  # 2020 has 53 ISO weeks
    labels = [f"{d.isocalendar()[0]}W{d.isocalendar()[1]:02d}" for d in weeks]
    assert "2020W53" in labels
    out = tc.read_sales(pd.DataFrame({"unique_id": "a", "ds": labels, "y": 1.0}))
    assert list(out["ds"]) == list(weeks)


def test_iso_week_format_with_full_year():
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": ["2024 week 05", "2024 week 06", "2024 week 07"], "y": 1.0}
    )
    out = tc.read_sales(frame, date_format="%G week %V")
    assert list(out["ds"]) == list(pd.date_range("2024-01-29", periods=3, freq="W-MON"))


def test_week_ranges_read_by_their_first_day():
    starts = pd.date_range("2024-01-29", periods=4, freq="W-MON")
    labels = [f"{d:%Y-%m-%d} - {d + pd.Timedelta(days=6):%Y-%m-%d}" for d in starts]
    out = tc.read_sales(pd.DataFrame({"unique_id": "a", "ds": labels, "y": 1.0}))
    assert list(out["ds"]) == list(starts)
    assert out.attrs["freq"] == "W-MON"


@pytest.mark.parametrize(
    "labels",
    [
        ["Mar 2019", "Apr 2019", "May 2019"],
        ["2019-03", "2019-04", "2019-05"],
        ["2019M03", "2019M04", "2019M05"],
        ["201903", "201904", "201905"],
        ["2019年3月", "2019年4月", "2019年5月"],
    ],
)
def test_month_labels_in_a_csv(tmp_path, labels):
    path = tmp_path / "months.csv"
    pd.DataFrame({"unique_id": "a", "ds": labels, "y": [1.0, 2.0, 3.0]}).to_csv(path, index=False)
    out = tc.read_sales(path)
    assert list(out["ds"]) == list(pd.date_range("2019-03-01", periods=3, freq="MS"))
    assert out.attrs["freq"] == "MS"


def test_a_date_format_that_does_not_fit_names_the_rows():
    frame = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "01/02/2024"], "y": 1.0})
    with pytest.raises(tc.DataValidationError, match=r"1 date is missing or cannot be read.*row 1"):
        tc.read_sales(frame, date_format="%Y-%m-%d")


def test_numbers_as_dates_in_a_frame_are_still_refused():
    frame = pd.DataFrame({"unique_id": "a", "ds": [201903, 201904], "y": 1.0})
    with pytest.raises(tc.DataValidationError, match="dates are numbers"):
        tc.read_sales(frame)


def test_search_reader_takes_the_same_date_options():
    raw = pd.DataFrame(
        {"ds": ["01/01/2024", "01/02/2024", "01/03/2024"], "term": "tents", "value": 1.0}
    )
    with pytest.raises(tc.DataValidationError, match="read both day first"):
        tc.read_search(raw)
    out = tc.read_search(raw, dayfirst=True)
    assert out.attrs["freq"] == "MS"


def test_a_year_outside_pythons_calendar_is_named_not_a_crash():
    # pandas reads '0000' as year 0, which Python's dates cannot show
    with pytest.raises(tc.DataValidationError, match="outside the range"):
        tc.read_sales(pd.DataFrame({"unique_id": "a", "ds": ["0000"], "y": [1.0]}))
