"""Rolling-origin evaluation of local models on one series, used for selection.

The model is fitted once at the first cutoff and then moved forward with
``update`` (new observations, same parameters) at each later cutoff, as
statsforecast's ``cross_validation(refit=False)`` does: no window ever sees
data after its cutoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from trendcast.exceptions import ModelFitError
from trendcast.models.base import LocalModel

__all__ = ["BacktestScore", "cutoffs", "mase_scale", "score_models"]


@dataclass(frozen=True)
class BacktestScore:
    """The backtest result of one candidate on one series."""

    model: str
    mase: float
    error: str = ""


def cutoffs(n: int, h: int, n_windows: int, step_size: int | None = None) -> list[int]:
    """Training lengths of the rolling origins, oldest first.

    The last window ends with the series; windows are ``step_size`` apart
    (default ``h``). Lengths below 1 are dropped.
    """
    step = h if step_size is None else step_size
    points = [n - h - step * (n_windows - 1 - k) for k in range(n_windows)]
    return [c for c in points if c >= 1]


def mase_scale(y: np.ndarray, season_length: int) -> float:
    """In-sample mean absolute error of the seasonal naive (naive if too short)."""
    m = season_length if y.size > season_length else 1
    if y.size <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def score_models(
    y: np.ndarray,
    models: Sequence[LocalModel],
    *,
    h: int,
    n_windows: int,
    season_length: int,
) -> list[BacktestScore]:
    """MASE of each model over ``n_windows`` rolling origins of horizon ``h``.

    A model that cannot be fitted or forecast at some origin scores ``inf``
    with the reason in ``error``.
    """
    points = cutoffs(y.size, h, n_windows)
    scores = []
    if not points:
        return [
            BacktestScore(m.family, float("inf"), "series too short to backtest") for m in models
        ]
    scale = mase_scale(y[: points[0]], season_length)
    if not np.isfinite(scale) or scale <= 0:
        scale = float(np.mean(np.abs(y[: points[0]]))) or 1.0
    for proto in models:
        model = clone(proto)
        errors = []
        try:
            model.fit(y[: points[0]])
            for k, c in enumerate(points):
                if k > 0:
                    model.update(y[points[k - 1] : c])
                fc = model.predict(h, level=()).mean
                errors.append(np.mean(np.abs(y[c : c + h] - fc)))
        except (ModelFitError, ValueError, np.linalg.LinAlgError) as exc:
            scores.append(BacktestScore(model.name, float("inf"), str(exc)))
            continue
        value = float(np.mean(errors) / scale)
        scores.append(BacktestScore(model.name, value if np.isfinite(value) else float("inf")))
    return scores
