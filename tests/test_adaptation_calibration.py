"""Simulations where the truth is known: p_short is calibrated, flags are right, windows match.

``benchmarks/gaps_calibration.py`` runs the same simulations larger and writes the figures
quoted in docs/supply-gaps.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import lognorm, norm

import trendcast as tc

THRESHOLD = 0.8


def simulate(
    n_cat: int,
    h: int,
    *,
    family: str,
    n_paths: int | None,
    seed: int,
    threshold: float = THRESHOLD,
) -> pd.DataFrame:
    """Gaps of known demand distributions against supply set at known quantiles.

    Each category has normal (mean 50-500, cv 5-30%) or lognormal (median 50-500, log-sd
    0.2-0.8) demand, growing 2% a period. The forecast holds the true mean and the true
    quantiles as its 80% and 95% bounds; ``n_paths`` independent draws per period serve
    as sample paths (none: the intervals are used). Supply in each period sits at the
    quantile ``u`` of demand, ``u`` uniform on (0.01, 0.99), so the true
    ``P(demand > supply)`` is ``1 - u``. One demand is then drawn per period.

    Returns one row per (category, period): ``p_short``, ``short``, ``true_p``,
    ``truly_short`` (true P(demand > supply) >= threshold, i.e. supply below the
    (1 - threshold)-quantile of demand) and ``realized_short`` (the drawn demand beat
    supply).
    """
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{i:05d}" for i in range(n_cat)], dtype=object)
    scale = rng.uniform(50, 500, size=(n_cat, 1)) * 1.02 ** np.arange(h)
    if family == "normal":
        dist = norm(scale, rng.uniform(0.05, 0.3, size=(n_cat, 1)) * scale)
    else:
        dist = lognorm(rng.uniform(0.2, 0.8, size=(n_cat, 1)), scale=scale)
    u = rng.uniform(0.01, 0.99, size=(n_cat, h))
    fc = pd.DataFrame(
        {
            "unique_id": np.repeat(ids, h),
            "ds": np.tile(pd.date_range("2025-01-01", periods=h, freq="MS").to_numpy(), n_cat),
            "mean": dist.mean().ravel(),
            "supply": dist.ppf(u).ravel(),
        }
    )
    for lv in (80, 95):
        fc[f"lo-{lv}"] = dist.ppf(0.5 - lv / 200).ravel()
        fc[f"hi-{lv}"] = dist.ppf(0.5 + lv / 200).ravel()
    paths = {}
    if n_paths:
        draws = dist.rvs(size=(n_paths, n_cat, h), random_state=rng)
        paths = {key: draws[:, i, :] for i, key in enumerate(ids)}
    realized = dist.rvs(size=(n_cat, h), random_state=rng).ravel()
    truth = fc[["unique_id", "ds"]].assign(
        true_p=1 - u.ravel(), realized_short=realized > fc["supply"].to_numpy()
    )
    gaps = tc.supply_gaps(
        fc.drop(columns="supply"),
        fc[["unique_id", "ds", "supply"]],
        paths=paths or None,
        threshold=threshold,
    )
    out = gaps.merge(truth, on=["unique_id", "ds"], validate="1:1")
    out["truly_short"] = out["true_p"] >= threshold
    return out


def calibration_curve(p: np.ndarray, hit: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per bin of predicted probability: rows, mean prediction, observed frequency."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    frame = pd.DataFrame({"bin": which, "p": p, "hit": hit.astype(float)})
    curve = frame.groupby("bin").agg(
        rows=("p", "size"), predicted=("p", "mean"), observed=("hit", "mean")
    )
    curve["error"] = (curve["predicted"] - curve["observed"]).abs()
    return curve


def precision_recall(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = float(np.sum(pred & truth))
    return tp / max(pred.sum(), 1), tp / max(truth.sum(), 1)


@pytest.mark.parametrize("n_paths", [None, 400])
def test_p_short_is_calibrated_and_flags_are_right(n_paths):
    """Calibration: across 10 bins of p_short, the share of periods where drawn demand beat
    supply is within 0.05 of the mean p_short on average. Flags: truth is "true P(demand >
    supply) >= 0.8", i.e. supply below the 20% point of demand; the ``short`` column at the
    default threshold 0.8 must reach precision and recall of 0.9."""
    parts = [
        simulate(600, 4, family=f, n_paths=n_paths, seed=s)
        for s, f in enumerate(["normal", "lognormal"])
    ]
    gaps = pd.concat(parts, ignore_index=True)
    curve = calibration_curve(gaps["p_short"].to_numpy(), gaps["realized_short"].to_numpy())
    assert len(curve) == 10 and curve["rows"].min() >= 100
    assert curve["error"].mean() < 0.05
    precision, recall = precision_recall(gaps["short"].to_numpy(), gaps["truly_short"].to_numpy())
    assert precision >= 0.9 and recall >= 0.9
    # and p_short is close to the true probability, row by row
    tol = 0.005 if n_paths is None else 0.1
    assert (gaps["p_short"] - gaps["true_p"]).abs().max() < tol


def ar1_paths(n: int, h: int, phi: float, sd: float, mean: float, seed: int) -> np.ndarray:
    """Stationary AR(1) demand around ``mean``; innovations scaled to marginal sd ``sd``."""
    rng = np.random.default_rng(seed)
    e = np.empty((n, h))
    e[:, 0] = rng.normal(0, sd, n)
    for t in range(1, h):
        e[:, t] = phi * e[:, t - 1] + rng.normal(0, sd * np.sqrt(1 - phi**2), n)
    return mean + e


def test_window_probability_matches_the_ar1_answer_not_independence():
    """Demand AR(1) with correlation 0.8 between months (marginal N(100, 16.7)). The sum over
    3 months is normal with variance sd^2 (3 + 2 (2 phi + phi^2)): that is the reference.
    Treating months as independent (variance 3 sd^2), or multiplying the per-month p_short,
    gives other answers."""
    phi, sd, mu, k, h = 0.8, 16.67, 100.0, 3, 6
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
    paths = {"a": ar1_paths(20000, h, phi, sd, mu, seed=1)}
    g = tc.supply_gaps(fc, plan, paths=paths, window=k)
    sum_sd = sd * np.sqrt(k + 2 * (2 * phi + phi**2))
    analytic = norm.sf((k * 105 - k * mu) / sum_sd)
    got = g["p_short_window"].to_numpy()[: h - k + 1]
    assert np.abs(got - analytic).max() < 0.012  # 3.5 standard errors of 20,000 paths
    independent = norm.sf((k * 105 - k * mu) / (sd * np.sqrt(k)))
    product = norm.sf(5 / sd) ** k
    assert (got - independent).min() > 0.05 and (got - product).min() > 0.25


def test_stock_probabilities_match_an_independent_monte_carlo():
    """Lognormal AR(1) demand (log scale, phi 0.7), 420 in stock, 150 arriving in month 4.
    p_short (cumulative demand beats stock + receipts to date) and the 2-month window
    (short at least once) from 20,000 paths agree with 200,000 fresh simulations."""
    h, stock, receipt = 6, 420.0, 150.0
    months = pd.date_range("2025-01-01", periods=h, freq="MS")
    fc = pd.DataFrame(
        {"unique_id": "a", "ds": months, "mean": 100.0, "lo-80": 60.0, "hi-80": 150.0}
    )
    supply = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": [pd.Timestamp("2024-12-01"), months[3]],
            "supply": [stock, receipt],
        }
    )

    def draw(n, seed):
        return np.exp(ar1_paths(n, h, 0.7, 0.35, np.log(90.0), seed))

    g = tc.supply_gaps(fc, supply, kind="stock", paths={"a": draw(20000, 5)}, window=2)
    ref = draw(200000, 6)
    cum = ref.cumsum(axis=1)
    available = stock + np.r_[0, 0, 0, receipt, 0, 0].cumsum()
    short = cum > available
    want = short.mean(axis=0)
    want_window = [short[:, t : t + 2].any(axis=1).mean() for t in range(h - 1)]
    assert np.abs(g["p_short"].to_numpy() - want).max() < 0.015
    assert np.abs(g["p_short_window"].to_numpy()[:-1] - want_window).max() < 0.015
    # the receipt lowers the probability from month 4 on
    assert g["p_short"].iloc[3] < g["p_short"].iloc[2]
