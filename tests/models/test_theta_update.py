"""Theta.update: the fitted line kept, its smoothing run over the new periods.

An update keeps the drift ``b0``, the smoothing ``alpha`` and the seasonal
factors Theta was fitted with, and runs simple exponential smoothing over the
window it was fitted on plus the new observations: what a fit with those
parameters fixed gives on the longer window. The expected numbers here come
from the method's equations written as a plain loop, not from the model.
"""

from __future__ import annotations

import copy
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.models import Theta

SEASON = 52
SAVED = ["b0", "alpha", "seasonal", "method", "deseasonalize", "period", "n_fit"]


def weekly(n: int, seed: int = 0, slope: float = 0.05) -> np.ndarray:
    """Positive weekly demand with a yearly season, a mild trend and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + slope * t + 12 * np.sin(2 * np.pi * t / SEASON) + rng.normal(0, 2, n)


def by_equations(fitted: Theta, y_all: np.ndarray, h: int, level: int = 80) -> tuple:
    """Forecast mean and lower bound of ``fitted``'s parameters on ``y_all``, by a loop.

    The window starts where ``fitted``'s did; the season is by position from it.
    """
    p = fitted._state_to_save(SAVED)
    start = fitted.n_obs_ - p["n_fit"]
    window = y_all[start:]
    n = window.size
    season = p["seasonal"] if p["deseasonalize"] and p["seasonal"].size else None
    mult = p["method"].startswith("mul")

    def factor(j: int) -> float:
        if season is None:
            return 1.0 if mult else 0.0
        return float(season[j % season.size])

    adjusted = [w / factor(j) if mult else w - factor(j) for j, w in enumerate(window)]
    level_, errors = adjusted[0], []
    for value in adjusted[1:]:
        errors.append(value - level_)
        level_ = level_ + p["alpha"] * (value - level_)
    alpha, weight = p["alpha"], 1 - 1 / fitted.theta
    sigma2 = float(np.mean(np.square(errors)))
    z = NormalDist().inv_cdf(0.5 + level / 200)
    mean, lower = [], []
    for i in range(h):
        trend = p["b0"] * (i + 1 / alpha - (1 - alpha) ** n / alpha)
        adj = weight * trend + level_
        lo = adj - z * np.sqrt(sigma2 * (1 + i * alpha**2))
        f = factor(n + i)
        mean.append(adj * f if mult else adj + f)
        lower.append(lo * f if mult else lo + f)
    return np.array(mean), np.array(lower)


@pytest.mark.parametrize(
    ("y", "season_length"),
    [
        (weekly(470, seed=1), SEASON),  # seasonal, multiplicative, window of 8 seasons
        (weekly(90, seed=2) - 100, 1),  # no season, values of both signs (additive)
    ],
)
def test_update_equals_the_fixed_parameter_equations_over_the_longer_window(y, season_length):
    model = Theta(season_length=season_length).fit(y[:-7])
    expected = by_equations(model, y, 13)
    params = np.asarray(model.results_.params, dtype=float).copy()
    model.update(y[-7:])
    # nothing re-estimated ...
    np.testing.assert_array_equal(np.asarray(model.results_.params, dtype=float), params)
    # ... the state run forward over the seven new weeks
    fc = model.predict(13, level=(80,))
    np.testing.assert_allclose(fc.mean, expected[0], rtol=1e-9)
    np.testing.assert_allclose(fc.lower[80], expected[1], rtol=1e-9)
    assert model.n_obs_ == y.size and model.y_.size == y.size
    # a refit would have estimated something else
    refit = Theta(season_length=season_length).fit(y)
    assert not np.array_equal(np.asarray(refit.results_.params, dtype=float), params)


def test_update_with_no_new_observations_changes_nothing():
    y = weekly(300)
    model = Theta(season_length=SEASON).fit(y)
    results, before = model.results_, model.predict(13, level=(80, 95))
    assert model.update(np.array([])) is model
    assert model.results_ is results
    after = model.predict(13, level=(80, 95))
    np.testing.assert_array_equal(after.mean, before.mean)
    np.testing.assert_array_equal(after.lower[95], before.lower[95])


def test_update_in_steps_equals_update_at_once_and_fit_then_update():
    y = weekly(480, seed=3)
    fitted = Theta(season_length=SEASON).fit(y[:-10])
    at_once = copy.deepcopy(fitted).update(y[-10:])
    in_steps = copy.deepcopy(fitted)
    for i in range(10, 0, -1):
        in_steps.update(y[-i : y.size - i + 1])
    a, b = at_once.predict(13, level=(95,)), in_steps.predict(13, level=(95,))
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.upper[95], b.upper[95])
    np.testing.assert_array_equal(
        at_once.sample_paths(13, 50, random_state=1), in_steps.sample_paths(13, 50, random_state=1)
    )


def test_forecasts_after_an_update_stay_close_to_a_refit_on_stable_data():
    y = weekly(460, seed=4)
    updated = Theta(season_length=SEASON).fit(y[:-4]).update(y[-4:])
    refit = Theta(season_length=SEASON).fit(y)
    got, want = updated.predict(13).mean, refit.predict(13).mean
    assert np.max(np.abs(got / want - 1)) < 0.02
    assert not np.array_equal(got, want)  # an update, not a refit


def test_fitted_values_are_still_those_of_the_fitting_window():
    y = weekly(470, seed=5)
    model = Theta(season_length=SEASON).fit(y[:-5]).update(y[-5:])
    values = model._one_step_in_sample(y, None)
    window = 8 * SEASON + 5  # the window grew by the new weeks
    assert np.isnan(values[: y.size - window + 1]).all()
    assert np.isfinite(values[y.size - window + 1 :]).all()
    # the last fitted value is the forecast of the last week from the weeks before
    before = Theta(season_length=SEASON).fit(y[:-5]).update(y[-5:-1])
    assert values[-1] == pytest.approx(before.predict(1).mean[0], rel=1e-9)


def _panel(n: int, ids: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    dates = pd.date_range("2016-01-03", periods=n, freq="W-SUN")
    return pd.concat(
        [
            pd.DataFrame({"unique_id": k, "ds": dates, "y": weekly(n, seed=i)})
            for i, k in enumerate(ids)
        ],
        ignore_index=True,
    )


def test_an_updated_forecaster_saves_and_loads_the_updated_state(tmp_path):
    panel = _panel(470)
    last = panel["ds"].max()
    old, new = panel[panel["ds"] <= last - pd.Timedelta(weeks=3)], panel
    fc = tc.TrendForecaster(models=Theta(), freq="W-SUN").fit(old)
    params = {k: np.asarray(m.results_.params).copy() for k, m in fc.models_.items()}
    fc.update(new)
    assert list(fc.fit_report_["status"]) == ["ok", "ok"]
    # updated, not refit at update (which would add "at update: ...; refitted")
    assert not fc.fit_report_["reason"].str.contains("update").any()
    for key, model in fc.models_.items():
        np.testing.assert_array_equal(np.asarray(model.results_.params), params[key])
    loaded = tc.load(fc.save(tmp_path / "updated.zip"))
    pd.testing.assert_frame_equal(loaded.predict(13), fc.predict(13))
    for key, model in loaded.models_.items():
        assert model.results_.model.endog_orig.size == 8 * SEASON + 3
        np.testing.assert_array_equal(np.asarray(model.results_.params), params[key])
    # and the loaded model updates on as the one in memory does
    more = _panel(472)
    pd.testing.assert_frame_equal(loaded.update(more).predict(13), fc.update(more).predict(13))
