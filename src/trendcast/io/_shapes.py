"""Sales tables as exported: wide sheets, repeated rows, loose ids, Jan-Feb totals.

Each function takes the raw table and returns it in the long shape
``read_sales`` validates, or raises a ``DataValidationError`` that says what
was found and which option reads it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
import pandas as pd

from trendcast._validation import count, fail, format_items, format_rows, verb
from trendcast._warnings import warn
from trendcast.exceptions import DataWarning
from trendcast.io._dates import DateOptions, read_labels

logger = logging.getLogger(__name__)

_NUMBER_TEXT = re.compile(r"^[+-]?[\d.,'\s\u00a0\u202f]*\d[\d.,'\s\u00a0\u202f]*$")


# --- wide sheets --------------------------------------------------------------------------


def _is_dates(col: pd.Series, options: DateOptions) -> bool:
    """Whether every non-missing value of a column reads as a date."""
    if pd.api.types.is_datetime64_any_dtype(col) or isinstance(col.dtype, pd.PeriodDtype):
        return True
    values = col.dropna()
    if len(values) == 0 or pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        return False
    if not all(isinstance(v, str) for v in values.iloc[:200]):
        return False
    try:
        reading = read_labels(values, options, source=None, column=str(col.name))
    except ValueError:  # dates that read two ways are still dates
        return True
    if reading is not None:
        return bool(reading.dates.notna().all())
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def _is_numeric(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    values = col.dropna()
    return all(isinstance(v, str) and _NUMBER_TEXT.match(v.strip()) for v in values)


def to_long(
    df: pd.DataFrame,
    layout: str,
    id_col: str,
    time_col: str,
    target_col: str,
    name: str | None,
    options: DateOptions,
) -> pd.DataFrame:
    """A wide table (one date column, one column per category) melted to long; else unchanged."""
    if layout == "long":
        return df
    if layout == "auto" and (id_col in df.columns or target_col in df.columns):
        return df
    if time_col in df.columns:
        date_cols = [time_col]
    else:
        date_cols = [c for c in df.columns if not _is_numeric(df[c]) and _is_dates(df[c], options)]
    others = [c for c in df.columns if c not in date_cols]
    numeric = [c for c in others if _is_numeric(df[c])]
    if layout == "auto" and (len(date_cols) != 1 or not others or len(numeric) != len(others)):
        return df  # not recognisably wide: the missing-column error explains
    if len(date_cols) != 1:
        raise fail(
            f"a wide table needs one period column; found {len(date_cols)}",
            source=name,
            expected=f"the period column {time_col!r} (or one column of dates) and one column "
            "of demand per category",
            found=f"columns {format_items(df.columns)}"
            + (f", of which dates: {format_items(date_cols)}" if date_cols else ""),
            fix="name the period column with time_col=, or pass layout='long' with id_col=, "
            "target_col= if the table has one row per category and period",
        )
    if not others:
        raise fail(
            "a wide table needs at least one category column",
            source=name,
            expected="one column of demand per category next to the period column",
            found=f"only the period column {date_cols[0]!r}",
            fix="add the demand columns, or pass a long table",
        )
    not_numbers = [c for c in others if c not in numeric]
    if not_numbers and layout == "wide":
        logger.info("wide table: columns %s are not numbers; their values are checked", not_numbers)
    date_col = date_cols[0]
    long = _melt(df, date_col, others, id_col, time_col, target_col)
    if layout == "auto":
        warn(
            f"{name + ': ' if name else ''}read a wide table: period column {date_col!r} and "
            f"{count(len(others), 'category column')} ({format_items(others)}) became "
            f"{len(long)} rows of {id_col!r}, {time_col!r}, {target_col!r} (blank cells before "
            "a category's first value and after its last were dropped). Pass layout='wide' "
            "to say so and silence this warning, or layout='long' to refuse wide tables.",
            DataWarning,
        )
    return long


def _melt(
    df: pd.DataFrame,
    date_col: str,
    others: list[str],
    id_col: str,
    time_col: str,
    target_col: str,
) -> pd.DataFrame:
    pieces = []
    for col in others:
        values = df[col]
        present = np.flatnonzero(values.notna().to_numpy())
        if present.size == 0:
            continue
        keep = slice(int(present[0]), int(present[-1]) + 1)
        pieces.append(
            pd.DataFrame(
                {
                    id_col: str(col),
                    time_col: df[date_col].iloc[keep].to_numpy(),
                    target_col: values.iloc[keep].to_numpy(),
                }
            )
        )
    if not pieces:
        return pd.DataFrame({id_col: [], time_col: [], target_col: []})
    return pd.concat(pieces, ignore_index=True)


# --- ids ----------------------------------------------------------------------------------


def check_ids(ids: pd.Series, normalize: bool, *, source: str | None, column: str) -> pd.Series:
    """Ids that differ only by surrounding spaces or case: warned about, or merged.

    Merged ids take the spelling (without surrounding spaces) that most rows use.
    Numbers are left as they are; ids stay text.
    """
    # the spellings are read from the distinct ids (a panel repeats each on every row)
    distinct = pd.Series(pd.unique(ids), dtype=object)
    text = distinct.map(lambda v: v if isinstance(v, str) else None)
    if text.isna().all():
        return ids
    key = text.str.strip().str.casefold()
    if not key.dropna().duplicated().any():  # each spelling its own id: nothing to merge
        return ids
    spellings = pd.DataFrame({"raw": text, "key": key}).dropna()
    variants = spellings.groupby("key", sort=False)["raw"].agg(lambda s: list(pd.unique(s)))
    clashes = variants[variants.map(len) > 1]
    if clashes.empty:
        return ids
    shown = "; ".join(" = ".join(repr(v) for v in group) for group in clashes.iloc[:5])
    more = f"; and {len(clashes) - 5} more" if len(clashes) > 5 else ""
    if not normalize:
        warn(
            f"{source + ', ' if source else ''}column {column!r}: "
            "category ids that differ only by surrounding spaces or case are read as "
            f"separate categories: {shown}{more}. Pass "
            "normalize_ids=True to merge them (if they are one category), or correct the ids.",
            DataWarning,
        )
        return ids
    text = ids.map(lambda v: v if isinstance(v, str) else None)
    key = text.str.strip().str.casefold()
    counts = text.value_counts()
    chosen = {
        k: max(group, key=lambda v: (counts[v], v == v.strip())).strip()
        for k, group in variants.items()
    }
    merged = ids.where(key.isna(), key.map(chosen))
    warn(
        f"{source + ', ' if source else ''}column {column!r}: merged category ids that "
        f"differ only by surrounding spaces or case ({shown}{more}) with normalize_ids=True",
        DataWarning,
    )
    return merged.astype(ids.dtype) if isinstance(ids.dtype, pd.StringDtype) else merged


# --- duplicates ---------------------------------------------------------------------------


def handle_duplicates(
    df: pd.DataFrame,
    id_col: str,
    time_col: str,
    target_col: str,
    policy: str,
    name: str | None,
    extra_keys: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Rows sharing a (category, period), by ``policy``; see ``read_sales``'s ``duplicates``."""
    keys = [*extra_keys, id_col, time_col]
    dup = df.duplicated(subset=keys, keep=False).to_numpy()
    if not dup.any():
        return df
    identical = df.duplicated(keep=False).to_numpy()
    all_identical = bool((identical | ~dup).all())
    if policy == "drop_identical":
        before = len(df)
        df = df.drop_duplicates(keep="first")
        _merged(name, before - len(df), "dropped", "identical copy of another row", policy)
        if not df.duplicated(subset=keys, keep=False).any():
            return df
        dup = df.duplicated(subset=keys, keep=False).to_numpy()
        all_identical = False
    elif policy in {"sum", "last"}:
        before = len(df)
        if policy == "last":
            df = df.drop_duplicates(subset=keys, keep="last")
        else:
            df = _sum(df, keys)
        verb_ = "added up" if policy == "sum" else "replaced by a later row"
        _merged(name, before - len(df), verb_, "row sharing a (category, period)", policy)
        return df
    pos = np.flatnonzero(dup)
    if all_identical:
        fix = (
            "the rows are identical copies (an export run twice?): pass "
            "duplicates='drop_identical' to keep one of each. Only if they are separate sales "
            "that happen to be equal, add them with duplicates='sum' (or "
            f"df.groupby([{id_col!r}, {time_col!r}], as_index=False).sum())"
        )
        what = "identical copies of another row"
    else:
        fix = (
            "pass duplicates='sum' if the rows are parts of one total (stores, channels), "
            "duplicates='last' if later rows correct earlier ones, or "
            "duplicates='drop_identical' to drop exact copies only; or aggregate first, "
            f"e.g. df.groupby([{id_col!r}, {time_col!r}], as_index=False).sum()"
        )
        what = "rows sharing a (category, period) with different values"
    raise fail(
        f"{count(pos.size, 'row')} {verb(pos.size, 'shares', 'share')} a (category, period) "
        f"with another row ({what})",
        source=name,
        column=time_col,
        expected="one row per category and period",
        found=format_rows(df, pos, [id_col, time_col, target_col], source=name),
        fix=fix,
    )


def _sum(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    numeric = [c for c in df.columns if c not in keys and pd.api.types.is_numeric_dtype(df[c])]
    other = [c for c in df.columns if c not in keys and c not in numeric]
    agg: dict[str, Any] = dict.fromkeys(numeric, "sum") | dict.fromkeys(other, "last")
    out = df.groupby(keys, sort=False, as_index=False, dropna=False).agg(agg)
    return out[list(df.columns)]


def _merged(name: str | None, n: int, done: str, what: str, policy: str) -> None:
    if n:
        plural = what.replace("copy", "copies").replace("row ", "rows ", 1)
        warn(
            f"{name + ': ' if name else ''}{done} {count(n, what, plural)} "
            f"with duplicates={policy!r}",
            DataWarning,
        )


# --- combined January-February periods ----------------------------------------------------

_COMBINED = re.compile(
    r"^(\d{4})\s*(?:年\s*0?1\s*[-–~]\s*0?2\s*月|[-/]?\s*0?1\s*[-–~/]\s*0?2|M0?1\s*[-–]\s*M?0?2)$",
    re.IGNORECASE,
)
_COMBINED_CHOICES = ("jan-feb",)


def mark_combined(df: pd.DataFrame, combined: str) -> pd.DataFrame:
    """Combined Jan-Feb labels (``2018年1-2月``, ``2018-01/02``, ``2018M01-02``) as January.

    Every text column is rewritten where a value has that shape, so the
    period column of a wide table is found too; ``split_combined`` then
    splits each January whose February is absent.
    """
    if combined not in _COMBINED_CHOICES:
        from trendcast.exceptions import ParameterError

        raise ParameterError(f"combined_periods must be None or 'jan-feb', got {combined!r}")
    out = df.copy()
    for col in out.columns:
        values = out[col]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        labels = values.astype("string").str.strip()
        hit = labels.str.match(_COMBINED.pattern).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            years = labels.str.slice(0, 4)
            out[col] = labels.where(~hit, years + "-01").astype(object)
    return out


def combined_hint(df: pd.DataFrame) -> str:
    """A fix to add when a table holds combined Jan-Feb labels and no option says so."""
    for col in df.columns:
        values = df[col]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            labels = pd.Series(pd.unique(values.dropna())).astype("string").str.strip()
            found = labels[labels.str.match(_COMBINED.pattern).fillna(False)]
            if len(found):
                return (
                    f"; column {str(col)!r} holds combined January-February periods such as "
                    f"{found.iloc[0]!r}: pass combined_periods='jan-feb' to read them"
                )
    return ""


def split_combined(
    df: pd.DataFrame,
    id_col: str,
    time_col: str,
    target_col: str,
    name: str | None,
) -> pd.DataFrame:
    """Split each Jan-Feb total into January and February by their numbers of days.

    A January row whose February is absent from the same series holds the
    two months' total (a combined label was dated January by
    ``mark_combined``, or the publisher dated the total 1 January). It
    becomes a January row with 31/(31+28) of the total (31/60 in a leap
    year) and a February row with the rest, so the pair's total is kept.
    """
    dates = pd.DatetimeIndex(df[time_col])
    present = set(zip(df[id_col], dates, strict=True))
    jan = (dates.month == 1) & (dates.day == 1)
    split = np.array(
        [
            bool(j) and (k, d + pd.DateOffset(months=1)) not in present
            for k, d, j in zip(df[id_col], dates, jan, strict=True)
        ],
        dtype=bool,
    )
    if not split.any():
        return df
    rows = df.iloc[np.flatnonzero(split)]
    starts = pd.DatetimeIndex(rows[time_col])
    feb_days = np.where(starts.is_leap_year, 29, 28)
    jan_share = 31 / (31 + feb_days)
    total = rows[target_col].to_numpy(dtype=float)
    january = rows.assign(**{target_col: total * jan_share})
    february = rows.copy()
    february[target_col] = total - total * jan_share
    february[time_col] = (starts + pd.DateOffset(months=1)).to_numpy()
    out = pd.concat([df.iloc[np.flatnonzero(~split)], january, february], ignore_index=True)
    warn(
        f"{name + ': ' if name else ''}split {count(int(split.sum()), 'combined Jan-Feb total')} "
        "(January rows without a February) into January and February by their numbers of "
        "days (31 and 28 or 29), keeping each pair's total",
        DataWarning,
    )
    return out.sort_values([id_col, time_col], kind="stable").reset_index(drop=True)
