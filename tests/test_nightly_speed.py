"""The nightly job's fast paths give the numbers of the slow ones, exactly.

Each shortcut taken to make the update night fast (issue 20) replaces a
pandas or scipy call made once a category by plain numpy; these tests hold the
new route to the old one bit for bit, so stored forecasts, gaps, hotspots and
emerging tables do not change.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import trendcast as tc
from trendcast._calibration import Calibration
from trendcast._frequency import future_dates, period_number
from trendcast.adaptation import summary
from trendcast.models import Theta
from trendcast.models.base import ModelForecast
from trendcast.models.theta import _forecast, _parts

# the module, not the function trendcast.hotspots that the package exports
hs = importlib.import_module("trendcast.hotspots")


def weekly(n: int, weeks: int = 156, seed: int = 0) -> pd.DataFrame:
    """Seasonal weekly demand, a few intermittent members (as benchmarks/nightly.py)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    level = rng.lognormal(4.0, 1.0, n)[:, None]
    season = 1 + rng.uniform(0.05, 0.4, n)[:, None] * np.sin(
        2 * np.pi * t / 52 + rng.uniform(0, 6, n)[:, None]
    )
    y = level * season * rng.lognormal(0, 0.08, (n, weeks))
    y[: max(1, n // 10)] = rng.poisson(0.6, (max(1, n // 10), weeks))
    return pd.DataFrame({
        "unique_id": np.repeat([f"c{i:03d}" for i in range(n)], weeks),
        "ds": np.tile(pd.date_range("2021-01-03", periods=weeks, freq="W-SUN"), n),
        "y": np.round(y, 1).ravel(),
    })  # fmt: skip


@pytest.mark.parametrize("season_length", [52, 12, 4, 1])
def test_theta_parts_are_statsmodels_forecast_components(season_length: int) -> None:
    sales = weekly(12, seed=season_length)
    seen = 0
    for i, (_, g) in enumerate(sales.groupby("unique_id")):
        y = g["y"].to_numpy()[: 110 + 3 * i]
        if np.ptp(y) == 0:
            continue
        res = Theta(season_length=season_length).fit(y).results_
        for steps in (1, 5, 13, 60):
            comp = res.forecast_components(steps)
            trend, ses, season = _parts(res, steps)
            assert np.array_equal(trend, comp["trend"].to_numpy())
            assert np.array_equal(ses, comp["ses"].to_numpy())
            assert np.array_equal(season, comp["seasonal"].to_numpy())
            for theta in (1.0, 2.0, 3.5):
                assert np.array_equal(_forecast(res, steps, theta), res.forecast(steps, theta))
        seen += 1
    assert seen >= 10


def test_theta_forecasts_after_a_save_are_those_before(tmp_path) -> None:
    sales = weekly(30, seed=4)
    fc = tc.TrendForecaster(models=tc.models.Theta(), freq="W-SUN").fit(sales)
    path = fc.save(tmp_path / "theta.zip")
    again = tc.load(path)
    pd.testing.assert_frame_equal(fc.predict(13), again.predict(13))
    a = fc.sample_paths(13, n_paths=50, random_state=2, output="arrays")
    b = again.sample_paths(13, n_paths=50, random_state=2, output="arrays")
    assert isinstance(a, dict) and isinstance(b, dict)
    assert all(np.array_equal(a[k], b[k]) for k in a)


def _adjust_paths_with_scipy_stats(cal: Calibration, key, paths, fc) -> np.ndarray:
    """``Calibration.adjust_paths`` as it was written with ``scipy.stats.norm``."""
    pool = cal.pools[key]
    sd_low = (fc.mean - fc.lower[80]) / norm.ppf(0.9)
    sd_high = (fc.upper[80] - fc.mean) / norm.ppf(0.9)
    dev = paths - fc.mean
    sd = np.where(dev >= 0, sd_high, sd_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(sd > 0, np.abs(dev) / np.where(sd > 0, sd, 1.0), 0.0)
    out = np.empty_like(paths)
    for j in range(paths.shape[1]):
        p = 2 * norm.cdf(u[:, j]) - 1
        sorted_abs = pool.at(j + 1)
        n = sorted_abs.size
        top = n / (n + 1.0)
        inner = np.interp(np.minimum(p, top) * (n + 1), np.arange(n + 1.0), np.r_[0.0, sorted_abs])
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = sorted_abs[-1] / float(norm.ppf(0.5 + top / 2)) * norm.ppf(0.5 + p / 2)
        q = np.where(p <= top, inner, tail)
        out[:, j] = np.sign(dev[:, j]) * q * sd[:, j]
    return fc.mean + out


def test_calibrated_paths_equal_the_scipy_stats_route() -> None:
    rng = np.random.default_rng(1)
    steps = np.tile(np.arange(1, 7), 400)
    cal = Calibration({"m": ("Theta", [(steps, 1.7 * rng.standard_t(4, steps.size))])})
    mean = np.linspace(50, 80, 6)
    sigma = np.linspace(3, 9, 6)
    fc = ModelForecast.from_normal(mean, sigma, (80,))
    assert np.array_equal(fc.lower[80], mean - norm.ppf(0.9) * sigma)
    paths = mean + sigma * rng.standard_normal((300, 6)) * 3  # far tails included
    paths[0] = mean  # zero deviations
    new = cal.adjust_paths("m", paths, fc)
    assert np.array_equal(new, _adjust_paths_with_scipy_stats(cal, "m", paths, fc))
    assert not np.array_equal(new, paths)  # the calibration did something


def _series_by_groupby(frame: pd.DataFrame, value_col: str) -> dict:
    """``hotspots._series`` as it was: one groupby group at a time."""
    out = {}
    for key, part in frame.groupby("unique_id", sort=False):
        numbers = period_number(pd.to_datetime(part["ds"]), "W")
        values = pd.to_numeric(part[value_col], errors="coerce").to_numpy(dtype=float)
        out[key] = pd.Series(values, index=numbers).sort_index()
    return out


def test_series_and_history_sums_equal_the_reindex_route() -> None:
    sales = weekly(20, seed=5).sample(frac=1.0, random_state=0)  # shuffled rows
    sales = sales.drop(sales.index[::37])  # holes in the histories
    sales.loc[sales.index[5], "y"] = np.nan
    fast = hs._series(sales, "unique_id", "ds", "y")
    slow = _series_by_groupby(sales, "y")
    assert list(fast) == list(slow)
    for key in slow:
        pd.testing.assert_series_equal(fast[key], slow[key])
        last = int(slow[key].index[-1])
        spans = [(-12, 1), (-60, -40), (-5, 3), (-500, -490)]  # inside, holes, past the end
        for lo, hi in spans:
            numbers = np.arange(last + lo, last + hi)
            got = slow[key].reindex(numbers).to_numpy(dtype=float)
            want = float(got.sum()) if np.isfinite(got).all() else math.nan
            have = hs._history_sum(fast[key], numbers)
            assert have == want or (math.isnan(have) and math.isnan(want))


def test_history_sum_with_duplicated_periods_still_refuses() -> None:
    hist = pd.Series([1.0, 2.0, 3.0], index=[10, 10, 11])
    with pytest.raises(ValueError, match="duplicate"):
        hs._history_sum(hist, np.array([10, 11]))


def test_summary_growth_is_the_per_category_lookup() -> None:
    sales = weekly(15, seed=6)
    cut = sales["ds"].max() - pd.Timedelta(weeks=13)
    history = sales[sales["ds"] <= cut]
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive(), freq="W-SUN").fit(history)
    forecast = fc.predict(13)
    plan = forecast[["unique_id", "ds"]].assign(supply=forecast["mean"].to_numpy() * 0.9)
    gaps = tc.supply_gaps(forecast, plan)
    table = tc.summarize_gaps(gaps, history=history)
    # the growth of each category looked up one at a time, as before
    ctx_year = history.set_index(["unique_id", "ds"])["y"].astype(float)
    for _, row in table.iterrows():
        g = gaps[gaps["unique_id"] == row["unique_id"]].sort_values("ds")
        ago = summary._year_ago(pd.to_datetime(g["ds"]), "W-SUN")
        idx = pd.MultiIndex.from_arrays([np.repeat(row["unique_id"], len(g)), ago])
        ly = ctx_year.reindex(idx).to_numpy(float)
        ok = np.isfinite(ly)
        want_f = g["mean"].to_numpy(float)[ok].sum() / ly[ok].sum() - 1
        want_s = g["supply"].to_numpy(float)[ok].sum() / ly[ok].sum() - 1
        assert row["forecast_growth"] == want_f
        assert row["supply_growth"] == want_s
    assert summary._LY not in table.columns and summary._LY not in gaps.columns


def _summaries(monkeypatch, gaps: pd.DataFrame, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """summarize_gaps through the numpy groups, and through DataFrame groups as before."""
    keys = [c for c in (kw.get("scenario_col"), "unique_id") if c]
    scen = kw.get("scenario_col")
    checked = summary._checked_gaps(gaps, None, keys, "unique_id", "ds", "supply", scen)
    assert summary._groups(checked, keys) is not None  # the fast route is the one tested
    fast = tc.summarize_gaps(gaps, **kw)
    with monkeypatch.context() as m:
        m.setattr(summary, "_groups", lambda *a: None)
        slow = tc.summarize_gaps(gaps, **kw)
    return fast, slow


def _forecast_and_history(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    sales = weekly(n, seed=seed)
    cut = sales["ds"].max() - pd.Timedelta(weeks=13)
    history = sales[sales["ds"] <= cut]
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive(), freq="W-SUN").fit(history)
    return fc.predict(13), history


def test_summary_rows_from_numpy_groups_equal_dataframe_groups(monkeypatch) -> None:
    forecast, history = _forecast_and_history(25, seed=7)
    rng = np.random.default_rng(0)
    plan = forecast[["unique_id", "ds"]].assign(
        supply=forecast["mean"].to_numpy() * rng.uniform(0.6, 1.5, len(forecast))
    )
    # flow, with history (growth) and with a price (values)
    gaps = tc.supply_gaps(forecast, plan, unit_price=2.5)
    gaps.loc[gaps.index[3], "p_short"] = np.nan  # a missing probability is skipped
    fast, slow = _summaries(monkeypatch, gaps, history=history)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert set(fast["flag"]) >= {"short", "long"} and fast["reason"].str.len().min() > 20
    # stock: on hand at the origin plus receipts
    origin = history.groupby("unique_id")["ds"].max()
    stock = pd.DataFrame({"unique_id": origin.index, "ds": origin.to_numpy(),
                          "supply": rng.uniform(50, 400, len(origin))})  # fmt: skip
    gaps = tc.supply_gaps(forecast, stock, kind="stock")
    fast, slow = _summaries(monkeypatch, gaps, history=history)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    # two scenarios
    plans = pd.concat([plan.assign(scenario="a"),
                       plan.assign(scenario="b", supply=plan["supply"] * 1.2)])  # fmt: skip
    gaps = tc.supply_gaps(forecast, plans, scenario_col="scenario")
    fast, slow = _summaries(monkeypatch, gaps, history=history, scenario_col="scenario")
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert len(fast) == 50


@pytest.mark.parametrize(
    "last",
    [
        pd.Timestamp("2024-03-31"),
        pd.Timestamp("2024-03-31").as_unit("s"),
        pd.Timestamp("2024-03-31", tz="Europe/Amsterdam"),
        pd.Timestamp("2024-03-31", tz="UTC"),
    ],
)
def test_cached_future_dates_are_date_range_s(last: pd.Timestamp) -> None:
    for _ in range(2):  # the second call is served from the cache
        got = future_dates(last, 5, "W-SUN")
        want = pd.date_range(start=last, periods=6, freq="W-SUN")[1:]
        pd.testing.assert_index_equal(got, want, exact=True)
        assert got.dtype == want.dtype  # resolution and time zone of this date, not a cached one's


def test_future_dates_past_the_range_still_raise() -> None:
    last = pd.Timestamp("2262-03-01").as_unit("ns")  # nanoseconds end on 2262-04-11
    with pytest.raises(Exception) as direct:  # whatever pandas raises
        pd.date_range(start=last, periods=41, freq="MS")
    for _ in range(2):  # errors are not cached
        with pytest.raises(type(direct.value)):
            future_dates(last, 40, "MS")


def test_pool_quantile_knots_follow_their_step() -> None:
    rng = np.random.default_rng(2)
    steps = np.tile(np.arange(1, 5), 300)
    cal = Calibration({"m": ("x", [(steps, steps * rng.standard_normal(steps.size))])},
                      min_per_step=100)  # fmt: skip
    pool = cal.pools["m"]
    p = np.linspace(0.01, 0.999, 50)
    for step in (1, 2, 3, 4, 1, 4, 9):
        sorted_abs = pool.at(step)
        n = sorted_abs.size
        inner = np.interp(np.minimum(p, n / (n + 1.0)) * (n + 1), np.arange(n + 1.0),
                          np.r_[0.0, sorted_abs])  # fmt: skip
        got = pool.quantile(step, p)
        inside = p <= n / (n + 1.0)
        assert np.array_equal(got[inside], inner[inside])
    assert pool.quantile(1, p)[-2] < pool.quantile(4, p)[-2]  # the steps differ


def test_frequency_kind_does_not_depend_on_the_order_of_categories() -> None:
    sales = weekly(30, weeks=60, seed=8)
    shuffled = sales.sample(frac=1.0, random_state=1)
    renamed = shuffled.assign(unique_id="z" + shuffled["unique_id"].str[::-1])
    kinds = {hs._freq_kind(f["ds"], f["unique_id"], "x") for f in (sales, shuffled, renamed)}
    assert kinds == {"W"}
    dates = pd.date_range("2020-01-01", periods=24, freq="MS")
    months = pd.DataFrame({"unique_id": np.repeat(["b", "a", 3], 24), "ds": np.tile(dates, 3)})
    assert hs._freq_kind(months["ds"], months["unique_id"], "x") == "M"
