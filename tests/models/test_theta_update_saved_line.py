"""Theta's update keeps the grown line as a loaded Theta does, with the numbers it had.

``Theta._update`` used to build statsmodels' ``ThetaModel`` and
``ThetaModelResults`` for the grown window; it now keeps the same numbers in
a ``_SavedLine``. The old update is copied below (e7c5509) and both run on
fitted and loaded models, seasonal or not, additive or multiplicative, in one
step or two: forecasts, bounds, sample paths, in-sample forecasts and the
saved state must be equal to the bit, and a failing update must fail alike.
"""

from __future__ import annotations

import numpy as np
import pytest

from trendcast.exceptions import ModelFitError
from trendcast.models import Theta
from trendcast.models.theta import _line, _SavedLine, _season_from_start, _ses_errors

NAMES = ["y_", "X_", "n_obs_", *Theta._saved_state]


def _old_update(self: Theta, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
    """``Theta._update`` as it was: statsmodels' objects for the grown window."""
    from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults

    res = self.results_
    model = res.model
    start = int(self.n_obs_) - int(model.endog_orig.shape[0])
    if y_all.size - start < 2:
        raise ModelFitError(
            f"Theta's fitting window starts at observation {start}; "
            f"{y_all.size} observations do not reach past it"
        )
    window = np.asarray(y_all[start:], dtype=float)
    b0, alpha = _line(res)
    multiplicative = not model.method.startswith("add")
    seasonal = _season_from_start(res)
    if seasonal.size:
        factors = seasonal[np.arange(window.size) % seasonal.size]
        adjusted = window / factors if multiplicative else window - factors
    else:
        adjusted = window
    level = _ses_errors(adjusted, alpha)[1]
    if not (np.all(np.isfinite(adjusted)) and np.isfinite(level)):
        raise ModelFitError("Theta's state is not finite over the new observations")
    grown = ThetaModel(
        window, period=int(model.period), deseasonalize=bool(model.deseasonalize),
        method=str(model.method),
    )  # fmt: skip
    self.results_ = ThetaModelResults(b0, alpha, None, np.array([level]), seasonal, False, grown)


def _series(n: int, *, seasonal: bool = True, shift: float = 0.0, zeros: bool = False):
    rng = np.random.default_rng(n)
    t = np.arange(n)
    y = 60 + 0.4 * t + (10 * np.sin(2 * np.pi * t / 12) if seasonal else 0) + rng.normal(0, 3, n)
    if zeros:
        y = rng.poisson(0.7, n) * 2.0
    return y + shift


def _reloaded(model: Theta) -> Theta:
    twin = Theta(**model.get_params())
    twin._restore_state(model._state_to_save(NAMES))
    return twin


def _outcome(model: Theta) -> tuple:
    fc = model.predict(14, level=(50, 80, 95))
    paths = model.sample_paths(14, n_paths=64, random_state=3)
    state = model._state_to_save(NAMES)
    inside = model._one_step_in_sample(model.y_, None)
    return (
        fc.mean.tobytes(), {k: v.tobytes() for k, v in fc.lower.items()},
        {k: v.tobytes() for k, v in fc.upper.items()}, paths.tobytes(),
        {k: np.asarray(v).tobytes() if isinstance(v, np.ndarray) else v for k, v in state.items()},
        None if inside is None else inside.tobytes(),
    )  # fmt: skip


def _both(monkeypatch, make, steps) -> tuple:
    out = []
    for old in (False, True):
        with monkeypatch.context() as m:
            if old:
                m.setattr(Theta, "_update", _old_update)
            model = make()
            try:
                for new_rows in steps:
                    model.update(new_rows)
                out.append(_outcome(model))
            except ModelFitError as exc:
                out.append(("error", str(exc)))
    return out[0], out[1]


CASES = {
    "seasonal, multiplicative": dict(n=60, season_length=12),
    "seasonal, additive (negative values)": dict(n=60, season_length=12, shift=-100.0),
    "long seasonal (recent seasons only)": dict(n=200, season_length=12),
    "no season": dict(n=40, season_length=None, seasonal=False),
    "season of one": dict(n=25, season_length=1),
    "zero-heavy": dict(n=80, season_length=12, zeros=True),
    "short": dict(n=12, season_length=4),
}


@pytest.mark.parametrize("loaded", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_an_update_forecasts_what_the_statsmodels_update_did(monkeypatch, case, loaded):
    spec = dict(CASES[case])
    season = spec.pop("season_length")
    y = _series(**spec)
    fit_on, new = y[:-6], y[-6:]

    def make() -> Theta:
        model = Theta(season_length=season).fit(fit_on)
        return _reloaded(model) if loaded else model

    new_one, old_one = _both(monkeypatch, make, [new])
    assert new_one == old_one
    new_two, old_two = _both(monkeypatch, make, [new[:2], new[2:]])
    assert new_two == old_two
    model = make().update(new)
    assert isinstance(model.results_, _SavedLine)
    # saved and read back, the updated line forecasts the same
    assert _outcome(_reloaded(model)) == _outcome(model)


def test_a_state_that_is_not_finite_fails_as_before(monkeypatch):
    y = _series(60)

    def make() -> Theta:
        return Theta(season_length=12).fit(y[:-3])

    bad = np.array([np.inf, 5.0, 6.0])
    new, old = _both(monkeypatch, make, [bad])
    assert new == old and new[0] == "error"
