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

**Per-category scale** (``categories`` given; ``calibration="conformal"``).
Pooling lets the categories whose model's intervals are furthest off (a
break in the backtest span, a model far too sure of itself) set everyone's
quantile: their errors are the tail of the pool, and every other category's
bounds widen with them. So each category first gets a scale of its own, the
mean of its absolute normalised errors (all steps and windows) over the
pool's mean, shrunk toward 1 as if ``SHRINK`` errors of the pool's mean had
been added to its own::

    scale_i = (SHRINK * m + sum_j |e_ij|) / ((SHRINK + n_i) * m)

Each window's errors are divided by the scale of the category's other
windows before pooling (cross-fitting: a scale computed from the errors it
divides shrinks exactly the largest of them, and the pooled quantile came out
too small, 0.74 instead of 0.80 on random walks), and the calibrated
half-width is the pooled quantile times the category's scale (from all its
windows) times its model's standard deviation (normalised conformal
prediction with a per-category difficulty: Papadopoulos et al., 2008; Lei et
al., 2018, section 5.2). A category whose
errors are typical keeps a scale near 1 and gets the pool's quantile without
the volatile ones' tail; a volatile category gets wider bounds of its own. A
category without a scale (added by ``update``, or fitted by a model outside
the candidates) gets 1. A candidate whose errors come from fewer than
``MIN_CATEGORIES`` categories keeps the pooled calibration: in so small a
panel each category is too large a part of the pool it is compared with.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trendcast._normal import level_z, ndtri
from trendcast.models._shared import REFERENCE_LEVEL, REFERENCE_Z
from trendcast.models.base import ModelForecast

__all__ = ["MIN_CATEGORIES", "REPORT_LEVELS", "SHRINK", "Calibration"]

#: levels shown in ``calibration_report_``
REPORT_LEVELS = (80, 95)

#: pseudo-errors of the pool's mean added to each category's own when its
#: scale is estimated (see the module docstring): with 36 errors (monthly
#: data, three windows to the end of the history) a category's scale weighs
#: its own mean a quarter and the pool's three quarters. Chosen on M3 monthly
#: (validation split), the bundled US retail and random walks, among 0, 12,
#: 36, 100 and 300 (benchmarks/coverage.py, docs/models.md)
SHRINK = 100.0

#: fewest categories a candidate's errors must come from for per-category
#: scales: in a smaller panel a category is too large a part of the pool it
#: is compared with (with 2 categories, half of it), so the pooled
#: calibration is kept. Set by judgement, not tuned on coverage data
MIN_CATEGORIES = 8


def _z(level: float) -> float:
    # scipy.special's ndtri is what scipy.stats.norm.ppf computes (the same
    # numbers) without its argument checks, which cost more than the quantile;
    # whole levels from a table of its numbers (scipy.special not imported)
    return level_z(level)


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
        if np.all(p <= top):  # no tail asked for (the usual case): no scipy.special import
            return np.where(p <= top, inner, 0.0)
        z_top = _z(100 * top)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = sorted_abs[-1] / z_top * ndtri(0.5 + p / 2)
        return np.where(p <= top, inner, tail)


def _windows(steps: np.ndarray) -> list[slice]:
    """The backtest windows of one category's errors: each starts at step 1."""
    starts = np.flatnonzero(np.asarray(steps) == 1).tolist()
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    ends = [*starts[1:], len(steps)]
    return [slice(a, b) for a, b in zip(starts, ends, strict=True)]


def _abs_sum(e: np.ndarray) -> tuple[float, int]:
    a = np.abs(e)
    a = a[np.isfinite(a)]
    return float(a.sum()), int(a.size)


def _scaled(
    parts: Sequence[tuple[np.ndarray, np.ndarray]],
    categories: list[Hashable],
    shrink: float,
) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict[Hashable, float]]:
    """Each part's errors over its category's scale, and the scales (module docstring).

    A window's errors are divided by the scale of the category's *other*
    windows (cross-fitting): divided by a scale that includes them, the
    errors of the windows that missed most would shrink the most, and the
    pooled quantile would come out too small for the errors still to come.
    """
    if len(categories) != len(parts):
        raise ValueError(f"{len(categories)} categories for {len(parts)} parts of errors")
    arrays = [(np.asarray(st, dtype=int), np.asarray(e, dtype=float)) for st, e in parts]
    sums = [[_abs_sum(e[w]) for w in _windows(st)] for st, e in arrays]
    total = sum(t for part in sums for t, _ in part)
    n = sum(k for part in sums for _, k in part)
    with_errors = {c for c, part in zip(categories, sums, strict=True) if sum(k for _, k in part)}
    if n == 0 or not total > 0 or len(with_errors) < MIN_CATEGORIES:
        return list(parts), {}
    m = total / n

    def scale(windows: list[tuple[float, int]]) -> float:
        own, count = sum(t for t, _ in windows), sum(k for _, k in windows)
        return (shrink * m + own) / ((shrink + count) * m)

    scales: dict[Hashable, float] = {}
    out = []
    for category, (st, e), part in zip(categories, arrays, sums, strict=True):
        scales[category] = scale(part)
        scaled = e.copy()
        for j, w in enumerate(_windows(st)):
            scaled[w] = e[w] / scale(part[:j] + part[j + 1 :])
        out.append((st, scaled))
    return out, scales


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
    categories : mapping of key to sequence of category ids, optional
        The category of each part of ``errors[key]``, in the same order. When
        given, each category's errors are divided by its own scale before
        pooling (see the module docstring) and ``adjust`` multiplies the
        pooled quantile back by it; without it, one pool for everyone (the
        calibration before per-category scales, ``calibration="pooled"``).
    shrink : float
        Pseudo-errors of the pool's mean added to a category's own when its
        scale is estimated.

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
        categories: Mapping[Any, Sequence[Hashable]] | None = None,
        shrink: float = SHRINK,
    ) -> None:
        self.pools: dict[Hashable, _Pool] = {}
        self._factors: dict[tuple[Hashable, float, int], np.ndarray] = {}
        self.skipped: dict[Hashable, tuple[str, int]] = {}
        #: candidate key -> category -> scale (empty: one pool for everyone)
        self.scales: dict[Hashable, dict[Hashable, float]] = {}
        for key, (name, parts) in errors.items():
            if categories is not None and parts:
                parts, scales = _scaled(parts, list(categories[key]), shrink)
                if scales:
                    self.scales[key] = scales
            empty = [(np.zeros(0, dtype=int), np.zeros(0))]
            steps = np.concatenate([np.asarray(s, dtype=int) for s, _ in parts or empty])
            errs = np.concatenate([np.asarray(e, dtype=float) for _, e in parts or empty])
            np.abs(errs, out=errs)  # in place: one array of every error, not two
            del parts  # (the scaled copies: every error is in errs now)
            keep = np.isfinite(errs)  # zero-width intervals that missed: no factor fixes them
            if not keep.all():  # (no copies of every error when all are kept)
                steps, errs = steps[keep], errs[keep]
            del keep
            if errs.size < min_errors:
                self.skipped[key] = (name, int(errs.size))
                continue
            n_steps = int(steps.max())
            per_step = [errs[steps == s] for s in range(1, n_steps + 1)]
            del steps, errs  # (each error is in per_step now)
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
        scales: Mapping[Hashable, Mapping[Hashable, float]] | None = None,
    ) -> Calibration:
        """Rebuild a calibration from its pooled, sorted errors (as saved to disk)."""
        out = cls({})
        for key, (name, by_step, counts) in pools.items():
            arrays = [np.sort(np.asarray(a, dtype=float)) for a in by_step]
            out.pools[key] = _Pool(name, arrays, [int(c) for c in counts])
        out.skipped.update(skipped)
        for key, by_category in (scales or {}).items():
            out.scales[key] = {c: float(v) for c, v in by_category.items()}
        return out

    def covers(self, key: Hashable) -> bool:
        """Whether ``key`` has a calibration."""
        return key in self.pools

    def scale(self, key: Hashable, category: Hashable = None) -> float:
        """``category``'s scale under candidate ``key`` (1 without one)."""
        return self.scales.get(key, {}).get(category, 1.0)

    def factor(self, key: Hashable, level: float, h: int) -> np.ndarray:
        """Calibrated half-width over the Gaussian-equivalent one, per step 1..h."""
        memo = (key, float(level), int(h))
        if memo not in self._factors:
            pool = self.pools[key]
            q = [pool.quantile(s, np.array(level / 100.0)) for s in range(1, h + 1)]
            self._factors[memo] = np.array(q, dtype=float) / _z(level)
        return self._factors[memo]

    def adjust(
        self,
        key: Hashable,
        fc: ModelForecast,
        levels: Sequence[int],
        category: Hashable = None,
    ) -> ModelForecast:
        """Bounds at ``levels`` from the calibrated quantiles and the 80% widths of ``fc``.

        ``category`` names whose scale multiplies the pooled quantile (1 for
        a category without one).
        """
        if key not in self.pools:
            return fc
        h = fc.mean.size
        sd_low = (fc.mean - fc.lower[REFERENCE_LEVEL]) / REFERENCE_Z
        sd_high = (fc.upper[REFERENCE_LEVEL] - fc.mean) / REFERENCE_Z
        out = ModelForecast(mean=fc.mean.copy())
        scale = self.scale(key, category)
        for lv in levels:
            half = self.factor(key, lv, h) * _z(lv) * scale
            out.lower[lv] = fc.mean - half * sd_low
            out.upper[lv] = fc.mean + half * sd_high
        return out

    def adjust_paths(
        self, key: Hashable, paths: np.ndarray, fc: ModelForecast, category: Hashable = None
    ) -> np.ndarray:
        """Map each path's deviation from the mean so step quantiles match ``adjust``.

        A deviation of ``u`` model standard deviations becomes ``g(|u|)`` with
        ``g(z_L) = q_L`` (quantile mapping); the order of the paths at every
        step, hence their dependence over the horizon, is unchanged.
        """
        if key not in self.pools:
            return paths
        pool = self.pools[key]
        scale = self.scale(key, category)
        sd_low = (fc.mean - fc.lower[REFERENCE_LEVEL]) / REFERENCE_Z
        sd_high = (fc.upper[REFERENCE_LEVEL] - fc.mean) / REFERENCE_Z
        dev = paths - fc.mean
        sd = np.where(dev >= 0, sd_high, sd_low)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = np.where(sd > 0, np.abs(dev) / np.where(sd > 0, sd, 1.0), 0.0)
        out = np.empty_like(paths)
        from scipy.special import ndtr  # here: 0.1 s to import, for sample paths only

        p = 2 * ndtr(u) - 1  # norm.cdf's numbers
        for j in range(paths.shape[1]):
            out[:, j] = np.sign(dev[:, j]) * pool.quantile(j + 1, p[:, j]) * sd[:, j]
        return fc.mean + out * scale

    def adjust_paths_many(
        self,
        key: Hashable,
        paths: Sequence[np.ndarray],
        forecasts: Sequence[ModelForecast],
        categories: Sequence[Hashable] | None = None,
    ) -> list[np.ndarray]:
        """``adjust_paths`` of many categories of the model ``key`` at once (the same numbers).

        The mapping is elementwise, so the paths of all categories (of one
        shape) go through each step's quantile function in one call: a
        nightly run draws paths for thousands of categories of a few models,
        and one call a category and step cost most of the calibration.
        Paths of other shapes are adjusted one category at a time.
        ``categories`` name the paths' categories, for their scales.
        """
        if key not in self.pools or not paths:
            return list(paths)
        names = list(categories) if categories is not None else [None] * len(paths)
        shape = paths[0].shape
        pairs = list(zip(paths, forecasts, names, strict=True))
        if any(p.shape != shape or f.mean.shape != shape[1:] for p, f, _ in pairs):
            return [self.adjust_paths(key, p, f, c) for p, f, c in pairs]
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
        from scipy.special import ndtr  # here: 0.1 s to import, for sample paths only

        p = 2 * ndtr(u) - 1
        for j in range(dev.shape[2]):
            out[:, :, j] = np.sign(dev[:, :, j]) * pool.quantile(j + 1, p[:, :, j]) * sd[:, :, j]
        scales = np.array([self.scale(key, c) for c in names], dtype=float)[:, None, None]
        return list(mean + out * scales)

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
