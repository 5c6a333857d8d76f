"""``summarize_gaps``: one ranked row per category, with a reason built from the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import fail, format_items, format_rows, real_number, whole_number

#: the most periods of search compared with a year earlier (10,000 days are 27 years)
_MAX_SEARCH_PERIODS = 10_000
_UNITS = {"D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}
_LAST_YEAR = {"D": 364, "W": 52, "M": 12, "Q": 4, "Y": 1}
_ORDER = {"short": 0, "long": 1, "ok": 2}


def _year_ago(dates: pd.Series, freq: str | None) -> pd.Series:
    """The same period a year earlier (364 days for daily data, 52 weeks for weekly)."""
    if freq is None:
        return dates - pd.DateOffset(years=1)
    return dates - to_offset(freq) * _LAST_YEAR[freqs.kind_of(freq)]


def _fmt_period(ts: pd.Timestamp, freq: str | None) -> str:
    kind = freqs.kind_of(freq) if freq else "D"
    if kind == "M":
        return f"{ts:%Y-%m}"
    if kind == "Q":
        return f"{ts.year}Q{ts.quarter}"
    if kind == "Y":
        return f"{ts:%Y}"
    return f"{ts:%Y-%m-%d}"


def _search_change(
    search: pd.DataFrame | None,
    freq: str | None,
    search_periods: int,
    id_col: str,
    time_col: str,
    search_col: str,
) -> dict[Any, float]:
    """Mean search of the latest ``search_periods`` over the same span a year earlier, minus 1."""
    out: dict[Any, float] = {}
    if search is None:
        return out
    span = to_offset(freq) * search_periods if freq else pd.Timedelta(days=91)
    frame = search[[id_col, time_col, search_col]].copy()
    frame[time_col] = pd.to_datetime(frame[time_col])
    frame[search_col] = pd.to_numeric(frame[search_col], errors="coerce")
    for key, g in frame.dropna().groupby(id_col, sort=False):
        last = g[time_col].max()
        recent = g.loc[g[time_col] > last - span, search_col]
        end = last - pd.DateOffset(years=1)
        before = g.loc[(g[time_col] > end - span) & (g[time_col] <= end), search_col]
        if len(recent) and len(before) and before.mean() > 0:
            out[key] = float(recent.mean() / before.mean() - 1)
    return out


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def _reason(r: dict[str, Any], stock: bool, unit: str, freq: str | None) -> str:
    n = r["periods"]
    if r["flag"] == "short":
        what = "stock runs short" if stock else "short"
        head = (
            f"{what} from {_fmt_period(r['first_short'], freq)} ({r['periods_short']} of {n} "
            f"{unit}, p up to {r['max_p_short']:.2f})"
        )
    elif r["flag"] == "long":
        what = "stock outlasts the horizon" if stock else "long"
        head = (
            f"{what} from {_fmt_period(r['first_long'], freq)} ({r['periods_long']} of {n} "
            f"{unit}, P(demand < supply) up to {r['max_p_long']:.2f})"
        )
    else:
        head = f"no persistent gap (p_short up to {r['max_p_short']:.2f})"
    drivers = []
    fg, sg = r["forecast_growth"], r["supply_growth"]
    if stock:
        cover = r.get("cover", np.nan)
        text = []
        if pd.notna(cover):
            text.append(
                "stock and receipts outlast the horizon"
                if np.isinf(cover)
                else f"stock and receipts cover {cover:.1f} {unit} of forecast demand"
            )
        if pd.notna(sg):
            text.append(f"({1 + sg:.0%} of last year's sales over these {unit})")
        if text:
            drivers.append(" ".join(text))
        if pd.notna(fg):
            drivers.append(f"forecast {_pct(fg)} vs last year")
    elif pd.notna(fg) and pd.notna(sg):
        link = "while" if r["flag"] != "ok" else "and"
        drivers.append(f"forecast {_pct(fg)} vs last year {link} the plan grows {_pct(sg)}")
    elif pd.notna(fg):
        drivers.append(f"forecast {_pct(fg)} vs last year")
    elif pd.notna(sg):
        drivers.append(f"the plan {_pct(sg)} vs last year's sales")
    leads, change = r["search_leads"], r["search_change"]
    search: list[str] = []
    if leads is True:
        inverse = " (inversely)" if r["search_correlation"] < 0 else ""
        search.append(f"search leads by {r['search_lag']} {unit}{inverse}")
    elif leads is False:
        search.append("search does not lead")
    if pd.notna(change):
        moved = f"{'up' if change >= 0 else 'down'} {abs(change):.0%} on a year earlier"
        search.append(f"is {moved}" if search else f"search is {moved}")
    if search:
        drivers.append(" and ".join(search))
    return head + (": " + "; ".join(drivers) if drivers else "")


@dataclass(frozen=True)
class _Context:
    """What each category's summary row is built from, besides its own gaps."""

    keys: list[str]  # scenario (if any) and category columns
    freq: str | None
    unit: str  # the periods in words, e.g. "months"
    stock: bool
    priced: bool
    last_year: pd.Series | None  # sales by (category, period)
    change: dict[Any, float]  # year-on-year change of search per category
    lead_lag: pd.DataFrame | None  # by category
    search_rise: float
    time_col: str
    supply_col: str


def _checked_gaps(
    gaps: pd.DataFrame,
    supply: pd.DataFrame | None,
    keys: list[str],
    id_col: str,
    time_col: str,
    supply_col: str,
    scenario_col: str | None,
) -> pd.DataFrame:
    """A sorted copy of ``gaps`` with dated periods and its supply column, or a clear error."""
    need = [id_col, time_col, "flag", "p_short", "expected_shortfall", "expected_excess", "mean"]
    need += [scenario_col] if scenario_col else []
    absent = [c for c in need if c not in gaps.columns]
    if absent:
        raise fail(
            f"gaps lacks column(s) {format_items(absent)}",
            expected="the output of supply_gaps",
            found=f"columns {format_items(gaps.columns)}",
            fix="pass the frame supply_gaps returned, with the same id_col/time_col"
            + ("/scenario_col" if scenario_col else ""),
        )
    g_all = gaps.copy()
    g_all[time_col] = pd.to_datetime(g_all[time_col])
    dup = np.flatnonzero(g_all.duplicated([*keys, time_col], keep=False).to_numpy())
    if dup.size:
        raise fail(
            "several gaps rows share a category and period",
            expected="one row per category (and scenario) and period",
            found=format_rows(g_all, dup, list(g_all.columns[:3])),
            fix="pass scenario_col= when supply_gaps compared several plans",
        )
    if supply_col not in g_all.columns:
        if supply is None:
            raise fail(
                f"gaps lacks the supply column {supply_col!r}",
                fix="pass supply= (the supply frame) or supply_col=",
            )
        sup = supply[[*keys, time_col, supply_col]].copy()
        sup[time_col] = pd.to_datetime(sup[time_col])
        g_all = g_all.merge(sup, on=[*keys, time_col], how="left")
    return g_all.sort_values([*keys, time_col], kind="stable")


def _frequency(
    g_all: pd.DataFrame,
    history: pd.DataFrame | None,
    id_col: str,
    time_col: str,
    scenario_col: str | None,
) -> str | None:
    """The frequency of the gaps, or else of the history (a one-period horizon)."""
    freq = freqs.infer_freq(
        g_all[time_col],
        g_all[id_col].astype(str) + "|" + (g_all[scenario_col].astype(str) if scenario_col else ""),
    )
    if freq is None and history is not None:
        h = history.sort_values([id_col, time_col])
        freq = freqs.infer_freq(pd.to_datetime(h[time_col]), h[id_col])
    return freq


class _Column:
    """One category's values of a gaps column, with the few pandas reductions used here.

    The reductions are pandas' (``skipna``: ``sum`` adds with missing values as
    zero, ``mean`` divides that sum by the count, ``max``/``min`` skip them), so
    a summary row is the one a DataFrame group gives, without building one.
    """

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values

    def to_numpy(self, dtype: Any = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)

    def __getitem__(self, mask: np.ndarray) -> _Column:
        return _Column(self.values[mask])

    def __rsub__(self, other: float) -> _Column:
        return _Column(other - self.values)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def iloc(self) -> Any:
        return self.values

    def _filled(self) -> tuple[np.ndarray, int]:
        v = self.values
        missing = np.isnan(v)
        if missing.any():
            v = np.where(missing, 0.0, v)
        return v, int(v.size - missing.sum())

    def sum(self) -> Any:
        return self._filled()[0].sum()

    def mean(self) -> Any:
        total, n = self._filled()
        return total.sum() / n if n else np.nan

    def max(self) -> Any:
        if isinstance(self.values, pd.Index):
            return self.values.max()
        v = self.values[~np.isnan(self.values)]
        return v.max() if v.size else np.nan

    def min(self) -> Any:
        if isinstance(self.values, pd.Index):
            return self.values.min()
        v = self.values[~np.isnan(self.values)]
        return v.min() if v.size else np.nan

    def agg(self, how: str) -> Any:
        return self.mean() if how == "mean" else self.sum()


class _Group:
    """The rows of one category (and scenario) as numpy slices of the sorted gaps columns."""

    __slots__ = ("columns", "rows")

    def __init__(self, columns: dict[str, Any], rows: slice | np.ndarray) -> None:
        self.columns = columns
        self.rows = rows

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def __len__(self) -> int:
        return len(self.columns[next(iter(self.columns))][self.rows])

    def __getitem__(self, name: str) -> _Column:
        return _Column(self.columns[name][self.rows])

    @property
    def iloc(self) -> _GroupRows:
        return _GroupRows(self)


class _GroupRows:
    __slots__ = ("group",)

    def __init__(self, group: _Group) -> None:
        self.group = group

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {name: self.group[name].values[i] for name in self.group.columns}


def _groups(g_all: pd.DataFrame, keys: list[str]) -> list[tuple[tuple[Any, ...], Any]] | None:
    """(key, rows) of each group as ``g_all.groupby(keys, sort=False)`` gives them, or None.

    None (use the DataFrame groups) when a key is missing in some row or a
    column holds pandas' nullable numbers.
    """
    labels = g_all.groupby(keys, sort=False).ngroup().to_numpy()
    if labels.size == 0 or not np.issubdtype(labels.dtype, np.integer):
        return None
    columns: dict[str, Any] = {}
    for name in g_all.columns:
        col = g_all[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            columns[name] = pd.DatetimeIndex(col)
        elif name in ("flag", *keys) or not pd.api.types.is_numeric_dtype(col):
            columns[name] = col.to_numpy(dtype=object)
        elif isinstance(col.dtype, np.dtype):  # float, int, bool
            columns[name] = col.to_numpy()
        else:  # nullable numbers: pandas' own reductions
            return None
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(labels.max() + 2))
    out = []
    for i in range(len(bounds) - 1):
        rows = order[bounds[i] : bounds[i + 1]]
        first = int(rows[0])
        run = rows[-1] - first + 1 == rows.size  # one run of rows (sorted gaps): a view
        key = tuple(columns[k][first] for k in keys)
        out.append((key, _Group(columns, slice(first, first + rows.size) if run else rows)))
    return out


def _sales_by_period(
    history: pd.DataFrame | None, id_col: str, time_col: str, target_col: str
) -> pd.Series | None:
    """Sales indexed by (category, period), to look last year up."""
    if history is None:
        return None
    hist = history[[id_col, time_col, target_col]].copy()
    hist[time_col] = pd.to_datetime(hist[time_col])
    return hist.set_index([id_col, time_col])[target_col].astype(float)


def _shortfall(g: pd.DataFrame, ctx: _Context) -> dict[str, Any]:
    """The flag, first short period and sizes of the gap of one category."""
    short, long = g["flag"].to_numpy() == "short", g["flag"].to_numpy() == "long"
    r: dict[str, Any] = {
        "flag": "short" if short.any() else ("long" if long.any() else "ok"),
        "first_short": g[ctx.time_col][short].min() if short.any() else pd.NaT,
        "periods_short": int(short.sum()),
        "max_p_short": float(g["p_short"].max()),
        "p_short_window": float(g["p_short_window"].max()) if "p_short_window" in g else np.nan,
        "expected_shortfall": float(g["expected_shortfall"].sum()),
    }
    agg = "mean" if ctx.stock else "sum"
    if ctx.priced:
        r["shortfall_value"] = float(g["shortfall_value"].sum())
    r["expected_excess"] = float(g["expected_excess"].agg(agg))
    if ctx.priced:
        r["excess_value"] = float(g["excess_value"].agg(agg))
    return r


def _growth(g: pd.DataFrame, cat: Any, ctx: _Context) -> tuple[float, float]:
    """Forecast and supply over sales in the same periods a year earlier, minus 1."""
    fg = sg = np.nan
    if ctx.last_year is None:
        return fg, sg
    if _LY in g:  # looked up for every category at once (summarize_gaps)
        ly = g[_LY].to_numpy(float)
    else:
        idx = pd.MultiIndex.from_arrays(
            [np.repeat(cat, len(g)), _year_ago(g[ctx.time_col], ctx.freq)]
        )
        ly = ctx.last_year.reindex(idx).to_numpy(float)
    ok = np.isfinite(ly)
    if ok.any() and ly[ok].sum() > 0:
        fg = g["mean"].to_numpy(float)[ok].sum() / ly[ok].sum() - 1
        if not ctx.stock:
            sg = g[ctx.supply_col].to_numpy(float)[ok].sum() / ly[ok].sum() - 1
        elif ok.all():
            sg = float(g[ctx.supply_col].iloc[-1]) / ly.sum() - 1
    return fg, sg


#: the column of last year's sales that ``summarize_gaps`` adds to its working copy
_LY = "__last_year__"


def _lead(cat: Any, ll: pd.DataFrame | None) -> tuple[bool | None, float, float]:
    """Whether search leads the category's sales, by how many periods, and the correlation."""
    leads: bool | None = None
    lag: float = np.nan
    corr: float = np.nan
    if ll is not None and cat in ll.index:
        row = ll.loc[cat]
        if pd.notna(row.get("leads")):
            leads = bool(row["leads"])
        lag = row.get("lag", np.nan)
        corr = float(row.get("correlation", np.nan))
    return leads, lag, corr


def _origin(g: pd.DataFrame, ctx: _Context) -> dict[str, Any]:
    """Stock gaps: the origin, the stock on hand there and the first period's numbers."""
    first = g.iloc[0]
    return {
        ctx.time_col: g[ctx.time_col].iloc[0] - to_offset(ctx.freq) if ctx.freq else pd.NaT,
        ctx.supply_col: float(first[ctx.supply_col] - first["receipts"]),
        "next_demand": float(first["mean"]),
        "cover": float(first["cover"]),
        "p_short": float(first["p_short"]),
    }


def _share(part: float, whole: float) -> float:
    """``part / whole`` (0 when the whole is not positive; infinite past the float range)."""
    if not whole > 0:
        return 0.0
    with np.errstate(over="ignore"):
        return float(np.float64(part) / np.float64(whole))


def _category_row(key: Any, g: pd.DataFrame, ctx: _Context) -> dict[str, Any]:
    """The summary row of one category (in one scenario), with its reason."""
    key = key if isinstance(key, tuple) else (key,)
    cat: Any = key[-1]
    long = g["flag"].to_numpy() == "long"
    p_long = g["p_long"] if "p_long" in g else 1 - g["p_short"]
    r: dict[str, Any] = dict(zip(ctx.keys, key, strict=True))
    r.update(_shortfall(g, ctx))
    fg, sg = _growth(g, cat, ctx)
    leads, lag, corr = _lead(cat, ctx.lead_lag)
    chg = ctx.change.get(cat, np.nan)
    r.update(
        forecast_growth=fg,
        supply_growth=sg,
        search_rising=pd.NA if np.isnan(chg) else bool(chg >= ctx.search_rise),
        search_leads=pd.NA if leads is None else leads,
        periods=len(g),
        periods_long=int(long.sum()),
        first_long=g[ctx.time_col][long].min() if long.any() else pd.NaT,
        max_p_long=float(p_long.max()),
        shortfall_share=_share(g["expected_shortfall"].sum(), g["mean"].sum()),
        search_change=chg,
        search_lag=int(lag) if pd.notna(lag) else pd.NA,
        search_correlation=corr,
    )
    if ctx.stock:
        r.update(_origin(g, ctx))
    r["reason"] = _reason({**r, "search_leads": leads}, ctx.stock, ctx.unit, ctx.freq)
    return r


def _rank(out: pd.DataFrame, priced: bool, scenario_col: str | None) -> pd.DataFrame:
    """Rank within each scenario: short before long before ok, then the largest gap first."""
    out["_o"] = out["flag"].map(_ORDER)
    size = "shortfall_value" if priced else "expected_shortfall"
    excess = "excess_value" if priced else "expected_excess"
    out["_size"] = np.where(out["flag"] == "long", out[excess], out[size])
    out["_scen"] = 0
    if scenario_col:
        out["_scen"] = out[scenario_col].map(
            {s: i for i, s in enumerate(out[scenario_col].unique())}
        )
    out = out.sort_values(
        ["_scen", "_o", "_size", "max_p_short"], ascending=[True, True, False, False], kind="stable"
    )
    out.insert(0, "rank", out.groupby("_scen").cumcount() + 1)
    for col in ("search_rising", "search_leads"):
        out[col] = out[col].astype("boolean")
    out["search_lag"] = out["search_lag"].astype("Int64")
    return out


def _summary_columns(
    id_col: str,
    time_col: str,
    supply_col: str,
    scenario_col: str | None,
    priced: bool,
    stock: bool,
) -> list[str]:
    """The summary's columns in the order the docstring of ``summarize_gaps`` lists them."""
    return (
        ["rank", id_col]
        + ([scenario_col] if scenario_col else [])
        + ["flag", "first_short", "periods_short", "max_p_short", "p_short_window"]
        + ["expected_shortfall"]
        + (["shortfall_value"] if priced else [])
        + ["expected_excess"]
        + (["excess_value"] if priced else [])
        + ["forecast_growth", "supply_growth", "search_rising", "search_leads", "reason"]
        + ["periods", "periods_long", "first_long", "max_p_long", "shortfall_share"]
        + ["search_change", "search_lag"]
        + ([time_col, supply_col, "next_demand", "cover", "p_short"] if stock else [])
    )


@accepts_frames
def summarize_gaps(
    gaps: pd.DataFrame,
    *,
    history: pd.DataFrame | None = None,
    search: pd.DataFrame | None = None,
    lead_lag: pd.DataFrame | None = None,
    supply: pd.DataFrame | None = None,
    scenario_col: str | None = None,
    search_periods: int = 3,
    search_rise: float = 0.05,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    supply_col: str = "supply",
    search_col: str = "search",
) -> pd.DataFrame:
    """Rank categories by how badly supply misses demand, worst first, and say why.

    Parameters
    ----------
    gaps : DataFrame
        Output of [`supply_gaps`][trendcast.supply_gaps] (flow or stock).
    history : DataFrame, optional
        Sales ``id_col, time_col, target_col``: gives ``forecast_growth`` and
        ``supply_growth`` against the same periods a year earlier.
    search : DataFrame, optional
        Search interest ``id_col, time_col, search_col`` (e.g. from
        [`search_by_category`][trendcast.search_by_category]): gives
        ``search_change`` and ``search_rising``.
    lead_lag : DataFrame, optional
        Output of [`lead_lag`][trendcast.lead_lag]: gives ``search_leads``.
    supply : DataFrame, optional
        The flow supply frame, only needed when ``gaps`` lacks its supply column.
    scenario_col : str, optional
        The scenario column of ``gaps``, if several plans were compared.
    search_periods : int
        Latest periods (of the gaps' frequency) whose search interest is compared
        with the same periods a year earlier.
    search_rise : float
        Search counts as rising from this year-on-year change (default +5%).
    id_col, time_col, target_col, supply_col, search_col : str
        Column names.

    Returns
    -------
    DataFrame
        One row per category (x scenario), ranked within each scenario:
        ``rank, id_col, [scenario_col], flag, first_short, periods_short,
        max_p_short, p_short_window, expected_shortfall, [shortfall_value],
        expected_excess, [excess_value], forecast_growth, supply_growth,
        search_rising, search_leads, reason``, then ``periods, periods_long,
        first_long, max_p_long, shortfall_share, search_change, search_lag``;
        stock gaps add ``time_col`` (the origin), ``supply_col`` (stock on hand
        there), ``next_demand, cover, p_short`` (of the first period).

    Raises
    ------
    DataValidationError
        For a gaps frame that is not the output of ``supply_gaps`` (missing
        columns, several scenarios without ``scenario_col``) or history and
        search frames without the columns read.
    ParameterError
        For ``search_periods`` that is not a whole number from 1 to 10,000, or
        ``search_rise`` that is not a number.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> months = pd.date_range("2025-01-01", periods=3, freq="MS")
    >>> fc = pd.DataFrame({"unique_id": "a", "ds": months, "mean": 100.0,
    ...                    "lo-80": 80.0, "hi-80": 120.0})
    >>> plan = fc[["unique_id", "ds"]].assign(supply=[70.0, 75.0, 100.0])
    >>> history = pd.DataFrame({"unique_id": "a", "y": 95.0,
    ...                         "ds": pd.date_range("2024-01-01", periods=3, freq="MS")})
    >>> summary = tc.summarize_gaps(tc.supply_gaps(fc, plan), history=history)
    >>> print(summary["reason"].iloc[0])
    short from 2025-01 (2 of 3 months, p up to 0.97): forecast +5.3% vs last year while the plan grows -14.0%
    """  # noqa: E501
    whole_number("search_periods", search_periods, high=_MAX_SEARCH_PERIODS)
    real_number("search_rise", search_rise)
    keys = [c for c in (scenario_col, id_col) if c is not None]
    g_all = _checked_gaps(gaps, supply, keys, id_col, time_col, supply_col, scenario_col)
    freq = _frequency(g_all, history, id_col, time_col, scenario_col)
    ctx = _Context(
        keys=keys,
        freq=freq,
        unit=_UNITS[freqs.kind_of(freq)] if freq else "periods",
        stock="receipts" in g_all.columns and "cover" in g_all.columns,
        priced="shortfall_value" in g_all.columns,
        last_year=_sales_by_period(history, id_col, time_col, target_col),
        change=_search_change(search, freq, search_periods, id_col, time_col, search_col),
        lead_lag=lead_lag.set_index(id_col) if lead_lag is not None else None,
        search_rise=search_rise,
        time_col=time_col,
        supply_col=supply_col,
    )
    if ctx.last_year is not None:
        # one look-up for every row, not one a category (a nightly run has thousands)
        ago = pd.MultiIndex.from_arrays([g_all[id_col], _year_ago(g_all[time_col], ctx.freq)])
        g_all = g_all.assign(**{_LY: ctx.last_year.reindex(ago).to_numpy(float)})
    # the groups as numpy slices: a DataFrame a category cost most of a nightly run's summary
    groups = _groups(g_all, keys)
    if groups is None:
        groups = list(g_all.groupby(keys, sort=False))
    rows = [_category_row(key, g, ctx) for key, g in groups]
    out = _rank(pd.DataFrame(rows), ctx.priced, scenario_col)
    head = _summary_columns(id_col, time_col, supply_col, scenario_col, ctx.priced, ctx.stock)
    return out[head].reset_index(drop=True)
