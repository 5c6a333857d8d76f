"""Nowcasting: this period's sales from this period's search, before sales are reported.

Search interest for a month is known days after it ends; official sales come
weeks later. Choi and Varian ("Predicting the Present with Google Trends",
Economic Record, 2012) fill that gap with a seasonal autoregression on the log
of sales plus the *same* period's search index::

    log y[t] = b0 + b1 log y[t-1] + b2 log y[t-m] + c . x[t] + e[t]

estimated by least squares on the periods where all terms exist. The nowcast
is the fitted value for the first period after the last reported sales, whose
search is already in. Without search (``search=None``) it is the same
seasonal autoregression: the baseline that search has to beat.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import count, describe_source, fail, format_items, format_rows
from trendcast.exceptions import ParameterError
from trendcast.io.sales import validate_sales
from trendcast.models.base import check_levels

__all__ = ["nowcast"]


@accepts_frames
def nowcast(
    sales: pd.DataFrame | str | os.PathLike[str],
    search: pd.DataFrame | None,
    *,
    search_cols: Sequence[str] = ("search",),
    level: Sequence[int] = (80, 95),
    season_length: int | None = None,
    log: bool = True,
    freq: str | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> pd.DataFrame:
    """Nowcast the first unreported period of every category from its search.

    Per category, a least-squares regression of (log) sales on sales one
    period and one season earlier and the same period's search (Choi and
    Varian's model) is fitted on the history, and evaluated at the period
    after the last reported sales, whose search values must be in
    ``search``.

    Parameters
    ----------
    sales : DataFrame or path
        Long sales frame (``unique_id, ds, y`` or the names given), checked
        as [`read_sales`][trendcast.read_sales] checks it.
    search : DataFrame or None
        The id and time columns plus ``search_cols``, one row per category
        and period, covering every sales period and the period to nowcast
        (e.g. [`search_by_category`][trendcast.search_by_category]'s output).
        ``None`` nowcasts without search: the seasonal autoregression alone.
    search_cols : sequence of str
        Search columns used as regressors, as given (not logged).
    level : sequence of int
        Interval levels in percent: the regression's prediction intervals
        (t distribution, parameter uncertainty included).
    season_length : int, optional
        Periods per season (the seasonal lag); default from the frequency
        (12 for monthly data).
    log : bool
        Model log sales (Choi and Varian); ``False`` models sales as they are.
        On the log scale the nowcast is ``exp`` of the fitted value (the
        median), and the bounds are the exponentiated bounds.
    freq : str, optional
        Frequency of the sales; inferred when omitted.
    id_col, time_col, target_col : str
        Column names in ``sales`` and ``search``.

    Returns
    -------
    DataFrame
        ``<id_col>, <time_col>`` (the period nowcast), ``model``
        (``"nowcast"``, or ``"seasonal AR"`` without search), ``mean``,
        ``lo-<l>, hi-<l>`` per level, and ``n_obs`` (periods in the
        regression).

    Raises
    ------
    DataValidationError
        When a search column is missing or not numeric, search is missing for
        a period the regression or the nowcast needs, or a category has too
        few periods (``season_length + 1 +`` regressors ``+ 4``).
    ParameterError
        For ``level`` outside 1..99 (or not numbers), ``season_length`` below
        1, or ``search_cols`` that are not column names.

    Examples
    --------
    >>> import trendcast as tc
    >>> from trendcast.datasets import load_nl_online_sales, load_nl_search_mapping
    >>> from trendcast.datasets import nl_google_trends_files
    >>> terms = tc.read_google_trends(nl_google_trends_files())
    >>> search = tc.search_by_category(terms, load_nl_search_mapping(), freq="MS")
    >>> sales = load_nl_online_sales()
    >>> reported = sales[sales["ds"] < "2025-03-01"]        # March not yet reported
    >>> now = tc.nowcast(reported, search)
    >>> now[["unique_id", "ds", "model"]].iloc[0].tolist()
    ['clothes_and_fashion_items', Timestamp('2025-03-01 00:00:00'), 'nowcast']
    """
    levels = check_levels(level)
    validated = validate_sales(
        sales, id_col=id_col, time_col=time_col, target_col=target_col, freq=freq
    )
    data, freq_ = validated.frame, validated.freq
    m = _season_length(season_length, freq_)
    cols = [] if search is None else _search_columns(search_cols)
    lookup = None if search is None else _search_lookup(search, cols, id_col, time_col)
    if log and (data[target_col] <= 0).any():
        bad = np.flatnonzero((data[target_col] <= 0).to_numpy())
        raise fail(
            "log=True needs positive sales",
            source=describe_source(sales),
            column=target_col,
            found=format_rows(data, bad, [id_col, time_col, target_col]),
            fix="pass log=False to model sales as they are",
        )
    rows: list[dict[str, Any]] = []
    for key, group in data.groupby(id_col, sort=False):
        y = group[target_col].to_numpy(dtype=float)
        dates = pd.DatetimeIndex(group[time_col])
        target = pd.Timestamp(freqs.future_dates(dates[-1], 1, freq_)[0])
        x = None
        if lookup is not None:
            x = _search_for(lookup, key, [*dates, target], cols, m)
        rows.append(_nowcast_one(key, y, x, target, m, levels, log))
    model = "seasonal AR" if search is None else "nowcast"
    return _nowcast_frame(rows, levels, model, id_col, time_col)


def _search_columns(search_cols: Any) -> list[str]:
    """The search columns as a list of names (one name alone is one column)."""
    if isinstance(search_cols, str):
        return [search_cols]
    if isinstance(search_cols, bytes | Mapping) or not hasattr(search_cols, "__iter__"):
        raise ParameterError(
            f"search_cols must be a sequence of column names, e.g. ('search',); got {search_cols!r}"
        )
    cols = [str(c) for c in search_cols]
    if not cols:
        raise ParameterError("search_cols is empty; name the search column(s), or pass search=None")
    return cols


def _season_length(season_length: int | None, freq: str) -> int:
    """The seasonal lag: as given, else from the frequency; a positive integer."""
    m = season_length if season_length is not None else freqs.season_length_of(freq)
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise ParameterError(f"season_length must be a positive integer, got {m!r}")
    return int(m)


def _nowcast_frame(
    rows: list[dict[str, Any]], levels: tuple[int, ...], model: str, id_col: str, time_col: str
) -> pd.DataFrame:
    """The rows of every category in the documented columns."""
    columns = [id_col, time_col, "model", "mean"]
    for lv in levels:
        columns += [f"lo-{lv}", f"hi-{lv}"]
    out = pd.DataFrame(rows).rename(columns={"_id": id_col, "_ds": time_col})
    out["model"] = model
    return out[[*columns, "n_obs"]]


def _search_lookup(
    search: pd.DataFrame, cols: list[str], id_col: str, time_col: str
) -> pd.DataFrame:
    if not isinstance(search, pd.DataFrame):
        raise ParameterError(
            f"search must be a pandas DataFrame or None, got {type(search).__name__}"
        )
    missing = [c for c in (id_col, time_col, *cols) if c not in search.columns]
    if missing:
        raise fail(
            f"the search frame lacks the column{'s' if len(missing) > 1 else ''} "
            f"{format_items(missing)}",
            expected=f"{id_col!r}, {time_col!r} and the search columns {format_items(cols)}",
            found=f"columns {format_items(search.columns)}",
            fix="rename the columns, or pass search_cols=[...] and id_col/time_col",
        )
    frame = search[[id_col, time_col, *cols]].copy()
    for col in cols:
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & frame[col].notna().to_numpy())
        if bad.size:
            raise fail(
                "the search column is not numeric",
                column=col,
                found=format_rows(search, bad, [id_col, time_col, col]),
                fix="convert it to numbers (pd.to_numeric) after checking the rows shown",
            )
        frame[col] = values.astype(float)
    frame[time_col] = pd.to_datetime(frame[time_col])
    return frame.drop_duplicates([id_col, time_col], keep="last").set_index([id_col, time_col])


def _search_for(
    lookup: pd.DataFrame,
    key: Any,
    dates: list[pd.Timestamp],
    cols: list[str],
    m: int,
) -> np.ndarray:
    """Search rows for ``dates`` (the history, then the period to nowcast), checked."""
    index = pd.MultiIndex.from_arrays([[key] * len(dates), pd.DatetimeIndex(dates)])
    x = lookup.reindex(index).to_numpy(dtype=float)
    absent = ~np.isfinite(x).all(axis=1)
    gaps = [f"{d:%Y-%m-%d}" for d, a in zip(dates[m:-1], absent[m:-1], strict=True) if a]
    if gaps:
        raise fail(
            f"category {key!r} has no search for {count(len(gaps), 'period')} of its sales history",
            column=", ".join(cols),
            expected="a search value for every sales period after the first season",
            found=format_items(gaps),
            fix="fill the search gaps, or start the sales frame where search starts "
            "(one season earlier is enough)",
        )
    if absent[-1]:
        raise fail(
            f"category {key!r} has no search for the period to nowcast, {dates[-1]:%Y-%m-%d}",
            column=", ".join(cols),
            fix="add the search values of that period (nowcasting needs them), or pass "
            "search=None for the seasonal autoregression alone",
        )
    return x


def _nowcast_one(
    key: Any,
    y: np.ndarray,
    x: np.ndarray | None,
    target: pd.Timestamp,
    m: int,
    levels: tuple[int, ...],
    log: bool,
) -> dict[str, Any]:
    z = np.log(y) if log else y.copy()
    n = z.size
    t = np.arange(m, n)  # periods with both lags
    design = [np.ones(t.size), z[t - 1], z[t - m]]
    new = [1.0, z[n - 1], z[n - m]]
    if x is not None:
        design += list(x[t].T)
        new += list(x[n])
    X = np.column_stack(design)
    k = X.shape[1]
    if t.size < k + 4:
        raise fail(
            f"category {key!r} has {count(n, 'period')}, too few to nowcast",
            expected=f"at least {m + k + 4} periods (a season for the seasonal lag, then "
            f"{k + 4} for {k} coefficients)",
            fix="pass a longer history, or a shorter season_length",
        )
    from statsmodels.regression.linear_model import OLS  # not at import: statsmodels is slow

    result = OLS(z[t], X).fit()
    row: dict[str, Any] = {"_id": key, "_ds": target}
    point = np.asarray(new, dtype=float)[None, :]
    back = np.exp if log else (lambda v: v)
    for lv in levels:
        frame = result.get_prediction(point).summary_frame(alpha=1 - lv / 100)
        row["mean"] = float(back(frame["mean"].iloc[0]))
        row[f"lo-{lv}"] = float(back(frame["obs_ci_lower"].iloc[0]))
        row[f"hi-{lv}"] = float(back(frame["obs_ci_upper"].iloc[0]))
    row["n_obs"] = int(t.size)
    return row
