"""Batched shortcuts of the update night give the per-category numbers exactly.

The calibrated sample paths of all categories of one model are mapped in one
call a horizon step (``Calibration.adjust_paths_many``) instead of one call a
category and step; the mapping is elementwise, so every number must equal the
per-category route's bit for bit, and a forecaster's paths must not change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._calibration import Calibration
from trendcast.models.base import ModelForecast


def _calibration(rng: np.random.Generator, steps: int = 6) -> Calibration:
    at = np.tile(np.arange(1, steps + 1), 300)
    return Calibration({"m": ("Theta", [(at, 1.5 * rng.standard_t(4, at.size))])})


def test_adjusting_many_categories_at_once_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    cal = _calibration(rng)
    paths, forecasts = [], []
    for k in range(7):
        mean = np.linspace(10 + k, 40 + 3 * k, 6)
        sigma = np.linspace(1, 5, 6) * (1 + k / 3)
        fc = ModelForecast.from_normal(mean, sigma, (80,))
        fc.upper[80] = fc.upper[80] + k * 0.3  # asymmetric bounds: two scales
        drawn = mean + sigma * rng.standard_normal((120, 6)) * 2.5  # far tails too
        drawn[0] = mean  # zero deviations
        paths.append(drawn)
        forecasts.append(fc)
    forecasts[2].lower[80] = forecasts[2].mean.copy()  # a zero scale below the mean
    together = cal.adjust_paths_many("m", paths, forecasts)
    for got, p, f in zip(together, paths, forecasts, strict=True):
        assert np.array_equal(got, cal.adjust_paths("m", p, f))
    assert not np.array_equal(together[0], paths[0])  # the calibration did something
    # other shapes go one at a time; a model without a pool is left alone
    mixed = [paths[0], paths[1][:50]]
    one_by_one = cal.adjust_paths_many("m", mixed, forecasts[:2])
    for got, p, f in zip(one_by_one, mixed, forecasts[:2], strict=True):
        assert np.array_equal(got, cal.adjust_paths("m", p, f))
    assert cal.adjust_paths_many("other", paths[:2], forecasts[:2])[1] is paths[1]


@pytest.mark.parametrize("n_categories", [6, 12])  # 12: with per-category scales
def test_a_calibrated_forecasters_paths_are_those_of_the_per_category_route(
    monkeypatch, n_categories
):
    rng = np.random.default_rng(0)
    dates = pd.date_range("2021-01-03", periods=110, freq="W-SUN")
    panel = pd.concat(
        [
            pd.DataFrame({"unique_id": f"c{i}", "ds": dates,
                          "y": (50 + 10 * np.sin(np.arange(110) / 8 + i)
                                + rng.normal(0, 3 * (1 + i % 4), 110))})
            for i in range(n_categories)
        ],
        ignore_index=True,
    )  # fmt: skip
    fc = tc.TrendForecaster(
        models=[tc.models.Theta(), tc.models.Naive()], freq="W-SUN", backtest_windows=2
    ).fit(panel)
    assert fc.state_.calibration is not None
    assert bool(fc.state_.calibration.scales) == (n_categories >= 8)
    batched = fc.sample_paths(8, n_paths=64, random_state=5, output="arrays")

    def one_at_a_time(self, key, paths, forecasts, categories):
        return [
            self.adjust_paths(key, p, f, c)
            for p, f, c in zip(paths, forecasts, categories, strict=True)
        ]

    monkeypatch.setattr(Calibration, "adjust_paths_many", one_at_a_time)
    single = fc.sample_paths(8, n_paths=64, random_state=5, output="arrays")
    assert list(batched) == list(single)
    for key in single:
        assert np.array_equal(batched[key], single[key])


def test_period_numbers_of_numpy_dates_equal_those_of_an_index() -> None:
    from trendcast._frequency import period_number

    for unit in ("ns", "us", "s"):
        dates = pd.date_range("1950-01-01", periods=30_000, freq="D").as_unit(unit)
        dates = dates[np.random.default_rng(1).permutation(dates.size)]  # any order
        for freq in ("D", "W-SUN", "W-WED"):
            fast = period_number(dates.to_numpy(), freq)
            slow = period_number(pd.DatetimeIndex(dates), freq)
            assert fast.dtype == slow.dtype and np.array_equal(fast, slow), (unit, freq)
