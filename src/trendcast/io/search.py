"""Read search interest from any source as a long frame, and Baidu Index scrapes.

The generic reader checks a long table (``ds``, ``term``, ``value``,
optionally ``geo``) the way [`read_sales`][trendcast.read_sales] checks sales,
and returns the same columns as
[`read_google_trends`][trendcast.read_google_trends], so stitching, the
term-to-category mapping and the lead-lag analysis take either.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import (
    count,
    describe_source,
    fail,
    format_items,
    format_rows,
    verb,
)
from trendcast.exceptions import DataValidationError
from trendcast.io._checks import (
    SEARCH,
    check_on_frequency,
    check_table,
    check_unique,
    distinct_roles,
    load_frame,
    parse_dates,
    parse_values,
    resolve_freq,
)
from trendcast.io._dates import DateOptions
from trendcast.io._files import FileOptions
from trendcast.io.trends import SEARCH_COLUMNS

__all__ = ["read_baidu_index", "read_search"]


@accepts_frames
def read_search(
    source: pd.DataFrame | str | os.PathLike[str],
    *,
    time_col: str = "ds",
    term_col: str = "term",
    value_col: str = "value",
    geo_col: str | None = None,
    freq: str | None = None,
    allow_negative: bool = False,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    sep: str | None = None,
    thousands: str | None = None,
    decimal: str = ".",
    sheet: str | int | None = None,
) -> pd.DataFrame:
    """Read search interest of any source from a long table, validated.

    Parameters
    ----------
    source : DataFrame, or path to a CSV or Parquet file
        One row per (term, period), or per (term, place, period) with
        ``geo_col``.
    time_col, term_col, value_col : str
        Names of the period, search-term and interest columns in ``source``.
    geo_col : str, optional
        Name of the place column, if any. Without it ``geo`` is empty.
    freq : str, optional
        Force the frequency (``"D"``, ``"W-SUN"``, ``"MS"``...); inferred by
        default.
    allow_negative : bool
        Accept negative values (indices relative to a base period).
    dayfirst, date_format : optional
        How the dates are written, as in [`read_sales`][trendcast.read_sales]
        (day-first dates, ISO weeks, month labels).
    sep, thousands, decimal, sheet : optional
        How the file is written, as in [`read_sales`][trendcast.read_sales]
        (CSV separator, number marks, Excel sheet).

    Returns
    -------
    DataFrame
        Columns ``ds, term, geo, value, below_one, is_partial, source`` (the
        flags are all False), sorted by term, place and date;
        ``attrs["freq"]`` holds the frequency.

    Raises
    ------
    DataValidationError
        For missing columns, empty input, missing terms, unreadable dates,
        non-numeric, missing, infinite or negative values, repeated
        (term, place, period) rows and dates off the frequency. The message
        names the file, the column, up to five rows and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> raw = pd.DataFrame({"week": ["2024-01-07", "2024-01-14"], "keyword": ["tents"] * 2,
    ...                     "volume": [120, 135]})
    >>> tc.read_search(raw, time_col="week", term_col="keyword", value_col="volume")[
    ...     ["ds", "term", "value"]]
              ds   term  value
    0 2024-01-07  tents  120.0
    1 2024-01-14  tents  135.0
    """
    name = describe_source(source)
    df = load_frame(
        source,
        text_columns=(term_col, time_col) + ((geo_col,) if geo_col else ()),
        options=FileOptions(sep=sep, thousands=thousands, decimal=decimal, sheet=sheet),
    )
    df.columns = [str(c) for c in df.columns]
    return _validate_long(
        df,
        dates=DateOptions(dayfirst=dayfirst, date_format=date_format),
        marks=(thousands, decimal),
        name=name,
        time_col=time_col,
        term_col=term_col,
        value_col=value_col,
        geo_col=geo_col,
        freq=freq,
        allow_negative=allow_negative,
        label=Path(name).name if name else "frame",
    )


def _validate_long(
    df: pd.DataFrame,
    *,
    name: str | None,
    time_col: str,
    term_col: str,
    value_col: str,
    geo_col: str | None,
    freq: str | None,
    allow_negative: bool,
    label: str,
    dates: DateOptions | None = None,
    marks: tuple[str | None, str] = (None, "."),
) -> pd.DataFrame:
    distinct_roles(time_col=time_col, term_col=term_col, value_col=value_col, geo_col=geo_col)
    wanted = [time_col, term_col, value_col] + ([geo_col] if geo_col else [])
    df = check_table(
        df,
        wanted,
        source=name,
        expected=f"columns for the period ({time_col!r}), the search term ({term_col!r}) "
        f"and the interest ({value_col!r})" + (f" and the place ({geo_col!r})" if geo_col else ""),
        fix="rename your columns, or name them with time_col=, term_col=, value_col=, geo_col=",
        unit="term",
    )
    for col in [term_col] + ([geo_col] if geo_col else []):
        bad = np.flatnonzero(df[col].isna().to_numpy())
        if bad.size:
            raise fail(
                f"{count(bad.size, 'row')} {verb(bad.size, 'has', 'have')} no "
                f"{'term' if col == term_col else 'place'}",
                source=name,
                column=col,
                expected="a value on every row",
                found=format_rows(df, bad, [term_col, time_col], source=name),
                fix="drop those rows or fill them",
            )
    out = pd.DataFrame(
        {
            "ds": parse_dates(df, time_col, term_col, name, dates),
            "term": df[term_col].astype(str).astype(object),
            "geo": (df[geo_col].astype(str) if geo_col else pd.Series("", index=df.index)).astype(
                object
            ),
            "value": parse_values(
                df, value_col, term_col, time_col, name, allow_negative, SEARCH, marks
            ),
            "below_one": False,
            "is_partial": False,
            "source": label,
        }
    )
    check_unique(
        out,
        ["term", "geo", "ds"],
        rows=df,
        show_cols=[c for c in wanted if c != value_col],
        source=name,
        column=time_col,
        what="term, place, period",
        fix="aggregate first (e.g. mean per term and period) or drop the duplicates",
    )
    out = out.sort_values(["term", "geo", "ds"], kind="stable")
    order = out.index.to_numpy()
    out = out.reset_index(drop=True)
    key = out["term"] + "\x00" + out["geo"]
    freq = resolve_freq(
        out["ds"],
        key,
        freq,
        source=name,
        column=time_col,
        unit="term",
        example="freq='W-SUN' for weeks starting on Sunday",
    )
    check_on_frequency(
        out["ds"],
        freq,
        rows=df.iloc[order].reset_index(drop=True),
        show_cols=[term_col, time_col],
        labels=order,
        source=name,
        column=time_col,
        expected=f"every date on the {freq!r} anchor",
        fix="align the dates to period starts, or pass the right freq=",
    )
    out = out[SEARCH_COLUMNS]
    out.attrs["freq"] = freq
    return out


_BAIDU_TERM = ("key_word", "keyword", "keywords", "word", "term", "关键词", "关键字")
_BAIDU_GEO = ("city", "area", "province", "region", "geo", "城市", "地区", "省份")
_BAIDU_DATE = ("date", "ds", "day", "time", "日期", "时间")
_BAIDU_VALUE = ("index", "value", "all", "search_index", "搜索指数", "指数")
_BAIDU_DEVICE = ("type", "device", "终端")


@accepts_frames
def read_baidu_index(
    source: pd.DataFrame | str | os.PathLike[str],
    *,
    start: str | pd.Timestamp | None = None,
    device: str = "all",
    geo: str = "",
) -> pd.DataFrame:
    """Read a Baidu Index (百度指数) scrape as a long search frame.

    Baidu offers no export; public data sets are scraper output. Accepted
    layouts (columns are matched by name, English or Chinese):

    - **long records**, as JSON lines (one object per line), a JSON array or a
      CSV: a keyword (``key_word``, ``keyword``, ``word``, ``关键词``), a date
      (``date``, ``日期``), the index (``index``, ``value``, ``all``,
      ``搜索指数``) and optionally a place (``city``, ``province``, ``area``,
      ``城市``, ``地区``) and a device (``type``: ``all``/``pc``/``wise``,
      kept by ``device=``). Keywords given as lists (``["男装"]``, as the
      ``baidu-index`` package writes them) are joined with ``+``;
    - **wide CSV**: a date column and one column per keyword.

    The date may be a calendar date, or a day number 0, 1, 2... (scrapers of
    "the last N days" write that); day numbers need ``start=``.

    Parameters
    ----------
    source : DataFrame or path (``.jsonl``, ``.json``, ``.csv``)
    start : date, optional
        The date of day 0 when the dates are day numbers.
    device : str
        With a device column: which rows to keep (``"all"``, ``"pc"``,
        ``"wise"`` = mobile).
    geo : str
        The place when the data has no place column (e.g. ``"全国"``).

    Returns
    -------
    DataFrame
        The columns of [`read_search`][trendcast.read_search]; values are
        Baidu's absolute index (not rescaled to 0-100).

    Raises
    ------
    DataValidationError
        For unreadable files, unrecognised columns, day numbers without
        ``start``, and every check of ``read_search``.
    """
    name = describe_source(source)
    df = _load_baidu(source, name)
    df.columns = [str(c).strip() for c in df.columns]
    df, cols = _baidu_long(df, name)
    if cols.device is not None:
        df = _keep_device(df, cols.device, device, name)
    df[cols.term] = df[cols.term].map(_keyword_text)
    if _are_day_numbers(df[cols.date]):
        df[cols.date] = _from_day_numbers(df[cols.date], start, name, cols.date)
    geo_col = cols.geo
    if geo_col is None:
        df["_geo"] = geo
        geo_col = "_geo"
    label = Path(name).name if name else "frame"
    return _validate_long(
        df,
        name=name,
        time_col=cols.date,
        term_col=cols.term,
        value_col=cols.value,
        geo_col=geo_col,
        freq=None,
        allow_negative=False,
        label=label,
    )


@dataclass(frozen=True)
class _BaiduColumns:
    """The columns of a Baidu Index scrape, recognised by name."""

    date: str
    term: str
    value: str
    geo: str | None
    device: str | None


def _baidu_long(df: pd.DataFrame, name: str | None) -> tuple[pd.DataFrame, _BaiduColumns]:
    """Recognise the columns; melt the wide layout (one column per keyword) to long."""
    cols = {c.lower(): c for c in df.columns}

    def pick(options: tuple[str, ...]) -> str | None:
        return next((cols[o] for o in options if o in cols), None)

    term_col, geo_col = pick(_BAIDU_TERM), pick(_BAIDU_GEO)
    date_col, value_col = pick(_BAIDU_DATE), pick(_BAIDU_VALUE)
    device_col = pick(_BAIDU_DEVICE)
    if date_col is None:
        raise fail(
            "no date column",
            source=name,
            expected=f"a date column named one of {format_items(_BAIDU_DATE)}",
            found=f"columns {format_items(df.columns)}",
            fix="rename the date column to 'date'",
        )
    if term_col is None:  # wide layout: one column per keyword
        keywords = [c for c in df.columns if c not in {date_col, geo_col, device_col}]
        if not keywords:
            raise fail(
                "no keyword column",
                source=name,
                expected=f"a keyword column ({format_items(_BAIDU_TERM)}) or one column per "
                "keyword",
                found=f"columns {format_items(df.columns)}",
                fix="rename the keyword column to 'keyword'",
            )
        ids = [date_col] + [c for c in (geo_col, device_col) if c]
        df = df.melt(id_vars=ids, value_vars=keywords, var_name="keyword", value_name="index")
        term_col, value_col = "keyword", "index"
    elif value_col is None:
        raise fail(
            "no index column",
            source=name,
            expected=f"the search index in a column named one of {format_items(_BAIDU_VALUE)}",
            found=f"columns {format_items(df.columns)}",
            fix="rename the index column to 'index'",
        )
    return df, _BaiduColumns(date_col, term_col, value_col, geo_col, device_col)


def _keep_device(df: pd.DataFrame, device_col: str, device: str, name: str | None) -> pd.DataFrame:
    """The rows of one device (all, pc or wise)."""
    kinds = sorted(df[device_col].astype(str).unique())
    if device not in kinds:
        raise fail(
            f"no row for device={device!r}",
            source=name,
            column=device_col,
            expected=f"rows of device {device!r}",
            found=f"devices {format_items(kinds)}",
            fix=f"pass device= one of {format_items(kinds)}",
        )
    return df[df[device_col].astype(str) == device].reset_index(drop=True)


def _are_day_numbers(dates: pd.Series) -> bool:
    """Whether the dates are day numbers 0, 1, 2... (scrapes of "the last N days")."""
    return bool(
        pd.api.types.is_integer_dtype(dates)
        or dates.map(lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool)).all()
    )


def _from_day_numbers(
    dates: pd.Series, start: str | pd.Timestamp | None, name: str | None, column: str
) -> pd.Series:
    """Calendar dates of day numbers counted from ``start``."""
    if start is None:
        raise fail(
            "the dates are day numbers, not calendar dates",
            source=name,
            column=column,
            expected="calendar dates, or day numbers with start= giving the date of day 0",
            found=f"day numbers {int(dates.min())} to {int(dates.max())}",
            fix="pass start='YYYY-MM-DD' (the first day the scraper asked for)",
        )
    try:
        origin = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"start={start!r} is not a date. Fix: pass start='YYYY-MM-DD'."
        ) from exc
    return origin.normalize() + pd.to_timedelta(dates.astype("int64"), unit="D")


def _keyword_text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value)
    return value


def _load_baidu(source: pd.DataFrame | str | os.PathLike[str], name: str | None) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    path = Path(source)
    if path.suffix.lower() not in {".json", ".jsonl", ".ndjson"}:
        return load_frame(source)
    if not path.is_file():
        raise DataValidationError(
            f"In file '{name}': the file does not exist or is not a file. Fix: check the path."
        )
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise DataValidationError(
                f"In file '{name}', line {exc.lineno}: the JSON cannot be read ({exc.msg}). "
                "Expected a JSON array of records or one JSON object per line. Fix: repair "
                "the file or export it again."
            ) from exc
    else:
        records = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataValidationError(
                    f"In file '{name}', line {n}: the line is not a JSON object ({exc.msg}). "
                    "Expected one object per line such as "
                    '{"key_word": "布洛芬", "city": "济南", "date": 0, "index": 405}. '
                    "Fix: repair or remove the line."
                ) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise DataValidationError(
            f"In file '{name}': the JSON holds no list of records. Expected objects with a "
            "keyword, a date and an index. Fix: export the records as a list or one per line."
        )
    return pd.DataFrame.from_records(records)
