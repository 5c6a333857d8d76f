"""The Theta method (Assimakopoulos and Nikolopoulos, 2000) through statsmodels."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models._shared import season_length_or_one, ses_levels, shifted
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["Theta"]


class Theta(LocalModel):
    """Standard Theta: simple exponential smoothing plus half the linear trend.

    Seasonality is removed first by classical decomposition when a test on
    the autocorrelation at the season length finds it (multiplicative on
    positive data, else additive), and restored afterwards. A seasonal series
    longer than eight seasons is fitted on its last eight: the trend line and
    the season are those of the recent years, not of decades.

    Parameters
    ----------
    season_length : int, optional
        Periods per season; ``None`` lets ``TrendForecaster`` set it.
    theta : float
        Weight of the trend line; 2 is the classic method.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    >>> tc.models.Theta(season_length=12).fit(y).predict(3).mean.shape
    (3,)
    """

    family = "Theta"
    _saved_name = "trendcast.Theta"
    _saved_state = {
        "b0": "float",
        "alpha": "float",
        "one_step": "float",
        "seasonal": "array",
        "method": "str",
        "deseasonalize": "bool",
        "period": "int",
        # observations the line was fitted on (the last eight seasons of a longer
        # seasonal history); may be missing from older files: see _MAY_BE_MISSING
        # in trendcast/persistence/_allowlists.py
        "n_fit": "int",
        # the interval variance comes from the seasonally adjusted series (the
        # fix of 2026-11-29); may be missing from older files, as n_fit
        "adjusted_errors": "bool",
    }

    def __init__(self, season_length: int | None = None, theta: float = 2.0) -> None:
        self.season_length = season_length
        self.theta = theta

    def tags(self) -> ModelTags:
        # backtest_refits: the selection's scores and the calibration stay those of a
        # Theta refitted at every origin (as before it had an update)
        return ModelTags(
            min_length=4, supports_update=True, produces_samples=True, backtest_refits=True
        )

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        if np.ptp(y) == 0:
            raise ModelFitError("the series is constant; Theta cannot be estimated")
        m = season_length_or_one(self.season_length)
        y = _recent(y, m)
        seasonal = m > 1 and y.size >= 2 * m
        method = "auto" if np.all(y > 0) else "additive"
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                model = ThetaModel(
                    y, period=m if seasonal else 1, deseasonalize=seasonal, method=method
                )
                self.results_: Any = _fit_two_step(model)
                self._adjusted_errors = True
            except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
                raise ModelFitError(f"Theta could not be estimated: {exc}") from exc

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Run the fitted line's smoothing over the longer window; nothing re-estimated.

        The window Theta was fitted on keeps its first period and grows by the
        new ones. The drift ``b0``, the smoothing ``alpha`` and the seasonal
        factors (by position from the window's start) stay as fitted; the SES
        level is run again from the window's first adjusted value over the
        whole longer window, so the state is what a fit with these parameters
        fixed gives on it (and an update in two steps equals one in one step).
        The interval variance then includes the new one-step errors.

        The grown line is kept as a loaded Theta keeps it (``_SavedLine``, the
        numbers statsmodels' ``ThetaModelResults`` holds): building
        statsmodels' model and results objects for it cost most of an update
        (and 0.5 s of imports a nightly run), for the same forecasts.
        """
        res = self.results_
        model = res.model
        start = int(self.n_obs_) - int(model.endog_orig.shape[0])
        if y_all.size - start < 2:
            raise ModelFitError(
                f"Theta's fitting window starts at observation {start}; "
                f"{y_all.size} observations do not reach past it"
            )
        window = np.asarray(y_all[start:], dtype=float)
        b0, alpha = _line(res)
        multiplicative = not model.method.startswith("add")
        seasonal = _season_from_start(res)
        if seasonal.size:
            factors = seasonal[np.arange(window.size) % seasonal.size]
            adjusted = window / factors if multiplicative else window - factors
        else:
            adjusted = window
        level = _ses_errors(adjusted, alpha)[1]
        if not (np.all(np.isfinite(adjusted)) and np.isfinite(level)):
            raise ModelFitError("Theta's state is not finite over the new observations")
        grown = _SavedModel(
            window, period=int(model.period), deseasonalize=bool(model.deseasonalize),
            method=str(model.method),
        )  # fmt: skip
        self.results_ = _SavedLine(b0, alpha, np.array([level]), seasonal, grown)

    def _state_to_save(self, names: Sequence[str]) -> dict[str, Any]:
        """The fitted Theta line as plain numbers, read through statsmodels' public API."""
        res = self.results_
        model = res.model
        b0, alpha = _line(res)
        state: dict[str, Any] = {
            "y_": self.y_,
            "X_": self.X_,
            "n_obs_": self.n_obs_,
            "b0": b0,
            "alpha": alpha,
            "one_step": float(_parts(res, 1)[1][0]),
            "method": str(model.method),
            "deseasonalize": bool(model.deseasonalize),
            "period": int(model.period),
            "seasonal": np.zeros(0),
            "n_fit": int(model.endog_orig.shape[0]),
            "adjusted_errors": bool(getattr(self, "_adjusted_errors", True)),
        }
        if model.deseasonalize:
            state["seasonal"] = _season_from_start(res)
        return {name: state[name] for name in names}

    def _restore_state(self, state: dict[str, Any]) -> None:
        """Set the saved Theta line (no re-estimation) as statsmodels' results would hold it.

        The line's numbers are kept in a ``_SavedLine``, which forecasts and draws
        paths as statsmodels' ``ThetaModelResults`` does (the same arithmetic,
        see ``_parts``) without importing statsmodels, which a loaded forecaster
        would otherwise wait for on its first forecast; anything else read from
        ``results_`` builds statsmodels' own results object then.
        """
        self.y_, self.X_, self.n_obs_ = state["y_"], state["X_"], state["n_obs_"]
        methods = ("add", "mul", "additive", "multiplicative")
        if state["method"] not in methods or state["period"] < 1:
            raise ParameterError(f"method={state['method']!r}, period={state['period']!r}")
        # files written before Theta used the recent seasons have no n_fit: their
        # line was fitted on the whole history
        n_fit = state.get("n_fit", self.y_.size)
        if not 1 <= n_fit <= self.y_.size:
            raise ParameterError(f"n_fit={n_fit!r} is not between 1 and {self.y_.size}")
        # files written before the fix of the interval variance (2026-11-29) took it
        # from the raw series: they keep forecasting the intervals they were saved with
        self._adjusted_errors = bool(state.get("adjusted_errors", False))
        model = _SavedModel(
            self.y_[self.y_.size - n_fit :],
            period=int(state["period"]),
            deseasonalize=bool(state["deseasonalize"]),
            method=state["method"],
        )
        self.results_ = _SavedLine(
            state["b0"], state["alpha"], np.array([state["one_step"]]), state["seasonal"], model
        )

    def _one_step_in_sample(self, y: np.ndarray, X: np.ndarray | None) -> np.ndarray | None:
        """One-step forecasts inside the window Theta was fitted on, with its fitted line.

        NaN before the window (the recent seasons Theta is fitted on) and at its
        first period; see ``_window_forecasts``.
        """
        if getattr(self, "results_", None) is None:
            return None
        path = self._window_forecasts()
        out = np.full(y.size, np.nan)
        if 2 <= path.size <= y.size:
            out[y.size - path.size + 1 :] = path[:-1]
        return out

    def _window_forecasts(self) -> np.ndarray:
        """The forecast of each period of the fitting window from the periods before it.

        Entry ``i`` forecasts window position ``i + 1`` from positions ``0..i``:
        the SES level after them plus the weighted drift statsmodels adds after
        ``i + 1`` observations, re-seasonalised by the factor of that period;
        the last entry is ``predict(1)``'s mean (the same formula).
        """
        res = self.results_
        model = res.model
        window = np.asarray(model.endog_orig, dtype=float)
        n_fit = window.size
        b0, alpha = _line(res)
        multiplicative = not model.method.startswith("add")
        if model.deseasonalize:
            p = int(model.period)
            season = np.asarray(res.forecast_components(p)["seasonal"], dtype=float)
            factors = season[(np.arange(p) - n_fit) % p][np.arange(n_fit + 1) % p]
        else:
            factors = np.full(n_fit + 1, 1.0 if multiplicative else 0.0)
        adjusted = window / factors[:n_fit] if multiplicative else window - factors[:n_fit]
        weight = 1.0 - 1.0 / float(self.theta)
        t = np.arange(1, n_fit + 1, dtype=float)
        drift = b0 * (1.0 / alpha - (1.0 - alpha) ** t / alpha) if alpha > 0 else 0.0 * t
        levels = np.empty(n_fit)
        level = adjusted[0]
        for i in range(n_fit):  # levels[i]: after the first i + 1 adjusted values
            if i > 0:
                level = level + alpha * (adjusted[i] - level)
            levels[i] = level
        fcast = weight * drift + levels
        return fcast * factors[1:] if multiplicative else fcast + factors[1:]

    def _components(self, h: int) -> tuple[np.ndarray, np.ndarray, float, float, bool]:
        """Forecast, seasonal factors, SES alpha, innovation variance, multiplicative?

        Kept for the last ``h`` asked (with the results object, ``theta`` and the
        error setting it was computed from; copies are returned): a nightly run
        asks three times a category (its forecast, then the forecast and the
        paths its sample paths are drawn from), and each time ran the SES over
        the whole history again.
        """
        res = self.results_
        key = (h, self.theta, getattr(self, "_adjusted_errors", True))
        kept = self.__dict__.get("_kept_components")
        if kept is None or kept[0] is not res or kept[1] != key:
            kept = (res, key, self._computed_components(h))
            self._kept_components = kept
        mean, season, alpha, sigma2, multiplicative = kept[2]
        return mean.copy(), season.copy(), alpha, sigma2, multiplicative

    def _computed_components(self, h: int) -> tuple[np.ndarray, np.ndarray, float, float, bool]:
        res = self.results_
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mean = _forecast(res, h, self.theta)
            season = _parts(res, h)[2]
            alpha = _line(res)[1]
            multiplicative = not res.model.method.startswith("add")
            # the SES ran on the seasonally adjusted series: its errors are those of
            # the fitted history adjusted by the same factors (the factor of period t
            # is the forecast's factor of period t + k * period)
            y = np.asarray(res.model._y, dtype=float)
            if getattr(self, "_adjusted_errors", True):
                p = int(res.model.period)
                factors = _parts(res, p)[2]
                insample = factors[(np.arange(y.size) - y.size) % p]
                y = y / insample if multiplicative else y - insample
            sigma2 = _ses_variance(y, alpha)
        if not (np.all(np.isfinite(mean)) and np.isfinite(sigma2) and np.isfinite(alpha)):
            raise ModelFitError("Theta produced non-finite forecasts")
        return mean, season, alpha, sigma2, multiplicative

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        # statsmodels' own prediction_intervals uses sigma2 * (1 + (h-1)(1 + (alpha-1)^2))
        # on the seasonally adjusted scale and does not re-seasonalize the bounds, which
        # gave intervals several times too wide on monthly retail data. Like R's thetaf(),
        # use the SES variance sigma2 * (1 + (h-1) alpha^2) on the adjusted scale and
        # re-seasonalize the bounds with the forecast. sigma2 is the variance of the
        # one-step errors of the SES that estimated alpha (as R's ses() reports it);
        # statsmodels' ``sigma2`` would fit a second model (ARIMA(0,1,1) with drift)
        # by maximum likelihood, which cost a fifth of the selection's time.
        if not levels:  # point forecasts only (the selection backtest)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                mean = _forecast(self.results_, h, self.theta)
            if not np.all(np.isfinite(mean)):
                raise ModelFitError("Theta produced non-finite forecasts")
            return ModelForecast(mean=mean)
        mean, season, alpha, sigma2, multiplicative = self._components(h)
        adjusted = mean / season if multiplicative else mean - season
        sigma = np.sqrt(sigma2 * (1 + np.arange(h) * alpha**2))
        base = ModelForecast.from_normal(adjusted, sigma, levels)
        out = ModelForecast(mean=mean)
        for level in levels:
            lo, hi = base.lower[level], base.upper[level]
            out.lower[level] = lo * season if multiplicative else lo + season
            out.upper[level] = hi * season if multiplicative else hi + season
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """SES innovation paths on the adjusted scale, re-seasonalized.

        On the seasonally adjusted scale the model is simple exponential
        smoothing: ``y[n+j] = forecast[j] + e[n+j] + alpha * (e[n+1] + ... + e[n+j-1])``
        with independent ``N(0, sigma2)`` innovations, whose variance is the
        ``sigma2 * (1 + (j-1) alpha^2)`` of the intervals. Re-seasonalizing
        (times or plus the seasonal factor) is monotone, so each step's path
        quantiles are the interval bounds of ``predict``.
        """
        mean, season, alpha, sigma2, multiplicative = self._components(h)
        adjusted = mean / season if multiplicative else mean - season
        shocks = rng.standard_normal((n_paths, h)) * np.sqrt(sigma2)
        carried = alpha * np.cumsum(shocks, axis=1) - alpha * shocks  # alpha * sum of earlier
        paths = adjusted + shocks + carried
        return paths * season if multiplicative else paths + season


class _SavedModel:
    """What forecasts read of statsmodels' ``ThetaModel``, for a loaded Theta.

    The attributes ``ThetaModel(y, period, deseasonalize, method)`` sets;
    anything else is read from a ``ThetaModel`` built on first use.
    """

    def __init__(self, y: np.ndarray, period: int, deseasonalize: bool, method: str) -> None:
        self._y = np.asarray(y, dtype=float)
        self.endog_orig = y
        self.period = period
        self.deseasonalize = deseasonalize
        self.method = method

    def statsmodels(self) -> Any:
        """statsmodels' ``ThetaModel`` of the same window and settings."""
        from statsmodels.tsa.forecasting.theta import ThetaModel

        return ThetaModel(
            self.endog_orig, period=self.period, deseasonalize=self.deseasonalize,
            method=self.method,
        )  # fmt: skip

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_y", "endog_orig", "period"):
            raise AttributeError(name)
        return getattr(self.statsmodels(), name)


class _SavedLine:
    """What forecasts read of statsmodels' ``ThetaModelResults``, for a loaded Theta.

    The numbers ``ThetaModelResults(b0, alpha, None, one_step, seasonal, False,
    model)`` keeps, read by ``_private`` and ``_parts`` (the arithmetic of its
    ``forecast_components``); anything else (``summary()``, ``forecast`` with
    a theta ``_forecast`` leaves to statsmodels...) is read from statsmodels'
    results object, built on first use.
    """

    def __init__(
        self, b0: float, alpha: float, one_step: np.ndarray, seasonal: np.ndarray,
        model: _SavedModel,
    ) -> None:  # fmt: skip
        self._b0 = b0
        self._alpha = alpha
        self._one_step = one_step
        self._seasonal = seasonal
        self._nobs = model.endog_orig.shape[0]
        self.model = model
        self._results: Any = None

    @property
    def params(self) -> pd.Series:
        """b0 and alpha, as ``ThetaModelResults.params``."""
        return pd.Series([self._b0, self._alpha], index=["b0", "alpha"])

    def forecast_components(self, steps: int) -> pd.DataFrame:
        """Trend, SES and seasonal parts (``ThetaModelResults.forecast_components``' numbers)."""
        trend, ses, season = _parts(self, steps)
        return pd.DataFrame({"trend": trend, "ses": ses, "seasonal": season})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_results", "model"):
            raise AttributeError(name)
        if self._results is None:
            from statsmodels.tsa.forecasting.theta import ThetaModelResults

            self._results = ThetaModelResults(
                self._b0, self._alpha, None, self._one_step, self._seasonal, False,
                self.model.statsmodels(),
            )  # fmt: skip
        return getattr(self._results, name)


def _private(res: Any) -> tuple[Any, ...] | None:
    """The numbers statsmodels' ``ThetaModelResults`` keeps, or None in another statsmodels."""
    try:
        model = res.model
        return (
            res._alpha, res._b0, res._nobs, res._one_step, res._seasonal,
            model.period, model.deseasonalize, model.method,
        )  # fmt: skip
    except AttributeError:  # pragma: no cover - another statsmodels: the public route
        return None


def _line(res: Any) -> tuple[float, float]:
    """The drift ``b0`` and the smoothing ``alpha``: ``res.params`` without building a Series."""
    got = _private(res)
    if got is None:  # pragma: no cover - another statsmodels: the public route
        b0, alpha = np.asarray(res.params, dtype=float)[:2]
        return float(b0), float(alpha)
    return float(got[1]), float(got[0])


def _parts(res: Any, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trend, SES and seasonal parts of the forecast: ``res.forecast_components(steps)``.

    The same arithmetic as statsmodels' (the numbers are identical) without
    building a DataFrame and its date index, which cost most of a Theta
    forecast: a nightly run forecasts and draws paths for every category.
    """
    got = _private(res)
    if got is None:  # pragma: no cover - another statsmodels: the public route
        comp = res.forecast_components(steps)
        return (
            np.asarray(comp["trend"], dtype=float),
            np.asarray(comp["ses"], dtype=float),
            np.asarray(comp["seasonal"], dtype=float),
        )
    alpha, b0, nobs, one_step, seasonal, period, deseasonalize, method = got
    h = np.arange(1, steps + 1, dtype=np.float64) - 1
    if alpha > 0:
        h += 1 / alpha - ((1 - alpha) ** nobs / alpha)
    trend = b0 * h
    ses = one_step * np.ones(steps)
    season = np.zeros(steps) if method.startswith("add") else np.ones(steps)
    if deseasonalize and seasonal.shape[0]:
        season[:] = seasonal[(nobs + np.arange(steps)) % period]
    return np.asarray(trend, dtype=float), np.asarray(ses, dtype=float), season


def _season_from_start(res: Any) -> np.ndarray:
    """The seasonal factors by position in the fitting window: index ``j`` is that of
    periods ``j``, ``j + period``, ... (empty when the line is not deseasonalised).

    ``_parts`` gives the factor of period ``n + i`` at row ``i``; rolled back by ``n``.
    """
    model = res.model
    if not model.deseasonalize:
        return np.zeros(0)
    p = int(model.period)
    season = _parts(res, p)[2]
    return season[(np.arange(p) - model.endog_orig.shape[0]) % p]


def _forecast(res: Any, steps: int, theta: float) -> np.ndarray:
    """``res.forecast(steps, theta)`` as an array, through ``_parts`` (identical numbers)."""
    got = _private(res)
    if got is None or not 1 <= theta < 4.0 / np.finfo(np.double).eps:
        return np.asarray(res.forecast(steps, theta=theta), dtype=float)
    trend, ses, season = _parts(res, steps)
    fcast = (theta - 1) / theta * trend + ses
    if got[6]:  # deseasonalize
        if got[7].startswith("mul"):
            fcast *= season
        else:
            fcast += season
    return fcast


#: on a longer history, Theta is fitted to the last this many seasons
_RECENT_SEASONS = 8


def _recent(y: np.ndarray, m: int) -> np.ndarray:
    """The last ``_RECENT_SEASONS`` seasons of a seasonal series (all of a shorter one).

    A season and a trend averaged over decades are not those of now: on the
    12 US retail categories of ``tests/test_accuracy.py`` (33 years) Theta
    went from 1.29 to 0.93 MASE; M3 monthly (at most 12 years) barely moved
    (test split 13.97 / 0.869 -> 13.94 / 0.869). Series without a season
    (``m == 1``) keep their whole history.
    """
    return y[-_RECENT_SEASONS * m :] if m > 1 and y.size > _RECENT_SEASONS * m else y


def _fit_two_step(model: Any) -> Any:
    """``ThetaModel.fit()`` (the two-step estimate) with a cheaper SES.

    statsmodels' two steps: the drift ``b0`` by least squares on a line, and
    the smoothing ``alpha`` of a simple exponential smoothing started at the
    first (seasonally adjusted) value, by maximum likelihood, which for that
    model is least squares of the one-step errors. statsmodels estimates
    ``alpha`` with its state-space machinery (about 4 ms a series); here it is
    a search on the same sum of squares from the same start (``_ses_alpha``),
    a tenth of that. The results object is statsmodels' own.
    Falls back to ``model.fit()`` when this statsmodels lacks the internals.
    """
    from statsmodels.tsa.forecasting.theta import ThetaModelResults

    try:
        if model._deseasonalize and model._use_test:
            model._test_seasonality()
        adjusted, seasonal = model._deseasonalize_data()
    except AttributeError:  # pragma: no cover - another statsmodels: the public route
        return model.fit()
    adjusted = np.asarray(adjusted, dtype=float)
    line = np.column_stack([np.ones(adjusted.size), np.arange(adjusted.size, dtype=float)])
    b0 = float(np.linalg.lstsq(line, adjusted, rcond=None)[0][1])
    alpha, level = _ses_alpha(adjusted)
    return ThetaModelResults(b0, alpha, None, np.array([level]), seasonal, False, model)


#: grid points of the SES smoothing search (then refined between neighbours)
_SES_GRID = 41
#: where the search starts (statsmodels' and Hyndman et al.'s start value)
_SES_START = 0.1
#: alpha stays this far inside (0, 1): Theta's drift term divides by alpha
_SES_BOUND = 1e-4


def _ses_alpha(y: np.ndarray) -> tuple[float, float]:
    """SES smoothing: least squares of the one-step errors from level ``y[0]``; the last level.

    The sum of squares can have more than one minimum in ``alpha``. As
    statsmodels (and Hyndman et al., 2008) the search starts at 0.1 and goes
    downhill, so of several minima it finds the one of the heavier smoothing
    next to 0.1, not necessarily the lowest: on the validation split of M3
    monthly the lowest forecast worse (Theta alone 14.27 / 0.876 sMAPE / MASE
    against 14.21 / 0.872). A grid walk finds that basin, a bounded Brent
    search refines it.
    """
    from scipy.optimize import minimize_scalar

    def sse(alpha: float) -> float:
        errors = _ses_errors(y, alpha)[0]
        return float(errors @ errors)

    grid = np.linspace(_SES_BOUND, 1.0 - _SES_BOUND, _SES_GRID)
    values = np.array([sse(a) for a in grid])
    i = int(np.argmin(np.abs(grid - _SES_START)))
    while True:  # downhill on the grid from the start
        left = values[i - 1] if i > 0 else np.inf
        right = values[i + 1] if i + 1 < grid.size else np.inf
        if min(left, right) >= values[i]:
            break
        i = i - 1 if left < right else i + 1
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    found = minimize_scalar(sse, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
    alpha = float(found.x) if found.fun <= values[i] else float(grid[i])
    return alpha, _ses_errors(y, alpha)[1]


def _ses_errors(y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """One-step errors of SES with smoothing ``alpha`` from level ``y[0]``, and the last level.

    The level recursion ``l_t = alpha y_t + (1 - alpha) l_{t-1}`` is a first-order
    linear filter, so it runs in ``scipy.signal.lfilter``.
    """
    from scipy.signal import lfilter

    levels, _ = lfilter([alpha], [1.0, alpha - 1.0], y[1:], zi=[(1.0 - alpha) * y[0]])
    previous = shifted(levels, y[0])  # the level before each step
    return y[1:] - previous, float(levels[-1]) if levels.size else float(y[0])


def _ses_variance(y: np.ndarray, alpha: float) -> float:
    """Mean squared one-step error of SES with smoothing ``alpha`` from level ``y[0]``."""
    if y.size < 2:
        return float("nan")
    # _ses_errors' numbers without scipy.signal: a loaded Theta's first interval would
    # otherwise wait 0.4 s for its import
    errors = y[1:] - shifted(ses_levels(y[1:], alpha, float(y[0])), y[0])
    return float(np.mean(errors**2))
