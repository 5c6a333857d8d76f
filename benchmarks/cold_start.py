"""Cold start: forecasts of a category from its first 1, 3 or 6 months, scored on its actuals.

Bundled US Census retail (64 monthly categories, 1992-2024). For each origin
``T`` (January of 2012, 2014, ..., 2022) and each category, the category is
treated as new: only its ``k`` months up to ``T`` are known (k = 1, 3, 6), the
other categories (its peers) are known up to ``T``. The next 6 months are
forecast and scored against what the category really sold:

- ``ColdStart``: what ``TrendForecaster(cold_start=True)`` fits to such a
  category: its level (mean of its k months) times the quantiles of the
  peers' ratios ``y[t+s]/y[t]`` (``peer_ratios`` of the peers' histories up
  to T, as ``fit_items`` computes them);
- ``naive``: its last month repeated (the fallback chain's Naive);
- ``parent share``: the category's share of its parent (the longest code in
  the panel that its code starts with, e.g. 4411 -> 441) over its k months,
  times the parent's seasonal-naive forecast (the same months a year
  earlier). Categories without a parent in the panel are left out of this row.

Scores: MAPE and the median absolute percentage error (the categories differ
in size by four orders of magnitude, and a new category has no history to
scale by), the bias (mean of forecast/actual - 1), and the 80% coverage of
ColdStart's intervals (the others give none here).

Run::

    PYTHONPATH=src .venv/bin/python benchmarks/cold_start.py

Writes ``benchmarks/results/cold_start.md`` and ``.json``.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import provenance, with_provenance

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results"
H = 6
KS = (1, 3, 6)
ORIGINS = [pd.Timestamp(f"{y}-01-01") for y in range(2012, 2023, 2)]


def parent_of(code: str, codes: set[str]) -> str | None:
    for cut in range(len(code) - 1, 2, -1):
        if code[:cut] in codes:
            return code[:cut]
    return None


def main() -> int:
    import trendcast as tc
    from trendcast.models import ColdStart
    from trendcast.models.cold_start import peer_ratios

    prov = provenance()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sales = tc.datasets.load_us_retail()
    series = {k: g.set_index("ds")["y"].sort_index() for k, g in sales.groupby("unique_id")}
    codes = set(series)
    rows = []
    for origin in ORIGINS:
        future = pd.date_range(origin + pd.offsets.MonthBegin(), periods=H, freq="MS")
        for key, y in series.items():
            if future[-1] not in y.index or origin not in y.index:
                continue
            actual = y.loc[future].to_numpy()
            peers = [s.loc[:origin].to_numpy() for k, s in series.items() if k != key]
            table = peer_ratios([p for p in peers if p.size >= 2])
            parent = parent_of(key, codes)
            for k in KS:
                known = y.loc[:origin].iloc[-k:].to_numpy()
                model = ColdStart(ratios=table, n_peers=len(peers)).fit(known)
                fc = model.predict(H, level=(80,))
                forecasts = {"ColdStart": fc.mean, "naive": np.full(H, known[-1])}
                if parent is not None:
                    p = series[parent]
                    past = p.loc[:origin]
                    share = known.sum() / past.iloc[-k:].sum()
                    year_ago = [d - pd.DateOffset(years=1) for d in future]
                    if all(d in p.index for d in year_ago):
                        forecasts["parent share"] = share * p.loc[year_ago].to_numpy()
                for name, f in forecasts.items():
                    ape = np.abs(f - actual) / actual
                    row = {
                        "origin": origin.strftime("%Y-%m"),
                        "category": key,
                        "k": k,
                        "method": name,
                        "ape": float(np.mean(ape)),
                        "ratio": float(np.mean(f / actual) - 1),
                    }
                    if name == "ColdStart":
                        row["coverage"] = float(
                            np.mean((actual >= fc.lower[80]) & (actual <= fc.upper[80]))
                        )
                    rows.append(row)
    frame = pd.DataFrame(rows)
    table = (
        frame.groupby(["k", "method"], sort=True)
        .agg(
            cases=("ape", "size"),
            mape=("ape", "mean"),
            median_ape=("ape", "median"),
            bias=("ratio", "mean"),
            coverage_80=("coverage", "mean"),
        )
        .reset_index()
    )
    lines = [
        "# Cold start: a category forecast from its first months",
        "",
        "- command: `PYTHONPATH=src .venv/bin/python benchmarks/cold_start.py`",
        "- data: bundled US Census retail, 64 categories; origins January 2012, 2014, ..., "
        "2022; each category treated as new with only its last k months before the origin "
        "known, its peers known up to the origin; horizon 6 months (see the module docstring)",
        "",
        "| k (months known) | method | cases | MAPE % | median APE % | bias % | 80% coverage % |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        cov = "-" if pd.isna(r.coverage_80) else f"{100 * r.coverage_80:.1f}"
        lines.append(
            f"| {r.k} | {r.method} | {r.cases} | {100 * r.mape:.1f} | {100 * r.median_ape:.1f} "
            f"| {100 * r.bias:+.1f} | {cov} |"
        )
    text = with_provenance("\n".join(lines) + "\n", prov)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cold_start.md").write_text(text, encoding="utf-8")
    payload = {"provenance": prov, "table": table.to_dict(orient="records")}
    (OUT / "cold_start.json").write_text(json.dumps(payload, indent=1, default=float) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
