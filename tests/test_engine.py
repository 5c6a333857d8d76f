"""The engine's structure: one state object, no side effects of validation, errors and warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._engine.state import ForecasterState


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return tc.datasets.load_us_retail(categories=["441", "445", "448", "452"])


def test_a_fitted_forecaster_is_its_parameters_plus_one_state(sales):
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive())
    before = dict(vars(fc))
    fc.fit(sales)
    assert set(vars(fc)) == set(before) | {"state_"}
    assert isinstance(fc.state_, ForecasterState)
    assert fc.freq_ == fc.state_.spec.freq == "MS"
    assert fc.season_length_ == fc.state_.spec.season_length == 12
    assert list(fc.models_) == list(fc.state_.fits) == ["441", "445", "448", "452"]
    assert fc.fit_report_ is fc.state_.fit_report


def test_an_unfitted_forecaster_has_no_fitted_attributes():
    fc = tc.TrendForecaster()
    for name in ("models_", "fit_report_", "freq_", "state_", "last_dates_", "fitted_at_"):
        assert not hasattr(fc, name)
    with pytest.raises(tc.NotFittedError, match="not fitted"):
        fc.predict(3)


def test_validation_sets_no_attribute_when_it_fails(sales):
    fc = tc.TrendForecaster(models=tc.models.Naive())
    before = dict(vars(fc))
    bad = sales.drop(columns="y")
    with pytest.raises(tc.DataValidationError):
        fc.fit(bad)
    assert vars(fc) == before
    fc.fit(sales)
    state = fc.state_
    with pytest.raises(tc.DataValidationError):
        fc.update(bad)
    assert fc.state_ is state


def test_cross_validation_leaves_a_fitted_forecaster_as_it_was(sales):
    fc = tc.TrendForecaster(models=[tc.models.SeasonalNaive(), tc.models.Naive()]).fit(sales)
    state, forecast = fc.state_, fc.predict(4)
    # another frame, another frequency: nothing of it may stay behind
    quarterly = sales.assign(ds=sales["ds"].dt.to_period("Q").dt.to_timestamp())
    quarterly = quarterly.groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    fc.cross_validation(quarterly, h=2, n_windows=2)
    assert fc.state_ is state and fc.freq_ == "MS"
    pd.testing.assert_frame_equal(fc.predict(4), forecast)


def test_update_in_worker_processes_keeps_the_models(sales):
    """A fit sent to a worker comes back as a copy: that is no refit (it was an IndexError)."""
    last = sales["ds"].max()
    history, new = sales[sales["ds"] < last], sales[sales["ds"] == last]
    one = tc.TrendForecaster(models=tc.models.ETS(), n_jobs=1).fit(history)
    two = tc.TrendForecaster(models=tc.models.ETS(), n_jobs=2).fit(history)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tc.FallbackWarning)
        one.update(new)
        two.update(new)
    assert (two.fit_report_["status"] == "ok").all()
    pd.testing.assert_frame_equal(two.predict(3), one.predict(3))


def test_repr_says_what_was_given_and_what_is_held(sales):
    fc = tc.TrendForecaster(models=tc.models.Naive(), n_jobs=2)
    assert repr(fc) == "TrendForecaster(models=Naive(), n_jobs=2)"
    fc.fit(sales)
    first, second = repr(fc).split("\n")
    assert first == "TrendForecaster(models=Naive(), n_jobs=2)"
    assert second.startswith("# fitted: 4 categories, freq MS, season length 12, fitted at ")
    assert second.endswith(" UTC")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda fc: fc.predict(h=-3), "h"),
        (lambda fc: fc.predict(h=0), "h"),
        (lambda fc: fc.predict(h=2, level=(120,)), "level"),
        (lambda fc: fc.sample_paths(h=2, n_paths=0), "n_paths"),
        (lambda fc: fc.sample_paths(h=2, output="table"), "output"),
    ],
)
def test_bad_arguments_of_a_fitted_forecaster_are_parameter_errors(sales, call, name):
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales)
    with pytest.raises(tc.ParameterError, match=name) as info:
        call(fc)
    assert isinstance(info.value, tc.TrendcastError)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"models": "xgboost"}, "models"),
        ({"models": []}, "models"),
        ({"season_length": 0}, "season_length"),
        ({"selection_margin": 1.5}, "selection_margin"),
        ({"calibration": "isotonic"}, "calibration"),
        ({"future_covariates": ["y"]}, "future_covariates"),
        ({"past_covariates": {"search": 0}}, "past_covariates"),
        ({"past_covariates": {"search": 1}, "beyond_lag": "extend"}, "beyond_lag"),
        ({"calendar": "black friday"}, "calendar"),
    ],
)
def test_bad_settings_are_parameter_errors_naming_the_setting(sales, params, name):
    with pytest.raises(tc.TrendcastError, match=name):
        tc.TrendForecaster(**params).fit(sales)


def test_cross_validation_arguments_are_parameter_errors(sales):
    fc = tc.TrendForecaster(models=tc.models.Naive())
    with pytest.raises(tc.ParameterError, match="n_windows"):
        fc.cross_validation(sales, h=2, n_windows=0)
    with pytest.raises(tc.ParameterError, match="h must"):
        fc.cross_validation(sales, h=0)


def test_fallback_warning_points_at_the_callers_line():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "unique_id": ["a"] * 30 + ["b"] * 30,
            "ds": list(pd.date_range("2020-01-01", periods=30, freq="MS")) * 2,
            "y": np.r_[rng.gamma(5, 10, 30), np.full(30, 7.0)],
        }
    )
    fc = tc.TrendForecaster(models=tc.models.RegressionModel(), fallback_model=tc.models.Naive())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fc.fit(df)
    fallbacks = [w for w in caught if issubclass(w.category, tc.FallbackWarning)]
    assert fallbacks and all(w.filename == __file__ for w in fallbacks)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"backtest_windows": 0}, "backtest_windows"),
        ({"backtest_windows": -2}, "backtest_windows"),
        ({"backtest_horizon": 0}, "backtest_horizon"),
        ({"backtest_horizon": 2.5}, "backtest_horizon"),
    ],
)
def test_backtest_settings_are_checked(sales, params, name):
    # backtest_windows=0 was an IndexError, a negative one skipped the backtest silently,
    # backtest_horizon=0 scored every candidate inf
    with pytest.raises(tc.ParameterError, match=name):
        tc.TrendForecaster(models=[tc.models.Naive(), tc.models.SeasonalNaive()], **params).fit(
            sales
        )


def test_predict_and_sample_paths_for_a_subset_of_categories(sales):
    fc = tc.TrendForecaster(models=tc.models.ETS()).fit(sales)
    every = fc.predict(3)
    some = fc.predict(3, ids=["448", "441"])
    # fit order, and the same numbers as in the full forecast
    assert list(some["unique_id"].unique()) == ["441", "448"]
    pd.testing.assert_frame_equal(
        some, every[every["unique_id"].isin(["441", "448"])].reset_index(drop=True)
    )
    assert fc.predict(3, ids="445")["unique_id"].unique().tolist() == ["445"]
    alone = fc.sample_paths(3, n_paths=50, random_state=1, ids=["452"], output="arrays")
    together = fc.sample_paths(3, n_paths=50, random_state=1, output="arrays")
    np.testing.assert_array_equal(alone["452"], together["452"])
    with pytest.raises(tc.ParameterError, match=r"ids: 2 categories not fitted: 'NOPE', 'x'"):
        fc.predict(3, ids=["441", "NOPE", "x"])


def test_a_subset_of_a_loaded_forecaster_rebuilds_only_its_models(sales, tmp_path):
    fc = tc.TrendForecaster(models=tc.models.ETS()).fit(sales)
    loaded = tc.load(fc.save(tmp_path / "fc"))
    out = loaded.predict(2, ids=["448"])
    assert "1 rebuilt" in repr(loaded.models_)
    pd.testing.assert_frame_equal(out, fc.predict(2, ids=["448"]))

