"""TrendForecaster: per-category fitting, selection, fallbacks and forecasts."""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, clone
from threadpoolctl import threadpool_limits

import trendcast._frequency as freqs
from trendcast._calibration import Calibration
from trendcast._past_covariates import route, uses_search
from trendcast._validation import (
    count,
    describe_source,
    fail,
    format_items,
    format_rows,
    show,
    verb,
)
from trendcast.backtest import REFERENCE_LEVEL, BacktestScore, cutoffs, score_models
from trendcast.calendar import ShoppingCalendar
from trendcast.exceptions import (
    DataWarning,
    FallbackWarning,
    ModelFitError,
    NotFittedError,
    PersistenceError,
)
from trendcast.io.sales import FillPolicy, validate_sales
from trendcast.models import (
    ARIMA,
    CES,
    ETS,
    Combination,
    DynamicTheta,
    LocalModel,
    ModelForecast,
    Naive,
    PooledRegression,
    RegressionModel,
    SeasonalNaive,
    Theta,
)
from trendcast.models.base import check_levels
from trendcast.models.sparse import IntermittentDemand, is_sparse

__all__ = ["TrendForecaster"]

logger = logging.getLogger(__name__)

_FIT_ERRORS = (ModelFitError, ValueError, ArithmeticError, np.linalg.LinAlgError)


@dataclass
class _SeriesFit:
    """What fitting one category produced."""

    model: LocalModel | None
    tried: str
    used: str
    fell_back: bool = False
    chosen: int | None = None
    reasons: list[str] = field(default_factory=list)
    scores: list[tuple[str, float, str]] = field(default_factory=list)
    chain: list[LocalModel] = field(default_factory=list)
    backtest: list[BacktestScore] = field(default_factory=list)
    #: position in the plan's candidates of the model used (None: a sparse
    #: category's model, or a fallback outside the candidates); calibration
    #: is keyed by it
    candidate: int | None = None


@dataclass(frozen=True)
class _Plan:
    """How to fit one category: the candidates, the fallbacks, the backtest."""

    candidates: tuple[LocalModel, ...]
    fallbacks: tuple[LocalModel, ...]
    season_length: int
    backtest_horizon: int
    backtest_windows: int
    selection_margin: float = 0.0
    #: candidates for sparse categories (``is_sparse``), when they get their own
    sparse_candidates: tuple[LocalModel, ...] | None = None
    #: the panel's frequency (models that work on dates get it)
    freq: str = ""
    calibrate: bool = False


def _auto_ets() -> ETS:
    """The ETS of ``"auto"``: its trend, when it has one, is damped.

    Chosen on the validation splits of M3 (docs/models.md); every ETS among
    ``"auto"``'s candidates is this one, alone and inside the combinations.
    """
    return ETS(damped=True)


def _default_combination() -> Combination:
    """The first candidate of ``"auto"``: the median of six models.

    ETS, ARIMA, Theta, DynamicTheta and CES each learn from the category
    alone; PooledRegression learns from the windows of every category. The
    median is the middle forecast (the mean of the middle two), so one member
    far off (an ARIMA that differenced twice, say) does not move it.
    """
    return Combination(
        [_auto_ets(), ARIMA(), Theta(), DynamicTheta(), CES(), PooledRegression()],
        method="median",
    )


def _pooled(model: LocalModel, train: Callable[[PooledRegression], LocalModel]) -> LocalModel:
    """``model`` with every PooledRegression in it (members too) given its trained pool."""
    if isinstance(model, PooledRegression):
        return model if model.pool is not None else train(model)
    params = model.get_params(deep=False)
    m = params.get("season_length")

    def inner(child: LocalModel) -> LocalModel:
        # a member's season is its combination's (Combination.members), so is its pool's
        if m is not None and isinstance(child, PooledRegression) and child.season_length is None:
            child = clone(child).set_params(season_length=m)
        return _pooled(child, train)

    changed: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, LocalModel):
            new = inner(value)
            if new is not value:
                changed[name] = new
        elif isinstance(value, list | tuple) and any(isinstance(v, LocalModel) for v in value):
            items = [inner(v) if isinstance(v, LocalModel) else v for v in value]
            if any(a is not b for a, b in zip(items, value, strict=True)):
                changed[name] = type(value)(items)
    return clone(model).set_params(**changed) if changed else model


def _pool_plans(plans: Sequence[_Plan | None], histories: Sequence[np.ndarray]) -> list[Any]:
    """The plans with their PooledRegression models trained on ``histories``.

    Each pool is trained once (equal settings share it) on every history but
    its last ``backtest_horizon * backtest_windows`` values: the selection
    backtest forecasts those, so no model is scored on what its pool saw. A
    pool that finds no history long enough is left untrained (each category
    then trains its own, or falls back with the reason).
    """
    trained: dict[str, LocalModel] = {}

    def train(model: PooledRegression, plan: _Plan) -> LocalModel:
        params = model.get_params(deep=False)
        key = repr(sorted((k, repr(v)) for k, v in params.items() if k != "pool"))
        if key not in trained:
            cut = plan.backtest_horizon * plan.backtest_windows
            try:
                trained[key] = model.train_pool(histories, cut, step=plan.backtest_horizon)
            except ModelFitError:
                trained[key] = model
        return trained[key]

    out: list[Any] = []
    for plan in plans:
        if plan is None:
            out.append(None)
            continue

        def attach(models: Sequence[LocalModel], plan: _Plan = plan) -> tuple[LocalModel, ...]:
            return tuple(_pooled(m, lambda p: train(p, plan)) for m in models)

        sparse = plan.sparse_candidates
        out.append(
            replace(
                plan,
                candidates=attach(plan.candidates),
                fallbacks=attach(plan.fallbacks),
                sparse_candidates=None if sparse is None else attach(sparse),
            )
        )
    return out


def _with_season(model: LocalModel, m: int) -> LocalModel:
    model = clone(model)
    if "season_length" in model.get_params() and model.get_params()["season_length"] is None:
        model.set_params(season_length=m)
    return model


def _covariates_for(model: LocalModel, X: np.ndarray | None) -> np.ndarray | None:
    """``X`` for a model that takes covariates, ``None`` for one that does not."""
    return X if X is not None and model.tags().supports_exogenous else None


def _dated(model: LocalModel, start: pd.Timestamp | None, freq: str) -> LocalModel:
    """A model that works on dates (Prophet) gets the category's real calendar."""
    if start is None:
        return model
    params = model.get_params(deep=False)
    if "start" in params and params["start"] is None:
        model = clone(model).set_params(start=start)
        if "freq" in params and params["freq"] is None:
            model.set_params(freq=freq)
    elif isinstance(model, Combination) and model.models is not None:
        model = clone(model).set_params(models=[_dated(m, start, freq) for m in model.models])
    return model


def _fit_series(
    y: np.ndarray,
    plan: _Plan,
    X: np.ndarray | None = None,
    start: pd.Timestamp | None = None,
) -> _SeriesFit:
    """Select (if several candidates), fit, and fall back along the chain."""
    reasons: list[str] = []
    scores: list[tuple[str, float, str]] = []
    candidates = plan.candidates
    sparse = plan.sparse_candidates is not None and bool(np.all(y >= 0)) and is_sparse(y)
    if sparse:
        assert plan.sparse_candidates is not None
        candidates = plan.sparse_candidates
    if start is not None:
        candidates = tuple(_dated(c, start, plan.freq) for c in candidates)
        plan = replace(plan, fallbacks=tuple(_dated(f, start, plan.freq) for f in plan.fallbacks))
    order: list[LocalModel] = list(candidates)
    refit: LocalModel | None = None
    results: list[BacktestScore] = []
    if len(candidates) > 1 or plan.calibrate:
        points = cutoffs(y.size, plan.backtest_horizon, plan.backtest_windows)
        if len(points) == plan.backtest_windows and points[0] >= 4:
            results = score_models(
                y,
                candidates,
                h=plan.backtest_horizon,
                n_windows=plan.backtest_windows,
                season_length=plan.season_length,
                X=X,
                with_errors=plan.calibrate and not sparse,
            )
        if results and len(plan.candidates) > 1:
            scores = [(r.model, r.mase, r.error) for r in results]
            ranking = _rank(
                np.array([r.mase for r in results]),
                plan.selection_margin,
                [r.windows for r in results],
            )
            order = [candidates[i] for i in ranking]
            # the winner is refitted from its backtest fit (LocalModel.refit_copy: the
            # ETS form found there, no second search; ARIMA searches again)
            refit = results[ranking[0]].refit
        elif results:
            refit = results[0].refit
        elif len(candidates) > 1:
            reasons.append(
                f"{y.size} observations are too few to backtest "
                f"{plan.backtest_windows} windows of {plan.backtest_horizon}; "
                "chose the first candidate that fits"
            )
    tried = order[0].family if order else "none"
    chain: list[LocalModel] = list(order)
    for fb in plan.fallbacks:
        if all(type(fb) is not type(c) or fb.get_params() != c.get_params() for c in chain):
            chain.append(fb)
    attempts: list[tuple[int, LocalModel]] = list(enumerate(chain))
    if refit is not None:
        attempts.insert(0, (0, refit))
    for position, proto in attempts:
        model = clone(proto)
        try:
            model.fit(y, _covariates_for(model, X))
        except _FIT_ERRORS as exc:
            if proto is not refit:
                reasons.append(f"{proto.name}: {exc}")
            continue
        original = chain[position]
        chosen = next((i for i, c in enumerate(candidates) if c is original), None)
        return _SeriesFit(
            model,
            tried,
            model.name,
            position > 0,
            chosen if scores else None,
            reasons,
            scores,
            chain,
            [] if sparse else results,
            None if sparse else chosen,
        )
    return _SeriesFit(None, tried, "none", True, None, reasons, scores, chain, [])


def _rank(
    mase: np.ndarray, margin: float, windows: Sequence[np.ndarray | None] | None = None
) -> list[int]:
    """Order candidates best first; the first candidate is the default.

    Another candidate displaces the default only when its backtest MASE is
    lower by more than ``margin`` (relative) and, when ``margin > 0`` and the
    scores of the single windows are known, it is also better in every
    window: a short backtest is noisy, and the default is the choice that is
    robust across many series. The best candidate that passes goes first;
    ``margin=0`` ranks by MASE alone.
    """
    order = sorted(range(mase.size), key=lambda i: (mase[i], i))
    order = [i for i in order if np.isfinite(mase[i])] + [
        i for i in order if not np.isfinite(mase[i])
    ]
    if not order or order[0] == 0 or not np.isfinite(mase[0]):
        return order
    base = windows[0] if windows is not None else None

    def displaces(i: int) -> bool:
        if not mase[i] < mase[0] * (1 - margin):
            return False
        other = windows[i] if windows is not None else None
        if margin == 0 or base is None or other is None or other.shape != base.shape:
            return True
        return bool(np.all(other < base))

    winner = next((i for i in order if i != 0 and displaces(i)), 0)
    order.remove(winner)
    return [winner, *order]


def _fit_category(
    y: np.ndarray,
    plan: _Plan,
    X: np.ndarray | None = None,
    start: pd.Timestamp | None = None,
    search: frozenset[int] = frozenset(),
    search_margin: float = 0.0,
) -> _SeriesFit:
    """``_fit_series``, then keep search only where the backtest says it helps.

    ``search`` holds the positions of the candidates fed past covariates. The
    best of them must beat the best candidate without them by more than
    ``search_margin`` (relative backtest MASE); when the selection picked a
    search candidate that does not, the best candidate without search (by the
    same ranking) is fitted instead.
    """
    fit = _fit_series(y, plan, X, start)
    sparse = plan.sparse_candidates is not None and bool(np.all(y >= 0)) and is_sparse(y)
    if not search or not fit.scores or sparse or fit.chosen is None:
        return fit
    mase = np.array([score for _, score, _ in fit.scores], dtype=float)
    if fit.chosen not in search or _search_helps(mase, search, search_margin):
        return fit
    without = mase.copy()
    without[list(search)] = np.inf
    windows = [r.windows for r in fit.backtest] if fit.backtest else None
    best = _rank(without, plan.selection_margin, windows)[0]
    twin = fit.backtest[best].refit if fit.backtest else None
    single = replace(
        plan,
        candidates=(twin if twin is not None else plan.candidates[best],),
        calibrate=False,
        sparse_candidates=None,
    )
    refit = _fit_series(y, single, X, start)
    fell = refit.fell_back
    return replace(
        refit,
        tried=plan.candidates[best].family,
        chosen=None if fell else best,
        scores=fit.scores,
        backtest=fit.backtest,
        candidate=None if fell else best,
        reasons=fit.reasons + refit.reasons,
    )


def _search_helps(mase: np.ndarray, search: frozenset[int], margin: float) -> bool:
    """The best search candidate beats the best other one by more than ``margin``."""
    with_search = [mase[i] for i in range(mase.size) if i in search]
    without = [mase[i] for i in range(mase.size) if i not in search]
    if not with_search or not without:
        return bool(with_search)
    best_with, best_without = min(with_search), min(without)
    return bool(np.isfinite(best_with) and best_with < best_without * (1 - margin))


def _predict_series(
    fit: _SeriesFit,
    y: np.ndarray,
    h: int,
    levels: tuple[int, ...],
    X: np.ndarray | None = None,
    X_future: np.ndarray | None = None,
) -> tuple[ModelForecast, _SeriesFit | None]:
    """Forecast with the fitted model; fall back if it cannot forecast.

    Returns the forecast and, only when a fallback replaced the model, the new fit.
    """
    assert fit.model is not None
    try:
        used = X_future if getattr(fit.model, "X_", None) is not None else None
        return fit.model.predict(h, used, level=levels), None
    except _FIT_ERRORS as exc:
        reasons = [*fit.reasons, f"{fit.model.name} at predict: {exc}"]
    start = next(
        (i + 1 for i, p in enumerate(fit.chain) if type(p) is type(fit.model)), len(fit.chain)
    )
    for proto in fit.chain[start:]:
        model = clone(proto)
        try:
            X_used = _covariates_for(model, X)
            model.fit(y, X_used)
            fc = model.predict(h, None if X_used is None else X_future, level=levels)
        except _FIT_ERRORS as exc2:
            reasons.append(f"{proto.name}: {exc2}")
            continue
        return fc, _SeriesFit(
            model, fit.tried, model.name, True, None, reasons, fit.scores, fit.chain
        )
    model = Naive().fit(y)
    reasons.append("every model in the chain failed; used Naive")
    return model.predict(h, level=levels), _SeriesFit(
        model, fit.tried, model.name, True, None, reasons, fit.scores, fit.chain
    )


def _update_series(
    fit: _SeriesFit,
    y_old: np.ndarray,
    X_old: np.ndarray | None,
    y_new: np.ndarray,
    X_new: np.ndarray | None,
    plan: _Plan,
) -> _SeriesFit:
    """Move a fitted model forward over new observations; refit if it cannot.

    Returns the same fit (its model updated in place) or, when the update
    failed, a new fit on the whole history with the reason recorded.
    """
    assert fit.model is not None
    try:
        fit.model.update(y_new, X_new if getattr(fit.model, "X_", None) is not None else None)
        return fit
    except _FIT_ERRORS as exc:
        reason = f"{fit.model.name} at update: {exc}; refitted on the whole history"
    y_all = np.concatenate([y_old, y_new])
    X_all = None if X_old is None or X_new is None else np.vstack([X_old, X_new])
    refit = _fit_series(y_all, plan, X_all)
    refit.reasons.append(reason)
    refit.fell_back = True
    return refit


def _run_batch(func: Callable[..., Any], items: list[Any], *args: Any) -> list[Any]:
    with threadpool_limits(limits=1):
        return [func(*item, *args) for item in items]


class TrendForecaster(BaseEstimator):
    """Forecast demand for every category of a long sales frame.

    Parameters
    ----------
    models : "auto", a model, or a list of models
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
    progress : bool
        Show a progress bar while fitting.
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
    calibration : {"conformal", None}
        ``"conformal"`` (default) rescales every interval by a factor per
        model and horizon step, estimated from the errors of the backtest
        windows pooled across the categories of the fit, so the intervals
        cover what they say (see "Intervals and calibration" in the docs).
        ``None`` keeps each model's own intervals and, with a single model,
        skips the backtest.
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
        progress: bool = False,
        future_covariates: Sequence[str] | None = None,
        calendar: ShoppingCalendar | None = None,
        calibration: str | None = "conformal",
        past_covariates: Mapping[str, int] | None = None,
        beyond_lag: str = "refuse",
        search_margin: float = 0.1,
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

    # ------------------------------------------------------------------ set-up
    def _validate(
        self, df: pd.DataFrame | str | os.PathLike[str], freq: str | None = None
    ) -> pd.DataFrame:
        validated = validate_sales(
            df,
            id_col=self.id_col,
            time_col=self.time_col,
            target_col=self.target_col,
            freq=self.freq if freq is None else freq,
            fill=self.fill,
            allow_negative=self.allow_negative,
        )
        self._freq = validated.freq
        return validated.frame

    def _plan(self, freq: str) -> _Plan:
        m = self.season_length if self.season_length is not None else freqs.season_length_of(freq)
        if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
            raise ValueError(f"season_length must be a positive integer, got {m!r}")
        m = int(m)
        if not 0 <= float(self.selection_margin) < 1:
            raise ValueError(
                f"selection_margin must be at least 0 and below 1, got {self.selection_margin!r}"
            )
        if isinstance(self.models, str):
            if self.models != "auto":
                raise ValueError(
                    f"models={self.models!r} is not understood; pass 'auto', a model "
                    "instance or a list of model instances (see trendcast.models)"
                )
            candidates: list[LocalModel] = [
                _default_combination(),
                Combination([_auto_ets(), Theta()]),
                _auto_ets(),
                ARIMA(),
                Theta(),
                DynamicTheta(),
                CES(),
                SeasonalNaive(),
                Naive(),
            ]
            if m == 1:  # without a season, seasonal naive is naive: score it once
                candidates = [c for c in candidates if not isinstance(c, SeasonalNaive)]
            sparse: list[LocalModel] | None = [IntermittentDemand(), Naive()]
        elif isinstance(self.models, LocalModel):
            candidates = [self.models]
            sparse = None
        else:
            candidates = list(self.models)
            sparse = None
            if not candidates or not all(isinstance(c, LocalModel) for c in candidates):
                raise ValueError(
                    "models must be 'auto', a model instance or a non-empty list of model "
                    f"instances from trendcast.models; got {self.models!r}"
                )
        fallbacks: list[LocalModel] = (
            [self.fallback_model, Naive()]
            if self.fallback_model is not None
            else [Theta(), SeasonalNaive(), Naive()]
        )
        h_bt = self.backtest_horizon if self.backtest_horizon is not None else min(-(-m // 2), 13)
        if self.calibration not in ("conformal", None):
            raise ValueError(
                f"calibration={self.calibration!r} is not understood; pass 'conformal' or None"
            )
        return _Plan(
            candidates=tuple(_with_season(c, m) for c in candidates),
            fallbacks=tuple(_with_season(f, m) for f in fallbacks),
            season_length=m,
            backtest_horizon=int(h_bt),
            backtest_windows=int(self.backtest_windows),
            selection_margin=float(self.selection_margin),
            sparse_candidates=None if sparse is None else tuple(sparse),
            freq=freq,
            calibrate=self.calibration == "conformal",
        )

    def _map(self, func: Callable[..., Any], items: list[Any], *args: Any, desc: str) -> list[Any]:
        """Apply ``func`` to every item in batches, in parallel, keeping order."""
        n_jobs = self.n_jobs if self.n_jobs != -1 else (os.cpu_count() or 1)
        n_jobs = max(1, min(int(n_jobs), len(items) or 1))
        n_batches = 1 if n_jobs == 1 else min(len(items), n_jobs * 8)
        size = max(1, math.ceil(len(items) / max(n_batches, 1)))
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(items), desc=desc, unit="category")
        out: list[Any] = []
        if n_jobs == 1:
            for batch in batches:
                out.extend(_run_batch(func, batch, *args))
                if bar is not None:
                    bar.update(len(batch))
        else:
            # no memory-mapping of large arrays: statsmodels' filters unpickle into
            # writable buffers and fail on joblib's read-only memmaps
            parallel = Parallel(n_jobs=n_jobs, return_as="generator", max_nbytes=None)
            for batch, result in zip(
                batches,
                parallel(delayed(_run_batch)(func, b, *args) for b in batches),
                strict=True,
            ):
                out.extend(result)
                if bar is not None:
                    bar.update(len(batch))
        if bar is not None:
            bar.close()
        return out

    def _covariate_names(self) -> list[str]:
        names = self.future_covariates
        if names is None:
            return []
        if isinstance(names, str):
            names = [names]
        names = [str(c) for c in names]
        clash = [c for c in names if c in (self.id_col, self.time_col, self.target_col)]
        if clash:
            raise ValueError(
                f"future_covariates names the id, time or target column: {clash}; "
                "list only the covariate columns"
            )
        return names

    def _check_covariates(self, df: pd.DataFrame, what: str, source: str | None = None) -> None:
        """Every declared covariate is a column of numbers on every row."""
        names = self._covariate_names()
        missing = [c for c in names if c not in df.columns]
        if missing:
            raise fail(
                f"{what} lacks the covariate column{'s' if len(missing) > 1 else ''} "
                f"{format_items(missing)}",
                source=source,
                expected=f"columns {format_items(names)} (future_covariates)",
                found=f"columns {format_items(df.columns)}",
                fix="add the columns, or leave them out of future_covariates",
            )
        for col in names:
            values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                raise fail(
                    f"{count(bad.size, 'row')} of {what} {verb(bad.size, 'has', 'have')} no "
                    "number in a covariate",
                    source=source,
                    column=col,
                    expected="a finite number on every row (covariates are not filled)",
                    found=format_rows(df, bad, [self.id_col, self.time_col, col], source=source),
                    fix="fill or drop those rows before passing the frame",
                )

    def _past_lags(self) -> dict[str, int]:
        """The declared past-only covariates and their lags, checked."""
        spec = self.past_covariates
        if spec is None:
            return {}
        if not isinstance(spec, Mapping):
            raise TypeError(
                "past_covariates must map each column to its lag, e.g. {'search': 2}; "
                f"got {type(spec).__name__}"
            )
        if self.beyond_lag not in ("refuse", "forecast"):
            raise ValueError(
                f"beyond_lag={self.beyond_lag!r} is not understood; pass 'refuse' or 'forecast'"
            )
        if not 0 <= float(self.search_margin) < 1:
            raise ValueError(
                f"search_margin must be at least 0 and below 1, got {self.search_margin!r}"
            )
        out: dict[str, int] = {}
        for col, lag in spec.items():
            col = str(col)
            if isinstance(lag, bool) or not isinstance(lag, int | np.integer):
                raise ValueError(
                    f"past_covariates[{col!r}] = {lag!r}: the lag must be a whole number of "
                    "periods (1 or more)"
                )
            if lag < 1:
                raise ValueError(
                    f"past_covariates[{col!r}] = {lag}: a past-only covariate enters at lag 1 or "
                    "more (its value at the forecast period is not known when forecasting); "
                    "for the current period's value from same-period search use "
                    "trendcast.nowcast"
                )
            if col in (self.id_col, self.time_col, self.target_col):
                raise ValueError(
                    f"past_covariates names the id, time or target column {col!r}; "
                    "list only covariate columns"
                )
            out[col] = int(lag)
        both = [c for c in out if c in self._covariate_names()]
        if both:
            raise ValueError(
                f"{format_items(both)} {verb(len(both), 'is', 'are')} declared both past-only "
                "(past_covariates) and future-known (future_covariates). A value known only "
                "up to the forecast origin, like search interest, is past-only; drop it from "
                "future_covariates. A value planned for the horizon is future-known; drop it "
                "from past_covariates"
            )
        return out

    def _check_past(self, df: pd.DataFrame, what: str, source: str | None = None) -> set[Any]:
        """Check the past covariate columns; return the categories that have none."""
        lags = self._past_lags()
        missing = [c for c in lags if c not in df.columns]
        if missing:
            raise fail(
                f"{what} lacks the past covariate column{'s' if len(missing) > 1 else ''} "
                f"{format_items(missing)}",
                source=source,
                expected=f"columns {format_items(lags)} (past_covariates)",
                found=f"columns {format_items(df.columns)}",
                fix="merge the search series into the sales frame (one value per category "
                "and period, e.g. from search_by_category), or leave the column out of "
                "past_covariates",
            )
        empty: set[Any] = set()
        for col in lags:
            column = df[col]
            if not (
                pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
            ):
                values = pd.to_numeric(column, errors="coerce")
                bad = np.flatnonzero(values.isna().to_numpy() & column.notna().to_numpy())
                if bad.size:
                    raise fail(
                        f"the past covariate is not numeric ({column.dtype})",
                        source=source,
                        column=col,
                        expected="numbers (search interest, 0-100)",
                        found=format_rows(
                            df, bad, [self.id_col, self.time_col, col], source=source
                        ),
                        fix="convert the column to numbers, e.g. pd.to_numeric, and check "
                        "the rows shown",
                    )
            values_all = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            gaps: list[int] = []
            for key, idx in df.groupby(self.id_col, sort=False).indices.items():
                finite = np.isfinite(values_all[idx])
                if not finite.any():
                    empty.add(key)
                elif not finite.all():
                    gaps.extend(int(i) for i in np.asarray(idx)[~finite])
            if gaps:
                raise fail(
                    f"the past covariate has {count(len(gaps), 'gap')} in its history",
                    source=source,
                    column=col,
                    expected="a number for every period of a category, from its first sales "
                    "period up to the forecast origin (a category with no search at all is "
                    "fitted without it)",
                    found=format_rows(df, gaps, [self.id_col, self.time_col, col], source=source),
                    fix="start the sales frame where the search series starts, fill the "
                    "missing periods (e.g. interpolate), or leave the whole category empty",
                )
        return empty

    def _calendar_features(self, dates: pd.Series) -> pd.DataFrame | None:
        """Calendar columns for each row's date (aligned on the frame's index)."""
        if self.calendar is None:
            return None
        if not isinstance(self.calendar, ShoppingCalendar):
            raise TypeError(
                f"calendar must be a trendcast.ShoppingCalendar, got {type(self.calendar).__name__}"
            )
        return self.calendar.features(dates, self._freq)

    def _series(
        self, df: pd.DataFrame, without_search: set[Any] | None = None
    ) -> list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]]:
        """Per category: key, demand, dates and covariates.

        Covariates are the future-known columns, the calendar, then (for the
        categories with search) the raw past-only columns, unlagged.
        """
        names = self._covariate_names()
        past = list(self._past_lags())
        cal = self._calendar_features(df[self.time_col])
        out: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]] = []
        for key, group in df.groupby(self.id_col, sort=False):
            X = group[names].to_numpy(dtype=float) if names else None
            if cal is not None:
                rows = cal.loc[group.index].to_numpy(dtype=float)
                X = rows if X is None else np.hstack([X, rows])
            if past and key not in (without_search or set()):
                raw = group[past].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
                X = raw if X is None else np.hstack([X, raw])
            out.append(
                (
                    key,
                    group[self.target_col].to_numpy(dtype=float),
                    group[self.time_col].to_numpy(),
                    X,
                )
            )
        return out

    def _search_plan(self, plan: _Plan, n_future: int) -> tuple[_Plan, frozenset[int]]:
        """The plan of the categories with search, and its candidates fed search.

        For ``"auto"`` the usual candidates come first (kept off search, so
        their positions, hence calibration, match the plain plan), then ARIMA,
        ``RegressionModel`` and the default combination fed search.
        A model or list given by the caller is fed search where it takes
        covariates.
        """
        lags = self._past_lags()
        names, ks = list(lags), list(lags.values())
        m = plan.season_length

        def wrap(model: LocalModel, with_search: bool) -> LocalModel:
            beyond = "forecast" if self.beyond_lag == "forecast" else "mean"
            return route(model, n_future, ks if with_search else None, names, m, beyond)

        if isinstance(self.models, str):
            extra = [
                _with_season(c, m) for c in (ARIMA(), RegressionModel(), _default_combination())
            ]
            candidates = [wrap(c, False) for c in plan.candidates] + [wrap(c, True) for c in extra]
        else:
            candidates = [wrap(c, True) for c in plan.candidates]
        search = frozenset(i for i, c in enumerate(candidates) if uses_search(c))
        # the backtest is the usual one, so a category that drops search is
        # fitted exactly as without it
        return (
            replace(
                plan,
                candidates=tuple(candidates),
                fallbacks=tuple(wrap(f, False) for f in plan.fallbacks),
            ),
            search,
        )

    def _setup_search(
        self,
        plan: _Plan,
        series: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]],
        without: set[Any],
    ) -> None:
        """Record which categories have search and the plan they are fitted with."""
        lags = self._past_lags()
        if not lags:
            # nothing to record (and nothing for persistence to store)
            for name in ("_search_keys_", "_search_plan_", "_search_set_", "search_report_"):
                self.__dict__.pop(name, None)
            return
        self._search_keys_: set[Any] = set()
        self._search_plan_: _Plan | None = None
        self._search_set_: frozenset[int] = frozenset()
        if without:
            message = (
                f"{count(len(without), 'category', 'categories')} "
                f"{verb(len(without), 'has', 'have')} no values in the past covariates "
                f"{format_items(lags)} and "
                f"{verb(len(without), 'is', 'are')} fitted without them: "
                f"{format_items(sorted(map(str, without)))}"
            )
            logger.warning(message)
            warnings.warn(message, DataWarning, stacklevel=3)
        n_future = next(
            (
                X.shape[1] - len(lags)
                for key, _, _, X in series
                if key not in without and X is not None
            ),
            0,
        )
        self._search_plan_, self._search_set_ = self._search_plan(plan, n_future)
        self._search_keys_ = {key for key, *_ in series if key not in without}

    def _attach_pools(self, plan: _Plan, histories: Sequence[np.ndarray]) -> _Plan:
        """Train the pools of the PooledRegression models of ``plan`` and of the search
        plan on ``histories``; the plan with them (also stored as ``_plan_``)."""
        search = getattr(self, "_search_plan_", None)
        pooled = _pool_plans([plan, search], histories)
        self._plan_ = pooled[0]
        if search is not None:
            self._search_plan_ = pooled[1]
        return pooled[0]

    def _window_plans(
        self, series: list, h: int, n_windows: int, step_size: int | None
    ) -> list[list[Any]]:
        """Per cross-validation window, the plan and the search plan, pools trained before it.

        A window's pools see each category's history up to that window's
        cutoff only (and hold out its own backtest span before it), as a
        nightly fit on that date would have.
        """
        plans = [self._plan_, getattr(self, "_search_plan_", None)]
        out = []
        for k in range(n_windows):
            histories = []
            for _, y, _, _ in series:
                points = cutoffs(y.size, h, n_windows, step_size)
                if len(points) == n_windows:
                    histories.append(y[: points[k]])
            out.append(_pool_plans(plans, histories))
        return out

    def _plan_of(self, key: Any) -> tuple[_Plan, frozenset[int]]:
        """The plan of one category and the positions of its search candidates."""
        if key in getattr(self, "_search_keys_", set()) and self._search_plan_ is not None:
            return self._search_plan_, self._search_set_
        return self._plan_, frozenset()

    def _fit_args(self, key: Any, X: np.ndarray | None, start: pd.Timestamp | None) -> tuple:
        """The arguments of ``_fit_category`` after ``y`` for one category."""
        plan, search = self._plan_of(key)
        return plan, X, start, search, float(self.search_margin)

    def _calibration_plan(self) -> _Plan:
        """Calibration pools by candidate position: the longest candidate list."""
        return getattr(self, "_search_plan_", None) or self._plan_

    def _check_horizon(self, h: int, what: str) -> None:
        """With ``beyond_lag="refuse"``, horizons past the smallest lag are refused."""
        lags = self._past_lags()
        if not lags or self.beyond_lag != "refuse" or not getattr(self, "_search_keys_", None):
            return
        k = min(lags.values())
        if h > k:
            shown = ", ".join(f"{c!r} at lag {lag}" for c, lag in lags.items())
            raise ValueError(
                f"{what} h={h} reaches beyond the past covariates ({shown}): their values "
                f"are observed for at most {k} period{'s' if k > 1 else ''} ahead, so the largest "
                f"horizon allowed is {k}. Pass h<={k}, or TrendForecaster(beyond_lag='forecast') "
                "to forecast the covariates beyond their lag (their uncertainty is added to "
                "the intervals)"
            )

    def _future_with_past(
        self, future: dict[Any, np.ndarray], keys: list[Any], h: int
    ) -> dict[Any, np.ndarray]:
        """Placeholder rows for the past covariates of each category with search.

        Models fed past covariates read them from the history they stored and
        ignore these columns; they only keep the covariate matrix's shape.
        """
        p = len(self._past_lags())
        if not p:
            return future
        out = dict(future)
        for key in keys:
            if key in self._search_keys_:
                zeros = np.zeros((h, p))
                out[key] = zeros if key not in out else np.hstack([out[key], zeros])
        return out

    # ------------------------------------------------------------------ public API
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
        """
        data = self._validate(df)
        source = describe_source(df)
        self._check_covariates(data, "the sales frame", source)
        without = self._check_past(data, "the sales frame", source)
        plan = self._plan(self._freq)
        self._plan_ = plan
        series = self._series(data, without)
        self._setup_search(plan, series, without)
        plan = self._attach_pools(plan, [y for _, y, _, _ in series])
        items = [
            (y, *self._fit_args(key, X, pd.Timestamp(dates[0]))) for key, y, dates, X in series
        ]
        fits = self._map(_fit_category, items, desc="fitting")
        self._store(series, fits, plan)
        self.fitted_at_ = pd.Timestamp.now(tz="UTC").floor("s")
        self._calibration_ = _calibration_from([f.backtest for f in fits], self._calibration_plan())
        self.calibration_report_ = (self._calibration_ or Calibration({})).report()
        return self

    def _store(self, series: list, fits: list[_SeriesFit], plan: _Plan) -> None:
        self.freq_ = self._freq
        self.season_length_ = plan.season_length
        self._plan_ = plan
        self.models_: dict[Any, LocalModel] = {}
        self._fits: dict[Any, _SeriesFit] = {}
        self._y: dict[Any, np.ndarray] = {}
        self._X: dict[Any, np.ndarray | None] = {}
        self.last_dates_: dict[Any, pd.Timestamp] = {}
        rows, score_rows = [], []
        for (key, y, dates, X), fit in zip(series, fits, strict=True):
            status = "skipped" if fit.model is None else ("fallback" if fit.fell_back else "ok")
            rows.append(
                {
                    self.id_col: key,
                    "model_tried": fit.tried,
                    "reason": "; ".join(fit.reasons),
                    "model_used": fit.used,
                    "status": status,
                }
            )
            for name, score, error in fit.scores:
                score_rows.append(
                    {
                        self.id_col: key,
                        "model": name,
                        "mase": score,
                        "error": error,
                        "selected": False,
                    }
                )
            if fit.scores and fit.chosen is not None:
                score_rows[len(score_rows) - len(fit.scores) + fit.chosen]["selected"] = True
            if fit.model is None:
                continue
            self.models_[key] = fit.model
            self._fits[key] = fit
            self._y[key] = y
            self._X[key] = X
            self.last_dates_[key] = pd.Timestamp(dates[-1])
        self.fit_report_ = pd.DataFrame(
            rows, columns=[self.id_col, "model_tried", "reason", "model_used", "status"]
        )
        self.selection_report_ = pd.DataFrame(
            score_rows, columns=[self.id_col, "model", "mase", "error", "selected"]
        )
        if self._past_lags():
            self.search_report_ = self._search_rows(series, fits)
        fell = self.fit_report_[self.fit_report_["status"] != "ok"]
        if len(fell):
            skipped = int((fell["status"] == "skipped").sum())
            fallen = len(fell) - skipped
            message = (
                f"{count(fallen, 'category', 'categories')} fell back to another model and "
                f"{count(skipped, 'category', 'categories')} {verb(skipped, 'was', 'were')} "
                f"skipped; see fit_report_ (first: "
                f"{fell[self.id_col].iloc[0]!r}: {fell['reason'].iloc[0]})"
            )
            logger.warning(message)
            warnings.warn(message, FallbackWarning, stacklevel=3)

    def _search_rows(self, series: list, fits: list[_SeriesFit]) -> pd.DataFrame:
        """Per category: the lag, backtest MASE with and without search, the decision."""
        columns = [
            self.id_col,
            "covariates",
            "lag",
            "mase_with_search",
            "mase_without_search",
            "uses_search",
            "decision",
        ]
        lags = self._past_lags()
        if not lags:
            return pd.DataFrame(columns=columns)
        margin = float(self.search_margin)
        rows = []
        for (key, y, _, _), fit in zip(series, fits, strict=True):
            _, search = self._plan_of(key)
            mase = np.array([score for _, score, _ in fit.scores], dtype=float)
            plan, _ = self._plan_of(key)
            sparse = plan.sparse_candidates is not None and bool(np.all(y >= 0)) and is_sparse(y)
            with_s = [mase[i] for i in range(mase.size) if i in search] if not sparse else []
            without = [mase[i] for i in range(mase.size) if i not in search] if not sparse else []
            best_with = min(with_s) if with_s else np.nan
            best_without = min(without) if without else np.nan
            used = uses_search(fit.model)
            if key not in self._search_keys_:
                decision = "no search values for this category: fitted without search"
            elif sparse:
                decision = "sparse category: intermittent-demand models, search not tried"
            elif not with_s or not without:
                decision = (
                    "fed search (no candidate without it to compare)"
                    if used
                    else "no candidate takes covariates: fitted without search"
                )
            elif used:
                decision = (
                    f"search kept: best with search {best_with:.3f} beats best without "
                    f"{best_without:.3f} by more than {margin:.0%}"
                )
            elif _search_helps(mase, search, margin):
                decision = (
                    f"search not chosen: best with search {best_with:.3f} beats best without "
                    f"{best_without:.3f} by more than {margin:.0%}, but not the default "
                    f"candidate ({mase[0]:.3f}) by more than selection_margin "
                    f"({float(self.selection_margin):.0%}) and in every backtest window"
                )
            else:
                decision = (
                    f"search dropped: best with search {best_with:.3f} does not beat best "
                    f"without {best_without:.3f} by more than {margin:.0%}"
                )
            rows.append(
                {
                    self.id_col: key,
                    "covariates": ", ".join(lags),
                    "lag": min(lags.values()),
                    "mase_with_search": best_with,
                    "mase_without_search": best_without,
                    "uses_search": used,
                    "decision": decision,
                }
            )
        return pd.DataFrame(rows, columns=columns)

    def _record_predict_fallback(self, key: Any, fit: _SeriesFit) -> None:
        """A model that failed at predict time was replaced: keep and report it."""
        self._record_fallback(key, fit, "at predict time")

    def _record_fallback(self, key: Any, fit: _SeriesFit, when: str) -> None:
        """A model that failed after fit was replaced: keep and report it."""
        self._fits[key] = fit
        self.models_[key] = fit.model  # type: ignore[assignment]
        mask = self.fit_report_[self.id_col] == key
        self.fit_report_.loc[mask, ["reason", "model_used", "status"]] = [
            "; ".join(fit.reasons),
            fit.used,
            "fallback",
        ]
        message = f"category {key!r} fell back {when}: {fit.reasons[-1]}"
        logger.warning(message)
        warnings.warn(message, FallbackWarning, stacklevel=3)

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise NotFittedError("This TrendForecaster is not fitted yet; call fit(df) first.")

    def predict(
        self,
        h: int,
        level: Sequence[int] = (80, 95),
        X_df: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Forecast ``h`` periods for every fitted category.

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

        Returns
        -------
        DataFrame
            ``<id_col>, <time_col>, model, mean, lo-<l>, hi-<l>...`` sorted by
            category and date. Demand and bounds are at least zero unless
            ``allow_negative=True``.
        """
        self._check_fitted()
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(f"h must be a positive integer, got {h!r}")
        try:
            levels = check_levels(level)
        except ValueError as exc:
            raise ValueError(f"level={level!r}: {exc}") from exc
        keys = list(self.models_)
        self._check_horizon(int(h), "predict:")
        future = self._future_with_past(self._future_covariates(X_df, keys, int(h)), keys, int(h))
        calibration = getattr(self, "_calibration_", None)
        model_levels = _with_reference(levels) if calibration is not None else levels
        items = [
            (self._fits[k], self._y[k], int(h), model_levels, self._X[k], future.get(k))
            for k in keys
        ]
        results = self._map(_predict_series, items, desc="forecasting")
        frames = []
        for key, (fc, replaced) in zip(keys, results, strict=True):
            if replaced is not None:
                self._record_predict_fallback(key, replaced)
            fit = self._fits[key]
            fc = _calibrate(calibration, fit.candidate, fc, levels)
            dates = freqs.future_dates(self.last_dates_[key], int(h), self.freq_)
            frames.append(self._frame(key, dates, fit.used, fc, levels))
        return self._concat(frames, levels)

    def _future_covariates(
        self, X_df: pd.DataFrame | None, keys: list[Any], h: int
    ) -> dict[Any, np.ndarray]:
        """Covariate rows for the next ``h`` periods of every category, checked."""
        names = self._covariate_names()
        if self.calendar is not None:
            self._freq = self.freq_
            declared = self._declared_future(X_df, keys, h, names) if names else {}
            out: dict[Any, np.ndarray] = {}
            for key in keys:
                dates = freqs.future_dates(self.last_dates_[key], h, self.freq_)
                features = self._calendar_features(pd.Series(dates))
                assert features is not None
                cal = features.to_numpy(dtype=float)
                out[key] = cal if key not in declared else np.hstack([declared[key], cal])
            return out
        return self._declared_future(X_df, keys, h, names)

    def _declared_future(
        self, X_df: pd.DataFrame | None, keys: list[Any], h: int, names: list[str]
    ) -> dict[Any, np.ndarray]:
        """Rows of ``X_df`` for the next ``h`` periods of every category, checked."""
        if not names:
            if X_df is not None:
                raise ValueError(
                    "X_df was given but the forecaster has no future_covariates; "
                    "declare them with TrendForecaster(future_covariates=[...]) before fit"
                )
            return {}
        if X_df is None:
            raise fail(
                "future covariate values are missing",
                expected=f"X_df with {self.id_col!r}, {self.time_col!r} and "
                f"{format_items(names)} for the {h} periods after each category's last date",
                found="X_df=None",
                fix="pass predict(h, X_df=...) with the planned values",
            )
        if not isinstance(X_df, pd.DataFrame):
            raise TypeError(f"X_df must be a pandas DataFrame, got {type(X_df).__name__}")
        for col in (self.id_col, self.time_col):
            if col not in X_df.columns:
                raise fail(
                    f"X_df lacks the column {col!r}",
                    expected=f"columns {self.id_col!r}, {self.time_col!r} and the covariates",
                    found=f"columns {format_items(X_df.columns)}",
                    fix="add the column or rename yours",
                )
        self._check_covariates(X_df, "X_df")
        frame = X_df[[self.id_col, self.time_col, *names]].copy()
        frame[self.time_col] = pd.to_datetime(frame[self.time_col], errors="coerce")
        lookup = frame.drop_duplicates([self.id_col, self.time_col], keep="last").set_index(
            [self.id_col, self.time_col]
        )
        out: dict[Any, np.ndarray] = {}
        missing: list[str] = []
        for key in keys:
            dates = freqs.future_dates(self.last_dates_[key], h, self.freq_)
            index = pd.MultiIndex.from_arrays([[key] * h, dates])
            rows = lookup.reindex(index)
            absent = rows.isna().any(axis=1).to_numpy()
            if absent.any():
                missing += [f"{key!r} {d:%Y-%m-%d}" for d in dates[absent]]
                continue
            out[key] = rows.to_numpy(dtype=float)
        if missing:
            raise fail(
                f"X_df has no covariate values for {count(len(missing), 'forecast period')}",
                expected=f"a row for every category and each of the {h} periods ahead",
                found=f"missing {format_items(missing)}",
                fix="add those rows (the dates follow each category's last training date)",
            )
        return out

    def _frame(
        self, key: Any, dates: Iterable, model: str, fc: ModelForecast, levels: tuple[int, ...]
    ) -> dict[str, Any]:
        if not self.allow_negative:
            fc = fc.clip(0.0)
        cols: dict[str, Any] = {
            self.id_col: [key] * len(fc.mean),
            self.time_col: list(dates),
            "model": [model] * len(fc.mean),
            "mean": fc.mean,
        }
        for lv in levels:
            cols[f"lo-{lv}"] = fc.lower[lv]
            cols[f"hi-{lv}"] = fc.upper[lv]
        return cols

    def _concat(self, frames: list[dict[str, Any]], levels: tuple[int, ...]) -> pd.DataFrame:
        columns = [self.id_col, self.time_col, "model", "mean"]
        for lv in levels:
            columns += [f"lo-{lv}", f"hi-{lv}"]
        if not frames:
            return pd.DataFrame(columns=columns)
        merged: dict[str, list[Any] | np.ndarray] = {}
        for c in columns:
            parts = [f[c] for f in frames]
            merged[c] = (
                np.concatenate(parts)
                if isinstance(parts[0], np.ndarray)
                else [v for p in parts for v in p]
            )
        out = pd.DataFrame(merged, columns=columns)
        out[self.time_col] = pd.to_datetime(out[self.time_col])
        return out

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
        self._check_fitted()
        frame = self._validate(df, freq=self.freq_)
        source = describe_source(df)
        self._check_covariates(frame, "the sales frame", source)
        empty = self._check_past(frame, "the sales frame", source)
        search_keys: set[Any] = getattr(self, "_search_keys_", set())
        lacking = sorted(map(str, empty & search_keys))
        if lacking:
            raise fail(
                f"{count(len(lacking), 'category', 'categories')} fitted with past covariates "
                f"{verb(len(lacking), 'has', 'have')} none in the new rows: "
                f"{format_items(lacking)}",
                source=source,
                column=", ".join(self._past_lags()),
                fix="pass the search values of the new periods too, or refit without them",
            )
        known = set(self.models_)
        fresh_keys = set(frame[self.id_col].unique()) - known
        if getattr(self, "_search_plan_", None) is None:
            empty |= fresh_keys  # no plan with search: new categories are fitted without
        without = (known - search_keys) | empty
        fresh_search = fresh_keys - without
        updates: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]] = []
        fresh: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]] = []
        for key, y, dates, X in self._series(frame, without):
            if key not in self.models_:
                fresh.append((key, y, dates, X))
                continue
            numbers = freqs.period_number(pd.DatetimeIndex(dates), self.freq_)
            last = int(
                freqs.period_number(pd.DatetimeIndex([self.last_dates_[key]]), self.freq_)[0]
            )
            seen = numbers <= last
            self._check_revisions(key, y[seen], last - numbers[seen], dates[seen], source)
            if seen.all():
                continue
            if numbers[~seen][0] != last + 1:
                raise fail(
                    f"category {key!r}: the new rows start at "
                    f"{pd.Timestamp(dates[~seen][0]):%Y-%m-%d}, leaving a gap after the last "
                    f"period fitted ({self.last_dates_[key]:%Y-%m-%d})",
                    source=source,
                    column=self.time_col,
                    fix="include the missing periods, or refit with a fill policy",
                )
            updates.append((key, y[~seen], dates[~seen], None if X is None else X[~seen]))
        items = [
            (self._fits[key], self._y[key], self._X[key], y_new, X_new, self._plan_of(key)[0])
            for key, y_new, _, X_new in updates
        ]
        results = self._map(_update_series, items, desc="updating")
        for (key, y_new, dates, X_new), fit in zip(updates, results, strict=True):
            X_old = self._X[key]
            self._y[key] = np.concatenate([self._y[key], y_new])
            self._X[key] = None if X_old is None or X_new is None else np.vstack([X_old, X_new])
            self.last_dates_[key] = pd.Timestamp(dates[-1])
            if fit is not self._fits[key]:
                self._record_fallback(key, fit, "at update")
            self._fits[key] = fit
            self.models_[key] = fit.model
        if fresh:
            if getattr(self, "_search_plan_", None) is not None:
                self._search_keys_ |= fresh_search
            fits = self._map(
                _fit_category,
                [
                    (y, *self._fit_args(key, X, pd.Timestamp(dates[0])))
                    for key, y, dates, X in fresh
                ],
                desc="fitting new",
            )
            self._add_categories(fresh, fits)
        return self

    def _check_revisions(
        self, key: Any, values: np.ndarray, back: np.ndarray, dates: np.ndarray, source: str | None
    ) -> None:
        """Rows for periods already fitted must repeat the fitted values."""
        stored = self._y[key]
        known = back < stored.size
        if not known.all():
            first = pd.Timestamp(dates[~known][0])
            raise fail(
                f"category {key!r}: the row for {first:%Y-%m-%d} is before the history fitted",
                source=source,
                column=self.time_col,
                fix="pass only rows from the fitted history onwards, or refit",
            )
        old = stored[stored.size - 1 - back]
        changed = ~np.isclose(values, old, rtol=1e-9, atol=0.0)
        if changed.any():
            shown = [
                f"{pd.Timestamp(d):%Y-%m-%d} (fitted {show(o)}, now {show(v)})"
                for d, o, v in zip(dates[changed], old[changed], values[changed], strict=True)
            ]
            raise fail(
                f"category {key!r}: {count(len(shown), 'period')} already fitted "
                f"{verb(len(shown), 'has', 'have')} a different value",
                source=source,
                column=self.target_col,
                found=format_items(shown),
                fix="revisions change the history the model was estimated on: call fit() "
                "with the revised data instead of update()",
            )

    def _add_categories(self, series: list, fits: list[_SeriesFit]) -> None:
        """Categories first seen by ``update``: fitted and added to the reports."""
        before_report = self.fit_report_
        before_scores = self.selection_report_
        before_search = getattr(self, "search_report_", None)
        models, fits_, ys, Xs, last = (
            self.models_,
            self._fits,
            self._y,
            self._X,
            self.last_dates_,
        )
        self._store(series, fits, self._plan_)
        models.update(self.models_)
        fits_.update(self._fits)
        ys.update(self._y)
        Xs.update(self._X)
        last.update(self.last_dates_)
        self.models_, self._fits, self._y, self._X, self.last_dates_ = models, fits_, ys, Xs, last
        self.fit_report_ = pd.concat([before_report, self.fit_report_], ignore_index=True)
        self.selection_report_ = pd.concat(
            [before_scores, self.selection_report_], ignore_index=True
        )
        if before_search is not None:
            self.search_report_ = pd.concat([before_search, self.search_report_], ignore_index=True)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        overwrite: bool = False,
        allow_pickle: bool = False,
    ) -> Path:
        """Save the fitted forecaster as JSON and NumPy arrays (no pickle).

        Read it back with [`trendcast.load`][trendcast.load]; the loaded
        forecaster predicts the same numbers, can ``update`` and be saved
        again. See the persistence guide for the layout and the safety model.

        Parameters
        ----------
        path : str or path-like
            A directory, or a single file ending in ``.zip`` or ``.tar``.
        format : {"dir", "zip", "tar"}, optional
            Overrides the choice made from the suffix of ``path``.
        overwrite : bool
            Replace an existing save at ``path`` (atomically: a reader sees
            the old or the new one, never half of one).
        allow_pickle : bool
            Store objects that have no safe format (a model class that is not
            on the allow-list) with joblib. Loading them then needs
            ``load(..., allow_pickle=True)``: only for trusted files.

        Returns
        -------
        Path
            ``path``.

        Raises
        ------
        PersistenceError
            When ``path`` exists (without ``overwrite``), or a model has no
            safe format and ``allow_pickle`` is False.

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
        from trendcast.persistence import save

        self._check_fitted()
        if self._past_lags():
            raise PersistenceError(
                "a forecaster with past_covariates cannot be saved yet (their models have no "
                "safe format); refit it from the data in the nightly job instead"
            )
        return save(self, path, format=format, overwrite=overwrite, allow_pickle=allow_pickle)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        allow_pickle: bool = False,
        categories: Sequence[Any] | None = None,
    ) -> TrendForecaster:
        """Load a saved forecaster: the same as [`trendcast.load`][trendcast.load]."""
        from trendcast.persistence import load

        return load(path, allow_pickle=allow_pickle, categories=categories)

    def cross_validation(
        self,
        df: pd.DataFrame | str | os.PathLike[str],
        h: int,
        n_windows: int = 3,
        step_size: int | None = None,
        level: Sequence[int] = (80, 95),
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

        Returns
        -------
        DataFrame
            The forecast columns plus ``cutoff`` (the last training date) and
            the actual ``<target_col>``. Categories too short for a window are
            left out of it and reported in ``cv_report_``.
        """
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(f"h must be a positive integer, got {h!r}")
        if not isinstance(n_windows, int | np.integer) or n_windows < 1:
            raise ValueError(f"n_windows must be a positive integer, got {n_windows!r}")
        levels = check_levels(level)
        data = self._validate(df)
        source = describe_source(df)
        self._check_covariates(data, "the sales frame", source)
        without = self._check_past(data, "the sales frame", source)
        plan = self._plan(self._freq)
        series = self._series(data, without)
        # the set-up of a fit, kept aside: cross-validation leaves a fitted forecaster as it was
        saved = {
            name: getattr(self, name)
            for name in ("_plan_", "_search_keys_", "_search_plan_", "_search_set_")
            if hasattr(self, name)
        }
        try:
            self._plan_ = plan
            self._setup_search(plan, series, without)
            self._check_horizon(int(h), "cross_validation:")
            model_levels = _with_reference(levels) if plan.calibrate else levels
            window_plans = self._window_plans(series, int(h), int(n_windows), step_size)
            items = []
            for key, y, dates, X in series:
                search = self._plan_of(key)[1]
                which = 1 if key in getattr(self, "_search_keys_", set()) else 0
                key_plans = tuple(plans[which] for plans in window_plans)
                items.append(
                    (y, h, n_windows, step_size, model_levels, key_plans, X, pd.Timestamp(dates[0]))
                    + (search, float(self.search_margin))
                )
            cal_plan = self._calibration_plan()
        finally:
            for name in ("_plan_", "_search_keys_", "_search_plan_", "_search_set_"):
                if name in saved:
                    setattr(self, name, saved[name])
                elif hasattr(self, name):
                    delattr(self, name)
        results = self._map(_cv_one_item, items, desc="cross-validating")
        results = _calibrate_windows(results, series, h, n_windows, step_size, cal_plan, levels)
        frames, actual, cut_col, report = [], [], [], []
        for (key, y, dates, _), windows in zip(series, results, strict=True):
            if not windows:
                report.append(
                    {
                        self.id_col: key,
                        "reason": f"{y.size} observations are too few "
                        f"for {n_windows} windows of {h}",
                    }
                )
            for c, fc, fit in windows:
                frames.append(self._frame(key, dates[c : c + h], fit.used, fc, levels))
                actual.append(y[c : c + h])
                cut_col.extend([dates[c - 1]] * h)
                if fit.reasons:
                    report.append(
                        {
                            self.id_col: key,
                            "reason": "; ".join(fit.reasons),
                            "cutoff": pd.Timestamp(dates[c - 1]),
                        }
                    )
        out = self._concat(frames, levels)
        out.insert(2, "cutoff", pd.to_datetime(pd.Series(cut_col, dtype="datetime64[ns]")))
        out[self.target_col] = np.concatenate(actual) if actual else np.array([], dtype=float)
        self.cv_report_ = pd.DataFrame(report, columns=[self.id_col, "cutoff", "reason"])
        return out.sort_values([self.id_col, "cutoff", self.time_col], kind="stable").reset_index(
            drop=True
        )

    def sample_paths(
        self,
        h: int,
        n_paths: int = 1000,
        random_state: int | None = None,
        output: str = "frame",
        X_df: pd.DataFrame | None = None,
    ) -> pd.DataFrame | dict[Any, np.ndarray]:
        """Draw joint sample paths of the next ``h`` periods for every category.

        Each category's model draws paths (its own stochastic model; see
        "Intervals and calibration" in the docs). With ``calibration="conformal"``
        each path's deviation from the mean is rescaled so that, step by step,
        the paths have the quantiles of the calibrated intervals of
        [`predict`][trendcast.TrendForecaster.predict]; the ordering of the
        paths, hence their dependence over the horizon, is the model's. Paths
        are clipped at zero unless ``allow_negative=True``.

        Parameters
        ----------
        h : int
            Number of periods ahead.
        n_paths : int
            Paths per category.
        random_state : int, optional
            Seed: the same seed gives the same paths, whatever ``n_jobs``.
        output : {"frame", "arrays"}
            ``"frame"``: a long DataFrame ``<id_col>, <time_col>, path,
            <target_col>`` (one row per category, path and period, sorted in
            that order), for plotting and pandas work. ``"arrays"``: a dict
            from category to an array of shape ``(n_paths, h)`` (periods in
            order), for computations over many paths.
        X_df : DataFrame, optional
            Future values of the ``future_covariates``, as for
            [`predict`][trendcast.TrendForecaster.predict]; models that take
            covariates then draw their own paths given them. Past covariates
            need nothing here (beyond their lag, with ``beyond_lag="forecast"``,
            each path follows its own path of the covariate).

        Returns
        -------
        DataFrame or dict of arrays

        Examples
        --------
        >>> import trendcast as tc
        >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
        >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
        >>> paths = fc.sample_paths(h=3, n_paths=100, random_state=0)
        >>> list(paths.columns), len(paths)
        (['unique_id', 'ds', 'path', 'y'], 600)
        >>> fc.sample_paths(h=3, n_paths=100, output="arrays")["448"].shape
        (100, 3)
        """
        self._check_fitted()
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(f"h must be a positive integer, got {h!r}")
        if isinstance(n_paths, bool) or not isinstance(n_paths, int | np.integer) or n_paths < 1:
            raise ValueError(f"n_paths must be a positive integer, got {n_paths!r}")
        if output not in ("frame", "arrays"):
            raise ValueError(f"output={output!r} is not understood; pass 'frame' or 'arrays'")
        keys = list(self.models_)
        self._check_horizon(int(h), "sample_paths:")
        future = self._future_with_past(self._future_covariates(X_df, keys, int(h)), keys, int(h))
        seeds = np.random.SeedSequence(random_state).spawn(len(keys))
        items = [
            (self.models_[k], self._y[k], seed, future.get(k))
            for k, seed in zip(keys, seeds, strict=True)
        ]
        results = self._map(_sample_series, items, int(h), int(n_paths), desc="sampling")
        calibration = getattr(self, "_calibration_", None)
        arrays: dict[Any, np.ndarray] = {}
        for key, (_model, paths, fc, reason) in zip(keys, results, strict=True):
            if reason:
                message = f"category {key!r}: {reason}"
                logger.warning(message)
                warnings.warn(message, FallbackWarning, stacklevel=2)
            key_model = None if reason else self._fits[key].candidate  # Naive's paths: none
            if calibration is not None and key_model is not None and calibration.covers(key_model):
                paths = calibration.adjust_paths(key_model, paths, fc)
            arrays[key] = paths if self.allow_negative else np.maximum(paths, 0.0)
        if output == "arrays":
            return arrays
        columns = [self.id_col, self.time_col, "path", self.target_col]
        if not arrays:
            return pd.DataFrame(columns=columns)
        parts = []
        for key, paths in arrays.items():
            dates = pd.DatetimeIndex(freqs.future_dates(self.last_dates_[key], int(h), self.freq_))
            parts.append(
                pd.DataFrame(
                    {
                        self.id_col: np.repeat(np.array([key], dtype=object), paths.size),
                        self.time_col: np.tile(dates, paths.shape[0]),
                        "path": np.repeat(np.arange(paths.shape[0]), paths.shape[1]),
                        self.target_col: paths.ravel(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)[columns]


def _sample_series(
    model: LocalModel,
    y: np.ndarray,
    seed: np.random.SeedSequence,
    X_future: np.ndarray | None,
    h: int,
    n_paths: int,
) -> tuple[LocalModel, np.ndarray, ModelForecast, str]:
    """Paths of one category and the 80% forecast calibration scales them by."""
    rng = np.random.default_rng(seed)
    reason = ""
    try:
        if not model.tags().produces_samples:
            raise NotImplementedError(f"{model.name} draws no sample paths")
        used = X_future if getattr(model, "X_", None) is not None else None
        paths = model.sample_paths(h, n_paths, used, random_state=rng)
        fc = model.predict(h, used, level=(REFERENCE_LEVEL,))
    except (*_FIT_ERRORS, NotImplementedError) as exc:
        reason = f"{model.name} could not draw sample paths ({exc}); used Naive's"
        model = Naive().fit(y)
        paths = model.sample_paths(h, n_paths, random_state=rng)
        fc = model.predict(h, level=(REFERENCE_LEVEL,))
    return model, paths, fc, reason


def _cv_one_item(
    y: np.ndarray,
    h: int,
    n_windows: int,
    step_size: int | None,
    levels: tuple[int, ...],
    plans: Sequence[_Plan],
    X: np.ndarray | None = None,
    start: pd.Timestamp | None = None,
    search: frozenset[int] = frozenset(),
    search_margin: float = 0.0,
) -> list[tuple[int, ModelForecast, _SeriesFit, list[BacktestScore]]]:
    """Fit at every cutoff (with that window's plan) and forecast ``h`` from it."""
    windows = []
    points = cutoffs(y.size, h, n_windows, step_size)
    if len(points) < n_windows or points[0] < 2:
        return []
    for c, plan in zip(points, plans, strict=True):
        X_train = None if X is None else X[:c]
        # a window's models see covariates up to its cutoff only; models fed
        # past covariates ignore the values after it (they forecast them)
        fit = _fit_category(y[:c], plan, X_train, start, search, search_margin)
        if fit.model is None:
            continue
        X_future = None if X is None else X[c : c + h]
        fc, replaced = _predict_series(fit, y[:c], h, levels, X_train, X_future)
        windows.append((c, fc, replaced or fit, fit.backtest))
    return windows


# ---------------------------------------------------------------- calibration


def _with_reference(levels: tuple[int, ...]) -> tuple[int, ...]:
    """The levels asked for plus the one calibration takes its scale from."""
    return tuple(sorted({*levels, REFERENCE_LEVEL}))


def _calibration_from(backtests: list[list[BacktestScore]], plan: _Plan) -> Calibration | None:
    """Pool the normalised backtest errors of every candidate across categories."""
    if not plan.calibrate:
        return None
    errors: dict[int, tuple[str, list[tuple[np.ndarray, np.ndarray]]]] = {
        i: (c.name, []) for i, c in enumerate(plan.candidates)
    }
    for scores in backtests:
        for i, score in enumerate(scores):
            if score.steps is not None and score.errors is not None:
                errors[i][1].append((score.steps, score.errors))
    return Calibration(errors)


def _calibrate(
    calibration: Calibration | None,
    key: int | None,
    fc: ModelForecast,
    levels: tuple[int, ...],
) -> ModelForecast:
    """Calibrated bounds for candidate ``key``'s forecast, or ``fc`` as it is."""
    if calibration is None or key is None or not calibration.covers(key):
        return fc
    return calibration.adjust(key, fc, levels)


def _calibrate_windows(
    results: list[list[tuple[int, ModelForecast, _SeriesFit, list[BacktestScore]]]],
    series: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]],
    h: int,
    n_windows: int,
    step_size: int | None,
    plan: _Plan,
    levels: tuple[int, ...],
) -> list[list[tuple[int, ModelForecast, _SeriesFit]]]:
    """Calibrate each cross-validation window from the backtests fitted at its cutoff.

    As in ``fit``, the errors are pooled across the categories, here those of
    the same window, so no window uses data after its cutoff.
    """
    ordinals = [
        {c: k for k, c in enumerate(cutoffs(y.size, h, n_windows, step_size))}
        for _, y, *_ in series
    ]
    calibrations: dict[int, Calibration | None] = {}
    for k in range(n_windows):
        backtests = [
            bt
            for windows, pos in zip(results, ordinals, strict=True)
            for c, _, _, bt in windows
            if pos[c] == k
        ]
        calibrations[k] = _calibration_from(backtests, plan)
    return [
        [
            (c, _calibrate(calibrations[pos[c]], fit.candidate, fc, levels), fit)
            for c, fc, fit, _ in windows
        ]
        for windows, pos in zip(results, ordinals, strict=True)
    ]
