"""Intermittent demand: trendcast's ``"auto"`` beside statsforecast's intermittent models.

Two sets of sparse series, every method scored by the same code in one run:

- **real**: the sparse products of the Trendyol e-commerce data
  (``../shared/data/real/trendyol_ecommerce_daily``: the products with no sale
  on at least a quarter of the days, 60-81% zero days), daily (season 7, h=7),
  scored from many rolling origins (every ``--step`` days over the last
  ``--origins * --step`` days), and the same products summed to weeks (h=4)
  from rolling origins a week apart. Only 3 of the 9 products are sparse, so
  the origins make the set; they overlap and are not independent.
- **simulated**: ``--n-sim`` weekly series of 104 weeks plus h=8 of Croston-type
  demand with known truth (seed ``--seed``): a demand occurs each week with
  probability ``p`` (uniform 0.08-0.5), its size is ``1 + Poisson(lam)``
  (``lam`` uniform 0.2-4, so counts); in a third of the series ``p`` decays
  (obsolescence, TSB's case: ``p`` times a factor from 0.98 to 0.995 a week)
  and in a sixth it starts low and doubles half-way (a product catching on).

Methods: trendcast ``TrendForecaster()`` (``"auto"``: sparse categories choose
between ``IntermittentDemand`` and Naive by backtest RMSSE), and
statsforecast's CrostonClassic, CrostonSBA, CrostonOptimized, TSB (alpha_d =
alpha_p = 0.1), ADIDA, IMAPA and AutoETS with conformal 80% intervals
(``ConformalIntervals(h, n_windows=2)``; the Croston family has no
intervals of its own).

Scores per series, then averaged: MASE and RMSSE (scaled by the one-step
naive error of the training data, as in M5), the scaled pinball loss of the
10% and 90% quantiles (the 80% bounds, same scale), 80% coverage, and the
share of *selling* series (a sale in the test span) forecast all zero.

Run (statsforecast needs pandas < 3, so the bench environment)::

    PYTHONPATH=src /work/main/.venv-bench/bin/python benchmarks/intermittent.py

Writes ``benchmarks/results/intermittent.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import provenance, with_provenance

ROOT = Path(__file__).resolve().parents[1]
TRENDYOL = ROOT.parent.parent / "shared" / "data" / "real" / "trendyol_ecommerce_daily"
OUT = ROOT / "benchmarks" / "results"
LEVEL = 80
PEERS = (
    "CrostonClassic",
    "CrostonSBA",
    "CrostonOptimized",
    "TSB",
    "ADIDA",
    "IMAPA",
    "AutoETS",
)


def _trendyol_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    for base in (TRENDYOL, Path("/work/shared/data/real/trendyol_ecommerce_daily")):
        if base.exists():
            return base
    raise SystemExit("Trendyol data not found; pass --trendyol DIR")


def real_daily(folder: Path) -> pd.DataFrame:
    """The sparse Trendyol products (zero on >= 25% of days), daily, in time order."""
    raw = pd.read_csv(folder / "ProjectRawData.csv").dropna(subset=["product_content_id"])
    raw = raw.assign(
        unique_id=raw["product_content_id"].astype("int64").astype(str),
        ds=pd.to_datetime(raw["event_date"]),
        y=raw["sold_count"].astype(float),
    )[["unique_id", "ds", "y"]]
    zero = raw.groupby("unique_id")["y"].apply(lambda s: (s == 0).mean())
    keep = zero[zero >= 0.25].index
    return raw[raw["unique_id"].isin(keep)].sort_values(["unique_id", "ds"]).reset_index(drop=True)


def origins(
    panel: pd.DataFrame, h: int, n_origins: int, step: int, tag: str
) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """(case id, training frame, actuals) for rolling origins, the last one ``h`` from the end."""
    cases = []
    for uid, g in panel.groupby("unique_id", sort=True):
        y = g["y"].to_numpy()
        for k in range(n_origins):
            cut = len(g) - h - k * step
            if cut < 8 * h:
                break
            train = g.iloc[:cut].assign(unique_id=f"{tag}-{uid}-{cut}")
            cases.append((f"{tag}-{uid}-{cut}", train, y[cut : cut + h]))
    return cases


def simulated(n: int, seed: int, length: int = 104, h: int = 8) -> pd.DataFrame:
    """Croston-type count demand with known rates (see the module docstring)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2022-01-03", periods=length + h, freq="W-MON")
    frames = []
    for i in range(n):
        p0 = rng.uniform(0.08, 0.5)
        lam = rng.uniform(0.2, 4.0)
        kind = rng.choice(["steady", "steady", "steady", "decay", "decay", "rise"])
        t = np.arange(length + h)
        if kind == "decay":
            p = p0 * rng.uniform(0.98, 0.995) ** t
        elif kind == "rise":
            p = np.where(t < length // 2, p0 / 2, p0)
        else:
            p = np.full(t.size, p0)
        y = np.where(rng.random(t.size) < p, 1 + rng.poisson(lam, t.size), 0).astype(float)
        if not (y[:length] > 0).any():
            y[length // 2] = 1.0
        frames.append(pd.DataFrame({"unique_id": f"sim-{i:04d}-{kind}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def run_trendcast(train: pd.DataFrame, h: int, freq: str, n_jobs: int) -> pd.DataFrame:
    import trendcast as tc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = tc.TrendForecaster(freq=freq, n_jobs=n_jobs).fit(train)
        out = fc.predict(h, level=(LEVEL,))
    report = fc.fit_report_.set_index("unique_id")
    out = out.assign(model="auto")
    out.attrs["reasons"] = report["reason"].to_dict()
    out.attrs["used"] = report["model_used"].to_dict()
    return out[["unique_id", "ds", "model", "mean", f"lo-{LEVEL}", f"hi-{LEVEL}"]]


def run_statsforecast(
    train: pd.DataFrame, h: int, freq: str, season: int, n_jobs: int
) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast import models as sfm
    from statsforecast.utils import ConformalIntervals

    models = [
        sfm.CrostonClassic(),
        sfm.CrostonSBA(),
        sfm.CrostonOptimized(),
        sfm.TSB(alpha_d=0.1, alpha_p=0.1),
        sfm.ADIDA(),
        sfm.IMAPA(),
        sfm.AutoETS(season_length=season),
    ]
    sf = StatsForecast(models=models, freq=freq, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(
            df=train,
            h=h,
            level=[LEVEL],
            prediction_intervals=ConformalIntervals(h=h, n_windows=2),
        )
    if "unique_id" not in out.columns:
        out = out.reset_index()
    parts = []
    for model in models:
        alias = repr(model)
        part = out[["unique_id", "ds", alias, f"{alias}-lo-{LEVEL}", f"{alias}-hi-{LEVEL}"]]
        part = part.rename(
            columns={
                alias: "mean",
                f"{alias}-lo-{LEVEL}": f"lo-{LEVEL}",
                f"{alias}-hi-{LEVEL}": f"hi-{LEVEL}",
            }
        )
        parts.append(part.assign(model=alias))
    result = pd.concat(parts, ignore_index=True)
    for col in ("mean", f"lo-{LEVEL}", f"hi-{LEVEL}"):  # demand is not negative
        result[col] = result[col].clip(lower=0.0)
    return result


def scores(
    forecasts: pd.DataFrame, train: pd.DataFrame, actual: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Per (model, series): MASE, RMSSE, scaled pinball, coverage, all-zero flag, selling."""
    scale1, scale2 = {}, {}
    for uid, g in train.groupby("unique_id", sort=False):
        d = np.diff(g["y"].to_numpy())
        scale1[uid] = float(np.mean(np.abs(d))) or 1.0
        scale2[uid] = float(np.mean(d**2)) or 1.0
    rows = []
    q_lo, q_hi = (1 - LEVEL / 100) / 2, (1 + LEVEL / 100) / 2
    for (model, uid), g in forecasts.groupby(["model", "unique_id"], sort=False):
        y = actual[uid]
        f = g["mean"].to_numpy()[: y.size]
        lo = g[f"lo-{LEVEL}"].to_numpy()[: y.size]
        hi = g[f"hi-{LEVEL}"].to_numpy()[: y.size]
        pin = np.mean(np.maximum(q_lo * (y - lo), (q_lo - 1) * (y - lo))) + np.mean(
            np.maximum(q_hi * (y - hi), (q_hi - 1) * (y - hi))
        )
        rows.append(
            {
                "model": model,
                "unique_id": uid,
                "mase": np.mean(np.abs(y - f)) / scale1[uid],
                "rmsse": np.sqrt(np.mean((y - f) ** 2) / scale2[uid]),
                "spl": pin / 2 / scale1[uid],
                "coverage": np.mean((y >= lo) & (y <= hi)),
                "selling": bool((y > 0).any()),
                "all_zero": bool(np.all(f <= 1e-12)),
            }
        )
    return pd.DataFrame(rows)


def summarise(per: pd.DataFrame) -> pd.DataFrame:
    g = per.groupby("model", sort=False)
    table = pd.DataFrame(
        {
            "series": g.size(),
            "MASE": g["mase"].mean(),
            "RMSSE": g["rmsse"].mean(),
            "scaled pinball": g["spl"].mean(),
            "coverage 80": g["coverage"].mean() * 100,
            "selling all-zero %": per[per["selling"]].groupby("model")["all_zero"].mean() * 100,
        }
    )
    return table.sort_values("RMSSE")


def run_set(
    name: str,
    cases: list[tuple[str, pd.DataFrame, np.ndarray]],
    h: int,
    freq: str,
    season: int,
    n_jobs: int,
) -> tuple[pd.DataFrame, dict]:
    train = pd.concat([c[1] for c in cases], ignore_index=True)
    actual = {c[0]: c[2] for c in cases}
    t0 = time.perf_counter()
    tc_out = run_trendcast(train, h, freq, n_jobs)
    t_tc = time.perf_counter() - t0
    t0 = time.perf_counter()
    sf_out = run_statsforecast(train, h, freq, season, n_jobs)
    t_sf = time.perf_counter() - t0
    per = scores(pd.concat([tc_out, sf_out], ignore_index=True), train, actual)
    table = summarise(per)
    auto = per[per["model"] == "auto"].set_index("unique_id")
    zero_selling = auto[auto["selling"] & auto["all_zero"]].index
    reasons = tc_out.attrs["reasons"]
    used = pd.Series(tc_out.attrs["used"]).str.split("(").str[0].value_counts().to_dict()
    facts = {
        "set": name,
        "series": len(cases),
        "h": h,
        "freq": freq,
        "seconds_trendcast": round(t_tc, 1),
        "seconds_statsforecast": round(t_sf, 1),
        "trendcast_models_used": used,
        "selling_all_zero_without_reason": int(
            sum("forecasts zero" not in reasons[u] for u in zero_selling)
        ),
        "selling_all_zero": int(len(zero_selling)),
    }
    return table, facts


def _markdown(table: pd.DataFrame) -> str:
    """The table as markdown (pandas' to_markdown needs tabulate)."""
    cols = list(table.columns)
    head = "| model | " + " | ".join(cols) + " |"
    rule = "|---|" + "|".join("---:" for _ in cols) + "|"
    body = []
    for model, row in table.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            cells.append(f"{int(v)}" if c == "series" else ("-" if pd.isna(v) else f"{v:.3f}"))
        body.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *body])


def render(tables: dict[str, pd.DataFrame], facts: list[dict], args: argparse.Namespace) -> str:
    lines = [
        "# Intermittent demand: trendcast auto vs statsforecast's intermittent models",
        "",
        f"- command: `PYTHONPATH=src {Path(sys.executable).name} benchmarks/intermittent.py "
        + " ".join(sys.argv[1:])
        + "` (the bench environment: statsforecast needs pandas < 3)",
        "- sets: see the module docstring of `benchmarks/intermittent.py`; scores are means over "
        "series; MASE, RMSSE and the scaled pinball loss (of the 80% bounds) are scaled by the "
        "one-step naive error of the training data; statsforecast's intervals are conformal "
        "(2 windows of h), trendcast's its own (sparse categories: simulated from the "
        "demand process)",
        "",
    ]
    for f in facts:
        table = tables[f["set"]]
        auto = table.loc["auto"]
        peers = table.drop(index="auto")
        best = peers["RMSSE"].idxmin()
        lines += [
            f"## {f['set']}: {f['series']} series, h={f['h']} ({f['freq']})",
            "",
            _markdown(table),
            "",
            f"- auto RMSSE {auto['RMSSE']:.3f} vs the best peer {best} "
            f"{peers.loc[best, 'RMSSE']:.3f} "
            f"({auto['RMSSE'] / peers.loc[best, 'RMSSE'] - 1:+.1%}); 80% coverage "
            f"{auto['coverage 80']:.1f}%",
            f"- selling series forecast all zero by auto: {f['selling_all_zero']} "
            f"({f['selling_all_zero_without_reason']} without a stated reason)",
            f"- auto's models: {f['trendcast_models_used']}; seconds: trendcast "
            f"{f['seconds_trendcast']}, statsforecast {f['seconds_statsforecast']} "
            f"(n_jobs={args.n_jobs})",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trendyol", default=None, help="folder of ProjectRawData.csv")
    parser.add_argument("--origins", type=int, default=30, help="daily origins per product")
    parser.add_argument("--step", type=int, default=3, help="days between daily origins")
    parser.add_argument("--weekly-origins", type=int, default=12)
    parser.add_argument("--n-sim", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    prov = provenance("statsforecast")
    daily = real_daily(_trendyol_path(args.trendyol))
    weekly = (
        daily.assign(ds=daily["ds"].dt.to_period("W-SUN").dt.start_time)
        .groupby(["unique_id", "ds"], as_index=False)["y"]
        .sum()
    )
    # whole weeks only: drop a first or last week with fewer than 7 days
    days = daily.assign(week=daily["ds"].dt.to_period("W-SUN").dt.start_time)
    full = days.groupby(["unique_id", "week"]).size()
    full = full[full == 7].reset_index()[["unique_id", "week"]].rename(columns={"week": "ds"})
    weekly = weekly.merge(full, on=["unique_id", "ds"])
    sim = simulated(args.n_sim, args.seed)
    sim_h = 8
    sim_cases = [
        (uid, g.iloc[:-sim_h], g["y"].to_numpy()[-sim_h:])
        for uid, g in sim.groupby("unique_id", sort=True)
    ]
    sets = [
        ("real daily", origins(daily, 7, args.origins, args.step, "d"), 7, "D", 7),
        ("real weekly", origins(weekly, 4, args.weekly_origins, 1, "w"), 4, "W-MON", 1),
        ("simulated weekly", sim_cases, sim_h, "W-MON", 1),
    ]
    tables, facts = {}, []
    for name, cases, h, freq, season in sets:
        table, fact = run_set(name, cases, h, freq, season, args.n_jobs)
        tables[name] = table
        facts.append(fact)
        print(name, fact, flush=True)
        print(table.round(3).to_string(), flush=True)
    text = with_provenance(render(tables, facts, args), prov)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "intermittent.md").write_text(text + "\n", encoding="utf-8")
    payload = {
        "provenance": prov,
        "sets": [
            {**f, "table": tables[f["set"]].reset_index(names="model").to_dict(orient="records")}
            for f in facts
        ],
    }
    (out / "intermittent.json").write_text(json.dumps(payload, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
    raise SystemExit(main())
