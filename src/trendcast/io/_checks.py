"""Checks shared by the readers of sales and of search interest.

Both read a long table from a DataFrame or a file, parse its dates and values
with the same rules, and infer a frequency per series; the messages name the
file, column and rows the same way.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import to_pandas
from trendcast._validation import count, fail, format_items, format_rows, verb
from trendcast.exceptions import DataValidationError, ParameterError
from trendcast.io._dates import DateOptions, read_labels
from trendcast.io._files import FileOptions, read_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wording:
    """How the values of a table are named in its error messages."""

    column: str
    value: str
    unit: str
    zero: str


#: the largest demand or search value in size: models square deviations, and the squares
#: of values past about 1e154 overflow float64 (intervals would be infinite)
MAX_VALUE = 1e100

DEMAND = Wording("demand", "demand value", "units or money", "0 if nothing was sold")
SEARCH = Wording("interest", "search value", "search interest", "0 for no searches")


def distinct_roles(**roles: str | None) -> None:
    """Fail with a ParameterError when two roles (``id_col=``, ``target_col=``...) name one column.

    One column read as two (the ids as the demand) would be overwritten by the
    second reading, silently.
    """
    named = {k: v for k, v in roles.items() if v is not None}
    if len({repr(v) for v in named.values()}) < len(named):
        shown = ", ".join(f"{k}={v!r}" for k, v in named.items())
        raise ParameterError(
            f"{', '.join(named)} must name different columns; got {shown}. Fix: name each "
            "column once (rename one in the frame first if a column serves two purposes)"
        )


def check_table(
    df: pd.DataFrame,
    wanted: Sequence[str],
    *,
    source: str | None,
    expected: str,
    fix: str,
    unit: str,
) -> pd.DataFrame:
    """Fail on missing or repeated columns and on an empty table; return it re-indexed."""
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise fail(
            f"missing column{'s' if len(missing) > 1 else ''} {format_items(missing)}",
            source=source,
            expected=expected,
            found=f"columns {format_items(df.columns)}",
            fix=fix,
        )
    if len(df) == 0:
        raise fail(
            "the input has no rows",
            source=source,
            expected=f"at least one row per {unit}",
            found="an empty table",
            fix="check the file or the filter that produced the frame",
        )
    for col in dict.fromkeys(wanted):
        if isinstance(df[col], pd.DataFrame):
            raise fail(
                "the column name appears more than once",
                source=source,
                column=col,
                fix="give every column a distinct name",
            )
    return df.reset_index(drop=True)


def check_unique(
    df: pd.DataFrame,
    keys: Sequence[str],
    *,
    rows: pd.DataFrame,
    show_cols: Sequence[str],
    source: str | None,
    column: str,
    what: str,
    fix: str,
) -> None:
    """Fail when two rows of ``df`` share ``keys``; ``rows`` (same positions) is shown."""
    dup = df.duplicated(subset=list(keys), keep=False).to_numpy()
    if dup.any():
        pos = np.flatnonzero(dup)
        raise fail(
            f"{count(pos.size, 'row')} {verb(pos.size, 'shares', 'share')} a ({what}) "
            "with another row",
            source=source,
            column=column,
            expected=f"one row per {what.replace(', ', ' and ')}",
            found=format_rows(rows, pos, list(show_cols), source=source),
            fix=fix,
        )


def check_on_frequency(
    dates: pd.Series,
    freq: str,
    *,
    rows: pd.DataFrame,
    show_cols: Sequence[str],
    labels: np.ndarray,
    source: str | None,
    column: str,
    expected: str,
    fix: str,
) -> None:
    """Fail when a date does not sit on the anchor of ``freq``; rows are shown by label."""
    off = ~freqs.on_offset(dates, freq)
    if off.any():
        pos = np.flatnonzero(off)
        raise fail(
            f"{count(pos.size, 'date')} {verb(pos.size, 'does', 'do')} not sit on the "
            f"frequency {freq!r}",
            source=source,
            column=column,
            expected=expected,
            found=format_rows(rows, pos, list(show_cols), source=source, labels=labels[pos]),
            fix=fix,
        )


def load_frame(
    source: pd.DataFrame | str | os.PathLike[str],
    text_columns: tuple[str, ...] = (),
    options: FileOptions | None = None,
) -> pd.DataFrame:
    """Read a DataFrame, CSV, Excel or Parquet source into a DataFrame (a copy).

    ``text_columns`` of a CSV or Excel file are read as text, so ids like
    ``0012`` keep their zeros and labels like ``201903`` stay labels;
    ``options`` carries ``sep=``, ``thousands=``, ``decimal=`` and ``sheet=``
    (see ``_files``).
    """
    converted = to_pandas(source)  # a polars or Arrow table: a new pandas frame
    if converted is not source:
        return converted
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if not isinstance(source, str | os.PathLike):
        raise DataValidationError(
            f"Cannot read a table from a {type(source).__name__}. Expected a pandas or polars "
            "DataFrame, a pyarrow Table, or the path of a CSV, Excel (.xlsx) or Parquet file. "
            "Fix: pass a DataFrame or a file path."
        )
    options = (options or FileOptions()).check()
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
        return read_file(path, options, text_columns)
    except (
        csv.Error,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        ValueError,
        OSError,
    ) as exc:
        if isinstance(exc, DataValidationError | ParameterError):
            raise
        kind = "Parquet" if suffix in {".parquet", ".pq"} else "CSV"
        hint = (
            " (the file is not UTF-8 text: an Excel workbook, or another encoding?)"
            if isinstance(exc, UnicodeDecodeError)
            else ""
        )
        raise DataValidationError(
            f"In file '{name}': the file could not be read as {kind}{hint} ({exc}). "
            "Fix: save it as UTF-8 CSV with a header row, as Excel .xlsx, or as Parquet."
        ) from exc


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


def parse_dates(
    df: pd.DataFrame,
    time_col: str,
    id_col: str,
    name: str | None,
    options: DateOptions | None = None,
) -> pd.Series:
    """The dates of ``time_col`` as naive ``datetime64[ns]`` at midnight, or a clear error.

    Numbers, time zones, unreadable or missing dates, dates outside the range
    pandas can hold (1677-09-22 to 2262-04-11) and times of day are refused,
    naming the rows. Text labels are read by ``_dates.read_labels`` (day-first
    dates, ISO weeks, month labels; ``options`` carries ``dayfirst=`` and
    ``date_format=``).
    """
    options = (options or DateOptions()).check()
    col = df[time_col]
    if isinstance(col.dtype, pd.PeriodDtype):
        return _checked_dates(df, col.dt.to_timestamp(), time_col, id_col, name)
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
    reading = None
    if not pd.api.types.is_datetime64_any_dtype(col) and _is_text(col):
        reading = read_labels(col, options, source=name, column=time_col)
    if reading is not None:
        if reading.note:
            logger.info("%s column %r: %s", name or "frame", time_col, reading.note)
        parsed = reading.dates
    elif pd.api.types.is_datetime64_any_dtype(col):
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
    return _checked_dates(df, parsed, time_col, id_col, name)


def _checked_dates(
    df: pd.DataFrame, parsed: pd.Series, time_col: str, id_col: str, name: str | None
) -> pd.Series:
    """Parsed dates (any unit) checked for gaps, pandas' range and times of day."""
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise fail(
            f"{count(bad.size, 'date')} {verb(bad.size, 'is', 'are')} missing or cannot be read",
            source=name,
            column=time_col,
            expected="dates like '2024-01-01' in one format",
            found=format_rows(df, bad, [id_col, time_col], source=name),
            fix="fill or drop those rows, write the dates in ISO format (YYYY-MM-DD), or say "
            "how they are written with date_format= (e.g. '%d/%m/%Y', '%G-W%V') or dayfirst=True",
        )
    index = pd.DatetimeIndex(parsed)
    if isinstance(index.dtype, pd.DatetimeTZDtype):
        index = index.tz_localize(None)
    outside = np.flatnonzero(np.asarray((index < _FIRST_DATE) | (index > _LAST_DATE)))
    if outside.size:
        raise fail(
            f"{count(outside.size, 'date')} {verb(outside.size, 'is', 'are')} outside the "
            "range of dates pandas can hold",
            source=name,
            column=time_col,
            expected=f"dates from {_FIRST_DATE.date()} to {_LAST_DATE.date()}",
            found=format_rows(
                df.assign(**{time_col: index}), outside, [id_col, time_col], source=name
            ),
            fix="correct those dates (a typo in the year?) or drop those rows",
        )
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


def _is_text(col: pd.Series) -> bool:
    """Whether a column holds text labels (object columns of strings, or a string dtype)."""
    if isinstance(col.dtype, pd.StringDtype):
        return True
    if col.dtype != object:
        return pd.api.types.is_string_dtype(col.dtype)
    sample = col.dropna()
    return len(sample) > 0 and all(isinstance(v, str) for v in sample.iloc[:1000])


# the first and last whole days of pandas' datetime64[ns]
_FIRST_DATE = pd.Timestamp.min.ceil("D")
_LAST_DATE = pd.Timestamp.max.floor("D")


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


def parse_values(
    df: pd.DataFrame,
    target_col: str,
    id_col: str,
    time_col: str,
    name: str | None,
    allow_negative: bool,
    words: Wording = DEMAND,
    marks: tuple[str | None, str] = (None, "."),
) -> pd.Series:
    """The values of ``target_col`` as floats; missing, infinite, text or negative values fail.

    ``marks`` are the thousands separator and the decimal mark of text values
    (``(",", ".")`` reads ``"1,150.5"``; ``(".", ",")`` reads ``"1.150,5"``).
    """
    col = df[target_col]
    if pd.api.types.is_bool_dtype(col):
        raise fail(
            f"the {words.column} column holds True/False values",
            source=name,
            column=target_col,
            expected=f"numbers ({words.unit})",
            found=f"dtype {col.dtype}",
            fix=f"convert to numbers, or point the column argument at the {words.column} column",
        )
    complex_rows = np.flatnonzero(
        [isinstance(v, complex | np.complexfloating) for v in col]
        if col.dtype == object
        else np.full(len(col), pd.api.types.is_complex_dtype(col))
    )
    if complex_rows.size:
        raise fail(
            f"the {words.column} column holds complex numbers",
            source=name,
            column=target_col,
            expected=f"real numbers ({words.unit})",
            found=format_rows(df, complex_rows, [id_col, time_col, target_col], source=name),
            fix=f"convert to real numbers first, e.g. df[{target_col!r}] = "
            f"df[{target_col!r}].to_numpy().real if the imaginary parts are rounding noise",
        )
    if pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        values = col.astype("float64")
        text_bad = np.zeros(len(col), dtype=bool)
    else:
        values = pd.Series([_one_number(v, marks) for v in col], index=col.index, dtype="float64")
        text_bad = (values.isna() & col.notna()).to_numpy()
    cols = [id_col, time_col, target_col]
    if text_bad.any():
        pos = np.flatnonzero(text_bad)
        why, fix = _why_not_numbers(col.iloc[pos], target_col, marks)
        raise fail(
            f"{count(pos.size, words.value)} "
            f"{verb(pos.size, 'is not a number', 'are not numbers')}{why}",
            source=name,
            column=target_col,
            expected=f"numbers ({words.unit})",
            found=format_rows(df, pos, cols, source=name),
            fix=fix,
        )
    arr = values.to_numpy()
    checks = [
        (
            np.isnan(arr),
            "missing",
            "a number on every row",
            "drop those rows and use fill= to fill the gaps they leave, or fill them "
            f"yourself ({words.zero})",
        ),
        (
            np.isinf(arr),
            "infinite",
            "finite numbers",
            "correct or drop those rows (an infinite value usually comes from a division "
            "by zero upstream)",
        ),
    ]
    with np.errstate(invalid="ignore"):
        huge = np.abs(arr) > MAX_VALUE
    checks.append(
        (
            huge & np.isfinite(arr),
            f"too large (beyond {MAX_VALUE:.0e} in size)",
            f"{words.column} of at most {MAX_VALUE:.0e} in size",
            "correct those rows, or express the demand in a larger unit (thousands, "
            "millions); the models square deviations, which would overflow",
        )
    )
    if not allow_negative:
        checks.append(
            (
                arr < 0,
                "negative",
                f"{words.column} of zero or more",
                "correct those rows, or pass allow_negative=True if the target can be "
                "negative (returns, net flows)",
            )
        )
    for mask, what, expected, fix in checks:
        bad = np.flatnonzero(mask)
        if bad.size:
            raise fail(
                f"{count(bad.size, words.value)} {verb(bad.size, 'is', 'are')} {what}",
                source=name,
                column=target_col,
                expected=expected,
                found=format_rows(df, bad, cols, source=name),
                fix=fix,
            )
    return values


def _one_number(value: Any, marks: tuple[str | None, str] = (None, ".")) -> float:
    if value is None or isinstance(value, bool | np.bool_):
        return float("nan")
    if isinstance(value, int | float | np.number):
        try:
            return float(value)
        except (OverflowError, ValueError, TypeError):
            return float("nan")
    if isinstance(value, str):
        text = value.strip()
        thousands, decimal = marks
        if thousands is not None and _GROUPED[thousands].match(text.replace(decimal, ".", 1)):
            text = text.replace(thousands, "")
        if decimal != ".":
            if "." in text:
                return float("nan")
            text = text.replace(decimal, ".")
        try:
            return float(text)
        except ValueError:
            return float("nan")
    return float("nan")


#: numbers grouped in thousands by each separator (after the decimal mark became '.')
_GROUPED = {
    sep: re.compile(rf"^[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+(?:\.\d*)?$")
    for sep in (",", ".", " ", "'", "\u00a0", "\u202f", "_")
}
_GROUPED_ANY = re.compile(r"^[+-]?\d{1,3}(?:([,. '\u00a0\u202f])\d{3})+(?:[.,]\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_CURRENCY = re.compile(r"[$€£¥₹₽₩]|\b(?:USD|EUR|GBP|CNY|RMB|JPY|CHF|INR)\b", re.IGNORECASE)
_UNIT = re.compile(r"^[+-]?[\d.,\s]+\s*(%|[A-Za-z]+\.?)$|^[A-Za-z]+\s*[\d.,]+$")


def _why_not_numbers(
    values: pd.Series, column: str, marks: tuple[str | None, str]
) -> tuple[str, str]:
    """Why text values are not numbers (appended to the problem) and the fix that reads them."""
    texts = [str(v).strip() for v in values]
    if any(_CURRENCY.search(t) for t in texts):
        return (
            " (a currency symbol or code)",
            "export the numbers without currency formatting, or strip the symbol first, e.g. "
            f"df[{column!r}] = df[{column!r}].str.replace(r'[^0-9.,-]', '', regex=True); "
            "values in several currencies need converting, not stripping",
        )
    if any(_UNIT.match(t) for t in texts):
        return (
            " (a unit or a percent sign)",
            "export the numbers without units, or strip the unit first, e.g. "
            f"df[{column!r}] = df[{column!r}].str.extract(r'([0-9.,-]+)')[0]; "
            "check every row has the same unit",
        )
    thousands, decimal = marks
    grouped = [m.group(1) for t in texts if (m := _GROUPED_ANY.match(t))]
    if grouped and thousands is None:
        sep = max(set(grouped), key=grouped.count)
        if sep == ".":
            return (
                " ('.' between thousands: European style?)",
                "pass thousands='.' and decimal=',' (e.g. '1.150,5' is 1150.5)",
            )
        return (
            f" ({sep!r} between thousands)",
            f"pass thousands={sep!r} (e.g. '1{sep}150' is 1150)",
        )
    if decimal == "." and any(_DECIMAL_COMMA.match(t) for t in texts):
        return (
            " (a decimal comma)",
            "pass decimal=',' (e.g. '12,5' is 12.5), with thousands='.' if thousands are "
            "grouped by dots",
        )
    return (
        "",
        "remove thousands separators or units (or name them with thousands=, decimal=), "
        "or convert with pd.to_numeric",
    )
