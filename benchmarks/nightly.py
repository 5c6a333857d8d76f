#!/usr/bin/env python
"""The nightly job at scale: a fit night against an update night, and the store's backends.

Two panels go through the real ``trendcast run`` (a subprocess per night, so
each night's peak memory is its own):

* a generated panel of ``--categories`` weekly categories (``--weeks`` weeks:
  trend, yearly seasonality, promotions that lift some weeks, and one member
  in ten intermittent, mostly zeros; fixed seed), with a plan per category;
* the bundled US Census retail data (58 monthly categories, ``models="auto"``).

Night 1 fits every chunk (``fit night``); night 2, one period later, updates
the stored models (``update night``: ``refit`` is set far away). For each
night: wall seconds, the stage seconds the job logs, peak resident memory of
the job's main process (loky workers are not counted) and the store's size.
Then the results of the generated fit night are written again to a fresh
SQLite file and a fresh PostgreSQL database (``--postgres URL``, default
``TRENDCAST_TEST_POSTGRES_URL``) to compare the store time of the backends.

The generated panel uses a cheap model list by default (``--models``): ``auto``
on 10,000 weekly categories takes hours on 2 cores. Run it with the
development environment, in the background for the full size::

    .venv/bin/python benchmarks/nightly.py              # 10,000 categories
    .venv/bin/python benchmarks/nightly.py --categories 500 --out /tmp/x   # a quick look

Results go to ``benchmarks/results/nightly.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

SRC = HERE.parent / "src"


def generate(n: int, weeks: int, seed: int = 0) -> pd.DataFrame:
    """Weekly demand: level, trend, yearly season, promotions, one in ten intermittent."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    dates = pd.date_range("2021-01-03", periods=weeks, freq="W-SUN")
    level = rng.lognormal(4.0, 1.0, n)[:, None]
    trend = 1 + rng.normal(0.002, 0.002, n)[:, None] * t
    phase = rng.uniform(0, 2 * np.pi, n)[:, None]
    season = 1 + rng.uniform(0.05, 0.4, n)[:, None] * np.sin(2 * np.pi * t / 52 + phase)
    promo = 1 + (rng.random((n, weeks)) < 0.05) * rng.uniform(0.2, 0.8, (n, weeks))
    y = level * trend * season * promo * rng.lognormal(0, 0.08, (n, weeks))
    sparse = rng.random(n) < 0.1
    k = int(sparse.sum())
    y[sparse] = rng.poisson(0.6, (k, weeks)) * rng.integers(1, 5, (k, 1))
    ids = np.array([f"c{i:05d}" for i in range(n)])
    return pd.DataFrame({
        "unique_id": np.repeat(ids, weeks), "ds": np.tile(dates, n), "y": np.round(y, 1).ravel(),
    })  # fmt: skip


def plan_of(sales: pd.DataFrame, periods: int, freq: str) -> pd.DataFrame:
    """A plan: each category's mean of its last 8 periods, flat, over history and beyond."""
    last = sales.groupby("unique_id")["y"].apply(lambda s: s.tail(8).mean())
    end = sales["ds"].max()
    future = pd.date_range(end, periods=periods + 1, freq=freq)[1:]
    dates = pd.DatetimeIndex(sales["ds"].unique()).append(future)
    return pd.DataFrame({
        "unique_id": np.repeat(last.index, len(dates)), "ds": np.tile(dates, len(last)),
        "supply": np.repeat(last.to_numpy() * 1.02, len(dates)).round(1),
    })  # fmt: skip


CONFIG = """\
[store]
url = "{url}"

[sales]
path = "sales.parquet"

[[supply]]
name = "plan"
path = "plan.parquet"

[model]
models = {models}
horizon = {horizon}
n_paths = {paths}
chunk_size = {chunk}
refit = 1000

[report]
path = ""

[execution]
n_jobs = {jobs}
"""


def night(config: Path, as_of: str) -> dict:
    """One ``trendcast run`` in a subprocess: exit, wall seconds, stage seconds, peak RSS (MB)."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trendcast.cli", "run", str(config), "--as-of", as_of],
        env={**os.environ, "PYTHONPATH": path}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    stages = {
        m[0]: float(m[1]) for m in re.findall(r"stage (\w+) done \(.*?seconds=([\d.]+)\)", err)
    }
    counts = re.search(r"stage models done \((.*?)\)", err)
    return {
        "exit": proc.returncode, "seconds": round(wall, 1), "stages": stages,
        "peak_mb": round(usage.ru_maxrss / 1024), "models": counts.group(1) if counts else "",
        "log_tail": err.splitlines()[-3:],
    }  # fmt: skip


def store_size(url: str) -> int | None:
    from trendcast.store import Store

    with Store(url) as store:
        return store.size_bytes()


def two_nights(folder: Path, url: str, first: str, second: str) -> dict:
    """A fit night and an update night; the store's size after each."""
    fit = night(folder / "trendcast.toml", first)
    if fit["exit"] != 0:
        raise SystemExit(f"the fit night failed: {fit['log_tail']}")
    fit["store_mb"] = round((store_size(url) or 0) / 2**20, 1)
    update = night(folder / "trendcast.toml", second)
    if update["exit"] != 0:
        raise SystemExit(f"the update night failed: {update['log_tail']}")
    update["store_mb"] = round((store_size(url) or 0) / 2**20, 1)
    return {"fit": fit, "update": update,
            "update_share": round(update["seconds"] / fit["seconds"], 3)}  # fmt: skip


def store_backends(source_url: str, postgres: str | None) -> dict:
    """Write the first run's results again to a fresh SQLite file and PostgreSQL database."""
    import sqlalchemy as sa

    from trendcast.store import RESULT_TABLES, Store

    with Store(source_url) as store:
        run = store.get_run("1")
        results = {t: store.read(t, 1).drop(columns=["id", "run_id"]) for t in RESULT_TABLES
                   if t != "artifacts"}  # fmt: skip
    run = {k: v for k, v in run.items() if k != "id"}
    rows = sum(len(f) for f in results.values())
    out: dict = {"rows": rows}
    targets = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/copy.sqlite"}
    drop = None
    if postgres:
        name = f"tc_bench_{os.getpid()}"
        admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        targets["postgresql"] = sa.make_url(postgres).set(database=name).render_as_string(False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    for backend, url in targets.items():
        with Store(url) as target:
            start = time.perf_counter()
            target.write_run(run, results)
            first = time.perf_counter() - start
            start = time.perf_counter()
            target.write_run(run, results)  # the same night again: replace
            again = time.perf_counter() - start
        out[backend] = {"write_s": round(first, 2), "rewrite_s": round(again, 2)}
    if drop is not None:
        drop()
    return out


def generated(args: argparse.Namespace, folder: Path) -> dict:
    sales = generate(args.categories, args.weeks, seed=0)
    dates = sorted(sales["ds"].unique())
    folder.mkdir(parents=True, exist_ok=True)
    sales.to_parquet(folder / "sales.parquet", index=False)
    plan_of(sales, args.horizon + 2, "W-SUN").to_parquet(folder / "plan.parquet", index=False)
    url = f"sqlite:///{folder / 'store.sqlite'}"
    models = json.dumps(args.models.split(",")) if args.models != "auto" else '"auto"'
    (folder / "trendcast.toml").write_text(CONFIG.format(
        url=url, models=models, horizon=args.horizon, paths=args.paths, chunk=args.chunk,
        jobs=args.jobs))  # fmt: skip
    first, second = (pd.Timestamp(d).date().isoformat() for d in dates[-2:])
    out = two_nights(folder, url, first, second)
    out["store"] = store_backends(url, args.postgres)
    return out


def bundled(args: argparse.Namespace, folder: Path) -> dict:
    from trendcast.job.init import write_init

    write_init(folder)
    config = folder / "trendcast.toml"
    text = config.read_text().replace('refit = "monthly"', "refit = 1000")
    config.write_text(text.replace('path = "report-{as_of}.html"', 'path = ""'))
    return two_nights(folder, f"sqlite:///{folder / 'trendcast.sqlite'}", "2024-08-01",
                      "2024-09-01")  # fmt: skip


def markdown(result: dict, args: argparse.Namespace) -> str:
    lines = ["# The nightly job: fit night against update night", ""]
    lines += [
        f"Generated panel: {args.categories:,} weekly categories x {args.weeks} weeks (seed 0), "
        f"models {args.models}, horizon {args.horizon}, {args.paths} paths, chunks of "
        f"{args.chunk}, n_jobs {args.jobs}. Bundled: 58 monthly US retail categories, "
        "models auto. Each night is a `trendcast run` subprocess on a SQLite store; peak "
        "memory is what the kernel reports for the job's process (wait4 max RSS).", "",
        "| panel | night | seconds | models | forecast | gaps | markets | accuracy | store | "
        "peak MB | store MB | models stage |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]  # fmt: skip
    for panel in ("generated", "bundled"):
        if panel not in result:
            continue
        for name in ("fit", "update"):
            n = result[panel][name]
            st = n["stages"]
            lines.append(
                f"| {panel} | {name} | {n['seconds']} | " + " | ".join(
                    str(st.get(k, "")) for k in ("models", "forecast", "gaps", "markets",
                                                 "accuracy", "store")
                ) + f" | {n['peak_mb']} | {n['store_mb']} | {n['models']} |"
            )  # fmt: skip
    lines.append("")
    for panel in ("generated", "bundled"):
        if panel in result:
            share = result[panel]["update_share"]
            fit, upd = result[panel]["fit"]["stages"], result[panel]["update"]["stages"]
            lines.append(
                f"- {panel}: the update night takes {100 * share:.1f}% of the fit night "
                f"(target: under 10% on 10,000 categories); its models stage "
                f"{100 * upd.get('models', 0) / max(fit.get('models', 1), 1e-9):.1f}% of the "
                "fit night's. Forecasting, gaps and markets are paid every night."
            )
    if "loadavg_1min_start" in result:
        lines.append(f"- load average (1 min) at start and end: {result['loadavg_1min_start']:.1f}"
                     f", {result['loadavg_1min_end']:.1f} (the machine is shared).")  # fmt: skip
    store = result.get("generated", {}).get("store")
    if store:
        lines += ["", f"Store time for the generated fit night's results ({store['rows']:,} "
                  "rows, artifacts left out), fresh stores:", "",
                  "| backend | write s | rewrite (same night) s |", "|---|---:|---:|"]  # fmt: skip
        for backend in ("sqlite", "postgresql"):
            if backend in store:
                b = store[backend]
                lines.append(f"| {backend} | {b['write_s']} | {b['rewrite_s']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--categories", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--models", default="Theta,SeasonalNaive,Naive")
    parser.add_argument("--horizon", type=int, default=13)
    parser.add_argument("--paths", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--postgres", default=os.environ.get("TRENDCAST_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-bundled", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--render", type=Path, help="only rewrite the markdown of this JSON")
    args = parser.parse_args()
    if args.render is not None:  # the same numbers, the markdown written again
        saved = json.loads(args.render.read_text())
        for key, value in saved["settings"].items():
            setattr(args, key, int(value) if value.isdigit() else value)
        md = with_provenance(markdown(saved["result"], args), saved["provenance"])
        (args.render.with_suffix(".md")).write_text(md)
        print(md)
        return
    prov = provenance("sqlalchemy", "psycopg")
    result: dict = {"loadavg_1min_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        result["generated"] = generated(args, Path(tmp) / "generated")
        if not args.skip_bundled:
            result["bundled"] = bundled(args, Path(tmp) / "bundled")
    result["loadavg_1min_end"] = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    md = with_provenance(markdown(result, args), prov)
    (args.out / "nightly.md").write_text(md)
    settings = {k: str(v) for k, v in vars(args).items() if k not in ("postgres",)}
    (args.out / "nightly.json").write_text(json.dumps(
        {"provenance": prov, "settings": settings, "result": result,
         "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
        indent=2, default=str) + "\n")  # fmt: skip
    print(md)


if __name__ == "__main__":
    main()
