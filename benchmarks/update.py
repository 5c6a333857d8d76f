#!/usr/bin/env python
"""How much cheaper is ``TrendForecaster.update`` than ``fit``?

The nightly job either refits every category on the history plus the new
period, or keeps last night's models and moves their state forward with
``update``. This script times both on the bundled US Census retail data (58
monthly categories, 1992-2024): fit on all but the last ``--new`` months, then

* ``refit``: ``fit`` on the whole history (what a job without update does);
* ``update``: ``update`` with the last ``--new`` months;

and checks how far apart the two forecasts are (``update`` keeps last fit's
parameters and model choice, so they differ a little). Run with the
development environment::

    .venv/bin/python benchmarks/update.py

Results go to ``benchmarks/results/update.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import trendcast as tc

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402


def timed(func):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = func()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--new", type=int, default=1, help="months absorbed by update (default 1)")
    p.add_argument("--models", default="auto", help="'auto' or a class in trendcast.models")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "results" / "update.md")
    args = p.parse_args()
    prov = provenance()

    sales = tc.datasets.load_us_retail()
    cut = np.sort(sales["ds"].unique())[-args.new]
    old, new = sales[sales["ds"] < cut], sales[sales["ds"] >= cut]
    models = "auto" if args.models == "auto" else getattr(tc.models, args.models)()
    n_cat = sales["unique_id"].nunique()
    warnings.simplefilter("ignore")

    def forecaster() -> tc.TrendForecaster:
        return tc.TrendForecaster(models=models, n_jobs=args.n_jobs)

    fitted, fit_wall, fit_cpu = timed(lambda: forecaster().fit(old))
    _, upd_wall, upd_cpu = timed(lambda: fitted.update(new))
    refit, refit_wall, refit_cpu = timed(lambda: forecaster().fit(sales))
    a, b = fitted.predict(12), refit.predict(12)
    rel = (a["mean"] - b["mean"]).abs() / b["mean"].abs().clip(lower=1e-9)

    rows = [
        ("fit (history minus new months)", fit_wall, fit_cpu),
        (f"refit with {args.new} new month(s)", refit_wall, refit_cpu),
        (f"update with {args.new} new month(s)", upd_wall, upd_cpu),
    ]
    lines = [
        "# update vs refit",
        "",
        f"- date: {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"1-min load average at the end {os.getloadavg()[0]:.2f} "
        "(CPU seconds are the steadier figure on a busy machine)",
        f"- data: bundled US Census retail, {n_cat} categories, monthly; models={args.models!r}, "
        f"n_jobs={args.n_jobs}",
        "- command: `.venv/bin/python benchmarks/update.py "
        f"--new {args.new} --models {args.models} --n-jobs {args.n_jobs}`",
        "",
        "| step | wall s | CPU s (main process) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {w:.2f} | {c:.2f} |" for name, w, c in rows]
    lines += [
        "",
        f"update is {refit_wall / upd_wall:.0f}x faster than refitting (wall).",
        f"Forecast difference update vs refit over 12 months: median "
        f"{100 * rel.median():.2f}%, 90th percentile {100 * rel.quantile(0.9):.2f}% of the "
        "refit forecast (update keeps last fit's parameters and model choice).",
        "",
    ]
    md = with_provenance("\n".join(lines), prov)
    print(md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    args.out.with_suffix(".json").write_text(
        json.dumps(
            {
                "provenance": prov,
                "n_categories": n_cat,
                "models": args.models,
                "new_months": args.new,
                "n_jobs": args.n_jobs,
                "rows": [{"step": n, "wall_s": w, "cpu_s": c} for n, w, c in rows],
                "median_rel_diff": float(rel.median()),
                "p90_rel_diff": float(rel.quantile(0.9)),
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()
