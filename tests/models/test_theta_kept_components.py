"""Theta keeps its forecast components for the last horizon asked, and never serves stale ones.

A nightly run asks a category's Theta for its components three times (the
forecast, then the forecast and the paths of its sample paths); they are
computed once. Every answer must equal a fresh computation, whatever came in
between: another horizon, another ``theta``, an update, a fit, a restore, a
pickle, or a caller that changed the arrays it was given.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from trendcast.models import Theta

NAMES = ["y_", "X_", "n_obs_", *Theta._saved_state]


def _series(n: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(n)
    t = np.arange(n)
    return 60 + 0.4 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, n) + shift


def _fresh(model: Theta, h: int) -> tuple:
    return model._computed_components(h)


def _equal(a: tuple, b: tuple) -> bool:
    return all(
        x.tobytes() == y.tobytes() if isinstance(x, np.ndarray) else x == y
        for x, y in zip(a, b, strict=True)
    )


def _check(model: Theta, h: int) -> None:
    assert _equal(model._components(h), _fresh(model, h))
    fc = model.predict(h, level=(80, 95))
    twin = pickle.loads(pickle.dumps(model))
    twin.__dict__.pop("_kept_components", None)  # a copy that computes from scratch
    want = twin.predict(h, level=(80, 95))
    assert fc.mean.tobytes() == want.mean.tobytes()
    assert all(fc.lower[k].tobytes() == want.lower[k].tobytes() for k in (80, 95))
    assert all(fc.upper[k].tobytes() == want.upper[k].tobytes() for k in (80, 95))
    got = model.sample_paths(h, n_paths=20, random_state=1)
    assert got.tobytes() == twin.sample_paths(h, n_paths=20, random_state=1).tobytes()


@pytest.mark.parametrize(("season", "shift"), [(12, 0.0), (12, -100.0), (None, 0.0), (1, 0.0)])
def test_every_answer_equals_a_fresh_computation(season, shift):
    y = _series(80, shift)
    model = Theta(season_length=season).fit(y[:-8])
    for h in (13, 13, 5, 13):
        _check(model, h)
    mean = model._components(13)[0]
    mean[:] = -1.0  # a caller that writes into what it was given
    _check(model, 13)
    model.set_params(theta=3.0)
    _check(model, 13)
    model.set_params(theta=2.0)
    _check(model, 13)
    model.update(y[-8:-4])
    _check(model, 13)
    model.update(y[-4:])
    _check(model, 13)
    restored = Theta(season_length=season)
    restored._restore_state(model._state_to_save(NAMES))
    _check(restored, 13)
    model.fit(y)
    _check(model, 13)
    twin = pickle.loads(pickle.dumps(model))  # the kept parts travel with their results
    _check(twin, 13)
    assert twin._kept_components[0] is twin.results_


def test_the_components_are_computed_once_for_a_forecast_and_its_paths(monkeypatch):
    model = Theta(season_length=12).fit(_series(60))
    calls = []
    original = Theta._computed_components
    monkeypatch.setattr(Theta, "_computed_components",
                        lambda self, h: calls.append(h) or original(self, h))  # fmt: skip
    model.predict(13, level=(80, 95))
    model.predict(13, level=(80, 95))
    model.sample_paths(13, n_paths=10, random_state=0)
    assert calls == [13]
