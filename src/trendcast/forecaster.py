"""TrendForecaster: per-category fitting, selection, fallbacks and forecasts.

The class orchestrates; the work is done in ``trendcast._engine`` (settings,
input checks, plans, per-series fitting, calibration, reports, output frames,
the parallel map), and everything a fitted forecaster holds is one
``ForecasterState`` (``state_``), which ``trendcast.persistence`` saves and
loads.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._engine.calibrate import (
    calibrate,
    calibrate_windows,
    with_reference,
)
from trendcast._engine.fitted import FittedValues
from trendcast._engine.fitting import (
    cv_one_item,
    fit_category,
    predict_series,
    rank,
    search_helps,
    update_series,
)
from trendcast._engine.frames import (
    ForecastRows,
    as_output,
    cv_frame,
)
from trendcast._engine.inputs import (
    check_covariates,
    check_cv_lengths,
    check_future_dates,
    check_horizon,
    check_past,
    future_covariates,
    split_series,
)
from trendcast._engine.legacy import OldLayoutHooks
from trendcast._engine.parallel import check_backend, parallel_imap
from trendcast._engine.plan import build_plan, window_plans
from trendcast._engine.records import (
    add_categories,
    apply_updates,
    attach_pools,
    fit_items,
    new_state,
    plan_of,
    record_refit,
    setup_search,
    split_update,
)
from trendcast._engine.sampling import SamplePaths
from trendcast._engine.spec import (
    Spec,
    check_columns,
    check_horizon_size,
    check_output,
    check_positive,
    resolve_spec,
)
from trendcast._engine.state import calibration_plan
from trendcast._frames import accepts_frames
from trendcast._params import Params
from trendcast._validation import count, describe_source, fail, format_items, verb
from trendcast.calendar import ShoppingCalendar
from trendcast.exceptions import ParameterError, PersistenceError
from trendcast.io.sales import FillPolicy, validate_sales
from trendcast.models import LocalModel
from trendcast.models._shared import release_memory
from trendcast.models.base import check_levels
from trendcast.persistence import read_forecaster, write_forecaster

__all__ = ["TrendForecaster", "load"]

logger = logging.getLogger(__name__)

# names the test-suite written against the old single-module layout imports
_rank, _search_helps = rank, search_helps


class TrendForecaster(OldLayoutHooks, SamplePaths, FittedValues, Params):
    """Forecast demand for every category of a long sales frame.

    Parameters
    ----------
    models : "auto", "fast", a model, or a list of models
        ``"fast"`` forecasts every category with the mean of Theta and
        DynamicTheta (no search: for assortments too large for ``"auto"``;
        its speed and accuracy beside ``"auto"``'s are in the models guide).
        ``"auto"`` chooses per category between the median combination of ETS
        (damped trend, as in every ETS of ``"auto"``), ARIMA, Theta,
        DynamicTheta, CES and PooledRegression (the default; its regressors
        are trained once per fit on every category's windows), the mean of
        ETS and Theta, ETS,
        ARIMA, Theta, DynamicTheta, CES, seasonal naive and naive by
        a rolling-origin backtest (MASE) on the training data; a sparse
        category (no demand in a quarter of its periods or more, see
        [`is_sparse`][trendcast.models.is_sparse]) chooses between
        ``IntermittentDemand`` (the default) and naive instead. A list
        of model instances is chosen from the same way; a single instance is
        used for every category.
    freq : str, optional
        Frequency alias (``"MS"``, ``"W-SUN"``...); inferred when omitted.
    season_length : int, optional
        Periods per season; by default 7 (daily), 52 (weekly), 12 (monthly),
        4 (quarterly), 1 (yearly).
    n_jobs : int
        Categories are fitted in parallel in this many processes (-1: all
        cores). Output order does not depend on it.
    fallback_model : LocalModel, optional
        Model to use when the chosen one cannot be fitted; by default the
        chain is Theta, then seasonal naive, then naive (which cannot fail).
    id_col : str
        Category column in the caller's frames; forecasts use the same name.
    time_col : str
        Period column in the caller's frames; forecasts use the same name.
    target_col : str
        Demand column in the caller's frames.
    fill : {"error", "zero", "ffill", "interpolate"}
        Gap policy passed to validation (see [`read_sales`][trendcast.read_sales]).
    allow_negative : bool
        Accept negative demand and stop clipping forecasts at zero.
    backtest_horizon : int, optional
        Horizon of each window of the selection backtest; default: half the
        season length rounded up (6 for monthly data), at most 13.
    backtest_windows : int
        Number of rolling origins in the selection backtest.
    selection_margin : float
        The first candidate (for ``"auto"``, the median of ETS, ARIMA, Theta,
        DynamicTheta, CES and PooledRegression; for a list, the first model listed) is kept unless
        another candidate's backtest MASE is lower by more than this fraction
        (default 0.4) and it is also more accurate in every backtest window.
        0 picks the lowest score outright.
    progress : bool or "auto"
        Show a progress bar (on standard error) while fitting and
        forecasting: ``"auto"`` only when standard error is a terminal (so
        logs of a scheduled job stay free of bars), ``True`` always.
    future_covariates : sequence of str, optional
        Columns of the sales frame that are known ahead (calendar events,
        planned prices, promotions). Models that take covariates use them;
        ``predict`` then needs their future values in ``X_df``.
    calendar : ShoppingCalendar, optional
        Shopping-calendar features (holidays and retail events, see
        [`ShoppingCalendar`][trendcast.ShoppingCalendar]) computed for every
        period, history and horizon alike, and given to the models that take
        covariates after the ``future_covariates``. No ``X_df`` is needed for
        them.
    calibration : {"conformal", "pooled", None}
        ``"conformal"`` (default) rescales every interval by a factor per
        model and horizon step, estimated from the errors of the backtest
        windows pooled across the categories of the fit after dividing each
        category's errors by its own scale (multiplied back at predict), so
        the intervals cover what they say and a few volatile categories do
        not widen everyone's (see "Intervals and calibration" in the docs).
        ``"pooled"`` pools the errors as they are (one factor for every
        category, trendcast's calibration before per-category scales). ``None``
        keeps each model's own intervals and, with a single model, skips
        the backtest.
    past_covariates : dict of str to int, optional
        Past-only covariates (search interest) and the lag at which each
        enters: ``{"search": 2}`` feeds ``search[t - 2]`` to the models that
        take covariates, so forecasts up to 2 periods ahead use observed
        values only, and ``predict`` needs no ``X_df`` for them. The column
        holds the values of the same period as the sales row (not shifted).
        A category whose column is empty on every row is fitted without it.
        With ``models="auto"``, categories with search also get ARIMA,
        ``RegressionModel`` and the default combination fed search,
        and keep them only when the backtest says search helps (see
        ``search_margin`` and ``search_report_``).
    cold_start : bool, default False
        Forecast a category shorter than every candidate that learns from the
        data needs (down to a single observation) with ``ColdStart``: its
        level, with intervals from the moves of the other categories (see
        docs/models.md, "Cold start"); ``fit_report_`` says ``cold start``
        and how. ``False`` keeps the fallback chain (a category with one
        observation is then skipped).
    search_start : {"refuse", "late"}
        What to do when a category's past covariates start after its sales
        (5 years of Google Trends beside 30 of sales). ``"refuse"`` (the
        default) raises an error naming the empty rows; ``"late"`` keeps the
        whole history: the candidates fed search are fitted and backtested on
        the span the search covers, the others on every period, and their
        backtest MASE (on the same final windows, rescaled to the full
        history's scale) is compared as usual. Empty rows are allowed only
        before a category's first search value.
    beyond_lag : {"refuse", "forecast"}
        What to do for horizons beyond the smallest lag: ``"refuse"`` raises
        an error that says the largest horizon allowed; ``"forecast"``
        forecasts the covariate itself (ETS) and carries its uncertainty
        into the intervals (a mixture over 30 covariate paths).
    search_margin : float
        A category keeps its search candidates only when the best of them
        scores a backtest MASE lower than the best candidate without search
        by more than this fraction (and, as any candidate, beats the first
        candidate by more than ``selection_margin``).
    backend : {None, "loky", "dask"} or str, optional
        Where the per-category work runs: ``None``/``"loky"`` in ``n_jobs``
        processes on this machine; ``"dask"`` on the current
        ``dask.distributed`` Client's cluster; a scheduler address
        (``"tcp://scheduler:8786"``) on that cluster. Batches of categories
        are the tasks; the output is the same row for row (see "Running on a
        cluster" in the docs).

    Attributes
    ----------
    fit_report_ : DataFrame
        One row per category: ``model_tried``, ``reason`` (empty when nothing
        went wrong), ``model_used``, ``status`` (``ok``, ``fallback``,
        ``skipped``).
    selection_report_ : DataFrame
        Backtest MASE of every candidate for every category (auto selection).
    calibration_report_ : DataFrame
        With ``calibration="conformal"``: per model, level (80, 95) and
        horizon step, the pooled backtest errors used (``n_errors``), the
        ``factor`` applied to the model's interval half-width, and the share
        of those errors inside the interval before and after
        (``coverage_before``, ``coverage_after``). A model with too few
        errors is left as it is (factor 1, no step).
    search_report_ : DataFrame
        With ``past_covariates``: per category, ``covariates`` and ``lag``,
        the best backtest MASE with and without search
        (``mase_with_search``, ``mase_without_search``), ``uses_search``
        (the fitted model is fed search) and ``decision`` in words.
    freq_ : str
        The frequency used.
    season_length_ : int
        The season length used.
    last_dates_ : dict
        Category -> the last date of its history.
    fitted_at_ : Timestamp
        When ``fit`` ran (UTC, whole seconds).
    state_ : ForecasterState
        Everything the fitted forecaster holds (settings resolved at fit, the
        plan, each category's fit, history and last date, reports,
        calibration), in one object: the attributes above read it, and
        persistence saves and loads it.

    Examples
    --------
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
    >>> fc = tc.TrendForecaster(models=[tc.models.SeasonalNaive(), tc.models.Naive()])
    >>> forecast = fc.fit(sales).predict(h=3)
    >>> list(forecast.columns)
    ['unique_id', 'ds', 'model', 'mean', 'lo-80', 'hi-80', 'lo-95', 'hi-95']
    >>> len(forecast)
    6
    """

    def __init__(
        self,
        models: str | LocalModel | Sequence[LocalModel] = "auto",
        freq: str | None = None,
        season_length: int | None = None,
        n_jobs: int = 1,
        fallback_model: LocalModel | None = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        target_col: str = "y",
        fill: FillPolicy = "error",
        allow_negative: bool = False,
        backtest_horizon: int | None = None,
        backtest_windows: int = 3,
        selection_margin: float = 0.4,
        progress: bool | str = False,
        future_covariates: Sequence[str] | None = None,
        calendar: ShoppingCalendar | None = None,
        calibration: str | None = "conformal",
        past_covariates: Mapping[str, int] | None = None,
        beyond_lag: str = "refuse",
        search_margin: float = 0.1,
        backend: str | None = None,
        search_start: str = "refuse",
        cold_start: bool = False,
    ) -> None:
        self.models = models
        self.freq = freq
        self.season_length = season_length
        self.n_jobs = n_jobs
        self.fallback_model = fallback_model
        self.id_col = id_col
        self.time_col = time_col
        self.target_col = target_col
        self.fill = fill
        self.allow_negative = allow_negative
        self.backtest_horizon = backtest_horizon
        self.backtest_windows = backtest_windows
        self.selection_margin = selection_margin
        self.progress = progress
        self.future_covariates = future_covariates
        self.calendar = calendar
        self.calibration = calibration
        self.past_covariates = past_covariates
        self.beyond_lag = beyond_lag
        self.search_margin = search_margin
        self.backend = backend
        self.search_start = search_start
        self.cold_start = cold_start

    # ------------------------------------------------------------------ the fitted state
    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        given = super().__repr__(N_CHAR_MAX)
        state = self.__dict__.get("state_")
        if state is None:
            return given
        when = state.fitted_at
        at = "" if when is None else f", fitted at {when:%Y-%m-%d %H:%M:%S %Z}"
        return (
            f"{given}\n# fitted: {count(len(state.fits), 'category', 'categories')}, "
            f"freq {state.spec.freq}, season length {state.spec.season_length}{at}"
        )

    # ------------------------------------------------------------------ set-up
    def _spec(self, freq: str) -> Spec:
        return resolve_spec(self.get_params(deep=False), freq)

    def _prepare(
        self, df: pd.DataFrame | str | os.PathLike[str], spec: Spec | None = None
    ) -> tuple[pd.DataFrame, Spec, set[Any], str | None]:
        """Validate ``df``, resolve the settings (unless given) and check the covariates."""
        check_columns(self.get_params(deep=False))
        check_backend(self.backend)
        validated = validate_sales(
            df,
            id_col=self.id_col,
            time_col=self.time_col,
            target_col=self.target_col,
            freq=self.freq if spec is None else spec.freq,
            fill=self.fill,
            allow_negative=self.allow_negative,
        )
        data = validated.frame
        spec = spec if spec is not None else self._spec(validated.freq)
        source = describe_source(df)
        check_covariates(data, spec, "the sales frame", source)
        without = check_past(data, spec, "the sales frame", source)
        return data, spec, without, source

    def _map(self, func: Any, items: list[Any], *args: Any, desc: str) -> list[Any]:
        return list(self._imap(func, items, *args, desc=desc))

    def _imap(self, func: Any, items: list[Any], *args: Any, desc: str) -> Iterator[Any]:
        return parallel_imap(
            func,
            items,
            *args,
            n_jobs=self.n_jobs,
            progress=self.progress,
            desc=desc,
            backend=self.backend,
        )

    # ------------------------------------------------------------------ public API
    @accepts_frames
    def fit(self, df: pd.DataFrame | str | os.PathLike[str]) -> TrendForecaster:
        """Validate ``df``, then fit (and select) a model for every category.

        Parameters
        ----------
        df : DataFrame or path
            Long sales frame with the id, time and target columns.

        Returns
        -------
        self

        Raises
        ------
        DataValidationError
            When the data is malformed (see [`read_sales`][trendcast.read_sales]).
        ParameterError
            For a parameter of the forecaster that cannot be used (``models``,
            ``freq``, ``season_length``, ``selection_margin``,
            ``backtest_horizon``/``backtest_windows`` (at most 10,000),
            ``n_jobs``, ``search_margin``...); the message names it.
        """
        data, spec, without, _ = self._prepare(df)
        plan = build_plan(self.get_params(deep=False), spec)
        # a fit needs each category's first and last date only (its start, and where
        # its forecasts begin): at 100,000 weekly categories the whole dates were
        # 0.13 GB; and the validated frame is not needed once its values are split
        series = [
            (key, y, dates[[0, -1]], X) for key, y, dates, X in split_series(data, spec, without)
        ]
        del data
        release_memory()
        search = setup_search(spec, plan, self.models, series, without)
        plan, search = attach_pools(plan, search, [y for _, y, _, _ in series])
        release_memory()  # what training the pools took
        fits = self._map(fit_category, fit_items(plan, search, spec, series), desc="fitting")
        self.state_ = new_state(spec, plan, search, series, fits)
        release_memory()  # what the calibration took
        return self

    @accepts_frames
    def predict(
        self,
        h: int,
        level: Sequence[int] = (80, 95),
        X_df: pd.DataFrame | None = None,
        ids: Sequence[Any] | None = None,
        output: str = "frame",
    ) -> pd.DataFrame:
        """Forecast ``h`` periods for every fitted category (or those in ``ids``).

        Parameters
        ----------
        h : int
            Number of periods ahead.
        level : sequence of int
            Interval levels in percent; every forecast carries them.
        X_df : DataFrame, optional
            Future values of the ``future_covariates``: the id and time
            columns plus one column per covariate, a row for every category
            and each of the ``h`` periods after its last date. Required when
            ``future_covariates`` was set.
        ids : sequence, optional
            Forecast only these categories (only their models are used, so a
            loaded forecaster rebuilds nothing else). Default: all.
        output : {"frame", "nixtla"}
            ``"nixtla"``: statsforecast's layout, which utilsforecast's
            ``evaluate`` and ``plot_series`` take as is: no ``model`` column,
            ``TrendForecaster``, ``TrendForecaster-lo-80``... instead of
            ``mean``, ``lo-80``...

        Returns
        -------
        DataFrame
            ``<id_col>, <time_col>, model, mean, lo-<l>, hi-<l>...`` sorted by
            category and date. Demand and bounds are at least zero unless
            ``allow_negative=True``.

        Raises
        ------
        ParameterError
            For ``h`` that is not a whole number from 1 to 10,000, ``level``
            outside 1..99, or ``h`` beyond what search covariates allow.
        DataValidationError
            For ``X_df`` that does not cover the horizon (or contradicts
            itself), or dates past the last one pandas can hold (2262-04-11).
        """
        state = self._fitted()
        h = check_horizon_size(h)
        check_output(output)
        try:
            levels = check_levels(level)
        except ValueError as exc:
            raise ParameterError(f"level={level!r}: {exc}") from exc
        spec, keys, search_keys = state.spec, state.select(ids), state.search_keys()
        check_horizon(spec, h, "predict:", bool(search_keys))
        check_future_dates(spec, state.last_dates, h)
        future = future_covariates(spec, X_df, state.last_dates, keys, h, search_keys)
        model_levels = with_reference(levels) if state.calibration is not None else levels
        items = [
            (state.fits[k], state.y[k], h, model_levels, state.X[k], future.get(k)) for k in keys
        ]
        results = self._imap(predict_series, items, desc="forecasting")
        del items
        # each batch's forecasts are let go once their rows are written
        rows = ForecastRows(spec, levels, len(keys) * h)
        for key, (fc, replaced) in zip(keys, results, strict=True):
            if replaced is not None:
                record_refit(state, key, replaced, "at predict time")
            fit = state.fits[key]
            fc = calibrate(state.calibration, fit.candidate, fc, levels, key)
            dates = freqs.future_dates(state.last_dates[key], h, spec.freq)
            rows.add(key, dates, fit.used, fc)
        return as_output(rows.frame(), output)

    @accepts_frames
    def update(self, df: pd.DataFrame | str | os.PathLike[str]) -> TrendForecaster:
        """Absorb new observations without re-estimating or re-selecting models.

        Each category's model keeps its parameters and runs its state forward
        over the new periods (models that cannot do that refit on the whole
        history: see each model's ``supports_update`` tag). This is what a
        nightly job calls; call [`fit`][trendcast.TrendForecaster.fit] now and
        then (e.g. weekly) to re-select and re-estimate.

        Parameters
        ----------
        df : DataFrame or path
            Sales in the same columns as for ``fit``: only the new periods, or
            the whole history (rows already seen must carry the same values;
            they are skipped). A category not seen by ``fit`` is fitted from
            the rows given and added to ``fit_report_``.

        Returns
        -------
        self

        Raises
        ------
        DataValidationError
            When the data is malformed, a seen period's value changed (a
            revision: refit instead), or new rows leave a gap after the last
            date fitted.
        """
        state = self._fitted()
        frame, spec, empty, source = self._prepare(df, state.spec)
        search_keys = state.search_keys()
        lacking = sorted(map(str, empty & search_keys))
        if lacking:
            raise fail(
                f"{count(len(lacking), 'category', 'categories')} fitted with past covariates "
                f"{verb(len(lacking), 'has', 'have')} none in the new rows: "
                f"{format_items(lacking)}",
                source=source,
                column=", ".join(spec.past_lags),
                fix="pass the search values of the new periods too, or refit without them",
            )
        known = set(state.fits)
        fresh_keys = set(frame[spec.id_col].unique()) - known
        if state.search is None:
            empty |= fresh_keys  # no plan with search: new categories are fitted without
        without = (known - search_keys) | empty
        updates, fresh = split_update(state, split_series(frame, spec, without), source)
        items = [
            (
                state.fits[k],
                state.y[k],
                state.X[k],
                y_new,
                X_new,
                *state.plan_of(k),
                spec.search_margin,
            )
            for k, y_new, _, X_new in updates
        ]
        apply_updates(state, updates, self._map(update_series, items, desc="updating"))
        if fresh:
            if state.search is not None:
                state.search = state.search.with_keys(fresh_keys - without)
            items = fit_items(state.plan, state.search, spec, fresh, list(state.y.values()))
            add_categories(state, fresh, self._map(fit_category, items, desc="fitting new"))
        return self

    @overload
    def save(
        self,
        path: os.PathLike[str],
        *,
        format: str | None = None,
        overwrite: bool = False,
        allow_pickle: bool = False,
    ) -> Path: ...

    @overload
    def save(
        self,
        path: str,
        *,
        format: str | None = None,
        overwrite: bool = False,
        allow_pickle: bool = False,
    ) -> Path | str: ...

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        overwrite: bool = False,
        allow_pickle: bool = False,
    ) -> Path | str:
        """Save the fitted forecaster as JSON and NumPy arrays (no pickle).

        Read it back with [`trendcast.load`][trendcast.load]; the loaded
        forecaster predicts the same numbers, can ``update`` and be saved
        again. See the persistence guide for the layout and the safety model.

        Parameters
        ----------
        path : str or path-like
            A directory, or a single file ending in ``.zip`` or ``.tar``; or a
            URL string (``s3://bucket/model.zip``, ``gs://...``,
            ``memory://...``; needs ``trendcast[cloud]`` and the store's fsspec
            package, e.g. ``s3fs``): one ``.zip`` object (``.tar`` for a URL
            ending in ``.tar``) written in one put. ``file://`` URLs are local
            paths.
        format : {"dir", "zip", "tar"}, optional
            Overrides the choice made from the suffix of ``path`` (``"dir"``
            is refused for a URL).
        overwrite : bool
            Replace an existing save at ``path`` (atomically: a reader sees
            the old or the new one, never half of one).
        allow_pickle : bool
            Store objects that have no safe format (a model class that is not
            on the allow-list) with joblib. Loading them then needs
            ``load(..., allow_pickle=True)``: only for trusted files.

        Returns
        -------
        Path or str
            ``path`` (a URL is returned as the string given).

        Raises
        ------
        PersistenceError
            When ``path`` exists (without ``overwrite``), or a model has no
            safe format and ``allow_pickle`` is False.
        MissingDependencyError
            For a URL whose fsspec file system is not installed; it names the
            package (``pip install s3fs``...). Nothing is written locally.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import trendcast as tc
        >>> sales = tc.datasets.load_us_retail(categories=["448"])
        >>> fc = tc.TrendForecaster(models=tc.models.ETS()).fit(sales)
        >>> path = fc.save(pathlib.Path(tempfile.mkdtemp()) / "retail")
        >>> sorted(p.name for p in path.iterdir())
        ['arrays', 'categories.json', 'forecaster.json', 'manifest.json']
        """
        state = self._fitted()
        if state.spec.has_search:
            raise PersistenceError(
                "a forecaster with past_covariates cannot be saved yet (their models have no "
                "safe format); refit it from the data in the nightly job instead"
            )
        params = self.get_params(deep=False)
        return write_forecaster(
            params, state, path, format=format, overwrite=overwrite, allow_pickle=allow_pickle
        )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        allow_pickle: bool = False,
        categories: Sequence[Any] | None = None,
    ) -> TrendForecaster:
        """Load a saved forecaster: the same as [`trendcast.load`][trendcast.load]."""
        params, state = read_forecaster(
            path,
            allow_pickle=allow_pickle,
            categories=categories,
            parameters=frozenset(cls().get_params(deep=False)),
        )
        fc = cls(**params)
        fc.state_ = state
        return fc

    @accepts_frames
    def cross_validation(
        self,
        df: pd.DataFrame | str | os.PathLike[str],
        h: int,
        n_windows: int = 3,
        step_size: int | None = None,
        level: Sequence[int] = (80, 95),
        output: str = "frame",
    ) -> pd.DataFrame:
        """Rolling-origin evaluation of the whole strategy (selection included).

        At each cutoff, every category is fitted on the data up to the cutoff
        exactly as [`fit`][trendcast.TrendForecaster.fit] would, and forecast ``h`` periods.

        Parameters
        ----------
        df : DataFrame or path
            Long sales frame.
        h : int
            Horizon of each window.
        n_windows : int
            Number of cutoffs; the last window ends with the data.
        step_size : int, optional
            Periods between cutoffs; default ``h``.
        level : sequence of int
            Interval levels in percent.
        output : {"frame", "nixtla"}
            As for [`predict`][trendcast.TrendForecaster.predict]: ``"nixtla"``
            is the layout utilsforecast's ``evaluate`` takes as is.

        Returns
        -------
        DataFrame
            The forecast columns plus ``cutoff`` (the last training date) and
            the actual ``<target_col>``. Categories too short for a window are
            left out of it and reported in ``cv_report_``.

        Raises
        ------
        ParameterError
            For ``h``, ``n_windows`` or ``step_size`` that are not whole
            numbers of 1 or more (``h`` at most 10,000), or ``level`` outside
            1..99.
        DataValidationError
            For malformed data, or windows longer than every series.
        """
        h = check_horizon_size(h)
        check_output(output)
        if not isinstance(n_windows, int | np.integer) or n_windows < 1:
            raise ParameterError(f"n_windows must be a positive integer, got {n_windows!r}")
        if step_size is not None:
            step_size = check_positive("step_size", step_size)
        levels = check_levels(level)
        data, spec, without, _ = self._prepare(df)
        plan = build_plan(self.get_params(deep=False), spec)
        series = split_series(data, spec, without)
        check_cv_lengths(spec, series, h, int(n_windows), step_size)
        search = setup_search(spec, plan, self.models, series, without)
        check_horizon(spec, h, "cross_validation:", bool(search is not None and search.keys))
        model_levels = with_reference(levels) if plan.calibrate else levels
        plans = [plan, None if search is None else search.plan]
        windows = window_plans(plans, [y for _, y, _, _ in series], h, n_windows, step_size)
        items = []
        for key, y, dates, X in series:
            which = 1 if search is not None and key in search.keys else 0
            positions = plan_of(plan, search, key)[1]
            key_plans = tuple(plans[which] for plans in windows)
            start = pd.Timestamp(dates[0])
            items.append(
                (y, h, n_windows, step_size, model_levels, key_plans, X, start)
                + (positions, spec.search_margin)
            )
        results = self._map(cv_one_item, items, desc="cross-validating")
        cal_plan = calibration_plan(plan, search)
        results = calibrate_windows(results, series, h, n_windows, step_size, cal_plan, levels)
        out, self.cv_report_ = cv_frame(spec, series, results, h, n_windows, levels)
        return as_output(out, output)


def load(
    path: str | os.PathLike[str],
    *,
    allow_pickle: bool = False,
    categories: Sequence[Any] | None = None,
) -> TrendForecaster:
    """Load a forecaster written by [`TrendForecaster.save`][trendcast.TrendForecaster.save].

    Parameters
    ----------
    path : str or path-like
        The directory, ``.zip`` or ``.tar`` archive that ``save`` wrote, or
        the URL it wrote to (``s3://...``, ``gs://...``, ``memory://...``;
        see [`TrendForecaster.save`][trendcast.TrendForecaster.save]).
    allow_pickle : bool
        Also read objects that were stored with pickle/joblib (they can run
        code while loading). Only for files you trust.
    categories : sequence, optional
        Load only these categories (faster, and the forecaster then predicts
        only them). Default: all.

    Returns
    -------
    TrendForecaster
        Fitted: it can ``predict``, ``update`` and ``save``. Each category's
        model is rebuilt the first time it is used.

    Raises
    ------
    PersistenceError
        When a file is missing, extra, changed since saving (SHA-256),
        malformed, from a newer format version, names a model type that is
        not on the allow-list, or holds pickled data without
        ``allow_pickle=True``. The message names the file and the reason.
    MissingDependencyError
        For a URL whose fsspec file system is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
    >>> fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales)
    >>> path = fc.save(pathlib.Path(tempfile.mkdtemp()) / "retail.zip")
    >>> tc.load(path, categories=["448"]).predict(2)["unique_id"].unique().tolist()
    ['448']
    """
    return TrendForecaster.load(path, allow_pickle=allow_pickle, categories=categories)
