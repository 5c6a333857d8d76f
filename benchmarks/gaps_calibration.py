"""How trustworthy are the supply-gap probabilities? Simulations with known truth, and a backtest.

Run from the repository root::

    .venv/bin/python benchmarks/gaps_calibration.py

Prints three tables and writes them to ``benchmarks/results/gaps_calibration.md``:

1. ``p_short`` calibration (10 bins, mean absolute gap between predicted and observed
   frequency of "demand beat supply") and precision/recall of the ``short`` column at
   the default threshold 0.8, for normal and lognormal demand with supply at uniform
   random quantiles; for the intervals, sample paths and the previous method (mean
   pinned at the 50% point).
2. Window probabilities (3 months) for AR(1) demand against the analytic answer, the
   independence answer and the product of per-period probabilities.
3. A backtest on the bundled US retail sales: forecast 12 months from 2023-09 (ETS),
   plan = same month last year +2%, compared with what was then sold.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import trendcast as tc  # noqa: E402
from tests.test_adaptation_calibration import (  # noqa: E402
    ar1_paths,
    calibration_curve,
    precision_recall,
    simulate,
)

HERE = ROOT / "benchmarks"
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402


def old_p_short(gaps: pd.DataFrame, fc: pd.DataFrame) -> np.ndarray:
    """The method before this change: the mean at the 50% point, linear in normal score."""
    z80, z95 = norm.ppf(0.9), norm.ppf(0.975)
    zk = np.array([-z95, -z80, 0.0, z80, z95])
    vals = fc[["lo-95", "lo-80", "mean", "hi-80", "hi-95"]].to_numpy(float)
    z = np.array(
        [
            np.interp(s, v, zk, left=-np.inf, right=np.inf)
            for s, v in zip(gaps["supply"], vals, strict=True)
        ]
    )
    return norm.sf(z)


def table_calibration(n_cat: int = 2000, h: int = 6) -> pd.DataFrame:
    rows = []
    for family in ("normal", "lognormal"):
        for label, n_paths in (("intervals", None), ("paths (200)", 200), ("paths (1000)", 1000)):
            g = simulate(n_cat, h, family=family, n_paths=n_paths, seed=11)
            rows.append(_scores(label, family, g, g["p_short"].to_numpy()))
        # the previous method, on the same rows as "intervals"
        g = simulate(n_cat, h, family=family, n_paths=None, seed=11)
        fc = _forecast_like(n_cat, h, family)
        rows.append(_scores("previous (mean as median)", family, g, old_p_short(g, fc)))
    return pd.DataFrame(rows)


def _forecast_like(n_cat: int, h: int, family: str) -> pd.DataFrame:
    # rebuild the forecast frame of simulate() with the same seed
    from scipy.stats import lognorm

    rng = np.random.default_rng(11)
    scale = rng.uniform(50, 500, size=(n_cat, 1)) * 1.02 ** np.arange(h)
    if family == "normal":
        dist = norm(scale, rng.uniform(0.05, 0.3, size=(n_cat, 1)) * scale)
    else:
        dist = lognorm(rng.uniform(0.2, 0.8, size=(n_cat, 1)), scale=scale)
    out = pd.DataFrame({"mean": dist.mean().ravel()})
    for lv in (80, 95):
        out[f"lo-{lv}"] = dist.ppf(0.5 - lv / 200).ravel()
        out[f"hi-{lv}"] = dist.ppf(0.5 + lv / 200).ravel()
    return out


def _scores(label: str, family: str, g: pd.DataFrame, p: np.ndarray) -> dict:
    curve = calibration_curve(p, g["realized_short"].to_numpy())
    precision, recall = precision_recall(p >= 0.8, g["truly_short"].to_numpy())
    return {
        "method": label,
        "demand": family,
        "rows": len(g),
        "calibration error (10 bins)": round(float(curve["error"].mean()), 4),
        "max abs(p_short - true p)": round(float(np.abs(p - g["true_p"]).max()), 4),
        "mean abs(p_short - true p)": round(float(np.abs(p - g["true_p"]).mean()), 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
    }


def table_windows() -> pd.DataFrame:
    rows = []
    sd, mu, k, h = 16.67, 100.0, 3, 6
    fc = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2025-01-01", periods=h, freq="MS"),
            "mean": mu,
            "lo-80": mu - 1.2816 * sd,
            "hi-80": mu + 1.2816 * sd,
        }
    )
    plan = fc[["unique_id", "ds"]].assign(supply=105.0)
    for phi in (0.0, 0.5, 0.8, 0.95):
        for n in (1000, 20000):
            g = tc.supply_gaps(
                fc, plan, paths={"a": ar1_paths(n, h, phi, sd, mu, seed=1)}, window=k
            )
            got = g["p_short_window"].iloc[0]
            analytic = norm.sf(
                15 / (sd * np.sqrt(k + 2 * sum((k - j) * phi**j for j in range(1, k))))
            )
            rows.append(
                {
                    "correlation": phi,
                    "paths": n,
                    "p_short_window (paths)": round(float(got), 4),
                    "analytic": round(float(analytic), 4),
                    "independence": round(float(norm.sf(15 / (sd * np.sqrt(k)))), 4),
                    "product of p_short": round(float(norm.sf(5 / sd) ** k), 4),
                }
            )
    return pd.DataFrame(rows)


def table_backtest() -> pd.DataFrame:
    sales = tc.datasets.load_us_retail()
    ends = sales.groupby("unique_id")["ds"].max()
    sales = sales[sales["unique_id"].isin(ends[ends == ends.max()].index)]
    cut = pd.Timestamp("2023-09-01")
    train, test = sales[sales["ds"] <= cut], sales[sales["ds"] > cut]
    fcr = tc.TrendForecaster(models=tc.models.ETS(), n_jobs=2).fit(train)
    forecast = fcr.predict(12, level=(80, 95))
    paths = fcr.sample_paths(12, n_paths=1000, random_state=0, output="arrays")
    last_year = train.assign(ds=train["ds"] + pd.DateOffset(years=1))
    plan = forecast[["unique_id", "ds"]].merge(last_year, on=["unique_id", "ds"])
    plan["supply"] = plan.pop("y") * 1.02
    rows = []
    for label, kw in (("intervals", {}), ("paths (1000)", {"paths": paths})):
        g = tc.supply_gaps(forecast, plan, **kw).merge(test, on=["unique_id", "ds"])
        hit = (g["y"] > g["supply"]).to_numpy()
        curve = calibration_curve(g["p_short"].to_numpy(), hit, bins=5)
        flagged = g["short"].to_numpy()
        rows.append(
            {
                "method": label,
                "categories": g["unique_id"].nunique(),
                "rows": len(g),
                "calibration error (5 bins)": round(float(curve["error"].mean()), 4),
                "mean p_short": round(float(g["p_short"].mean()), 4),
                "share short (realized)": round(float(hit.mean()), 4),
                "short rows": int(flagged.sum()),
                "of which realized short": round(float(hit[flagged].mean()), 4)
                if flagged.any()
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    prov = provenance()
    out = ROOT / "benchmarks" / "results" / "gaps_calibration.md"
    parts = [
        "# Supply-gap probabilities: calibration and flags\n",
        "Command: `.venv/bin/python benchmarks/gaps_calibration.py`\n",
    ]
    for title, frame in (
        (
            "p_short calibration and short-flag precision/recall (threshold 0.8)",
            table_calibration(),
        ),
        ("Window probability over 3 periods, AR(1) demand", table_windows()),
        ("Backtest on US retail sales (ETS, plan = last year +2%)", table_backtest()),
    ):
        print(f"\n{title}\n{frame.to_string(index=False)}")
        parts.append(f"\n## {title}\n\n{_markdown(frame)}\n")
    out.write_text(with_provenance("".join(parts), prov))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
