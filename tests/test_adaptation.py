"""Supply gaps: probabilities and shortfalls against closed forms, stock, money, flags, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import lognorm, norm

import trendcast as tc
from trendcast.adaptation import shortfall_stats


def normal_forecast(mu, sigma, ids=None, start="2025-01-01"):
    mu, sigma = np.atleast_1d(mu).astype(float), np.atleast_1d(sigma).astype(float)
    n = max(mu.size, sigma.size)
    mu, sigma = np.broadcast_to(mu, n), np.broadcast_to(sigma, n)
    out = pd.DataFrame(
        {
            "unique_id": ids or ["a"] * n,
            "ds": pd.date_range(start, periods=n, freq="MS"),
            "model": "test",
            "mean": mu,
        }
    )
    for lv in (80, 95):
        z = norm.ppf(0.5 + lv / 200)
        out[f"lo-{lv}"] = mu - z * sigma
        out[f"hi-{lv}"] = mu + z * sigma
    return out


def lognormal_forecast(median, s, n=1, uid="a"):
    d = lognorm(s, scale=median)
    out = pd.DataFrame(
        {
            "unique_id": uid,
            "ds": pd.date_range("2025-01-01", periods=n, freq="MS"),
            "mean": d.mean(),
        }
    )
    for lv in (80, 95):
        out[f"lo-{lv}"] = d.ppf(0.5 - lv / 200)
        out[f"hi-{lv}"] = d.ppf(0.5 + lv / 200)
    return out


def plan_for(fc, supply):
    return fc[["unique_id", "ds"]].assign(supply=supply)


@pytest.mark.parametrize("supply", [60.0, 90.0, 100.0, 110.0, 135.0])
def test_gaussian_intervals_give_the_gaussian_answer(supply):
    mu, sigma = 100.0, 15.0
    fc = normal_forecast(mu, sigma)
    gaps = tc.supply_gaps(fc, plan_for(fc, supply))
    z = (supply - mu) / sigma
    assert gaps["p_short"].iloc[0] == pytest.approx(1 - norm.cdf(z), abs=2e-3)
    es = sigma * norm.pdf(z) + (mu - supply) * (1 - norm.cdf(z))
    assert gaps["expected_shortfall"].iloc[0] == pytest.approx(es, rel=1e-2, abs=1e-2)
    ex = es - (mu - supply)  # E[(S-D)+] = E[(D-S)+] - E[D-S]
    assert gaps["expected_excess"].iloc[0] == pytest.approx(ex, rel=1e-2, abs=1e-2)
    assert gaps["shortfall_share"].iloc[0] == pytest.approx(es / mu, rel=1e-2, abs=1e-4)
    assert gaps["distribution"].iloc[0] == "intervals"


def _old_p_short(fc_row, supply):
    """The previous method: the mean pinned at the 50% point, linear in normal score."""
    z80, z95 = norm.ppf(0.9), norm.ppf(0.975)
    zk = [-z95, -z80, 0.0, z80, z95]
    vk = [fc_row["lo-95"], fc_row["lo-80"], fc_row["mean"], fc_row["hi-80"], fc_row["hi-95"]]
    return float(norm.sf(np.interp(supply, vk, zk)))


@pytest.mark.parametrize("s", [0.3, 0.5, 0.8])
def test_lognormal_demand_the_mean_is_not_the_median(s):
    """Lognormal demand (median 100): intervals are its true quantiles, mean e^(s^2/2) above
    the median. p_short must follow the lognormal near the mean, where pinning the mean at
    the 50% point (the old method) was off by several points."""
    fc = lognormal_forecast(100.0, s)
    truth = lognorm(s, scale=100.0)
    supplies = np.array([90.0, 100.0, 105.0, float(fc["mean"].iloc[0]), 130.0])
    stats = shortfall_stats(pd.concat([fc] * supplies.size, ignore_index=True), supplies)
    new_err = np.abs(stats["p_short"].to_numpy() - truth.sf(supplies))
    old_err = np.abs([_old_p_short(fc.iloc[0], x) for x in supplies] - truth.sf(supplies))
    assert new_err.max() < 0.003
    # at the median the old method said p_short > 0.5 for a demand that is even odds
    assert old_err[1] > {0.3: 0.04, 0.5: 0.08, 0.8: 0.12}[s]
    assert stats["p_short"].iloc[1] == pytest.approx(0.5, abs=1e-3)


def test_intermittent_demand_with_zero_lower_bounds():
    # a point mass at zero: both lower bounds are 0; the mean sits above the middle
    fc = pd.DataFrame(
        {"mean": [3.0], "lo-80": [0.0], "hi-80": [8.0], "lo-95": [0.0], "hi-95": [12.0]}
    )
    st = shortfall_stats(pd.concat([fc] * 3, ignore_index=True), np.array([0.0, 8.0, 12.0]))
    assert st["p_short"].iloc[1] == pytest.approx(0.10, abs=2e-3)
    assert st["p_short"].iloc[2] == pytest.approx(0.025, abs=2e-3)
    # both lower bounds at zero: 10% of demand is exactly zero, so P(D > 0) = 0.9
    assert st["p_short"].iloc[0] == pytest.approx(0.90, abs=2e-3)


def test_short_is_per_period_and_flag_needs_persistence():
    # p_short high in periods 1, 3, 4 and 6: only the run 3-4 lasts 2 periods
    fc = normal_forecast(100.0, 10.0 * np.ones(6))
    plan = plan_for(fc, [70.0, 100.0, 70.0, 70.0, 100.0, 70.0])
    gaps = tc.supply_gaps(fc, plan)
    assert gaps["short"].tolist() == [True, False, True, True, False, True]
    assert gaps["flag"].tolist() == ["ok", "ok", "short", "short", "ok", "ok"]
    once = tc.supply_gaps(fc, plan, persistence=1)
    assert once["flag"].tolist() == ["short", "ok", "short", "short", "ok", "short"]
    three = tc.supply_gaps(fc, plan, persistence=3)
    assert (three["flag"] == "ok").all()


def test_flags_short_long_ok():
    fc = normal_forecast([100, 100, 100], [10, 10, 10])
    gaps = tc.supply_gaps(fc, plan_for(fc, [80.0, 100.0, 120.0]), persistence=1)
    assert gaps["flag"].tolist() == ["short", "ok", "long"]
    # a horizon shorter than persistence needs all its periods
    one = normal_forecast(100, 10)
    assert tc.supply_gaps(one, plan_for(one, 70.0), persistence=3)["flag"].iloc[0] == "short"


def test_demand_cannot_be_negative():
    fc = normal_forecast(5.0, 10.0)
    gaps = tc.supply_gaps(fc, plan_for(fc, 0.0))
    # P(D > 0) with D = max(N(5,10), 0): 1 - Phi(-0.5)
    assert gaps["p_short"].iloc[0] == pytest.approx(norm.cdf(0.5), abs=2e-3)
    fc_clipped = fc.assign(**{c: fc[c].clip(lower=0) for c in ["lo-80", "lo-95"]})
    g2 = tc.supply_gaps(fc_clipped, plan_for(fc_clipped, 100.0))
    assert g2["p_short"].iloc[0] == pytest.approx(0.0, abs=1e-9)


def test_asymmetric_intervals_shift_the_probability():
    fc = normal_forecast(100.0, 10.0)
    skewed = fc.assign(**{"hi-80": 140.0, "hi-95": 170.0})
    p_sym = tc.supply_gaps(fc, plan_for(fc, 115.0))["p_short"].iloc[0]
    p_skew = tc.supply_gaps(skewed, plan_for(skewed, 115.0))["p_short"].iloc[0]
    assert p_skew > p_sym


def test_paths_give_their_empirical_distribution_frame_or_arrays():
    rng = np.random.default_rng(1)
    fc = normal_forecast([100, 100, 100], [10, 10, 10])
    arr = rng.normal(100, 10, size=(400, 3))
    plan = plan_for(fc, [95.0, 100.0, 120.0])
    gaps = tc.supply_gaps(fc, plan, paths={"a": arr})
    s = plan["supply"].to_numpy()
    np.testing.assert_allclose(gaps["p_short"], (arr > s).mean(axis=0))
    np.testing.assert_allclose(gaps["expected_excess"], np.maximum(s - arr, 0).mean(axis=0))
    # rest of the horizon from each period: cumulative demand vs cumulative supply
    cum = [(arr[:, t:].sum(axis=1) > s[t:].sum()).mean() for t in range(3)]
    np.testing.assert_allclose(gaps["p_short_window"], cum)
    long = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": np.tile(fc["ds"].to_numpy(), 400),
            "path": np.repeat(np.arange(400), 3),
            "y": arr.ravel(),
        }
    )
    pd.testing.assert_frame_equal(gaps, tc.supply_gaps(fc, plan, paths=long))
    assert (gaps["distribution"] == "paths").all()


def test_window_needs_paths_and_is_missing_without():
    fc = normal_forecast([100, 100, 100], [10, 10, 10])
    plan = plan_for(fc, 90.0)
    assert tc.supply_gaps(fc, plan)["p_short_window"].isna().all()
    with pytest.raises(tc.DataValidationError, match=r"window=2.*paths=.*sample_paths"):
        tc.supply_gaps(fc, plan, window=2)
    rng = np.random.default_rng(0)
    arr = rng.normal(100, 10, size=(300, 3))
    g = tc.supply_gaps(fc, plan, paths={"a": arr}, window=2)
    assert np.isnan(g["p_short_window"].iloc[2])  # fewer than 2 periods left
    want = (arr[:, 1:3].sum(axis=1) > 180.0).mean()
    assert g["p_short_window"].iloc[1] == pytest.approx(want)


def test_stock_on_hand_and_receipts_known_answer():
    """Demand exactly 10 a month; 25 in stock at the origin, 20 arrive in month 4."""
    fc = normal_forecast(10.0 * np.ones(5), 1.0)
    paths = {"a": np.full((3, 5), 10.0)}
    stock = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.to_datetime(["2024-12-01", "2025-04-01"]),
            "supply": [25.0, 20.0],
        }
    )
    g = tc.supply_gaps(fc, stock, kind="stock", paths=paths, window=2, persistence=1)
    assert g["supply"].tolist() == [25.0, 25.0, 25.0, 45.0, 45.0]
    assert g["receipts"].tolist() == [0.0, 0.0, 0.0, 20.0, 0.0]
    assert g["p_short"].tolist() == [0.0, 0.0, 1.0, 0.0, 1.0]
    # demand of the month that stock and receipts to date cannot serve
    assert g["expected_shortfall"].tolist() == [0.0, 0.0, 5.0, 0.0, 5.0]
    assert g["expected_excess"].tolist() == [15.0, 5.0, 0.0, 5.0, 0.0]
    # short in at least one month of the 2-month window starting here
    np.testing.assert_array_equal(g["p_short_window"], [0.0, 1.0, 1.0, 1.0, np.nan])
    assert g["cover"].iloc[0] == pytest.approx(2.5)
    assert g["flag"].tolist() == ["ok", "ok", "short", "ok", "short"]
    s = tc.summarize_gaps(g)
    assert s["ds"].iloc[0] == pd.Timestamp("2024-12-01") and s["supply"].iloc[0] == 25.0
    assert s["expected_shortfall"].iloc[0] == 10.0 and s["periods_short"].iloc[0] == 2


def test_stock_without_paths_is_perfectly_dependent_and_bounds_the_backlog():
    """Without paths, cumulative demand is the sum of the per-period quantiles: the first
    period is exact, later ones take the largest spread any dependence can give, so the
    expected backlog E[(C_t - stock)+] is an upper bound (checked against independent paths)."""
    mu, sigma = 100.0, 20.0
    fc = normal_forecast(mu * np.ones(4), sigma)
    stock = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-12-01")], "supply": [250]})
    g = tc.supply_gaps(fc, stock, kind="stock", min_cover=1.0)
    t = np.arange(1, 5)
    assert g["p_short"].to_numpy() == pytest.approx(norm.sf((250 - mu * t) / (sigma * t)), abs=2e-3)
    assert g["cover"].iloc[0] == pytest.approx(2.5)
    rng = np.random.default_rng(3)
    indep = tc.supply_gaps(
        fc, stock, kind="stock", paths={"a": rng.normal(mu, sigma, size=(20000, 4))}
    )
    bound = g["expected_shortfall"].cumsum().to_numpy()
    exact = indep["expected_shortfall"].cumsum().to_numpy()
    assert (bound >= exact - 0.05).all() and bound[1] > 2 * exact[1]
    assert indep["p_short"].iloc[0] == pytest.approx(g["p_short"].iloc[0], abs=0.01)


def test_money_scalar_per_category_or_column():
    fc = pd.concat(
        [
            normal_forecast([100] * 2, [10] * 2, ids=["a"] * 2),
            normal_forecast([100] * 2, [10] * 2, ids=["b"] * 2),
        ],
        ignore_index=True,
    )
    plan = plan_for(fc, [80.0, 80.0, 120.0, 120.0])
    g1 = tc.supply_gaps(fc, plan, unit_price=2.5)
    np.testing.assert_allclose(g1["shortfall_value"], 2.5 * g1["expected_shortfall"])
    np.testing.assert_allclose(g1["excess_value"], 2.5 * g1["expected_excess"])
    g2 = tc.supply_gaps(fc, plan, unit_price={"a": 1.0, "b": 3.0})
    np.testing.assert_allclose(g2["excess_value"], [1, 1, 3, 3] * g2["expected_excess"])
    g3 = tc.supply_gaps(fc, plan.assign(price=[1.0, 2.0, 3.0, 4.0]), unit_price="price")
    np.testing.assert_allclose(g3["shortfall_value"], [1, 2, 3, 4] * g3["expected_shortfall"])
    with pytest.raises(tc.DataValidationError, match="no price for 1 category.*'b'"):
        tc.supply_gaps(fc, plan, unit_price={"a": 1.0})


def test_summary_ranks_worst_first_by_value_when_priced():
    fc = pd.concat(
        [
            normal_forecast([100] * 3, [10] * 3, ids=["small"] * 3),
            normal_forecast([1000] * 3, [50] * 3, ids=["big"] * 3),
            normal_forecast([100] * 3, [10] * 3, ids=["fine"] * 3),
            normal_forecast([100] * 3, [10] * 3, ids=["over"] * 3),
        ],
        ignore_index=True,
    )
    supply = fc[["unique_id", "ds"]].assign(
        supply=np.r_[[70] * 3, [850] * 3, [100] * 3, [150] * 3].astype(float)
    )
    summary = tc.summarize_gaps(tc.supply_gaps(fc, supply))
    assert summary["unique_id"].tolist() == ["big", "small", "over", "fine"]
    assert summary["flag"].tolist() == ["short", "short", "long", "ok"]
    assert summary["rank"].tolist() == [1, 2, 3, 4]
    top = summary.iloc[0]
    assert top["periods_short"] == 3 and top["first_short"] == pd.Timestamp("2025-01-01")
    assert top["expected_shortfall"] == pytest.approx(450, rel=0.01)
    assert top["reason"] == "short from 2025-01 (3 of 3 months, p up to 1.00)"
    assert summary["reason"].iloc[2].startswith("long from 2025-01 (3 of 3 months")
    # priced: 'small' at 100 a unit beats 'big' at 1 a unit
    priced = tc.summarize_gaps(
        tc.supply_gaps(fc, supply, unit_price={"small": 100, "big": 1, "fine": 1, "over": 1})
    )
    assert priced["unique_id"].tolist()[:2] == ["small", "big"]
    assert priced["shortfall_value"].iloc[0] == pytest.approx(
        100 * summary["expected_shortfall"].iloc[1]
    )


def test_scenarios_side_by_side_equal_separate_calls():
    fc = pd.concat(
        [
            normal_forecast([100] * 3, [10] * 3, ids=["a"] * 3),
            normal_forecast([50] * 3, [5] * 3, ids=["b"] * 3),
        ],
        ignore_index=True,
    )
    lean = plan_for(fc, [80.0] * 3 + [50.0] * 3)
    rich = plan_for(fc, [110.0] * 3 + [40.0] * 3)
    both = pd.concat([lean.assign(plan="lean"), rich.assign(plan="rich")], ignore_index=True)
    g = tc.supply_gaps(fc, both, scenario_col="plan")
    assert list(g.columns[:3]) == ["unique_id", "ds", "plan"]
    for name, frame in (("lean", lean), ("rich", rich)):
        alone = tc.supply_gaps(fc, frame)
        part = g[g["plan"] == name].drop(columns="plan").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)
    s = tc.summarize_gaps(g, scenario_col="plan")
    assert s[["plan", "unique_id", "rank", "flag"]].values.tolist() == [
        ["lean", "a", 1, "short"],
        ["lean", "b", 2, "ok"],
        ["rich", "b", 1, "short"],
        ["rich", "a", 2, "long"],
    ]
    with pytest.raises(tc.DataValidationError, match="scenario_col"):
        tc.summarize_gaps(g)


def test_reasons_from_history_search_and_lead_lag():
    months = pd.date_range("2025-01-01", periods=4, freq="MS")
    fc = pd.DataFrame(
        {"unique_id": "a", "ds": months, "mean": 108.0, "lo-80": 103.0, "hi-80": 113.0}
    )
    history = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2023-01-01", periods=24, freq="MS"), "y": 100.0}
    )
    plan = fc[["unique_id", "ds"]].assign(supply=102.0)
    search = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2023-01-01", periods=24, freq="MS"),
            "search": np.r_[np.full(21, 40.0), np.full(3, 46.0)],
        }
    )
    ll = pd.DataFrame({"unique_id": ["a"], "lag": [2], "correlation": [0.6], "leads": [True]})
    gaps = tc.supply_gaps(fc, plan)
    s = tc.summarize_gaps(gaps, history=history, search=search, lead_lag=ll)
    row = s.iloc[0]
    assert row["forecast_growth"] == pytest.approx(0.08)
    assert row["supply_growth"] == pytest.approx(0.02)
    assert row["search_change"] == pytest.approx(0.15)
    assert bool(row["search_rising"]) and bool(row["search_leads"]) and row["search_lag"] == 2
    p = row["max_p_short"]
    assert row["reason"] == (
        f"short from 2025-01 (4 of 4 months, p up to {p:.2f}): forecast +8.0% vs last year "
        "while the plan grows +2.0%; search leads by 2 months and is up 15% on a year earlier"
    )
    bare = tc.summarize_gaps(gaps)
    assert pd.isna(bare["search_rising"].iloc[0]) and pd.isna(bare["forecast_growth"].iloc[0])
