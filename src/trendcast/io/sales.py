"""Read and validate sales history: one row per (category, period)."""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from trendcast import _frequency as freqs
from trendcast._validation import (
    count,
    describe_source,
    fail,
    format_items,
    format_rows,
    show,
    verb,
)
from trendcast.exceptions import DataValidationError, DataWarning

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
        For missing columns, empty input, unparsable dates, duplicate
        (category, period) rows, non-numeric, missing or infinite demand,
        negative demand, dates off the frequency and gaps (with
        ``fill="error"``). The message names the file, the column, up to five
        offending rows or categories, and the fix.

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


def load_frame(
    source: pd.DataFrame | str | os.PathLike[str], text_columns: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Read a DataFrame, CSV or Parquet source into a DataFrame (a copy).

    ``text_columns`` of a CSV are read as text, so ids like ``0012`` keep their zeros.
    """
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if not isinstance(source, str | os.PathLike):
        raise DataValidationError(
            f"Cannot read sales from a {type(source).__name__}. Expected a pandas DataFrame "
            "or the path of a CSV or Parquet file. Fix: pass a DataFrame or a file path."
        )
    path = Path(source)
    name = str(path)
    if not path.is_file():
        raise DataValidationError(
            f"In file '{name}': the file does not exist or is not a file. "
            "Fix: check the path (relative paths start from the current directory: "
            f"{Path.cwd()})."
        )
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            try:
                return pd.read_parquet(path)
            except ImportError as exc:
                from trendcast.exceptions import MissingDependencyError

                raise MissingDependencyError(
                    'Reading Parquet needs pyarrow. Fix: pip install "trendcast[parquet]"'
                ) from exc
        return pd.read_csv(
            path,
            sep=None if suffix not in {".csv", ".txt"} else ",",
            engine="python" if suffix not in {".csv", ".txt"} else "c",
            dtype=dict.fromkeys(text_columns, "string"),
        )
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        ValueError,
        OSError,
    ) as exc:
        if isinstance(exc, DataValidationError):
            raise
        raise DataValidationError(
            f"In file '{name}': the file could not be read as "
            f"{'Parquet' if suffix in {'.parquet', '.pq'} else 'CSV'} ({exc}). "
            "Fix: save it as UTF-8 CSV with a header row, or as Parquet."
        ) from exc


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
    if fill not in _FILLS:
        raise DataValidationError(
            f"fill={fill!r} is not a fill policy. Expected one of {', '.join(_FILLS)}. "
            "Fix: pass fill='error' to be told about gaps, or a policy to fill them."
        )
    df = load_frame(source, text_columns=(id_col,))
    df.columns = [str(c) for c in df.columns]

    missing = [c for c in (id_col, time_col, target_col) if c not in df.columns]
    if missing:
        raise fail(
            f"missing column{'s' if len(missing) > 1 else ''} {format_items(missing)}",
            source=name,
            expected=f"columns for the category ({id_col!r}), period ({time_col!r}) and "
            f"demand ({target_col!r})",
            found=f"columns {format_items(df.columns)}",
            fix="rename your columns, or tell trendcast their names with "
            "id_col=..., time_col=..., target_col=...",
        )
    if len(df) == 0:
        raise fail(
            "the input has no rows",
            source=name,
            expected="at least one row per category",
            found="an empty table",
            fix="check the file or the filter that produced the frame",
        )
    for col in {id_col, time_col, target_col}:
        if isinstance(df[col], pd.DataFrame):
            raise fail(
                "the column name appears more than once",
                source=name,
                column=col,
                fix="give every column a distinct name",
            )
    df = df.reset_index(drop=True)

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
    df[time_col] = _parse_dates(df, time_col, id_col, name)
    df[target_col] = _parse_target(df, target_col, id_col, time_col, name, allow_negative)

    dup = df.duplicated(subset=[id_col, time_col], keep=False).to_numpy()
    if dup.any():
        positions = np.flatnonzero(dup)
        raise fail(
            f"{count(positions.size, 'row')} "
            f"{verb(positions.size, 'shares', 'share')} a (category, period) with another row",
            source=name,
            column=time_col,
            expected="one row per category and period",
            found=format_rows(df, positions, [id_col, time_col, target_col], source=name),
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

    off = ~freqs.on_offset(df[time_col], freq)
    if off.any():
        positions = np.flatnonzero(off)
        raise fail(
            f"{count(positions.size, 'date')} "
            f"{verb(positions.size, 'does', 'do')} not sit on the frequency {freq!r}",
            source=name,
            column=time_col,
            expected=f"every date on the {freq!r} anchor (e.g. the same weekday for "
            "weekly data, the first of the month for 'MS')",
            found=format_rows(
                df, positions, [id_col, time_col], source=name, labels=order[positions]
            ),
            fix=f"align the dates (e.g. df[{time_col!r}].dt.to_period('M').dt.start_time), "
            "drop the stray rows, or pass the right freq=",
        )

    df, n_filled = _handle_gaps(df, id_col, time_col, target_col, freq, fill, name)
    df.attrs["freq"] = freq
    return ValidatedSales(frame=df, freq=freq, n_filled=n_filled)


def resolve_freq(
    dates: pd.Series,
    keys: pd.Series,
    freq: str | None,
    *,
    source: str | None,
    column: str,
    unit: str,
    example: str,
) -> str:
    """The frequency given (normalized) or inferred from the dates of each ``keys`` group."""
    if freq is None:
        inferred = freqs.infer_freq(dates, keys)
        if inferred is None:
            raise fail(
                "the frequency cannot be inferred from the dates",
                source=source,
                column=column,
                expected=f"regularly spaced dates ({freqs.SUPPORTED})",
                found=f"no {unit} with two or more dates, or a spacing that matches none",
                fix=f"pass freq=..., e.g. {example}",
            )
        return inferred
    try:
        return freqs.normalize_freq(freq)
    except ValueError as exc:
        raise DataValidationError(
            f"freq={freq!r} is not supported ({exc}). Expected one of {freqs.SUPPORTED}. "
            "Fix: pass one of those aliases or leave freq=None to infer it."
        ) from exc


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


def _parse_dates(df: pd.DataFrame, time_col: str, id_col: str, name: str | None) -> pd.Series:
    col = df[time_col]
    if isinstance(col.dtype, pd.PeriodDtype):
        return col.dt.to_timestamp()
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        raise fail(
            "the dates are numbers",
            source=name,
            column=time_col,
            expected="dates (datetime64, or text like '2024-01-01')",
            found=f"dtype {col.dtype}: {format_rows(df, range(min(len(df), 3)), [time_col])}",
            fix=f"convert them, e.g. pd.to_datetime(df[{time_col!r}].astype(str), "
            "format='%Y%m%d') for 20240131",
        )
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        raise fail(
            "the dates carry a time zone",
            source=name,
            column=time_col,
            expected="time-zone-naive dates (periods are calendar days, not instants)",
            found=f"dtype {col.dtype}",
            fix=f"drop the zone: df[{time_col!r}] = df[{time_col!r}].dt.tz_localize(None)",
        )
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(col, errors="coerce")
            except (TypeError, ValueError, OverflowError):
                parsed = pd.Series([_one_date(v) for v in col], index=col.index)
            if isinstance(parsed.dtype, pd.DatetimeTZDtype) or not (
                pd.api.types.is_datetime64_any_dtype(parsed)
            ):
                parsed = pd.Series([_one_date(v) for v in col], index=col.index)
                parsed = pd.to_datetime(parsed, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise fail(
            f"{count(bad.size, 'date')} {verb(bad.size, 'is', 'are')} missing or cannot be read",
            source=name,
            column=time_col,
            expected="dates like '2024-01-01' in one format",
            found=format_rows(df, bad, [id_col, time_col], source=name),
            fix="fill or drop those rows, or write the dates in ISO format (YYYY-MM-DD)",
        )
    index = pd.DatetimeIndex(parsed)
    if isinstance(index.dtype, pd.DatetimeTZDtype):
        index = index.tz_localize(None)
    intraday = np.flatnonzero(np.asarray(index != index.normalize()))
    if intraday.size:
        raise fail(
            f"{count(intraday.size, 'date')} "
            f"{verb(intraday.size, 'carries', 'carry')} a time of day",
            source=name,
            column=time_col,
            expected="one date per period (daily or coarser)",
            found=format_rows(
                df.assign(**{time_col: index}), intraday, [id_col, time_col], source=name
            ),
            fix="aggregate sub-daily data to days first, or normalize the dates "
            f"(df[{time_col!r}].dt.normalize())",
        )
    return pd.Series(index.astype("datetime64[ns]"), index=df.index)


def _one_date(value: Any) -> pd.Timestamp | None:
    if value is None or isinstance(value, bool | int | float | np.number):
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if ts is pd.NaT or ts.tzinfo is not None:
        return None
    return ts


def _parse_target(
    df: pd.DataFrame,
    target_col: str,
    id_col: str,
    time_col: str,
    name: str | None,
    allow_negative: bool,
) -> pd.Series:
    col = df[target_col]
    if pd.api.types.is_bool_dtype(col):
        raise fail(
            "the demand column holds True/False values",
            source=name,
            column=target_col,
            expected="numbers (units or money)",
            found=f"dtype {col.dtype}",
            fix="convert to numbers, or point target_col= at the demand column",
        )
    if pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        values = col.astype("float64")
        text_bad = np.zeros(len(col), dtype=bool)
    else:
        values = pd.Series([_one_number(v) for v in col], index=col.index, dtype="float64")
        text_bad = (values.isna() & col.notna()).to_numpy()
    cols = [id_col, time_col, target_col]
    if text_bad.any():
        pos = np.flatnonzero(text_bad)
        raise fail(
            f"{count(pos.size, 'demand value')} "
            f"{verb(pos.size, 'is not a number', 'are not numbers')}",
            source=name,
            column=target_col,
            expected="numbers (units or money)",
            found=format_rows(df, pos, cols, source=name),
            fix="remove thousands separators or units, or convert with pd.to_numeric",
        )
    arr = values.to_numpy()
    checks = [
        (
            np.isnan(arr),
            "missing",
            "a number on every row",
            "drop those rows and use fill= to fill the gaps they leave, or fill them "
            "yourself (0 if nothing was sold)",
        ),
        (
            np.isinf(arr),
            "infinite",
            "finite numbers",
            "correct or drop those rows (an infinite value usually comes from a division "
            "by zero upstream)",
        ),
    ]
    if not allow_negative:
        checks.append(
            (
                arr < 0,
                "negative",
                "demand of zero or more",
                "correct those rows, or pass allow_negative=True if the target can be "
                "negative (returns, net flows)",
            )
        )
    for mask, what, expected, fix in checks:
        bad = np.flatnonzero(mask)
        if bad.size:
            raise fail(
                f"{count(bad.size, 'demand value')} {verb(bad.size, 'is', 'are')} {what}",
                source=name,
                column=target_col,
                expected=expected,
                found=format_rows(df, bad, cols, source=name),
                fix=fix,
            )
    return values


def _one_number(value: Any) -> float:
    if value is None or isinstance(value, bool | np.bool_):
        return float("nan")
    if isinstance(value, int | float | np.number):
        try:
            return float(value)
        except (OverflowError, ValueError, TypeError):
            return float("nan")
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return float("nan")
    return float("nan")


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
    logger.warning(message)
    warnings.warn(message, DataWarning, stacklevel=4)
    return out, n_missing


def _where_name(name: str | None) -> str:
    return f"{name}: " if name else ""
