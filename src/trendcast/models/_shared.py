"""The numbers and checks that the models and the engine share, defined once.

The models and the engine above them (``backtest``, ``forecaster``,
``persistence``) import these; this module imports nothing from trendcast but
``exceptions``, so imports only point down: a model never needs the engine.

* ``REFERENCE_LEVEL`` (and its normal quantile ``REFERENCE_Z``): the interval
  level whose width is the unit of the normalised backtest errors, the pooled
  model's widths and the calibration.
* ``FIT_ERRORS``: the exceptions that mean "this model cannot be fitted or
  forecast on this series"; code that falls back to another model catches
  exactly these.
* ``mase_scale`` and ``noise_scale``: the in-sample error of the seasonal
  naive forecast (MASE's denominator), and that scale with its fallbacks for
  a series on which it is zero or undefined.
* ``check_season_length`` and ``season_length_or_one``: a ``season_length``
  argument checked (the second reads a model's ``None`` as 1).
* ``release_memory``: hand the memory freed by a large step back to the
  operating system (the pooled model's training, the engine's phases).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from typing import Any

import numpy as np

from trendcast.exceptions import ModelFitError, ParameterError

__all__ = [
    "FIT_ERRORS",
    "release_memory",
    "REFERENCE_LEVEL",
    "REFERENCE_Z",
    "check_season_length",
    "mase_scale",
    "noise_scale",
    "season_length_or_one",
]

#: the interval level whose width sets the scale of the normalised errors
REFERENCE_LEVEL = 80
#: the standard normal quantile of ``REFERENCE_LEVEL`` (1.2816 for 80%): the value of
#: ``scipy.stats.norm.ppf(0.9)``, written out so that importing the models does not
#: import scipy.stats (``tests/models/test_shared_constants.py`` checks it)
REFERENCE_Z = 1.2815515655446004

#: what a fit, an update or a forecast raises when the model cannot handle the
#: series (``ParameterError`` is a ``ValueError``, so a bad setting of one
#: candidate is caught too): the fallback chain and the backtest catch these
FIT_ERRORS: tuple[type[Exception], ...] = (
    ModelFitError,
    ValueError,
    ArithmeticError,
    np.linalg.LinAlgError,
)


def check_season_length(season_length: Any) -> int:
    """``season_length`` as an int when it is a positive integer (not a bool).

    Parameters
    ----------
    season_length : int
        Periods per season, as passed by the caller.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        Otherwise; the message names ``season_length`` and the value.
    """
    if (
        isinstance(season_length, bool)
        or not isinstance(season_length, int | np.integer)
        or season_length < 1
    ):
        raise ParameterError(
            f"season_length={season_length!r} is not a season length; pass a positive "
            "integer (12 for monthly data, 1 for none)"
        )
    return int(season_length)


def season_length_or_one(season_length: Any) -> int:
    """The season length a model uses: ``season_length``, or 1 when it is None.

    Parameters
    ----------
    season_length : int or None
        A model's ``season_length`` parameter.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    ParameterError
        When ``season_length`` is not None and not a positive integer.
    """
    if season_length is None:
        return 1
    return check_season_length(season_length)


def mase_scale(y: np.ndarray, season_length: int) -> float:
    """In-sample mean absolute error of the seasonal naive (naive if too short).

    Parameters
    ----------
    y : array of shape (n,)
        The history, in time order.
    season_length : int
        Periods per season; a series of at most ``season_length`` values
        uses the naive forecast (lag 1) instead.

    Returns
    -------
    float
        The mean of ``|y[t] - y[t - m]|``; NaN when the series is too short
        for even the naive forecast (one value).

    Raises
    ------
    ParameterError
        When ``season_length`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np
    >>> mase_scale(np.array([1.0, 2.0, 4.0, 7.0]), 2)
    4.0
    """
    check_season_length(season_length)
    m = season_length if y.size > season_length else 1
    if y.size <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def noise_scale(y: np.ndarray, season_length: int) -> float:
    """The unit of a series' errors: MASE's scale, else its mean absolute value, else 1.

    The fallbacks cover a series too short for the naive forecast and one
    whose seasonal differences are all zero.

    Parameters
    ----------
    y : array of shape (n,)
        The history, in time order.
    season_length : int
        Periods per season (see ``mase_scale``).

    Returns
    -------
    float
        Positive and finite when ``y`` is finite.

    Examples
    --------
    >>> import numpy as np
    >>> noise_scale(np.array([3.0, 3.0, 3.0]), 1)  # no change: the mean absolute value
    3.0
    """
    scale = mase_scale(y, season_length)
    if np.isfinite(scale) and scale > 0:
        return scale
    return float(np.mean(np.abs(y))) or 1.0


def shifted(values: np.ndarray, first: float) -> np.ndarray:
    """``first`` then ``values`` without their last: ``np.r_[first, values[:-1]]`` without
    the cost of ``np.r_`` (a third of Theta's and DynamicTheta's time on short series).

    Empty ``values`` give an empty array.
    """
    out = np.empty(values.size, dtype=float)
    if values.size:
        out[0] = first
        out[1:] = values[:-1]
    return out


def ses_levels(x: np.ndarray, alpha: float, level0: float) -> np.ndarray:
    """Simple exponential smoothing levels after each of ``x``, from level ``level0``.

    ``lfilter([alpha], [1, alpha - 1], x, zi=[(1 - alpha) * level0])``'s numbers,
    to the last bit, without ``scipy.signal``: the operations of scipy's
    direct-form filter (``_linear_filter``) in its order, in plain Python
    (``tests/models/test_theta_loaded.py`` compares the two). For forecasts of
    loaded models (Theta's interval variance, DynamicTheta's level), whose
    first call would otherwise wait 0.4 s for ``import scipy.signal``; fits,
    which filter thousands of times in their searches, keep ``lfilter``.
    """
    a1 = alpha - 1.0
    delay = (1.0 - alpha) * level0
    levels = []
    for value in np.asarray(x, dtype=float).tolist():
        level = delay + alpha * value
        delay = value * 0.0 - level * a1
        levels.append(level)
    return np.array(levels, dtype=float)


_TRIM: Any = None


def release_memory() -> None:
    """Return the memory that freed arrays left in the C heap to the operating system.

    glibc's ``malloc`` keeps what large steps free (the arrays of tens of MB that
    a pool's training or a batch of results makes and drops) in its heap, in
    holes between what stays, so a process's resident memory keeps the peak of
    every step: at 30,000 weekly series the trained pool held 0.19 GB and the
    process 0.44 GB more than before training. ``malloc_trim(0)`` gives the
    free pages back (about 10 ms); elsewhere than glibc (macOS, Windows, musl)
    this does nothing.
    """
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                _TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
                _TRIM.argtypes, _TRIM.restype = [ctypes.c_size_t], ctypes.c_int
            except (OSError, AttributeError):  # not glibc
                _TRIM = False
    if _TRIM:
        _TRIM(0)
