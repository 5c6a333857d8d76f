#!/usr/bin/env python
"""How far does trendcast scale? Weekly panels of 1,000 to 100,000 series, side by side.

Each row fits one method to a generated weekly panel (``nightly.generate``:
156 weeks of level, trend, yearly season, promotions and lognormal noise, one
series in ten intermittent; fixed seed) without its last 12 weeks, forecasts
those 12 weeks with 80% and 95% intervals, and reports the wall seconds, the
CPU seconds and the peak memory of the process and its workers (memory sampled
every 0.2 s) and MASE on the 12 held-out weeks (scaled by the in-sample
seasonal naive, season 52).
Every row runs in a fresh process, so the imports and the first pool of
workers are in its seconds, as in a nightly job.

Methods:

* ``tc-pooled``: ``TrendForecaster(models=PooledRegression())``, the global
  model (one regressor per step over every series' windows);
* ``tc-pooled-dask``: the same on a ``dask.distributed`` ``LocalCluster`` of
  2 single-thread workers (``backend="dask"``), started before the clock (a
  cluster is up already in production; its workers' memory is counted);
* ``tc-fast`` and ``tc-auto``: ``models="fast"`` and ``"auto"``;
* ``sf-AutoETS``: statsforecast's AutoETS (season 52);
* ``mlf-LightGBM``: mlforecast with LightGBM on lag features of the same
  reach as the pooled model (lags 1-13, 26, 52 and 104 weeks, week of year),
  each series standardised, conformal intervals from 2 windows of 12.

The growth exponent is the slope of log(seconds) against log(series) between
the sizes a method ran on. Run with the benchmark environment (``make bench``
builds it; mlforecast, lightgbm, dask and psutil installed into it)::

    .venv-bench/bin/python benchmarks/scale.py --sizes 1000,10000 \\
        --methods tc-pooled,tc-pooled-dask,tc-fast,mlf-LightGBM,sf-AutoETS \\
        --max-series sf-AutoETS=1000,tc-pooled-dask=10000

Results go to ``benchmarks/results/scale.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402
from memory import peak_rss  # noqa: E402
from nightly import generate  # noqa: E402

WEEKS, H, M = 156, 12, 52
LEVELS = (80, 95)
METHODS = ("tc-pooled", "tc-pooled-dask", "tc-fast", "tc-auto", "sf-AutoETS", "mlf-LightGBM")


def split(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The panel of ``n`` series without its last ``H`` weeks, and those weeks."""
    df = generate(n, WEEKS)
    # demand is never negative: at 100,000 series the generator's steepest falling
    # trends take a few values below zero (none at 10,000 or fewer), set to zero here
    df["y"] = df["y"].clip(lower=0.0)
    last = df["ds"].max() - pd.Timedelta(weeks=H)
    return df[df["ds"] <= last].reset_index(drop=True), df[df["ds"] > last].reset_index(drop=True)


def _trendcast(models: object, backend: str | None = None):
    def run(train: pd.DataFrame) -> pd.DataFrame:
        import trendcast as tc

        fc = tc.TrendForecaster(models=models, n_jobs=2, backend=backend).fit(train)
        return fc.predict(H, level=LEVELS)

    return run


def _pooled(backend: str | None = None):
    def run(train: pd.DataFrame) -> pd.DataFrame:
        import trendcast as tc

        return _trendcast(tc.models.PooledRegression(), backend)(train)

    return run


def _autoets(train: pd.DataFrame) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    sf = StatsForecast(models=[AutoETS(season_length=M)], freq="W-SUN", n_jobs=2)
    out = sf.forecast(df=train, h=H, level=list(LEVELS))
    return out.rename(columns={"AutoETS": "mean"})


def _lightgbm(train: pd.DataFrame) -> pd.DataFrame:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.target_transforms import LocalStandardScaler
    from mlforecast.utils import PredictionIntervals

    mlf = MLForecast(
        models={"lgb": lgb.LGBMRegressor(n_estimators=100, learning_rate=0.1, verbose=-1)},
        freq="W-SUN",
        lags=[*range(1, 14), 26, 52, 104],
        date_features=["week"],
        target_transforms=[LocalStandardScaler()],
        num_threads=2,
    )
    mlf.fit(train, prediction_intervals=PredictionIntervals(n_windows=2, h=H))
    return mlf.predict(H, level=list(LEVELS)).rename(columns={"lgb": "mean"})


RUNNERS = {
    "tc-pooled": _pooled(),
    "tc-pooled-dask": _pooled("dask"),
    "tc-fast": _trendcast("fast"),
    "tc-auto": _trendcast("auto"),
    "sf-AutoETS": _autoets,
    "mlf-LightGBM": _lightgbm,
}


def mase(forecast: pd.DataFrame, train: pd.DataFrame, test: pd.DataFrame) -> float:
    """Mean over series of the MAE on the held-out weeks over the in-sample seasonal naive's."""
    y = train.sort_values(["unique_id", "ds"])
    scale = y.groupby("unique_id")["y"].apply(
        lambda s: np.mean(np.abs(s.to_numpy()[M:] - s.to_numpy()[:-M]))
    )
    f = forecast.assign(
        ds=pd.to_datetime(forecast["ds"]), unique_id=forecast["unique_id"].astype(str)
    )
    both = test.merge(f[["unique_id", "ds", "mean"]], on=["unique_id", "ds"], how="left")
    mae = (both["y"] - both["mean"]).abs().groupby(both["unique_id"]).mean()
    ratio = (mae / scale.reindex(mae.index)).replace([np.inf, -np.inf], np.nan)
    return float(ratio.mean())


def child(method: str, n: int) -> dict:
    """One row, in this (fresh) process: seconds, peak memory, MASE."""
    warnings.simplefilter("ignore")
    train, test = split(n)
    with contextlib.ExitStack() as stack:
        if method.endswith("-dask"):  # a cluster that is up already, as in production
            from dask.distributed import Client, LocalCluster

            cluster = stack.enter_context(
                LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
            )
            stack.enter_context(Client(cluster))
        with peak_rss() as peak:
            cpu_start = cpu_times()
            start = time.perf_counter()
            forecast = RUNNERS[method](train)
            seconds = time.perf_counter() - start
            cpu_end = cpu_times()
    return {
        "method": method,
        "series": n,
        "seconds": round(seconds, 1),
        "peak_gb": round(peak[0] / 1e9, 2),
        "cpu_s": round(sum(t - cpu_start.get(pid, 0.0) for pid, t in cpu_end.items()), 1),
        "mase": round(mase(forecast, train, test), 4),
        "rows": int(len(forecast)),
        "load_end": round(os.getloadavg()[0], 2),
    }


def cpu_times() -> dict[int, float]:
    """CPU seconds (user + system) so far of this process and each live worker, by pid.

    On a machine shared with other work the wall seconds stretch with the load;
    the CPU seconds much less. Workers that exit before the end are not counted.
    """
    import psutil

    me = psutil.Process()
    out = {}
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            out[proc.pid] = t.user + t.system
        except psutil.Error:
            pass
    return out


def exponent(rows: list[dict], method: str) -> float | None:
    """Slope of log(seconds) against log(series) over the sizes ``method`` ran on."""
    pts = [(r["series"], r["seconds"]) for r in rows if r["method"] == method and "seconds" in r]
    if len(pts) < 2:
        return None
    x = np.log([p[0] for p in pts])
    y = np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def render(result: dict) -> str:
    rows = result["rows"]
    lines = [
        "# Scale: weekly panels from 1,000 series up, side by side",
        "",
        f"- command: `.venv-bench/bin/python benchmarks/scale.py {result['argv']}`",
        f"- data: `nightly.generate` ({WEEKS} weeks; the last {H} held out), seed 0; "
        "2 cores shared with other work (1-min load average at each row's end below)",
        "",
        "| method | series | seconds | CPU s | peak GB | MASE (12 weeks) | load | note |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['method']} | {r['series']:,} | - | - | - | - | - | {r['error']} |")
        else:
            lines.append(
                f"| {r['method']} | {r['series']:,} | {r['seconds']} | {r.get('cpu_s', '-')} | "
                f"{r['peak_gb']} | "
                f"{r['mase']} | {r['load_end']} | {r.get('note', '')} |"
            )
    lines += ["", "| method | growth exponent of seconds against series |", "|---|---:|"]
    for method in dict.fromkeys(r["method"] for r in rows):
        e = exponent(rows, method)
        lines.append(f"| {method} | {'-' if e is None else f'{e:.2f}'} |")
    lines += [
        "",
        "Targets (issue 24, 2 cores): the global model fits and forecasts 10,000 series in "
        "at most 60 s and 100,000 in at most 10 minutes under 4 GB, faster than mlforecast "
        "on the same features, with a growth exponent of at most 1.1.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000")
    p.add_argument("--methods", default="tc-pooled,tc-fast,mlf-LightGBM,sf-AutoETS")
    p.add_argument(
        "--max-series",
        default="sf-AutoETS=1000,tc-auto=1000",
        help="method=N pairs: run that method only on sizes up to N",
    )
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per row")
    p.add_argument("--out", type=Path, default=HERE / "results" / "scale.md")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    unknown = [m for m in methods if m not in RUNNERS]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    caps = dict(kv.split("=") for kv in args.max_series.split(",") if kv)
    prov = provenance("statsforecast", "mlforecast", "lightgbm", "dask")
    rows = []
    for n in sizes:
        for method in methods:
            if method in caps and n > int(caps[method]):
                continue
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", method, str(n)]
            try:
                out = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=args.timeout, check=True
                )
                row = json.loads(out.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                row = {"method": method, "series": n, "error": f"over {args.timeout:.0f} s"}
            except subprocess.CalledProcessError as exc:
                last = (exc.stderr or "").strip().splitlines()[-1:] or ["failed"]
                row = {"method": method, "series": n, "error": last[0][:120]}
            rows.append(row)
            print(row, flush=True)
    argv = " ".join(sys.argv[1:])
    result = {"argv": argv, "rows": rows, "provenance": prov}
    args.out.write_text(with_provenance(render(result), prov))
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
