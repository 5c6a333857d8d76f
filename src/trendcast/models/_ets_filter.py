"""ETS's fitted recursion with fixed parameters, in plain Python floats.

``ETS`` forecasts from the state after the last observation, its smoothing
parameters and its error variance. They used to come from statsmodels'
compiled smoother (``ETSModel._smoothing_func``), which needs an ``ETSModel``
and therefore ``import statsmodels.tsa.exponential_smoothing.ets``: 0.35-0.45 s
in a fresh process, which a loaded forecaster paid on its first ETS forecast
(issue 21: load and forecast one category in under 0.3 s). The recursion is a
few operations per observation; this module runs the same operations in the
same order as statsmodels 0.14-0.15's ``_ets_smooth_add_add`` and
``_ets_smooth_add_mul`` (``_ets_smooth.pyx``, the smoothers of the forms
trendcast fits: additive or no trend, any season), so the numbers are the same
to the last bit (``tests/models/test_ets_filter.py`` compares the two). It
takes 0.1-0.5 ms for a few hundred observations.

A division by zero (a zero level or seasonal state of a multiplicative
season), where C gives an infinity and Python raises, is left to the caller,
which then runs statsmodels' smoother.
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import numpy as np

__all__ = ["Filtered", "ets_filter", "parameter_count"]


class Filtered(NamedTuple):
    """What the recursion leaves: the state after the last observation and the fit."""

    last_state: np.ndarray
    """level, trend, then the seasonal states newest first (the oldest enters next)"""
    smoothing: np.ndarray
    """alpha, beta, gamma, phi (zero for a missing component, phi 1 undamped)"""
    fitted: np.ndarray
    """the one-step forecasts of the observations"""


def parameter_count(form: tuple, m: int) -> int:
    """How many parameters ``ETSModel`` estimates for ``form`` with season length ``m``."""
    _, trend, damped, season = form
    has_trend, has_season = trend != "N", season != "N"
    smoothing = 1 + has_trend + has_season + bool(damped)
    return smoothing + 1 + has_trend + (m if has_season else 0)


def ets_filter(y: np.ndarray, form: tuple, m: int, params: np.ndarray) -> Filtered:
    """Run the recursion of ``form`` with the estimated ``params`` over ``y``.

    Parameters
    ----------
    y : array of shape (n,)
        The history.
    form : tuple
        (error, trend, damped, season) letters as ``ETS.form_``.
    m : int
        Season length (1 without a season).
    params : array
        ``ETSModel``'s parameters in its order: the smoothing parameters, then
        the initial level, trend and seasonal states (initialisation
        "estimated").

    Raises
    ------
    ValueError
        For parameters or a form that ``ETSModel`` would refuse.
    ZeroDivisionError
        Where statsmodels' C code divides by zero (see the module docstring).
    """
    error, trend, damped, season = form
    has_trend, has_season = trend != "N", season != "N"
    if damped and not has_trend:
        raise ValueError("Can only dampen the trend component")
    if has_season and m <= 1:
        raise ValueError("seasonal_periods must be larger than 1.")
    if (error == "M" or season == "M") and np.any(y <= 0):
        raise ValueError("endog must be strictly positive when using multiplicative components")
    m = m if has_season else 1
    params = np.asarray(params, dtype=float)
    if params.ndim != 1 or params.size != parameter_count(form, m):
        raise ValueError(
            f"ETS{form} takes {parameter_count(form, m)} parameters, found {params.size}"
        )
    # ETSModel._internal_params: alpha, beta, gamma, phi, level, trend, m seasons
    internal = np.zeros(6 + m)
    values = iter(params)
    internal[0] = next(values)
    internal[1] = next(values) if has_trend else 0.0
    internal[2] = next(values) if has_season else 0.0
    internal[3] = next(values) if damped else 1.0
    internal[4] = next(values)
    internal[5] = next(values) if has_trend else 0.0
    internal[6:] = list(values) if has_season else 0.0
    alpha, beta, gamma, phi = (np.float64(v) for v in internal[:4])
    with np.errstate(all="ignore"):  # C's cdivision: an infinity or NaN, never an error
        beta_star, gamma_star = float(beta / alpha), float(gamma / (1 - alpha))
    a, p = float(alpha), float(phi)
    level, slope = float(internal[4]), float(internal[5])
    # seasons[0] is the newest state (statsmodels' xhat[:, 2]), seasons[-1] the oldest
    seasons = deque(float(s) for s in internal[6:])
    fitted = []
    if season == "M":
        for obs in y.tolist():
            old = seasons.pop()
            fitted.append((level + p * slope) * old)
            new_level = a * (obs / old) + (1 - a) * (level + p * slope)
            slope = beta_star * (new_level - level) + (1 - beta_star) * p * slope
            level = new_level
            seasons.appendleft(gamma_star * (obs / level) + (1 - gamma_star) * old)
    else:
        for obs in y.tolist():
            old = seasons.pop()
            fitted.append(level + p * slope + old)
            new_level = a * (obs - old) + (1 - a) * (level + p * slope)
            slope = beta_star * (new_level - level) + (1 - beta_star) * p * slope
            level = new_level
            seasons.appendleft(gamma_star * (obs - level) + (1 - gamma_star) * old)
    return Filtered(
        last_state=np.array([level, slope, *seasons]),
        smoothing=internal[:4].copy(),
        fitted=np.array(fitted),
    )
