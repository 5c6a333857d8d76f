"""Past-only covariates (search at a lag): known answers, leakage, errors, selection."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import trendcast as tc
from tests.conftest import LinearOnX
from trendcast._past_covariates import _PastCovariates
from trendcast.forecaster import _search_helps

HAS_PROPHET = importlib.util.find_spec("prophet") is not None


def search_panel(n: int = 60, lag: int = 2, effect: float = 3.0, seed: int = 0) -> pd.DataFrame:
    """Sales driven by search ``lag`` periods earlier; search wanders (a random walk)."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(2):
        s = 50 + np.cumsum(rng.normal(0, 3, n + lag))
        y = 100 + 20 * i + effect * s[:-lag] + rng.normal(0, 1, n)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"c{i}",
                    "ds": pd.date_range("2019-01-01", periods=n, freq="MS"),
                    "y": y,
                    "search": s[lag:],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- known answers


def test_forecast_within_the_lag_uses_the_observed_search():
    df = search_panel(lag=2)
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 2}).fit(df)
    out = fc.predict(2)
    for key, group in df.groupby("unique_id"):
        s = group["search"].to_numpy()
        mean = out.loc[out["unique_id"] == key, "mean"].to_numpy()
        intercept = 100 + 20 * int(key[1])
        # y[T+1] = a + 3 s[T-1], y[T+2] = a + 3 s[T]: both already observed
        np.testing.assert_allclose(mean, intercept + 3 * s[-2:], atol=1.0)


def test_the_wrapper_equals_the_model_fitted_on_the_lagged_design():
    df = search_panel(lag=2)
    g = df[df["unique_id"] == "c0"]
    y, s = g["y"].to_numpy(), g["search"].to_numpy()
    arima = tc.models.ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0))
    wrapped = _PastCovariates(model=arima, lags=(2,), names=("search",)).fit(y, s[:, None])
    direct = tc.models.ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0)).fit(y[2:], s[:-2, None])
    a = wrapped.predict(2, np.zeros((2, 1)))
    b = direct.predict(2, s[-2:, None])
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-10)
    np.testing.assert_allclose(a.upper[95], b.upper[95], rtol=1e-10)


# ---------------------------------------------------------------- leakage

COVARIATE_MODELS = [
    pytest.param(lambda: tc.models.ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0)), id="ARIMA"),
    pytest.param(lambda: tc.models.RegressionModel(season_length=1), id="RegressionModel"),
    pytest.param(
        lambda: tc.models.Prophet(yearly_seasonality=False, uncertainty_samples=200),
        id="Prophet",
        marks=pytest.mark.skipif(not HAS_PROPHET, reason="prophet (optional extra) not installed"),
    ),
    pytest.param(lambda: "auto", id="auto"),
]


def _perturbed(df: pd.DataFrame, after: pd.Timestamp) -> pd.DataFrame:
    out = df.copy()
    late = out["ds"] > after
    out.loc[late, "search"] = out.loc[late, "search"] * 3 + 40
    return out


# Within the lag every covariate model is checked; beyond it the same wrapper runs for
# every model, so ARIMA and RegressionModel cover it (Prophet and auto would take minutes).
LEAKAGE_CASES = [
    pytest.param(p.values[0], "refuse", 2, id=f"{p.id}-within-lag", marks=p.marks)
    for p in COVARIATE_MODELS
] + [
    pytest.param(p.values[0], "forecast", 4, id=f"{p.id}-beyond-lag", marks=p.marks)
    for p in COVARIATE_MODELS
    if p.id in ("ARIMA", "RegressionModel")
]


@pytest.mark.parametrize("make, beyond_lag, h", LEAKAGE_CASES)
def test_search_after_a_cutoff_changes_nothing_in_that_window(make, beyond_lag, h):
    df = search_panel(n=48, lag=2)
    df = df[df["unique_id"] == "c0"]
    model = make()
    fc = tc.TrendForecaster(
        models=model,
        past_covariates={"search": 2},
        beyond_lag=beyond_lag,
        backtest_windows=2,
        # the lowest backtest score wins, so "auto" forecasts with its search candidate
        # and the last assertion below has something to see
        selection_margin=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = fc.cross_validation(df, h=h, n_windows=2)
        first = base["cutoff"].min()
        changed = fc.cross_validation(_perturbed(df, first), h=h, n_windows=2)
    columns = ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    a = base[base["cutoff"] == first]
    b = changed[changed["cutoff"] == first]
    np.testing.assert_allclose(a[columns].to_numpy(), b[columns].to_numpy(), rtol=1e-9)
    # the later window saw the changed search in its history: its forecast moved
    later_a = base[base["cutoff"] > first]["mean"].to_numpy()
    later_b = changed[changed["cutoff"] > first]["mean"].to_numpy()
    assert not np.allclose(later_a, later_b)


@pytest.mark.parametrize("make", COVARIATE_MODELS[:3])
def test_past_columns_passed_at_predict_are_ignored(make):
    g = search_panel(lag=2)
    g = g[g["unique_id"] == "c0"]
    y, s = g["y"].to_numpy(), g["search"].to_numpy()
    model = _PastCovariates(model=make(), lags=(2,), names=("search",), season_length=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(y, s[:, None])
    a = model.predict(2, np.zeros((2, 1)))
    b = model.predict(2, np.full((2, 1), 1e6))
    np.testing.assert_allclose(a.mean, b.mean)
    np.testing.assert_allclose(a.lower[80], b.lower[80])


# ---------------------------------------------------------------- beyond the lag


def test_beyond_the_lag_the_search_uncertainty_widens_the_intervals_so_they_cover():
    """Sales = 2 * search one period earlier + noise; search is a random walk.

    Beyond lag 1 the search value is unknown. Mixing over forecast search
    paths must cover about 80%; plugging in the mean search path alone
    ignores its uncertainty and covers far less.
    """
    rng = np.random.default_rng(3)
    hits_mixed, hits_plugged, total = 0, 0, 0
    z = norm.ppf(0.9)
    for _ in range(25):
        n, h = 60, 4
        s = 50 + np.cumsum(rng.normal(0, 2, n + h))
        y = 10 + 2 * np.r_[s[0], s[:-1]] + rng.normal(0, 1, n + h)
        model = _PastCovariates(model=LinearOnX(), lags=(1,), names=("s",), season_length=1)
        model.fit(y[:n], s[:n, None])
        mixed = model.predict(h, level=(80,))
        mean_path = s[n - 1] * np.ones(h - 1)  # the random walk's mean forecast
        rows = np.r_[s[n - 1], mean_path][:, None]
        plugged = model.model_.predict(h, rows, level=(80,))
        actual = y[n : n + h]
        for fc, counter in ((mixed, "m"), (plugged, "p")):
            inside = (fc.lower[80][1:] <= actual[1:]) & (actual[1:] <= fc.upper[80][1:])
            if counter == "m":
                hits_mixed += int(inside.sum())
            else:
                hits_plugged += int(inside.sum())
        total += h - 1
        # within the lag the two agree
        assert mixed.mean[0] == pytest.approx(plugged.mean[0])
        assert mixed.upper[80][0] - mixed.mean[0] == pytest.approx(z * model.model_.sigma_)
    assert 0.72 <= hits_mixed / total <= 0.92
    assert hits_plugged / total < 0.6


def test_refuse_names_the_largest_horizon_and_the_way_out():
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 2}).fit(search_panel())
    with pytest.raises(ValueError, match=r"largest horizon allowed is 2.*beyond_lag='forecast'"):
        fc.predict(3)
    with pytest.raises(ValueError, match="largest horizon allowed is 2"):
        fc.sample_paths(3)
    with pytest.raises(ValueError, match="largest horizon allowed is 2"):
        fc.cross_validation(search_panel(), h=3, n_windows=2)
    assert len(fc.predict(2)) == 4


# ---------------------------------------------------------------- checked errors


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"past_covariates": {"search": 0}}, "lag 1 or more.*nowcast"),
        ({"past_covariates": {"search": -1}}, "lag 1 or more"),
        ({"past_covariates": {"search": 1.5}}, "whole number"),
        ({"past_covariates": ["search"]}, "map each column to its lag"),
        (
            {"past_covariates": {"search": 1}, "future_covariates": ["search"]},
            "both past-only.*and future-known",
        ),
        ({"past_covariates": {"search": 1}, "beyond_lag": "guess"}, "beyond_lag"),
        ({"past_covariates": {"y": 1}}, "target column"),
    ],
)
def test_declaration_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tc.TrendForecaster(models=LinearOnX(), **kwargs).fit(search_panel())


def test_missing_column_is_named():
    with pytest.raises(tc.DataValidationError, match="lacks the past covariate column 'trend'"):
        tc.TrendForecaster(models=LinearOnX(), past_covariates={"trend": 1}).fit(search_panel())


def test_non_numeric_column_is_refused_with_the_rows():
    df = search_panel()
    df["search"] = df["search"].round(1).astype(str)
    df.loc[5, "search"] = "<1"
    with pytest.raises(tc.DataValidationError, match=r"Column 'search'.*not numeric.*row 5"):
        tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 1}).fit(df)


@pytest.mark.parametrize("row", [0, 30, 59])
def test_gaps_in_the_search_history_are_refused(row):
    df = search_panel()
    df.loc[row, "search"] = np.nan
    with pytest.raises(tc.DataValidationError, match=rf"1 gap in its history.*row {row}"):
        tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 1}).fit(df)


def test_a_category_without_any_search_is_fitted_without_and_reported():
    df = search_panel()
    df.loc[df["unique_id"] == "c1", "search"] = np.nan
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 2})
    with pytest.warns(tc.DataWarning, match="fitted without them: 'c1'"):
        fc.fit(df)
    # LinearOnX needs covariates, so c1 falls back; c0 is fed search
    report = fc.search_report_.set_index("unique_id")
    assert report.loc["c0", "uses_search"]
    assert not report.loc["c1", "uses_search"]
    assert report.loc["c1", "decision"].startswith("no search values")
    assert len(fc.predict(2)) == 4


# ---------------------------------------------------------------- selection


def test_search_is_kept_where_it_helps_and_dropped_where_it_is_noise():
    informative = search_panel(lag=1, seed=1)
    noise = search_panel(lag=1, seed=2, effect=0.0)
    noise["unique_id"] = noise["unique_id"].str.replace("c", "n")
    df = pd.concat([informative, noise], ignore_index=True)
    arima = tc.models.ARIMA(order=(1, 1, 0), seasonal_order=(0, 0, 0))
    fc = tc.TrendForecaster(
        models=[tc.models.Naive(), arima],
        past_covariates={"search": 1},
        calibration=None,
        backtest_horizon=1,  # select on the horizon that will be asked for
        backtest_windows=8,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(df)
    report = fc.search_report_.set_index("unique_id")
    assert list(report["lag"]) == [1, 1, 1, 1]
    assert report.loc[["c0", "c1"], "uses_search"].all()
    assert (report.loc[["c0", "c1"], "mase_with_search"] < 0.5).all()
    assert not report.loc[["n0", "n1"], "uses_search"].any()
    decisions = report.loc[["n0", "n1"], "decision"]
    assert decisions.str.startswith(("search dropped", "search not chosen")).all()
    assert report.loc["c0", "decision"].startswith("search kept")


def test_a_search_model_that_wins_the_selection_but_not_the_search_margin_is_replaced():
    df = search_panel(lag=1, seed=1)
    arima = tc.models.ARIMA(order=(1, 1, 0), seasonal_order=(0, 0, 0))
    fc = tc.TrendForecaster(
        models=[tc.models.Naive(), arima],
        past_covariates={"search": 1},
        calibration=None,
        selection_margin=0.0,
        search_margin=0.99,  # search must be 99% better: never
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(df)
    assert not fc.search_report_["uses_search"].any()
    assert set(fc.fit_report_["model_used"]) == {"Naive"}
    chosen = fc.selection_report_[fc.selection_report_["selected"]]
    assert list(chosen["model"]) == ["Naive", "Naive"]


def test_auto_adds_search_candidates_only_for_categories_with_search():
    df = search_panel(n=48, lag=2)
    df.loc[df["unique_id"] == "c1", "search"] = np.nan
    # selection_margin=0: the lowest backtest score wins (with the default 0.4 the
    # four-member combination keeps c0: its search candidates are 21% and 49% better,
    # the second not in every window)
    fc = tc.TrendForecaster(past_covariates={"search": 2}, backtest_windows=2, selection_margin=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(df)
    counts = fc.selection_report_.groupby("unique_id").size()
    assert counts["c0"] == counts["c1"] + 3
    searched = fc.selection_report_[fc.selection_report_["model"].str.contains("search lag 2")]
    assert set(searched["unique_id"]) == {"c0"}
    assert fc.search_report_.set_index("unique_id").loc["c0", "uses_search"]


# ---------------------------------------------------------------- update, paths, save


def test_update_appends_search_and_moves_the_forecast():
    df = search_panel(lag=2)
    head = df.groupby("unique_id").head(57)
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 2}).fit(head)
    fc.update(df)
    out = fc.predict(2)
    for key, group in df.groupby("unique_id"):
        s = group["search"].to_numpy()
        mean = out.loc[out["unique_id"] == key, "mean"].to_numpy()
        np.testing.assert_allclose(mean, 100 + 20 * int(key[1]) + 3 * s[-2:], atol=1.0)


def test_update_without_search_for_a_category_fitted_with_it_is_refused():
    df = search_panel(lag=2)
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 2})
    fc.fit(df.groupby("unique_id").head(57))
    df.loc[df["unique_id"] == "c0", "search"] = np.nan
    with pytest.raises(tc.DataValidationError, match="none in the new rows: 'c0'"):
        fc.update(df)


def test_sample_paths_of_a_past_covariate_model_are_its_own():
    df = search_panel(lag=2)
    arima = tc.models.ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0))
    fc = tc.TrendForecaster(models=arima, past_covariates={"search": 2}, calibration=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tc.FallbackWarning)
        warnings.filterwarnings("ignore", category=tc.ConvergenceWarning)
        fc.fit(df)
        paths = fc.sample_paths(2, n_paths=2000, random_state=0, output="arrays")
    mean = fc.predict(2).set_index("unique_id")
    for key, arr in paths.items():
        np.testing.assert_allclose(arr.mean(axis=0), mean.loc[key, "mean"], rtol=0.01)


def test_sample_paths_take_future_covariates_from_x_df():
    rng = np.random.default_rng(1)
    n = 48
    promo = (rng.random(n) < 0.3).astype(float)
    df = pd.DataFrame(
        {
            "unique_id": "c0",
            "ds": pd.date_range("2020-01-01", periods=n, freq="MS"),
            "y": 200 + 40 * promo + rng.normal(0, 1, n),
            "promo": promo,
        }
    )
    arima = tc.models.ARIMA(order=(0, 0, 0), seasonal_order=(0, 0, 0))
    fc = tc.TrendForecaster(models=arima, future_covariates=["promo"], calibration=None).fit(df)
    future = pd.DataFrame(
        {
            "unique_id": "c0",
            "ds": pd.date_range("2024-01-01", periods=2, freq="MS"),
            "promo": [0, 1],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", tc.FallbackWarning)
        paths = fc.sample_paths(2, n_paths=500, random_state=0, output="arrays", X_df=future)
    step = paths["c0"].mean(axis=0)
    assert step[1] - step[0] == pytest.approx(40, abs=2)
    with pytest.raises(tc.DataValidationError, match="future covariate values are missing"):
        fc.sample_paths(2)


def test_saving_a_forecaster_with_past_covariates_is_refused(tmp_path):
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 2}).fit(search_panel())
    with pytest.raises(tc.PersistenceError, match="past_covariates cannot be saved yet"):
        fc.save(tmp_path / "fc")


@pytest.mark.parametrize(
    "mase, search, margin, helps",
    [
        ([1.0, 0.8, 0.85], {1, 2}, 0.1, True),  # best with 0.8 vs best without 1.0
        ([1.0, 0.8, 0.71], {2}, 0.1, True),  # 0.71 < 0.8 * 0.9
        ([1.0, 0.8, 0.73], {2}, 0.1, False),  # better, but not by 10%
        ([1.0, 0.8, np.inf], {2}, 0.0, False),  # the search candidate failed
    ],
)
def test_search_helps_compares_the_best_with_and_without(mase, search, margin, helps):
    assert _search_helps(np.array(mase), frozenset(search), margin) is helps
