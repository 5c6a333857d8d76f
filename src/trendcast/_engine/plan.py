"""What to fit per category: candidates, fallbacks, backtest, search, shared pools."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from trendcast._engine.spec import MAX_HORIZON, Spec
from trendcast._params import clone
from trendcast._past_covariates import route, uses_search
from trendcast._validation import real_number, whole_number
from trendcast.backtest import cutoffs
from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models import (
    ARIMA,
    CES,
    ETS,
    Combination,
    DynamicTheta,
    LocalModel,
    Naive,
    PooledRegression,
    RegressionModel,
    SeasonalNaive,
    Theta,
)
from trendcast.models.sparse import IntermittentDemand, is_sparse


@dataclass(frozen=True)
class Plan:
    """How to fit one category: the candidates, the fallbacks, the backtest.

    Its fields, in this order, are what the saved format stores as the plan.
    """

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
    #: calibrate with each category's own scale (``calibration="conformal"``);
    #: False pools the errors as they are (``"pooled"``, the calibration before)
    scale_by_category: bool = False

    def is_sparse(self, y: np.ndarray) -> bool:
        """``y`` is fitted with the sparse candidates (it has them and is sparse)."""
        return self.sparse_candidates is not None and bool(np.all(y >= 0)) and is_sparse(y)


@dataclass(frozen=True)
class SearchSetup:
    """The categories with search, their plan, and the positions of its search candidates."""

    keys: frozenset[Any]
    plan: Plan
    positions: frozenset[int]

    def with_keys(self, keys: frozenset[Any] | set[Any]) -> SearchSetup:
        """The same setup with ``keys`` added to the categories with search."""
        return replace(self, keys=self.keys | frozenset(keys))


def auto_ets() -> ETS:
    """The ETS of ``"auto"``: its trend, when it has one, is damped.

    Chosen on the validation splits of M3 (docs/evidence.md); every ETS among
    ``"auto"``'s candidates is this one, alone and inside the combinations.
    """
    return ETS(damped=True)


def default_combination() -> Combination:
    """The first candidate of ``"auto"``: the median of six models.

    ETS, ARIMA, Theta, DynamicTheta and CES each learn from the category
    alone; PooledRegression learns from the windows of every category. The
    median is the middle forecast (the mean of the middle two), so one member
    far off (an ARIMA that differenced twice, say) does not move it.
    """
    return Combination(
        [auto_ets(), ARIMA(), Theta(), DynamicTheta(), CES(), PooledRegression()],
        method="median",
    )


def fast_combination() -> Combination:
    """The one candidate of ``"fast"``: the mean of Theta and DynamicTheta.

    Both fit in a millisecond or two a series (no form or order search); their
    mean was the most accurate of the cheap presets tried on the validation
    splits of M3 (``benchmarks/fast_presets.py``; figures in docs/models.md).
    """
    return Combination([Theta(), DynamicTheta()])


#: the presets ``models=`` takes by name
PRESETS = ("auto", "fast")


def _auto_candidates(m: int) -> list[LocalModel]:
    candidates: list[LocalModel] = [
        default_combination(),
        Combination([auto_ets(), Theta()]),
        auto_ets(),
        ARIMA(),
        Theta(),
        DynamicTheta(),
        CES(),
        SeasonalNaive(),
        Naive(),
    ]
    if m == 1:  # without a season, seasonal naive is naive: score it once
        candidates = [c for c in candidates if not isinstance(c, SeasonalNaive)]
    return candidates


def build_plan(params: Mapping[str, Any], spec: Spec) -> Plan:
    """The plan of a forecaster's parameters for data described by ``spec``.

    Raises
    ------
    ParameterError
        For ``selection_margin``, ``models`` or ``calibration`` values that
        are not understood.
    """
    m = spec.season_length
    margin = real_number(
        "selection_margin", params["selection_margin"], low=0, high=1, open_high=True
    )
    backtest_horizon = whole_number(
        "backtest_horizon", params["backtest_horizon"], high=MAX_HORIZON, none=True
    )
    backtest_windows = whole_number(
        "backtest_windows", params["backtest_windows"], high=MAX_HORIZON
    )
    models = params["models"]
    sparse: list[LocalModel] | None = None
    if isinstance(models, str):
        if models not in PRESETS:
            raise ParameterError(
                f"models={models!r} is not understood; pass 'auto', 'fast', a model "
                "instance or a list of model instances (see trendcast.models)"
            )
        candidates = _auto_candidates(m) if models == "auto" else [fast_combination()]
        # counts (whole-number histories) are simulated in whole units
        sparse = [IntermittentDemand(discrete="auto"), Naive()]
    elif isinstance(models, LocalModel):
        candidates = [models]
    else:
        listed = hasattr(models, "__iter__") and not isinstance(models, bytes | Mapping)
        candidates = list(models) if listed else []
        if not candidates or not all(isinstance(c, LocalModel) for c in candidates):
            raise ParameterError(
                "models must be 'auto', a model instance or a non-empty list of model "
                f"instances from trendcast.models; got {models!r}"
            )
    fallback = params["fallback_model"]
    fallbacks: list[LocalModel] = (
        [fallback, Naive()] if fallback is not None else [Theta(), SeasonalNaive(), Naive()]
    )
    h_bt = backtest_horizon if backtest_horizon is not None else min(-(-m // 2), 13)
    if params["calibration"] not in ("conformal", "pooled", None):
        raise ParameterError(
            f"calibration={params['calibration']!r} is not understood; pass 'conformal', "
            "'pooled' or None"
        )
    return Plan(
        candidates=tuple(with_season(c, m) for c in candidates),
        fallbacks=tuple(with_season(f, m) for f in fallbacks),
        season_length=m,
        backtest_horizon=int(h_bt),
        backtest_windows=int(backtest_windows),  # type: ignore[arg-type]
        selection_margin=float(margin),  # type: ignore[arg-type]
        sparse_candidates=None if sparse is None else tuple(sparse),
        freq=spec.freq,
        calibrate=params["calibration"] in ("conformal", "pooled"),
        scale_by_category=params["calibration"] == "conformal",
    )


def search_plan(plan: Plan, models: Any, spec: Spec, n_future: int) -> tuple[Plan, frozenset[int]]:
    """The plan of the categories with search, and its candidates fed search.

    For ``"auto"`` the usual candidates come first (kept off search, so
    their positions, hence calibration, match the plain plan), then ARIMA,
    ``RegressionModel`` and the default combination fed search; for
    ``"fast"``, ``RegressionModel`` alone.
    A model or list given by the caller is fed search where it takes
    covariates.
    """
    names, ks = list(spec.past_lags), list(spec.past_lags.values())
    m = plan.season_length
    beyond = "forecast" if spec.beyond_lag == "forecast" else "mean"

    def wrap(model: LocalModel, with_search: bool) -> LocalModel:
        return route(model, n_future, ks if with_search else None, names, m, beyond)

    if isinstance(models, str):
        fed = (
            [RegressionModel()]
            if models == "fast"
            else [ARIMA(), RegressionModel(), default_combination()]
        )
        extra = [with_season(c, m) for c in fed]
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


def with_season(model: LocalModel, m: int) -> LocalModel:
    """A copy of ``model`` with season length ``m`` where it has none set."""
    model = clone(model)
    if "season_length" in model.get_params() and model.get_params()["season_length"] is None:
        model.set_params(season_length=m)
    return model


def dated(model: LocalModel, start: pd.Timestamp | None, freq: str) -> LocalModel:
    """A model that works on dates (Prophet) gets the category's real calendar."""
    if start is None:
        return model
    params = model.get_params(deep=False)
    if "start" in params and params["start"] is None:
        model = clone(model).set_params(start=start)
        if "freq" in params and params["freq"] is None:
            model.set_params(freq=freq)
    elif isinstance(model, Combination) and model.models is not None:
        model = clone(model).set_params(models=[dated(m, start, freq) for m in model.models])
    return model


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


def pool_plans(plans: Sequence[Plan | None], histories: Sequence[np.ndarray]) -> list[Any]:
    """The plans with their PooledRegression models trained on ``histories``.

    Each pool is trained once (equal settings share it) on every history but
    its last ``backtest_horizon * backtest_windows`` values: the selection
    backtest forecasts those, so no model is scored on what its pool saw. A
    pool that finds no history long enough is left untrained (each category
    then trains its own, or falls back with the reason).
    """
    trained: dict[str, LocalModel] = {}

    def train(model: PooledRegression, plan: Plan) -> LocalModel:
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

        def attach(models: Sequence[LocalModel], plan: Plan = plan) -> tuple[LocalModel, ...]:
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


def window_plans(
    plans: Sequence[Plan | None],
    histories: Sequence[np.ndarray],
    h: int,
    n_windows: int,
    step_size: int | None,
) -> list[list[Any]]:
    """Per cross-validation window, ``plans`` with pools trained before that window.

    A window's pools see each category's history up to that window's cutoff
    only (and hold out its own backtest span before it), as a nightly fit on
    that date would have.
    """
    out = []
    for k in range(n_windows):
        cut = []
        for y in histories:
            points = cutoffs(y.size, h, n_windows, step_size)
            if len(points) == n_windows:
                cut.append(y[: points[k]])
        out.append(pool_plans(plans, cut))
    return out
