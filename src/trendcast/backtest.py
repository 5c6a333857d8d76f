"""Rolling-origin evaluation of local models on one series, used for selection.

The model is fitted once at the first cutoff and then moved forward with
``update`` (new observations, same parameters) at each later cutoff, as
statsforecast's ``cross_validation(refit=False)`` does: no window ever sees
data after its cutoff.

The same windows give the errors that calibrate the intervals
(``with_errors=True``): each window then forecasts to the end of the series,
not only ``h`` periods, so the oldest window also measures the longer
horizons, and every error is kept with its horizon step, divided by the
standard deviation the model's own 80% interval implies on that side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from trendcast._params import clone
from trendcast.models._shared import (
    FIT_ERRORS,
    REFERENCE_LEVEL,
    REFERENCE_Z,
    check_season_length,
    mase_scale,
    noise_scale,
)
from trendcast.models.base import LocalModel, ModelForecast, refitting_updates
from trendcast.models.combination import Combination

# REFERENCE_LEVEL and mase_scale are defined with the models (models._shared) and
# re-exported here, where the forecaster and users have always imported them.
__all__ = ["REFERENCE_LEVEL", "BacktestScore", "cutoffs", "mase_scale", "score_models"]


@dataclass(frozen=True)
class BacktestScore:
    """The backtest result of one candidate on one series.

    ``steps`` and ``errors`` are filled when ``score_models`` ran with
    ``with_errors=True``: the horizon step (1 = one period after the cutoff)
    of every backtest forecast, and its error ``actual - mean`` divided by the
    standard deviation implied by the model's 80% interval on the side of the
    error (``(upper - mean) / 1.2816`` above the mean, ``(mean - lower) /
    1.2816`` below). Intervals that mean what they say give normalised errors
    with ``|error| <= 1.2816`` 80% of the time.
    """

    model: str
    mase: float
    error: str = ""
    steps: np.ndarray | None = field(default=None, compare=False, repr=False)
    errors: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: MASE of each window, oldest first (None when the backtest failed)
    windows: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: the unfitted copy to fit on the whole history if this model is chosen
    #: (``LocalModel.refit_copy`` of its fit at the first window: the ETS form
    #: found there, an ARIMA that searches again); None when the backtest failed
    refit: LocalModel | None = field(default=None, compare=False, repr=False)
    #: root mean squared scaled error over the same windows (squared errors over
    #: the mean squared seasonal-naive change of the training span, M5's RMSSE):
    #: the score of sparse categories, where MASE rewards forecasting zero
    rmsse: float = field(default=float("inf"), compare=False)
    #: RMSSE of each window, oldest first (None when the backtest failed)
    rmsse_windows: np.ndarray | None = field(default=None, compare=False, repr=False)


def cutoffs(n: int, h: int, n_windows: int, step_size: int | None = None) -> list[int]:
    """Training lengths of the rolling origins, oldest first.

    The last window ends with the series; windows are ``step_size`` apart
    (default ``h``). Lengths below 1 are dropped.
    """
    step = h if step_size is None else step_size
    points = [n - h - step * (n_windows - 1 - k) for k in range(n_windows)]
    return [c for c in points if c >= 1]


def score_models(
    y: np.ndarray,
    models: Sequence[LocalModel],
    *,
    h: int,
    n_windows: int,
    season_length: int,
    with_errors: bool = False,
    X: np.ndarray | None = None,
) -> list[BacktestScore]:
    """MASE of each model over ``n_windows`` rolling origins of horizon ``h``.

    A model that cannot be fitted or forecast at some origin scores ``inf``
    with the reason in ``error``. With ``with_errors``, every window also
    forecasts to the end of the series and the normalised errors of all
    steps are kept (see ``BacktestScore``);
    the MASE still covers the first ``h`` steps only. Covariates ``X``
    (future-known, one row per observation) go to the models whose tags say
    they take them; each window sees their values over its horizon, as a
    forecast would.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import Naive
    >>> (score,) = score_models(np.arange(36.0), [Naive()], h=6, n_windows=2, season_length=1)
    >>> round(score.mase, 2)
    3.5
    """
    check_season_length(season_length)
    points = cutoffs(y.size, h, n_windows)
    if not points:
        return [
            BacktestScore(m.family, float("inf"), "series too short to backtest") for m in models
        ]
    scale = noise_scale(y[: points[0]], season_length)
    scale2 = _squared_scale(y[: points[0]], season_length)
    # Forecasts of every window for every model that runs on its own; a
    # combination reuses the forecasts of its members that are in the list
    # and runs the others once, on their own, beside them.
    levels = (REFERENCE_LEVEL,) if with_errors else ()
    pool = list(models)
    members = [_members_in(proto, pool) for proto in models]
    runs = {
        i: _run_windows(proto, y, points, h, levels, X)
        for i, proto in enumerate(pool)
        if i >= len(models) or members[i] is None
    }
    scores = []
    for i, proto in enumerate(models):
        found = members[i]
        if found is None:
            name, windows, error, fitted = runs[i]
            refit = fitted.refit_copy() if fitted is not None else None
        else:
            assert isinstance(proto, Combination)
            parts = [runs[j] for j in found]
            name = proto._name_of([p[0] for p in parts])
            failed = [f"member {p[0]} failed: {p[2]}" for p in parts if p[1] is None]
            member_windows = [p[1] for p in parts if p[1] is not None]
            refit = None
            if failed:
                windows, error = None, failed[0]
            else:
                refit = clone(proto).set_params(
                    models=[p[3].refit_copy() for p in parts if p[3] is not None]
                )
                windows = [
                    proto.combine([mw[k] for mw in member_windows], levels)
                    for k in range(len(points))
                ]
                error = ""
        if windows is None:
            scores.append(BacktestScore(name, float("inf"), error))
            continue
        errors = [
            np.mean(np.abs(y[c : c + h] - f.mean[:h])) for c, f in zip(points, windows, strict=True)
        ]
        value = float(np.mean(errors) / scale)
        squared = np.array(
            [
                np.mean((y[c : c + h] - f.mean[:h]) ** 2)
                for c, f in zip(points, windows, strict=True)
            ]
        )
        rmsse = float(np.sqrt(np.mean(squared) / scale2))
        steps, normalised = _normalised_errors(y, points, windows) if with_errors else (None, None)
        scores.append(
            BacktestScore(
                name,
                value if np.isfinite(value) else float("inf"),
                "",
                steps,
                normalised,
                windows=np.asarray(errors, dtype=float) / scale,
                refit=refit,
                rmsse=rmsse if np.isfinite(rmsse) else float("inf"),
                rmsse_windows=np.sqrt(squared / scale2),
            )
        )
    return scores


def _squared_scale(y: np.ndarray, season_length: int) -> float:
    """RMSSE's denominator: the mean squared seasonal-naive change, else mean square, else 1."""
    m = season_length if y.size > season_length else 1
    if y.size > m:
        value = float(np.mean((y[m:] - y[:-m]) ** 2))
        if np.isfinite(value) and value > 0:
            return value
    value = float(np.mean(y**2)) if y.size else 0.0
    return value if np.isfinite(value) and value > 0 else 1.0


def _normalised_errors(
    y: np.ndarray, points: list[int], windows: list[ModelForecast]
) -> tuple[np.ndarray, np.ndarray]:
    """Steps and errors over the implied standard deviation, all windows together."""
    z = REFERENCE_Z
    steps, out = [], []
    for c, f in zip(points, windows, strict=True):
        actual = y[c:]
        err = actual - f.mean
        upper, lower = f.upper[REFERENCE_LEVEL], f.lower[REFERENCE_LEVEL]
        sd = np.where(err >= 0, upper - f.mean, f.mean - lower) / z
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(sd > 0, err / np.where(sd > 0, sd, 1.0), np.sign(err) * np.inf)
        ratio[err == 0] = 0.0
        steps.append(np.arange(1, actual.size + 1))
        out.append(ratio)
    return np.concatenate(steps), np.concatenate(out)


def _run_windows(
    proto: LocalModel,
    y: np.ndarray,
    points: list[int],
    h: int,
    levels: tuple[int, ...],
    X: np.ndarray | None = None,
) -> tuple[str, list[ModelForecast] | None, str, LocalModel | None]:
    """Fit at the first cutoff, update through the others; forecasts per window.

    With interval ``levels``, each window forecasts to the end of the series.
    Returns the model's name, its forecasts, the error (empty when it ran)
    and the fitted model.
    """
    model = clone(proto)
    if X is not None and not model.tags().supports_exogenous:
        X = None
    windows = []
    try:
        model.fit(y[: points[0]], None if X is None else X[: points[0]])
        for k, c in enumerate(points):
            if k > 0:
                start = points[k - 1]
                with refitting_updates():  # Theta refits here, as before its update
                    model.update(y[start:c], None if X is None else X[start:c])
            horizon = y.size - c if levels else h
            future = None if X is None else X[c : c + horizon]
            windows.append(model.predict(horizon, future, level=levels))
    except FIT_ERRORS as exc:
        return model.name, None, str(exc), None
    return model.name, windows, "", model


def _members_in(proto: LocalModel, pool: list[LocalModel]) -> list[int] | None:
    """Positions in ``pool`` of every member of a combination, or None.

    A member that is not in ``pool`` yet is appended to it, so that it runs
    once however many combinations share it. A combination whose settings
    cannot be fitted (None: it runs whole and fails with its own reason) and
    a member that is itself a combination (appended, to run whole) are not
    matched.
    """
    if not isinstance(proto, Combination):
        return None
    members = proto.members()
    if proto._settings_error(members) is not None:
        return None
    found = []
    for member in members:
        match = None
        if not isinstance(member, Combination):
            match = next(
                (
                    j
                    for j, other in enumerate(pool)
                    if type(other) is type(member) and other.get_params() == member.get_params()
                ),
                None,
            )
        if match is None:
            pool.append(member)
            match = len(pool) - 1
        found.append(match)
    return found
