"""Search signals: read real Google Trends exports, stitch, map to categories, test lead-lag.

The script reads 40 real Google Trends exports (Dutch interface, ten search
terms for each of four retail categories, monthly 2019-2025, bundled with
trendcast), shows how overlapping downloads are put on one scale, turns the
terms into one search series per category, and asks, per category, whether
search interest leads the CBS online-sales index of that category. Then it
holds back the last month of sales and nowcasts it from that month's search
(``tc.nowcast``), and fits ``models="auto"`` with search as a past-only
covariate at lag 1, where ``search_report_`` says per category whether the
backtest kept search. It writes ``search_by_category.csv``, ``lead_lag.csv``,
``stitch_joins.csv``, ``nowcast.csv`` and the chart ``search_lead_lag.png`` to
the folder given as first argument (default: a new temporary folder).

Run it with::

    python examples/search_signals.py trendcast-search
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
from trendcast.datasets import load_nl_online_sales, load_nl_search_mapping, nl_google_trends_files


def google_window(frame: pd.DataFrame, start: str, end: str, source: str) -> pd.DataFrame:
    """What a download limited to [start, end] would hold: the same series, max rescaled to 100."""
    part = frame[(frame["ds"] >= start) & (frame["ds"] <= end)].copy()
    part["value"] = (part["value"] / part["value"].max() * 100).round()
    return part.assign(source=source)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)

    # 1. read the real exports (any interface language, classic or new layout)
    search = tc.read_google_trends(nl_google_trends_files())
    print(f"Read {search['source'].nunique()} exports, {search['term'].nunique()} terms, "
          f"{search['ds'].min():%Y-%m} to {search['ds'].max():%Y-%m}, freq {search.attrs['freq']}")
    print(search[["ds", "term", "geo", "value"]].head(3).to_string(index=False))

    # 2. stitching: two overlapping downloads of one term come on different 0-100 scales
    iphone = search[search["term"] == "iPhone"]
    windows = [
        google_window(iphone, "2019-01-01", "2022-12-01", "2019-2022"),
        google_window(iphone, "2022-01-01", "2025-03-01", "2022-2025"),
    ]
    stitched, joins = tc.stitch_trends(windows)
    print("\nStitch report:")
    print(joins[["term", "source", "reference", "n_used", "ratio", "residual"]].to_string(
        index=False))
    joins.to_csv(out / "stitch_joins.csv", index=False)

    # 3. terms -> one search series per category, at the sales frequency
    mapping = load_nl_search_mapping()
    by_category = tc.search_by_category(search, mapping, freq="MS")
    by_category.to_csv(out / "search_by_category.csv", index=False)

    # 4. does search lead sales? (detrended, seasonally differenced, prewhitened)
    sales = load_nl_online_sales()
    table = tc.lead_lag(sales, by_category, max_lag=3)
    table.to_csv(out / "lead_lag.csv", index=False)
    print("\nLead-lag per category:")
    print(table.round(3).to_string(index=False))
    fig = tc.plot_lead_lag(sales, by_category, max_lag=3)
    fig.savefig(out / "search_lead_lag.png", dpi=100)
    plt.close(fig)

    # 5. nowcast: the last month's search is in, its sales "not yet reported"
    last = sales["ds"].max()
    reported = sales[sales["ds"] < last]
    now = tc.nowcast(reported, by_category)
    actual = sales[sales["ds"] == last].set_index("unique_id")["y"]
    now["actual"] = now["unique_id"].map(actual)
    now.to_csv(out / "nowcast.csv", index=False)
    print(f"\nNowcast of {last:%Y-%m} from that month's search (sales held back):")
    cols = ["mean", "lo-80", "hi-80", "actual"]
    print(now[["unique_id", "ds", *cols]].round(dict.fromkeys(cols, 1)).to_string(index=False))

    # 6. search as a past-only covariate: at lag 1, next month's forecast needs
    # no future search; auto keeps search per category only where the backtest says
    with_search = reported.merge(by_category[["unique_id", "ds", "search"]], on=["unique_id", "ds"])
    fc = tc.TrendForecaster(models="auto", past_covariates={"search": 1}, n_jobs=2)
    fc.fit(with_search)
    print("\nSearch report (backtest MASE with and without search at lag 1):")
    print(fc.search_report_.round(3).to_string(index=False))
    ahead = fc.predict(h=1)[["unique_id", "ds", "model", "mean"]]
    print(ahead.round({"mean": 1}).to_string(index=False))
    print(f"\nWrote {out}")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="trendcast-"))
    main(target)
