"""Prophet: known answers, holidays and calendar effects, parallel fits, quiet logs."""

from __future__ import annotations

import logging

import holidays
import numpy as np
import pandas as pd
import pytest
from joblib import Parallel, delayed

import trendcast as tc
from trendcast.models import Prophet


def test_linear_trend_and_yearly_season_are_forecast_almost_exactly():
    t = np.arange(132)
    y = 200 + 2 * t + 20 * np.sin(2 * np.pi * t / 12) + 10 * np.cos(2 * np.pi * t / 12)
    fc = Prophet(freq="MS").fit(y[:120]).predict(12)
    np.testing.assert_allclose(fc.mean, y[120:], rtol=0.002)


def test_season_length_picks_the_frequency():
    model = Prophet(season_length=12).fit(np.arange(1.0, 40.0))
    assert model.freq_ == "MS"
    assert model.first_date_ == pd.Timestamp("2000-01-01")
    assert Prophet(season_length=52).fit(np.arange(1.0, 40.0)).first_date_ == pd.Timestamp(
        "2000-01-02"  # the first Sunday: W-SUN weeks end on Sunday
    )


def test_regressor_with_a_known_effect_is_recovered():
    rng = np.random.default_rng(0)
    t = np.arange(132)
    x = rng.normal(0, 1, 132)
    y = 200 + 0.5 * t + 15 * x + rng.normal(0, 1, 132)
    model = Prophet(freq="MS", yearly_seasonality=False).fit(y[:120], x[:120, None])
    base = model.predict(12, X_future=x[120:, None]).mean
    shifted = model.predict(12, X_future=x[120:, None] + 1).mean
    np.testing.assert_allclose(shifted - base, 15, rtol=0.03)


def test_country_holidays_show_on_the_holiday_in_daily_data():
    rng = np.random.default_rng(1)
    us = holidays.country_holidays("US", years=range(2021, 2026))
    days = pd.date_range("2021-01-01", "2025-07-19", freq="D")
    t = np.arange(days.size)
    on_holiday = np.array([d.date() in us for d in days], dtype=float)
    truth = 100 + 0.01 * t + 5 * np.sin(2 * np.pi * t / 7) + 40 * on_holiday
    y = truth + rng.normal(0, 1, t.size)
    n = int(np.searchsorted(days, pd.Timestamp("2025-01-01")))
    h = days.size - n
    fc = Prophet(freq="D", start="2021-01-01", country_holidays="US").fit(y[:n]).predict(h)
    error = pd.Series(fc.mean - truth[n:], index=days[n:])
    # Independence Day 2025 (a Friday) and Memorial Day (26 May) carry their 40 units
    assert abs(error["2025-07-04"]) < 2 and abs(error["2025-05-26"]) < 2
    assert np.abs(error).max() < 2
    plain = Prophet(freq="D", start="2021-01-01").fit(y[:n]).predict(h).mean - truth[n:]
    assert abs(plain[days[n:] == pd.Timestamp("2025-07-04")][0]) > 30


def test_calendar_moves_the_spring_festival_effect_between_january_and_february():
    rng = np.random.default_rng(2)
    months = pd.date_range("2012-01-01", periods=156, freq="MS")
    calendar = tc.ShoppingCalendar(country=None, events=["spring_festival"])
    festival = calendar.features(months)["event_spring_festival"].to_numpy()
    t = np.arange(156)
    y = 500 + 2 * t + 30 * np.sin(2 * np.pi * t / 12) + 80 * festival + rng.normal(0, 2, 156)
    # 2024: the festival is in February (2024-02-10)
    with_calendar = Prophet(freq="MS", start="2012-01-01", calendar=calendar).fit(y[:144])
    error = with_calendar.predict(3).mean - y[144:147]
    assert np.all(np.abs(error) < 8)
    plain = Prophet(freq="MS").fit(y[:144]).predict(3).mean - y[144:147]
    assert np.abs(plain).max() > 25  # the yearly season alone cannot know which month


def test_logistic_growth_stays_under_the_cap():
    t = np.arange(96)
    y = 1000 / (1 + np.exp(-(t - 40) / 8))
    model = Prophet(freq="MS", growth="logistic", cap=1000.0, yearly_seasonality=False)
    fc = model.fit(y).predict(24)
    assert np.all(fc.mean <= 1000 + 1e-6)
    assert fc.mean[-1] > 990


def test_all_levels_come_from_one_set_of_draws_and_seed_repeats_them():
    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-96:]
    model = Prophet(season_length=12, seasonality_mode="multiplicative").fit(y)
    fc = model.predict(6, level=(50, 80, 95))
    assert np.all(fc.lower[95] < fc.lower[80]) and np.all(fc.lower[80] < fc.lower[50])
    assert np.all(fc.upper[50] < fc.upper[80]) and np.all(fc.upper[80] < fc.upper[95])
    paths = model.sample_paths(6, n_paths=400, random_state=7)
    assert paths.shape == (400, 6)
    np.testing.assert_array_equal(paths, model.sample_paths(6, n_paths=400, random_state=7))
    assert not np.array_equal(paths, model.sample_paths(6, n_paths=400, random_state=8))
    # the paths spread like the intervals: about 90% of draws inside the 90% band
    band = model.predict(6, level=(90,))
    inside = (paths >= band.lower[90]) & (paths <= band.upper[90])
    assert 0.85 < inside.mean() < 0.95


def test_global_random_state_is_left_alone():
    # Prophet draws from NumPy's legacy global generator; the model seeds and restores it
    np.random.seed(123)  # noqa: NPY002
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    Prophet(freq="MS").fit(np.arange(1.0, 40.0)).predict(3)
    assert np.random.random() == expected  # noqa: NPY002


def _fit_predict(y: np.ndarray) -> np.ndarray:
    return Prophet(season_length=12).fit(y).predict(6).mean


def test_fits_in_parallel_loky_workers():
    sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    series = [g["y"].to_numpy()[-96:] for _, g in sales.groupby("unique_id")]
    parallel = Parallel(n_jobs=2, backend="loky")(delayed(_fit_predict)(y) for y in series)
    for got, y in zip(parallel, series, strict=True):
        np.testing.assert_allclose(got, _fit_predict(y))


def test_fit_and_predict_print_nothing_and_leave_logging_as_found(capfd):
    root = logging.getLogger()
    root_state = (root.level, list(root.handlers))
    levels = {name: logging.getLogger(name).level for name in ("prophet", "cmdstanpy")}
    Prophet(season_length=12).fit(np.arange(1.0, 40.0)).predict(3)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert (root.level, list(root.handlers)) == root_state
    # prophet/cmdstanpy keep their own levels (cmdstanpy sets DEBUG on first use)
    after = {name: logging.getLogger(name).level for name in ("prophet", "cmdstanpy")}
    assert after["prophet"] == levels["prophet"]
    assert after["cmdstanpy"] in (levels["cmdstanpy"], logging.DEBUG)


def test_warm_started_update_uses_the_previous_parameters():
    y = tc.datasets.load_us_retail(categories=["4541"])["y"].to_numpy()[-150:]
    cold = Prophet(season_length=12, seasonality_mode="multiplicative").fit(y[:144])
    warm = Prophet(season_length=12, seasonality_mode="multiplicative", warm_start=True)
    warm.fit(y[:144])
    cold.update(y[144:])
    warm.update(y[144:])
    assert warm.n_obs_ == cold.n_obs_ == 150
    a, b = warm.predict(6).mean, cold.predict(6).mean
    # same optimum up to the optimizer's tolerance, but not the same run: init was used
    assert not np.array_equal(a, b)
    np.testing.assert_allclose(a, b, rtol=0.02)
    assert not hasattr(warm, "_warm_init")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"freq": "D", "country_holidays": "US"}, "need the real dates"),
        ({"freq": "MS", "start": "2020-01-01", "country_holidays": "US"}, "daily data"),
        ({"freq": "MS", "calendar": tc.ShoppingCalendar()}, "need the real dates"),
        ({"freq": "MS", "start": "2020-01-15"}, "not a MS date"),
        ({"freq": "MS", "growth": "logistic"}, "needs cap"),
        ({"freq": "2MS"}, "freq="),
        ({"season_length": 24}, "pass freq"),
        ({"freq": "MS", "uncertainty_samples": 0}, "intervals"),
        ({"freq": "MS", "yearly_seasonality": "yes"}, "yearly"),
    ],
)
def test_bad_options_raise_model_fit_error_that_says_how_to_fix(params, message):
    with pytest.raises(tc.ModelFitError, match=message):
        Prophet(**params).fit(np.arange(1.0, 40.0))
