"""Forecast accuracy metrics as pure functions on long frames.

Every function takes a frame with the actual values (``target_col``) beside
the forecast (``pred_col``, bounds ``lo-<level>``/``hi-<level>``), such as
the output of
[`TrendForecaster.cross_validation`][trendcast.TrendForecaster.cross_validation],
and returns one row per category. Scaled metrics (MASE, RMSSE) also take the training frame; when
the frame has a ``cutoff`` column, each window is scaled by the training data
up to its cutoff.

The functions work on the whole frame at once (the rows grouped by category
with NumPy, no loop over categories): 20,000 categories take a fraction of a
second (``benchmarks/metrics_speed.py``).

Examples
--------
>>> import pandas as pd
>>> from trendcast import metrics
>>> df = pd.DataFrame({"unique_id": ["a", "a"], "y": [10.0, 20.0], "mean": [12.0, 18.0]})
>>> metrics.mae(df)
  unique_id  mae
0         a  2.0
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import count, fail, format_rows, verb, whole_number
from trendcast.models.base import check_levels

__all__ = [
    "coverage",
    "evaluate",
    "mae",
    "mase",
    "pinball_loss",
    "rmse",
    "rmsse",
    "smape",
    "wape",
]


F = TypeVar("F", bound=Callable[..., pd.DataFrame])


def _quietly(func: F) -> F:
    """Infinite values give NaN or infinite scores, not numpy's RuntimeWarnings."""

    @functools.wraps(func)
    def scored(*args: Any, **kwargs: Any) -> pd.DataFrame:
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            return func(*args, **kwargs)

    return scored  # type: ignore[return-value]


def _check(
    df: pd.DataFrame,
    cols: Sequence[str],
    *,
    values: Sequence[str] = (),
    dates: Sequence[str] = (),
) -> pd.DataFrame:
    """``df`` with ``values`` as floats and ``dates`` as datetimes, or a clear error.

    Missing columns, a column named twice, values that are not real numbers
    (text, complex, True/False), numbers as dates and unreadable dates are
    refused, naming the column and rows. Missing values (NaN) stay: their
    scores are NaN.
    """
    if not isinstance(df, pd.DataFrame):
        raise fail(
            "the frame to score is not a DataFrame",
            found=type(df).__name__,
            fix="pass the output of cross_validation (which has the actuals)",
        )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise fail(
            f"missing column(s) {missing}",
            expected=f"columns {list(cols)}",
            found=f"columns {list(df.columns)}",
            fix="pass the output of cross_validation (which has the actuals), or name the "
            "columns with id_col=, target_col=, pred_col=",
        )
    for col in dict.fromkeys(cols):
        if isinstance(df[col], pd.DataFrame):
            raise fail("the column name appears more than once", column=col, fix="rename one")
    if not values and not dates:
        return df
    out = df.copy()
    for col in values:
        out[col] = _real_values(out, col, cols[0])
    for col in dates:
        out[col] = _dates(out, col)
    return out


def _real_values(df: pd.DataFrame, col: str, id_col: str) -> np.ndarray:
    """The values of ``col`` as floats; text, complex and booleans are an error naming the rows."""
    column = df[col]
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_complex_dtype(column):
        bad = np.arange(len(column))
    elif pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan)
    else:
        real = [
            v is None or (isinstance(v, int | float | np.integer | np.floating)
                          and not isinstance(v, bool | np.bool_))
            for v in column
        ]  # fmt: skip
        bad = np.flatnonzero(~np.asarray(real, dtype=bool))
        if not bad.size:
            return pd.to_numeric(column).to_numpy(dtype=float, na_value=np.nan)
    raise fail(
        f"{count(len(bad), 'value')} {verb(len(bad), 'is not a number', 'are not numbers')}",
        column=col,
        expected="real numbers (NaN where missing)",
        found=format_rows(df.reset_index(drop=True), bad, [id_col, col]),
        fix="convert the column to numbers (pd.to_numeric) before scoring",
    )


def _dates(df: pd.DataFrame, col: str) -> pd.Series:
    """The dates of ``col``; numbers (20240131) and unreadable dates are an error."""
    column = df[col]
    if column.dtype.kind == "M":  # datetime64, with or without a time zone: dates already
        return pd.to_datetime(column)
    numbers = [isinstance(v, int | float | np.number) for v in column.dropna()]
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column) or any(numbers):
        raise fail(
            "the dates are numbers",
            column=col,
            expected="dates (datetime64, or text like '2024-01-01')",
            fix="pass the sales frame read by tc.read_sales",
        )
    try:
        with warnings.catch_warnings():  # dates in several formats: read one by one
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(column)
    except (TypeError, ValueError, OverflowError) as exc:
        raise fail(f"the dates cannot be read ({exc})", column=col, fix="use ISO dates") from exc


def _groups(df: pd.DataFrame, id_col: str) -> tuple[np.ndarray, list[Any]]:
    """Each row's category number (-1 for a missing id) and the categories, sorted.

    The numbers and the order are those of ``df.groupby(id_col, sort=True)``.
    """
    grouped = df.groupby(id_col, sort=True)
    numbers = grouped.ngroup().to_numpy()
    if numbers.dtype.kind == "f":  # rows whose id is missing belong to no group
        numbers = np.where(np.isnan(numbers), -1, numbers)
    return numbers.astype(np.int64), grouped.size().index.tolist()


def _numbers(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as float64, missing values as NaN."""
    return df[col].to_numpy(dtype=float, na_value=np.nan)


def _range_sums(values: np.ndarray, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """``values[begin[i]:end[i]].sum()`` for every ``i`` (0 for an empty range).

    Each range is summed as NumPy sums an array (pairwise), so a range gives
    the same sum as ``np.sum`` of that slice.
    """
    if begin.size == 0:
        return np.zeros(0)
    padded = np.append(values, 0.0)
    edges = np.empty(2 * begin.size, dtype=np.int64)
    edges[0::2], edges[1::2] = begin, end
    sums = np.add.reduceat(padded, np.minimum(edges, values.size))[0::2]
    return np.where(end > begin, sums, 0.0)


def _sums(
    groups: np.ndarray, values: np.ndarray, n: int, skipna: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Per group (0 to ``n - 1``), the sum of ``values`` and how many were summed.

    Rows of group -1 are left out. ``skipna`` leaves NaN out as pandas'
    ``Series.sum`` and ``Series.mean`` do; otherwise a NaN makes its group's sum
    NaN, as NumPy's. The rows of a group are summed in their order, as
    ``np.sum`` sums them.
    """
    keep = groups >= 0
    if skipna:
        keep &= ~np.isnan(values)
    order = np.argsort(groups[keep], kind="stable")
    counts = np.bincount(groups[keep], minlength=n)
    starts = np.cumsum(counts) - counts
    return _range_sums(values[keep][order], starts, starts + counts), counts


def _means(groups: np.ndarray, values: np.ndarray, n: int, skipna: bool) -> np.ndarray:
    """Per group, the mean of ``values`` (NaN for a group with nothing to average)."""
    totals, counts = _sums(groups, values, n, skipna)
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals / counts


def _table(id_col: str, keys: list[Any], name: str, values: np.ndarray) -> pd.DataFrame:
    """One row per category: its id and the metric."""
    return pd.DataFrame({id_col: keys, name: values.tolist()})


def _point(
    df: pd.DataFrame, id_col: str, target_col: str, pred_col: str
) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray]:
    """The columns checked: group numbers, categories, actuals and forecasts."""
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col])
    groups, keys = _groups(df, id_col)
    return groups, keys, _numbers(df, target_col), _numbers(df, pred_col)


@accepts_frames
@_quietly
def mae(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Mean absolute error per category."""
    groups, keys, y, f = _point(df, id_col, target_col, pred_col)
    return _table(id_col, keys, "mae", _means(groups, np.abs(y - f), len(keys), skipna=True))


@accepts_frames
@_quietly
def rmse(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Root mean squared error per category."""
    groups, keys, y, f = _point(df, id_col, target_col, pred_col)
    mse = _means(groups, (y - f) ** 2, len(keys), skipna=True)
    return _table(id_col, keys, "rmse", np.sqrt(mse))


@accepts_frames
@_quietly
def smape(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Symmetric MAPE per category, on the 0-200 scale of the M3 competition.

    ``200 * |y - f| / (|y| + |f|)``, averaged; a period where both are zero
    counts as zero error.
    """
    groups, keys, y, f = _point(df, id_col, target_col, pred_col)
    denom = np.abs(y) + np.abs(f)
    with np.errstate(invalid="ignore"):
        positive = denom > 0
    terms = np.divide(200 * np.abs(y - f), denom, out=np.zeros_like(denom), where=positive)
    return _table(id_col, keys, "smape", _means(groups, terms, len(keys), skipna=False))


@accepts_frames
@_quietly
def wape(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Weighted absolute percentage error: sum |y - f| / sum |y| per category."""
    groups, keys, y, f = _point(df, id_col, target_col, pred_col)
    total = _sums(groups, np.abs(y), len(keys), skipna=True)[0]
    err = _sums(groups, np.abs(y - f), len(keys), skipna=True)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = err / total
    values = np.where(total > 0, ratio, np.where(err == 0, 0.0, np.inf))
    return _table(id_col, keys, "wape", values)


def _ranks(*columns: pd.Series) -> tuple[list[np.ndarray], int]:
    """The values of ``columns`` as ranks in one order, and the number of ranks.

    A missing value ranks after every value (as ``sort_values`` puts it last).
    """
    joined = pd.concat([c.reset_index(drop=True) for c in columns], ignore_index=True)
    codes, uniques = pd.factorize(joined, sort=True)
    codes = np.where(codes < 0, len(uniques), codes).astype(np.int64)
    bounds = np.cumsum([0, *(len(c) for c in columns)])
    parts = [codes[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return parts, len(uniques) + 1


def _scales(
    history: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    season_length: int,
    squared: bool,
) -> np.ndarray:
    """The in-sample error of the seasonal naive forecast on each history prefix.

    ``history`` holds the series one after the other, each in time order;
    prefix ``i`` is the first ``lengths[i]`` values of the series that starts at
    ``starts[i]``. The lag is ``season_length``, or 1 for a prefix of at most
    ``season_length`` values; a prefix too short for its lag has no scale
    (NaN).
    """
    lag = np.where(lengths > season_length, season_length, 1)
    out = np.full(lengths.size, np.nan)
    for used in np.unique(lag):
        diffs = np.full(history.size, np.nan)
        diffs[used:] = history[used:] - history[:-used]
        diffs = diffs**2 if squared else np.abs(diffs)
        rows = np.flatnonzero((lag == used) & (lengths > used))
        begin = starts[rows] + used
        out[rows] = _range_sums(diffs, begin, starts[rows] + lengths[rows]) / (lengths[rows] - used)
    return out


def _windows(
    groups: np.ndarray, cut: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The scoring windows: one per category and cutoff, or one per category.

    Returns which rows are in a window, each such row's window, and each
    window's category and cutoff rank. Rows without a category or (with
    cutoffs) without a cutoff are in none.
    """
    if cut is None:
        n = int(groups.max(initial=-1)) + 1
        inside = groups >= 0
        return inside, groups[inside], np.arange(n), np.zeros(n, dtype=np.int64)
    inside = (groups >= 0) & (cut >= 0)
    width = int(cut.max(initial=0)) + 1
    pairs = groups[inside] * width + cut[inside]
    found, window = np.unique(pairs, return_inverse=True)
    return inside, window.ravel(), found // width, found % width


@_quietly
def _scaled(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    id_col: str,
    time_col: str,
    target_col: str,
    pred_col: str,
    squared: bool,
) -> pd.DataFrame:
    whole_number("season_length", season_length)
    cut_col = ["cutoff"] if "cutoff" in getattr(df, "columns", ()) else []
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col], dates=cut_col)
    train_df = _check(
        train_df, [id_col, time_col, target_col], values=[target_col], dates=[time_col]
    )
    groups, keys = _groups(df, id_col)
    errors = _numbers(df, target_col) - _numbers(df, pred_col)
    errors = errors**2 if squared else np.abs(errors)
    cut: np.ndarray | None = None
    if "cutoff" in df.columns:
        (train_time, cut), span = _ranks(train_df[time_col], df["cutoff"])
        cut = np.where(df["cutoff"].isna().to_numpy(), -1, cut)
    else:
        (train_time,), span = _ranks(train_df[time_col])
    inside, window, window_key, window_cut = _windows(groups, cut)
    numerator = _means(window, errors[inside], window_key.size, skipna=False)
    # the histories one after the other, each in time order (missing times last)
    train_groups, train_keys = _groups(train_df, id_col)
    order = np.lexsort((train_time, train_groups))
    order = order[train_groups[order] >= 0]
    history = _numbers(train_df, target_col)[order]
    position = train_groups[order] * span + train_time[order]
    starts = np.searchsorted(train_groups[order], np.arange(len(train_keys)))
    # each window's series and prefix: the history up to its cutoff, or all of it
    owner = pd.Index(train_keys).get_indexer(pd.Index(keys, dtype=object))[window_key]
    known = owner >= 0
    # without cutoffs, up to the last rank (missing times included)
    last = window_cut[known] if cut is not None else np.full(int(known.sum()), span - 1)
    lengths = np.searchsorted(position, owner[known] * span + last, side="right")
    lengths -= starts[owner[known]]
    scale = np.full(window_key.size, np.nan)
    scale[known] = _scales(history, starts[owner[known]], lengths, season_length, squared)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(scale > 0, numerator / scale, np.nan)
    per_key = _means(window_key, value, len(keys), skipna=False)
    name = "rmsse" if squared else "mase"
    return _table(id_col, keys, name, np.sqrt(per_key) if squared else per_key)


@accepts_frames
def mase(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """Mean absolute scaled error per category (Hyndman and Koehler, 2006).

    The scale is the in-sample mean absolute error of the seasonal naive
    forecast (lag ``season_length``; lag 1 if the history is shorter).

    Raises
    ------
    DataValidationError
        For frames without the columns read.
    ParameterError
        For ``season_length`` that is not a whole number of 1 or more.
    """
    return _scaled(df, train_df, season_length, id_col, time_col, target_col, pred_col, False)


@accepts_frames
def rmsse(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """Root mean squared scaled error per category (the M5 competition's measure).

    Raises
    ------
    DataValidationError
        For frames without the columns read.
    ParameterError
        For ``season_length`` that is not a whole number of 1 or more.
    """
    return _scaled(df, train_df, season_length, id_col, time_col, target_col, pred_col, True)


@accepts_frames
@_quietly
def pinball_loss(
    df: pd.DataFrame, level: int, *, id_col: str = "unique_id", target_col: str = "y"
) -> pd.DataFrame:
    """Mean pinball (quantile) loss of the two bounds of the ``level`` interval.

    ``lo-<level>`` is the ``(1 - level/100)/2`` quantile and ``hi-<level>`` the
    ``(1 + level/100)/2`` quantile.
    """
    whole_number("level", level, low=1, high=99)
    lo, hi = f"lo-{level}", f"hi-{level}"
    df = _check(df, [id_col, target_col, lo, hi], values=[target_col, lo, hi])
    q_lo, q_hi = (1 - level / 100) / 2, (1 + level / 100) / 2

    def loss(y: np.ndarray, f: np.ndarray, q: float) -> np.ndarray:
        d = y - f
        return np.maximum(q * d, (q - 1) * d)

    groups, keys = _groups(df, id_col)
    y = _numbers(df, target_col)
    terms = (loss(y, _numbers(df, lo), q_lo) + loss(y, _numbers(df, hi), q_hi)) / 2
    return _table(id_col, keys, f"pinball-{level}", _means(groups, terms, len(keys), skipna=False))


@accepts_frames
@_quietly
def coverage(
    df: pd.DataFrame, level: int, *, id_col: str = "unique_id", target_col: str = "y"
) -> pd.DataFrame:
    """Share of actual values inside the ``level`` interval, per category."""
    whole_number("level", level, low=1, high=99)
    lo, hi = f"lo-{level}", f"hi-{level}"
    df = _check(df, [id_col, target_col, lo, hi], values=[target_col, lo, hi])
    groups, keys = _groups(df, id_col)
    y = _numbers(df, target_col)
    with np.errstate(invalid="ignore"):
        covered = ((y >= _numbers(df, lo)) & (y <= _numbers(df, hi))).astype(float)
    return _table(
        id_col, keys, f"coverage-{level}", _means(groups, covered, len(keys), skipna=False)
    )


@accepts_frames
def evaluate(
    df: pd.DataFrame,
    train_df: pd.DataFrame | None = None,
    season_length: int | None = None,
    *,
    level: Sequence[int] = (),
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """All point metrics (and interval metrics for ``level``) in one table per category.

    Raises
    ------
    DataValidationError
        For frames without the columns read.
    ParameterError
        For ``season_length`` below 1, or ``level`` outside 1..99.
    """
    kw = {"id_col": id_col, "target_col": target_col}
    tables = [
        mae(df, pred_col=pred_col, **kw),
        rmse(df, pred_col=pred_col, **kw),
        smape(df, pred_col=pred_col, **kw),
        wape(df, pred_col=pred_col, **kw),
    ]
    if train_df is not None and season_length is not None:
        tables.append(mase(df, train_df, season_length, time_col=time_col, pred_col=pred_col, **kw))
        tables.append(
            rmsse(df, train_df, season_length, time_col=time_col, pred_col=pred_col, **kw)
        )
    check_levels(level)  # every level valid; the tables follow the caller's order, repeats kept
    given: list[Any] = [level] if np.ndim(level) == 0 else list(level)
    for lv in given:
        tables.append(coverage(df, lv, **kw))
        tables.append(pinball_loss(df, lv, **kw))
    return _joined(tables, id_col)


def _joined(tables: list[pd.DataFrame], id_col: str) -> pd.DataFrame:
    """The tables side by side, merged on the category (outer).

    Every table lists the same categories in the same order (the groups of
    the same frame), so the columns are put side by side, which is what the
    merge gives, without its cost (a merge of 20,000 categories took longer
    than computing the metrics); tables that disagree are merged.
    """
    out = tables[0]
    names = [c for t in tables for c in t.columns if c != id_col]
    same_keys = all(t[id_col].equals(out[id_col]) for t in tables[1:])
    if len(out) and same_keys and len(set(names)) == len(names):
        return pd.concat([out, *(t.drop(columns=id_col) for t in tables[1:])], axis=1)
    for t in tables[1:]:
        out = out.merge(t, on=id_col, how="outer")
    return out
