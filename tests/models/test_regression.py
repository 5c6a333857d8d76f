"""Known-answer tests of RegressionModel (the contract test covers the shared behaviour)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

import trendcast as tc
from trendcast.models import RegressionModel
from trendcast.models.regression import _predict


def ar2(n: int, a1: float, a2: float, start=(1.0, 0.0)) -> np.ndarray:
    y = np.empty(n)
    y[:2] = start
    for t in range(2, n):
        y[t] = a1 * y[t - 1] + a2 * y[t - 2]
    return y


# a slowly damped oscillation (roots of modulus 0.99, period 10): well conditioned
A1, A2 = 2 * 0.99 * np.cos(2 * np.pi / 10), -(0.99**2)


def test_noiseless_ar2_coefficients_recovered_and_forecast_exact():
    y = ar2(130, A1, A2)
    model = RegressionModel(LinearRegression(), lags=[1, 2], transform="none").fit(y[:100])
    assert model.get_feature_names() == ["lag_1", "lag_2"]
    np.testing.assert_allclose(model.models_[0].coef_, [A1, A2], atol=1e-9)
    np.testing.assert_allclose(model.models_[0].intercept_, 0.0, atol=1e-9)
    np.testing.assert_allclose(model.predict(30).mean, y[100:], atol=1e-8)
    # no errors in the calibration: the intervals collapse on the exact forecast
    fc = model.predict(5, level=(95,))
    np.testing.assert_allclose(fc.upper[95] - fc.lower[95], 0.0, atol=1e-6)


def test_update_extends_the_lags_without_refitting():
    y = ar2(130, A1, A2)
    model = RegressionModel(LinearRegression(), lags=[1, 2], transform="none").fit(y[:80])
    estimator = model.models_[0]
    coef = estimator.coef_.copy()
    model.update(y[80:100])
    assert model.models_[0] is estimator
    np.testing.assert_array_equal(model.models_[0].coef_, coef)
    np.testing.assert_allclose(model.predict(30).mean, y[100:], atol=1e-8)


def seasonal_trend(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 200 + 2.0 * t + 30 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)


@pytest.mark.parametrize(
    "estimator",
    [None, DecisionTreeRegressor(min_samples_leaf=3, random_state=0)],
    ids=["RidgeCV", "tree"],
)
def test_trend_and_season_are_extrapolated(estimator):
    y = seasonal_trend(120)
    truth = seasonal_trend(144)[120:] - np.random.default_rng(0).normal(0, 1, 144)[120:]
    fc = RegressionModel(estimator, season_length=12).fit(y).predict(24)
    # the forecast keeps rising by 2 a month (24 a year) beyond the last observation
    assert np.mean(fc.mean[12:]) - np.mean(fc.mean[:12]) == pytest.approx(24, abs=1.5)
    assert np.mean(np.abs(fc.mean - truth)) < 3  # noise sd 1, season amplitude 30


def test_trees_on_the_level_cannot_extrapolate_the_trend():
    # why the default differences the target: without it the tree repeats history
    y = seasonal_trend(120)
    tree = DecisionTreeRegressor(min_samples_leaf=3, random_state=0)
    fc = RegressionModel(tree, season_length=12, transform="none").fit(y).predict(24)
    assert fc.mean.max() <= y.max() + 1e-9
    assert np.mean(fc.mean[12:]) - np.mean(fc.mean[:12]) < 12  # the trend adds 24 a year


def test_covariate_effect_moves_the_forecast_at_its_own_period():
    rng = np.random.default_rng(1)
    n, h, effect = 144, 12, 25.0
    promo = rng.binomial(1, 0.3, n + h).astype(float)
    t = np.arange(n + h)
    y = 500 + 1.5 * t + 40 * np.sin(2 * np.pi * t / 12) + effect * promo
    y += rng.normal(0, 2, n + h)
    model = RegressionModel(
        LinearRegression(), season_length=12, transform="seasonal_difference"
    ).fit(y[:n], promo[:n, None])
    base = promo[n:, None].copy()
    base[4] = 0.0
    lifted = base.copy()
    lifted[4] = 1.0
    a = model.predict(h, base).mean
    b = model.predict(h, lifted).mean
    np.testing.assert_array_equal(a[:4], b[:4])  # the future cannot change the past
    assert b[4] - a[4] == pytest.approx(effect, abs=1.0)
    assert np.mean(np.abs(a - y[n:])) < 4  # and the forecast itself is right
    with pytest.raises(ValueError, match="X_future"):
        model.predict(h)


def test_direct_and_recursive_agree_on_a_linear_ar1():
    t = np.arange(120)
    y = 50 + 40 * 0.96**t  # noiseless AR(1) around 50
    kw = {"estimator": LinearRegression(), "lags": [1], "transform": "none"}
    rec = RegressionModel(**kw).fit(y[:100]).predict(20).mean
    direct = RegressionModel(strategy="direct", horizon=20, **kw).fit(y[:100]).predict(20).mean
    np.testing.assert_allclose(rec, y[100:], rtol=1e-9)
    np.testing.assert_allclose(direct, rec, rtol=1e-9)


def test_direct_refuses_a_horizon_it_was_not_fitted_for():
    model = RegressionModel(season_length=12, strategy="direct", horizon=6).fit(seasonal_trend(96))
    assert len(model.models_) == 6
    with pytest.raises(ValueError, match="horizon=7"):
        model.predict(7)


def test_interval_coverage_on_simulated_ar1_is_near_nominal():
    # 300 independent AR(1) series, each fitted on 120 points and scored on the next 12
    rng = np.random.default_rng(2024)
    inside = {80: [], 95: []}
    widths = []
    for _ in range(300):
        e = rng.normal(0, 1, 232)
        y = np.empty(232)
        y[0] = 0.0
        for i in range(1, 232):
            y[i] = 0.7 * y[i - 1] + e[i]
        y = 20 + y[100:]  # burn-in dropped
        model = RegressionModel(LinearRegression(), transform="none").fit(y[:120])
        fc = model.predict(12, level=(80, 95))
        for lv in inside:
            inside[lv].append((y[120:] >= fc.lower[lv]) & (y[120:] <= fc.upper[lv]))
        widths.append(fc.upper[95] - fc.lower[95])
    assert np.mean(inside[80]) == pytest.approx(0.80, abs=0.03)
    assert np.mean(inside[95]) == pytest.approx(0.95, abs=0.02)
    # the AR(1) error variance grows with the horizon: so do the intervals
    w = np.mean(widths, axis=0)
    assert w[0] < w[2] < w[11]


def test_sample_paths_bootstrap_residuals_through_the_recursion():
    y = seasonal_trend(120)
    model = RegressionModel(season_length=12).fit(y)
    paths = model.sample_paths(12, 2000, random_state=0)
    assert paths.shape == (2000, 12)
    np.testing.assert_array_equal(paths, model.sample_paths(12, 2000, random_state=0))
    fc = model.predict(12, level=(80,))
    np.testing.assert_allclose(np.median(paths, axis=0), fc.mean, atol=1.0)
    assert np.std(paths[:, 11]) > np.std(paths[:, 0])
    # a noiseless series has no residuals to draw: every path is the forecast
    exact = RegressionModel(LinearRegression(), lags=[1, 2], transform="none").fit(ar2(100, A1, A2))
    np.testing.assert_allclose(
        exact.sample_paths(5, 10, random_state=0),
        np.tile(exact.predict(5).mean, (10, 1)),
        atol=1e-8,
    )


def test_estimator_is_cloned_and_its_params_are_nested():
    ridge = Ridge(alpha=3.0)
    model = RegressionModel(ridge, season_length=12)
    assert model.get_params(deep=True)["estimator__alpha"] == 3.0
    model.set_params(estimator__alpha=5.0)
    assert clone(model).get_params()["estimator__alpha"] == 5.0
    model.fit(seasonal_trend(96))
    assert not hasattr(ridge, "coef_")  # the caller's instance is never fitted
    assert model.models_[0] is not ridge and model.models_[0].alpha == 5.0
    assert model.name == "RegressionModel(Ridge)"
    assert RegressionModel().name == "RegressionModel(RidgeCV)"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"lags": [0, 1]}, "lags"),
        ({"transform": "boxcox"}, "transform"),
        ({"strategy": "multi"}, "strategy"),
        ({"season_features": "splines"}, "season_features"),
        ({"rolling_windows": [0]}, "rolling_windows"),
    ],
)
def test_bad_settings_raise_model_fit_error(params, match):
    with pytest.raises(tc.ModelFitError, match=match):
        RegressionModel(season_length=12, **params).fit(seasonal_trend(96))


def test_log_transform_needs_positive_values():
    y = seasonal_trend(96) - 300
    log_model = RegressionModel(season_length=12, transform="log_seasonal_difference")
    with pytest.raises(tc.ModelFitError, match="strictly positive"):
        log_model.fit(y)
    assert RegressionModel(season_length=12).fit(y).log_ is False
    model = clone(log_model).fit(seasonal_trend(96))
    assert model.log_ is True
    with pytest.raises(tc.ModelFitError, match="log scale"):
        model.update(np.array([-1.0]))
    assert model.n_obs_ == 96


def test_season_features_and_the_fast_linear_prediction():
    y = seasonal_trend(96)
    onehot = RegressionModel(season_length=12).fit(y)
    fourier = RegressionModel(season_length=12, season_features="fourier").fit(y)
    assert onehot.get_feature_names()[-12:] == [f"season_{j}" for j in range(12)]
    assert len(fourier.get_feature_names()) == 12 + 11  # 6 cosines, 5 sines (sin 6 is 0)
    # the recursion skips scikit-learn's input checks for linear models: same numbers
    F = np.random.default_rng(0).normal(size=(5, 24))
    np.testing.assert_allclose(_predict(onehot.models_[0], F), onehot.models_[0].predict(F))
