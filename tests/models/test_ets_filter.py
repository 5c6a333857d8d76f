"""ETS's recursion in plain Python gives statsmodels' numbers, to the last bit.

``ETS`` runs its fitted recursion with ``_ets_filter.ets_filter`` (no statsmodels
import on load or predict); statsmodels' compiled smoother is the reference,
reached through ``ETS._statsmodels_filter``. Every form ETS fits is compared:
additive and multiplicative error, no, additive and damped trend, no, additive
and multiplicative season; and the forecasts (means, bounds) made from both.
"""

from __future__ import annotations

import numpy as np
import pytest

from trendcast.models import ETS
from trendcast.models._ets_filter import ets_filter, parameter_count
from trendcast.models._shared import season_length_or_one

FORMS = [
    ("A", "N", False, "N"),
    ("A", "A", False, "N"),
    ("A", "A", True, "N"),
    ("A", "N", False, "A"),
    ("A", "A", True, "A"),
    ("M", "N", False, "N"),
    ("M", "A", True, "N"),
    ("M", "N", False, "A"),
    ("M", "N", False, "M"),
    ("M", "A", False, "M"),
    ("M", "A", True, "M"),
    ("A", "A", False, "A"),
]


def _series(seed: int, n: int = 72) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 1.0 + 0.25 * np.sin(2 * np.pi * t / 12)
    return (100 + 0.8 * t) * season * np.exp(rng.normal(0, 0.05, n))


def _fitted(form: tuple, seed: int) -> ETS:
    e, t, d, s = form
    model = ETS(model=f"{e}{t}{s}", damped=d, season_length=12)
    return model.fit(_series(seed))


@pytest.mark.parametrize("form", FORMS, ids=lambda f: "".join(str(x)[0] for x in f))
@pytest.mark.parametrize("seed", [0, 1])
def test_the_python_recursion_is_statsmodels_smoother_bit_for_bit(form, seed):
    model = _fitted(form, seed)
    assert model.form_ == form
    m = season_length_or_one(model.season_length)
    ours = ets_filter(model.y_, model.form_, m, model.params_)
    theirs = model._statsmodels_filter(model.y_, m)
    np.testing.assert_array_equal(ours.last_state, theirs.last_state)
    np.testing.assert_array_equal(ours.smoothing, theirs.smoothing)
    np.testing.assert_array_equal(ours.fitted, theirs.fitted)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: "".join(str(x)[0] for x in f))
def test_forecasts_from_either_recursion_agree(form):
    model = _fitted(form, 3)
    ours = model.predict(18, level=(50, 80, 95))
    m = season_length_or_one(model.season_length)
    theirs_state = model._statsmodels_filter(model.y_, m)
    twin = _fitted(form, 3)
    twin._last_state, twin._smoothing = theirs_state.last_state, theirs_state.smoothing
    resid = twin.y_ - theirs_state.fitted
    if form[0] == "M":
        resid = resid / theirs_state.fitted
    twin._sigma2 = float(np.mean(resid**2))
    theirs = twin.predict(18, level=(50, 80, 95))
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-12, atol=0)
    for level in (50, 80, 95):
        np.testing.assert_allclose(ours.lower[level], theirs.lower[level], rtol=1e-12, atol=0)
        np.testing.assert_allclose(ours.upper[level], theirs.upper[level], rtol=1e-12, atol=0)


def test_a_zero_seasonal_state_falls_back_to_statsmodels_infinity():
    # a multiplicative season with a zero state: C divides to an infinity, Python raises
    model = _fitted(("M", "N", False, "M"), 0)
    params = model.params_.copy()
    params[-1] = 0.0  # the initial seasonal state used first
    with pytest.raises(ZeroDivisionError):
        ets_filter(model.y_, model.form_, 12, params)
    model.params_ = params
    model._run_filter(model.y_)  # statsmodels' smoother: no error, non-finite numbers
    assert not np.all(np.isfinite(model._last_state))


@pytest.mark.parametrize(
    ("form", "m", "n_params", "message"),
    [
        (("A", "N", True, "N"), 1, 3, "dampen"),
        (("A", "N", False, "A"), 1, 4, "seasonal_periods"),
        (("A", "A", False, "N"), 1, 3, "takes 4 parameters"),
    ],
)
def test_forms_and_parameters_statsmodels_would_refuse_are_refused(form, m, n_params, message):
    with pytest.raises(ValueError, match=message):
        ets_filter(np.arange(1.0, 30.0), form, m, np.full(n_params, 0.1))


def test_multiplicative_forms_refuse_non_positive_history():
    with pytest.raises(ValueError, match="strictly positive"):
        ets_filter(np.array([1.0, 0.0, 2.0]), ("M", "N", False, "N"), 1, np.array([0.1, 1.0]))


def test_parameter_count_matches_statsmodels():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = _series(0)
    for form in FORMS:
        e, t, d, s = form
        model = ETSModel(
            y,
            error={"A": "add", "M": "mul"}[e],
            trend={"A": "add", "N": None}[t],
            damped_trend=d,
            seasonal={"A": "add", "M": "mul", "N": None}[s],
            seasonal_periods=12 if s != "N" else None,
        )
        assert parameter_count(form, 12) == model.k_params, form
