"""Drift and WindowAverage: known answers and the closed-form intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

import trendcast as tc
from trendcast.models import Drift, WindowAverage


def walk(n: int = 50, seed: int = 4) -> np.ndarray:
    return 100 + np.cumsum(np.random.default_rng(seed).normal(0.8, 2.0, n))


def test_drift_forecast_is_the_line_through_first_and_last_observation():
    y = walk()
    slope = (y[-1] - y[0]) / (y.size - 1)
    fc = Drift().fit(y).predict(6)
    line = y[0] + slope * np.arange(y.size, y.size + 6)
    np.testing.assert_allclose(fc.mean, line, rtol=1e-12)


def test_drift_intervals_match_the_closed_form_with_drift_uncertainty():
    y = walk()
    T, h = y.size, np.arange(1, 11)
    b = (y[-1] - y[0]) / (T - 1)
    sigma = np.sqrt(np.sum((np.diff(y) - b) ** 2) / (T - 2))
    se = sigma * np.sqrt(h * (1 + h / (T - 1)))  # FPP3 table 5.2
    fc = Drift().fit(y).predict(10, level=(80, 95))
    for lv in (80, 95):
        z = norm.ppf(0.5 + lv / 200)
        np.testing.assert_allclose(fc.upper[lv], fc.mean + z * se, rtol=1e-12)
        np.testing.assert_allclose(fc.lower[lv], fc.mean - z * se, rtol=1e-12)


def test_drift_sample_paths_spread_like_the_intervals():
    y = walk()
    m = Drift().fit(y)
    paths = m.sample_paths(8, n_paths=40000, random_state=0)
    fc = m.predict(8, level=(95,))
    sd = (fc.upper[95] - fc.mean) / norm.ppf(0.975)
    np.testing.assert_allclose(paths.std(axis=0), sd, rtol=0.03)
    np.testing.assert_allclose(paths.mean(axis=0), fc.mean, atol=4 * sd.max() / 200)


def test_drift_update_keeps_the_slope_and_starts_from_the_newest_value():
    y = walk()
    m = Drift().fit(y[:40])
    slope = m.drift_
    m.update(y[40:])
    assert m.drift_ == slope
    np.testing.assert_allclose(m.predict(2).mean, y[-1] + slope * np.array([1, 2]))


def test_window_average_is_the_mean_of_the_window():
    y = walk()
    np.testing.assert_allclose(WindowAverage(window=7).fit(y).predict(3).mean, y[-7:].mean())
    np.testing.assert_allclose(WindowAverage().fit(y).predict(3).mean, y.mean())
    assert WindowAverage(window=7).name == "WindowAverage(7)"


def test_window_average_intervals_from_the_errors_of_the_rule():
    y = walk()
    w = 5
    errors = [y[t] - y[t - w : t].mean() for t in range(w, y.size)]
    sigma = np.sqrt(np.mean(np.square(errors)))
    fc = WindowAverage(window=w).fit(y).predict(4, level=(90,))
    np.testing.assert_allclose(fc.upper[90] - fc.mean, norm.ppf(0.95) * sigma, rtol=1e-12)
    # whole history: the mean method, sd * sqrt(1 + 1/T)
    fc = WindowAverage().fit(y).predict(4, level=(90,))
    sd = np.std(y, ddof=1) * np.sqrt(1 + 1 / y.size)
    np.testing.assert_allclose(fc.upper[90] - fc.mean, norm.ppf(0.95) * sd, rtol=1e-12)


def test_window_average_update_averages_the_newest_window():
    y = walk()
    m = WindowAverage(window=6).fit(y[:40])
    sigma = m.sigma_
    m.update(y[40:])
    assert m.sigma_ == sigma
    np.testing.assert_allclose(m.predict(1).mean, y[-6:].mean())


def test_window_average_refuses_a_bad_window():
    with pytest.raises(tc.ModelFitError, match="window"):
        WindowAverage(window=0).fit(walk())
    with pytest.raises(tc.ModelFitError, match="at least 12"):
        WindowAverage(window=10).fit(walk()[:11])
