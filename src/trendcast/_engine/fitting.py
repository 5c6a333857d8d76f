"""Per-series work: select, fit, fall back, forecast, update, sample, cross-validate.

Functions of arrays and plans only, so they run unchanged in worker processes;
what they produce for one category is a [`SeriesFit`][trendcast._engine.fitting.SeriesFit].
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from trendcast._engine.plan import Plan, dated
from trendcast._params import clone
from trendcast._validation import count
from trendcast.backtest import BacktestScore, cutoffs, score_models
from trendcast.exceptions import ParameterError
from trendcast.models import (
    ColdStart,
    Combination,
    IntermittentDemand,
    LocalModel,
    ModelForecast,
    Naive,
    SeasonalNaive,
)
from trendcast.models._shared import FIT_ERRORS, REFERENCE_LEVEL, noise_scale

#: what makes a model draw no sample paths: Naive's are drawn instead
_SAMPLE_ERRORS: tuple[type[Exception], ...] = (*FIT_ERRORS, NotImplementedError)


@dataclass
class SeriesFit:
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
    #: backtest RMSSE of each scored candidate, in the order of ``scores``
    #: (the selection score of sparse categories; reported beside MASE)
    rmsse: list[float] = field(default_factory=list)


def covariates_for(model: LocalModel, X: np.ndarray | None) -> np.ndarray | None:
    """``X`` for a model that takes covariates, ``None`` for one that does not."""
    return X if X is not None and model.tags().supports_exogenous else None


def fit_series(
    y: np.ndarray,
    plan: Plan,
    X: np.ndarray | None = None,
    start: pd.Timestamp | None = None,
    scored: bool = False,
) -> SeriesFit:
    """Select (if several candidates), fit, and fall back along the chain.

    ``scored``: backtest and keep the scores even of a single candidate.
    """
    reasons: list[str] = []
    scores: list[tuple[str, float, str]] = []
    candidates = plan.candidates
    sparse = plan.is_sparse(y)
    if sparse:
        assert plan.sparse_candidates is not None
        candidates = plan.sparse_candidates
    if start is not None:
        candidates = tuple(dated(c, start, plan.freq) for c in candidates)
        plan = replace(plan, fallbacks=tuple(dated(f, start, plan.freq) for f in plan.fallbacks))
    order: list[LocalModel] = list(candidates)
    refit: LocalModel | None = None
    why = "the only candidate" if len(candidates) == 1 else ""
    results: list[BacktestScore] = []
    if len(candidates) > 1 or plan.calibrate or scored:
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
        if results and (len(plan.candidates) > 1 or scored):
            scores = [(r.model, r.mase, r.error) for r in results]
            # sparse categories are ranked by RMSSE: MASE rewards forecasting zero there
            key = np.array([r.rmsse if sparse else r.mase for r in results])
            per_window = [r.rmsse_windows if sparse else r.windows for r in results]
            ranking = rank(key, plan.selection_margin, per_window)
            order = [candidates[i] for i in ranking]
            # the winner is refitted from its backtest fit (LocalModel.refit_copy: the
            # ETS form found there, no second search; ARIMA searches again)
            refit = results[ranking[0]].refit
            why = selection_reason(
                [r.model for r in results],
                key,
                ranking[0],
                plan.selection_margin,
                "RMSSE" if sparse else "MASE",
            )
        elif results:
            refit = results[0].refit
            why = f"the only candidate (backtest MASE {results[0].mase:.3f})"
        elif len(candidates) > 1:
            reasons.append(
                f"{y.size} observations are too few to backtest "
                f"{plan.backtest_windows} windows of {plan.backtest_horizon}; "
                "chose the first candidate that fits"
            )
    if sparse:
        why = f"{sparse_rule(y)}; {why}" if why else sparse_rule(y)
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
            model.fit(y, covariates_for(model, X))
        except FIT_ERRORS as exc:
            if proto is not refit:
                reasons.append(f"{proto.name}: {exc}")
            continue
        share_history(model, y)
        original = chain[position]
        chosen = next((i for i, c in enumerate(candidates) if c is original), None)
        if position > 0:
            was = f"; {tried} was {why}" if why and not why.startswith("sparse") else ""
            why = f"fell back to {model.name}{was}"
        if sparse or isinstance(model, Naive | SeasonalNaive):
            why = _zero_check(model, y, plan, why)
        return SeriesFit(
            model,
            tried,
            model.name,
            position > 0,
            chosen if scores else None,
            [why, *reasons] if why else reasons,
            scores,
            chain,
            [] if sparse else results,
            None if sparse else chosen,
            rmsse=[r.rmsse for r in results] if scores else [],
        )
    return SeriesFit(None, tried, "none", True, None, reasons, scores, chain, [])


def share_history(model: LocalModel, y: np.ndarray) -> None:
    """Let ``model`` (and its members) keep ``y`` itself where they keep a copy of it.

    A model copies the history it is fitted to (``LocalModel.fit``), so a caller's
    later change cannot reach it; the engine never changes a history in place
    (an update makes a new array), so its fits can share the array that the
    forecaster's state keeps (``state.y``): one history a category in memory
    instead of one more a model, and a fit sent back from a worker process
    carries a reference to the batch's array instead of a copy (see
    ``_engine.parallel``). The numbers are the same.
    """
    own = getattr(model, "y_", None)
    if (
        type(own) is np.ndarray
        and own is not y
        and own.dtype == y.dtype
        and own.shape == y.shape
        and np.array_equal(own, y)
    ):
        model.y_ = y
    for value in vars(model).values():
        if isinstance(value, LocalModel):
            share_history(value, y)
        elif isinstance(value, list | tuple):
            for member in value:
                if isinstance(member, LocalModel):
                    share_history(member, y)


def selection_reason(
    names: Sequence[str], score: np.ndarray, winner: int, margin: float, metric: str
) -> str:
    """Why the backtest chose ``winner``: its score, and its margin over the runner-up."""
    others = [i for i in range(score.size) if i != winner and np.isfinite(score[i])]
    text = f"chosen by backtest {metric} {score[winner]:.3f}"
    if winner != 0:
        text += (
            f", beating the default {names[0]} ({score[0]:.3f}) by "
            f"{1 - score[winner] / score[0]:.0%} (selection_margin {margin:.0%})"
            if np.isfinite(score[0]) and score[0] > 0
            else f"; the default {names[0]} failed"
        )
    elif others:
        best = min(others, key=lambda i: score[i])
        if score[best] < score[0]:
            text += (
                f", the default, kept: {names[best]} {score[best]:.3f} is "
                f"{1 - score[best] / score[0]:.0%} lower, not the {margin:.0%} lower "
                "in every backtest window that selection_margin asks"
            )
        else:
            text += f", the lowest; next {names[best]} {score[best]:.3f}"
    return text


def sparse_rule(y: np.ndarray) -> str:
    """The sparse rule's reason: the share of periods without demand and the ADI."""
    demands = int(np.sum(y > 0))
    adi = f"ADI {y.size / demands:.2f}" if demands else "no demand"
    return (
        f"sparse rule: no demand in {np.mean(y == 0):.0%} of periods ({adi}), "
        "intermittent-demand candidates scored by RMSSE"
    )


def _zero_check(model: LocalModel, y: np.ndarray, plan: Plan, why: str) -> str:
    """Say so when a category that has sold is forecast all zero, and why."""
    if not np.any(y > 0):
        return why
    try:
        mean = model.predict(max(plan.backtest_horizon, 1), level=()).mean
    except FIT_ERRORS:
        return why
    if np.any(mean > 0):
        return why
    season = max(plan.season_length, plan.backtest_horizon, 4)
    recent = (
        f"although it sold in its last {season} periods"
        if np.any(y[-season:] > 0)
        else f"(no sale in its last {season} periods; it sold before)"
    )
    return (
        f"{why}; forecasts zero {recent}: {model.name} won on RMSSE, "
        "the score that does not reward zero"
        if plan.is_sparse(y)
        else f"{why}; forecasts zero {recent}: {model.name} repeats the last value"
    )


def rank(
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


def fit_category(
    y: np.ndarray,
    plan: Plan,
    X: np.ndarray | None = None,
    start: pd.Timestamp | None = None,
    search: frozenset[int] = frozenset(),
    search_margin: float = 0.0,
    cold: ColdStart | None = None,
) -> SeriesFit:
    """``fit_series``, then keep search only where the backtest says it helps.

    ``search`` holds the positions of the candidates fed past covariates. The
    best of them must beat the best candidate without them by more than
    ``search_margin`` (relative backtest MASE); when the selection picked a
    search candidate that does not, the best candidate without search (by the
    same ranking) is fitted instead. ``cold``, when given, forecasts a
    category shorter than the first candidate needs (see ``cold_start``).
    """
    if cold is not None and y.size < cold_start_length(plan):
        return cold_start(y, plan, cold)
    gap = late_start(X)
    if gap:
        assert X is not None
        return fit_late_search(y, plan, X, start, search, search_margin, gap)
    fit = fit_series(y, plan, X, start)
    sparse = plan.is_sparse(y)
    if not search or not fit.scores or sparse or fit.chosen is None:
        return fit
    mase = np.array([score for _, score, _ in fit.scores], dtype=float)
    if fit.chosen not in search or search_helps(mase, search, search_margin):
        return fit
    without = mase.copy()
    without[list(search)] = np.inf
    windows = [r.windows for r in fit.backtest] if fit.backtest else None
    best = rank(without, plan.selection_margin, windows)[0]
    twin = fit.backtest[best].refit if fit.backtest else None
    single = replace(
        plan,
        candidates=(twin if twin is not None else plan.candidates[best],),
        calibrate=False,
        sparse_candidates=None,
    )
    refit = fit_series(y, single, X, start)
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


def cold_start_length(plan: Plan) -> int:
    """Observations the shortest candidate that learns from the data needs.

    The naive baselines (which need one or two) do not count: a category
    shorter than every other candidate needs starts cold.
    """
    lengths = [
        c.tags().min_length
        for c in plan.candidates
        if not isinstance(c, Naive | SeasonalNaive) and c.family not in ("Naive", "SeasonalNaive")
    ]
    return min(lengths) if lengths else 0


def cold_start(y: np.ndarray, plan: Plan, cold: ColdStart) -> SeriesFit:
    """The fit of a category too short for the candidates: ``cold`` on its few points."""
    need = cold_start_length(plan)
    model = clone(cold)
    points = "observation" if y.size == 1 else "observations"
    peers = (
        "the moves y[t+s]/y[t] of "
        + count(cold.n_peers, "peer category", "peer categories")
        if cold.ratios is not None
        else "its own changes (no peer long enough)"
    )
    level = float(y[-1]) if y[-1] > 0 else float(np.mean(y))
    what = "its latest value" if y[-1] > 0 else "the mean of its points"
    shown = f"{level:,.0f}" if abs(level) >= 100 else f"{level:.3g}"
    why = (
        f"cold start: {y.size} {points}, fewer than the {need} the candidates need; "
        f"forecast its level ({what}, {shown})"
    ) + f" with intervals from {peers}"
    try:
        model.fit(y)
    except FIT_ERRORS as exc:
        return SeriesFit(None, cold.family, "none", True, None, [why, f"ColdStart: {exc}"])
    chain = [model, *plan.fallbacks]
    return SeriesFit(model, model.family, model.name, True, None, [why], [], chain)


def late_start(X: np.ndarray | None) -> int:
    """Leading rows without past covariates (search that starts after the sales), or 0."""
    if X is None or X.size == 0:
        return 0
    empty = np.isnan(X).any(axis=1)
    return int(np.argmin(empty)) if empty.any() and not empty.all() else 0


def fit_late_search(
    y: np.ndarray,
    plan: Plan,
    X: np.ndarray,
    start: pd.Timestamp | None,
    search: frozenset[int],
    search_margin: float,
    gap: int,
) -> SeriesFit:
    """Search that starts ``gap`` periods after the sales (``search_start="late"``).

    The candidates without search are selected on the whole history (the
    empty past columns are never read: their wrapper drops them); the
    candidates fed search on the span it covers. Both backtests forecast the
    same final windows; the search candidates' MASE is rescaled from their
    span's scale to the whole history's, and the two groups compete as in
    ``fit_category`` (selection margin, then search margin).
    """
    filled = np.where(np.isnan(X), 0.0, X)
    plain = [i for i in range(len(plan.candidates)) if i not in search]
    fed = sorted(search)
    note = (
        f"search starts at period {gap + 1} of {y.size}: the candidates fed search were "
        f"fitted on the last {y.size - gap} periods, the others on all {y.size}"
    )
    if plan.is_sparse(y) or not fed or not plain:
        fit = fit_series(y, plan, filled, start) if not fed or plan.is_sparse(y) else None
        if fit is None:
            fit = fit_series(y[gap:], plan, X[gap:], _later(start, gap, plan.freq))
        return replace(fit, reasons=[*fit.reasons, note])
    full = fit_series(
        y, replace(plan, candidates=tuple(plan.candidates[i] for i in plain)), filled, start, True
    )
    short = fit_series(
        y[gap:],
        replace(plan, candidates=tuple(plan.candidates[i] for i in fed), fallbacks=()),
        X[gap:],
        _later(start, gap, plan.freq),
        True,
    )
    if not full.scores or not short.scores or short.model is None:
        return replace(full, reasons=[*full.reasons, note, "search candidates not scored"])
    factor = _scale(y[gap:], plan) / _scale(y, plan)
    mase = np.full(len(plan.candidates), np.inf)
    names: list[Any] = [None] * len(plan.candidates)
    errors = [""] * len(plan.candidates)
    for group, run, k in ((plain, full, 1.0), (fed, short, factor)):
        for j, i in enumerate(group):
            names[i], value, errors[i] = run.scores[j]
            mase[i] = value * k
    windows: list[np.ndarray | None] = [None] * len(plan.candidates)
    backtest: list[Any] = [None] * len(plan.candidates)
    for group, run in ((plain, full), (fed, short)):
        for j, i in enumerate(group):
            if j < len(run.backtest):
                backtest[i] = run.backtest[j]
                windows[i] = run.backtest[j].windows
    winner = rank(mase, plan.selection_margin, windows)[0]
    use_search = winner in search and search_helps(mase, search, search_margin)
    run, group = (short, fed) if use_search else (full, plain)
    chosen = None if run.chosen is None else group[run.chosen]
    return replace(
        run,
        chosen=chosen,
        candidate=None if run.candidate is None else group[run.candidate],
        scores=[(str(names[i]), float(mase[i]), errors[i]) for i in range(mase.size)],
        backtest=backtest if all(b is not None for b in backtest) else [],
        reasons=[*run.reasons, note],
        rmsse=[],
    )


def _later(start: pd.Timestamp | None, periods: int, freq: str) -> pd.Timestamp | None:
    if start is None or not freq:
        return None
    return pd.date_range(start, periods=periods + 1, freq=freq)[-1]


def _scale(y: np.ndarray, plan: Plan) -> float:
    """MASE's scale on the span before the first backtest window (1 when too short)."""
    points = cutoffs(y.size, plan.backtest_horizon, plan.backtest_windows)
    if not points:
        return 1.0
    return noise_scale(y[: points[0]], plan.season_length)


def search_helps(mase: np.ndarray, search: frozenset[int], margin: float) -> bool:
    """The best search candidate beats the best other one by more than ``margin``."""
    with_search = [mase[i] for i in range(mase.size) if i in search]
    without = [mase[i] for i in range(mase.size) if i not in search]
    if not with_search or not without:
        return bool(with_search)
    best_with, best_without = min(with_search), min(without)
    return bool(np.isfinite(best_with) and best_with < best_without * (1 - margin))


def predict_series(
    fit: SeriesFit,
    y: np.ndarray,
    h: int,
    levels: tuple[int, ...],
    X: np.ndarray | None = None,
    X_future: np.ndarray | None = None,
) -> tuple[ModelForecast, SeriesFit | None]:
    """Forecast with the fitted model; fall back if it cannot forecast.

    Returns the forecast and, only when a fallback replaced the model, the new fit.
    """
    assert fit.model is not None
    try:
        used = X_future if getattr(fit.model, "X_", None) is not None else None
        return fit.model.predict(h, used, level=levels), None
    except FIT_ERRORS as exc:
        reasons = [*fit.reasons, f"{fit.model.name} at predict: {exc}"]
    start = next(
        (i + 1 for i, p in enumerate(fit.chain) if type(p) is type(fit.model)), len(fit.chain)
    )
    for proto in fit.chain[start:]:
        model = clone(proto)
        try:
            X_used = covariates_for(model, X)
            model.fit(y, X_used)
            fc = model.predict(h, None if X_used is None else X_future, level=levels)
        except FIT_ERRORS as exc2:
            reasons.append(f"{proto.name}: {exc2}")
            continue
        return fc, SeriesFit(
            model, fit.tried, model.name, True, None, reasons, fit.scores, fit.chain
        )
    model = Naive().fit(y)
    reasons.append("every model in the chain failed; used Naive")
    return model.predict(h, level=levels), SeriesFit(
        model, fit.tried, model.name, True, None, reasons, fit.scores, fit.chain
    )


def update_series(
    fit: SeriesFit,
    y_old: np.ndarray,
    X_old: np.ndarray | None,
    y_new: np.ndarray,
    X_new: np.ndarray | None,
    plan: Plan,
    search: frozenset[int] = frozenset(),
    search_margin: float = 0.0,
) -> tuple[SeriesFit, bool]:
    """Move a fitted model forward over new observations; refit if it cannot.

    Returns the fit (its model updated in place) and False or, when the
    update failed, a new fit on the whole history with the reason recorded
    and True. (The flag, not the object's identity, says which: a fit sent to
    a worker process comes back as a copy.) A history whose search starts
    late (``search_start="late"``) is refitted as ``fit`` fits it: the
    candidates fed search on the span it covers (``search``: their
    positions), the others on every period.
    """
    assert fit.model is not None
    try:
        fit.model.update(y_new, X_new if getattr(fit.model, "X_", None) is not None else None)
        return fit, False
    except FIT_ERRORS as exc:
        reason = f"{fit.model.name} at update: {exc}; refitted on the whole history"
    y_all = np.concatenate([y_old, y_new])
    X_all = None if X_old is None or X_new is None else np.vstack([X_old, X_new])
    if X_all is not None and late_start(X_all):
        refit = fit_category(y_all, plan, X_all, None, search, search_margin)
    else:
        refit = fit_series(y_all, plan, X_all)
    refit.reasons.append(reason)
    refit.fell_back = True
    return refit, True


def category_seeds(keys: list[Any], random_state: Any) -> dict[Any, np.random.SeedSequence]:
    """One seed a category, spawned in ``keys``' order from ``random_state``.

    Spawned for every fitted category, so a category's paths do not depend on
    which others are drawn with it.
    """
    try:
        spawned = np.random.SeedSequence(random_state).spawn(len(keys))
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"random_state must be None or a whole number of 0 or more, got {random_state!r}"
        ) from exc
    return dict(zip(keys, spawned, strict=True))


def sample_series(
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
    except _SAMPLE_ERRORS as exc:
        reason = f"{model.name} could not draw sample paths ({exc}); used Naive's"
        model = Naive().fit(y)
        paths = model.sample_paths(h, n_paths, random_state=rng)
        fc = model.predict(h, level=(REFERENCE_LEVEL,))
    return model, paths, fc, reason


def cv_one_item(
    y: np.ndarray,
    h: int,
    n_windows: int,
    step_size: int | None,
    levels: tuple[int, ...],
    plans: Sequence[Plan],
    X: np.ndarray | None = None,
    start: pd.Timestamp | None = None,
    search: frozenset[int] = frozenset(),
    search_margin: float = 0.0,
) -> list[tuple[int, ModelForecast, SeriesFit, list[BacktestScore]]]:
    """Fit at every cutoff (with that window's plan) and forecast ``h`` from it."""
    windows = []
    points = cutoffs(y.size, h, n_windows, step_size)
    if len(points) < n_windows or points[0] < 2:
        return []
    for c, plan in zip(points, plans, strict=True):
        X_train = None if X is None else X[:c]
        # a window's models see covariates up to its cutoff only; models fed
        # past covariates ignore the values after it (they forecast them)
        fit = fit_category(y[:c], plan, X_train, start, search, search_margin)
        if fit.model is None:
            continue
        X_future = None if X is None else X[c : c + h]
        fc, replaced = predict_series(fit, y[:c], h, levels, X_train, X_future)
        windows.append((c, fc, replaced or fit, fit.backtest))
    return windows


# ---------------------------------------------------------------- calibration


def one_step_fitted(model: LocalModel, y: np.ndarray, X: np.ndarray | None) -> np.ndarray:
    """In-sample one-step-ahead predictions of a fitted model, NaN where it has none.

    The value at period ``t`` is the model's forecast of ``y[t]`` from ``y[:t]``
    with the parameters it was fitted with (none re-estimated): its state is
    run over ``y[:t]`` (what ``update`` does) and it forecasts one step, for
    models whose tags say ``supports_update`` and do not compute them
    directly; the others give what their ``_one_step_in_sample`` computes
    (Theta: inside its fitting window, though it can update), or
    NaN throughout (Prophet). A combination gives the mean or median of its
    members, NaN where any is NaN. The first ``min_length`` periods, before
    the model can have a state, are NaN. A model that fails on a short prefix
    gives NaN there.
    """
    out = np.full(y.size, np.nan)
    if isinstance(model, Combination):
        members = getattr(model, "models_", [])
        if not members or not all(_walks(m) for m in members):
            return out  # a member without values: the combination has none (nothing computed)
        parts = np.array(
            [one_step_fitted(m, y, X if getattr(m, "X_", None) is not None else None)
             for m in members]
        )
        return np.median(parts, axis=0) if model.method == "median" else parts.mean(axis=0)
    if isinstance(model, IntermittentDemand):  # its state lives in the method it chose
        inner = getattr(model, "model_", None)
        return out if inner is None else one_step_fitted(inner, y, X)
    direct = model._one_step_in_sample(y, X)  # a model that computes them itself (Theta)
    if direct is not None or not model.tags().supports_update:
        return out if direct is None else direct
    walker = copy.deepcopy(model)
    uses_X = getattr(model, "X_", None) is not None and X is not None
    for t in range(max(model.tags().min_length, 1), y.size):
        X_past = X[:t] if uses_X and X is not None else None
        try:
            walker._update(y[:t], X_past)  # reruns the state over y[:t], parameters fixed
            walker.y_, walker.X_, walker.n_obs_ = y[:t], X_past, t
            X_next = X[t : t + 1] if uses_X and X is not None else None
            out[t] = walker.predict(1, X_next, level=(REFERENCE_LEVEL,)).mean[0]
        except FIT_ERRORS:
            continue
    return out


def _walks(model: LocalModel) -> bool:
    """Whether ``one_step_fitted`` gives values for ``model`` (not all NaN by rule)."""
    if isinstance(model, Combination):
        return all(_walks(m) for m in getattr(model, "models_", []))
    if isinstance(model, IntermittentDemand):
        inner = getattr(model, "model_", None)
        return inner is not None and _walks(inner)
    return model.tags().supports_update or type(model)._one_step_in_sample is not (
        LocalModel._one_step_in_sample
    )


def fitted_item(fit: SeriesFit, y: np.ndarray, X: np.ndarray | None) -> np.ndarray:
    """``one_step_fitted`` of a category's fitted model (for the parallel map)."""
    return np.full(y.size, np.nan) if fit.model is None else one_step_fitted(fit.model, y, X)
