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
    Problems,
    count,
    describe_source,
    fail,
    format_items,
    format_rows,
    real_number,
    show,
    verb,
)
from trendcast._warnings import warn
from trendcast.exceptions import DataValidationError, DataWarning, ParameterError
from trendcast.io._checks import (
    check_on_frequency,
    check_table,
    distinct_roles,
    load_frame,
    parse_dates,
    parse_values,
    resolve_freq,
)
from trendcast.io._dates import DateOptions
from trendcast.io._files import FileOptions
from trendcast.io._shapes import (
    check_ids,
    combined_hint,
    handle_duplicates,
    mark_combined,
    split_combined,
    to_long,
)

__all__ = ["DuplicatePolicy", "FillPolicy", "Layout", "read_sales"]

logger = logging.getLogger(__name__)

FillPolicy = Literal["error", "zero", "ffill", "interpolate"]
_FILLS = ("error", "zero", "ffill", "interpolate")


@dataclass(frozen=True)
class ValidatedSales:
    """What validation returns: the clean frame, its frequency and what was done."""

    frame: pd.DataFrame
    freq: str
    n_filled: int


Layout = Literal["long", "wide", "auto"]
DuplicatePolicy = Literal["error", "drop_identical", "sum", "last"]
_LAYOUTS = ("long", "wide", "auto")
_DUPLICATES = ("error", "drop_identical", "sum", "last")


@dataclass(frozen=True)
class ReadOptions:
    """How a sales file is written and what to do with what it holds (see ``read_sales``)."""

    dates: DateOptions = DateOptions()
    file: FileOptions = FileOptions()
    layout: str = "auto"
    duplicates: str = "error"
    max_fill_share: float = 0.2
    normalize_ids: bool = False

    def check(self) -> ReadOptions:
        """Fail with a ParameterError on a setting that is not one of its choices."""
        self.dates.check()
        self.file.check()
        if self.layout not in _LAYOUTS:
            raise ParameterError(
                f"layout must be one of {', '.join(map(repr, _LAYOUTS))}, got {self.layout!r}"
            )
        if self.duplicates not in _DUPLICATES:
            raise ParameterError(
                f"duplicates must be one of {', '.join(map(repr, _DUPLICATES))}, "
                f"got {self.duplicates!r}"
            )
        real_number("max_fill_share", self.max_fill_share, low=0.0, high=1.0)
        if not isinstance(self.normalize_ids, bool):
            raise ParameterError(f"normalize_ids must be True or False, got {self.normalize_ids!r}")
        return self


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
    dayfirst: bool | None = None,
    date_format: str | None = None,
    sep: str | None = None,
    thousands: str | None = None,
    decimal: str = ".",
    sheet: str | int | None = None,
    layout: Layout = "auto",
    duplicates: DuplicatePolicy = "error",
    max_fill_share: float = 0.2,
    normalize_ids: bool = False,
    combined_periods: str | None = None,
) -> pd.DataFrame:
    """Read sales history and return it validated, in long format.

    Every problem found is reported in one error (where, expected, found, fix).
    The guide's "Your own data" shows each option on a company's files.

    Parameters
    ----------
    source : DataFrame, or path to a CSV, Excel (.xlsx) or Parquet file
        One row per (category, period), or (``layout="wide"``) one date column
        and one column per category. Other columns of a long table are kept.
    id_col, time_col, target_col : str
        Names of the category, period and demand columns in ``source``.
    freq : str, optional
        Force the frequency (``"W-SUN"``, ``"MS"``...); inferred by default.
    fill : {"error", "zero", "ffill", "interpolate"}
        Missing periods inside a series: ``"error"`` raises; the others fill
        them (and the other numeric columns) and warn with the rows added.
    allow_negative : bool
        Accept negative demand (returns, net sales). Off by default.
    dayfirst : bool, optional
        Whether ``01/06/2009`` is 1 June (day first) or 6 January. By default
        the order that fits every date; dates that read both ways are refused.
    date_format : str, optional
        strftime codes (``"%d/%m/%Y"``, ``"%G-W%V"`` for ISO weeks). Without
        it ISO weeks (``2024-W05``), week ranges and month labels (``Mar
        2019``, ``2019-03``, ``2019M03``, ``201903``) are recognised.
    sep, thousands, decimal : str, optional
        A CSV's field separator (by default the most frequent of ``,``, ``;``
        and tab in its header), thousands separator (``","`` for ``1,150``)
        and decimal mark (``","`` for European ``1.150,5``; default ``"."``).
    sheet : str or int, optional
        Excel sheet by name or 0-based position (needs ``trendcast[excel]``).
    layout : {"auto", "long", "wide"}
        ``"wide"``: one period column and one demand column per category.
        ``"auto"`` reads a table of one date column plus numeric columns as
        wide, with a ``DataWarning``.
    duplicates : {"error", "drop_identical", "sum", "last"}
        Rows sharing a (category, period): an error listing them (default),
        drop copies identical in every column, add them up, or keep the last.
    max_fill_share : float
        The largest share of a series ``fill=`` may invent (default 0.2).
    normalize_ids : bool
        Merge ids that differ only by surrounding spaces or case; without it
        they stay apart with a ``DataWarning``. Ids stay text either way.
    combined_periods : {"jan-feb"}, optional
        January and February published as one period (China NBS): each total
        is split by the months' days, so the pair's total is kept exactly.

    Returns
    -------
    DataFrame
        Sorted by category and period, index reset, with the caller's column
        names; ``df.attrs["freq"]`` holds the frequency.

    Raises
    ------
    DataValidationError
        For missing columns, empty input, dates unparsable, ambiguous or out
        of pandas' range, duplicates, demand that is not a finite number (or
        negative), dates off the frequency and gaps; naming the file, the
        column, up to five rows or categories and the fix, all in one message.
    ParameterError
        Two of the column names the same, or an option not one of its choices.
    MissingDependencyError
        An Excel file without openpyxl, a Parquet file without pyarrow.

    Warns
    -----
    DataWarning
        Gaps filled, duplicates merged, a wide table read, loose ids, periods split.

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
        options=ReadOptions(
            dates=DateOptions(dayfirst=dayfirst, date_format=date_format),
            file=FileOptions(sep=sep, thousands=thousands, decimal=decimal, sheet=sheet),
            layout=layout,
            duplicates=duplicates,
            max_fill_share=max_fill_share,
            normalize_ids=normalize_ids,
        ),
        combined_periods=combined_periods,
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
    options: ReadOptions | None = None,
    combined_periods: str | None = None,
) -> ValidatedSales:
    """Validate sales; see ``read_sales``. Returns frame, frequency, rows filled."""
    options = (options or ReadOptions()).check()
    name = describe_source(source)
    distinct_roles(id_col=id_col, time_col=time_col, target_col=target_col)
    if fill not in _FILLS:
        raise DataValidationError(
            f"fill={fill!r} is not a fill policy. Expected one of {', '.join(_FILLS)}. "
            "Fix: pass fill='error' to be told about gaps, or a policy to fill them."
        )
    df = load_frame(source, text_columns=(id_col, time_col), options=options.file)
    df.columns = [str(c) for c in df.columns]
    if combined_periods is not None:
        df = mark_combined(df, combined_periods)
    df = to_long(df, options.layout, id_col, time_col, target_col, name, options.dates)

    hint = combined_hint(df) if combined_periods is None else ""
    df = check_table(
        df,
        [id_col, time_col, target_col],
        source=name,
        expected=f"columns for the category ({id_col!r}), period ({time_col!r}) and "
        f"demand ({target_col!r})",
        fix="rename your columns, or tell trendcast their names with "
        "id_col=..., time_col=..., target_col=...; a sheet with one date column and one "
        "column per category is read with layout='wide'" + hint,
        unit="category",
    )
    problems = Problems(name)
    ids_missing = rows_without_id(df, id_col, time_col, name, problems)
    _check_ids_sortable(df, id_col, name)
    df[id_col] = check_ids(df[id_col], options.normalize_ids, source=name, column=id_col)
    dates_ok = False
    with problems.check():
        try:
            df[time_col] = parse_dates(df, time_col, id_col, name, options.dates)
        except DataValidationError as exc:
            if hint:
                raise DataValidationError(f"{exc}{hint}") from exc
            raise
        dates_ok = True
    marks = (options.file.thousands, options.file.decimal)
    with problems.check():
        df[target_col] = parse_values(
            df, target_col, id_col, time_col, name, allow_negative, marks=marks
        )
    if not dates_ok:
        # rows repeated label for label are still found (the dates as written)
        with problems.check():
            handle_duplicates(df, id_col, time_col, target_col, options.duplicates, name)
        problems.raise_any()
    if combined_periods is not None and problems.ok:
        with problems.check():
            df = split_combined(df, id_col, time_col, target_col, name)
    if ids_missing.size:  # the time checks go on without those rows
        df = df.drop(index=df.index[ids_missing]).reset_index(drop=True)

    with problems.check():
        df = handle_duplicates(df, id_col, time_col, target_col, options.duplicates, name)
    df = df.drop_duplicates([id_col, time_col], keep="last")  # only left by a problem kept

    df = df.sort_values([id_col, time_col], kind="stable")
    order = df.index.to_numpy()
    df = df.reset_index(drop=True)

    given, freq = freq, None
    with problems.check():
        freq = resolve_freq(
            df[time_col],
            df[id_col],
            given,
            source=name,
            column=time_col,
            unit="series",
            example="freq='MS' for monthly data dated by the first day",
        )
    if freq is None or not dates_ok:
        problems.raise_any()
    assert freq is not None
    n_filled = 0
    with problems.check():
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
        df, n_filled = _handle_gaps(
            df, id_col, time_col, target_col, freq, fill, name, options.max_fill_share
        )
    problems.raise_any()
    df.attrs["freq"] = freq
    return ValidatedSales(frame=df, freq=freq, n_filled=n_filled)


def rows_without_id(
    df: pd.DataFrame, id_col: str, time_col: str, name: str | None, problems: Problems
) -> np.ndarray:
    """Positions of the rows without a category, each reported as one problem."""
    missing = np.flatnonzero(df[id_col].isna().to_numpy())
    if missing.size:
        with problems.check():
            raise fail(
                f"{count(missing.size, 'row')} {verb(missing.size, 'has', 'have')} no category",
                source=name,
                column=id_col,
                expected="a category id on every row",
                found=format_rows(df, missing, [id_col, time_col], source=name),
                fix="drop those rows or give them a category",
            )
    return missing


def _check_ids_sortable(df: pd.DataFrame, id_col: str, name: str | None) -> None:
    ids = df[id_col]
    try:
        pd.Series(pd.unique(ids), dtype=ids.dtype).sort_values()
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
    max_fill_share: float = 0.2,
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
    too_many = _too_many_missing(df, id_col, gap_at, steps, max_fill_share)
    if too_many:
        shown = "; ".join(
            f"{show(key)}: {missing} of {total} periods ({missing / total:.0%})"
            for key, missing, total in too_many[:5]
        )
        more = f"; and {len(too_many) - 5} more series" if len(too_many) > 5 else ""
        raise fail(
            f"{count(n_missing, 'period')} {verb(n_missing, 'is', 'are')} missing at "
            f"frequency {freq!r}: more than max_fill_share={max_fill_share:g} of "
            f"{count(len(too_many), 'series', 'series')}, so the frequency or the dates "
            "are probably wrong",
            source=name,
            column=time_col,
            expected=f"series with at most {max_fill_share:.0%} of their {freq!r} periods missing",
            found=shown + more,
            fix="check how the dates were read (day-first dates such as 01/06/2009 need "
            "dayfirst=True or date_format='%d/%m/%Y'; week or month labels need "
            "date_format=), pass the right freq=, or, if the gaps are real, "
            "raise max_fill_share",
        )
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


def _too_many_missing(
    df: pd.DataFrame,
    id_col: str,
    gap_at: np.ndarray,
    steps: np.ndarray,
    share: float,
) -> list[tuple[object, int, int]]:
    """Series whose missing periods pass ``share`` of their span: (id, missing, span)."""
    ids = df[id_col].to_numpy()
    missing = pd.Series(steps[gap_at] - 1, index=ids[gap_at]).groupby(level=0, sort=False).sum()
    rows = dict(df[id_col].value_counts(sort=False).items())
    out = []
    for key, n in missing.items():
        total = int(n) + int(rows[key])
        if n / total > share:
            out.append((key, int(n), total))
    return out


def _where_name(name: str | None) -> str:
    return f"{name}: " if name else ""
