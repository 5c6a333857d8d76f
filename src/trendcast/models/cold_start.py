"""Cold start: a forecast for a category with too few points for any other model.

A new product has one, two or three periods of sales; every model of
``"auto"`` needs more (the default combination six). ``ColdStart`` forecasts
the category's **level**, its latest value (the mean of its points when the
latest is zero), for every future period, and
takes the spread from its **peers**: for each step ahead ``s``, the quantiles
of ``y[t + s] / y[t]`` over every origin ``t`` of the other categories of the
panel (``TrendForecaster`` computes them with
[`peer_ratios`][trendcast.models.cold_start.peer_ratios] and passes them in
``ratios``). The bounds of a level ``L`` interval are the level times the
``(1 -/+ L/100) / 2`` quantiles of those ratios: a category is assumed to move
from its level as its peers moved from theirs. Without peers the ratios come
from the category's own points (none with a single point: a zero-width interval).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["PROBABILITIES", "ColdStart", "peer_ratios"]

#: the probabilities at which the peers' ratios are kept (the bounds of the 50%
#: to 99% intervals lie on or between them)
PROBABILITIES = np.array(
    [0.005, 0.01, 0.025, *np.round(np.arange(0.05, 0.951, 0.05), 2), 0.975, 0.99, 0.995]
)
#: steps ahead measured on the peers; later steps use the last one
MAX_STEPS = 24
#: origins per peer (the most recent ones), to keep a wide panel fast
MAX_ORIGINS = 60


def peer_ratios(
    histories: Sequence[np.ndarray], max_steps: int = MAX_STEPS
) -> tuple[tuple[float, ...], ...] | None:
    """Per step ahead, the quantiles (at ``PROBABILITIES``) of ``y[t+s] / y[t]`` over peers.

    Origins with ``y[t] <= 0`` are left out. Returns None when no history has
    two positive-origin points.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models.cold_start import peer_ratios
    >>> table = peer_ratios([np.array([10.0, 11, 12, 13]), np.array([5.0, 5, 6])], max_steps=2)
    >>> len(table), round(table[0][len(table[0]) // 2], 3)   # 2 steps; median step-1 ratio
    (2, 1.091)
    """
    pooled: list[list[np.ndarray]] = [[] for _ in range(max_steps)]
    for y in histories:
        y = np.asarray(y, dtype=float)
        if y.size < 2:
            continue
        start = max(0, y.size - 1 - MAX_ORIGINS)
        for s in range(1, min(max_steps, y.size - 1 - start) + 1):
            base = y[start : y.size - s]
            ahead = y[start + s :]
            ok = (base > 0) & np.isfinite(base) & np.isfinite(ahead)
            if ok.any():
                pooled[s - 1].append(np.maximum(ahead[ok], 0.0) / base[ok])
    table: list[tuple[float, ...]] = []
    for parts in pooled:
        if not parts:
            break
        values = np.concatenate(parts)
        table.append(tuple(float(q) for q in np.quantile(values, PROBABILITIES)))
    return tuple(table) if table else None


class ColdStart(LocalModel):
    """The level of a category's few points, with its peers' spread around it.

    For a category too short for any other model (down to one observation).
    Its level is its latest value (the mean of its points when that is
    zero: a level of zero would stay zero); the bounds of a level ``L``
    interval at step ``s`` are the level times the quantiles of the peers'
    ratios ``y[t + s] / y[t]`` (see the module), and the forecast mean is
    the level times the mean of those ratios (the mean of the paths, so
    expected shortfalls read from the paths or the bounds agree with it). Sample paths
    read one quantile per path for all steps (a path is high or low
    throughout).

    Parameters
    ----------
    ratios : tuple of tuples of float, optional
        Per step ahead, the quantiles of the peers' ratios at
        ``PROBABILITIES`` (from ``peer_ratios``); ``TrendForecaster`` passes
        those of the other categories of the panel. ``None``: from the
        category's own points (a zero-width interval with one point).
    n_peers : int
        How many categories the ratios come from (shown in the reason).

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import ColdStart
    >>> from trendcast.models.cold_start import peer_ratios
    >>> peers = peer_ratios([np.array([10.0, 12, 9, 11, 13, 10, 12])])
    >>> fc = ColdStart(ratios=peers, n_peers=1).fit(np.array([40.0])).predict(2, level=(80,))
    >>> bool(fc.lower[80][0] < 40 < fc.upper[80][0]), bool(abs(fc.mean[0] - 40) < 4)
    (True, True)
    """

    family = "ColdStart"
    _saved_name = "trendcast.ColdStart"
    _saved_state = {"level_": "float", "table_": "array"}

    def __init__(
        self, ratios: tuple[tuple[float, ...], ...] | None = None, n_peers: int = 0
    ) -> None:
        self.ratios = ratios
        self.n_peers = n_peers

    def tags(self) -> ModelTags:
        return ModelTags(min_length=1, supports_update=False, produces_samples=True)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        if np.any(y < 0):
            raise ModelFitError("ColdStart needs non-negative demand")
        table = self.ratios if self.ratios is not None else peer_ratios([y])
        if table is None:
            table = ((1.0,) * PROBABILITIES.size,)
        arr = np.asarray(table, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != PROBABILITIES.size or not np.all(np.isfinite(arr)):
            raise ParameterError(
                f"ratios must hold, per step, {PROBABILITIES.size} finite quantiles "
                "(see trendcast.models.cold_start.peer_ratios)"
            )
        # the latest value: from a category's first months, the mean mixes in
        # the season of the earlier ones (US retail from 3 months before a
        # January: MAPE 40.7% against 26.5%, benchmarks/results/cold_start.md)
        self.level_ = float(y[-1]) if y[-1] > 0 else float(np.mean(y))
        self.table_ = np.sort(arr, axis=1)

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        self._fit(y_all, X_all)

    def _steps(self, h: int) -> np.ndarray:
        rows = np.minimum(np.arange(h), self.table_.shape[0] - 1)
        return self.table_[rows]

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        table = self._steps(h)
        # the mean of the distribution the paths draw from (one quantile per path)
        fine = (np.arange(2000) + 0.5) / 2000
        ratio = np.array([np.mean(np.interp(fine, PROBABILITIES, row)) for row in table])
        out = ModelForecast(mean=self.level_ * ratio)
        for level in levels:
            lo_p, hi_p = 0.5 - level / 200.0, 0.5 + level / 200.0
            lo = np.array([np.interp(lo_p, PROBABILITIES, row) for row in table])
            hi = np.array([np.interp(hi_p, PROBABILITIES, row) for row in table])
            out.lower[level] = np.minimum(self.level_ * lo, out.mean)
            out.upper[level] = np.maximum(self.level_ * hi, out.mean)
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        u = rng.random(n_paths)
        table = self._steps(h)
        cols = [np.interp(u, PROBABILITIES, row) for row in table]
        return self.level_ * np.stack(cols, axis=1)
