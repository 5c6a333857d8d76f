"""Bad arguments to the models and the backtest raise a TrendcastError naming the parameter.

A setting no model can use is a ``ParameterError`` (also a ``ValueError``
and a ``TypeError``, so code written against the built-ins keeps working);
a setting that one model refuses when it is fitted stays a ``ModelFitError``
(the forecaster falls back from it with the reason). Either way
``except trendcast.TrendcastError`` catches it, and the message names the
parameter. Warnings point at the line that called the model.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

import trendcast as tc
from trendcast.backtest import mase_scale, score_models
from trendcast.models import (
    ARIMA,
    CES,
    ETS,
    SBA,
    TSB,
    Combination,
    Croston,
    DynamicTheta,
    Naive,
    PooledRegression,
    Prophet,
    RegressionModel,
    SeasonalNaive,
    Theta,
)


def _series(n: int = 48) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(n)
    return 100 + t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)


Y = _series()
SEASONAL = [ETS, Theta, DynamicTheta, CES, ARIMA, SeasonalNaive, RegressionModel, PooledRegression]


@pytest.mark.parametrize("cls", SEASONAL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("bad", [0, -12, 2.5, "12", True])
def test_a_bad_season_length_is_a_parameter_error(cls, bad):
    with pytest.raises(tc.ParameterError, match=r"season_length="):
        cls(season_length=bad).fit(Y)


def test_a_bad_season_length_reaches_the_members_of_a_combination():
    with pytest.raises(tc.TrendcastError, match="season_length=0"):
        Combination(season_length=0).fit(Y)


def test_prophet_checks_season_length_before_it_loads_prophet():
    with pytest.raises(tc.ParameterError, match="season_length=-1"):
        Prophet(season_length=-1).fit(Y)


def test_a_valid_season_length_is_read_as_before():
    # None is no season, numpy integers are integers
    assert SeasonalNaive().fit(Y).predict(1).mean[0] == Y[-1]
    assert SeasonalNaive(season_length=np.int64(12)).fit(Y).predict(1).mean[0] == Y[-12]


@pytest.mark.parametrize(
    ("model", "match"),
    [
        (ETS(model="XYZ"), "model="),
        (CES(season_length=12, seasonality="yearly"), "seasonality="),
        (Combination(method="mode"), "method="),
        (Croston(alpha=2.0), "alpha"),
        (TSB(loss="huber"), "loss="),
        (ARIMA(order=(1, -1, 0)), "order="),
        (RegressionModel(transform="sqrt"), "transform="),
        (RegressionModel(strategy="sideways"), "strategy="),
        (PooledRegression(window=0), "window=0"),
        (PooledRegression(max_samples=1), "max_samples="),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_an_unknown_method_or_setting_is_a_trendcast_error(model, match):
    with pytest.raises(tc.TrendcastError, match=match):
        model.fit(Y)


@pytest.mark.parametrize("level", [150, 0, 80.5, "80", (80, True)])
def test_bad_levels_are_a_parameter_error(level):
    model = Naive().fit(Y)
    with pytest.raises(tc.ParameterError, match="level"):
        model.predict(3, level=level)


@pytest.mark.parametrize("h", [0, -1, 2.0, True])
def test_a_bad_horizon_is_a_parameter_error(h):
    model = Theta(season_length=12).fit(Y)
    with pytest.raises(tc.ParameterError, match="h must be"):
        model.predict(h)
    with pytest.raises(tc.ParameterError, match="h must be"):
        model.sample_paths(h)


def test_bad_paths_and_simulations_are_parameter_errors():
    with pytest.raises(tc.ParameterError, match="n_paths"):
        Theta(season_length=12).fit(Y).sample_paths(3, n_paths=0)
    sparse = np.tile([0.0, 0.0, 3.0, 0.0, 1.0, 0.0], 8)
    with pytest.raises(tc.ParameterError, match="n_simulations"):
        SBA(n_simulations=0).fit(sparse).predict(3)


def test_covariates_that_do_not_match_the_fit_are_parameter_errors():
    plain = Naive().fit(Y)
    with pytest.raises(tc.ParameterError, match="X_future"):
        plain.predict(2, X_future=np.ones((2, 1)))
    with pytest.raises(tc.ParameterError, match="X_new"):
        plain.update(Y[:2], X_new=np.ones((2, 1)))
    X = np.arange(Y.size, dtype=float)[:, None]
    with_x = ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0)).fit(Y, X)
    with pytest.raises(tc.ParameterError, match="X_future"):
        with_x.predict(2)
    with pytest.raises(tc.ParameterError, match="X_future"):
        with_x.predict(2, X_future=np.ones((3, 1)))
    with pytest.raises(tc.ParameterError, match="X_future"):
        with_x.predict(2, X_future=np.ones((2, 2)))


def test_the_direct_strategy_names_the_horizon_it_was_fitted_for():
    model = RegressionModel(season_length=12, strategy="direct", horizon=3).fit(Y)
    with pytest.raises(tc.ParameterError, match="horizon="):
        model.predict(6)


@pytest.mark.parametrize(("name", "value"), [("cut", 0), ("step", 0), ("cut", 1.5)])
def test_train_pool_checks_its_arguments(name, value):
    args = {"cut": 6, "step": 1, name: value}
    with pytest.raises(tc.ParameterError, match=f"{name} must be"):
        PooledRegression(season_length=12).train_pool([Y], **args)


@pytest.mark.parametrize("bad", [0, -1, None, 1.5])
def test_the_backtest_checks_season_length(bad):
    with pytest.raises(tc.ParameterError, match="season_length="):
        score_models(Y, [Naive()], h=6, n_windows=2, season_length=bad)
    with pytest.raises(tc.ParameterError, match="season_length="):
        mase_scale(Y, bad)


def test_a_parameter_error_is_still_a_value_error_and_a_type_error():
    with pytest.raises(ValueError, match="level"):
        Naive().fit(Y).predict(3, level=150)
    with pytest.raises(TypeError, match="season_length"):
        ETS(season_length="12").fit(Y)


def test_a_convergence_warning_points_at_the_callers_line(monkeypatch):
    monkeypatch.setattr("trendcast.models.ets._MAXITER", 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ETS(season_length=12, model="AAN").fit(Y)
    found = [w for w in caught if issubclass(w.category, tc.ConvergenceWarning)]
    assert found
    assert all(w.filename == __file__ for w in found)


def test_arima_warns_at_the_callers_line_when_its_fit_does_not_converge(monkeypatch):
    from trendcast.models import _arima_fit

    def unconverged(self, start, maxiter=30):
        return dataclasses.replace(start, converged=False)

    monkeypatch.setattr(_arima_fit.Problem, "fit_mle", unconverged)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ARIMA(order=(1, 1, 0), seasonal_order=(0, 0, 0)).fit(Y)
    found = [w for w in caught if issubclass(w.category, tc.ConvergenceWarning)]
    assert found
    assert all(w.filename == __file__ for w in found)
