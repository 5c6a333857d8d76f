"""read_sales: every bad input gets a DataValidationError that says where and how to fix."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel
from trendcast import DataWarning


def test_valid_panel_is_sorted_typed_and_keeps_extra_columns():
    df = make_panel(n_series=2, n=24).assign(price=1.5)
    shuffled = df.sample(frac=1.0, random_state=1)
    out = tc.read_sales(shuffled)
    assert out.attrs["freq"] == "MS"
    assert list(out.columns) == ["unique_id", "ds", "y", "price"]
    expected = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    out.attrs = {}
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    assert out["y"].dtype == np.float64


def test_input_frame_is_not_mutated():
    df = make_panel(n=24)
    before = df.copy()
    tc.read_sales(df.sample(frac=1.0, random_state=0))
    pd.testing.assert_frame_equal(df, before)


def test_caller_column_names_are_kept():
    df = make_panel(n=24).rename(columns={"unique_id": "category", "ds": "date", "y": "sales"})
    out = tc.read_sales(df, id_col="category", time_col="date", target_col="sales")
    assert list(out.columns) == ["category", "date", "sales"]


@pytest.mark.parametrize(
    ("freq", "start", "expected"),
    [
        ("D", "2024-01-01", "D"),
        ("W-SUN", "2024-01-07", "W-SUN"),
        ("W-WED", "2024-01-03", "W-WED"),
        ("MS", "2020-01-01", "MS"),
        ("ME", "2020-01-31", "ME"),
        ("QS-JAN", "2015-01-01", "QS-JAN"),
        ("QE-DEC", "2015-03-31", "QE-DEC"),
        ("QS-FEB", "2015-02-01", "QS-FEB"),
    ],
)
def test_frequency_is_inferred(freq, start, expected):
    df = make_panel(n_series=2, n=30, freq=freq, start=start)
    assert tc.read_sales(df).attrs["freq"] == expected


def test_dates_as_text_are_parsed():
    df = make_panel(n=24)
    df["ds"] = df["ds"].dt.strftime("%Y-%m-%d")
    out = tc.read_sales(df)
    assert pd.api.types.is_datetime64_any_dtype(out["ds"])


def test_forced_freq_is_checked_against_the_dates():
    df = make_panel(n=24)  # month starts
    with pytest.raises(tc.DataValidationError, match=r"do not sit on the frequency 'ME'"):
        tc.read_sales(df, freq="ME")


def test_unknown_freq_alias():
    with pytest.raises(tc.DataValidationError, match="freq='fortnightly'"):
        tc.read_sales(make_panel(n=24), freq="fortnightly")


def test_missing_columns_named_with_fix():
    df = make_panel(n=12).rename(columns={"y": "sales"})
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    msg = str(err.value)
    assert "missing column 'y'" in msg
    assert "'sales'" in msg  # lists what was found
    assert "target_col=" in msg  # says how to fix


def test_error_is_a_value_error_and_trendcast_error():
    with pytest.raises(ValueError):
        tc.read_sales(pd.DataFrame({"unique_id": [], "ds": [], "y": []}))
    assert issubclass(tc.DataValidationError, tc.TrendcastError)


def test_empty_input():
    with pytest.raises(tc.DataValidationError, match="no rows"):
        tc.read_sales(pd.DataFrame({"unique_id": [], "ds": [], "y": []}))


def test_unparsable_dates_listed_by_row():
    df = make_panel(n_series=1, n=12)
    df["ds"] = df["ds"].dt.strftime("%Y-%m-%d").astype(object)
    df.loc[3, "ds"] = "not a date"
    df.loc[7, "ds"] = "2020-13-45"
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    msg = str(err.value)
    assert "column 'ds'" in msg.lower() and "2 dates" in msg
    assert "row 3" in msg and "row 7" in msg and "'not a date'" in msg


def test_numeric_dates_are_refused_not_read_as_nanoseconds():
    df = pd.DataFrame({"unique_id": "a", "ds": [20240101, 20240201], "y": [1.0, 2.0]})
    with pytest.raises(tc.DataValidationError, match="dates are numbers"):
        tc.read_sales(df)


def test_duplicate_rows():
    df = make_panel(n_series=1, n=12)
    df = pd.concat([df, df.iloc[[4]]], ignore_index=True)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    msg = str(err.value)
    assert "share a (category, period)" in msg and "row 4" in msg and "row 12" in msg
    assert "groupby" in msg


def test_non_numeric_target():
    df = make_panel(n_series=1, n=12)
    df["y"] = df["y"].astype(object)
    df.loc[5, "y"] = "12,5 units"
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    assert "is not a number" in str(err.value) and "row 5" in str(err.value)
    assert "'12,5 units'" in str(err.value)


def test_numbers_as_text_are_accepted():
    df = make_panel(n_series=1, n=12)
    df["y"] = df["y"].map(lambda v: f"{v:.2f}")
    out = tc.read_sales(df)
    assert out["y"].dtype == np.float64


def test_missing_target():
    df = make_panel(n_series=2, n=12)
    df.loc[15, "y"] = np.nan
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    assert "1 demand value is missing" in str(err.value)
    assert "row 15" in str(err.value) and "unique_id='s1'" in str(err.value)


def test_infinite_target():
    df = make_panel(n_series=1, n=12)
    df.loc[2, "y"] = np.inf
    with pytest.raises(tc.DataValidationError, match="infinite"):
        tc.read_sales(df)


def test_negative_target_refused_unless_allowed():
    df = make_panel(n_series=1, n=12)
    df.loc[6, "y"] = -3.0
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    assert "negative" in str(err.value) and "allow_negative=True" in str(err.value)
    assert tc.read_sales(df, allow_negative=True)["y"].min() == -3.0


def test_mixed_weekly_anchors():
    df = make_panel(n_series=1, n=20, freq="W-SUN", start="2024-01-07")
    df.loc[10, "ds"] = df.loc[10, "ds"] + pd.Timedelta(days=1)  # a Monday
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    msg = str(err.value)
    assert "'W-SUN'" in msg and "row 10" in msg


def test_daily_row_inside_monthly_data():
    df = make_panel(n_series=2, n=24)
    extra = pd.DataFrame({"unique_id": ["s1"], "ds": [pd.Timestamp("2019-03-15")], "y": [5.0]})
    df = pd.concat([df, extra], ignore_index=True)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    msg = str(err.value)
    assert "1 date does not sit on the frequency 'MS'" in msg
    assert "row 48" in msg and "2019-03-15" in msg


def test_gap_inside_a_series_is_an_error_by_default():
    df = make_panel(n_series=2, n=24).drop(index=[30, 31])
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(df)
    msg = str(err.value)
    assert "2 periods are missing inside 1 series" in msg
    assert "'s1'" in msg and "fill='zero'" in msg


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("zero", [0.0, 0.0]), ("ffill", None), ("interpolate", None)],
)
def test_gap_fill_policies(policy, expected):
    df = make_panel(n_series=2, n=24)
    before, after = df.loc[29, "y"], df.loc[32, "y"]
    holes = df.drop(index=[30, 31])
    with pytest.warns(DataWarning, match=r"filled 2 missing periods in 1 series"):
        out = tc.read_sales(holes, fill=policy)
    assert len(out) == len(df)
    filled = out.loc[(out["unique_id"] == "s1"), "y"].to_numpy()[6:8]
    if policy == "zero":
        np.testing.assert_allclose(filled, expected)
    elif policy == "ffill":
        np.testing.assert_allclose(filled, [before, before])
    else:
        np.testing.assert_allclose(filled, before + (after - before) * np.array([1, 2]) / 3)


def test_bad_fill_policy():
    with pytest.raises(tc.DataValidationError, match="fill='mean'"):
        tc.read_sales(make_panel(n=12), fill="mean")  # type: ignore[arg-type]


def test_mixed_id_types():
    df = pd.DataFrame(
        {"unique_id": [1, "a"], "ds": pd.to_datetime(["2020-01-01", "2020-01-01"]), "y": [1, 2]}
    )
    with pytest.raises(tc.DataValidationError, match="ids mix types"):
        tc.read_sales(df)


def test_missing_ids():
    df = make_panel(n_series=1, n=12)
    df["unique_id"] = df["unique_id"].astype(object)
    df.loc[4, "unique_id"] = None
    with pytest.raises(tc.DataValidationError, match=r"1 row has no category.*row 4"):
        tc.read_sales(df)


def test_timezone_aware_dates():
    df = make_panel(n_series=1, n=12)
    df["ds"] = df["ds"].dt.tz_localize("UTC")
    with pytest.raises(tc.DataValidationError, match="tz_localize"):
        tc.read_sales(df)


def test_times_of_day_refused():
    df = make_panel(n_series=1, n=12, freq="D")
    df.loc[3, "ds"] = df.loc[3, "ds"] + pd.Timedelta(hours=5)
    with pytest.raises(tc.DataValidationError, match="time of day"):
        tc.read_sales(df)


def test_single_date_per_series_needs_freq():
    df = pd.DataFrame(
        {"unique_id": ["a", "b"], "ds": pd.to_datetime(["2020-01-01"] * 2), "y": [1.0, 2.0]}
    )
    with pytest.raises(tc.DataValidationError, match="pass freq="):
        tc.read_sales(df)
    assert tc.read_sales(df, freq="MS").attrs["freq"] == "MS"


def test_csv_file_errors_name_file_and_line(tmp_path):
    df = make_panel(n_series=1, n=12)
    df.loc[5, "y"] = -1.0
    path = tmp_path / "sales.csv"
    df.to_csv(path, index=False)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(path)
    msg = str(err.value)
    assert "sales.csv" in msg and "row 5 (line 7)" in msg


def test_csv_and_parquet_round_trip(tmp_path):
    df = make_panel(n_series=2, n=24)
    csv, pq = tmp_path / "s.csv", tmp_path / "s.parquet"
    df.to_csv(csv, index=False)
    df.to_parquet(pq, index=False)
    a, b = tc.read_sales(csv), tc.read_sales(pq)
    np.testing.assert_allclose(a["y"], b["y"])
    assert a.attrs["freq"] == b.attrs["freq"] == "MS"


def test_missing_file():
    with pytest.raises(tc.DataValidationError, match=re.escape("nope.csv")):
        tc.read_sales("nope.csv")


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(tc.DataValidationError, match="broken.parquet"):
        tc.read_sales(path)


def test_at_most_five_examples_are_listed():
    df = make_panel(n_series=1, n=24)
    df.loc[:9, "y"] = -1.0
    msg = str(pytest.raises(tc.DataValidationError, tc.read_sales, df).value)
    assert msg.count("row ") == 5 and "and 5 more" in msg


def test_csv_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "unique_id,ds,y\n0012,2020-01-01,1\n0012,2020-02-01,2\n12,2020-01-01,3\n12,2020-02-01,4\n"
    )
    out = tc.read_sales(path)
    assert sorted(out["unique_id"].unique()) == ["0012", "12"]


def test_csv_without_the_id_column_still_names_it(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ds,y\n2020-01-01,1\n")
    with pytest.raises(tc.DataValidationError, match="missing column 'unique_id'"):
        tc.read_sales(path)


def test_singular_wording():
    df = make_panel(n_series=1, n=12)
    df.loc[2, "y"] = -1.0
    with pytest.raises(tc.DataValidationError, match="1 demand value is negative"):
        tc.read_sales(df)
