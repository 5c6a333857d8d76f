"""Rolling-origin evaluation of local models on one series, used for selection.

The model is fitted once at the first cutoff and then moved forward with
``update`` (new observations, same parameters) at each later cutoff, as
statsforecast's ``cross_validation(refit=False)`` does: no window ever sees
data after its cutoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

from trendcast.exceptions import ModelFitError
from trendcast.models.base import LocalModel
from trendcast.models.combination import Combination

__all__ = ["BacktestScore", "cutoffs", "mase_scale", "score_models"]


@dataclass(frozen=True)
class BacktestScore:
    """The backtest result of one candidate on one series."""

    model: str
    mase: float
    error: str = ""
    #: an unfitted copy with the structure the backtest chose (ETS form, ...),
    #: so a final fit need not search again; None when the backtest failed
    pinned: LocalModel | None = field(default=None, compare=False, repr=False)


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
    X: np.ndarray | None = None,
) -> list[BacktestScore]:
    """MASE of each model over ``n_windows`` rolling origins of horizon ``h``.

    A model that cannot be fitted or forecast at some origin scores ``inf``
    with the reason in ``error``. Covariates ``X`` (future-known, one row per
    observation) go to the models whose tags say they take them; each window
    sees their values over its horizon, as a forecast would.
    """
    points = cutoffs(y.size, h, n_windows)
    if not points:
        return [
            BacktestScore(m.family, float("inf"), "series too short to backtest") for m in models
        ]
    scale = mase_scale(y[: points[0]], season_length)
    if not np.isfinite(scale) or scale <= 0:
        scale = float(np.mean(np.abs(y[: points[0]]))) or 1.0
    # Forecasts of every window for every model that runs on its own; a
    # combination of models already in the list reuses their forecasts.
    members = [_members_in(proto, models) for proto in models]
    runs = {
        i: _run_windows(proto, y, points, h, X)
        for i, proto in enumerate(models)
        if members[i] is None
    }
    scores = []
    for i, proto in enumerate(models):
        found = members[i]
        if found is None:
            name, paths, error, fitted = runs[i]
            pinned = fitted.pinned() if fitted is not None else None
        else:
            assert isinstance(proto, Combination)
            parts = [runs[j] for j in found]
            name = f"{proto.family}({','.join(p[0] for p in parts)})"
            failed = [p[2] for p in parts if p[1] is None]
            member_paths = [p[1] for p in parts if p[1] is not None]
            pinned = None
            if failed:
                paths, error = None, f"member failed: {failed[0]}"
            else:
                pinned = clone(proto).set_params(
                    models=[p[3].pinned() for p in parts if p[3] is not None]
                )
                paths = [
                    proto.aggregate([mp[k] for mp in member_paths]) for k in range(len(points))
                ]
                error = ""
        if paths is None:
            scores.append(BacktestScore(name, float("inf"), error))
            continue
        errors = [np.mean(np.abs(y[c : c + h] - f)) for c, f in zip(points, paths, strict=True)]
        value = float(np.mean(errors) / scale)
        scores.append(
            BacktestScore(name, value if np.isfinite(value) else float("inf"), pinned=pinned)
        )
    return scores


def _run_windows(
    proto: LocalModel, y: np.ndarray, points: list[int], h: int, X: np.ndarray | None = None
) -> tuple[str, list[np.ndarray] | None, str, LocalModel | None]:
    """Fit at the first cutoff, update through the others; forecasts per window.

    Returns the model's name, its forecasts, the error (empty when it ran)
    and the fitted model.
    """
    model = clone(proto)
    if X is not None and not model.tags().supports_exogenous:
        X = None
    paths = []
    try:
        model.fit(y[: points[0]], None if X is None else X[: points[0]])
        for k, c in enumerate(points):
            if k > 0:
                start = points[k - 1]
                model.update(y[start:c], None if X is None else X[start:c])
            paths.append(model.predict(h, None if X is None else X[c : c + h], level=()).mean)
    except (ModelFitError, ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        return model.name, None, str(exc), None
    return model.name, paths, "", model


def _members_in(proto: LocalModel, models: Sequence[LocalModel]) -> list[int] | None:
    """Positions in ``models`` of every member of a combination, or None."""
    if not isinstance(proto, Combination):
        return None
    found = []
    for member in proto.members():
        match = next(
            (
                j
                for j, other in enumerate(models)
                if type(other) is type(member) and other.get_params() == member.get_params()
            ),
            None,
        )
        if match is None:
            return None
        found.append(match)
    return found
