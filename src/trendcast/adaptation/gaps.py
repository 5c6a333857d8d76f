"""``supply_gaps``: supply against the forecast demand distribution, per category and period."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import fail, real_number, whole_number
from trendcast.adaptation import _align
from trendcast.adaptation._distribution import (
    check_discrete,
    knot_layout,
    levels_in,
    period_stats,
    quantile_grid,
    read_edits,
    require_levels,
)
from trendcast.exceptions import DataValidationError, ParameterError
from trendcast.io.supply import read_supply

PriceLike = float | Mapping[Any, float] | pd.Series | str | None


def _check_params(
    kind: str,
    threshold: float,
    persistence: int,
    window: int | None,
    paths: object,
    covers: tuple[float | None, float | None],
) -> None:
    if kind not in ("flow", "stock"):
        raise ParameterError(f"kind must be 'flow' or 'stock', got {kind!r}.")
    real_number("threshold", threshold, low=0.5, high=1, open_low=True, open_high=True)
    if isinstance(persistence, bool) or not isinstance(persistence, int) or persistence < 1:
        raise DataValidationError(
            f"persistence must be a whole number of periods >= 1, got {persistence!r}."
        )
    whole_number("window", window, none=True)
    real_number("min_cover", covers[0], low=0, none=True)
    real_number("max_cover", covers[1], low=0, none=True)
    if window is not None and paths is None:
        raise fail(
            f"window={window} needs the joint distribution of demand over several periods, "
            "which the forecast intervals do not give",
            fix="pass paths=forecaster.sample_paths(h, n_paths=1000, output='arrays') "
            "(the probability that cumulative demand beats cumulative supply depends on how "
            "periods move together; multiplying per-period probabilities would be wrong)",
        )


def _runs(cond: np.ndarray, persistence: int) -> np.ndarray:
    """True where ``cond`` belongs to a run of at least ``persistence`` periods.

    A category with fewer periods than ``persistence`` needs all of them.
    """
    need = min(persistence, cond.size)
    out = np.zeros(cond.size, dtype=bool)
    start = None
    for i, c in enumerate([*cond.tolist(), False]):
        if c and start is None:
            start = i
        elif not c and start is not None:
            if i - start >= need:
                out[start:i] = True
            start = None
    return out


def _window_bounds(h: int, window: int | None) -> tuple[np.ndarray, np.ndarray]:
    starts = np.arange(h)
    ends = np.full(h, h) if window is None else starts + window
    return starts, ends


def _flow(
    x: np.ndarray, supply: np.ndarray, window: int | None, joint: bool
) -> dict[str, np.ndarray]:
    out = period_stats(x, supply)
    h = supply.size
    pw = np.full(h, np.nan)
    if joint:
        cs_d = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
        cs_s = np.concatenate([[0.0], np.cumsum(supply)])
        for t, end in zip(*_window_bounds(h, window), strict=True):
            if end <= h:
                pw[t] = np.mean(cs_d[:, end] - cs_d[:, t] > cs_s[end] - cs_s[t])
    out["p_short_window"] = pw
    return out


def _cover(mean: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Periods of mean demand, from each period on, that the stock position at its start lasts."""
    h = mean.size
    cum = np.concatenate([[0.0], np.cumsum(mean)])
    out = np.empty(h)
    for t in range(h):
        position = max(available[t] - cum[t], 0.0)
        ahead = cum[t + 1 :] - cum[t]
        k = int(np.searchsorted(ahead, position, side="right"))
        if k >= ahead.size:
            out[t] = np.inf
        else:
            done = ahead[k - 1] if k else 0.0
            out[t] = k + (position - done) / mean[t + k] if mean[t + k] > 0 else np.inf
    return out


def _stock(
    x: np.ndarray,
    receipts: np.ndarray,
    stock: float,
    mean: np.ndarray,
    window: int | None,
    joint: bool,
) -> dict[str, np.ndarray]:
    h = receipts.size
    available = stock + np.cumsum(receipts)
    cum = np.cumsum(x, axis=1)
    gap = cum - available[None, :]
    before = np.concatenate([np.zeros((x.shape[0], 1)), cum[:, :-1]], axis=1)
    # demand of the period that stock and receipts to date cannot serve once earlier
    # demand is served: (C_t - A_t)+ - (C_{t-1} - A_t)+ = min(D_t, (C_t - A_t)+)
    unserved = np.maximum(gap, 0.0) - np.maximum(before - available[None, :], 0.0)
    # never below zero: a return (demand < 0) leaves nothing unserved, and the difference
    # of two large sums can round below zero
    unserved = np.maximum(unserved, 0.0)
    pw = np.full(h, np.nan)
    if joint:
        for t, end in zip(*_window_bounds(h, window), strict=True):
            if end <= h:
                pw[t] = np.mean(gap[:, t:end].max(axis=1) > 0)
    return {
        "demand_to_date": np.cumsum(mean),
        "receipts": receipts,
        "supply": available,
        "cover": _cover(mean, available),
        "p_short": np.mean(gap > 0, axis=0),
        "p_short_window": pw,
        "expected_shortfall": unserved.mean(axis=0),
        "expected_excess": np.maximum(-gap, 0.0).mean(axis=0),
        # what has arrived by t outlasts all demand of the horizon
        "p_long": np.mean(cum[:, -1:] < available[None, :], axis=0),
    }


@dataclass(frozen=True)
class _Names:
    """Column names shared by the forecast, supply and paths frames."""

    id: str
    time: str
    supply: str
    target: str
    scenario: str | None


@dataclass(frozen=True)
class _Rule:
    """How supply meets demand, and when a period is flagged short or long."""

    kind: str
    window: int | None
    threshold: float
    persistence: int
    min_cover: float | None
    max_cover: float | None


@dataclass(frozen=True)
class _Demand:
    """Demand of every plan: joint sample paths, or the quantile grid of the intervals."""

    arrays: dict[Any, np.ndarray] | None  # per category, paths x periods
    grid: np.ndarray | None  # per forecast row, its quantiles
    nonnegative: bool

    @property
    def joint(self) -> bool:
        """Whether the draws are joint over periods (sample paths)."""
        return self.arrays is not None

    def shape(self, plan: _align.Plan) -> tuple[int, ...]:
        """The shape ``samples(plan)`` has, without drawing them."""
        if self.arrays is not None:
            return tuple(np.shape(self.arrays[plan.key]))
        assert self.grid is not None
        return (self.grid.shape[1], plan.rows.size)

    def samples(self, plan: _align.Plan) -> np.ndarray:
        """Draws x periods of the demand of one plan's category."""
        if self.arrays is not None:
            x = self.arrays[plan.key]
            return np.maximum(x, 0.0) if self.nonnegative else x
        assert self.grid is not None
        return self.grid[plan.rows].T


def _line_up(
    forecast: pd.DataFrame,
    supply: pd.DataFrame | str | os.PathLike[str],
    kind: str,
    unit_price: PriceLike,
    freq: str | None,
    names: _Names,
    missing: str = "warn",
) -> tuple[pd.DataFrame, list[_align.Plan], bool]:
    """The checked forecast, its plans (category x scenario) and whether they are priced."""
    fc = _align.check_forecast(forecast, names.id, names.time)
    price_col = unit_price if isinstance(unit_price, str) else None
    source = None
    if isinstance(supply, str | os.PathLike):
        source = str(supply)
        supply = read_supply(
            supply,
            id_col=names.id,
            time_col=names.time,
            supply_col=names.supply,
            scenario_col=names.scenario,
        )
    sup = _align.read_supply(supply, names.id, names.time, names.supply, names.scenario, price_col)
    plans = _align.align(
        fc,
        sup,
        kind=kind,
        freq=_align.forecast_freq(fc, names.id, names.time, freq),
        id_col=names.id,
        time_col=names.time,
        supply_col=names.supply,
        scenario_col=names.scenario,
    )
    _align.unplanned(fc, plans, names.id, missing, source)
    priced = _align.attach_prices(
        plans,
        unit_price,
        sup,
        fc,
        kind=kind,
        id_col=names.id,
        time_col=names.time,
        scenario_col=names.scenario,
    )
    return fc, plans, priced


def _demand(
    fc: pd.DataFrame,
    plans: list[_align.Plan],
    paths: Mapping[Any, np.ndarray] | pd.DataFrame | None,
    names: _Names,
    nonnegative: bool,
    discrete: bool | str = "auto",
) -> _Demand:
    """The sample paths lined up with the plans, or the quantiles of the rows they use."""
    if paths is not None:
        keys = list(dict.fromkeys(p.key for p in plans))
        arrays = _align.align_paths(paths, fc, keys, names.id, names.time, names.target)
        arrays = _follow_edits(arrays, fc, names.id)
        return _Demand(arrays=arrays, grid=None, nonnegative=nonnegative)
    levels = require_levels(fc)
    used = np.unique(np.concatenate([p.rows for p in plans]))
    q, _ = quantile_grid(fc.iloc[used], levels, 0.0 if nonnegative else None, discrete)
    grid = np.empty((len(fc), q.shape[1]))
    grid[used] = q
    return _Demand(arrays=None, grid=grid, nonnegative=nonnegative)


def _follow_edits(
    arrays: dict[Any, np.ndarray], fc: pd.DataFrame, id_col: str
) -> dict[Any, np.ndarray]:
    """Paths of periods whose mean was edited without its bounds, moved to the new mean.

    The rule of the intervals (``_distribution.Edits``), with the mean of the
    paths for the bounds' own mean. A forecast without intervals is taken as it is.
    """
    levels = levels_in(fc)
    if not levels:
        return arrays
    zk, cols = knot_layout(levels)
    values = np.sort(fc[cols].to_numpy(dtype=float), axis=1)
    mean = fc["mean"].to_numpy(dtype=float)
    edits = read_edits(values, mean)
    if not edits.moved.any():
        return arrays
    out = dict(arrays)
    for key, rows in fc.groupby(id_col, sort=False).indices.items():
        rows = np.asarray(rows)
        if key not in out or not edits.moved[rows].any():
            continue
        x = out[key].copy()
        own = x.mean(axis=0)
        scale = edits.scaled[rows] & (own > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            x *= np.where(scale, mean[rows] / own, 1.0)[None, :]
        x += np.where(edits.moved[rows] & ~scale, mean[rows] - own, 0.0)[None, :]
        out[key] = x
    return out


def _flags(cols: dict[str, np.ndarray], rule: _Rule) -> tuple[np.ndarray, np.ndarray]:
    """``short`` of each period, and its flag once persistence is asked for."""
    short = cols["p_short"] >= rule.threshold
    long = cols["p_long"] >= rule.threshold
    if rule.kind == "stock" and rule.min_cover is not None:
        short |= cols["cover"] < rule.min_cover
    if rule.kind == "stock" and rule.max_cover is not None:
        long |= cols["cover"] > rule.max_cover
    flag = np.where(
        _runs(short, rule.persistence),
        "short",
        np.where(_runs(long, rule.persistence), "long", "ok"),
    )
    return short, flag


def _plan_columns(
    plan: _align.Plan, mean: np.ndarray, demand: _Demand, rule: _Rule, priced: bool
) -> dict[str, np.ndarray]:
    """The output columns of one plan, period by period."""
    x = demand.samples(plan)
    if rule.kind == "flow":
        cols = _flow(x, plan.supply, rule.window, demand.joint)
    else:
        cols = _stock(x, plan.supply, plan.stock, mean, rule.window, demand.joint)
    return _finish_plan(cols, plan, mean, rule, priced)


def _finish_plan(
    cols: dict[str, np.ndarray], plan: _align.Plan, mean: np.ndarray, rule: _Rule, priced: bool
) -> dict[str, np.ndarray]:
    """A plan's columns once its demand is compared with supply: flags, mean, values."""
    if rule.kind == "flow":
        cols["supply"] = plan.supply
    short, cols["flag"] = _flags(cols, rule)
    cols["short"] = short
    cols["mean"] = mean
    if priced:
        assert plan.price is not None
        cols["shortfall_value"] = cols["expected_shortfall"] * plan.price
        cols["excess_value"] = cols["expected_excess"] * plan.price
    return cols


def _flow_many(x: np.ndarray, supply: np.ndarray, window: int | None, joint: bool) -> dict:
    """``_flow`` of many plans of one shape at once: ``x`` (plans, draws, h), ``supply`` (plans, h).

    Each plan's numbers are those ``_flow`` gives it alone: means over the
    draws add the draws in the same order (one after the other), cumulative
    sums run along the same axis.
    """
    diff = x - supply[:, None, :]
    out = {
        "p_short": np.mean(diff > 0, axis=1),
        "p_long": np.mean(diff < 0, axis=1),
        "expected_shortfall": np.mean(np.maximum(diff, 0.0), axis=1),
        "expected_excess": np.mean(np.maximum(-diff, 0.0), axis=1),
    }
    k, n, h = x.shape
    pw = np.full((k, h), np.nan)
    if joint:
        cs_d = np.concatenate([np.zeros((k, n, 1)), np.cumsum(x, axis=2)], axis=2)
        cs_s = np.concatenate([np.zeros((k, 1)), np.cumsum(supply, axis=1)], axis=1)
        for t, end in zip(*_window_bounds(h, window), strict=True):
            if end <= h:
                pw[:, t] = np.mean(
                    cs_d[:, :, end] - cs_d[:, :, t] > (cs_s[:, end] - cs_s[:, t])[:, None], axis=1
                )
    out["p_short_window"] = pw
    return out


#: flow plans compared together: (250, 200 draws, 13 periods) is 5 MB an array
_BATCH = 250


def _all_plan_columns(
    plans: list[_align.Plan], mean: np.ndarray, demand: _Demand, rule: _Rule, priced: bool
) -> list[dict[str, np.ndarray]]:
    """``_plan_columns`` of every plan; flow plans of one shape are computed together.

    A nightly run compares thousands of categories with their plans; one call
    a category cost most of its gaps stage. Stock plans go one at a time.
    """
    if rule.kind != "flow":
        return [_plan_columns(plan, mean[plan.rows], demand, rule, priced) for plan in plans]
    shapes: dict[tuple[int, ...], list[int]] = {}
    for i, plan in enumerate(plans):
        shape = demand.shape(plan)
        if len(shape) == 2 and plan.supply.shape == shape[1:]:
            shapes.setdefault(shape, []).append(i)
    parts: list[dict[str, np.ndarray] | None] = [None] * len(plans)
    for where in shapes.values():
        for start in range(0, len(where), _BATCH):  # the draws of a batch at a time
            batch = where[start : start + _BATCH]
            many = _flow_many(
                np.stack([demand.samples(plans[i]) for i in batch]),
                np.stack([plans[i].supply for i in batch]),
                rule.window,
                demand.joint,
            )
            for j, i in enumerate(batch):
                cols = {name: values[j] for name, values in many.items()}
                parts[i] = _finish_plan(cols, plans[i], mean[plans[i].rows], rule, priced)
    return [
        part if part is not None else _plan_columns(plan, mean[plan.rows], demand, rule, priced)
        for part, plan in zip(parts, plans, strict=True)
    ]


def _column_order(out: pd.DataFrame, kind: str, priced: bool, names: _Names) -> list[str]:
    """The output columns in the order the docstring of ``supply_gaps`` lists them."""
    stock_cols = ["demand_to_date", "receipts"] if kind == "stock" else []
    return (
        [names.id, names.time]
        + ([names.scenario] if names.scenario else [])
        + (["model"] if "model" in out else [])
        + ["mean", *stock_cols, "supply"]
        + (["cover"] if kind == "stock" else [])
        + ["p_short", "p_short_window", "expected_shortfall", "expected_excess"]
        + (["shortfall_value", "excess_value"] if priced else [])
        + ["shortfall_share", "p_long", "short", "flag", "distribution"]
    )


def _assemble(
    fc: pd.DataFrame,
    plans: list[_align.Plan],
    parts: list[dict[str, np.ndarray]],
    rule: _Rule,
    priced: bool,
    joint: bool,
    names: _Names,
) -> pd.DataFrame:
    """One frame of all plans, sorted by scenario, category and period."""
    scen_order = {s: i for i, s in enumerate(dict.fromkeys(p.scenario for p in plans))}
    columns: dict[str, list[np.ndarray]] = {}
    for plan, cols in zip(plans, parts, strict=True):
        where = {"_rows": plan.rows, "_scen": np.full(plan.rows.size, scen_order[plan.scenario])}
        for name, values in {**cols, **where}.items():
            columns.setdefault(name, []).append(np.asarray(values))
    flat = {name: np.concatenate(pieces) for name, pieces in columns.items()}
    keep = [names.id, names.time, *(["model"] if "model" in fc else [])]
    out = fc[keep].iloc[flat.pop("_rows")].reset_index(drop=True)
    scen_idx = flat.pop("_scen")
    if names.scenario is not None:
        out.insert(2, names.scenario, np.array(list(scen_order), dtype=object)[scen_idx])
    out["_scen"] = scen_idx
    for name, values in flat.items():
        out[name] = values
    out["distribution"] = "paths" if joint else "intervals"
    mean_all = out["mean"].to_numpy(float)
    with np.errstate(over="ignore"):  # a mean of 1e-310 against paths: an infinite share
        out["shortfall_share"] = np.divide(
            out["expected_shortfall"].to_numpy(float),
            mean_all,
            out=np.zeros_like(mean_all),
            where=mean_all > 0,
        )
    order = _column_order(out, rule.kind, priced, names)
    out = out.sort_values(["_scen", names.id, names.time], kind="stable")[order]
    if names.supply != "supply":
        out = out.rename(columns={"supply": names.supply})
    return out.reset_index(drop=True)


def _check_missing(missing: str) -> None:
    if missing not in ("error", "warn", "ignore"):
        raise ParameterError(
            f"missing must be 'error', 'warn' or 'ignore', got {missing!r}: what to do with "
            "forecast categories that the plan does not list"
        )


@accepts_frames
def supply_gaps(
    forecast: pd.DataFrame,
    supply: pd.DataFrame | str | os.PathLike[str],
    *,
    kind: Literal["flow", "stock"] = "flow",
    paths: Mapping[Any, np.ndarray] | pd.DataFrame | None = None,
    window: int | None = None,
    threshold: float = 0.8,
    persistence: int = 2,
    unit_price: PriceLike = None,
    scenario_col: str | None = None,
    min_cover: float | None = None,
    max_cover: float | None = None,
    freq: str | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    supply_col: str = "supply",
    target_col: str = "y",
    nonnegative: bool = True,
    missing: Literal["error", "warn", "ignore"] = "warn",
    discrete: bool | Literal["auto"] = "auto",
) -> pd.DataFrame:
    """Compare supply with the forecast demand distribution, per category and period.

    Parameters
    ----------
    forecast : DataFrame
        Output of [`TrendForecaster.predict`][trendcast.TrendForecaster.predict]: ``mean``
        and at least one ``lo-<l>``/``hi-<l>`` pair (quantiles of demand), one model
        per category; see "A mean edited without its bounds" in the docs.
    supply : DataFrame or path
        Long frame ``id_col, time_col, supply_col`` (plus ``scenario_col`` and a price
        column if used), or the path of a CSV, Excel or Parquet file read with
        [`read_supply`][trendcast.read_supply] (long or wide; call it yourself for
        its options). ``kind="flow"``: the supply of every forecast period (rows
        outside the horizon are ignored). ``kind="stock"``: the stock on hand at the
        forecast origin, plus optional rows of receipts in forecast periods.
    kind : {"flow", "stock"}
        How supply meets demand (docs page "Supply gaps").
    paths : dict or DataFrame, optional
        Joint sample paths from
        [`TrendForecaster.sample_paths`][trendcast.TrendForecaster.sample_paths]
        (``output="arrays"`` or the long frame), for the same horizon. With paths,
        every number comes from their empirical distribution; without, from the
        intervals (per period), ``p_short_window`` is missing and stock sums periods
        as if perfectly dependent (an upper bound on the spread).
    window : int, optional
        Periods in ``p_short_window`` (default: the rest of the horizon); needs ``paths``.
    threshold : float
        A period is ``short`` when ``p_short >= threshold`` (default 0.8).
    persistence : int
        Flag when the condition holds this many periods in a row (default 2; all
        periods when the horizon is shorter).
    unit_price : float, dict, Series or str, optional
        Price per unit: one number, one per category, or a column of ``supply``;
        adds ``shortfall_value`` and ``excess_value``.
    scenario_col : str, optional
        Column of ``supply`` naming alternative plans, compared side by side.
    min_cover, max_cover : float, optional
        Stock: short below ``min_cover`` periods of mean demand, long above ``max_cover``.
    freq : str, optional
        Forecast frequency (default: inferred from the forecast dates).
    id_col, time_col, supply_col, target_col : str
        Category and period columns (all frames), supply column, paths' value column.
    nonnegative : bool
        Demand cannot be negative (the default).
    missing : {"warn", "error", "ignore"}
        Forecast categories with no row in the plan (they get no gap rows): a
        ``DataWarning`` naming them (default), an error naming them, or silence.
    discrete : bool or "auto"
        Without ``paths``, rows read as counts of whole units: ``"auto"``, whole-number
        bounds around a mean that is not; ``True``, whole-number bounds; ``False``, none.

    Returns
    -------
    DataFrame
        One row per category (x scenario) and forecast period: ``id_col, time_col,
        [scenario_col], [model], mean, supply, p_short, p_short_window,
        expected_shortfall, expected_excess, [shortfall_value, excess_value],
        shortfall_share, p_long, short, flag, distribution``. Stock adds ``demand_to_date,
        receipts, cover``; its ``supply`` is the stock at the origin plus receipts to date.

    Raises
    ------
    DataValidationError
        Supply not lined up with the forecast, bad values, paths of another
        shape, ``window`` without ``paths``, ``persistence`` below 1, or bounds
        that cannot be quantiles (missing, infinite, crossing, not nested).
    ParameterError
        ``kind``, ``threshold`` (0.5-1), ``window``, ``min_cover``/``max_cover``,
        ``unit_price``, ``freq`` or ``discrete`` out of range.

    Warns
    -----
    DataWarning
        A mean outside its widest interval: its distribution moves to the mean.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    >>> fc = pd.DataFrame({"unique_id": "a", "ds": months, "model": "ETS",
    ...                    "mean": 100.0, "lo-80": 80.0, "hi-80": 120.0})
    >>> plan = pd.DataFrame({"unique_id": "a", "ds": months, "supply": [70.0, 75.0]})
    >>> gaps = tc.supply_gaps(fc, plan)
    >>> gaps[["p_short", "short", "flag"]].round(2).to_dict("records")
    [{'p_short': 0.97, 'short': True, 'flag': 'short'}, {'p_short': 0.95, 'short': True, 'flag': 'short'}]
    """  # noqa: E501
    _check_params(kind, threshold, persistence, window, paths, (min_cover, max_cover))
    names = _Names(id_col, time_col, supply_col, target_col, scenario_col)
    _check_missing(missing)
    discrete = check_discrete(discrete)
    fc, plans, priced = _line_up(forecast, supply, kind, unit_price, freq, names, missing)
    demand = _demand(fc, plans, paths, names, nonnegative, discrete)
    rule = _Rule(kind, window, threshold, persistence, min_cover, max_cover)
    mean = fc["mean"].to_numpy(float)
    parts = _all_plan_columns(plans, mean, demand, rule, priced)
    return _assemble(fc, plans, parts, rule, priced, demand.joint, names)
