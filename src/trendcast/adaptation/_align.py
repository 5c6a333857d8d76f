"""Line a supply frame (and sample paths, prices) up with the forecast, or say why not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

import trendcast._frequency as freqs
from trendcast._validation import (
    check_forecast_columns,
    count,
    fail,
    format_items,
    format_rows,
    require_columns,
    show,
    verb,
)
from trendcast._warnings import warn
from trendcast.adaptation._distribution import check_bounds, levels_in, warn_edits
from trendcast.exceptions import DataValidationError, DataWarning, ParameterError

_NAMES = {"D": "daily", "W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}


@dataclass
class Plan:
    """The supply of one category (in one scenario), period by period."""

    key: Any
    scenario: Any
    rows: np.ndarray  # positions of the category's forecast rows, in time order
    supply: np.ndarray  # flow: supply per period; stock: receipts per period
    stock: float  # stock on hand at the origin (stock only, else nan)
    origin: pd.Timestamp | None  # stock only
    price: np.ndarray | None = None


def check_forecast(forecast: pd.DataFrame, id_col: str, time_col: str) -> pd.DataFrame:
    """A sorted copy of the forecast with datetime periods, or a clear error.

    Interval bounds that cannot be quantiles are an error naming the rows; a
    mean outside what its intervals allow (an override) is warned about (see
    ``_distribution.warn_edits``).
    """
    check_forecast_columns(forecast, id_col, time_col)
    fc = forecast.reset_index(drop=True).copy()
    try:
        fc[time_col] = pd.to_datetime(fc[time_col])
    except (TypeError, ValueError) as exc:
        raise fail(
            f"forecast dates cannot be read ({exc})", column=time_col, fix="pass the forecast"
        ) from exc
    dup = np.flatnonzero(fc.duplicated([id_col, time_col], keep=False).to_numpy())
    if dup.size:
        raise fail(
            f"{count(dup.size, 'forecast row')} {verb(dup.size, 'shares', 'share')} a "
            "(category, period)",
            column=time_col,
            expected="one forecast row per category and period",
            found=format_rows(fc, dup, [id_col, time_col, "model"]),
            fix="pass one model's forecast (e.g. filter on the model column)",
        )
    mean = pd.to_numeric(fc["mean"], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(mean))
    if bad.size:
        raise fail(
            f"{count(bad.size, 'forecast mean')} {verb(bad.size, 'is', 'are')} missing or infinite",
            column="mean",
            found=format_rows(fc, bad, [id_col, time_col, "mean"]),
            fix="drop those categories or forecast them again",
        )
    levels = levels_in(fc)
    if levels:
        check_bounds(fc, levels, [id_col, time_col])
        warn_edits(fc, levels, [id_col, time_col])
    return fc.sort_values([id_col, time_col], kind="stable").reset_index(drop=True)


def forecast_freq(fc: pd.DataFrame, id_col: str, time_col: str, freq: str | None) -> str | None:
    if freq is not None:
        try:
            return freqs.normalize_freq(freq)
        except ValueError as exc:
            raise ParameterError(
                f"freq={freq!r} is not a frequency trendcast supports ({exc}); pass one of "
                f"{freqs.SUPPORTED}, or leave freq=None to infer it from the forecast"
            ) from exc
    return freqs.infer_freq(fc[time_col], fc[id_col])


def _describe(freq: str) -> str:
    return f"{_NAMES.get(freqs.kind_of(freq), '')} ({freq})"


def read_supply(
    supply: pd.DataFrame,
    id_col: str,
    time_col: str,
    supply_col: str,
    scenario_col: str | None,
    price_col: str | None,
) -> pd.DataFrame:
    """A checked copy of the supply frame: columns present, values finite and >= 0, unique."""
    need = [id_col, time_col, supply_col]
    need += [c for c in (scenario_col, price_col) if c is not None]
    require_columns(
        supply,
        need,
        "the supply frame",
        "pass a long frame with those columns; rename them or pass id_col=, time_col=, "
        "supply_col=, scenario_col=",
    )
    raw = supply.reset_index(drop=True)
    out = raw[need].copy()
    try:
        out[time_col] = pd.to_datetime(out[time_col])
    except (TypeError, ValueError) as exc:
        raise fail(
            f"supply dates cannot be read ({exc})",
            column=time_col,
            fix="use dates like 2024-01-01, dated like the sales",
        ) from exc
    for col in [supply_col] + ([price_col] if price_col else []):
        values = pd.to_numeric(out[col], errors="coerce").astype(float).to_numpy()
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if bad.size:
            raise fail(
                f"{count(bad.size, 'value')} {verb(bad.size, 'is', 'are')} missing, "
                "not a number, infinite or negative",
                column=col,
                expected="a finite value of zero or more on every row",
                found=format_rows(raw, bad, need),
                fix="correct or drop those rows",
            )
        out[col] = values
    keys = [c for c in (scenario_col, id_col, time_col) if c is not None]
    dup = np.flatnonzero(out.duplicated(keys, keep=False).to_numpy())
    if dup.size:
        what = "(scenario, category, period)" if scenario_col else "(category, period)"
        raise fail(
            f"{count(dup.size, 'supply row')} {verb(dup.size, 'shares', 'share')} a {what}",
            column=time_col,
            expected=f"one supply value per {what}",
            found=format_rows(out, dup, need),
            fix="sum or deduplicate the supply plan first, or name the plans with scenario_col=",
        )
    return out


def _check_dates(
    sup: pd.DataFrame, id_col: str, time_col: str, freq: str | None, kind: str
) -> None:
    """Supply dated at another frequency or anchor than the forecast is an error.

    Stock receipts are sparse (a delivery now and then), so their spacing says
    nothing about their frequency: only their anchor is checked.
    """
    if freq is None:
        return
    sup_freq = None
    if kind == "flow":
        ordered = sup.drop_duplicates([id_col, time_col]).sort_values([id_col, time_col])
        sup_freq = freqs.infer_freq(ordered[time_col], ordered[id_col])
    if sup_freq is not None and freqs.kind_of(sup_freq) != freqs.kind_of(freq):
        raise fail(
            f"the supply is {_describe(sup_freq)}, the forecast {_describe(freq)}",
            column=time_col,
            expected=f"supply per {_describe(freq)} period, dated like the forecast",
            found=f"supply dates {format_items(sorted(sup[time_col].unique()))}",
            fix="aggregate (or split) the supply to the forecast periods first, e.g. "
            f"supply.groupby([id, pd.Grouper(key='ds', freq='{freq}')]).sum()",
        )
    off = ~freqs.on_offset(sup[time_col], freq)
    bad = np.flatnonzero(off)
    if bad.size:
        start = to_offset(freq).rollback(pd.Timestamp(sup[time_col].iloc[bad[0]]))
        seen = f" (the supply looks {sup_freq})" if sup_freq and sup_freq != freq else ""
        raise fail(
            f"{count(bad.size, 'supply date')} {verb(bad.size, 'is', 'are')} not on the "
            f"forecast's {_describe(freq)} anchor{seen}",
            column=time_col,
            expected=f"dates on {freq} like the forecast (e.g. {show(start)})",
            found=format_rows(sup, bad, [id_col, time_col]),
            fix="date each period the way the forecast does (e.g. with ds.dt.to_period(...)"
            ".dt.start_time for start-of-period codes), or forecast at that frequency",
        )


def _unknown_categories(sup: pd.DataFrame, fc: pd.DataFrame, id_col: str) -> None:
    known = set(fc[id_col].unique())
    unknown = [k for k in pd.unique(sup[id_col]) if k not in known]
    if unknown:
        raise fail(
            f"{count(len(unknown), 'supply category', 'supply categories')} "
            f"{verb(len(unknown), 'is', 'are')} not in the forecast",
            column=id_col,
            expected=f"categories of the forecast ({format_items(sorted(known, key=str))})",
            found=format_items(unknown),
            fix="correct the category codes (same type and spelling as the sales), forecast "
            "those categories too, or drop their supply rows",
        )


def _missing(items: list[tuple[Any, Any, list[pd.Timestamp]]], what: str, fix: str) -> None:
    if not items:
        return
    shown = "; ".join(
        (f"scenario {show(s)}, " if s is not None else "")
        + f"category {show(k)}: {format_items(d)}"
        for s, k, d in items[:5]
    )
    more = f"; and {len(items) - 5} more" if len(items) > 5 else ""
    total = sum(len(d) for _, _, d in items)
    raise fail(
        f"{count(total, 'forecast period')} of {count(len(items), 'category', 'categories')} "
        f"{verb(total, 'has', 'have')} no {what}",
        column="ds",
        expected=f"{what} for every forecast period of each category in the supply frame",
        found=shown + more,
        fix=fix,
    )


def _groups(fc: pd.DataFrame, id_col: str) -> dict[Any, np.ndarray]:
    return {k: np.asarray(v) for k, v in fc.groupby(id_col, sort=False).indices.items()}


def align(
    fc: pd.DataFrame,
    sup: pd.DataFrame,
    *,
    kind: str,
    freq: str | None,
    id_col: str,
    time_col: str,
    supply_col: str,
    scenario_col: str | None,
) -> list[Plan]:
    """One ``Plan`` per category (and scenario) of the supply, lined up with the forecast."""
    _unknown_categories(sup, fc, id_col)
    _check_dates(sup, id_col, time_col, freq, kind)
    groups = _groups(fc, id_col)
    dates = fc[time_col].to_numpy(dtype="datetime64[ns]")
    sup_dates = sup[time_col].to_numpy(dtype="datetime64[ns]")
    sup_values = sup[supply_col].to_numpy(dtype=float)
    scen_values = sup[scenario_col].to_numpy() if scenario_col else None
    scenarios = list(pd.unique(sup[scenario_col])) if scenario_col else [None]
    plans: list[Plan] = []
    missing: list[tuple[Any, Any, list[pd.Timestamp]]] = []
    no_origin: list[tuple[Any, Any, list[pd.Timestamp]]] = []
    early: list[int] = []
    for scen in scenarios:
        chosen = np.arange(len(sup)) if scen_values is None else np.flatnonzero(scen_values == scen)
        part = sup.iloc[chosen]
        for key, local in part.groupby(id_col, sort=False).indices.items():
            pos = chosen[np.asarray(local)]
            rows = groups[key]
            want = dates[rows]
            order = np.argsort(sup_dates[pos], kind="stable")
            have, vals = sup_dates[pos][order], sup_values[pos][order]
            at = np.clip(np.searchsorted(have, want), 0, have.size - 1)
            found = have[at] == want
            if kind == "flow":
                if not found.all():
                    missing.append((scen, key, [pd.Timestamp(d) for d in want[~found]]))
                    continue
                plans.append(Plan(key, scen, rows, vals[at], np.nan, None))
                continue
            if freq is None:
                raise fail(
                    "the forecast frequency cannot be inferred (one period per category)",
                    fix="pass freq= (e.g. freq='MS') so that the stock date can be checked",
                )
            origin = pd.Timestamp(want.min()) - to_offset(freq)
            is_origin = have == np.datetime64(origin, "ns")
            if not is_origin.any():
                no_origin.append((scen, key, [origin]))
                continue
            early.extend(int(p) for p in pos[order][have < np.datetime64(origin, "ns")])
            receipts = np.where(found, vals[at], 0.0)
            plans.append(Plan(key, scen, rows, receipts, float(vals[is_origin][0]), origin))
    _missing(
        missing,
        "supply",
        "add supply for those periods (0 if nothing is planned), or cut the forecast to the "
        "planned periods (e.g. forecast[forecast.ds <= last_planned])",
    )
    _missing(
        no_origin,
        "stock on hand at the forecast origin (listed: the date expected)",
        "add a row dated at the last observed period with the stock on hand at its end "
        "(0 if none); later rows are receipts",
    )
    if early:
        raise fail(
            f"{count(len(early), 'stock row')} {verb(len(early), 'is', 'are')} dated before "
            "the forecast origin",
            column=time_col,
            expected="the stock on hand at the origin (the last observed period) and "
            "receipts in the forecast periods",
            found=format_rows(sup, early, [id_col, time_col, supply_col]),
            fix="keep only the latest stock row (at the origin) and the scheduled receipts",
        )
    if not plans:
        raise fail(
            "no supply row matches a forecast category",
            column=id_col,
            fix="pass supply for the forecast categories",
        )
    return plans


def unplanned(
    fc: pd.DataFrame, plans: list[Plan], id_col: str, missing: str, source: str | None
) -> None:
    """Forecast categories without a plan: an error, a DataWarning or nothing, by ``missing``."""
    planned = {p.key for p in plans}
    absent = [k for k in pd.unique(fc[id_col]) if k not in planned]
    if not absent or missing == "ignore":
        return
    problem = (
        f"{count(len(absent), 'forecast category', 'forecast categories')} "
        f"{verb(len(absent), 'has', 'have')} no supply plan"
    )
    fix = (
        "add their supply to the plan (0 if nothing is planned), drop them from the forecast, "
        "or pass missing='ignore' to compare only the planned categories"
    )
    if missing == "warn":
        warn(
            f"{problem}: {format_items(absent)}; "
            f"{verb(len(absent), 'it gets', 'they get')} no gap rows "
            "(missing='warn'; pass missing='ignore' to silence this)",
            DataWarning,
        )
        return
    raise fail(
        problem,
        source=source,
        column=id_col,
        expected="a plan for every forecast category",
        found=f"no supply rows for {format_items(absent)}",
        fix=fix,
    )


def _path_array(key: Any, value: Any) -> np.ndarray:
    """The paths of one category as a float array, or an error naming the category."""
    try:
        arr = np.asarray(value)
        if np.iscomplexobj(arr):
            raise TypeError("complex numbers")
        return arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise fail(
            f"the sample paths of category {show(key)} are not numbers ({exc})",
            fix="pass paths=forecaster.sample_paths(h, output='arrays'): a dict of arrays "
            "(n_paths, h) of numbers",
        ) from exc


def _paths_from_frame(
    paths: pd.DataFrame,
    fc: pd.DataFrame,
    keys: list[Any],
    groups: dict[Any, np.ndarray],
    names: tuple[str, str, str],
) -> dict[Any, np.ndarray]:
    """Arrays per category from the long frame of ``sample_paths(output="frame")``."""
    id_col, time_col, target_col = names
    need = [id_col, time_col, "path", target_col]
    absent = [c for c in need if c not in paths.columns]
    if absent:
        raise fail(
            f"the paths frame lacks column(s) {format_items(absent)}",
            expected=f"the long output of sample_paths: {format_items(need)}",
            found=f"columns {format_items(paths.columns)}",
            fix="pass TrendForecaster.sample_paths(...) (output='frame' or 'arrays'), with "
            "target_col= naming its value column",
        )
    frame = paths[need].copy()
    arrays: dict[Any, np.ndarray] = {}
    short: list[tuple[Any, Any, list[pd.Timestamp]]] = []
    try:
        frame[time_col] = pd.to_datetime(frame[time_col])
        by_id = frame.groupby(id_col, sort=False)
        present = set(by_id.groups)
        for key in keys:
            if key not in present:
                continue
            want = pd.DatetimeIndex(fc[time_col].iloc[groups[key]])
            wide = by_id.get_group(key).pivot(index="path", columns=time_col, values=target_col)
            gaps = want.difference(pd.DatetimeIndex(wide.columns))
            if len(gaps):
                short.append((None, key, list(gaps)))
                continue
            arrays[key] = _path_array(key, wide[want].to_numpy())
    except (TypeError, ValueError) as exc:
        if isinstance(exc, DataValidationError):
            raise
        raise fail(
            f"the paths frame cannot be read ({exc})",
            column=time_col,
            expected="one value per category, path and period, dated like the forecast",
            fix="pass TrendForecaster.sample_paths(...) as it is",
        ) from exc
    _missing(
        short,
        "sample paths",
        "draw the paths for the same horizon as the forecast (sample_paths(h=...))",
    )
    return arrays


def align_paths(
    paths: Mapping[Any, Any] | pd.DataFrame,
    fc: pd.DataFrame,
    keys: list[Any],
    id_col: str,
    time_col: str,
    target_col: str,
) -> dict[Any, np.ndarray]:
    """Sample paths per category as arrays (n_paths, periods), periods as in the forecast."""
    groups = _groups(fc, id_col)
    if isinstance(paths, pd.DataFrame):
        arrays = _paths_from_frame(paths, fc, keys, groups, (id_col, time_col, target_col))
    elif isinstance(paths, Mapping):
        arrays = {k: _path_array(k, paths[k]) for k in keys if k in paths}
    else:
        raise DataValidationError(
            f"paths must be the output of TrendForecaster.sample_paths (a dict of arrays or "
            f"a long frame), got {type(paths).__name__}. Fix: pass "
            "paths=forecaster.sample_paths(h, output='arrays')."
        )
    absent_keys = [k for k in keys if k not in arrays]
    if absent_keys:
        raise fail(
            f"{count(len(absent_keys), 'category', 'categories')} with supply "
            f"{verb(len(absent_keys), 'has', 'have')} no sample paths",
            column=id_col,
            found=format_items(absent_keys),
            fix="draw paths from the forecaster that made the forecast, for all categories",
        )
    for key in keys:
        arr = arrays[key]
        h = groups[key].size
        if arr.ndim != 2 or arr.shape[1] != h or arr.shape[0] < 1:
            raise fail(
                f"the sample paths of category {show(key)} have shape {arr.shape}",
                expected=f"an array (n_paths, {h}): one column per forecast period, in order",
                fix="draw paths with the same h as the forecast, e.g. "
                f"sample_paths(h={h}, output='arrays')",
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            raise fail(
                f"the sample paths of category {show(key)} hold {int(bad.sum())} missing or "
                "infinite values",
                fix="draw the paths again",
            )
    return arrays


def attach_prices(
    plans: list[Plan],
    unit_price: float | Mapping[Any, float] | pd.Series | str | None,
    sup: pd.DataFrame,
    fc: pd.DataFrame,
    *,
    kind: str,
    id_col: str,
    time_col: str,
    scenario_col: str | None,
) -> bool:
    """Set ``plan.price`` per period from a scalar, a per-category mapping or a column."""
    if unit_price is None:
        return False
    if isinstance(unit_price, str):
        keys = [c for c in (scenario_col, id_col, time_col) if c is not None]
        lookup = sup.set_index(keys)[unit_price]
        for plan in plans:
            if kind == "stock":
                key: tuple[Any, ...] = (plan.key, plan.origin)
                if scenario_col:
                    key = (plan.scenario, *key)
                plan.price = np.full(plan.rows.size, float(lookup.loc[key]))
            else:
                idx = [
                    ((plan.scenario,) if scenario_col else ()) + (plan.key, d)
                    for d in fc[time_col].iloc[plan.rows]
                ]
                plan.price = lookup.loc[idx].to_numpy(float)
        return True
    if isinstance(unit_price, Mapping | pd.Series):
        prices = dict(unit_price.items())
        absent = sorted({p.key for p in plans if p.key not in prices}, key=str)
        if absent:
            raise fail(
                f"unit_price has no price for {count(len(absent), 'category', 'categories')}",
                found=format_items(absent),
                fix="give a price for every category with supply (or one number for all)",
            )
        for plan in plans:
            price = _price(prices[plan.key])
            if not np.isfinite(price) or price < 0:
                raise fail(
                    f"unit_price of category {show(plan.key)} is {show(prices[plan.key])}",
                    fix="use a finite price of zero or more",
                )
            plan.price = np.full(plan.rows.size, price)
        return True
    price = _price(unit_price)
    if not np.isfinite(price) or price < 0:
        raise ParameterError(
            f"unit_price must be a finite number of zero or more, got {unit_price!r}. "
            "Fix: pass a price per unit, a dict or Series per category, or a column name."
        )
    for plan in plans:
        plan.price = np.full(plan.rows.size, price)
    return True


def _price(value: Any) -> float:
    """A price as a float (NaN for anything that is not a real number: refused by the caller)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return float("nan")
    if isinstance(value, np.complexfloating):
        return float("nan")
    return float(value)
