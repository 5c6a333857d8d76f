"""Demand distributions: from forecast intervals (quantiles) or from sample paths.

Interval bounds are quantiles of demand: ``lo-80`` is the 10% point, ``hi-95``
the 97.5% point. The forecast ``mean`` is a mean, not a median: for skewed
demand (multiplicative ETS, intermittent demand) the two differ, so the mean is
never placed at the 50% point. Instead the bounds are interpolated in a
Box-Cox transformed scale, linearly in normal score, and the transform
(``lambda`` between 0, log scale, and 2) is chosen per row so that the mean of
the resulting distribution is closest to the forecast mean. Normal intervals
around their mean give ``lambda = 1`` (the normal distribution back exactly);
lognormal intervals around their mean give ``lambda = 0`` (the lognormal back
exactly).

A distribution is carried as an array of demand values on a fixed grid of
probabilities (one row per grid point, one column per period). The same grid
point in every period is the same probability, so the rows also read as
sample paths in which the periods are perfectly dependent (comonotonic):
that is how cumulative demand is bounded when no sample paths are given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from trendcast._validation import fail, forecast_levels, format_items

N_GRID = 2000
_U = (np.arange(N_GRID) + 0.5) / N_GRID
_Z = norm.ppf(_U)
# Gauss-Hermite nodes for E[Q(Phi(Z))]: the mean of a candidate, tails included
_Z_COARSE, _W_COARSE = np.polynomial.hermite_e.hermegauss(60)
_W_COARSE = _W_COARSE / _W_COARSE.sum()
# 1.0 first: when several transforms match the mean equally (a zero-width
# interval), the plain linear one wins.
_LAMBDAS = np.r_[1.0, np.round(np.arange(0.0, 2.0001, 0.1), 1)[np.arange(21) != 10]]
_REFINE = (-0.075, -0.05, -0.025, 0.025, 0.05, 0.075)


def levels_in(forecast: pd.DataFrame) -> list[int]:
    """Interval levels with both bounds present, e.g. [80, 95]."""
    return forecast_levels(forecast.columns)


def require_levels(forecast: pd.DataFrame) -> list[int]:
    levels = levels_in(forecast)
    if not levels:
        raise fail(
            "the forecast has no interval columns",
            column="lo-<level>/hi-<level>",
            expected="at least one pair such as lo-80 and hi-80",
            found=f"columns {format_items(forecast.columns)}",
            fix="forecast with level=(80, 95) (the default of TrendForecaster.predict)",
        )
    return levels


def _boxcox(v: np.ndarray, lam: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log(v)
        power = (np.power(v, lam) - 1.0) / np.where(lam == 0, 1.0, lam)
    return np.where(lam == 0, log, power)


def _inv_boxcox(g: np.ndarray, lam: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        base = lam * g + 1.0
        # a knot at zero comes back as zero, not as rounding noise above it
        base = np.where(base > 1e-9, base, 0.0)
        power = np.power(base, 1.0 / np.where(lam == 0, 1.0, lam))
        return np.where(lam == 0, np.exp(g), power)


def _interp(zk: np.ndarray, gk: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Piecewise-linear in z through the knots, outer segments extended."""
    seg = np.clip(np.searchsorted(zk, z, side="right") - 1, 0, zk.size - 2)
    weight = (z - zk[seg]) / (zk[seg + 1] - zk[seg])
    return gk[:, seg] + weight * (gk[:, seg + 1] - gk[:, seg])


def _quantiles(
    zk: np.ndarray, values: np.ndarray, lam: np.ndarray, z: np.ndarray, floor: float | None
) -> np.ndarray:
    lam = lam[:, None]
    out = _inv_boxcox(_interp(zk, _boxcox(values, lam), z), lam)
    if floor is not None:
        np.maximum(out, floor, out=out)
    return out


def quantile_grid(
    forecast: pd.DataFrame, levels: Sequence[int], floor: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Demand on the fixed probability grid, one row per forecast row.

    Returns the grid (rows x ``N_GRID``) and the Box-Cox ``lambda`` chosen per row.
    """
    z_knots: list[float] = []
    cols: list[str] = []
    for lv in levels:
        z = float(norm.ppf(0.5 + lv / 200))
        z_knots = [-z, *z_knots, z]
        cols = [f"lo-{lv}", *cols, f"hi-{lv}"]
    zk = np.array(z_knots)
    values = np.sort(forecast[cols].to_numpy(dtype=float), axis=1)
    mean = forecast["mean"].to_numpy(dtype=float)
    rows = values.shape[0]
    positive = (values > 0).all(axis=1)
    nonnegative = (values >= 0).all(axis=1)
    best = np.ones(rows)
    best_err = np.full(rows, np.inf)

    def consider(lam: np.ndarray, ok: np.ndarray) -> None:
        if not ok.any():
            return
        q = _quantiles(zk, values[ok], lam[ok], _Z_COARSE, floor)
        err = np.abs(q @ _W_COARSE - mean[ok])
        better = err < best_err[ok] - 1e-12 * np.maximum(np.abs(mean[ok]), 1.0)
        idx = np.flatnonzero(ok)[better]
        best[idx] = lam[idx]
        best_err[idx] = err[better]

    # log and other powers need knots >= 0 (log: > 0); negative knots keep the linear scale
    for lam in _LAMBDAS:
        ok = np.ones(rows, dtype=bool) if lam == 1 else (positive if lam == 0 else nonnegative)
        consider(np.full(rows, lam), np.asarray(ok, dtype=bool))
    start = best.copy()
    for step in _REFINE:
        lam_v = start + step
        ok = (lam_v > 0) & (lam_v <= 2) & nonnegative & (start != 1.0)
        consider(lam_v, ok)
    return _quantiles(zk, values, best, _Z, floor), best


def period_stats(samples: np.ndarray, supply: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column P(D > S), P(D < S), E[(D - S)+], E[(S - D)+] over the sample rows."""
    diff = samples - supply[None, :]
    return {
        "p_short": np.mean(diff > 0, axis=0),
        "p_long": np.mean(diff < 0, axis=0),
        "expected_shortfall": np.mean(np.maximum(diff, 0.0), axis=0),
        "expected_excess": np.mean(np.maximum(-diff, 0.0), axis=0),
    }
