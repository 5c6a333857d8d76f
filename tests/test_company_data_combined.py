"""China NBS publishes January and February as one period: combined_periods= (issue 22)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

CN = Path(__file__).parent / "data" / "cn_retail_total" / "cn_retail_total.csv"
TOTAL = "社会消费品零售总额"


def _read(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.DataWarning)
        return tc.read_sales(CN, combined_periods="jan-feb", **kwargs)


def test_without_the_option_the_combined_periods_are_named():
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(CN, layout="wide", time_col="统计时间")
    msg = str(err.value)
    assert "14 dates are missing or cannot be read" in msg  # 7 per series
    assert "'2012年1-2月'" in msg and "combined_periods='jan-feb'" in msg


def test_the_nbs_file_reads_as_monthly_with_every_pair_total_kept():
    raw = pd.read_csv(CN)
    with pytest.warns(tc.DataWarning, match="split 14 combined Jan-Feb totals"):
        out = tc.read_sales(CN, combined_periods="jan-feb", layout="wide")
    assert out.attrs["freq"] == "MS"
    total = out[out["unique_id"] == TOTAL].set_index("ds")["y"]
    assert len(total) == 77  # 2012-01 .. 2018-05, no gaps
    for year in range(2012, 2019):
        combined = raw.loc[raw["统计时间"] == f"{year}年1-2月", TOTAL].item()
        jan, feb = total[pd.Timestamp(year, 1, 1)], total[pd.Timestamp(year, 2, 1)]
        assert jan + feb == pytest.approx(combined, rel=1e-12)
        leap = year % 4 == 0
        assert jan / (jan + feb) == pytest.approx(31 / (31 + (29 if leap else 28)))
    assert total[pd.Timestamp("2012-03-01")] == 15650.2  # other months unchanged


def test_a_total_dated_january_without_february_is_split_too():
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    frame = pd.DataFrame({"unique_id": "a", "ds": months, "y": 100.0})
    frame = frame[frame["ds"].dt.month != 2].copy()
    frame.loc[frame["ds"].dt.month == 1, "y"] = 200.0
    with pytest.warns(tc.DataWarning, match="split 2 combined"):
        out = tc.read_sales(frame, combined_periods="jan-feb")
    assert len(out) == 24
    jan_feb = out[out["ds"].dt.month.isin([1, 2])].groupby(out["ds"].dt.year)["y"].sum()
    np.testing.assert_allclose(jan_feb.to_numpy(), [200.0, 200.0])


def test_combined_periods_must_be_a_choice():
    with pytest.raises(tc.ParameterError, match="combined_periods"):
        tc.read_sales(CN, combined_periods="spring")


def test_a_forecast_of_the_split_series_gives_jan_feb_totals_to_compare():
    sales = _read(layout="wide")
    total = sales[sales["unique_id"] == TOTAL]
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive(), n_jobs=1).fit(total).predict(h=12)
    pair = fc[fc["ds"].isin(pd.to_datetime(["2019-01-01", "2019-02-01"]))]
    assert len(pair) == 2
    last = total[total["ds"].isin(pd.to_datetime(["2018-01-01", "2018-02-01"]))]["y"].sum()
    # seasonal naive repeats last year's months: the combined figure comes back whole
    assert pair["mean"].sum() == pytest.approx(last)
