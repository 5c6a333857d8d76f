"""Sectors, coherent forecasts, hotspots and emerging categories on real data.

Part 1 (US Census retail, $ millions): build a total > sector > category
hierarchy from the bundled mapping, forecast every node, make the forecasts
coherent with MinT (shrinkage) using one-step cross-validation errors,
reconcile the sample paths too, rank the markets over $100bn and $1tn for the
next 12 months, and compare a naive supply plan with the coherent forecasts at
every level.

Part 2 (Netherlands): score emerging categories from CBS online sales, the
Google Trends search interest of each category and a forecast.

It writes ``reconciled.csv``, ``hotspots.csv``, ``sector_gaps.csv`` and
``emerging.csv`` to the folder given as first argument (default: a new
temporary folder). Run it with::

    python examples/sectors.py trendcast-sectors
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import trendcast as tc
from trendcast.datasets import load_nl_online_sales, load_nl_search_mapping, nl_google_trends_files

pd.set_option("display.width", 120)


def us_retail(out: Path) -> None:
    mapping = tc.datasets.load_us_retail_sectors()
    hier = tc.Hierarchy.from_frame(mapping)
    print(hier)
    sales = tc.datasets.load_us_retail(categories=hier.bottom)
    sales = sales[sales["ds"] >= "2012-01-01"]
    nodes = hier.aggregate(sales).drop(columns="level")  # one series per node, sectors too

    # base forecasts of every node, their sample paths and one-step errors
    forecaster = tc.TrendForecaster(models=tc.models.Theta())
    base = forecaster.fit(nodes).predict(h=12)
    paths = forecaster.sample_paths(h=12, n_paths=500, random_state=0, output="arrays")
    # calibration rescales intervals only, so the errors of the mean need none (faster)
    cv = tc.TrendForecaster(models=tc.models.Theta(), calibration=None).cross_validation(
        nodes, h=1, n_windows=24
    )
    residuals = tc.one_step_errors(cv)

    reconciled = tc.reconcile(
        base, hier, method="mint_shrink", residuals=residuals, paths=paths
    )
    coherent_paths = tc.reconcile_paths(paths, hier, method="mint_shrink", residuals=residuals)
    reconciled.to_csv(out / "reconciled.csv", index=False)

    wide = reconciled.pivot(index="ds", columns="unique_id", values="mean")
    sectors = list(hier.nodes.loc[hier.nodes["level"] == "sector", "unique_id"])
    gap = float((wide[sectors].sum(axis=1) - wide["44X72"]).abs().max())
    print(f"Coherence: |sum of sectors - total| <= {gap:.2e} ($ millions)")
    before = base.set_index(["unique_id", "ds"])["mean"]
    after = reconciled.set_index(["unique_id", "ds"])["mean"]
    change = (after / before - 1).groupby(level=0).mean().sort_values()
    print("Mean change of MinT over the base forecasts, per node:")
    print(change.map("{:+.2%}".format).to_string())

    # markets over $100bn and $1tn in the next 12 months (the data is in $ millions)
    hot = tc.hotspots(
        reconciled,
        history=sales,
        hierarchy=hier,
        paths=coherent_paths,
        thresholds={"100bn": 1e5, "1tn": 1e6},
    )
    hot.to_csv(out / "hotspots.csv", index=False)
    print("\nHotspots, next 12 months ($ millions):")
    cols = ["rank", "unique_id", "level", "total", "total_lo", "total_hi", "tier", "growth"]
    print(hot[cols].round(3).to_string(index=False))

    # a naive plan: last year's month plus 2%, compared at every level
    last_year = nodes.assign(ds=nodes["ds"] + pd.DateOffset(years=1))
    supply = last_year.rename(columns={"y": "supply"}).assign(supply=lambda d: 1.02 * d["supply"])
    gaps = tc.supply_gaps(reconciled, supply)
    gaps = gaps[gaps["unique_id"].isin(sectors)]
    gaps.to_csv(out / "sector_gaps.csv", index=False)
    print("\nSector months where the plan is likely short:")
    short = gaps[gaps["flag"] == "short"][["unique_id", "ds", "mean", "supply", "p_short"]]
    print(short.round({"mean": 1, "supply": 1, "p_short": 3}).to_string(index=False)
          if len(short) else "none")
    # the coherent paths give probabilities for a whole sector, e.g. over the year
    year = coherent_paths["Nonstore retail"].sum(axis=1)
    planned = float(supply[supply["unique_id"] == "Nonstore retail"]["supply"].tail(12).sum())
    print(f"P(nonstore sales over the next 12 months exceed the plan) = "
          f"{np.mean(year > planned):.2f}")


def netherlands(out: Path) -> None:
    sales = load_nl_online_sales()
    search = tc.search_by_category(
        tc.read_google_trends(nl_google_trends_files()), load_nl_search_mapping(), freq="MS"
    )
    forecast = tc.TrendForecaster(models=tc.models.Theta()).fit(sales).predict(h=12)
    table = tc.emerging(sales, search=search, forecast=forecast)
    table.to_csv(out / "emerging.csv", index=False)
    print("\nEmerging categories (Dutch online sales index + search):")
    print(table.round(3).to_string(index=False))
    without = tc.emerging(sales, forecast=forecast)
    print("\nWithout search (basis: sales, forecast):")
    print(without[["rank", "unique_id", "score", "emerging", "basis"]].round(3).to_string(
        index=False))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    us_retail(out)
    netherlands(out)
    print(f"\nWrote reconciled.csv, hotspots.csv, sector_gaps.csv, emerging.csv to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="sectors-")))
