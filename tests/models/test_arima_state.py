"""ARIMA's state space and Kalman filter in NumPy agree with statsmodels' SARIMAX.

``models/_arima_state.py`` builds SARIMAX's matrices, initial state and filter
so that a loaded ARIMA forecasts without importing statsmodels. The matrices
must equal SARIMAX's entry by entry; the predicted state after the data, the
forecast means and variances must agree with statsmodels' to 1e-9 relative.
"""

from __future__ import annotations

import ast
import warnings

import numpy as np
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from trendcast.models import ARIMA
from trendcast.models._arima_state import filter_end, forecast, state_space

CASES = [
    # order, seasonal order, season length, constant, covariates
    ((1, 0, 0), (1, 1, 0), 12, True, 0),
    ((2, 1, 1), (0, 1, 1), 12, False, 0),
    ((0, 1, 1), (2, 1, 0), 12, False, 0),
    ((2, 0, 0), (1, 0, 0), 12, True, 0),
    ((5, 1, 1), (0, 0, 0), 1, True, 0),
    ((0, 2, 2), (0, 0, 0), 1, False, 0),
    ((0, 1, 0), (0, 0, 0), 1, False, 0),
    ((1, 1, 0), (1, 1, 1), 4, True, 2),
    ((0, 0, 1), (0, 1, 1), 52, False, 0),  # 54 ARMA states: the doubling path
]


def _series(n: int, seed: int, m: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 10 * np.sin(2 * np.pi * t / max(m, 2))
    return 100 + 0.5 * t + season + np.cumsum(rng.normal(0, 2, n))


def _params(order, seasonal, constant, k_exog, seed):
    rng = np.random.default_rng(seed)
    p, _, q = order
    big_p, _, big_q = seasonal
    return np.r_[
        [0.3] * int(constant),
        rng.normal(0, 1, k_exog),
        rng.uniform(-0.3, 0.3, p) / max(p, 1),
        rng.uniform(-0.4, 0.4, q),
        rng.uniform(-0.3, 0.3, big_p) / max(big_p, 1),
        rng.uniform(-0.4, 0.4, big_q),
        [4.0],
    ]


def _statsmodels(y, X, order, seasonal, m, constant):
    return SARIMAX(
        y,
        exog=X,
        order=order,
        seasonal_order=(*seasonal, m) if m > 1 else (0, 0, 0, 0),
        trend="c" if constant else "n",
    )


@pytest.mark.parametrize(("order", "seasonal", "m", "constant", "k_exog"), CASES)
def test_state_space_filter_and_forecast_are_sarimaxs(order, seasonal, m, constant, k_exog):
    n = 160 if m == 52 else 121
    y = _series(n, 0, m)
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (n, k_exog)) if k_exog else None
    X_future = rng.normal(0, 1, (18, k_exog)) if k_exog else None
    params = _params(order, seasonal, constant, k_exog, 2)
    model = _statsmodels(y, X, order, seasonal, m, constant)
    model.update(params, transformed=True, includes_fixed=True)
    ss = state_space(order, seasonal, m, constant, params, k_exog)
    np.testing.assert_array_equal(ss.design, model.ssm["design"].ravel())
    np.testing.assert_array_equal(ss.transition, model.ssm["transition"])
    np.testing.assert_array_equal(ss.selection, model.ssm["selection"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.filter(params, cov_type="none")
        theirs = res.get_forecast(18, exog=X_future)
    state, cov = filter_end(y, X, ss)
    np.testing.assert_allclose(state, res.predicted_state[:, -1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(cov, res.predicted_state_cov[:, :, -1], rtol=1e-9, atol=1e-7)
    mean, variance = forecast(state, cov, ss, 18, X_future)
    np.testing.assert_allclose(mean, theirs.predicted_mean, rtol=1e-9)
    np.testing.assert_allclose(variance, theirs.var_pred_mean, rtol=1e-9)


def test_wrong_number_of_parameters_is_refused():
    with pytest.raises(ValueError, match="takes 4 parameters"):
        state_space((1, 1, 1), (0, 0, 0), 1, True, np.ones(3), 0)


@pytest.mark.parametrize("season_length", [12, 1])
def test_a_fitted_arima_forecasts_what_statsmodels_forecasts(season_length):
    y = _series(121, 3, season_length)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = ARIMA(season_length=season_length).fit(y)
        res = fitted.results_  # statsmodels' filter of the fitted parameters
        theirs = res.get_forecast(12)
    ours = fitted.predict(12, level=(80, 95))
    np.testing.assert_allclose(ours.mean, theirs.predicted_mean, rtol=1e-9)
    for level, z in ((80, 1.2815515655446004), (95, 1.959963984540054)):
        sigma = (ours.upper[level] - ours.mean) / z
        np.testing.assert_allclose(sigma**2, theirs.var_pred_mean, rtol=1e-9)
    # a copy rebuilt from the saved state (NumPy filter and forecast, no statsmodels)
    names = ["y_", "X_", "n_obs_", *ARIMA._saved_state]
    twin = ARIMA(**fitted.get_params())
    twin._restore_state(fitted._state_to_save(names))
    assert twin._light and not fitted._light
    again = twin.predict(12, level=(80, 95))
    np.testing.assert_allclose(again.mean, ours.mean, rtol=1e-9)
    for level in (80, 95):
        np.testing.assert_allclose(again.upper[level], ours.upper[level], rtol=1e-9)
        np.testing.assert_allclose(again.lower[level], ours.lower[level], rtol=1e-9)
    np.testing.assert_allclose(
        twin.sample_paths(6, 20, random_state=0),
        fitted.sample_paths(6, 20, random_state=0),
        rtol=1e-9,
    )
    # new observations: the loaded copy runs its NumPy filter on, the fitted one statsmodels'
    more = _series(127, 3, season_length)[121:]
    np.testing.assert_allclose(
        twin.update(more).predict(6).mean, fitted.update(more).predict(6).mean, rtol=1e-9
    )


def test_a_loaded_arima_forecasts_without_statsmodels(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    import trendcast as tc

    y = _series(121, 4, 12)
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2010-01-01", periods=121, freq="MS"), "y": y}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = tc.TrendForecaster(models=ARIMA(season_length=12)).fit(frame)
    path = fc.save(tmp_path / "arima")
    expected = fc.predict(12)
    code = (
        "import sys, trendcast as tc\n"
        f"out = tc.load({str(path)!r}).predict(12)\n"
        "print(out['mean'].tolist())\n"
        "print(sorted(m for m in ('statsmodels', 'scipy.stats', 'sklearn') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    means, heavy = run.stdout.strip().splitlines()
    assert heavy == "[]"
    np.testing.assert_allclose(ast.literal_eval(means), expected["mean"].to_numpy(), rtol=1e-9)
