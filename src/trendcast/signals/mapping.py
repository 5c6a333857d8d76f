"""Turn search-term series into one search-interest series per category."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import count, fail, format_items, verb
from trendcast._warnings import warn
from trendcast.exceptions import DataValidationError, DataWarning
from trendcast.signals.stitch import period_end, period_start

__all__ = ["search_by_category"]

logger = logging.getLogger(__name__)


@accepts_frames
def search_by_category(
    search: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    freq: str,
    category_col: str = "category",
    weight_col: str = "weight",
    id_col: str = "unique_id",
    time_col: str = "ds",
    value_col: str = "search",
) -> pd.DataFrame:
    """Aggregate search terms into one search-interest series per category.

    Each term's series is first averaged over the periods of ``freq`` (the
    sales frequency; a period holds the dates from its start up to the next
    start, so weekly search dated by Sunday falls in the month of that
    Sunday), then the terms of a category are averaged with their weights.

    Parameters
    ----------
    search : DataFrame
        Long search frame (``ds, term, value``, optional ``geo``), as
        [`read_google_trends`][trendcast.read_google_trends],
        [`read_search`][trendcast.read_search] or
        [`stitch_trends`][trendcast.stitch_trends] return.
    mapping : DataFrame
        One row per (term, category): a ``term`` column, the category column
        and optionally ``weight`` (positive; default 1) and ``geo`` (to pick
        one place of a term read for several places). A term may feed
        several categories.
    freq : str
        The sales frequency: ``"MS"``, ``"W-SUN"``, ``"QS-JAN"``, ``"D"``...
        It must be as coarse as the search data or coarser.
    category_col, weight_col : str
        Names of the category and weight columns in ``mapping``.
    id_col, time_col, value_col : str
        Names of the category, period and search-interest columns of the
        result (use the names of your sales frame).

    Returns
    -------
    DataFrame
        ``id_col, time_col, value_col, n_terms``: the weighted mean interest
        of the category's terms that have data in the period, and how many
        did. Periods the search data covers only in part are dropped.

    Raises
    ------
    DataValidationError
        For missing columns, bad weights, a term read for several places
        without a ``geo`` in the mapping, search data coarser than ``freq``,
        and categories none of whose terms is in the data (listed).

    Warns
    -----
    DataWarning
        When terms of the mapping are missing from the search data (listed).

    Examples
    --------
    >>> import trendcast as tc
    >>> from trendcast.datasets import load_nl_search_mapping, nl_google_trends_files
    >>> search = tc.read_google_trends(nl_google_trends_files())
    >>> mapping = load_nl_search_mapping()
    >>> by_cat = tc.search_by_category(search, mapping, freq="QS-JAN")
    >>> sorted(by_cat["unique_id"].unique())[:2]
    ['clothes_and_fashion_items', 'consumer_electronics']
    """
    freq = _checked_freq(freq)
    _check_columns(search, mapping, category_col)
    search = search.copy()
    if "geo" not in search.columns:
        search["geo"] = ""
    search["term"] = search["term"].astype(str)
    search["geo"] = search["geo"].astype(str)
    table, keys = _weighted_mapping(mapping, category_col, weight_col)
    search = _search_of_mapping(search, table)
    _check_coverage(search, table, category_col)
    series = _to_freq(search[search["term"].isin(set(table["term"]))], freq)
    merged = series.merge(table[[*keys, "_weight"]], on=[k for k in keys if k != category_col])
    merged["_wv"] = merged["_weight"] * merged["value"]
    out = (
        merged.groupby([category_col, "ds"], sort=True)
        .agg(_wv=("_wv", "sum"), _w=("_weight", "sum"), n_terms=("term", "nunique"))
        .reset_index()
    )
    out[value_col] = out["_wv"] / out["_w"]
    out = out.rename(columns={category_col: id_col, "ds": time_col})
    out = out[[id_col, time_col, value_col, "n_terms"]].reset_index(drop=True)
    out.attrs["freq"] = freq
    return out


def _checked_freq(freq: str) -> str:
    try:
        return freqs.normalize_freq(freq)
    except ValueError as exc:
        raise DataValidationError(
            f"freq={freq!r} is not supported ({exc}). Expected one of {freqs.SUPPORTED}. "
            "Fix: pass the frequency of your sales, e.g. freq='MS'."
        ) from exc


def _check_columns(search: pd.DataFrame, mapping: pd.DataFrame, category_col: str) -> None:
    for label, frame, needed in (
        ("search", search, ["ds", "term", "value"]),
        ("mapping", mapping, ["term", category_col]),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise fail(
                f"the {label} frame misses column{'s' if len(missing) > 1 else ''} "
                f"{format_items(missing)}",
                expected=f"columns {format_items(needed)}",
                found=f"columns {format_items(frame.columns)}",
                fix="rename the columns"
                + (", or pass category_col=" if label == "mapping" else ""),
            )


def _weighted_mapping(
    mapping: pd.DataFrame, category_col: str, weight_col: str
) -> tuple[pd.DataFrame, list[str]]:
    """The mapping with a checked ``_weight`` column, and the columns that key its rows."""
    table = mapping.copy()
    table["term"] = table["term"].astype(str)
    if weight_col in table.columns:
        weights = pd.to_numeric(table[weight_col], errors="coerce")
        bad = np.flatnonzero(~(weights > 0).to_numpy() | ~np.isfinite(weights.to_numpy()))
        if bad.size:
            raise fail(
                f"{count(bad.size, 'weight')} {verb(bad.size, 'is', 'are')} not a positive number",
                column=weight_col,
                expected="weights above 0",
                found="rows " + format_items(bad.tolist()),
                fix="correct the weights, or drop the weight column for equal weights",
            )
        table["_weight"] = weights.astype(float)
    else:
        table["_weight"] = 1.0
    keys = ["term", category_col] + (["geo"] if "geo" in table.columns else [])
    dup = table.duplicated(subset=keys, keep=False)
    if dup.any():
        raise fail(
            "a (term, category) pair appears more than once in the mapping",
            column="term",
            found=format_items(table.loc[dup, "term"].unique()),
            fix="keep one row per term and category (use weight= to count a term more)",
        )
    if "geo" in table.columns:
        table["geo"] = table["geo"].astype(str)
    return table, keys


def _search_of_mapping(search: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The search rows of the places the mapping names; without places, one per term."""
    if "geo" in table.columns:
        return search.merge(table[["term", "geo"]].drop_duplicates(), on=["term", "geo"])
    places = search.groupby("term")["geo"].nunique()
    several = places[places > 1].index.tolist()
    several = [t for t in several if t in set(table["term"])]
    if several:
        raise fail(
            f"{count(len(several), 'term')} of the mapping {verb(len(several), 'is', 'are')} "
            "in the search data for several places",
            column="geo",
            expected="one place per term, or a 'geo' column in the mapping",
            found=format_items(several),
            fix="filter the search data to one place, or add a 'geo' column to the mapping",
        )
    return search


def _check_coverage(search: pd.DataFrame, table: pd.DataFrame, category_col: str) -> None:
    """Fail when a category has no term in the data; warn about the terms missing."""
    present = set(search["term"])
    absent = sorted(set(table["term"]) - present)
    empty = sorted(str(c) for c, g in table.groupby(category_col) if not set(g["term"]) & present)
    if empty:
        raise fail(
            f"{count(len(empty), 'category', 'categories')} {verb(len(empty), 'has', 'have')} no "
            "term in the search data",
            column=category_col,
            expected="at least one term with data per category",
            found=f"{format_items(empty)} (missing terms {format_items(absent)})",
            fix="check the spelling of the terms (exports keep the case and language of the "
            "query), read the missing exports, or drop those categories from the mapping",
        )
    if absent:
        message = (
            f"{count(len(absent), 'term')} of the mapping {verb(len(absent), 'is', 'are')} not in "
            f"the search data and {verb(len(absent), 'is', 'are')} left out: "
            f"{format_items(absent)}"
        )
        warn(message, DataWarning)


def _to_freq(search: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Mean of each (term, geo) series over the complete periods of ``freq``."""
    pieces = []
    target = freqs.kind_of(freq)
    rank = {"D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}
    for (term, geo), g in search.groupby(["term", "geo"], sort=True):
        g = g.sort_values("ds")
        dates = pd.DatetimeIndex(g["ds"])
        own = freqs.infer_freq(pd.Series(dates), pd.Series(np.zeros(len(dates)))) or freq
        if rank[freqs.kind_of(own)] > rank[target]:
            raise fail(
                f"the search series of {term!r} is {own}, coarser than the sales frequency {freq}",
                column="ds",
                expected=f"search data as fine as {freq} or finer",
                found=f"{own} dates",
                fix="forecast at the coarser frequency, or download finer search data",
            )
        if freqs.kind_of(own) == target and own != freq and target == "W":
            raise fail(
                f"the weekly search series of {term!r} ({own}) and the sales ({freq}) start "
                "their weeks on different days",
                column="ds",
                fix="date both by the same weekday, or aggregate both to months",
            )
        period = period_start(dates, freq)
        stats = pd.DataFrame({"p": period, "v": g["value"].to_numpy(dtype=float)}).groupby("p")
        means = stats["v"].mean()
        sizes = stats["v"].size()
        full = {p: _periods_in(p, freq, own) for p in means.index}
        keep = [p for p in means.index if sizes[p] >= full[p]]
        label = _label(pd.DatetimeIndex(keep), freq)
        pieces.append(
            pd.DataFrame({"term": term, "geo": geo, "ds": label, "value": means.loc[keep].values})
        )
    return pd.concat(pieces, ignore_index=True)


def _periods_in(start: pd.Timestamp, freq: str, fine: str) -> int:
    """How many ``fine`` dates a complete ``freq`` period starting at ``start`` holds."""
    if freqs.kind_of(freq) == freqs.kind_of(fine):
        return 1
    end = period_end(start, freq)
    if freqs.kind_of(fine) == "W":
        return len(pd.date_range(start, end, freq=fine))
    return len(pd.date_range(start, end, freq="D" if freqs.kind_of(fine) == "D" else "MS"))


def _label(starts: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """Date each period as the sales do: by its start, or by its end for 'ME', 'QE-', 'YE-'."""
    if freq.startswith(("ME", "QE", "YE")):
        return pd.DatetimeIndex([period_end(s, freq) for s in starts])
    return starts
