"""Every size has a checked limit, names that collide with output columns are refused,
and nothing comes back silently empty or silently chosen (issue: nothing lost)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel


@pytest.fixture(scope="module")
def fitted() -> tc.TrendForecaster:
    return tc.TrendForecaster(models=tc.models.Naive()).fit(make_panel(n_series=3, n=36))


@pytest.mark.parametrize(("h", "n_windows"), [(6, 6), (6, 100), (40, 3)])
def test_cross_validation_too_long_for_every_category_is_an_error(h, n_windows):
    panel = make_panel(n_series=3, n=36)
    fc = tc.TrendForecaster(models=tc.models.Naive())
    with pytest.raises(tc.DataValidationError, match="no category is long enough") as info:
        fc.cross_validation(panel, h=h, n_windows=n_windows)
    assert "the longest has 36" in str(info.value)


def test_cross_validation_names_the_categories_it_leaves_out():
    panel = make_panel(n_series=3, n=40)
    short = panel[panel["unique_id"] == "s0"].tail(12)
    panel = pd.concat([short, panel[panel["unique_id"] != "s0"]], ignore_index=True)
    fc = tc.TrendForecaster(models=tc.models.Naive())
    with pytest.warns(tc.DataWarning, match=r"1 category is too short .* 's0' \(lengths 12\)"):
        out = fc.cross_validation(panel, h=6, n_windows=2)
    assert set(out["unique_id"]) == {"s1", "s2"}
    assert "s0" in set(fc.cv_report_["unique_id"])


def test_step_size_must_be_a_positive_integer():
    fc = tc.TrendForecaster(models=tc.models.Naive())
    with pytest.raises(tc.ParameterError, match="step_size"):
        fc.cross_validation(make_panel(n_series=1, n=36), h=3, step_size=0)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"id_col": "model"}, "id_col='model'"),
        ({"id_col": "mean"}, "id_col='mean'"),
        ({"time_col": "lo-80"}, "time_col='lo-80'"),
        ({"target_col": "cutoff"}, "target_col='cutoff'"),
        ({"target_col": "path"}, "target_col='path'"),
        ({"time_col": "unique_id"}, "three different columns"),
    ],
)
def test_column_names_that_collide_with_the_output_are_refused_at_fit(params, name):
    panel = make_panel(n_series=2, n=24)
    renamed = panel.rename(
        columns={
            "unique_id": params.get("id_col", "unique_id"),
            "ds": params.get("time_col", "ds"),
            "y": params.get("target_col", "y"),
        }
    )
    fc = tc.TrendForecaster(models=tc.models.Naive(), **params)
    with pytest.raises(tc.ParameterError, match=name):
        fc.fit(renamed)


def test_other_column_names_still_work():
    panel = make_panel(n_series=2, n=24).rename(
        columns={"unique_id": "category", "ds": "month", "y": "units"}
    )
    fc = tc.TrendForecaster(
        models=tc.models.Naive(), id_col="category", time_col="month", target_col="units"
    ).fit(panel)
    assert list(fc.predict(2).columns[:2]) == ["category", "month"]


def _covariate_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = make_panel(n_series=2, n=48)
    panel["promo"] = (panel["ds"].dt.month == 11).astype(float)
    future = pd.DataFrame(
        {
            "unique_id": np.repeat(["s0", "s1"], 2),
            "ds": list(pd.date_range(panel["ds"].max(), periods=3, freq="MS")[1:]) * 2,
            "promo": [0.0, 1.0, 0.0, 1.0],
        }
    )
    return panel, future


def test_conflicting_covariate_rows_are_an_error_naming_them():
    panel, future = _covariate_panel()
    fc = tc.TrendForecaster(
        models=tc.models.RegressionModel(), future_covariates=["promo"], calibration=None
    ).fit(panel)
    clash = pd.concat([future, future.iloc[[1]].assign(promo=0.5)], ignore_index=True)
    with pytest.raises(tc.DataValidationError, match="different covariate values") as info:
        fc.predict(2, X_df=clash)
    assert "row 1" in str(info.value) and "row 4" in str(info.value)
    # identical repeats are the same value: accepted
    same = pd.concat([future, future.iloc[[1]]], ignore_index=True)
    pd.testing.assert_frame_equal(fc.predict(2, X_df=same), fc.predict(2, X_df=future))


@pytest.mark.parametrize("h", [10**5, 10**7])
def test_huge_horizons_are_refused_at_once(fitted, h):
    start = time.perf_counter()
    with pytest.raises(tc.ParameterError, match="at most 10000"):
        fitted.predict(h)
    with pytest.raises(tc.ParameterError, match="at most 10000"):
        fitted.sample_paths(h)
    assert time.perf_counter() - start < 5


def test_too_many_sample_path_values_are_refused_before_allocating(fitted):
    with pytest.raises(tc.ParameterError, match="n_paths=1000000000"):
        fitted.sample_paths(h=6, n_paths=10**9)


def test_a_forecast_past_the_last_date_pandas_holds_is_a_data_error():
    dates = pd.date_range("2250-01-01", periods=36, freq="MS")
    panel = pd.DataFrame({"unique_id": "a", "ds": dates, "y": np.arange(36.0) + 10})
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(panel)
    with pytest.raises(tc.DataValidationError, match="past the last date pandas can hold"):
        fc.predict(200)
    with pytest.raises(tc.DataValidationError, match="past the last date pandas can hold"):
        fc.sample_paths(200, n_paths=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(fc.predict(12)) == 12
