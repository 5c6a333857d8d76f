#!/usr/bin/env python
"""How long do the functions of ``tc.metrics`` take on a large panel?

Scores a generated cross-validation frame of ``--n-series`` categories (20,000
by default; two windows of 12 months, so 24 rows each, with 80% and 95%
bounds) against a training frame of 60 months per category, with every
public metric: ``mae``, ``rmse``, ``smape``, ``wape``, ``mase``, ``rmsse``
(season 12, scaled per cutoff), ``coverage`` and ``pinball_loss`` (level 80)
and ``evaluate`` with all of them. Each is timed as the best of
``--repeat`` calls (wall seconds).

``--before REV`` also times ``src/trendcast/metrics.py`` of that commit (read
with ``git show`` and loaded beside the current one, so both run in the same
process on the same frames) and checks that both give the same numbers (to
1e-12 relative). The old implementation loops over the categories in Python
and takes minutes in all: give it ``--before-repeat 1``.

Run with the development environment::

    .venv/bin/python benchmarks/metrics_speed.py --before e6b6230

Results go to ``benchmarks/results/metrics_speed.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

H = 12
WINDOWS = 2
HISTORY = 60
SEASON = 12


def frames(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A cross-validation frame (``n`` categories, 2 windows of 12) and its training frame."""
    rng = np.random.default_rng(seed)
    months = HISTORY + H
    ds = pd.date_range("2015-01-01", periods=months, freq="MS")
    ids = np.array([f"c{i:06d}" for i in range(n)])
    level = rng.uniform(10, 1000, n)[:, None]
    season = np.sin(2 * np.pi * np.arange(months) / SEASON)[None, :]
    y = level * (1 + 0.2 * season) + rng.normal(0, 1, (n, months)) * level / 10
    train = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, HISTORY),
            "ds": np.tile(ds[:HISTORY], n),
            "y": y[:, :HISTORY].ravel(),
        }
    )
    parts = []
    for w in range(WINDOWS):
        cut = HISTORY - H * (WINDOWS - w) // WINDOWS - 1
        cols = slice(cut + 1, cut + 1 + H)
        actual = y[:, cols]
        mean = actual + rng.normal(0, 1, actual.shape) * level / 8
        width = level / 6 * np.ones_like(actual)
        parts.append(
            pd.DataFrame(
                {
                    "unique_id": np.repeat(ids, H),
                    "ds": np.tile(ds[cols], n),
                    "cutoff": ds[cut],
                    "mean": mean.ravel(),
                    "lo-80": (mean - width).ravel(),
                    "hi-80": (mean + width).ravel(),
                    "y": actual.ravel(),
                }
            )
        )
    cv = pd.concat(parts, ignore_index=True).sort_values(["unique_id", "cutoff", "ds"])
    return cv.reset_index(drop=True), train


def calls(module: types.ModuleType, cv: pd.DataFrame, train: pd.DataFrame) -> dict[str, Callable]:
    """Each metric of ``module`` bound to the frames."""
    return {
        "mae": lambda: module.mae(cv),
        "rmse": lambda: module.rmse(cv),
        "smape": lambda: module.smape(cv),
        "wape": lambda: module.wape(cv),
        "mase": lambda: module.mase(cv, train, SEASON),
        "rmsse": lambda: module.rmsse(cv, train, SEASON),
        "coverage": lambda: module.coverage(cv, 80),
        "pinball_loss": lambda: module.pinball_loss(cv, 80),
        "evaluate": lambda: module.evaluate(cv, train, SEASON, level=(80,)),
    }


def best_of(func: Callable, repeat: int) -> tuple[float, pd.DataFrame]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    assert out is not None
    return best, out


def old_module(rev: str) -> types.ModuleType:
    """``trendcast/metrics.py`` of commit ``rev``, loaded as a module of its own."""
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:src/trendcast/metrics.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location("trendcast_metrics_before", fh.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.unlink(fh.name)
    return module


def same(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest relative difference between two tables of the same categories."""
    assert list(a.columns) == list(b.columns) and a.iloc[:, 0].equals(b.iloc[:, 0])
    worst = 0.0
    for col in a.columns[1:]:
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        assert np.array_equal(np.isnan(x), np.isnan(y)), col
        ok = ~np.isnan(x)
        rel = np.abs(x[ok] - y[ok]) / np.maximum(np.abs(y[ok]), 1e-300)
        worst = max(worst, float(rel.max(initial=0.0)))
    return worst


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n-series", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=5, help="calls per metric, best kept")
    p.add_argument("--before", default=None, help="also time metrics.py of this commit")
    p.add_argument("--before-repeat", type=int, default=1)
    p.add_argument("--out", type=Path, default=HERE / "results" / "metrics_speed.md")
    args = p.parse_args()
    prov = provenance()
    warnings.simplefilter("ignore")
    from trendcast import metrics

    load_start = os.getloadavg()[0]
    cv, train = frames(args.n_series)
    rows = []
    old = old_module(args.before) if args.before else None
    for name, func in calls(metrics, cv, train).items():
        seconds, out = best_of(func, args.repeat)
        row = {"metric": name, "seconds": seconds}
        if old is not None:
            row["before_seconds"], before = best_of(calls(old, cv, train)[name], args.before_repeat)
            row["max_rel_diff"] = same(out, before)
        rows.append(row)
        print(row, file=sys.stderr)
    load_end = os.getloadavg()[0]
    lines = [
        "# Metrics on a large panel",
        "",
        f"- date: {prov['date']}",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()}; 1-min load "
        f"average {load_start:.2f} at the start, {load_end:.2f} at the end (the machine is "
        "shared: seconds move with it)",
        f"- data: generated, {args.n_series:,} categories; cross-validation frame of "
        f"{len(cv):,} rows ({WINDOWS} windows of {H} months, 80% bounds), training frame of "
        f"{len(train):,} rows ({HISTORY} months each); mase and rmsse with season {SEASON}, "
        "scaled per cutoff",
        f"- command: `{' '.join(['.venv/bin/python benchmarks/metrics_speed.py', *sys.argv[1:]])}`",
        f"- seconds: best of {args.repeat} calls"
        + (f"; before ({args.before}): best of {args.before_repeat}" if old else ""),
        "",
    ]
    if old is not None:
        lines += [
            f"| metric | seconds | seconds before ({args.before}) | speed-up | "
            "largest relative difference |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['metric']} | {r['seconds']:.3f} | {r['before_seconds']:.2f} | "
            f"{r['before_seconds'] / r['seconds']:.0f}x | {r['max_rel_diff']:.1e} |"
            for r in rows
        ]
    else:
        lines += ["| metric | seconds |", "|---|---:|"]
        lines += [f"| {r['metric']} | {r['seconds']:.3f} |" for r in rows]
    lines.append("")
    md = with_provenance("\n".join(lines), prov)
    print(md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    result = {
        "provenance": prov,
        "n_series": args.n_series,
        "rows_cv": len(cv),
        "rows_train": len(train),
        "repeat": args.repeat,
        "before": args.before,
        "before_repeat": args.before_repeat,
        "loadavg_start": load_start,
        "loadavg_end": load_end,
        "rows": rows,
    }
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
