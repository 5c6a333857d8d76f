"""Conformal calibration of forecast intervals from pooled backtest errors.

The selection backtest (``backtest.score_models(..., with_errors=True)``)
gives, for every candidate model and every category, the errors of its
rolling-origin forecasts divided by the standard deviation its own 80%
interval implies on the side of the error (the *normalised errors*). If the
model's intervals mean what they say, ``|error| <= z_L`` a share ``L`` of the
time, with ``z_L`` the standard normal quantile of the level (1.2816 for 80%).

With only a few windows per category, a per-category correction would be
noise, so the errors are pooled per model across the categories of the fit
and per horizon step. The calibrated half-width of level ``L`` is
``q_L * sd`` where ``q_L`` is the (n+1)-adjusted empirical ``L`` quantile of
the pooled ``|error|`` (split conformal prediction with a normalised score:
Papadopoulos et al., 2002; Lei et al., 2018, section 5.2; per horizon step as
in Stankeviciute et al., 2021). The reported *factor* ``q_L / z_L`` is the
ratio of the calibrated half-width to the model's Gaussian-equivalent one.

A step with fewer than ``min_per_step`` errors borrows those of the nearest
steps until it has enough (all steps together in a small panel); a model
with fewer than ``min_errors`` errors is left uncalibrated. Steps beyond the
longest backtest horizon use the longest one.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from trendcast.models._shared import REFERENCE_LEVEL, REFERENCE_Z
from trendcast.models.base import ModelForecast

__all__ = ["Calibration", "REPORT_LEVELS"]

#: levels shown in ``calibration_report_``
REPORT_LEVELS = (80, 95)


def _z(level: float) -> float:
    # scipy.special's ndtri is what scipy.stats.norm.ppf computes (the same
    # numbers) without its argument checks, which cost more than the quantile
    return float(ndtri(0.5 + level / 200.0))


@dataclass
class _Pool:
    """Sorted |normalised errors| of one model, one array per horizon step."""

    name: str
    by_step: list[np.ndarray]  # index 0 is step 1
    counts: list[int]
    #: step -> the interpolation knots of ``quantile`` (positions, errors, 0 and errors)
    _knots: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def at(self, step: int) -> np.ndarray:
        return self.by_step[min(step, len(self.by_step)) - 1]

    def quantile(self, step: int, p: np.ndarray) -> np.ndarray:
        """The (n+1)-adjusted quantile function of ``|error|``, continuous in ``p``.

        Linear between the order statistics at plotting positions k/(n+1);
        above n/(n+1) it grows like the Gaussian quantile (constant factor).
        """
        sorted_abs = self.at(step)
        n = sorted_abs.size
        p = np.asarray(p, dtype=float)
        top = n / (n + 1.0)
        knots = self._knots.get(step)
        if knots is None or knots[1] is not sorted_abs:  # built once a step: paths ask often
            knots = self._knots[step] = (np.arange(n + 1.0), sorted_abs, np.r_[0.0, sorted_abs])
        inner = np.interp(np.minimum(p, top) * (n + 1), knots[0], knots[2])
        z_top = _z(100 * top)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = sorted_abs[-1] / z_top * ndtri(0.5 + p / 2)
        return np.where(p <= top, inner, tail)


class Calibration:
    """Per-model, per-step calibration of interval widths (see the module docstring).

    Parameters
    ----------
    errors : mapping of key to (name, list of (steps, errors))
        Normalised backtest errors of each model, as ``BacktestScore`` keeps them.
    min_errors : int
        Fewest errors a model needs to be calibrated at all.
    min_per_step : int
        Errors each step pools, borrowing from neighbouring steps.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> steps = np.tile(np.arange(1, 7), 500)
    >>> cal = Calibration({"m": ("Naive", [(steps, 2 * rng.standard_normal(steps.size))])})
    >>> round(float(cal.factor("m", 80, 3)[0]), 1)  # intervals twice too narrow
    2.0
    """

    def __init__(
        self,
        errors: Mapping[Any, tuple[str, Sequence[tuple[np.ndarray, np.ndarray]]]],
        min_errors: int = 30,
        min_per_step: int = 500,
    ) -> None:
        self.pools: dict[Hashable, _Pool] = {}
        self._factors: dict[tuple[Hashable, float, int], np.ndarray] = {}
        self.skipped: dict[Hashable, tuple[str, int]] = {}
        for key, (name, parts) in errors.items():
            empty = [(np.zeros(0, dtype=int), np.zeros(0))]
            steps = np.concatenate([np.asarray(s, dtype=int) for s, _ in parts or empty])
            errs = np.abs(np.concatenate([np.asarray(e, dtype=float) for _, e in parts or empty]))
            keep = np.isfinite(errs)  # zero-width intervals that missed: no factor fixes them
            steps, errs = steps[keep], errs[keep]
            if errs.size < min_errors:
                self.skipped[key] = (name, int(errs.size))
                continue
            n_steps = int(steps.max())
            per_step = [errs[steps == s] for s in range(1, n_steps + 1)]
            by_step, counts = [], []
            for s in range(n_steps):
                radius = 0
                while True:
                    lo, hi = max(0, s - radius), min(n_steps, s + radius + 1)
                    pooled = np.concatenate(per_step[lo:hi])
                    if pooled.size >= min_per_step or (lo == 0 and hi == n_steps):
                        break
                    radius += 1
                by_step.append(np.sort(pooled))
                counts.append(int(pooled.size))
            self.pools[key] = _Pool(name, by_step, counts)

    @classmethod
    def from_pools(
        cls,
        pools: Mapping[Hashable, tuple[str, Sequence[np.ndarray], Sequence[int]]],
        skipped: Mapping[Hashable, tuple[str, int]],
    ) -> Calibration:
        """Rebuild a calibration from its pooled, sorted errors (as saved to disk)."""
        out = cls({})
        for key, (name, by_step, counts) in pools.items():
            arrays = [np.sort(np.asarray(a, dtype=float)) for a in by_step]
            out.pools[key] = _Pool(name, arrays, [int(c) for c in counts])
        out.skipped.update(skipped)
        return out

    def covers(self, key: Hashable) -> bool:
        """Whether ``key`` has a calibration."""
        return key in self.pools

    def factor(self, key: Hashable, level: float, h: int) -> np.ndarray:
        """Calibrated half-width over the Gaussian-equivalent one, per step 1..h."""
        memo = (key, float(level), int(h))
        if memo not in self._factors:
            pool = self.pools[key]
            q = [pool.quantile(s, np.array(level / 100.0)) for s in range(1, h + 1)]
            self._factors[memo] = np.array(q, dtype=float) / _z(level)
        return self._factors[memo]

    def adjust(self, key: Hashable, fc: ModelForecast, levels: Sequence[int]) -> ModelForecast:
        """Bounds at ``levels`` from the calibrated quantiles and the 80% widths of ``fc``."""
        if key not in self.pools:
            return fc
        h = fc.mean.size
        sd_low = (fc.mean - fc.lower[REFERENCE_LEVEL]) / REFERENCE_Z
        sd_high = (fc.upper[REFERENCE_LEVEL] - fc.mean) / REFERENCE_Z
        out = ModelForecast(mean=fc.mean.copy())
        for lv in levels:
            half = self.factor(key, lv, h) * _z(lv)
            out.lower[lv] = fc.mean - half * sd_low
            out.upper[lv] = fc.mean + half * sd_high
        return out

    def adjust_paths(self, key: Hashable, paths: np.ndarray, fc: ModelForecast) -> np.ndarray:
        """Map each path's deviation from the mean so step quantiles match ``adjust``.

        A deviation of ``u`` model standard deviations becomes ``g(|u|)`` with
        ``g(z_L) = q_L`` (quantile mapping); the order of the paths at every
        step, hence their dependence over the horizon, is unchanged.
        """
        if key not in self.pools:
            return paths
        pool = self.pools[key]
        sd_low = (fc.mean - fc.lower[REFERENCE_LEVEL]) / REFERENCE_Z
        sd_high = (fc.upper[REFERENCE_LEVEL] - fc.mean) / REFERENCE_Z
        dev = paths - fc.mean
        sd = np.where(dev >= 0, sd_high, sd_low)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(sd > 0, np.abs(dev) / np.where(sd > 0, sd, 1.0), 0.0)
        out = np.empty_like(paths)
        p = 2 * ndtr(u) - 1  # norm.cdf's numbers
        for j in range(paths.shape[1]):
            out[:, j] = np.sign(dev[:, j]) * pool.quantile(j + 1, p[:, j]) * sd[:, j]
        return fc.mean + out

    def adjust_paths_many(
        self, key: Hashable, paths: Sequence[np.ndarray], forecasts: Sequence[ModelForecast]
    ) -> list[np.ndarray]:
        """``adjust_paths`` of many categories of the model ``key`` at once (the same numbers).

        The mapping is elementwise, so the paths of all categories (of one
        shape) go through each step's quantile function in one call: a
        nightly run draws paths for thousands of categories of a few models,
        and one call a category and step cost most of the calibration.
        Paths of other shapes are adjusted one category at a time.
        """
        if key not in self.pools or not paths:
            return list(paths)
        shape = paths[0].shape
        pairs = list(zip(paths, forecasts, strict=True))
        if any(p.shape != shape or f.mean.shape != shape[1:] for p, f in pairs):
            return [self.adjust_paths(key, p, f) for p, f in pairs]
        pool = self.pools[key]
        mean = np.stack([f.mean for f in forecasts])
        lower = np.stack([f.lower[REFERENCE_LEVEL] for f in forecasts])
        upper = np.stack([f.upper[REFERENCE_LEVEL] for f in forecasts])
        sd_low = ((mean - lower) / REFERENCE_Z)[:, None, :]
        sd_high = ((upper - mean) / REFERENCE_Z)[:, None, :]
        mean = mean[:, None, :]
        dev = np.stack(paths) - mean
        sd = np.where(dev >= 0, sd_high, sd_low)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(sd > 0, np.abs(dev) / np.where(sd > 0, sd, 1.0), 0.0)
        out = np.empty_like(dev)
        p = 2 * ndtr(u) - 1
        for j in range(dev.shape[2]):
            out[:, :, j] = np.sign(dev[:, :, j]) * pool.quantile(j + 1, p[:, :, j]) * sd[:, :, j]
        return list(mean + out)

    def report(self, levels: Sequence[int] = REPORT_LEVELS) -> pd.DataFrame:
        """One row per model, level and step: the factor and the backtest coverage.

        ``coverage_before`` is the share of pooled backtest errors inside the
        model's own (Gaussian-equivalent) interval, ``coverage_after`` inside
        the calibrated one. Both are measured on the errors the factor was
        estimated from, so ``coverage_after`` is close to the level by
        construction; the held-out check is the forecast itself.
        """
        rows = []
        for pool in self.pools.values():
            for s, (errs, n) in enumerate(zip(pool.by_step, pool.counts, strict=True), start=1):
                for lv in levels:
                    q = float(pool.quantile(s, np.array(lv / 100.0)))
                    rows.append(
                        {
                            "model": pool.name,
                            "level": lv,
                            "step": s,
                            "n_errors": n,
                            "factor": q / _z(lv),
                            "coverage_before": float(np.mean(errs <= _z(lv))),
                            "coverage_after": float(np.mean(errs <= q)),
                        }
                    )
        for name, n in self.skipped.values():
            for lv in levels:
                rows.append(
                    {
                        "model": name,
                        "level": lv,
                        "step": np.nan,
                        "n_errors": n,
                        "factor": 1.0,
                        "coverage_before": np.nan,
                        "coverage_after": np.nan,
                    }
                )
        columns = [
            "model",
            "level",
            "step",
            "n_errors",
            "factor",
            "coverage_before",
            "coverage_after",
        ]
        return pd.DataFrame(rows, columns=columns)
