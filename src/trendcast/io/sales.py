"""Read and validate sales history: one row per (category, period)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import (
    count,
    describe_source,
    fail,
    format_items,
    format_rows,
    show,
    verb,
)
from trendcast._warnings import warn
from trendcast.exceptions import DataValidationError, DataWarning
from trendcast.io._checks import (
    check_on_frequency,
    check_table,
    check_unique,
    distinct_roles,
    load_frame,
    parse_dates,
    parse_values,
    resolve_freq,
)

__all__ = ["FillPolicy", "read_sales"]

logger = logging.getLogger(__name__)

FillPolicy = Literal["error", "zero", "ffill", "interpolate"]
_FILLS = ("error", "zero", "ffill", "interpolate")


@dataclass(frozen=True)
class ValidatedSales:
    """What validation returns: the clean frame, its frequency and what was done."""

    frame: pd.DataFrame
    freq: str
    n_filled: int


@accepts_frames
def read_sales(
    source: pd.DataFrame | str | os.PathLike[str],
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    freq: str | None = None,
    fill: FillPolicy = "error",
    allow_negative: bool = False,
) -> pd.DataFrame:
    """Read sales history and return it validated, in long format.

    Parameters
    ----------
    source : DataFrame, or path to a CSV or Parquet file
        One row per (category, period). Other columns (prices, promotions,
        search interest) are kept unchanged.
    id_col : str
        Name of the category column in ``source``.
    time_col : str
        Name of the period column in ``source``.
    target_col : str
        Name of the demand column in ``source``.
    freq : str, optional
        Force the frequency (``"D"``, ``"W-SUN"``, ``"MS"``, ``"ME"``,
        ``"QS-JAN"``, ``"QE-DEC"``...). By default it is inferred from the dates.
    fill : {"error", "zero", "ffill", "interpolate"}
        What to do with missing periods inside a series. ``"error"`` raises;
        the others fill the target (and the other numeric columns) and warn
        with the number of rows added.
    allow_negative : bool
        Accept negative demand (returns, net sales). Off by default.

    Returns
    -------
    DataFrame
        Sorted by category and period, index reset, with the caller's column
        names; ``df.attrs["freq"]`` holds the frequency.

    Raises
    ------
    DataValidationError
        For missing columns, empty input, unparsable dates, dates outside the
        range pandas can hold (1677-09-22 to 2262-04-11), duplicate (category,
        period) rows, non-numeric, complex, missing, infinite or too large
        (beyond 1e100) demand, negative demand, dates off the frequency and
        gaps (with ``fill="error"``). The message names the file, the column,
        up to five offending rows or categories, and the fix.
    ParameterError
        When two of ``id_col``, ``time_col``, ``target_col`` name one column.

    Examples
    --------
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
    >>> clean = tc.read_sales(sales)
    >>> clean.attrs["freq"]
    'MS'
    """
    validated = validate_sales(
        source,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        freq=freq,
        fill=fill,
        allow_negative=allow_negative,
    )
    return validated.frame


@accepts_frames
def validate_sales(
    source: pd.DataFrame | str | os.PathLike[str],
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    freq: str | None = None,
    fill: FillPolicy = "error",
    allow_negative: bool = False,
) -> ValidatedSales:
    """Validate sales; see ``read_sales``. Returns frame, frequency, rows filled."""
    name = describe_source(source)
    distinct_roles(id_col=id_col, time_col=time_col, target_col=target_col)
    if fill not in _FILLS:
        raise DataValidationError(
            f"fill={fill!r} is not a fill policy. Expected one of {', '.join(_FILLS)}. "
            "Fix: pass fill='error' to be told about gaps, or a policy to fill them."
        )
    df = load_frame(source, text_columns=(id_col,))
    df.columns = [str(c) for c in df.columns]

    df = check_table(
        df,
        [id_col, time_col, target_col],
        source=name,
        expected=f"columns for the category ({id_col!r}), period ({time_col!r}) and "
        f"demand ({target_col!r})",
        fix="rename your columns, or tell trendcast their names with "
        "id_col=..., time_col=..., target_col=...",
        unit="category",
    )

    ids_missing = np.flatnonzero(df[id_col].isna().to_numpy())
    if ids_missing.size:
        raise fail(
            f"{count(ids_missing.size, 'row')} {verb(ids_missing.size, 'has', 'have')} no category",
            source=name,
            column=id_col,
            expected="a category id on every row",
            found=format_rows(df, ids_missing, [id_col, time_col], source=name),
            fix="drop those rows or give them a category",
        )
    _check_ids_sortable(df, id_col, name)
    df[time_col] = parse_dates(df, time_col, id_col, name)
    df[target_col] = parse_values(df, target_col, id_col, time_col, name, allow_negative)

    check_unique(
        df,
        [id_col, time_col],
        rows=df,
        show_cols=[id_col, time_col, target_col],
        source=name,
        column=time_col,
        what="category, period",
        fix="aggregate first, e.g. "
        f"df.groupby([{id_col!r}, {time_col!r}], as_index=False).sum(), "
        "or drop the duplicates",
    )

    df = df.sort_values([id_col, time_col], kind="stable")
    order = df.index.to_numpy()
    df = df.reset_index(drop=True)

    freq = resolve_freq(
        df[time_col],
        df[id_col],
        freq,
        source=name,
        column=time_col,
        unit="series",
        example="freq='MS' for monthly data dated by the first day",
    )

    check_on_frequency(
        df[time_col],
        freq,
        rows=df,
        show_cols=[id_col, time_col],
        labels=order,
        source=name,
        column=time_col,
        expected=f"every date on the {freq!r} anchor (e.g. the same weekday for "
        "weekly data, the first of the month for 'MS')",
        fix=f"align the dates (e.g. df[{time_col!r}].dt.to_period('M').dt.start_time), "
        "drop the stray rows, or pass the right freq=",
    )

    df, n_filled = _handle_gaps(df, id_col, time_col, target_col, freq, fill, name)
    df.attrs["freq"] = freq
    return ValidatedSales(frame=df, freq=freq, n_filled=n_filled)


def _check_ids_sortable(df: pd.DataFrame, id_col: str, name: str | None) -> None:
    ids = df[id_col]
    try:
        pd.unique(ids)
        ids.sort_values()
    except TypeError as exc:
        kinds = sorted({type(v).__name__ for v in ids})
        raise fail(
            "category ids mix types that cannot be ordered",
            source=name,
            column=id_col,
            expected="ids of one type (all text or all numbers)",
            found=f"types {format_items(kinds)}",
            fix=f"convert them, e.g. df[{id_col!r}] = df[{id_col!r}].astype(str)",
        ) from exc


def _handle_gaps(
    df: pd.DataFrame,
    id_col: str,
    time_col: str,
    target_col: str,
    freq: str,
    fill: str,
    name: str | None,
) -> tuple[pd.DataFrame, int]:
    periods = freqs.period_number(df[time_col], freq)
    ids = df[id_col].to_numpy()
    same = ids[1:] == ids[:-1]
    steps = np.diff(periods)
    gap_at = np.flatnonzero(same & (steps > 1))
    if gap_at.size == 0:
        return df, 0
    gap_ids = pd.unique(ids[gap_at])
    n_missing = int((steps[gap_at] - 1).sum())
    if fill == "error":
        examples = [
            f"{show(ids[i])} between {show(df[time_col].iloc[i])} and "
            f"{show(df[time_col].iloc[i + 1])}"
            for i in gap_at[:5]
        ]
        raise fail(
            f"{count(n_missing, 'period')} "
            f"{verb(n_missing, 'is', 'are')} missing inside "
            f"{count(len(gap_ids), 'series', 'series')}",
            source=name,
            column=time_col,
            expected=f"one row per {freq!r} period from each series' first to last date",
            found="gaps in "
            + "; ".join(examples)
            + (f"; and {gap_at.size - 5} more gaps" if gap_at.size > 5 else ""),
            fix="pass fill='zero' (no sales in those periods), 'ffill' or 'interpolate', "
            "or add the missing rows yourself",
        )
    pieces = []
    with_gaps = set(gap_ids)
    for key, group in df.groupby(id_col, sort=False):
        if key not in with_gaps:
            pieces.append(group)
            continue
        full = pd.date_range(group[time_col].iloc[0], group[time_col].iloc[-1], freq=freq)
        g = group.set_index(time_col).reindex(full)
        g.index.name = time_col
        g[id_col] = key
        numeric = [c for c in g.columns if c != id_col and pd.api.types.is_numeric_dtype(g[c])]
        other = [c for c in g.columns if c not in numeric and c != id_col]
        if fill == "zero":
            g[target_col] = g[target_col].fillna(0.0)
            g[numeric] = g[numeric].ffill()
        elif fill == "ffill":
            g[numeric] = g[numeric].ffill()
        else:
            g[numeric] = g[numeric].interpolate(method="linear")
        if other:
            g[other] = g[other].ffill()
        pieces.append(g.reset_index()[group.columns])
    out = pd.concat(pieces, ignore_index=True)
    message = (
        f"{_where_name(name)}filled {count(n_missing, 'missing period')} in "
        f"{count(len(gap_ids), 'series', 'series')} "
        f"({format_items(gap_ids)}) with fill={fill!r}"
    )
    warn(message, DataWarning)
    return out, n_missing


def _where_name(name: str | None) -> str:
    return f"{name}: " if name else ""
