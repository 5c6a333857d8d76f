"""Reconciliation on simulated hierarchies: MSE of base, bottom-up, OLS and MinT; coverage.

A total > 2 sectors > 4 categories hierarchy; each replication draws a coherent
truth for 12 periods, base forecasts with a known error covariance, 48 one-step
errors from the same covariance (the ``residuals``), and 400 independent sample
paths per node. Two cases: (A) noisy sector and total forecasts, independent
errors; (B) noisy, correlated category forecasts and accurate aggregates.

Prints a table and writes ``benchmarks/results/reconciliation.md``::

    python benchmarks/reconciliation.py [replications]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import trendcast as tc

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

MAPPING = pd.DataFrame(
    {"total": ["T"] * 4, "sector": ["A", "A", "B", "B"], "category": ["a1", "a2", "b1", "b2"]}
)
HIER = tc.Hierarchy.from_frame(MAPPING)
S = HIER.summing_matrix().to_numpy()
NAMES = list(HIER.nodes["unique_id"])
N, M = S.shape
H = 12
DATES = pd.date_range("2025-01-01", periods=H, freq="MS")
PAST = pd.date_range("2021-01-01", periods=48, freq="MS")
Z80 = stats.norm.ppf(0.9)
METHODS = ("bottom_up", "ols", "wls_struct", "mint_shrink")


def frame(mean: np.ndarray, sd: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": np.repeat(NAMES, H),
            "ds": np.tile(DATES, N),
            "model": "Sim",
            "mean": mean.ravel(),
            "lo-80": (mean - Z80 * sd).ravel(),
            "hi-80": (mean + Z80 * sd).ravel(),
        }
    )


def wide(out: pd.DataFrame, col: str) -> np.ndarray:
    return out.pivot(index="unique_id", columns="ds", values=col).reindex(index=NAMES).to_numpy()


def run(w_true: np.ndarray, reps: int, seed: int) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(w_true)
    sd = np.repeat(np.sqrt(np.diag(w_true))[:, None], H, axis=1)
    res: dict[str, dict[str, float]] = {m: {} for m in ("base", *METHODS)}
    for row in res.values():
        row.update(mse=0.0, mse_total=0.0, gauss=0.0, paths=0.0)
    for _ in range(reps):
        errors = (chol @ rng.standard_normal((N, 48))).T
        residuals = pd.DataFrame(
            {"unique_id": np.repeat(NAMES, 48), "ds": np.tile(PAST, N), "error": errors.T.ravel()}
        )
        truth = S @ (100 + 10 * rng.standard_normal((M, H)))
        base = truth + chol @ rng.standard_normal((N, H))
        paths = {k: base[i] + sd[i, 0] * rng.standard_normal((400, H)) for i, k in enumerate(NAMES)}
        fc = frame(base, sd)
        res["base"]["mse"] += ((base - truth) ** 2).mean() / reps
        res["base"]["mse_total"] += ((base[0] - truth[0]) ** 2).mean() / reps
        inside = (truth >= base - Z80 * sd) & (truth <= base + Z80 * sd)
        res["base"]["gauss"] += inside.mean() / reps
        res["base"]["paths"] = np.nan
        for method in METHODS:
            out = tc.reconcile(fc, HIER, method=method, residuals=residuals)
            mean = wide(out, "mean")
            res[method]["mse"] += ((mean - truth) ** 2).mean() / reps
            res[method]["mse_total"] += ((mean[0] - truth[0]) ** 2).mean() / reps
            hit = (truth >= wide(out, "lo-80")) & (truth <= wide(out, "hi-80"))
            res[method]["gauss"] += hit.mean() / reps
            out = tc.reconcile(fc, HIER, method=method, residuals=residuals, paths=paths)
            hit = (truth >= wide(out, "lo-80")) & (truth <= wide(out, "hi-80"))
            res[method]["paths"] += hit.mean() / reps
    return res


def main(reps: int) -> None:
    prov = provenance()
    case_a = np.diag([64.0, 16, 16, 1, 1, 1, 1])
    case_b = np.zeros((N, N))
    case_b[:3, :3] = 4 * np.eye(3)
    case_b[3:, 3:] = 9 * (0.6 + 0.4 * np.eye(M))
    lines = [
        "# Reconciliation on simulated hierarchies",
        "",
        f"`python benchmarks/reconciliation.py {reps}`: {reps} replications x 12 periods x 7 "
        "nodes per case. MSE over all nodes and for the total; share of the truth inside the "
        "80% interval (Gaussian from the reconciled covariance, and from 400 reconciled "
        "independent sample paths per node).",
        "",
    ]
    for name, w, seed in (
        ("A: noisy sector/total forecasts (sd 8, 4, 4; categories sd 1), independent", case_a, 1),
        ("B: categories sd 3 with correlation 0.6; sectors and total sd 2", case_b, 2),
    ):
        res = run(w, reps, seed)
        lines += [f"## {name}", "", "| method | MSE | MSE total | cover 80 Gaussian | "
                  "cover 80 paths |", "|---|---|---|---|---|"]
        for method, row in res.items():
            lines.append(
                f"| {method} | {row['mse']:.3f} | {row['mse_total']:.3f} | {row['gauss']:.3f} | "
                f"{row['paths']:.3f} |"
            )
        lines.append("")
    text = with_provenance("\n".join(lines), prov)
    print(text)
    path = HERE / "results" / "reconciliation.md"
    path.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
