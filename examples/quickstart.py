"""Quick start: forecast six US retail categories and find where a naive plan falls short.

The script loads the bundled US Census retail sales, forecasts the next 12
months per category (model chosen per category by backtest), builds the plan
a planner would write without a forecast (same month last year plus 2%),
compares the two and prints the categories ranked by expected shortfall.
It writes ``forecast.csv``, ``gaps.csv``, ``gaps_summary.csv`` and the chart
``quickstart_forecast.png`` to the folder given as first argument (default: a
new temporary folder).

Run it with::

    python examples/quickstart.py trendcast-quickstart
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed: the chart goes to a PNG file

import matplotlib.pyplot as plt
import pandas as pd

import trendcast as tc

# Census kind-of-business codes: motor vehicles and parts, food and beverage
# stores, clothing, general merchandise, electronic shopping, food services.
CATEGORIES = ["441", "445", "448", "452", "4541", "722"]
HORIZON = 12  # months
GROWTH = 0.02  # the naive plan: same month last year + 2%


def naive_plan(sales: pd.DataFrame, forecast: pd.DataFrame, growth: float) -> pd.DataFrame:
    """Supply per category and month: the same month a year earlier, times 1 + growth."""
    last_year = sales.assign(ds=sales["ds"] + pd.DateOffset(years=1))
    plan = forecast[["unique_id", "ds"]].merge(last_year, on=["unique_id", "ds"], how="inner")
    plan["supply"] = plan.pop("y") * (1 + growth)
    return plan


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        out = Path(argv[1])
    else:
        out = Path(tempfile.mkdtemp(prefix="trendcast-quickstart-"))
    out.mkdir(parents=True, exist_ok=True)

    # 1. Sales history: long format, one row per (category, month), $ millions.
    sales = tc.datasets.load_us_retail(categories=CATEGORIES)
    names = tc.datasets.load_us_retail_categories().set_index("unique_id")["description"]
    print(f"Sales: {sales['unique_id'].nunique()} categories, "
          f"{sales['ds'].min():%Y-%m} to {sales['ds'].max():%Y-%m}")

    # 2. Forecast 12 months with intervals; the model is chosen per category.
    forecaster = tc.TrendForecaster(models="auto", n_jobs=2)
    forecast = forecaster.fit(sales).predict(h=HORIZON, level=(80, 95))
    print("\nModel per category:")
    print(forecaster.fit_report_[["unique_id", "model_used", "status"]].to_string(index=False))

    # 3. Compare the naive plan with the forecast demand distribution.
    plan = naive_plan(sales, forecast, GROWTH)
    gaps = tc.supply_gaps(forecast, plan, kind="flow", threshold=0.8)
    summary = tc.summarize_gaps(gaps)
    summary.insert(1, "description", summary["unique_id"].map(names).str.slice(0, 32))

    print(f"\nWhere the naive plan lags forecast demand, worst first "
          f"(expected shortfall in $ millions over {HORIZON} months):")
    shown = summary[["unique_id", "description", "periods_short", "periods_long",
                     "max_p_short", "expected_shortfall", "shortfall_share", "flag"]]
    print(shown.round({"max_p_short": 2, "expected_shortfall": 0, "shortfall_share": 3})
          .to_string(index=False))

    # 4. Files: the tables and a chart of history, forecast intervals and the plan.
    forecast.to_csv(out / "forecast.csv", index=False)
    gaps.to_csv(out / "gaps.csv", index=False)
    summary.to_csv(out / "gaps_summary.csv", index=False)
    titles = {code: f"{code}: {names[code]}" for code in CATEGORIES}
    fig = tc.plotting.plot_forecast(sales, forecast, supply=plan, titles=titles, n_history=36)
    chart = out / "quickstart_forecast.png"
    fig.savefig(chart, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"\nWrote forecast.csv, gaps.csv, gaps_summary.csv and {chart.name} to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
