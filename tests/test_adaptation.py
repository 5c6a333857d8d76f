"""Supply gaps: probabilities and shortfalls against closed forms, flags, ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import trendcast as tc


def normal_forecast(mu, sigma, ids=None, start="2025-01-01"):
    mu, sigma = np.atleast_1d(mu).astype(float), np.atleast_1d(sigma).astype(float)
    n = mu.size
    ids = ids or ["a"] * n
    out = pd.DataFrame(
        {
            "unique_id": ids,
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


def test_flags_short_long_ok():
    fc = normal_forecast([100, 100, 100], [10, 10, 10])
    gaps = tc.supply_gaps(fc, plan_for(fc, [80.0, 100.0, 120.0]), threshold=0.8)
    assert gaps["flag"].tolist() == ["short", "ok", "long"]


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


def test_only_matching_periods_are_compared_and_none_is_an_error():
    fc = normal_forecast([100, 100], [10, 10])
    gaps = tc.supply_gaps(fc, plan_for(fc, [90.0, 90.0]).iloc[:1])
    assert len(gaps) == 1
    far = plan_for(fc, [90.0, 90.0]).assign(
        ds=pd.Timestamp("2030-01-01") + pd.to_timedelta([0, 31], unit="D")
    )
    with pytest.raises(tc.DataValidationError, match="no supply row matches"):
        tc.supply_gaps(fc, far)


def test_bad_supply_frames():
    fc = normal_forecast([100, 100], [10, 10])
    with pytest.raises(tc.DataValidationError, match="lacks column"):
        tc.supply_gaps(fc, plan_for(fc, 1.0).rename(columns={"supply": "plan"}))
    bad = plan_for(fc, [90.0, -1.0])
    with pytest.raises(tc.DataValidationError, match=r"negative.*row 1"):
        tc.supply_gaps(fc, bad)
    dup = pd.concat([plan_for(fc, 1.0)] * 2)
    with pytest.raises(tc.DataValidationError, match="share a"):
        tc.supply_gaps(fc, dup)
    with pytest.raises(tc.DataValidationError, match="no interval columns"):
        tc.supply_gaps(fc[["unique_id", "ds", "mean"]], plan_for(fc, 1.0))
    with pytest.raises(ValueError, match="threshold"):
        tc.supply_gaps(fc, plan_for(fc, 1.0), threshold=0.3)


def test_stock_cover_in_periods_of_forecast_demand():
    fc = normal_forecast([100, 50, 200], [10, 10, 10])
    stock = pd.DataFrame(
        {"unique_id": ["a"], "ds": [pd.Timestamp("2024-12-01")], "supply": [125.0]}
    )
    gaps = tc.supply_gaps(fc, stock, kind="stock", min_cover=2.0)
    row = gaps.iloc[0]
    assert row["cover"] == pytest.approx(1.5)  # 100 covered, then 25 of 50
    assert row["flag"] == "short"
    assert row["next_demand"] == 100
    assert row["p_short"] == pytest.approx(1 - norm.cdf(2.5), abs=2e-3)
    big = stock.assign(supply=1000.0)
    g2 = tc.supply_gaps(fc, big, kind="stock", min_cover=1.0, max_cover=3.0)
    assert np.isinf(g2["cover"].iloc[0]) and g2["flag"].iloc[0] == "long"


def test_summary_ranks_worst_first():
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
    assert summary["unique_id"].tolist() == ["big", "small", "fine", "over"]
    assert summary["flag"].tolist() == ["short", "short", "ok", "long"]
    top = summary.iloc[0]
    assert top["periods_short"] == 3 and top["first_short"] == pd.Timestamp("2025-01-01")
    assert top["expected_shortfall"] == pytest.approx(450, rel=0.01)
