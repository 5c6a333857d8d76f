#!/usr/bin/env python
"""How much memory does a fitted ``models="auto"`` forecaster hold per series?

The nightly job keeps one fitted forecaster for the whole assortment, so what
a fitted category holds decides how many categories fit in memory. This script
measures it on two panels:

* ``monthly``: the bundled US Census retail data (64 categories, about 380
  months each, season 12);
* ``weekly``: generated weekly series of 156 weeks (season 52: trend, yearly
  season, noise; fixed seed), the shape of a retail SKU-store assortment.

**Method (tracemalloc).** Each measurement runs in a fresh Python process:
it imports trendcast, fits a 2-series warm-up forecaster (so imports, caches
and first-call costs are paid before measuring) and drops it, then starts
``tracemalloc``, fits ``TrendForecaster(models="auto", n_jobs=1)`` on ``n``
series and, after ``gc.collect()``, reads the memory traced as held; then it
calls ``predict(h, level=(80, 95))`` and reads it again (a model that builds
state when it forecasts and keeps it shows there). The per-series figure is
the difference between two panel sizes divided by the difference of their
sizes, ``(mem(n2) - mem(n1)) / (n2 - n1)``, so what is held once per
forecaster (the pooled regressors, the plan) cancels. ``n_jobs=1`` keeps
every fitted object in the measured process (with worker processes, models
come back pickled, which leaves some state behind until first use).

``--before REV`` measures the same in a copy of ``src/`` at that commit
(``git archive``), in the same run, for a before/after table.

``--rss N1,N2`` also fits and forecasts ``N1`` and then ``N2`` weekly series
with ``n_jobs=2``, each in a fresh process, sampling the resident memory (RSS)
of the process and its workers together every 0.2 s: the peak is what the
machine must have. The peak for 10,000 series is extrapolated along the line
through the two (and, as a check, from the larger run plus the tracemalloc
figure per series).

Run with the development environment::

    .venv/bin/python benchmarks/memory.py --before e6b6230 --rss 500,1500

Results go to ``benchmarks/results/memory.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tracemalloc
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

WEEKS = 156
HORIZON = {"monthly": 12, "weekly": 12}


def weekly_panel(n: int, weeks: int = WEEKS, seed: int = 0) -> pd.DataFrame:
    """``n`` weekly series of ``weeks`` weeks: level, trend, yearly season, noise (positive)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2021-01-03", periods=weeks, freq="W-SUN")
    t = np.arange(weeks)
    frames = []
    for i in range(n):
        level = rng.uniform(50, 500)
        trend = rng.normal(0, 0.002) * level * t
        phase = rng.integers(52)
        season = level * rng.uniform(0.05, 0.3) * np.sin(2 * np.pi * (t + phase) / 52)
        noise = rng.normal(0, 0.05 * level, weeks)
        y = np.maximum(level + trend + season + noise, 1.0)
        frames.append(pd.DataFrame({"unique_id": f"s{i:06d}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def monthly_panel(n: int) -> pd.DataFrame:
    """The first ``n`` categories of the bundled US retail data (in code order)."""
    import trendcast as tc

    sales = tc.datasets.load_us_retail()
    keys = sorted(sales["unique_id"].unique())[:n]
    if len(keys) < n:
        raise SystemExit(f"the US retail data has {len(keys)} categories, not {n}")
    return sales[sales["unique_id"].isin(keys)].reset_index(drop=True)


def panel(kind: str, n: int, seed: int = 0) -> pd.DataFrame:
    return weekly_panel(n, seed=seed) if kind == "weekly" else monthly_panel(n)


def child(kind: str, n: int) -> dict:
    """Memory held after fitting and after forecasting ``n`` series (this process)."""
    import trendcast as tc

    warnings.simplefilter("ignore")
    warm = weekly_panel(2, seed=99) if kind == "weekly" else monthly_panel(2)
    tc.TrendForecaster(models="auto", n_jobs=1).fit(warm).predict(HORIZON[kind])
    df = panel(kind, n)
    del warm
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    fc = tc.TrendForecaster(models="auto", n_jobs=1).fit(df)
    fit_s = time.perf_counter() - start
    gc.collect()
    held_fit = tracemalloc.get_traced_memory()[0] - base
    fc.predict(HORIZON[kind], level=(80, 95))
    gc.collect()
    held_predict, peak = (v - base for v in tracemalloc.get_traced_memory())
    tracemalloc.stop()
    return {
        "kind": kind,
        "n": n,
        "held_after_fit": held_fit,
        "held_after_predict": held_predict,
        "peak": peak,
        "fit_s": fit_s,
        "loadavg": os.getloadavg()[0],
    }


@contextlib.contextmanager
def peak_rss() -> Iterator[list[int]]:
    """Inside: the peak RSS of this process and its workers, sampled every 0.2 s.

    Yields a one-item list holding the peak so far (in bytes); final on exit.
    """
    import psutil

    me = psutil.Process()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def rss_child(n: int, n_jobs: int) -> dict:
    """Peak RSS of this process and its workers, fitting and forecasting ``n`` weekly series."""
    import trendcast as tc

    warnings.simplefilter("ignore")
    df = weekly_panel(n)
    with peak_rss() as peak:
        start = time.perf_counter()
        fc = tc.TrendForecaster(models="auto", n_jobs=n_jobs).fit(df)
        fit_s = time.perf_counter() - start
        fc.predict(12, level=(80, 95))
        total_s = time.perf_counter() - start
    return {
        "n": n,
        "n_jobs": n_jobs,
        "peak_rss": peak[0],
        "fit_s": fit_s,
        "fit_predict_s": total_s,
        "loadavg": os.getloadavg()[0],
    }


def run_child(args: list[str], src: Path) -> dict:
    """Run this script with ``args`` in a fresh process importing trendcast from ``src``."""
    env = dict(os.environ, PYTHONPATH=str(src))
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def checkout(rev: str, into: Path) -> Path:
    """``src/`` of commit ``rev`` extracted into ``into``."""
    archive = into / "src.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def per_series(rows: list[dict], key: str) -> float:
    small, big = sorted(rows, key=lambda r: r["n"])
    return (big[key] - small[key]) / (big["n"] - small["n"])


def render(result: dict) -> str:
    mb = 1e6
    lines = [
        "# Memory held per fitted series",
        "",
        f"- date: {result['date']}",
        f"- machine: {os.cpu_count()} cores, Python {platform.python_version()}; 1-min load "
        f"average {result['loadavg_start']:.2f} at the start, {result['loadavg_end']:.2f} "
        "at the end (memory figures do not depend on it; seconds do)",
        f"- command: `{result['command']}`",
        "- method: tracemalloc in a fresh process per panel after a 2-series warm-up fit; "
        '`TrendForecaster(models="auto", n_jobs=1)`; memory traced as held after `fit` '
        "and after `predict(12, level=(80, 95))` (after `gc.collect()`); per series = "
        "difference between the two panel sizes / difference of sizes",
        f"- monthly: bundled US retail, first {{{','.join(map(str, result['sizes']['monthly']))}}}"
        " categories (about 380 months, season 12); weekly: generated, "
        f"{{{','.join(map(str, result['sizes']['weekly']))}}} series of {WEEKS} weeks "
        "(season 52)",
        "",
        "| code | panel | MB per series after fit | MB per series after predict | "
        "MB held at the larger size | peak MB while fitting it | fit s (larger) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, by_kind in result["runs"].items():
        for kind, rows in by_kind.items():
            big = max(rows, key=lambda r: r["n"])
            lines.append(
                f"| {label} | {kind} | {per_series(rows, 'held_after_fit') / mb:.3f} | "
                f"{per_series(rows, 'held_after_predict') / mb:.3f} | "
                f"{big['held_after_predict'] / mb:.1f} | {big['peak'] / mb:.1f} | "
                f"{big['fit_s']:.0f} |"
            )
    rss = result.get("rss")
    if rss:
        small, big = rss
        slope = (big["peak_rss"] - small["peak_rss"]) / (big["n"] - small["n"])
        line = big["peak_rss"] + (10_000 - big["n"]) * slope
        per = per_series(result["runs"]["after"]["weekly"], "held_after_predict")
        lines += [
            "",
            "| weekly series, `n_jobs=2` | peak RSS GB (process and workers) | "
            "fit + predict s | 1-min load average at the end |",
            "|---:|---:|---:|---:|",
            *(
                f"| {r['n']:,} | {r['peak_rss'] / 1e9:.2f} | {r['fit_predict_s']:.0f} | "
                f"{r['loadavg']:.2f} |"
                for r in rss
            ),
            "",
            f"Peak RSS grows by {slope / mb:.3f} MB per series between the two runs. For "
            f"10,000 weekly series: about **{line / 1e9:.1f} GB** along that line, "
            f"{(big['peak_rss'] + (10_000 - big['n']) * per) / 1e9:.1f} GB adding the "
            "tracemalloc figure per series to the larger run (estimates, not a run of "
            "10,000 series).",
        ]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--monthly", default="20,60", help="two panel sizes (default 20,60)")
    p.add_argument("--weekly", default="20,60", help="two panel sizes (default 20,60)")
    p.add_argument("--before", default=None, help="also measure src/ of this commit")
    p.add_argument("--rss", default="", help="two sizes of weekly RSS runs, e.g. 500,1500")
    p.add_argument("--out", type=Path, default=HERE / "results" / "memory.md")
    p.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    p.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    if args.rss_child:
        print(json.dumps(rss_child(args.rss_child, 2)))
        return
    prov = provenance("psutil")
    sizes = {
        "monthly": [int(v) for v in args.monthly.split(",")],
        "weekly": [int(v) for v in args.weekly.split(",")],
    }
    load_start = os.getloadavg()[0]
    sources = {"after": REPO / "src"}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            sources = {f"before ({args.before})": checkout(args.before, Path(tmp)), **sources}
        runs: dict[str, dict[str, list[dict]]] = {}
        for label, src in sources.items():
            runs[label] = {}
            for kind, ns in sizes.items():
                runs[label][kind] = [run_child(["--child", kind, str(n)], src) for n in ns]
                print(label, kind, runs[label][kind], file=sys.stderr)
    rss = [
        run_child(["--rss-child", n], REPO / "src") for n in args.rss.split(",") if args.rss
    ] or None
    command = "benchmarks/memory.py " + " ".join(sys.argv[1:])
    result = {
        "provenance": prov,
        "date": prov["date"],
        "command": command.strip(),
        "loadavg_start": load_start,
        "loadavg_end": os.getloadavg()[0],
        "sizes": sizes,
        "runs": runs,
        "rss": rss,
        "per_series_mb": {
            label: {
                kind: {
                    "after_fit": per_series(rows, "held_after_fit") / 1e6,
                    "after_predict": per_series(rows, "held_after_predict") / 1e6,
                }
                for kind, rows in by_kind.items()
            }
            for label, by_kind in runs.items()
        },
    }
    md = with_provenance(render(result), prov)
    print(md)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
