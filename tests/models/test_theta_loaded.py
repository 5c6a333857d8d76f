"""A loaded Theta forecasts from its saved line without statsmodels, with the same numbers.

``Theta._restore_state`` keeps the saved numbers in a ``_SavedLine`` (what
statsmodels' ``ThetaModelResults`` holds) instead of building statsmodels'
objects; forecasts, bounds, sample paths and in-sample forecasts must equal
those of the fitted model, and anything else asked of ``results_`` reaches
statsmodels' own results object.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from trendcast.models import Theta
from trendcast.models.theta import _SavedLine


def _series(n: int, positive: bool = True) -> np.ndarray:
    rng = np.random.default_rng(n)
    t = np.arange(n)
    y = 50 + 0.5 * t + 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)
    return y if positive else y - 80


def _reloaded(model: Theta) -> Theta:
    names = ["y_", "X_", "n_obs_", *Theta._saved_state]
    twin = Theta(**model.get_params())
    twin._restore_state(model._state_to_save(names))
    return twin


@pytest.mark.parametrize(
    ("n", "season_length", "positive"),
    [(40, 12, True), (150, 12, True), (40, 12, False), (30, None, True), (20, 12, True)],
)
def test_loaded_theta_forecasts_what_the_fitted_one_does(n, season_length, positive):
    fitted = Theta(season_length=season_length).fit(_series(n, positive))
    loaded = _reloaded(fitted)
    assert isinstance(loaded.results_, _SavedLine)
    a, b = fitted.predict(18, level=(50, 80, 95)), loaded.predict(18, level=(50, 80, 95))
    np.testing.assert_array_equal(a.mean, b.mean)
    for level in (50, 80, 95):
        np.testing.assert_array_equal(a.lower[level], b.lower[level])
        np.testing.assert_array_equal(a.upper[level], b.upper[level])
    np.testing.assert_array_equal(
        fitted.predict(5, level=()).mean, loaded.predict(5, level=()).mean
    )
    np.testing.assert_array_equal(
        fitted.sample_paths(6, 50, random_state=1), loaded.sample_paths(6, 50, random_state=1)
    )
    y = fitted.y_
    np.testing.assert_array_equal(
        fitted._one_step_in_sample(y, None), loaded._one_step_in_sample(y, None)
    )
    # saved again from the loaded line: the same state
    names = ["y_", "X_", "n_obs_", *Theta._saved_state]
    again, first = loaded._state_to_save(names), fitted._state_to_save(names)
    assert again.keys() == first.keys()
    for key, value in first.items():
        np.testing.assert_array_equal(again[key], value)


def test_other_reads_of_results_reach_statsmodels():
    fitted = Theta(season_length=12).fit(_series(60))
    loaded = _reloaded(fitted)
    np.testing.assert_array_equal(
        np.asarray(loaded.results_.forecast(6, theta=3.0)),
        np.asarray(fitted.results_.forecast(6, theta=3.0)),
    )
    assert "Theta" in str(loaded.results_.summary())
    assert loaded.results_.model.use_test == fitted.results_.model.use_test
    np.testing.assert_array_equal(loaded.results_.params, fitted.results_.params)


def test_a_loaded_theta_pickles():
    loaded = _reloaded(Theta(season_length=12).fit(_series(60)))
    again = pickle.loads(pickle.dumps(loaded))
    np.testing.assert_array_equal(again.predict(4).mean, loaded.predict(4).mean)


def test_ses_levels_need_no_scipy_signal_and_are_lfilters_to_the_bit():
    from scipy.signal import lfilter

    from trendcast.models._shared import ses_levels
    from trendcast.models.dynamic_theta import _levels
    from trendcast.models.theta import _ses_errors, _ses_variance

    rng = np.random.default_rng(0)
    for i in range(300):
        n = int(rng.integers(2, 150))
        y = rng.normal(rng.normal(0, 100), rng.uniform(0.1, 50), n)
        alpha = float(rng.uniform(0, 1)) if i % 7 else float(rng.choice([0.0, 1.0, 1e-9]))
        expected, _ = lfilter([alpha], [1.0, alpha - 1.0], y[1:], zi=[(1.0 - alpha) * y[0]])
        np.testing.assert_array_equal(ses_levels(y[1:], alpha, y[0]), expected)
        np.testing.assert_array_equal(ses_levels(y, alpha, 3.5), _levels(y, alpha, 3.5))
        assert _ses_variance(y, alpha) == float(np.mean(_ses_errors(y, alpha)[0] ** 2))
