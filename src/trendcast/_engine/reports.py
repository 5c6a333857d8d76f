"""The fit, selection and search reports, and the warnings when a category falls back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import pandas as pd

from trendcast._engine.fitting import SeriesFit, search_helps
from trendcast._engine.inputs import Series
from trendcast._engine.plan import Plan
from trendcast._engine.spec import Spec
from trendcast._past_covariates import uses_search
from trendcast._validation import count, verb
from trendcast._warnings import warn
from trendcast.exceptions import FallbackWarning
from trendcast.models import model_label

logger = logging.getLogger("trendcast.forecaster")

FIT_COLUMNS = ("model_tried", "reason", "model_used", "status", "label")
SELECTION_COLUMNS = ("model", "mase", "error", "selected")
#: the selection report of ``models="auto"`` (which has the sparse rule) also shows RMSSE
SPARSE_SELECTION_COLUMNS = ("model", "mase", "error", "selected", "rmsse")
SEARCH_COLUMNS = (
    "covariates",
    "lag",
    "mase_with_search",
    "mase_without_search",
    "uses_search",
    "decision",
)


def fit_reports(
    id_col: str, series: list[Series], fits: list[SeriesFit], with_rmsse: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fit report (a row a category) and the selection report (a row a candidate).

    ``with_rmsse`` adds the backtest RMSSE of each candidate to the selection
    report (the score sparse categories are selected by).
    """
    rows, score_rows = [], []
    for (key, *_), fit in zip(series, fits, strict=True):
        status = "skipped" if fit.model is None else ("fallback" if fit.fell_back else "ok")
        rows.append(
            {
                id_col: key,
                "model_tried": fit.tried,
                "reason": "; ".join(fit.reasons),
                "model_used": fit.used,
                "status": status,
                "label": model_label(fit.used),
            }
        )
        rmsse = fit.rmsse if len(fit.rmsse) == len(fit.scores) else [np.nan] * len(fit.scores)
        for (name, score, error), squared in zip(fit.scores, rmsse, strict=True):
            score_rows.append(
                {
                    id_col: key,
                    "model": name,
                    "mase": score,
                    "rmsse": squared,
                    "error": error,
                    "selected": False,
                }
            )
        if fit.scores and fit.chosen is not None:
            score_rows[len(score_rows) - len(fit.scores) + fit.chosen]["selected"] = True
    return (
        pd.DataFrame(rows, columns=[id_col, *FIT_COLUMNS]),
        pd.DataFrame(
            score_rows,
            columns=[id_col, *(SPARSE_SELECTION_COLUMNS if with_rmsse else SELECTION_COLUMNS)],
        ),
    )


def warn_fallbacks(fit_report: pd.DataFrame, id_col: str) -> None:
    """One FallbackWarning (and log line) naming how many categories fell back or were skipped."""
    fell = fit_report[fit_report["status"] != "ok"]
    if not len(fell):
        return
    skipped = int((fell["status"] == "skipped").sum())
    fallen = len(fell) - skipped
    warn(
        f"{count(fallen, 'category', 'categories')} fell back to another model and "
        f"{count(skipped, 'category', 'categories')} {verb(skipped, 'was', 'were')} "
        f"skipped; see fit_report_ (first: "
        f"{fell[id_col].iloc[0]!r}: {fell['reason'].iloc[0]})",
        FallbackWarning,
    )


def record_fallback(
    fit_report: pd.DataFrame, id_col: str, key: Any, fit: SeriesFit, when: str
) -> None:
    """Write a fallback after fit into ``fit_report`` (in place) and warn."""
    mask = fit_report[id_col] == key
    fit_report.loc[mask, ["reason", "model_used", "status"]] = [
        "; ".join(fit.reasons),
        fit.used,
        "fallback",
    ]
    if "label" in fit_report:
        fit_report.loc[mask, "label"] = model_label(fit.used)
    warn(f"category {key!r} fell back {when}: {fit.reasons[-1]}", FallbackWarning)


def search_report(
    spec: Spec,
    series: list[Series],
    fits: list[SeriesFit],
    plan_of: Callable[[Any], tuple[Plan, frozenset[int]]],
    search_keys: Collection[Any],
) -> pd.DataFrame:
    """Per category: the lag, backtest MASE with and without search, the decision."""
    columns = [spec.id_col, *SEARCH_COLUMNS]
    lags = spec.past_lags
    if not lags:
        return pd.DataFrame(columns=columns)
    rows = []
    for (key, y, _, _), fit in zip(series, fits, strict=True):
        plan, search = plan_of(key)
        mase = np.array([score for _, score, _ in fit.scores], dtype=float)
        sparse = plan.is_sparse(y)
        with_s = [mase[i] for i in range(mase.size) if i in search] if not sparse else []
        without = [mase[i] for i in range(mase.size) if i not in search] if not sparse else []
        best_with = min(with_s) if with_s else np.nan
        best_without = min(without) if without else np.nan
        used = uses_search(fit.model)
        if key not in search_keys:
            decision = "no search values for this category: fitted without search"
        elif sparse:
            decision = "sparse category: intermittent-demand models, search not tried"
        else:
            decision = _decision(mase, search, with_s, without, used, spec, plan)
        rows.append(
            {
                spec.id_col: key,
                "covariates": ", ".join(lags),
                "lag": min(lags.values()),
                "mase_with_search": best_with,
                "mase_without_search": best_without,
                "uses_search": used,
                "decision": decision,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _decision(
    mase: np.ndarray,
    search: frozenset[int],
    with_s: list[float],
    without: list[float],
    used: bool,
    spec: Spec,
    plan: Plan,
) -> str:
    """Why a category with search values is, or is not, fed search."""
    margin = spec.search_margin
    if not with_s or not without:
        return (
            "fed search (no candidate without it to compare)"
            if used
            else "no candidate takes covariates: fitted without search"
        )
    best_with, best_without = min(with_s), min(without)
    if used:
        return (
            f"search kept: best with search {best_with:.3f} beats best without "
            f"{best_without:.3f} by more than {margin:.0%}"
        )
    if search_helps(mase, search, margin):
        return (
            f"search not chosen: best with search {best_with:.3f} beats best without "
            f"{best_without:.3f} by more than {margin:.0%}, but not the default "
            f"candidate ({mase[0]:.3f}) by more than selection_margin "
            f"({plan.selection_margin:.0%}) and in every backtest window"
        )
    return (
        f"search dropped: best with search {best_with:.3f} does not beat best "
        f"without {best_without:.3f} by more than {margin:.0%}"
    )
