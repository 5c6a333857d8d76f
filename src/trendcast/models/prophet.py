"""Prophet (Taylor and Letham, 2018) as a trendcast local model.

Prophet fits a piecewise-linear (or logistic, or flat) trend with automatic
changepoints, Fourier-series seasonality, holiday effects and extra
regressors, by maximum a posteriori estimation in Stan (``prophet`` package,
through cmdstanpy). Use it when demand has trend breaks, several seasonal
cycles (daily data: week and year), holiday or shopping-event effects, or
covariates with a known future (price, promotions, the
[`ShoppingCalendar`][trendcast.calendar.ShoppingCalendar]). On regular monthly series
without such effects ETS is usually more accurate and intervals are better
calibrated (see the Prophet section of the models page).

Prophet needs dates; a local model only sees arrays. The model therefore
dates the observations itself: ``start`` (the date of the first observation)
and ``freq`` give the real dates, which holidays and the calendar need;
without ``start`` the series gets a synthetic calendar that begins on
2000-01-01 (rolled forward to the first date on ``freq``), which is enough for
trend and seasonality. Keeping the first date fixed means ``update`` appends
dates after the existing ones, as real data does. ``TrendForecaster`` (or any
caller) gives the real dates with ``set_params(start=..., freq=...)``, the
scikit-learn way, so ``clone`` keeps them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

import trendcast._frequency as freqs
from trendcast.calendar import ShoppingCalendar
from trendcast.exceptions import ModelFitError
from trendcast.models._shared import check_season_length
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["Prophet"]

#: frequency assumed from the season length when ``freq`` is not given
_FREQ_OF_SEASON = {1: "YS-JAN", 4: "QS-JAN", 7: "D", 12: "MS", 52: "W-SUN"}
#: periods per year of each frequency family, to decide on yearly seasonality
_PER_YEAR = {"D": 365, "W": 52, "M": 12, "Q": 4, "Y": 1}
#: Fourier order of the yearly seasonality (Prophet's 10 is more than 12 months can carry)
_YEARLY_ORDER = {"D": 10, "W": 10, "M": 6, "Q": 2}
_ORIGIN = pd.Timestamp("2000-01-01")
_QUIET_LOGGERS = ("prophet", "cmdstanpy")


def _load_prophet() -> Any:
    """Import the prophet class without its 'plotly failed' message."""
    plot_logger = logging.getLogger("prophet.plot")
    before = plot_logger.level
    plot_logger.setLevel(logging.CRITICAL)
    try:
        from prophet import Prophet as ProphetModel
    finally:
        plot_logger.setLevel(before)
    return ProphetModel


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence prophet's and cmdstanpy's loggers and warnings for the duration.

    Only those two loggers' levels change, and they are restored afterwards;
    the root logger and its handlers are never touched.
    """
    try:  # cmdstanpy sets its logger's level on first use; make that happen first
        from cmdstanpy.utils import get_logger

        get_logger()
    except ImportError:  # pragma: no cover - depends on the cmdstanpy version
        pass
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@contextmanager
def _seeded(seed: int | None) -> Iterator[None]:
    """Seed NumPy's global generator (Prophet draws from it), then restore its state."""
    if seed is None:
        yield
        return
    # Prophet draws from the legacy global generator, so only its state can seed them
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


class Prophet(LocalModel):
    """Prophet: trend with changepoints, Fourier seasonality, holidays and regressors.

    Parameters
    ----------
    freq : str, optional
        Pandas alias of the series' frequency (``"D"``, ``"W-SUN"``, ``"MS"``,
        ``"QS-JAN"``...). Left out, it follows ``season_length``: 7 daily, 52
        weekly (``W-SUN``), 12 monthly (``MS``), 4 quarterly, 1 yearly; with
        neither, the series is taken as daily (Prophet's own default).
    season_length : int, optional
        Only used to choose ``freq`` when it is not given; ``TrendForecaster``
        sets it from the data's frequency.
    start : str or Timestamp, optional
        Date of the first observation, on ``freq``. Needed for
        ``country_holidays`` and ``calendar``; without it the series is dated
        from 2000-01-01 (see the module docstring).
    growth : {"linear", "logistic", "flat"}
        Trend shape; logistic needs ``cap``.
    cap : float, optional
        Saturation level (market size) of a logistic trend.
    seasonality_mode : {"additive", "multiplicative"}
        Multiplicative lets the season grow with the level, as in most retail
        sales. Covariates and calendar effects follow the same mode.
    yearly_seasonality, weekly_seasonality : "auto", bool or int
        ``"auto"``: yearly for daily, weekly, monthly and quarterly data with
        at least two years of history (Fourier order 10, 10, 6 and 2); weekly
        for daily data with at least two weeks. ``True``/``False`` force it
        on or off; an integer sets the Fourier order.
    country_holidays : str, optional
        ISO code of a country whose public holidays get their own effects
        (Prophet's ``add_country_holidays``). Daily data only, with ``start``:
        Prophet matches holidays by date, so weekly or monthly dates would
        miss them. For those use ``calendar``.
    calendar : ShoppingCalendar, optional
        Holiday and retail-event features (counted per period for weekly or
        monthly data) added as regressors; needs ``start``.
    changepoint_prior_scale, seasonality_prior_scale, holidays_prior_scale : float
        Prophet's regularization of trend changes, seasonality, and holiday,
        calendar and covariate effects.
    mcmc_samples : int
        0 (default) fits by MAP in well under a second; more draws full
        Bayesian samples (much slower).
    uncertainty_samples : int
        Sample paths drawn for the intervals (every level comes from the same
        draws) and the default number for ``sample_paths``.
    warm_start : bool
        ``update`` refits starting the optimizer from the current parameters
        (Prophet's documented ``init=`` warm start); ``fit`` always starts
        afresh.
    random_state : int, optional
        Seed of the interval and sample-path draws: same seed, same intervals.
    prophet_kwargs : dict, optional
        Further arguments for ``prophet.Prophet`` (e.g. ``n_changepoints``);
        they override the ones above.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-120:]
    >>> model = tc.models.Prophet(freq="MS", seasonality_mode="multiplicative").fit(y)
    >>> fc = model.predict(12, level=(80, 95))
    >>> bool((fc.lower[95] <= fc.lower[80]).all() and (fc.lower[80] <= fc.mean).all())
    True
    """

    family = "Prophet"
    _saved_name = "trendcast.Prophet"
    _saved_state = {
        "freq_": "str",
        "first_date_": "timestamp",
        "model_": "prophet",
        "regressors_": "strs",
    }

    def __init__(
        self,
        freq: str | None = None,
        season_length: int | None = None,
        start: str | pd.Timestamp | None = None,
        growth: Literal["linear", "logistic", "flat"] = "linear",
        cap: float | None = None,
        seasonality_mode: Literal["additive", "multiplicative"] = "additive",
        yearly_seasonality: Literal["auto"] | bool | int = "auto",
        weekly_seasonality: Literal["auto"] | bool | int = "auto",
        country_holidays: str | None = None,
        calendar: ShoppingCalendar | None = None,
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        holidays_prior_scale: float = 10.0,
        mcmc_samples: int = 0,
        uncertainty_samples: int = 1000,
        warm_start: bool = False,
        random_state: int | None = 0,
        prophet_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.freq = freq
        self.season_length = season_length
        self.start = start
        self.growth = growth
        self.cap = cap
        self.seasonality_mode = seasonality_mode
        self.yearly_seasonality = yearly_seasonality
        self.weekly_seasonality = weekly_seasonality
        self.country_holidays = country_holidays
        self.calendar = calendar
        self.changepoint_prior_scale = changepoint_prior_scale
        self.seasonality_prior_scale = seasonality_prior_scale
        self.holidays_prior_scale = holidays_prior_scale
        self.mcmc_samples = mcmc_samples
        self.uncertainty_samples = uncertainty_samples
        self.warm_start = warm_start
        self.random_state = random_state
        self.prophet_kwargs = prophet_kwargs

    def tags(self) -> ModelTags:
        return ModelTags(min_length=3, supports_exogenous=True, produces_samples=True)

    # -- dates ---------------------------------------------------------------------------
    def _resolve_freq(self) -> str:
        if self.freq is None:
            if self.season_length is None:
                return "D"
            m = check_season_length(self.season_length)
            if m not in _FREQ_OF_SEASON:
                raise ModelFitError(
                    f"Prophet cannot tell the frequency from season_length={self.season_length}; "
                    "pass freq, e.g. freq='MS'"
                )
            return _FREQ_OF_SEASON[m]
        try:
            return freqs.normalize_freq(self.freq)
        except ValueError as exc:
            raise ModelFitError(f"freq={self.freq!r}: {exc}; use one of {freqs.SUPPORTED}") from exc

    def _first_date(self, freq: str) -> pd.Timestamp:
        offset = to_offset(freq)
        if self.start is None:
            return pd.Timestamp(offset.rollforward(_ORIGIN))
        try:
            first = pd.Timestamp(self.start)
        except (TypeError, ValueError) as exc:
            raise ModelFitError(f"start={self.start!r} is not a date: {exc}") from exc
        if not offset.is_on_offset(first):
            raise ModelFitError(
                f"start={first.date()} is not a {freq} date; pass the date of the first "
                f"observation as it appears in the data (e.g. {offset.rollforward(first).date()})"
            )
        return first

    def _dates(self, n: int) -> pd.DatetimeIndex:
        """Dates of the first ``n`` periods from the start."""
        return pd.date_range(self.first_date_, periods=n, freq=self.freq_)

    # -- fit -------------------------------------------------------------------------
    def _options(self, kind: str, n: int) -> dict[str, Any]:
        if self.growth not in ("linear", "logistic", "flat"):
            raise ModelFitError(
                f"growth must be 'linear', 'logistic' or 'flat', not {self.growth!r}"
            )
        if self.growth == "logistic" and self.cap is None:
            raise ModelFitError("growth='logistic' needs cap, the saturation level of demand")
        if self.seasonality_mode not in ("additive", "multiplicative"):
            raise ModelFitError(
                f"seasonality_mode must be 'additive' or 'multiplicative', "
                f"not {self.seasonality_mode!r}"
            )
        for name in ("uncertainty_samples", "mcmc_samples"):
            value = getattr(self, name)
            low = 1 if name == "uncertainty_samples" else 0
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ModelFitError(
                    f"{name} must be an integer >= {low}, got {value!r} (trendcast forecasts "
                    "always carry intervals)"
                )
        needs_dates = [
            name for name in ("country_holidays", "calendar") if getattr(self, name) is not None
        ]
        if needs_dates and self.start is None:
            raise ModelFitError(
                f"{' and '.join(needs_dates)} need the real dates; pass start (the date of "
                "the first observation) and freq"
            )
        if self.country_holidays is not None and kind != "D":
            raise ModelFitError(
                "country_holidays works on daily data (Prophet matches holidays by date); "
                "for weekly, monthly or quarterly data use "
                f"calendar=ShoppingCalendar(country={self.country_holidays!r}), which counts "
                "the holidays in each period"
            )

        def choose(value: Any, default: int | bool, name: str) -> int | bool:
            if isinstance(value, str):
                if value != "auto":
                    raise ModelFitError(f"{name} must be 'auto', True, False or an order")
                return default
            if isinstance(value, bool) or (isinstance(value, int | np.integer) and value > 0):
                return value if isinstance(value, bool) else int(value)
            raise ModelFitError(f"{name} must be 'auto', True, False or a positive integer")

        yearly_auto = _YEARLY_ORDER.get(kind, False) if n >= 2 * _PER_YEAR[kind] else False
        weekly_auto = 3 if kind == "D" and n >= 14 else False
        options = {
            "growth": self.growth,
            "seasonality_mode": self.seasonality_mode,
            "yearly_seasonality": choose(self.yearly_seasonality, yearly_auto, "yearly"),
            "weekly_seasonality": choose(self.weekly_seasonality, weekly_auto, "weekly"),
            "daily_seasonality": False,
            "changepoint_prior_scale": self.changepoint_prior_scale,
            "seasonality_prior_scale": self.seasonality_prior_scale,
            "holidays_prior_scale": self.holidays_prior_scale,
            "mcmc_samples": int(self.mcmc_samples),
            "uncertainty_samples": int(self.uncertainty_samples),
        }
        options.update(self.prophet_kwargs or {})
        return options

    def _frame(self, dates: pd.DatetimeIndex, X: np.ndarray | None) -> pd.DataFrame:
        """The frame Prophet sees: ds, covariates x0..xk, calendar columns, cap."""
        frame = pd.DataFrame({"ds": dates})
        if X is not None:
            for j in range(X.shape[1]):
                frame[f"x{j}"] = X[:, j]
        if self.calendar is not None:
            features = self.calendar.features(dates, freq=self.freq_)
            for column in features.columns:
                frame[column] = features[column].to_numpy(dtype=float)
        if self.growth == "logistic":
            frame["cap"] = float(self.cap)  # type: ignore[arg-type]
        return frame

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        freq = self._resolve_freq()
        kind = freqs.kind_of(freq)
        options = self._options(kind, y.size)
        self.freq_ = freq
        self.first_date_ = self._first_date(freq)
        frame = self._frame(self._dates(y.size), X)
        frame["y"] = y
        fit_kwargs: dict[str, Any] = {}
        init = getattr(self, "_warm_init", None)
        if init is not None:
            fit_kwargs["init"] = init
        if options["mcmc_samples"] > 0:
            fit_kwargs["show_progress"] = False
        ProphetModel = _load_prophet()
        try:
            with _quiet():
                model = ProphetModel(**options)
                if self.country_holidays is not None:
                    model.add_country_holidays(country_name=self.country_holidays)
                for column in frame.columns:
                    if column not in ("ds", "y", "cap"):
                        model.add_regressor(column)
                model.fit(frame, **fit_kwargs)
        except (ValueError, RuntimeError, TypeError, KeyError, AttributeError) as exc:
            raise ModelFitError(f"Prophet could not be fitted: {exc}") from exc
        self.model_ = model
        self.regressors_ = [c for c in frame.columns if c not in ("ds", "y", "cap")]

    def update(self, y_new: np.ndarray, X_new: np.ndarray | None = None) -> Prophet:
        """Refit on the history plus ``y_new``, warm-started from the current parameters.

        Prophet has no state to run forward, so it re-estimates; with
        ``warm_start=True`` the optimizer starts from the fitted parameters
        (fewer iterations, the same optimum up to the optimizer's tolerance).
        """
        self._check_fitted()
        self._warm_init = self._warm_start_params() if self.warm_start else None
        try:
            super().update(y_new, X_new)
        finally:
            del self._warm_init
        return self

    def _warm_start_params(self) -> dict[str, Any]:
        """The fitted parameters in the shape Prophet's ``fit(init=...)`` takes."""
        params = self.model_.params
        out: dict[str, Any] = {
            name: float(np.mean(params[name])) for name in ("k", "m", "sigma_obs")
        }
        for name in ("delta", "beta"):
            out[name] = np.mean(np.atleast_2d(params[name]), axis=0)
        return out

    # -- predict -----------------------------------------------------------------------
    def _future(self, h: int, X_future: np.ndarray | None) -> pd.DataFrame:
        n = self.n_obs_
        return self._frame(self._dates(n + h)[n:], X_future)

    def _draw(self, future: pd.DataFrame, n_samples: int, seed: int | None) -> np.ndarray:
        """Sample paths from Prophet's posterior predictive, shape (h, n_samples)."""
        model = self.model_
        before = model.uncertainty_samples
        model.uncertainty_samples = n_samples
        try:
            with _quiet(), _seeded(seed):
                draws = model.predictive_samples(future)["yhat"]
        finally:
            model.uncertainty_samples = before
        return np.asarray(draws, dtype=float)[:, :n_samples]

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        future = self._future(h, X_future)
        model = self.model_
        before = model.uncertainty_samples
        model.uncertainty_samples = 0  # the point forecast alone; the draws come next
        try:
            with _quiet():
                mean = model.predict(future)["yhat"].to_numpy(dtype=float)
        finally:
            model.uncertainty_samples = before
        draws = self._draw(future, int(self.uncertainty_samples), self.random_state)
        out = ModelForecast(mean=mean)
        for level in levels:
            lower, upper = np.percentile(draws, [50 - level / 2, 50 + level / 2], axis=1)
            out.lower[level] = np.minimum(lower, mean)
            out.upper[level] = np.maximum(upper, mean)
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(draws))):
            raise ModelFitError("Prophet produced non-finite forecasts")
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        seed = int(rng.integers(2**32 - 1))
        return self._draw(self._future(h, X_future), n_paths, seed).T
