"""Known-answer tests of the automatic ARIMA model."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import lfilter
from scipy.stats import norm

import trendcast as tc
from trendcast.models import ARIMA


def ar1(n: int, phi: float, seed: int, sigma: float = 1.0) -> np.ndarray:
    e = np.random.default_rng(seed).normal(0, sigma, n + 100)
    return lfilter([1.0], [1.0, -phi], e)[100:]


def test_ar1_recovers_the_order_and_the_coefficient():
    n, phi = 300, 0.6
    m = ARIMA().fit(10.0 + ar1(n, phi, seed=0))
    assert m.arima_order_ == (1, 0, 0)
    assert m.constant_
    se = np.sqrt((1 - phi**2) / n)  # asymptotic standard error of the AR(1) estimate
    ar = m.params_[1]
    assert abs(ar - phi) < 3 * se
    assert m.name == "ARIMA(1,0,0) with mean"


def test_random_walk_gets_one_difference():
    y = 50 + np.cumsum(np.random.default_rng(1).normal(size=200))
    m = ARIMA().fit(y)
    assert m.arima_order_[1] == 1


def test_seasonal_unit_root_gets_a_seasonal_difference():
    # y_t = y_{t-12} + e_t: a seasonal random walk around a fixed yearly pattern
    rng = np.random.default_rng(2)
    pattern = 20 * np.sin(2 * np.pi * np.arange(12) / 12)
    y = np.tile(pattern, 12) + lfilter([1.0], np.r_[1.0, np.zeros(11), -1.0], rng.normal(size=144))
    m = ARIMA(season_length=12).fit(100 + y)
    assert m.seasonal_arima_order_[1] == 1
    assert "[12]" in m.name
    # without a season length there is no seasonal part to find
    assert ARIMA().fit(100 + y).seasonal_arima_order_ == (0, 0, 0)


def test_regression_with_arima_errors_recovers_the_coefficient():
    n, beta = 200, 3.0
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 1))
    y = 20 + beta * x[:, 0] + ar1(n, 0.5, seed=4)
    m = ARIMA().fit(y, x)
    assert m.name.startswith("Regression with ARIMA(")
    assert abs(m.params_[1] - beta) < 0.15  # about 2.5 standard errors
    fc0 = m.predict(2, X_future=np.zeros((2, 1))).mean
    fc1 = m.predict(2, X_future=np.ones((2, 1))).mean
    np.testing.assert_allclose(fc1 - fc0, m.params_[1])


def test_update_keeps_parameters_and_moves_the_forecast():
    y = 10.0 + ar1(160, 0.7, seed=5)
    m = ARIMA(order=(1, 0, 0), include_constant=True).fit(y[:150])
    params = m.params_.copy()
    before = m.predict(1).mean[0]
    m.update(y[150:])
    np.testing.assert_array_equal(m.params_, params)
    np.testing.assert_array_equal(m.results_.params, params)
    assert m.n_obs_ == 160
    after = m.predict(1).mean[0]
    assert after != before
    # the one-step forecast from the new state: mean + phi * (last - mean)
    mean = params[0] / (1 - params[1])
    assert after == pytest.approx(mean + params[1] * (y[-1] - mean))


def test_sample_paths_are_joint_and_match_the_intervals():
    y = 100 + np.cumsum(np.random.default_rng(6).normal(size=120))
    m = ARIMA().fit(y)
    paths = m.sample_paths(6, n_paths=4000, random_state=0)
    assert paths.shape == (4000, 6)
    np.testing.assert_array_equal(paths, m.sample_paths(6, n_paths=4000, random_state=0))
    fc = m.predict(6, level=(80,))
    sigma = (fc.upper[80] - fc.lower[80]) / (2 * norm.ppf(0.9))
    q10, q90 = np.quantile(paths, [0.1, 0.9], axis=0)
    # the quantile of 4,000 draws has a standard error of about 0.03 sigma
    np.testing.assert_array_less(np.abs(q10 - fc.lower[80]), 0.12 * sigma)
    np.testing.assert_array_less(np.abs(q90 - fc.upper[80]), 0.12 * sigma)
    # a random walk: later periods of one path build on the earlier ones
    assert np.corrcoef(paths[:, 0], paths[:, 5])[0, 1] > 0.3


def test_fixed_orders_skip_the_search():
    y = 10.0 + ar1(120, 0.5, seed=7)
    m = ARIMA(order=(0, 0, 2), seasonal_order=(0, 0, 0), include_constant=False).fit(y)
    assert m.name == "ARIMA(0,0,2)"
    assert m.params_.size == 3  # two MA coefficients and the variance


def test_failures_raise_model_fit_error():
    with pytest.raises(tc.ModelFitError, match="constant"):
        ARIMA().fit(np.full(40, 3.0))
    with pytest.raises(tc.ModelFitError, match="three non-negative integers"):
        ARIMA(order=(1, -1, 0)).fit(ar1(50, 0.5, seed=8))
    with pytest.raises(tc.ModelFitError, match="at least"):
        ARIMA(season_length=12, seasonal_order=(0, 1, 0)).fit(np.arange(15.0))


def test_pinned_copy_repeats_the_chosen_orders_without_a_search():
    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-120:]
    fitted = ARIMA(season_length=12).fit(y[:-12])
    twin = fitted.pinned()
    assert not hasattr(twin, "arima_order_")
    twin.fit(y)
    assert twin.arima_order_ == fitted.arima_order_
    assert twin.seasonal_arima_order_ == fitted.seasonal_arima_order_
    assert twin.constant_ == fitted.constant_


def test_refit_copy_searches_the_orders_again_on_the_longer_history():
    # 18 more months change the orders of this category; a refit copy searches again
    # from the old orders and finds those of a full search on all the data, a pinned
    # copy keeps the old ones
    y = tc.datasets.load_us_retail(categories=["4413"])["y"].to_numpy()[-120:]
    fitted = ARIMA(season_length=12).fit(y[:-18])
    direct = ARIMA(season_length=12).fit(y)
    assert fitted.name != direct.name
    twin = fitted.refit_copy()
    assert not hasattr(twin, "arima_order_")
    assert twin.fit(y).name == direct.name
    assert fitted.pinned().fit(y).arima_order_ == fitted.arima_order_
    # the second search starts from the orders found: from the optimum of the same
    # data it stays there
    p, _, q = fitted.arima_order_
    P, _, Q = fitted.seasonal_arima_order_
    assert twin.search_start == (p, q, P, Q)
    assert fitted.refit_copy().fit(y[:-18]).name == fitted.name
    # orders the caller fixed stay fixed
    fixed = ARIMA(season_length=12, order=(1, 1, 0)).fit(y[:-18]).refit_copy().fit(y)
    assert fixed.arima_order_ == (1, 1, 0)


def test_a_search_from_a_start_tries_fewer_orders_and_a_bad_start_says_why(monkeypatch):
    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-120:]
    tried: list[int] = []
    original = ARIMA._search

    def counting(self, problem, n, n_diff):
        fits = original(self, problem, n, n_diff)
        tried.append(len(fits))
        return fits

    monkeypatch.setattr(ARIMA, "_search", counting)
    full = ARIMA(season_length=12).fit(y)
    p, _, q = full.arima_order_
    P, _, Q = full.seasonal_arima_order_
    again = ARIMA(season_length=12, search_start=(p, q, P, Q)).fit(y)
    assert again.name == full.name
    assert tried[1] < tried[0]
    with pytest.raises(tc.ModelFitError, match="search_start="):
        ARIMA(season_length=12, search_start=(1, 1, 0)).fit(y)


def test_own_innovations_equal_statsmodels_arma_innovations():
    # the search and the exact fits call _innovations instead of statsmodels'
    # arma_innovations (same compiled algorithm, own autocovariances)
    from statsmodels.tsa.innovations.arma_innovations import arma_innovations

    from trendcast.models._arima_fit import Candidate, Problem, _innovations

    rng = np.random.default_rng(3)
    problem = Problem(rng.normal(size=90), None, 12)
    for c in [
        Candidate(0, 0, 0, 0, False),
        Candidate(1, 0, 0, 0, True),
        Candidate(0, 2, 0, 1, False),
        Candidate(2, 1, 1, 0, False),
        Candidate(3, 3, 2, 2, True),
        Candidate(1, 1, 2, 1, False),
    ]:
        for _ in range(5):
            theta = rng.normal(scale=1.5, size=int(c.constant) + c.n_arma)
            parts = problem.unpack(c, theta)
            ar, ma = problem.polynomials(c, theta)
            z = problem._noise(parts)
            u, v = _innovations(z, ar, ma)
            u_sm, v_sm = arma_innovations(z, ar_params=-ar[1:], ma_params=ma[1:])
            # rounding differs where a root is near the unit circle: compare on the scale of u
            np.testing.assert_allclose(u, u_sm, rtol=1e-8, atol=1e-9 * np.abs(u_sm).max())
            np.testing.assert_allclose(v, v_sm, rtol=1e-8)


def test_an_exact_fit_heading_for_the_unit_circle_is_given_up_early():
    # white noise differenced once is an MA(1) with theta = -1: the exact fit walks
    # to the unit circle, where the root check would reject it anyway; it is given
    # up after _MLE_CHECK iterations instead of running to convergence (47 calls)
    from trendcast.models import _arima_fit
    from trendcast.models._arima_fit import Candidate, Problem

    w = np.diff(np.random.default_rng(8).normal(size=200))
    problem = Problem(w, None, 1)
    calls = []
    inner = problem._scaled_innovations
    problem._scaled_innovations = lambda c, t: calls.append(1) or inner(c, t)
    c = Candidate(0, 1, 0, 0, False)
    fit = problem.fit_mle(problem.fit_css(c))
    assert not np.isfinite(fit.aicc)
    assert not problem.roots_ok(c, fit.theta)
    assert len(calls) <= _arima_fit._MLE_CHECK * 2 + 3


def test_exact_fit_reaches_the_maximum_of_the_exact_likelihood():
    # fit_mle minimises the likelihood written as a sum of squares; a general
    # optimizer on the likelihood itself must not find a higher value
    from scipy.optimize import minimize

    from trendcast.models._arima_fit import Candidate, Problem

    e = np.random.default_rng(3).normal(size=241)
    w = lfilter([1.0, 0.4], [1.0, -0.5], e)[1:]  # ARMA(1,1)
    problem = Problem(w, None, 1)
    cand = Candidate(1, 1, 0, 0, True)
    fit = problem.fit_mle(problem.fit_css(cand))
    direct = minimize(
        lambda t: -problem.loglike(cand, t),
        fit.theta + 0.3,
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000},
    )
    assert fit.converged
    assert fit.loglike >= -direct.fun - 1e-6
    _, _, ar, ma, _, _ = problem.unpack(cand, fit.theta)
    assert abs(ar[0] - 0.5) < 0.15 and abs(ma[0] - 0.4) < 0.15


def test_fixed_orders_keep_the_css_fit_when_ml_reaches_the_unit_circle():
    # white noise differenced once is MA(1) with theta = -1: exact ML runs to the
    # unit circle. With no other order to try, the CSS estimates are kept (before,
    # the fit failed and "auto" fell back to a full search of every member).
    y = 100 + np.random.default_rng(1).standard_normal(60)
    m = ARIMA(order=(0, 1, 1), seasonal_order=(0, 0, 0), include_constant=False).fit(y)
    assert m.arima_order_ == (0, 1, 1)
    ma = m.params_[0]
    assert -1 / 1.01 <= ma < -0.5  # close to, but inside, the invertible region


def test_exact_fit_that_does_not_converge_is_rejected():
    # an exact ML fit stopped by the iteration limit is not taken: infinite AICc
    # (the order search then tries its next order)
    from dataclasses import replace

    from trendcast.models._arima_fit import Candidate, Problem

    e = np.random.default_rng(3).normal(size=241)
    w = lfilter([1.0, 0.4], [1.0, -0.5], e)[1:]
    problem = Problem(w, None, 1)
    cand = Candidate(1, 1, 0, 0, True)
    css = problem.fit_css(cand)
    far = css.theta + np.array([0.0, 1.0, -1.0])  # far from the optimum: needs iterations
    start = replace(css, theta=far, loglike=problem.loglike(cand, far))
    stopped = problem.fit_mle(start, maxiter=1)
    assert not stopped.converged
    assert stopped.aicc == np.inf
    assert problem.fit_mle(start).converged


def test_pickled_copy_leaves_the_filter_output_behind_and_forecasts_the_same():
    # a seasonal model's filter output is megabytes; a pickled copy (sent between
    # processes) carries parameters and history and filters again when used
    import pickle

    rng = np.random.default_rng(8)
    t = np.arange(120)
    y = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 120)
    m = ARIMA(season_length=12, order=(0, 1, 1), seasonal_order=(0, 1, 1)).fit(y[:108])
    before = m.predict(6, level=(80,))
    blob = pickle.dumps(m)
    assert m._results is not None  # the original keeps its results
    assert len(blob) < 50_000 < len(pickle.dumps(m._results))
    copy = pickle.loads(blob)
    after = copy.predict(6, level=(80,))
    np.testing.assert_allclose(after.mean, before.mean)
    np.testing.assert_allclose(after.lower[80], before.lower[80])
    # an update of the copy (no results yet) equals an update of the original
    copy2 = pickle.loads(blob)
    m.update(y[108:])
    copy2.update(y[108:])
    np.testing.assert_allclose(copy2.predict(6).mean, m.predict(6).mean)


def test_seasonal_strength_is_that_of_r_nsdiffs_with_a_locally_constant_season():
    # R's nsdiffs(test="seas") measures seasonal strength on mstl/stl with
    # s.window = 11 and stl's default s.degree = 0. With statsmodels' default
    # seasonal_deg=1 this random walk with a weak season measured 0.66 and was
    # differenced seasonally; with s.degree 0 it measures 0.59, below R's 0.64
    from trendcast.models.arima import _seasonal_strength

    rng = np.random.default_rng(167)
    t = np.arange(108)
    y = (
        100
        + np.cumsum(rng.normal(0, 1, 108))
        + rng.uniform(0, 3) * np.sin(2 * np.pi * t / 12)
        + rng.normal(0, 1, 108)
    )
    assert 0.55 < _seasonal_strength(y, 12) < 0.64
    assert ARIMA(season_length=12).fit(y).seasonal_arima_order_[1] == 0
