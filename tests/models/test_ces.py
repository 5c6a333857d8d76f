"""CES (complex exponential smoothing): equations, filter, estimation, forms, update."""

from __future__ import annotations

import numpy as np
import pytest

import trendcast as tc
from trendcast.exceptions import ModelFitError
from trendcast.models import CES
from trendcast.models.ces import _BOUNDS, _NAMES, _errors, _initial_states, _n_states, _pass

FORMS = {
    "none": np.array([1.3, 0.9]),
    "simple": np.array([1.2, 0.95]),
    "partial": np.array([1.3, 0.9, 0.2]),
    "full": np.array([1.3, 0.9, 1.1, 0.95]),
}


def _equations(y, form, m, p, init):
    """The model of Svetunkov, Kourentzes and Ord (2022) written out, one period at a time.

    States are kept by time (index t + m holds the state after y[t]), so lagged
    states are read as x[t - 1] and x[t - m] literally.
    """
    a0, a1 = p[0], p[1]
    n = y.size
    lv = np.zeros(n + m)
    cv = np.zeros(n + m)
    sv = np.zeros(n + m)
    scv = np.zeros(n + m)
    if form == "simple":
        lv[:m], cv[:m] = init[:m], init[m:]
    else:
        lv[m - 1], cv[m - 1] = init[0], init[1]
        if form in ("partial", "full"):
            sv[:m] = init[2 : 2 + m]
        if form == "full":
            scv[:m] = init[2 + m :]
    errors = np.empty(n)
    for t in range(n):
        i = t + m
        lag = i - m if form == "simple" else i - 1
        yhat = lv[lag] + (sv[i - m] if form in ("partial", "full") else 0.0)
        e = y[t] - yhat
        errors[t] = e
        lv[i] = lv[lag] - (1 - a1) * cv[lag] + (a0 - a1) * e
        cv[i] = lv[lag] + (1 - a0) * cv[lag] + (a0 + a1) * e
        if form == "partial":
            sv[i] = sv[i - m] + p[2] * e
        if form == "full":
            b0, b1 = p[2], p[3]
            sv[i] = sv[i - m] - (1 - b1) * scv[i - m] + (b0 - b1) * e
            scv[i] = sv[i - m] + (1 - b0) * scv[i - m] + (b0 + b1) * e
    return errors


def _seasonal(n=96, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + 0.8 * t + 25 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, n)


@pytest.mark.parametrize("form", list(FORMS))
def test_recursion_and_filter_follow_the_equations(form):
    y = _seasonal()
    m = 1 if form == "none" else 12
    p = FORMS[form]
    init = _initial_states(y, form, m)
    expected = _equations(y, form, m, p, init)
    np.testing.assert_allclose(_pass(y, form, m, p, init)[0], expected, rtol=1e-12, atol=1e-9)
    # the rational filter continues the recursion exactly once the states are run in
    assert y.size > _n_states(form, m)
    np.testing.assert_allclose(_errors(y, form, m, p, init), expected, rtol=1e-9, atol=1e-7)


@pytest.mark.parametrize("form", list(FORMS))
def test_the_fit_minimizes_the_squared_errors_near_its_estimate(form):
    y = _seasonal(seed=2)
    model = CES(season_length=12, seasonality=form).fit(y)
    m = 1 if form == "none" else 12
    assert model.seasonality_ == form
    errors = _errors(y, form, m, model.params_, model.init_states_)
    best = float(errors @ errors)
    # the interval variance: the mean square of the one-step errors (for the simple
    # form, of those after its first season, which are zero by construction)
    informative = errors[m:] if form == "simple" else errors
    if form == "simple":
        np.testing.assert_array_equal(errors[:m], 0.0)
    assert model.sigma2_ == pytest.approx(np.mean(informative**2), rel=1e-9)
    rng = np.random.default_rng(0)
    low, high = np.array([_BOUNDS[k] for k in _NAMES[form]]).T
    for _ in range(20):  # no better point within the bounds nearby
        step = np.clip(model.params_ + rng.normal(0, 0.05, model.params_.size), low, high)
        other = float(np.sum(_errors(y, form, m, step, model.init_states_) ** 2))
        assert other >= best * (1 - 1e-3)


def test_forecast_is_the_recursion_run_on_without_errors():
    y = _seasonal(seed=3)
    model = CES(season_length=12, seasonality="full").fit(y)
    # append the forecasts as observations: their one-step errors must be zero
    h = 15
    mean = model.predict(h, level=()).mean
    extended = np.concatenate([y, mean])
    e = np.asarray(_pass(extended, "full", 12, model.params_, model.init_states_)[0])
    np.testing.assert_allclose(e[y.size :], 0.0, atol=1e-8 * np.abs(y).max())


def test_the_season_is_chosen_on_a_seasonal_series_and_not_on_white_noise():
    seasonal = CES(season_length=12).fit(_seasonal(n=120, seed=4))
    assert seasonal.seasonality_ != "none"
    noise = np.random.default_rng(5).normal(100, 5, 120)
    assert CES(season_length=12).fit(noise).seasonality_ == "none"
    # too short for two seasons: the non-seasonal form only
    assert CES(season_length=12).fit(_seasonal(n=20)).seasonality_ == "none"


def test_interval_variance_is_that_of_the_simulated_paths():
    y = _seasonal(seed=6)
    model = CES(season_length=12).fit(y)
    fc = model.predict(12, level=(80,))
    paths = model.sample_paths(12, n_paths=20000, random_state=1)
    half = fc.upper[80] - fc.mean
    sd_paths = paths.std(axis=0)
    np.testing.assert_allclose(half / 1.2815515655446004, sd_paths, rtol=0.03)
    # the variance grows with the horizon
    assert np.all(np.diff(half) >= -1e-9)


def test_update_runs_the_state_without_new_estimates():
    y = _seasonal(n=108, seed=7)
    model = CES(season_length=12).fit(y[:96])
    params = model.params_.copy()
    model.update(y[96:])
    np.testing.assert_array_equal(model.params_, params)
    refit = CES(season_length=12, seasonality=model.seasonality_)
    refit.params_, refit.init_states_ = params, model.init_states_
    refit.seasonality_, refit.sigma2_, refit.aicc_ = model.seasonality_, model.sigma2_, model.aicc_
    refit._run_filter(y)
    refit.y_, refit.n_obs_ = y, y.size
    np.testing.assert_allclose(model.predict(6).mean, refit.predict(6).mean, rtol=1e-12)
    # and it is not the forecast from before the update
    stale = CES(season_length=12).fit(y[:96]).predict(18).mean[12:]
    assert not np.allclose(model.predict(6).mean, stale)


def test_pinned_keeps_the_form():
    model = CES(season_length=12).fit(_seasonal(seed=8))
    twin = model.pinned()
    assert twin.seasonality == model.seasonality_
    assert not hasattr(twin, "params_")


def test_bad_settings_and_series_raise_model_fit_errors():
    with pytest.raises(ModelFitError, match="seasonality"):
        CES(seasonality="weekly").fit(_seasonal())
    with pytest.raises(ModelFitError, match="season_length"):
        CES(seasonality="full").fit(_seasonal())
    with pytest.raises(ModelFitError, match="constant"):
        CES().fit(np.full(30, 5.0))


def test_on_real_retail_sales_it_beats_seasonal_naive_in_most_categories():
    # the 64 US Census categories, ten years of training, the last twelve months held
    # out: CES is more accurate than "same month last year" in 44 of them
    df = tc.datasets.load_us_retail()
    wins = []
    for _, g in df.groupby("unique_id"):
        y = g["y"].to_numpy()[-132:]
        train, test = y[:-12], y[-12:]
        fc = CES(season_length=12).fit(train).predict(12, level=()).mean
        wins.append(np.mean(np.abs(fc - test)) < np.mean(np.abs(train[-12:] - test)))
    assert len(wins) == 64
    assert np.mean(wins) > 0.6


def test_minimum_lengths_leave_the_aicc_defined():
    rng = np.random.default_rng(1)
    cases = [
        ({}, 5),
        ({"season_length": 12, "seasonality": "simple"}, 17),
        ({"season_length": 4, "seasonality": "partial"}, 10),
        ({"season_length": 4, "seasonality": "full"}, 11),
        ({"season_length": 12, "seasonality": "full"}, 24),
    ]
    for params, shortest in cases:
        model = CES(**params)
        assert model.tags().min_length == shortest, params
        fitted = CES(**params).fit(rng.normal(10, 1, shortest))
        assert np.isfinite(fitted.aicc_)
        with pytest.raises(ModelFitError, match=f"at least {shortest} observations"):
            CES(**params).fit(rng.normal(10, 1, shortest - 1))


def test_a_forecast_variance_that_overflows_is_an_error_not_infinite_bounds():
    y = 100 * np.exp(0.05 * np.arange(52))  # fitted with an explosive transition
    model = CES().fit(y)
    assert np.all(np.isfinite(model.predict(24, level=(95,)).upper[95]))
    with pytest.raises(ModelFitError, match="variance is not finite"):
        model.predict(8000, level=(95,))
