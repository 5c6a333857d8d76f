"""PooledRegression: one regressor for every category, trained without the backtest's span."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import Ridge

import trendcast as tc
from tests.conftest import make_panel
from trendcast.models import PooledRegression


def seasonal_family(n_series: int, n: int, seed: int = 0) -> list[np.ndarray]:
    """Series of one seasonal shape (peak in the 11th month), each with its own scale and phase."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_series):
        phase = rng.integers(12)
        t = np.arange(n) + phase
        shape = 1 + 0.3 * np.sin(2 * np.pi * t / 12) + 0.8 * (t % 12 == 10)
        out.append(rng.uniform(50, 5000) * shape * (1 + rng.normal(0, 0.02, n)))
    return out


def test_learns_a_shape_shared_by_many_series_and_forecasts_a_new_one():
    pool_series = seasonal_family(200, 60)
    model = PooledRegression(season_length=12).train_pool(pool_series, cut=12)
    new = seasonal_family(1, 78, seed=99)[0]
    fc = model.fit(new[:60]).predict(18)
    truth = new[60:]
    level = np.mean(new[48:60])
    # the peak month (80% above the shape) is forecast in its place: a forecast one
    # step off errs by about 0.25 of the level on average, a flat one by 0.3
    assert np.mean(np.abs(fc.mean - truth)) / level < 0.05
    assert np.argmax(fc.mean[:12]) == np.argmax(truth[:12])


def test_the_pool_is_trained_once_and_shared_by_every_copy():
    model = PooledRegression(season_length=12).train_pool(seasonal_family(20, 60), cut=12)
    copy = clone(model)
    assert copy.pool is model.pool
    # a pool sent to a worker process and back is the same object again
    assert pickle.loads(pickle.dumps(model.pool)) is model.pool
    panel = make_panel(n_series=4, n=60)
    fc = tc.TrendForecaster(models=PooledRegression(), n_jobs=2).fit(panel)
    pools = {id(m.pool_) for m in fc.models_.values()}
    assert len(pools) == 1
    assert fc.models_["s0"].pool_ is fc._plan_.candidates[0].pool


def test_forecaster_trains_the_pool_without_the_backtest_span():
    # make_panel: 60 months; the backtest is 3 windows of 6, so the pool sees the
    # first 42 of each series: windows of 24 ending at 24..41, 18 a series
    panel = make_panel(n_series=3, n=60)
    fc = tc.TrendForecaster(models=[PooledRegression(), tc.models.Naive()]).fit(panel)
    pool = fc._plan_.candidates[0].pool
    assert pool.n_series == 3
    assert pool.n_windows == 3 * (60 - 18 - 24)
    # the backtest of the pooled model is scored on what its pool never saw
    assert set(fc.selection_report_["model"]) == {"PooledRegression", "Naive"}


def test_cross_validation_trains_a_pool_per_window_on_the_data_before_it():
    panel = make_panel(n_series=3, n=72)
    fc = tc.TrendForecaster(models=PooledRegression())
    fc._plan_ = fc._plan("MS")
    series = [(k, g["y"].to_numpy(), None, None) for k, g in panel.groupby("unique_id")]
    plans = fc._window_plans(series, h=6, n_windows=2, step_size=None)
    counts = [p[0].candidates[0].pool.n_windows for p in plans]
    # cutoffs at 60 and 66; each pool holds out its own backtest span (18) before them
    assert counts == [3 * (60 - 18 - 24), 3 * (66 - 18 - 24)]
    out = fc.cross_validation(panel, h=6, n_windows=2)
    assert out["cutoff"].nunique() == 2


def test_models_with_equal_settings_share_one_pool_in_a_fit():
    panel = make_panel(n_series=3, n=60)
    combo = tc.models.Combination([tc.models.Theta(), PooledRegression()], method="median")
    fc = tc.TrendForecaster(models=[combo, PooledRegression()]).fit(panel)
    first, second = fc._plan_.candidates
    assert first.models[1].pool is second.pool
    # a member gets its combination's season length before its pool is trained
    assert second.pool.season_length == 12 and first.models[1].pool.season_length == 12


def test_a_step_no_window_reaches_uses_the_step_before():
    # a series of 36 with 6 held out trains on 30: windows of 24 end at 24..29, and
    # step 6 (5 values past a window's end) has one window only, no regressor of its own
    model = PooledRegression(season_length=12, horizon=6).train_pool(seasonal_family(1, 36), 6)
    assert [e is not None for e in model.pool.estimators] == [True] * 5 + [False]
    fc = model.fit(seasonal_family(1, 30, seed=2)[0]).predict(6).mean
    assert np.all(np.isfinite(fc))


def test_steps_past_the_horizon_feed_the_forecast_back():
    model = PooledRegression(season_length=12, horizon=6).train_pool(seasonal_family(30, 60), 6)
    y = seasonal_family(1, 60, seed=5)[0]
    fitted = model.fit(y)
    long = fitted.predict(9).mean
    np.testing.assert_allclose(long[:6], fitted.predict(6).mean)
    again = clone(model).fit(np.concatenate([y, long[:6]])).predict(3).mean
    np.testing.assert_allclose(long[6:], again)


def test_update_reads_the_new_window_with_the_same_regressors():
    model = PooledRegression(season_length=12).train_pool(seasonal_family(30, 60), 12)
    y = seasonal_family(1, 66, seed=3)[0]
    updated = clone(model).fit(y[:60]).update(y[60:])
    assert updated.pool_ is model.pool
    np.testing.assert_allclose(updated.predict(6).mean, clone(model).fit(y).predict(6).mean)


def test_short_series_zero_windows_and_intervals():
    model = PooledRegression(season_length=12).train_pool(seasonal_family(30, 60), 12)
    # with a pool, a series shorter than the window is padded with its first value
    short = model.fit(np.array([10.0, 12.0, 11.0])).predict(4, level=(80, 95))
    assert np.all(np.isfinite(short.mean))
    # a window of zeros forecasts zeros
    zeros = model.fit(np.r_[np.ones(30), np.zeros(30)]).predict(4)
    np.testing.assert_array_equal(zeros.mean, 0.0)
    # intervals widen with the step ahead
    fc = model.fit(seasonal_family(1, 60, seed=8)[0]).predict(18, level=(80,))
    width = fc.upper[80] - fc.lower[80]
    assert np.all(np.diff(width) >= -1e-9) and width[-1] > width[0]


def test_any_regressor_and_its_name():
    model = PooledRegression(estimator=Ridge(), season_length=12)
    fitted = model.train_pool(seasonal_family(30, 60), 12).fit(seasonal_family(1, 60)[0])
    assert fitted.name == "PooledRegression(Ridge)"
    assert type(fitted.pool_.estimators[0]) is Ridge


def test_bad_settings_and_too_short_series_say_why():
    y = seasonal_family(1, 60)[0]
    with pytest.raises(tc.ModelFitError, match="window=0"):
        PooledRegression(window=0).fit(y)
    with pytest.raises(tc.ModelFitError, match="max_samples"):
        PooledRegression(max_samples=1).fit(y)
    with pytest.raises(ValueError, match="cut"):
        PooledRegression().train_pool([y], cut=0)
    with pytest.raises(tc.ModelFitError, match="shorter than window"):
        PooledRegression(season_length=12).train_pool([y[:30]], cut=10)


def test_a_panel_too_short_for_a_pool_falls_back_with_the_reason():
    panel = make_panel(n_series=2, n=30)
    with pytest.warns(tc.FallbackWarning):
        fc = tc.TrendForecaster(models=PooledRegression()).fit(panel)
    report = fc.fit_report_.set_index("unique_id")
    assert report.loc["s0", "status"] == "fallback"
    assert "PooledRegression needs at least 36 observations" in report.loc["s0", "reason"]


def test_saved_once_however_many_categories_share_it(tmp_path):
    panel = make_panel(n_series=5, n=72)
    fc = tc.TrendForecaster(models=PooledRegression()).fit(panel)
    path = fc.save(tmp_path / "saved")
    # one file per step ahead (18 for monthly data), not one per category and step
    pool = fc._plan_.candidates[0].pool
    assert pool.horizon == 18 and all(e is not None for e in pool.estimators)
    assert len(list((path / "estimators").glob("*.skops"))) == 18
    loaded = tc.load(path)
    pools = {id(m.pool_) for m in loaded.models_.values()}
    assert len(pools) == 1
    pd.testing.assert_frame_equal(loaded.predict(12), fc.predict(12), rtol=0, atol=1e-9)
