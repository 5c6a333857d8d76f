"""A fitted model keeps its parameters and final state, not statsmodels' filter output.

ARIMA used to hold its SARIMAX filter results: the state covariance of every
period, megabytes for a weekly series with a yearly season. It now keeps the
state and covariance after the last observation and forecasts from them with
the model statsmodels' ``get_forecast`` builds, so its forecasts, intervals and
sample paths are those of the results object, bit for bit.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.models import ARIMA, Combination, ModelForecast
from trendcast.models.arima import _time_invariant


def weekly(seed: int, weeks: int = 156) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    season = 30 * np.sin(2 * np.pi * (t + rng.integers(52)) / 52)
    return 300 + 0.2 * t + season + rng.normal(0, 8, weeks)


def from_results(model: ARIMA, h: int, X_future: np.ndarray | None, levels=(80, 95)):
    """The forecast of statsmodels' results object (what ARIMA used to return)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = model.results_.get_forecast(h, exog=X_future)
    mean = np.asarray(pred.predicted_mean, dtype=float)
    return ModelForecast.from_normal(mean, np.sqrt(np.asarray(pred.var_pred_mean)), levels)


def paths_from_results(model: ARIMA, h: int, n: int, X_future, seed: int) -> np.ndarray:
    """Sample paths drawn from the results object's matrices and final covariance."""
    rng = np.random.default_rng(seed)
    res = model.results_
    ssm = res.model.ssm
    names = ("design", "transition", "selection", "state_cov")
    design, transition, selection, state_cov = (_time_invariant(ssm[k]) for k in names)
    mean = from_results(model, h, X_future, ()).mean
    p_end = np.asarray(res.predicted_state_cov[:, :, -1], dtype=float)
    vals, vecs = np.linalg.eigh((p_end + p_end.T) / 2)
    state = (vecs * np.sqrt(np.clip(vals, 0, None))) @ rng.standard_normal((vals.size, n))
    shock_sd = np.sqrt(np.clip(np.diag(state_cov), 0, None))
    paths = np.empty((n, h))
    for step in range(h):
        paths[:, step] = mean[step] + (design @ state)[0]
        shocks = shock_sd[:, None] * rng.standard_normal((shock_sd.size, n))
        state = transition @ state + selection @ shocks
    return paths


def same_forecast(a: ModelForecast, b: ModelForecast) -> None:
    np.testing.assert_array_equal(a.mean, b.mean)
    assert a.lower.keys() == b.lower.keys()
    for level in a.lower:
        np.testing.assert_array_equal(a.lower[level], b.lower[level])
        np.testing.assert_array_equal(a.upper[level], b.upper[level])


@pytest.mark.parametrize("season", [12, 1])
def test_forecasts_and_paths_equal_the_results_objects_bit_for_bit(season):
    sales = tc.datasets.load_us_retail(categories=["441", "448", "4541"])
    for _, group in sales.groupby("unique_id"):
        y = group["y"].to_numpy()
        model = ARIMA(season_length=season).fit(y[:-6])
        for h in (1, 7, 24):
            same_forecast(model.predict(h, level=(80, 95)), from_results(model, h, None))
        np.testing.assert_array_equal(
            model.sample_paths(12, 50, random_state=4), paths_from_results(model, 12, 50, None, 4)
        )
        model.update(y[-6:])  # the state moves over the new observations
        same_forecast(model.predict(12, level=(80,)), from_results(model, 12, None, (80,)))


def test_with_covariates_including_a_future_column_that_is_constant():
    rng = np.random.default_rng(3)
    y = tc.datasets.load_us_retail(categories=["445"])["y"].to_numpy()[-150:]
    X = np.column_stack([rng.normal(size=y.size + 12), (np.arange(y.size + 12) % 5 == 0)])
    X[y.size :, 1] = 1.0  # a promotion on every future period: a constant column ahead
    model = ARIMA(season_length=12).fit(y + 40 * X[: y.size, 1], X[: y.size])
    for h in (1, 12):
        future = X[y.size : y.size + h]
        same_forecast(model.predict(h, future), from_results(model, h, future))
    np.testing.assert_array_equal(
        model.sample_paths(12, 30, X[y.size :], random_state=1),
        paths_from_results(model, 12, 30, X[y.size :], 1),
    )


def test_a_weekly_model_keeps_kilobytes_not_megabytes():
    y = weekly(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ARIMA(season_length=52, order=(0, 0, 1), seasonal_order=(0, 1, 1)).fit(y)
    k = model._end_state.size
    assert k > 52  # the seasonal states
    filter_output = pickle.dumps(model.results_.predicted_state_cov)
    held = pickle.dumps(model)
    assert len(filter_output) > 100 * k * k  # every period's covariance: megabytes
    assert len(held) < 8 * k * k  # the last covariance (a triangle) and the history
    assert "_results" not in vars(model)
    copy = pickle.loads(held)
    same_forecast(copy.predict(12), model.predict(12))


def test_members_of_a_combination_share_its_history():
    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    combo = Combination(season_length=12).fit(y)
    assert all(member.y_ is combo.y_ for member in combo.models_)
    before = [member.predict(6).mean for member in combo.models_]
    combo.update(y[-3:] * 1.01)
    assert all(member.y_ is combo.y_ for member in combo.models_)
    assert combo.y_.size == y.size + 3
    assert not all(
        np.array_equal(b, m.predict(6).mean) for b, m in zip(before, combo.models_, strict=True)
    )


def test_a_fitted_auto_forecaster_holds_no_statsmodels_state_space_output():
    ds = pd.date_range("2021-01-03", periods=156, freq="W-SUN")
    panel = pd.concat(
        [pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": weekly(i)}) for i in range(4)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = tc.TrendForecaster(models="auto", n_jobs=1).fit(panel)
        fc.predict(12)
    seen: set[int] = set()
    stack: list[object] = [fc.state_.fits]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        module = type(obj).__module__
        assert not module.startswith("statsmodels.tsa.statespace"), type(obj)
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and not module.startswith(("numpy", "pandas")):
            stack.extend(vars(obj).values())
    per_series = len(pickle.dumps(fc.state_.fits)) / 4
    assert per_series < 200_000
