"""Supply against forecast demand: shortfall probabilities, sizes and flags.

The forecast gives, for each category and period, the mean and the bounds of
one or more central intervals. Those quantiles define the demand
distribution: its quantile function is interpolated linearly in normal-score
space between them (so Gaussian intervals give back the Gaussian exactly) and
extended beyond the widest interval with the slope of its outer segment,
never below zero for demand. ``p_short`` and the expected shortfall are
integrals of that quantile function.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from trendcast._validation import count, fail, format_items, format_rows, verb
from trendcast.exceptions import DataValidationError

__all__ = ["shortfall_stats", "summarize_gaps", "supply_gaps"]

_N_GRID = 2000
_U = (np.arange(_N_GRID) + 0.5) / _N_GRID
_Z = norm.ppf(_U)


def _levels_in(forecast: pd.DataFrame) -> list[int]:
    levels = sorted(
        int(m.group(1))
        for c in forecast.columns
        if (m := re.fullmatch(r"lo-(\d+)", str(c))) and f"hi-{m.group(1)}" in forecast.columns
    )
    return levels


def _quantile_grid(
    forecast: pd.DataFrame, levels: Sequence[int], floor: float | None
) -> np.ndarray:
    """Demand quantiles on the fixed probability grid, one row per forecast row."""
    z_knots = [0.0]
    v_cols = ["mean"]
    for lv in levels:
        z = float(norm.ppf(0.5 + lv / 200))
        z_knots = [-z, *z_knots, z]
        v_cols = [f"lo-{lv}", *v_cols, f"hi-{lv}"]
    zk = np.array(z_knots)
    values = np.sort(forecast[v_cols].to_numpy(dtype=float), axis=1)
    # The grid is fixed, so each grid point's segment and weight are the same for
    # every row: interpolate all rows at once. Outside the knots, the outer
    # segments are extended linearly.
    seg = np.clip(np.searchsorted(zk, _Z, side="right") - 1, 0, zk.size - 2)
    weight = (_Z - zk[seg]) / (zk[seg + 1] - zk[seg])
    out = values[:, seg] + weight * (values[:, seg + 1] - values[:, seg])
    if floor is not None:
        np.maximum(out, floor, out=out)
    return out


def shortfall_stats(
    forecast: pd.DataFrame, supply: np.ndarray, *, nonnegative: bool = True
) -> pd.DataFrame:
    """``p_short``, expected shortfall and expected excess for each forecast row.

    Parameters
    ----------
    forecast : DataFrame
        Rows with ``mean`` and at least one ``lo-<l>``/``hi-<l>`` pair.
    supply : array
        Supply for each row.
    nonnegative : bool
        Demand cannot fall below zero.

    Returns
    -------
    DataFrame
        ``p_short`` = P(demand > supply), ``expected_shortfall`` =
        E[max(demand - supply, 0)], ``expected_excess`` = E[max(supply - demand, 0)].
    """
    levels = _levels_in(forecast)
    if not levels:
        raise fail(
            "the forecast has no interval columns",
            column="lo-<level>/hi-<level>",
            expected="at least one pair such as lo-80 and hi-80",
            found=f"columns {format_items(forecast.columns)}",
            fix="forecast with level=(80, 95) (the default of TrendForecaster.predict)",
        )
    s = np.asarray(supply, dtype=float)[:, None]
    q = _quantile_grid(forecast, levels, 0.0 if nonnegative else None)
    return pd.DataFrame(
        {
            "p_short": np.mean(q > s, axis=1),
            "expected_shortfall": np.mean(np.maximum(q - s, 0.0), axis=1),
            "expected_excess": np.mean(np.maximum(s - q, 0.0), axis=1),
        },
        index=forecast.index,
    )


def _validate_supply(
    supply: pd.DataFrame, id_col: str, time_col: str, supply_col: str
) -> pd.DataFrame:
    if not isinstance(supply, pd.DataFrame):
        raise DataValidationError(
            f"supply must be a DataFrame, got {type(supply).__name__}. "
            f"Fix: pass a long frame with columns {id_col!r}, {time_col!r}, {supply_col!r}."
        )
    missing = [c for c in (id_col, time_col, supply_col) if c not in supply.columns]
    if missing:
        raise fail(
            f"the supply frame lacks column(s) {format_items(missing)}",
            expected=f"columns {id_col!r}, {time_col!r}, {supply_col!r}",
            found=f"columns {format_items(supply.columns)}",
            fix="rename the columns or pass id_col=, time_col=, supply_col=",
        )
    out = supply[[id_col, time_col, supply_col]].reset_index(drop=True).copy()
    try:
        out[time_col] = pd.to_datetime(out[time_col])
    except (TypeError, ValueError) as exc:
        raise fail(
            f"supply dates cannot be read ({exc})",
            column=time_col,
            fix="use dates like 2024-01-01, dated like the sales",
        ) from exc
    values = pd.to_numeric(out[supply_col], errors="coerce").astype(float)
    bad = np.flatnonzero(~np.isfinite(values.to_numpy()) | (values.to_numpy() < 0))
    if bad.size:
        raise fail(
            f"{count(bad.size, 'supply value')} "
            f"{verb(bad.size, 'is', 'are')} missing, not a number, infinite or negative",
            column=supply_col,
            expected="a finite supply of zero or more on every row",
            found=format_rows(supply.reset_index(drop=True), bad, [id_col, time_col, supply_col]),
            fix="correct or drop those rows",
        )
    out[supply_col] = values
    dup = np.flatnonzero(out.duplicated([id_col, time_col], keep=False).to_numpy())
    if dup.size:
        raise fail(
            f"{count(dup.size, 'supply row')} "
            f"{verb(dup.size, 'shares', 'share')} a (category, period)",
            column=time_col,
            expected="one supply value per category and period",
            found=format_rows(out, dup, [id_col, time_col, supply_col]),
            fix="sum or deduplicate the supply plan first",
        )
    return out


def supply_gaps(
    forecast: pd.DataFrame,
    supply: pd.DataFrame,
    *,
    kind: Literal["flow", "stock"] = "flow",
    threshold: float = 0.8,
    min_cover: float = 1.0,
    max_cover: float | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    supply_col: str = "supply",
    nonnegative: bool = True,
) -> pd.DataFrame:
    """Compare supply with the forecast demand distribution, per category and period.

    Parameters
    ----------
    forecast : DataFrame
        Output of [`TrendForecaster.predict`][trendcast.TrendForecaster.predict] (mean and
        interval bounds).
    supply : DataFrame
        Long frame ``id_col, time_col, supply_col``.
    kind : {"flow", "stock"}
        ``"flow"``: planned supply per period (production, purchases), matched
        to the forecast period by period. ``"stock"``: inventory on hand at
        the end of a period, compared with the demand of the periods after it.
    threshold : float
        A flow period is ``"short"`` when ``p_short >= threshold`` and
        ``"long"`` (oversupplied) when ``P(demand < supply) >= threshold``.
    min_cover : float
        For stock: flag ``"short"`` when the stock covers fewer than
        ``min_cover`` periods of mean forecast demand.
    max_cover : float, optional
        For stock: flag ``"long"`` when the stock covers more than
        ``max_cover`` periods (never, if not given).
    id_col : str
        Category column, in both frames.
    time_col : str
        Period column, in both frames.
    supply_col : str
        Supply column of ``supply``.
    nonnegative : bool
        Demand cannot be negative (the default).

    Returns
    -------
    DataFrame
        For flow: ``id, time, model, mean, supply, p_short, expected_shortfall,
        shortfall_share`` (expected shortfall over mean demand),
        ``expected_excess, flag``. For stock: ``id, time`` (the stock date),
        ``supply, next_demand`` (mean demand of the next period), ``cover``
        (periods of forecast demand covered; ``inf`` beyond the horizon),
        ``p_short`` and ``expected_shortfall`` for the next period, ``flag``.
        Forecast rows without supply are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> fc = pd.DataFrame({"unique_id": ["a"], "ds": pd.to_datetime(["2025-01-01"]),
    ...                    "model": ["ETS"], "mean": [100.0], "lo-80": [80.0], "hi-80": [120.0]})
    >>> plan = pd.DataFrame({"unique_id": ["a"], "ds": pd.to_datetime(["2025-01-01"]),
    ...                      "supply": [70.0]})
    >>> gaps = tc.supply_gaps(fc, plan)
    >>> gaps[["p_short", "flag"]].round(2).to_dict("records")
    [{'p_short': 0.97, 'flag': 'short'}]
    """
    if kind not in ("flow", "stock"):
        raise ValueError(f"kind must be 'flow' or 'stock', got {kind!r}")
    if not 0.5 < threshold < 1:
        raise ValueError(f"threshold must be between 0.5 and 1 (exclusive), got {threshold!r}")
    for col in (id_col, time_col, "mean"):
        if col not in forecast.columns:
            raise fail(
                f"the forecast lacks column {col!r}",
                expected="the output of TrendForecaster.predict",
                found=f"columns {format_items(forecast.columns)}",
                fix="pass the forecast frame, with the same id_col/time_col names",
            )
    plan = _validate_supply(supply, id_col, time_col, supply_col)
    fc = forecast.copy()
    fc[time_col] = pd.to_datetime(fc[time_col])
    if kind == "flow":
        merged = fc.merge(plan, on=[id_col, time_col], how="inner")
        if merged.empty:
            raise fail(
                "no supply row matches a forecast (category, period)",
                column=time_col,
                expected="supply for the forecast periods",
                found=f"forecast periods {fc[time_col].min().date()} to "
                f"{fc[time_col].max().date()}; supply {plan[time_col].min().date()} to "
                f"{plan[time_col].max().date()}",
                fix="date supply like the sales (same frequency and anchor) and cover the horizon",
            )
        stats = shortfall_stats(merged, merged[supply_col].to_numpy(), nonnegative=nonnegative)
        merged = pd.concat([merged, stats], axis=1)
        mean = merged["mean"].to_numpy(float)
        merged["shortfall_share"] = np.divide(
            merged["expected_shortfall"].to_numpy(float),
            mean,
            out=np.zeros_like(mean),
            where=mean > 0,
        )
        p_long = 1.0 - merged["p_short"]
        merged["flag"] = np.select(
            [merged["p_short"] >= threshold, p_long >= threshold], ["short", "long"], "ok"
        )
        keep = (
            [id_col, time_col]
            + (["model"] if "model" in merged.columns else [])
            + [
                "mean",
                supply_col,
                "p_short",
                "expected_shortfall",
                "shortfall_share",
                "expected_excess",
                "flag",
            ]
        )
        return merged[keep].sort_values([id_col, time_col], kind="stable").reset_index(drop=True)
    return _stock_gaps(fc, plan, id_col, time_col, supply_col, min_cover, max_cover, nonnegative)


def _stock_gaps(
    fc: pd.DataFrame,
    plan: pd.DataFrame,
    id_col: str,
    time_col: str,
    supply_col: str,
    min_cover: float,
    max_cover: float | None,
    nonnegative: bool,
) -> pd.DataFrame:
    rows = []
    groups = dict(tuple(fc.sort_values(time_col).groupby(id_col, sort=False)))
    for _, r in plan.iterrows():
        g = groups.get(r[id_col])
        if g is None:
            continue
        after = g[g[time_col] > r[time_col]]
        if after.empty:
            continue
        stock = float(r[supply_col])
        demand = after["mean"].to_numpy(float)
        cum = np.concatenate([[0.0], np.cumsum(demand)])
        k = int(np.searchsorted(cum, stock, side="right")) - 1
        cover: float
        if k >= demand.size:
            cover = float("inf")
        else:
            cover = k + (stock - cum[k]) / demand[k] if demand[k] > 0 else float("inf")
        stats = shortfall_stats(after.iloc[:1], np.array([stock]), nonnegative=nonnegative)
        rows.append(
            {
                id_col: r[id_col],
                time_col: r[time_col],
                supply_col: stock,
                "next_demand": float(demand[0]),
                "cover": cover,
                "p_short": float(stats["p_short"].iloc[0]),
                "expected_shortfall": float(stats["expected_shortfall"].iloc[0]),
            }
        )
    cols = [
        id_col,
        time_col,
        supply_col,
        "next_demand",
        "cover",
        "p_short",
        "expected_shortfall",
        "flag",
    ]
    if not rows:
        raise fail(
            "no stock row is followed by forecast periods of the same category",
            column=time_col,
            expected="stock dated at or before the forecast periods (e.g. the last observed month)",
            found=f"stock dates {plan[time_col].min().date()} to {plan[time_col].max().date()}",
            fix="pass the inventory at the forecast origin",
        )
    out = pd.DataFrame(rows)
    covers = out["cover"].to_numpy(float)
    long = covers > max_cover if max_cover is not None else np.zeros(len(out), dtype=bool)
    out["flag"] = np.select([covers < min_cover, long], ["short", "long"], "ok")
    return out[cols].sort_values([id_col, time_col], kind="stable").reset_index(drop=True)


def summarize_gaps(
    gaps: pd.DataFrame, *, id_col: str = "unique_id", min_periods: int = 1
) -> pd.DataFrame:
    """Rank categories by how badly supply lags demand, worst first.

    Parameters
    ----------
    gaps : DataFrame
        Output of [`supply_gaps`][trendcast.supply_gaps] (flow or stock).
    id_col : str
        Category column.
    min_periods : int
        For flow gaps, a category is flagged ``"short"`` when at least this
        many periods are short.

    Returns
    -------
    DataFrame
        Flow: ``periods_short, periods_long, first_short, max_p_short,
        expected_shortfall`` (summed over the horizon), ``shortfall_share``
        (of total mean demand), ``expected_excess, flag``; sorted by flag
        (short first), then expected shortfall. Stock: the earliest stock row
        per category with its ``cover``, sorted by cover.
    """
    if id_col not in gaps.columns:
        raise ValueError(f"gaps has no column {id_col!r}")
    if "cover" in gaps.columns:
        first = (
            gaps.sort_values(list(gaps.columns[:2]), kind="stable")
            .groupby(id_col, sort=False)
            .head(1)
        )
        order = {"short": 0, "ok": 1, "long": 2}
        return (
            first.assign(_o=first["flag"].map(order))
            .sort_values(["_o", "cover", "p_short"], ascending=[True, True, False], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )
    time_col = gaps.columns[1]
    rows = []
    for key, g in gaps.groupby(id_col, sort=False):
        short = g[g["flag"] == "short"]
        n_short = len(short)
        n_long = int((g["flag"] == "long").sum())
        total = float(g["mean"].sum())
        es = float(g["expected_shortfall"].sum())
        flag = "short" if n_short >= min_periods else ("long" if n_long >= min_periods else "ok")
        rows.append(
            {
                id_col: key,
                "periods": len(g),
                "periods_short": n_short,
                "periods_long": n_long,
                "first_short": short[time_col].min() if n_short else pd.NaT,
                "max_p_short": float(g["p_short"].max()),
                "expected_shortfall": es,
                "shortfall_share": es / total if total > 0 else 0.0,
                "expected_excess": float(g["expected_excess"].sum()),
                "flag": flag,
            }
        )
    out = pd.DataFrame(rows)
    order = {"short": 0, "ok": 1, "long": 2}
    out["_o"] = out["flag"].map(order)
    return (
        out.sort_values(
            ["_o", "expected_shortfall", "max_p_short"],
            ascending=[True, False, False],
            kind="stable",
        )
        .drop(columns="_o")
        .reset_index(drop=True)
    )
