"""polars DataFrames (and LazyFrames) and pyarrow Tables in, pandas out (issue 25).

Each public entry point that takes a frame converts a polars or Arrow table once
(``trendcast._frames``) and gives the same result as for the pandas frame; a polars
frame used to be "Cannot read a table from a DataFrame", and ``tc.metrics`` on one
a bare ``AttributeError``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._frames import to_pandas

pl = pytest.importorskip("polars", reason="polars is in the dev extra")
pa = pytest.importorskip("pyarrow", reason="pyarrow is in the dev and parquet extras")


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return (
        tc.datasets.load_us_retail(categories=["441", "448"])
        .loc[lambda d: d["ds"] >= "2015-01-01"]
        .reset_index(drop=True)
    )


def _kinds(df: pd.DataFrame):
    """The same table as polars, polars lazy and Arrow."""
    return {
        "polars": pl.from_pandas(df),
        "lazy": pl.from_pandas(df).lazy(),
        "arrow": pa.Table.from_pandas(df, preserve_index=False),
    }


@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow"])
def test_fit_predict_and_cross_validation_match_pandas(sales, kind):
    model = tc.TrendForecaster(models=tc.models.SeasonalNaive())
    expected = model.fit(sales).predict(4)
    table = _kinds(sales)[kind]
    got = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(table).predict(4)
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got, expected)
    cv_expected = model.cross_validation(sales, h=3, n_windows=2)
    cv = model.cross_validation(table, h=3, n_windows=2)
    pd.testing.assert_frame_equal(cv, cv_expected)


def test_arrow_dates_and_polars_dates_are_read_as_dates(sales):
    as_dates = sales.assign(ds=sales["ds"].dt.date)  # Python dates: Arrow date32, polars Date
    for table in (pl.from_pandas(as_dates), pa.Table.from_pandas(as_dates, preserve_index=False)):
        got = tc.read_sales(table)
        assert pd.api.types.is_datetime64_any_dtype(got["ds"])
        assert got["ds"].min() == pd.Timestamp("2015-01-01")
        assert len(got) == len(sales)


def test_update_and_future_covariates_as_polars(sales):
    df = sales.assign(promo=np.arange(len(sales)) % 3 == 0).astype({"promo": float})
    model = tc.models.RegressionModel()
    fc = tc.TrendForecaster(models=model, future_covariates=["promo"]).fit(
        df.loc[df["ds"] < "2024-01-01"]
    )
    last = df.loc[df["ds"] < "2024-01-01"].groupby("unique_id")["ds"].max()
    future = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": key,
                    "ds": pd.date_range(d + pd.offsets.MonthBegin(), periods=3, freq="MS"),
                    "promo": [1.0, 0.0, 1.0],
                }
            )
            for key, d in last.items()
        ],
        ignore_index=True,
    )
    expected = fc.predict(3, X_df=future)
    pd.testing.assert_frame_equal(fc.predict(3, X_df=pl.from_pandas(future)), expected)
    pd.testing.assert_frame_equal(
        fc.predict(3, X_df=pa.Table.from_pandas(future, preserve_index=False)), expected
    )
    fresh = tc.TrendForecaster(models=tc.models.Naive()).fit(sales.loc[sales["ds"] < "2024-01-01"])
    fresh.update(pl.from_pandas(sales.loc[sales["ds"] >= "2024-01-01"]))
    assert fresh.state_.last_dates["448"] == sales["ds"].max()


def test_metrics_take_polars_and_arrow():
    df = pd.DataFrame({"unique_id": ["a", "a", "b"], "y": [10.0, 20.0, 5.0], "mean": [12, 18, 5.0]})
    expected = tc.metrics.mae(df)
    for table in (pl.from_pandas(df), pa.Table.from_pandas(df)):
        pd.testing.assert_frame_equal(tc.metrics.mae(table), expected)
        pd.testing.assert_frame_equal(tc.metrics.evaluate(table), tc.metrics.evaluate(df))


def test_supply_gaps_with_polars_forecast_and_supply(sales):
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
    forecast = fc.predict(3)
    plan = forecast[["unique_id", "ds"]].assign(supply=forecast["mean"] * 0.9)
    expected = tc.supply_gaps(forecast, plan)
    got = tc.supply_gaps(pl.from_pandas(forecast), pa.Table.from_pandas(plan))
    pd.testing.assert_frame_equal(got, expected)
    summary = tc.summarize_gaps(pl.from_pandas(expected))
    pd.testing.assert_frame_equal(summary, tc.summarize_gaps(expected))


def test_hierarchy_and_reconcile_take_polars():
    mapping = pd.DataFrame({"sector": ["s", "s"], "category": ["a", "b"]})
    from_polars = tc.Hierarchy.from_frame(pl.from_pandas(mapping))
    pd.testing.assert_frame_equal(
        from_polars.summing_matrix(), tc.Hierarchy.from_frame(mapping).summing_matrix()
    )


def test_stitch_trends_and_read_google_trends_take_polars_frames():
    from trendcast.datasets import nl_google_trends_files

    trends = tc.read_google_trends(nl_google_trends_files()[:1])
    a = trends[trends["ds"] < "2023-01-01"].assign(source="a")
    b = trends[trends["ds"] >= "2022-01-01"].assign(source="b", value=lambda d: d["value"] / 2)
    stitched, joins = tc.stitch_trends([a, b])
    got, got_joins = tc.stitch_trends([pl.from_pandas(a), pl.from_pandas(b)])
    pd.testing.assert_frame_equal(got, stitched)
    pd.testing.assert_frame_equal(got_joins, joins)
    assert float(got_joins["ratio"].iloc[0]) == 2.0


def test_other_inputs_pass_through_untouched():
    frame = pd.DataFrame({"a": [1]})
    assert to_pandas(frame) is frame
    assert to_pandas("sales.csv") == "sales.csv"
    series = pl.Series([1.0, 0.0, 3.0])
    assert to_pandas(series) is series  # arrays are not tables: numpy reads them as they are


def test_a_non_table_object_still_says_what_is_accepted():
    with pytest.raises(tc.DataValidationError, match="polars DataFrame, a pyarrow Table"):
        tc.read_sales(object())


def test_polars_without_pyarrow_names_what_to_install(monkeypatch, sales):
    frame = pl.from_pandas(sales)

    def no_pyarrow(self, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'pyarrow'")

    monkeypatch.setattr(pl.DataFrame, "to_pandas", no_pyarrow)
    with pytest.raises(tc.MissingDependencyError, match=r"pyarrow: pip install \"trendcast"):
        tc.TrendForecaster().fit(frame)
