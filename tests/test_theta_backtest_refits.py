"""Theta's own update (issue 20) leaves the selection backtest as it was.

The backtest fits a candidate at its first origin and updates it through the
others. Theta refitted at every origin before it had an update; with one, its
backtest scores changed, and with them the selection of every candidate holding
Theta and the calibration drawn from its errors (the docs' printed fit reports
moved). The backtest refits it at every origin again (``backtest_refits``);
the forecaster's and the nightly job's ``update`` keep its parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from trendcast.backtest import _run_windows
from trendcast.models import ETS, Combination, Theta
from trendcast.models.base import refitting_updates


def _series(n: int = 72) -> np.ndarray:
    rng = np.random.default_rng(4)
    t = np.arange(n)
    return 200 + 1.5 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 6, n)


def test_the_backtest_refits_theta_at_every_origin():
    y = _series()
    points = [48, 54, 60]
    _, windows, error, _ = _run_windows(Theta(season_length=12), y, points, 6, (80,))
    assert error == ""
    for c, got in zip(points, windows, strict=True):
        fresh = Theta(season_length=12).fit(y[:c]).predict(y.size - c, level=(80,))
        assert np.array_equal(got.mean, fresh.mean)
        assert np.array_equal(got.upper[80], fresh.upper[80])


def test_a_combination_refits_its_theta_and_updates_its_ets_in_the_backtest():
    y = _series()
    proto = Combination([ETS(season_length=12), Theta(season_length=12)])
    _, windows, _, _ = _run_windows(proto, y, [48, 60], 6, ())
    ets = ETS(season_length=12).fit(y[:48]).update(y[48:60])  # ETS keeps its parameters
    theta = Theta(season_length=12).fit(y[:60])
    expected = (ets.predict(6).mean + theta.predict(6).mean) / 2
    assert windows[1].mean == pytest.approx(expected, rel=1e-12)


def test_outside_the_backtest_theta_updates_without_refitting():
    y = _series()
    updated = Theta(season_length=12).fit(y[:60]).update(y[60:])
    refit = Theta(season_length=12).fit(y)
    assert not np.allclose(updated.predict(6).mean, refit.predict(6).mean)
    with refitting_updates():
        again = Theta(season_length=12).fit(y[:60]).update(y[60:])
    assert np.array_equal(again.predict(6).mean, refit.predict(6).mean)
