"""Hotspots (large forecast markets) and emerging categories (accelerating growth).

[`hotspots`][trendcast.hotspots] ranks categories and sectors by forecast
demand summed over a period, against size thresholds the caller sets, with the
growth over the same calendar periods of the history.
[`emerging`][trendcast.emerging] scores categories whose sales growth
accelerates while search interest rises, with a Mann-Kendall trend test
([`mann_kendall`][trendcast.mann_kendall]) on the recent search series.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import (
    count,
    fail,
    format_items,
    format_rows,
    real_number,
    require_columns,
    verb,
    whole_number,
)
from trendcast.exceptions import ParameterError
from trendcast.hierarchy import Hierarchy

__all__ = ["MannKendall", "emerging", "hotspots", "mann_kendall"]

#: the longest window ``emerging`` compares (10,000 weeks are 190 years)
MAX_WINDOW = 10_000

#: periods per year of each frequency family (daily: 52 weeks, so weekdays line up)
_PER_YEAR = {"D": 364, "W": 52, "M": 12, "Q": 4, "Y": 1}
#: the frequency alias that numbers the periods of each frequency family
_PERIOD_FREQ = {"D": "D", "W": "W-SUN", "M": "MS", "Q": "QS-JAN", "Y": "YS-JAN"}


# --------------------------------------------------------------------------- Mann-Kendall
@dataclass(frozen=True)
class MannKendall:
    """Result of [`mann_kendall`][trendcast.mann_kendall].

    Attributes
    ----------
    tau : float
        Kendall's tau between the series and time: ``s`` over the number of
        pairs compared (-1 always falling, +1 always rising).
    s : float
        The Mann-Kendall statistic, ``sum sign(x_j - x_i)`` over ``i < j``
        (within each season for the seasonal test).
    var_s : float
        Variance of ``s`` under "no trend", corrected for ties.
    z : float
        ``(s - sign(s)) / sqrt(var_s)`` (continuity-corrected).
    p_value : float
        Two-sided p-value of ``z`` under the normal approximation (1 when
        every value is tied).
    n : int
        Observations used (missing values dropped).
    """

    tau: float
    s: float
    var_s: float
    z: float
    p_value: float
    n: int


def _mk_parts(x: np.ndarray) -> tuple[float, float, float]:
    """S, tie-corrected Var(S) and the number of pairs of one series."""
    n = x.size
    if n < 2:
        return 0.0, 0.0, 0.0
    diff = x[None, :] - x[:, None]
    s = float(np.sign(diff[np.triu_indices(n, k=1)]).sum())
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18
    return s, var, n * (n - 1) / 2


def mann_kendall(x: Any, *, season_length: int = 1) -> MannKendall:
    """Mann-Kendall test for a monotonic trend, optionally seasonal.

    With ``season_length = 1`` this is the classic test (Mann 1945, Kendall
    1975): ``S = sum_{i<j} sign(x_j - x_i)``, ``Var(S) = [n(n-1)(2n+5) -
    sum_t t(t-1)(2t+5)] / 18`` where ``t`` runs over the sizes of groups of
    tied values, ``Z = (S - sign(S)) / sqrt(Var(S))`` and a two-sided normal
    p-value. With ``season_length = m > 1`` it is the seasonal test of
    Hirsch, Slack & Smith (1982): the statistic and its variance are summed
    over the ``m`` seasons (position ``i mod m``), so a seasonal pattern
    alone is not a trend. Tau is ``S`` over the number of pairs compared.

    Parameters
    ----------
    x : array-like
        The series in time order, equally spaced; missing values are dropped
        (their season is kept).
    season_length : int
        Number of seasons (12 for monthly data with a yearly pattern).

    Returns
    -------
    MannKendall

    Raises
    ------
    ParameterError
        For ``season_length`` that is not a whole number of 1 or more, or ``x``
        that is not a sequence of numbers.

    Examples
    --------
    >>> import trendcast as tc
    >>> result = tc.mann_kendall([1, 2, 3, 4, 5])
    >>> result.s, result.var_s, round(result.p_value, 4)
    (10.0, 16.666666666666668, 0.0275)
    >>> tc.mann_kendall([5, 1, 5, 1, 5, 1], season_length=2).tau  # seasonal, no trend
    0.0
    >>> tc.mann_kendall([1, 10, 2, 11, 3, 12], season_length=2).tau  # rises in each season
    1.0
    """
    m = whole_number("season_length", season_length)
    assert m is not None
    try:
        values = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"x must be a sequence of numbers ({exc})") from exc
    s = var = pairs = 0.0
    n_used = 0
    for g in range(min(m, values.size)):  # seasons past the data are empty
        part = values[g::m]
        part = part[np.isfinite(part)]
        n_used += part.size
        s_g, var_g, pairs_g = _mk_parts(part)
        s, var, pairs = s + s_g, var + var_g, pairs + pairs_g
    if pairs == 0:  # fewer than two observations in every season: nothing to compare
        return MannKendall(tau=math.nan, s=s, var_s=var, z=math.nan, p_value=math.nan, n=n_used)
    z = (s - np.sign(s)) / math.sqrt(var) if var > 0 else 0.0  # all tied: no trend
    return MannKendall(
        tau=s / pairs,
        s=s,
        var_s=var,
        z=float(z),
        p_value=float(2 * stats.norm.sf(abs(z))),
        n=n_used,
    )


# --------------------------------------------------------------------------- helpers
def _freq_kind(dates: pd.Series, ids: pd.Series, what: str) -> str:
    # rows by category, then date; the categories' order does not matter to
    # infer_freq, so their codes sort them (sorting the id strings cost seconds)
    order = np.lexsort((dates.to_numpy(), pd.factorize(ids.astype(str))[0]))
    freq = freqs.infer_freq(
        dates.iloc[order].reset_index(drop=True), ids.iloc[order].reset_index(drop=True)
    )
    if freq is None:
        raise fail(
            f"the frequency of {what} cannot be inferred",
            expected=f"regular periods: {freqs.SUPPORTED}",
            found="irregular or single dates",
            fix="pass at least two consecutive periods per category",
        )
    return freqs.kind_of(freq)


@dataclass
class _Histories:
    """Every category's history in one array, sorted by category then period number.

    What ``_series`` gives as one ``Series`` a category, kept flat so that the
    sums of many windows are looked up at once (``sums_at``): hotspots and
    emerging read three windows a category, 10,000 categories a night, and a
    ``Series`` a category with a lookup a window cost most of a nightly run's
    markets stage (7.4 s of 43 s at e7c5509).
    """

    keys: Any  # the categories, in the order groupby(sort=False) gives
    numbers: np.ndarray  # period numbers, by category then number
    values: np.ndarray
    bounds: np.ndarray  # the rows of category i: bounds[i]:bounds[i + 1]

    def __post_init__(self) -> None:
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.codes = np.repeat(np.arange(len(self.keys), dtype=np.int64), np.diff(self.bounds))
        twice = (np.diff(self.numbers) == 0) & (np.diff(self.codes) == 0)
        self.unique = np.ones(len(self.keys), dtype=bool)  # no period twice
        self.unique[self.codes[1:][twice]] = False

    def series(self, i: int) -> pd.Series:
        """Category ``i``'s values indexed by period number."""
        rows = slice(self.bounds[i], self.bounds[i + 1])
        return pd.Series(self.values[rows], index=self.numbers[rows])

    def positions(self, nodes: Any) -> np.ndarray:
        """The position of each node among the categories, -1 for one without history."""
        return np.array([self.index.get(n, -1) for n in nodes], dtype=np.int64)

    def sums_at(self, pos: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """Per row: ``_history_sum`` of category ``pos[i]`` at period numbers ``numbers[i]``.

        ``numbers`` is ``(rows, p)``; each row is summed as one array of ``p``
        values, as ``_history_sum`` sums it, so the sums are the same to the
        last bit. A category whose history has a period twice goes through
        ``_history_sum`` (and its error).
        """
        out = np.full(len(pos), np.nan)
        has = pos >= 0
        dup = has & ~self.unique[np.where(has, pos, 0)] if len(self.keys) else has
        for row in np.flatnonzero(dup):
            out[row] = _history_sum(self.series(int(pos[row])), numbers[row])
        rows = np.flatnonzero(has & ~dup)
        if not len(rows) or not len(self.numbers):
            return out
        low, high = int(self.numbers.min()), int(self.numbers.max())
        span = high - low + 1
        keyed = self.codes * span + (self.numbers - low)
        wanted = numbers[rows]
        inside = (wanted >= low) & (wanted <= high)
        query = pos[rows, None] * span + (np.clip(wanted, low, high) - low)
        at = np.minimum(np.searchsorted(keyed, query), len(keyed) - 1)
        hit = inside & (keyed[at] == query)
        got = np.where(hit, self.values[at], np.nan)
        out[rows] = np.where(np.isfinite(got).all(axis=1), got.sum(axis=1), np.nan)
        return out


def _histories(frame: pd.DataFrame, id_col: str, time_col: str, value_col: str) -> _Histories:
    """Every category's values by period number, sorted (see ``_Histories``)."""
    kind = _freq_kind(frame[time_col], frame[id_col], f"column {time_col!r}")
    freq = _PERIOD_FREQ[kind]
    # the period numbers and values of every row at once, sorted by category (in the
    # order groupby(sort=False) gives) then number: a nightly run has thousands
    codes, keys = pd.factorize(frame[id_col], sort=False)
    numbers = freqs.period_number(pd.to_datetime(frame[time_col]), freq)
    values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float)
    order = np.lexsort((numbers, codes))
    order = order[codes[order] >= 0]  # missing ids: no group, as groupby
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    return _Histories(keys, numbers[order], values[order], bounds)


def _series(
    frame: pd.DataFrame, id_col: str, time_col: str, value_col: str
) -> dict[Any, pd.Series]:
    """Category -> values indexed by period number (consecutive integers), sorted."""
    hist = _histories(frame, id_col, time_col, value_col)
    return {key: hist.series(i) for i, key in enumerate(hist.keys)}


def _groups(frame: pd.DataFrame, id_col: str) -> tuple[Any, np.ndarray, np.ndarray]:
    """The categories in the order groupby(sort=False) gives, their rows and where each starts.

    Returns ``keys, order, starts``: ``frame.iloc[order[starts[i]:starts[i + 1]]]``
    is category ``i``'s group, rows in frame order (missing ids: no group).
    """
    codes, keys = pd.factorize(frame[id_col], sort=False)
    valid = np.flatnonzero(codes >= 0)
    order = valid[np.argsort(codes[valid], kind="stable")]
    starts = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    return keys, order, starts


def _head_sums(values: np.ndarray, first: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``float(Series(values[first[i]:first[i] + lengths[i]]).sum())`` for every i, at once.

    pandas' sum skips NaN (a sum of zeros when all are); the values of equal
    lengths are summed as the rows of one array, which NumPy sums as it sums
    each row alone.
    """
    out = np.zeros(len(first))
    filled = np.where(np.isnan(values), 0.0, values)
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        out[rows] = filled[first[rows, None] + np.arange(length)].sum(axis=1)
    return out


def _history_sum(hist: pd.Series | None, numbers: np.ndarray) -> float:
    """Sum of the history at period numbers ``numbers``; NaN when one is missing."""
    if hist is None:
        return math.nan
    index = hist.index
    if index.is_unique and index.is_monotonic_increasing:
        # reindex's values, found by binary search (reindex costs far more per call)
        known = index.to_numpy()
        pos = np.minimum(np.searchsorted(known, numbers), max(known.size - 1, 0))
        hit = known[pos] == numbers if known.size else np.zeros(len(numbers), dtype=bool)
        got = np.where(hit, hist.to_numpy(dtype=float)[pos] if known.size else np.nan, np.nan)
    else:  # duplicated periods: reindex raises its error
        got = hist.reindex(numbers).to_numpy(dtype=float)
    return float(got.sum()) if np.isfinite(got).all() else math.nan


def _per_year(kind: str) -> int:
    return _PER_YEAR[kind]


# --------------------------------------------------------------------------- hotspots
@accepts_frames
def hotspots(
    forecast: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    thresholds: Mapping[str, float] | None = None,
    period: int | None = None,
    hierarchy: Hierarchy | None = None,
    paths: Mapping[Any, np.ndarray] | None = None,
    level: int = 80,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> pd.DataFrame:
    """Rank categories (and sectors) by forecast demand over a period, against size thresholds.

    Parameters
    ----------
    forecast : DataFrame
        ``id_col, time_col, mean`` and ``lo-<level>, hi-<level>`` (a
        ``TrendForecaster.predict`` or ``reconcile`` output).
    history : DataFrame, optional
        Sales ``id_col, time_col, target_col``, for the growth columns.
    thresholds : dict, optional
        Size label -> minimum total, e.g. ``{"100bn": 1e11, "1tn": 1e12}``,
        **in the unit of the forecast** (the bundled US retail data is in
        millions of dollars: ``{"100bn": 1e5, "1tn": 1e6}``). Only nodes at
        or above the smallest threshold are kept, and ``tier`` is the label
        of the largest threshold passed. None keeps every node (``tier``
        missing).
    period : int, optional
        Number of forecast periods summed, from the first: default 12, or
        the whole horizon when it is shorter.
    hierarchy : Hierarchy, optional
        Add the sectors: nodes without a forecast row are the sums of their
        categories (means, paths and, without paths, the interval bounds).
        A ``reconcile`` output already has every node and is used as is.
    paths : dict, optional
        Node -> array ``(n_paths, h)`` (``TrendForecaster.sample_paths(...,
        output="arrays")`` or ``reconcile_paths``). The interval of the total
        is then the quantiles of each path's sum over the period. Without
        paths it is the sum of the period bounds ``lo-<level>``,
        ``hi-<level>``: exact when the errors of the periods move together,
        wider than the truth otherwise (a conservative interval).
    level : int
        Interval level of ``total_lo, total_hi`` and ``growth_lo, growth_hi``.
    id_col, time_col, target_col : str
        Column names.

    Returns
    -------
    DataFrame
        ``rank, id_col, level, total, total_lo, total_hi, tier, growth,
        growth_lo, growth_hi, start, end, periods, baseline``, largest total
        first. ``level`` is the hierarchy level (missing without one).
        ``baseline`` is the history summed over the same calendar periods
        shifted back by whole years (one year for a period of up to a
        year: for 12 months, the last 12 months of history), and ``growth =
        total / baseline - 1`` with ``growth_lo, growth_hi`` from the
        interval of the total. Growth is missing without history or when a
        baseline period is missing.

    Raises
    ------
    DataValidationError
        For a forecast without the columns read, or without the ``level``
        interval when no ``paths`` are given.
    ParameterError
        For ``period`` that is not a whole number of 1 or more, or
        ``thresholds`` that are not a mapping of sizes of zero or more.

    Examples
    --------
    >>> import trendcast as tc
    >>> hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
    >>> sales = tc.datasets.load_us_retail(categories=hier.bottom)
    >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
    >>> hot = tc.hotspots(fc.predict(h=12), history=sales, hierarchy=hier,
    ...                   thresholds={"100bn": 1e5, "1tn": 1e6})  # US retail is in $ millions
    >>> hot[["unique_id", "tier"]].head(3).to_dict("list")
    {'unique_id': ['44X72', 'Motor vehicles and fuel', '441'], 'tier': ['1tn', '1tn', '1tn']}
    """
    _check_hotspot_args(forecast, paths, thresholds, level, id_col, time_col)
    fc = forecast.reset_index(drop=True)
    fc = fc.assign(**{time_col: pd.to_datetime(fc[time_col])})
    table, node_level = _window_totals(fc, period, paths, level, hierarchy, id_col, time_col)
    if history is not None:
        table["baseline"] = _baselines(table, history, hierarchy, id_col, time_col, target_col)
    else:
        table["baseline"] = math.nan
    base = table["baseline"].to_numpy(dtype=float)
    ok = np.isfinite(base) & (base > 0)
    for src, dst in (("total", "growth"), ("total_lo", "growth_lo"), ("total_hi", "growth_hi")):
        table[dst] = np.where(ok, table[src].to_numpy(float) / np.where(ok, base, 1.0) - 1, np.nan)
    table = _with_tiers(table, thresholds)
    table = table.sort_values("total", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    table["level"] = [node_level.get(n, pd.NA) for n in table["node"]]
    table = table.rename(columns={"node": id_col})
    cols = ["rank", id_col, "level", "total", "total_lo", "total_hi", "tier", "growth"]
    cols += ["growth_lo", "growth_hi", "start", "end", "periods", "baseline"]
    return table[cols]


def _check_hotspot_args(
    forecast: pd.DataFrame,
    paths: Mapping[Any, np.ndarray] | None,
    thresholds: Mapping[str, float] | None,
    level: int,
    id_col: str,
    time_col: str,
) -> None:
    """The forecast has the columns ``hotspots`` reads; the thresholds are sizes."""
    require_columns(
        forecast,
        [id_col, time_col, "mean"],
        "the forecast",
        "pass the output of TrendForecaster.predict or reconcile",
    )
    has_bounds = f"lo-{level}" in forecast.columns and f"hi-{level}" in forecast.columns
    if paths is None and not has_bounds:
        raise fail(
            f"the forecast has no lo-{level}/hi-{level} columns",
            expected=f"interval columns of level {level}, or paths=",
            found=f"columns {format_items(forecast.columns)}",
            fix=f"forecast with level=({level},), pass paths=, or choose level= among the columns",
        )
    if thresholds is not None:
        if not isinstance(thresholds, Mapping):
            raise ParameterError(
                f"thresholds must map a level name to a size, e.g. {{'category': 500.0}}; "
                f"got {type(thresholds).__name__}"
            )
        for key, value in thresholds.items():
            real_number(f"thresholds[{key!r}]", value, low=0)


def _baselines(
    table: pd.DataFrame,
    history: pd.DataFrame,
    hierarchy: Hierarchy | None,
    id_col: str,
    time_col: str,
    target_col: str,
) -> list[float]:
    """Per node of ``table``: its history on the same calendar periods, whole years earlier."""
    require_columns(
        history,
        [id_col, time_col, target_col],
        "the history",
        "pass the sales frame (id, time and target columns)",
    )
    hist = history[[id_col, time_col, target_col]].reset_index(drop=True)
    hist[time_col] = pd.to_datetime(hist[time_col])
    kind = _freq_kind(hist[time_col], hist[id_col], "the history")
    if hierarchy is not None:
        bottom = hist[hist[id_col].isin(hierarchy.bottom)]
        hist = hierarchy.aggregate(bottom, value_col=target_col, id_col=id_col, time_col=time_col)
    if not len(hist):
        return [math.nan] * len(table)
    series = _histories(hist, id_col, time_col, target_col)
    freq = _PERIOD_FREQ[kind]
    periods = table["periods"].to_numpy()
    shift = _per_year(kind) * np.ceil(periods / _per_year(kind))
    starts = freqs.period_number(pd.DatetimeIndex(table["start"]), freq) - shift.astype(np.int64)
    pos = series.positions(table["node"])
    baselines = np.full(len(table), np.nan)
    for p in np.unique(periods):  # the windows of one length at once
        rows = np.flatnonzero(periods == p)
        baselines[rows] = series.sums_at(pos[rows], starts[rows, None] + np.arange(int(p)))
    return baselines.tolist()


def _with_tiers(table: pd.DataFrame, thresholds: Mapping[str, float] | None) -> pd.DataFrame:
    """A ``tier`` column: the largest threshold each total passes; nodes below all dropped."""
    if not thresholds:
        table["tier"] = pd.Series(pd.NA, index=table.index, dtype=object)
        return table
    labels = sorted(thresholds.items(), key=lambda kv: float(kv[1]))
    tier = pd.Series(pd.NA, index=table.index, dtype=object)
    for label, value in labels:
        tier[table["total"] >= float(value)] = label
    table["tier"] = tier
    return table[table["tier"].notna()]


def _window_totals(
    fc: pd.DataFrame,
    period: int | None,
    paths: Mapping[Any, np.ndarray] | None,
    level: int,
    hierarchy: Hierarchy | None,
    id_col: str,
    time_col: str,
) -> tuple[pd.DataFrame, dict[Any, Any]]:
    """Per node: totals over the first ``period`` forecast periods and their interval."""
    whole_number("period", period, none=True)
    fc = fc.sort_values([id_col, time_col], kind="stable")
    dup = fc.duplicated([id_col, time_col], keep=False).to_numpy()
    if dup.any():
        raise fail(
            "a (category, period) has more than one forecast",
            column=time_col,
            expected="one forecast per category and period",
            found=format_rows(fc.reset_index(drop=True), np.flatnonzero(dup), [id_col, time_col]),
            fix="keep one model's forecast per category",
        )
    node_level: dict[Any, Any] = {}
    if "level" in fc.columns:
        node_level.update(zip(fc[id_col], fc["level"], strict=True))
    keys, order, starts = _groups(fc, id_col)
    sizes = np.diff(starts)
    first = starts[:-1]
    window = np.minimum(12, sizes) if period is None else np.full(len(keys), int(period))
    lo_col, hi_col = f"lo-{level}", f"hi-{level}"
    alpha = (100 - level) / 200
    sums: dict[Any, np.ndarray] = {}
    too_short = window > sizes
    if paths is not None or too_short.any():  # the checks in the order of the categories
        for i, key in enumerate(keys):
            h, p = int(sizes[i]), int(window[i])
            if too_short[i]:
                raise fail(
                    f"category {key!r} has {count(h, 'forecast period')}, fewer than period={p}",
                    column=time_col,
                    expected=f"at least {p} forecast periods",
                    found=f"{h}",
                    fix="forecast a longer horizon or pass a smaller period=",
                )
            if paths is not None and key in paths:
                arr = np.asarray(paths[key], dtype=float)
                if arr.ndim != 2 or arr.shape[1] < p:
                    raise fail(
                        f"the paths of {key!r} do not cover the period",
                        expected=f"an array (n_paths, h) with h >= {p}",
                        found=f"shape {arr.shape}",
                        fix="pass TrendForecaster.sample_paths(h, output='arrays') for the same h",
                    )
                sums[key] = arr[:, :p].sum(axis=1)
            elif paths is not None and hierarchy is None:
                raise fail(
                    f"paths are missing for category {key!r}",
                    expected="paths for every forecast category",
                    found=f"paths for {format_items(list(paths))}",
                    fix="sample the paths of every category",
                )

    def head_sums(column: str) -> list[float]:
        values = fc[column].to_numpy(dtype=float, na_value=np.nan)[order]
        return _head_sums(values, first, window).tolist()

    times = fc[time_col].reset_index(drop=True)
    columns: dict[str, list[Any]] = {
        "node": list(keys),
        "total": head_sums("mean"),
        "start": times.iloc[order[first]].tolist(),
        "end": times.iloc[order[first + window - 1]].tolist() if len(keys) else [],
        "periods": window.tolist(),
    }
    if lo_col in fc.columns:
        columns["total_lo"], columns["total_hi"] = head_sums(lo_col), head_sums(hi_col)
    names = list(columns)
    rows: dict[Any, dict[str, Any]] = {
        row[0]: dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)
    }
    if hierarchy is not None:
        _add_sectors(hierarchy, rows, sums, paths is not None)
        node_level.update(zip(hierarchy.nodes["unique_id"], hierarchy.nodes["level"], strict=True))
    for key, total in sums.items():
        rows[key]["total_lo"] = float(np.quantile(total, alpha))
        rows[key]["total_hi"] = float(np.quantile(total, 1 - alpha))
    table = pd.DataFrame(list(rows.values()))
    return table, node_level


def _add_sectors(
    hier: Hierarchy, rows: dict[Any, dict[str, Any]], sums: dict[Any, np.ndarray], with_paths: bool
) -> None:
    """Fill in the sector rows missing from the forecast as sums of their categories."""
    known = set(hier.nodes["unique_id"])
    unknown = [k for k in rows if k not in known]
    if unknown:
        raise fail(
            f"{count(len(unknown), 'forecast category', 'forecast categories')} "
            f"{verb(len(unknown), 'is', 'are')} not in the hierarchy: {format_items(unknown)}",
            expected=f"nodes of the hierarchy: {format_items(list(known))}",
            found=format_items(unknown),
            fix="add them to the mapping or drop their forecasts",
        )
    missing_bottom = [b for b in hier.bottom if b not in rows]
    upper = [n for n in hier.nodes["unique_id"] if n not in rows]
    if not upper:
        return
    if missing_bottom:
        raise fail(
            f"{count(len(missing_bottom), 'category', 'categories')} of the hierarchy "
            f"{verb(len(missing_bottom), 'has', 'have')} no forecast: "
            f"{format_items(missing_bottom)}",
            expected="a forecast for every category, or for every node (reconcile output)",
            found=f"forecasts for {len(rows)} nodes",
            fix="forecast every category of the mapping",
        )
    if with_paths:
        absent = [b for b in hier.bottom if b not in sums]
        if absent:
            raise fail(
                f"paths are missing for {format_items(absent)}",
                expected="paths for every category",
                found=f"paths for {len(sums)} categories",
                fix="sample the paths of every category",
            )
    s = hier.summing_matrix()
    periods = {rows[b]["periods"] for b in hier.bottom}
    if len(periods) != 1:
        raise fail(
            "the categories are summed over different numbers of periods",
            expected="the same horizon for every category",
            found=format_items(sorted(periods)),
            fix="forecast every category with the same h, or pass period=",
        )
    first = rows[hier.bottom[0]]
    for node in upper:
        leaves = [b for b in hier.bottom if s.at[node, b] == 1.0]
        row = {
            "node": node,
            "total": sum(rows[b]["total"] for b in leaves),
            "start": first["start"],
            "end": first["end"],
            "periods": first["periods"],
        }
        if "total_lo" in first:
            row["total_lo"] = sum(rows[b]["total_lo"] for b in leaves)
            row["total_hi"] = sum(rows[b]["total_hi"] for b in leaves)
        if with_paths:
            sums[node] = np.sum([sums[b] for b in leaves], axis=0)
        rows[node] = row


# --------------------------------------------------------------------------- emerging
@accepts_frames
def emerging(
    sales: pd.DataFrame,
    *,
    search: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    window: int = 12,
    search_window: int | None = None,
    season_length: int | None = None,
    alpha: float = 0.05,
    min_acceleration: float = 0.01,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    search_col: str = "search",
) -> pd.DataFrame:
    """Score categories whose growth accelerates in sales and in search together.

    Three signals per category:

    - **sales acceleration**: with ``A`` the sales of the last ``window``
      periods, ``B`` the same calendar periods a year earlier and ``C`` two
      years earlier, ``growth_recent = log(A / B)`` and ``growth_earlier =
      log(B / C)`` (year-over-year growth, free of seasonality), and
      ``sales_acceleration = growth_recent - growth_earlier``;
    - **search trend**: the seasonal Mann-Kendall test
      ([`mann_kendall`][trendcast.mann_kendall]) on the last
      ``search_window`` periods of search interest: ``search_trend`` (tau)
      and ``search_p``;
    - **forecast growth**: ``log`` of the forecast mean summed over the first
      ``window`` periods over the history on the same calendar periods a
      year earlier.

    ``score`` is the mean, over the signals available, of each signal's
    percentile rank across the categories (in (0, 1], 1 = highest; the
    search signal ranks by the Mann-Kendall z, which weighs the trend by
    its significance), so it orders categories, not absolute sizes.
    ``emerging`` is True when ``sales_acceleration > min_acceleration``,
    ``growth_recent > 0``, the forecast growth (when a forecast is given) is
    positive and, when the category has search data, search rises
    (``search_trend > 0`` and ``search_p < alpha``). Without search the
    score and the rule use sales and forecast only; ``basis`` says which
    signals were used.

    Parameters
    ----------
    sales : DataFrame
        Long ``id_col, time_col, target_col``; at least ``window`` periods
        plus two years per category for an acceleration.
    search : DataFrame, optional
        Long ``id_col, time_col, search_col`` (``search_by_category``
        output), at any regular frequency.
    forecast : DataFrame, optional
        ``id_col, time_col, mean`` (``TrendForecaster.predict`` output).
    window : int
        Periods of the recent window.
    search_window : int, optional
        Recent search periods tested; default two years (24 months).
    season_length : int, optional
        Seasons of the search series for the seasonal Mann-Kendall test;
        default from its frequency (12 monthly, 52 weekly, 4 quarterly, 7
        daily). 1 gives the classic test.
    alpha : float
        Significance level of the search trend.
    min_acceleration : float
        Smallest acceleration (difference of log growth rates, 0.01 is about
        one percentage point a year) that counts.
    id_col, time_col, target_col, search_col : str
        Column names.

    Returns
    -------
    DataFrame
        ``rank, id_col, score, sales_acceleration, search_trend, search_p,
        forecast_growth, emerging, growth_recent, growth_earlier, basis``,
        highest score first.

    Raises
    ------
    DataValidationError
        For sales, search or forecast frames without the columns read, or dates
        whose frequency cannot be told.
    ParameterError
        For ``window``/``search_window`` that are not whole numbers from 1 to
        10,000, ``season_length`` below 1, ``alpha`` outside (0, 1) or
        ``min_acceleration`` that is not a number.

    Examples
    --------
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["4541", "447", "448"])
    >>> table = tc.emerging(sales)
    >>> list(table.columns)[:4]
    ['rank', 'unique_id', 'score', 'sales_acceleration']
    >>> table["basis"].iloc[0]
    'sales'
    """
    _check_emerging_args(window, alpha, search_window, season_length, min_acceleration)
    require_columns(sales, [id_col, time_col, target_col], "the sales", "pass the long sales frame")
    sales = sales.reset_index(drop=True)
    sales = sales.assign(**{time_col: pd.to_datetime(sales[time_col])})
    kind = _freq_kind(sales[time_col], sales[id_col], "the sales")
    series = _histories(sales, id_col, time_col, target_col)
    table = _sales_acceleration(series, window, _per_year(kind), id_col)
    if forecast is not None:
        growth = _forecast_growth(forecast, series, window, kind, id_col, time_col)
        table["forecast_growth"] = table[id_col].map(growth).astype(float)
    has_search: set[Any] = set()
    if search is not None:
        has_search = _add_search_trend(
            table, search, season_length, search_window, id_col, time_col, search_col
        )
    _add_score_and_rule(table, has_search, forecast is not None, alpha, min_acceleration, id_col)
    return _ranked_emerging(table, id_col)


def _check_emerging_args(
    window: int,
    alpha: float,
    search_window: int | None,
    season_length: int | None,
    min_acceleration: float,
) -> None:
    whole_number("window", window, high=MAX_WINDOW)
    whole_number("search_window", search_window, high=MAX_WINDOW, none=True)
    whole_number("season_length", season_length, none=True)
    real_number("alpha", alpha, low=0, high=1, open_low=True, open_high=True)
    real_number("min_acceleration", min_acceleration)


def _sales_acceleration(
    series: _Histories, window: int, per_year: int, id_col: str
) -> pd.DataFrame:
    """Per category: year-over-year log growth of the last ``window`` periods and a year before.

    The search and forecast columns are missing, to be filled in.
    """
    pos = np.arange(len(series.keys), dtype=np.int64)
    last = series.numbers[series.bounds[1:] - 1] if len(pos) else np.zeros(0, dtype=np.int64)
    recent = last[:, None] + np.arange(1 - window, 1)
    sums = [series.sums_at(pos, recent - k * per_year).tolist() for k in (0, 1, 2)]
    rows = []
    for key, a, b, c in zip(series.keys, *sums, strict=True):
        g_recent = math.log(a / b) if a > 0 and b > 0 else math.nan
        g_earlier = math.log(b / c) if b > 0 and c > 0 else math.nan
        rows.append(
            {
                id_col: key,
                "sales_acceleration": g_recent - g_earlier,
                "growth_recent": g_recent,
                "growth_earlier": g_earlier,
                "search_trend": math.nan,
                "search_p": math.nan,
                "_search_z": math.nan,
                "forecast_growth": math.nan,
            }
        )
    return pd.DataFrame(rows)


def _forecast_growth(
    forecast: pd.DataFrame,
    series: _Histories,
    window: int,
    kind: str,
    id_col: str,
    time_col: str,
) -> dict[Any, float]:
    """Per category: log of the forecast over its first ``window`` periods over a year before."""
    require_columns(
        forecast, [id_col, time_col, "mean"], "the forecast", "pass TrendForecaster.predict"
    )
    per_year = _per_year(kind)
    fc = forecast.assign(**{time_col: pd.to_datetime(forecast[time_col])})
    shift = per_year * math.ceil(window / per_year)
    fc = fc.sort_values([id_col, time_col])
    keys, order, starts = _groups(fc, id_col)
    first, length = starts[:-1], np.minimum(window, np.diff(starts))
    totals = _head_sums(fc["mean"].to_numpy(dtype=float, na_value=np.nan)[order], first, length)
    numbers = freqs.period_number(pd.DatetimeIndex(fc[time_col].iloc[order]), _PERIOD_FREQ[kind])
    numbers = numbers - shift
    pos = series.positions(keys)
    bases = np.full(len(keys), np.nan)
    for p in np.unique(length):  # the windows of one length at once
        rows = np.flatnonzero(length == p)
        bases[rows] = series.sums_at(pos[rows], numbers[first[rows, None] + np.arange(int(p))])
    return {
        key: math.log(total / base) if total > 0 and base > 0 else math.nan
        for key, total, base in zip(keys, totals.tolist(), bases.tolist(), strict=True)
    }


def _add_search_trend(
    table: pd.DataFrame,
    search: pd.DataFrame,
    season_length: int | None,
    search_window: int | None,
    id_col: str,
    time_col: str,
    search_col: str,
) -> set[Any]:
    """Fill in the seasonal Mann-Kendall test of each category's recent search, in place.

    Returns the categories that got one.
    """
    require_columns(
        search,
        [id_col, time_col, search_col],
        "the search frame",
        "pass search_by_category output (or name search_col=)",
    )
    found = search.assign(**{time_col: pd.to_datetime(search[time_col])})
    s_kind = _freq_kind(found[time_col], found[id_col], "the search frame")
    m = freqs.season_length_of({"D": "D", "W": "W", "M": "MS", "Q": "QS", "Y": "YS"}[s_kind])
    m = m if season_length is None else int(season_length)
    n_recent = 2 * _per_year(s_kind) if search_window is None else int(search_window)
    s_series = _series(found, id_col, time_col, search_col)
    has_search: set[Any] = set()
    for i, key in enumerate(table[id_col]):
        x = s_series.get(key)
        if x is None:
            continue
        last = int(x.index[-1])
        numbers = np.arange(last - n_recent + 1, last + 1)
        values = x.reindex(numbers).to_numpy(dtype=float)
        # seasons by calendar position, whatever the first period of the window
        shift = int(numbers[0] % m)
        values = np.concatenate([np.full(shift, np.nan), values])
        result = mann_kendall(values, season_length=m)
        if np.isfinite(result.tau):
            has_search.add(key)
            table.loc[i, ["search_trend", "search_p", "_search_z"]] = [
                result.tau,
                result.p_value,
                result.z,
            ]
    return has_search


def _add_score_and_rule(
    table: pd.DataFrame,
    has_search: set[Any],
    with_forecast: bool,
    alpha: float,
    min_acceleration: float,
    id_col: str,
) -> None:
    """Add ``score`` (mean percentile rank), ``emerging`` (the rule) and ``basis``, in place."""
    signals = ["sales_acceleration", "_search_z", "forecast_growth"]
    ranks = table[signals].rank(pct=True)
    table["score"] = ranks.mean(axis=1, skipna=True)
    accel = table["sales_acceleration"].to_numpy(float)
    rule = (accel > min_acceleration) & (table["growth_recent"].to_numpy(float) > 0)
    if with_forecast:
        rule &= table["forecast_growth"].to_numpy(float) > 0
    searched = table[id_col].isin(has_search).to_numpy()
    rising = (table["search_trend"].to_numpy(float) > 0) & (
        table["search_p"].to_numpy(float) < alpha
    )
    rule &= ~searched | rising
    table["emerging"] = rule
    basis = ["sales"]
    if with_forecast:
        basis.append("forecast")
    table["basis"] = [
        ", ".join(basis[:1] + (["search"] if key in has_search else []) + basis[1:])
        for key in table[id_col]
    ]


def _ranked_emerging(table: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """Highest score first, numbered from 1, in the documented column order."""
    table = table.sort_values(  # ties of the rank score: the faster acceleration first
        ["score", "sales_acceleration"], ascending=False, kind="stable", na_position="last"
    )
    table = table.reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    cols = ["rank", id_col, "score", "sales_acceleration", "search_trend", "search_p"]
    cols += ["forecast_growth", "emerging", "growth_recent", "growth_earlier", "basis"]
    return table[cols]
