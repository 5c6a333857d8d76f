"""Two supply plans against the forecast: window risk, lost margin, reasons and a report.

The script forecasts six US retail categories (bundled Census data, $ millions),
draws joint sample paths of the next 12 months, and compares two plans side
by side: "same month last year +2%" and "+6%". For each it gives the
probability of a shortfall per month and over the next three months together
(from the paths, not by multiplying monthly probabilities), the expected
shortfall in $ millions and, with a gross margin of 30 cents per dollar of
sales, the margin that shortfall would cost. Flags need two short months in
a row. Each flagged category gets a one-line reason. Finally the inventory at
the forecast origin, with the +2% plan arriving as receipts, is checked as a
stock, and everything goes into one HTML report.

It writes ``gaps.csv``, ``gaps_summary.csv``, ``stock_summary.csv`` and
``report.html`` to the folder given as first argument (default: a new
temporary folder). Run it with::

    python examples/supply_plans.py trendcast-plans
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

import trendcast as tc

CATEGORIES = ["441", "445", "448", "452", "454", "722"]
HORIZON = 12
MARGIN = 0.30  # gross margin per $ of sales: what a $ of unmet demand costs


def plan(sales: pd.DataFrame, forecast: pd.DataFrame, growth: float, name: str) -> pd.DataFrame:
    """The same month a year earlier times ``1 + growth``, for every forecast month."""
    last_year = sales.assign(ds=sales["ds"] + pd.DateOffset(years=1))
    rows = forecast[["unique_id", "ds"]].merge(last_year, on=["unique_id", "ds"])
    return rows.assign(supply=rows.pop("y") * (1 + growth), plan=name)[
        ["unique_id", "ds", "plan", "supply"]
    ]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sales, inventories = tc.datasets.load_us_retail(with_inventories=True, categories=CATEGORIES)
    forecaster = tc.TrendForecaster(models=tc.models.ETS(), n_jobs=1)
    forecast = forecaster.fit(sales).predict(HORIZON, level=(80, 95))
    paths = forecaster.sample_paths(HORIZON, n_paths=1000, random_state=0, output="arrays")

    plans = pd.concat(
        [plan(sales, forecast, 0.02, "last year +2%"), plan(sales, forecast, 0.06, "last year +6%")]
    )
    gaps = tc.supply_gaps(
        forecast, plans, paths=paths, window=3, scenario_col="plan", unit_price=MARGIN
    )
    summary = tc.summarize_gaps(gaps, history=sales, scenario_col="plan")
    gaps.to_csv(out / "gaps.csv", index=False)
    summary.to_csv(out / "gaps_summary.csv", index=False)

    pd.set_option("display.width", 140)
    print("Plans side by side (expected shortfall in $ millions, lost margin at 30%):")
    cols = ["plan", "rank", "unique_id", "flag", "periods_short", "max_p_short",
            "p_short_window", "expected_shortfall", "shortfall_value"]  # fmt: skip
    print(summary[cols].round(2).to_string(index=False))
    print("\nWhy (+2% plan):")
    flagged = summary[(summary["plan"] == "last year +2%") & (summary["flag"] != "ok")]
    for row in flagged.itertuples():
        print(f"  {row.unique_id}: {row.reason}")

    # inventory at the last observed month, with the +2% plan arriving as receipts
    origin = sales["ds"].max()
    on_hand = inventories[inventories["ds"] == origin].rename(columns={"inventory": "supply"})
    receipts = plan(sales, forecast, 0.02, "")
    receipts = receipts[receipts["unique_id"].isin(on_hand["unique_id"])]
    stock = pd.concat([on_hand, receipts])[["unique_id", "ds", "supply"]]
    stock_gaps = tc.supply_gaps(forecast, stock, kind="stock", paths=paths)
    stock_summary = tc.summarize_gaps(stock_gaps, history=sales)
    stock_summary.to_csv(out / "stock_summary.csv", index=False)
    print("\nInventory plus the +2% plan as receipts:")
    print(
        stock_summary[["unique_id", "flag", "cover", "max_p_short", "reason"]]
        .round(2)
        .to_string(index=False)
    )

    two_percent = summary[summary["plan"] == "last year +2%"]
    page = tc.report(
        out / "report.html",
        history=sales,
        forecast=forecast,
        gaps_summary=two_percent,
        gaps=gaps[gaps["plan"] == "last year +2%"].drop(columns="plan"),
        title="Six US retail categories: the +2% plan",
        unit="$ millions",
        tables={"Both plans": summary, "Inventory plus receipts": stock_summary},
    )
    print(f"\nReport: {page}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()))
