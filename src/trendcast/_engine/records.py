"""Building and changing the fitted state: after a fit, and when ``update`` brings rows."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._engine.calibrate import calibration_from
from trendcast._engine.fitting import SeriesFit, cold_start_length
from trendcast._engine.inputs import Series
from trendcast._engine.plan import Plan, SearchSetup, pool_plans, search_plan
from trendcast._engine.reports import (
    fit_reports,
    record_fallback,
    search_report,
    warn_fallbacks,
)
from trendcast._engine.spec import Spec
from trendcast._engine.state import ForecasterState, calibration_plan
from trendcast._validation import count, fail, format_items, show, verb
from trendcast._warnings import warn
from trendcast.exceptions import DataWarning
from trendcast.models import ColdStart
from trendcast.models.cold_start import peer_ratios

logger = logging.getLogger("trendcast.forecaster")


def setup_search(
    spec: Spec, plan: Plan, models: Any, series: list[Series], without: set[Any]
) -> SearchSetup | None:
    """Which categories have search and the plan they are fitted with (None without lags)."""
    lags = spec.past_lags
    if not lags:
        return None
    if without:
        warn(
            f"{count(len(without), 'category', 'categories')} "
            f"{verb(len(without), 'has', 'have')} no values in the past covariates "
            f"{format_items(lags)} and "
            f"{verb(len(without), 'is', 'are')} fitted without them: "
            f"{format_items(sorted(map(str, without)))}",
            DataWarning,
        )
    n_future = next(
        (X.shape[1] - len(lags) for key, _, _, X in series if key not in without and X is not None),
        0,
    )
    with_search, positions = search_plan(plan, models, spec, n_future)
    keys = frozenset(key for key, *_ in series if key not in without)
    return SearchSetup(keys=keys, plan=with_search, positions=positions)


def attach_pools(
    plan: Plan, search: SearchSetup | None, histories: list[np.ndarray]
) -> tuple[Plan, SearchSetup | None]:
    """Train the pools of the PooledRegression models of both plans on ``histories``."""
    pooled = pool_plans([plan, None if search is None else search.plan], histories)
    if search is not None:
        search = replace(search, plan=pooled[1])
    return pooled[0], search


def plan_of(plan: Plan, search: SearchSetup | None, key: Any) -> tuple[Plan, frozenset[int]]:
    """The plan of one category and the positions of its search candidates."""
    if search is not None and key in search.keys:
        return search.plan, search.positions
    return plan, frozenset()


def fit_items(
    plan: Plan,
    search: SearchSetup | None,
    spec: Spec,
    series: list[Series],
    peers: list[np.ndarray] | None = None,
) -> list[tuple]:
    """The arguments of ``fit_category`` for each category.

    With ``cold_start=True``, categories shorter than the candidates need
    get a ``ColdStart`` whose spread comes from the other histories
    (``peers``, default: every category of ``series`` long enough).
    """
    cold = None
    need = cold_start_length(plan)
    if spec.cold_start and any(y.size < need for _, y, _, _ in series):
        histories = [y for _, y, _, _ in series if y.size >= need] if peers is None else peers
        ratios = peer_ratios(histories)
        cold = ColdStart(ratios=ratios, n_peers=len(histories) if ratios is not None else 0)
    items = []
    for key, y, dates, X in series:
        key_plan, positions = plan_of(plan, search, key)
        items.append(
            (y, key_plan, X, pd.Timestamp(dates[0]), positions, spec.search_margin, cold)
        )
    return items


def new_state(
    spec: Spec,
    plan: Plan,
    search: SearchSetup | None,
    series: list[Series],
    fits: list[SeriesFit],
) -> ForecasterState:
    """The state of a fit: the records of the categories fitted, reports, calibration."""
    fit_report, selection_report = fit_reports(
        spec.id_col, series, fits, plan.sparse_candidates is not None
    )
    state = ForecasterState(
        spec=spec,
        plan=plan,
        fits={},
        y={},
        X={},
        last_dates={},
        fit_report=fit_report,
        selection_report=selection_report,
        search=search,
    )
    _keep(state, series, fits)
    if spec.has_search:
        state.search_report = search_report(spec, series, fits, state.plan_of, state.search_keys())
    warn_fallbacks(fit_report, spec.id_col)
    state.fitted_at = pd.Timestamp.now(tz="UTC").floor("s")
    state.calibration = calibration_from(
        [f.backtest for f in fits], calibration_plan(plan, search), [s[0] for s in series]
    )
    _drop_errors(fits)
    return state


def _drop_errors(fits: list[SeriesFit]) -> None:
    """What the fit alone reads of the backtest is let go: the fits keep their scores.

    The errors (and their steps) are read once, by the calibration; the copy to
    refit (``refit``), by the selection. 78 errors, their steps and a model a
    weekly category: 0.2 GB at 100,000; a saved forecaster never stored them.
    """
    for fit in fits:
        if any(b.errors is not None or b.refit is not None for b in fit.backtest):
            fit.backtest = [replace(b, steps=None, errors=None, refit=None) for b in fit.backtest]


def _keep(state: ForecasterState, series: list[Series], fits: list[SeriesFit]) -> None:
    """Store the records of the categories that got a model."""
    for (key, y, dates, X), fit in zip(series, fits, strict=True):
        if fit.model is None:
            continue
        state.fits[key] = fit
        state.y[key] = y
        state.X[key] = X
        state.last_dates[key] = pd.Timestamp(dates[-1])


def add_categories(state: ForecasterState, series: list[Series], fits: list[SeriesFit]) -> None:
    """Categories first seen by ``update``: fitted, added to the records and reports."""
    spec = state.spec
    fit_report, selection_report = fit_reports(
        spec.id_col, series, fits, "rmsse" in state.selection_report
    )
    _keep(state, series, fits)
    _drop_errors(fits)  # not calibrated again (the calibration is the fit's)
    if spec.has_search:
        rows = search_report(spec, series, fits, state.plan_of, state.search_keys())
        if state.search_report is not None:
            rows = pd.concat([state.search_report, rows], ignore_index=True)
        state.search_report = rows
    warn_fallbacks(fit_report, spec.id_col)
    state.fit_report = pd.concat([state.fit_report, fit_report], ignore_index=True)
    state.selection_report = pd.concat(
        [state.selection_report, selection_report], ignore_index=True
    )


def record_refit(state: ForecasterState, key: Any, fit: SeriesFit, when: str) -> None:
    """A category's model failed after fit and was replaced: keep the new fit and say so."""
    state.fits[key] = fit
    record_fallback(state.fit_report, state.spec.id_col, key, fit, when)


def split_update(
    state: ForecasterState, series: list[Series], source: str | None
) -> tuple[list[Series], list[Series]]:
    """The new rows of known categories (checked) and the categories not seen before."""
    freq = state.spec.freq
    updates: list[Series] = []
    fresh: list[Series] = []
    for key, y, dates, X in series:
        if key not in state.fits:
            fresh.append((key, y, dates, X))
            continue
        last_date = state.last_dates[key]
        if last_date.tz is None and isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
            numbers = freqs.period_number(dates, freq)  # no index built (see period_number)
            last = int(freqs.period_number(np.array([last_date.to_datetime64()]), freq)[0])
        else:
            numbers = freqs.period_number(pd.DatetimeIndex(dates), freq)
            last = int(freqs.period_number(pd.DatetimeIndex([last_date]), freq)[0])
        seen = numbers <= last
        _check_revisions(state, key, y[seen], last - numbers[seen], dates[seen], source)
        if seen.all():
            continue
        if numbers[~seen][0] != last + 1:
            raise fail(
                f"category {key!r}: the new rows start at "
                f"{pd.Timestamp(dates[~seen][0]):%Y-%m-%d}, leaving a gap after the last "
                f"period fitted ({last_date:%Y-%m-%d})",
                source=source,
                column=state.spec.time_col,
                fix="include the missing periods, or refit with a fill policy",
            )
        updates.append((key, y[~seen], dates[~seen], None if X is None else X[~seen]))
    return updates, fresh


def apply_updates(
    state: ForecasterState, updates: list[Series], results: list[tuple[SeriesFit, bool]]
) -> None:
    """Extend each updated category's record; record the ones that had to be refitted."""
    for (key, y_new, dates, X_new), (fit, refitted) in zip(updates, results, strict=True):
        X_old = state.X[key]
        state.y[key] = np.concatenate([state.y[key], y_new])
        state.X[key] = None if X_old is None or X_new is None else np.vstack([X_old, X_new])
        state.last_dates[key] = pd.Timestamp(dates[-1])
        if refitted:
            record_refit(state, key, fit, "at update")
        state.fits[key] = fit


def _check_revisions(
    state: ForecasterState,
    key: Any,
    values: np.ndarray,
    back: np.ndarray,
    dates: np.ndarray,
    source: str | None,
) -> None:
    """Rows for periods already fitted must repeat the fitted values."""
    spec = state.spec
    stored = state.y[key]
    known = back < stored.size
    if not known.all():
        first = pd.Timestamp(dates[~known][0])
        raise fail(
            f"category {key!r}: the row for {first:%Y-%m-%d} is before the history fitted",
            source=source,
            column=spec.time_col,
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
            column=spec.target_col,
            found=format_items(shown),
            fix="revisions change the history the model was estimated on: call fit() "
            "with the revised data instead of update()",
        )
