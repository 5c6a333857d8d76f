"""End to end on the bundled US retail sales and inventories (Census MRTS, $ millions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.demo import naive_supply_plan

CATS = ["441", "445", "448", "452"]


@pytest.fixture(scope="module")
def retail():
    sales, inventories = tc.datasets.load_us_retail(with_inventories=True, categories=CATS)
    forecaster = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
    forecast = forecaster.predict(12, level=(80, 95))
    paths = forecaster.sample_paths(12, n_paths=500, random_state=0, output="arrays")
    return sales, inventories, forecast, paths


def test_two_plans_side_by_side_with_paths_and_reasons(retail):
    sales, _, forecast, paths = retail
    plans = pd.concat(
        [
            naive_supply_plan(sales, forecast, growth=-0.05).assign(plan="-5%"),
            naive_supply_plan(sales, forecast, growth=0.02).assign(plan="+2%"),
        ],
        ignore_index=True,
    )
    gaps = tc.supply_gaps(forecast, plans, paths=paths, scenario_col="plan", unit_price=1.0)
    assert list(gaps.columns) == [
        "unique_id", "ds", "plan", "model", "mean", "supply", "p_short", "p_short_window",
        "expected_shortfall", "expected_excess", "shortfall_value", "excess_value",
        "shortfall_share", "p_long", "short", "flag", "distribution",
    ]  # fmt: skip
    assert len(gaps) == 2 * 12 * len(CATS) and (gaps["distribution"] == "paths").all()
    lean = gaps[gaps["plan"] == "-5%"].reset_index(drop=True)
    rich = gaps[gaps["plan"] == "+2%"].reset_index(drop=True)
    # more supply, never more risk of running short
    assert (rich["p_short"] <= lean["p_short"]).all()
    assert (rich["expected_shortfall"] <= lean["expected_shortfall"] + 1e-9).all()
    assert (rich["p_short_window"] <= lean["p_short_window"]).all()

    summary = tc.summarize_gaps(gaps, history=sales, scenario_col="plan")
    assert list(summary.columns[:19]) == [
        "rank", "unique_id", "plan", "flag", "first_short", "periods_short", "max_p_short",
        "p_short_window", "expected_shortfall", "shortfall_value", "expected_excess",
        "excess_value", "forecast_growth", "supply_growth", "search_rising", "search_leads",
        "reason", "periods", "periods_long",
    ]  # fmt: skip
    # seasonal naive repeats last year: the forecast grows 0%; the plans grow -5% and +2%
    np.testing.assert_allclose(summary["forecast_growth"], 0.0, atol=1e-12)
    growth = summary["plan"].map({"-5%": -0.05, "+2%": 0.02})
    np.testing.assert_allclose(summary["supply_growth"], growth, atol=1e-12)
    lean_s = summary[summary["plan"] == "-5%"]
    assert (lean_s["flag"] == "short").any()
    worst = lean_s.iloc[0]
    assert worst["rank"] == 1 and worst["flag"] == "short"
    assert worst["reason"].startswith(f"short from {worst['first_short']:%Y-%m} (")
    assert "forecast +0.0% vs last year while the plan grows -5.0%" in worst["reason"]
    values = lean_s.loc[lean_s["flag"] == "short", "shortfall_value"].tolist()
    assert values == sorted(values, reverse=True)


def test_inventory_at_the_origin_runs_down(retail):
    sales, inventories, forecast, paths = retail
    stock = inventories[inventories["ds"] == sales["ds"].max()].rename(
        columns={"inventory": "supply"}
    )
    gaps = tc.supply_gaps(forecast, stock, kind="stock", paths=paths)
    for key, g in gaps.groupby("unique_id"):
        # no receipts: the same stock meets ever more cumulative demand
        assert (np.diff(g["p_short"]) >= 0).all()
        assert (g["supply"] == stock.set_index("unique_id").loc[key, "supply"]).all()
        np.testing.assert_allclose(g["demand_to_date"], g["mean"].cumsum())
    summary = tc.summarize_gaps(gaps, history=sales)
    assert set(summary["unique_id"]) == set(CATS)
    assert (summary["ds"] == pd.Timestamp("2024-09-01")).all()
    # US retail holds one to three months of sales: every stock runs out within the year
    assert (summary["cover"] < 4).all() and (summary["flag"] == "short").all()
    for _, row in summary.iterrows():
        g = gaps[gaps["unique_id"] == row["unique_id"]]
        cum = g["mean"].cumsum().to_numpy()
        k = int(np.searchsorted(cum, row["supply"]))
        assert row["cover"] == pytest.approx(
            k + (row["supply"] - (cum[k - 1] if k else 0)) / g["mean"].iloc[k]
        )
        assert row["reason"].startswith("stock runs short from")
