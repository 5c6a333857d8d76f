"""DynamicTheta (dynamic optimised Theta): estimation, forecasts, season, update."""

from __future__ import annotations

import numpy as np
import pytest

from trendcast.exceptions import ModelFitError
from trendcast.models import DynamicTheta
from trendcast.models.dynamic_theta import _BURN_IN, _trend_lines


def _recursion(y: np.ndarray, level0: float, alpha: float, theta: float) -> tuple:
    """The model's equations (Fiorucci et al. 2016) as a plain loop.

    Returns the one-step errors and the one-step forecast after the last observation.
    """
    level, a, b, mean = level0, 0.0, 0.0, 0.0
    weight = 1.0 - 1.0 / theta
    errors = []
    n = y.size
    for t in range(1, n + 2):
        mu = level + weight * ((1 - alpha) ** (t - 1) * a + (1 - (1 - alpha) ** t) / alpha * b)
        if t == n + 1:
            return np.array(errors), mu
        errors.append(y[t - 1] - mu)
        level = alpha * y[t - 1] + (1 - alpha) * level
        b = 0.0 if t == 1 else ((t - 2) * b + 6.0 / t * (y[t - 1] - mean)) / (t + 1)
        mean = ((t - 1) * mean + y[t - 1]) / t
        a = mean - (t + 1) / 2 * b
    raise AssertionError("unreachable")


def _criterion(y, level0, alpha, theta):
    errors, _ = _recursion(y, level0, alpha, theta)
    return float(np.sum(errors[_BURN_IN:] ** 2))


def _trending(n=80, seed=0, slope=2.0):
    rng = np.random.default_rng(seed)
    return 100 + slope * np.arange(n) + rng.normal(0, 3, n)


def test_trend_lines_are_the_least_squares_line_of_every_prefix():
    y = _trending(30, seed=3)
    intercept, slope = _trend_lines(y)
    assert slope[0] == 0 and intercept[0] == y[0]
    for t in range(2, 31):
        b, a = np.polyfit(np.arange(1, t + 1), y[:t], 1)
        assert slope[t - 1] == pytest.approx(b, rel=1e-9, abs=1e-9)
        assert intercept[t - 1] == pytest.approx(a, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimates_minimize_the_criterion_of_the_equations(seed):
    y = _trending(seed=seed)
    model = DynamicTheta().fit(y)
    assert 0.1 <= model.alpha_ <= 0.99 and model.theta_ >= 1
    best = _criterion(y, model.level0_, model.alpha_, model.theta_)
    # the residuals the model reports are those of the plain equations
    assert model.sigma2_ == pytest.approx(best / (y.size - _BURN_IN), rel=1e-9)
    rng = np.random.default_rng(seed)
    for _ in range(200):
        alpha = float(np.clip(model.alpha_ + rng.normal(0, 0.05), 0.1, 0.99))
        theta = max(1.0, model.theta_ + rng.normal(0, 0.3))
        level0 = model.level0_ + rng.normal(0, 5)
        assert _criterion(y, level0, alpha, theta) >= best * (1 - 1e-9)


def test_one_step_forecast_is_the_next_value_of_the_equations():
    y = _trending(60, seed=4)
    model = DynamicTheta().fit(y)
    _, mu = _recursion(y, model.level0_, model.alpha_, model.theta_)
    assert model.predict(1).mean[0] == pytest.approx(mu, rel=1e-10)


def test_a_steady_trend_is_followed_and_theta_found_above_one():
    y = _trending(100, seed=5, slope=2.0)
    model = DynamicTheta().fit(y)
    steps = np.diff(model.predict(12).mean)
    assert model.theta_ > 1.2
    assert steps == pytest.approx(np.full(11, steps[0]))  # a straight line ahead
    assert 1.0 < steps[0] < 2.5  # slope 2 per period, shrunk by 1 - 1/theta


def test_fixed_theta_is_kept_and_a_theta_below_one_refused():
    y = _trending(seed=6)
    assert DynamicTheta(theta=2.0).fit(y).theta_ == pytest.approx(2.0)
    with pytest.raises(ModelFitError, match="theta must be None or a number of at least 1"):
        DynamicTheta(theta=0.5).fit(y)
    with pytest.raises(ModelFitError, match="constant"):
        DynamicTheta().fit(np.full(30, 5.0))


def test_a_strong_season_is_removed_and_put_back():
    rng = np.random.default_rng(7)
    n = 96
    pattern = 1 + 0.3 * np.sin(2 * np.pi * np.arange(12) / 12)
    y = (200 + np.arange(n)) * pattern[np.arange(n) % 12] * np.exp(rng.normal(0, 0.01, n))
    model = DynamicTheta(season_length=12).fit(y)
    assert model.seasonal_.shape == (12,) and model.multiplicative_
    # the factors follow the pattern (up to the normalisation of the decomposition)
    assert np.corrcoef(model.seasonal_, pattern)[0, 1] > 0.99
    fc = model.predict(12, level=(80,))
    positions = (n + np.arange(12)) % 12
    assert np.argmax(fc.mean) == np.argmax(pattern[positions])
    assert np.all(fc.lower[80] < fc.mean) and np.all(fc.mean < fc.upper[80])
    # white noise has no season to remove
    noise = 50 + rng.normal(0, 1, n)
    assert DynamicTheta(season_length=12).fit(noise).seasonal_.size == 0


def test_update_keeps_the_parameters_and_runs_the_state_forward():
    y = _trending(90, seed=8)
    model = DynamicTheta().fit(y[:80])
    params = (model.alpha_, model.theta_, model.level0_)
    model.update(y[80:])
    assert (model.alpha_, model.theta_, model.level0_) == params
    _, mu = _recursion(y, model.level0_, model.alpha_, model.theta_)
    assert model.predict(1).mean[0] == pytest.approx(mu, rel=1e-10)
    refit = DynamicTheta().fit(y)
    assert refit.alpha_ != params[0] or refit.level0_ != params[2]


def test_sample_paths_agree_with_the_intervals():
    y = _trending(seed=9)
    model = DynamicTheta().fit(y)
    fc = model.predict(6, level=(80,))
    paths = model.sample_paths(6, n_paths=20000, random_state=0)
    assert np.quantile(paths, 0.1, axis=0) == pytest.approx(fc.lower[80], rel=0.01)
    assert np.quantile(paths, 0.9, axis=0) == pytest.approx(fc.upper[80], rel=0.01)


def test_a_season_hidden_by_a_trend_is_found_from_the_differences():
    from trendcast.models.dynamic_theta import _acf_test

    rng = np.random.default_rng(0)
    t = np.arange(96)
    y = 100 + 1.0 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 96)
    assert not _acf_test(y, 12)  # the trend keeps every autocorrelation of the levels high
    model = DynamicTheta(season_length=12).fit(y)
    assert model.seasonal_.shape == (12,)
    fc = model.predict(12).mean
    assert np.argmax(fc) == np.argmax(np.sin(2 * np.pi * (96 + np.arange(12)) / 12))


def test_on_a_long_history_the_season_is_that_of_the_last_eight_years():
    # 20 years; the peak moved from January to July twelve years ago. The last eight
    # seasons decide the factors: a peak in July, where the whole history's average
    # still has one in January (too high a weight on the old pattern)
    t = np.arange(240)
    old = np.where(t % 12 == 0, 40.0, 0.0)
    new = np.where(t % 12 == 6, 40.0, 0.0)
    y = 200 + np.where(t < 96, old, new) + np.random.default_rng(2).normal(0, 2, 240)
    model = DynamicTheta(season_length=12).fit(y)
    assert model.seasonal_.size == 12
    assert np.argmax(model.seasonal_) == 6
    assert model.seasonal_[6] == pytest.approx(240 / 200, rel=0.05)
    assert model.seasonal_[0] == pytest.approx(1.0, abs=0.03)
    peaks = model.predict(24).mean
    assert np.argmax(peaks[:12]) == 6  # period 246 = 240 + 6 is a July
