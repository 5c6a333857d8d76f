"""Charts of history, forecast intervals and supply, for notebooks and reports."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import (
    fail,
    real_number,
    require_columns,
    text_value,
    whole_number,
)
from trendcast.exceptions import MissingDependencyError, ParameterError
from trendcast.models.labels import model_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_forecast", "plot_gap_summary", "plot_gaps", "plot_lead_lag"]

# One palette for every chart, so a planner reads them the same way.
_SALES = "black"
_FORECAST = "tab:blue"
_SUPPLY = "tab:orange"
_SHORT = "tab:red"
_LONG = "tab:cyan"


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a core dependency
        raise MissingDependencyError('Plotting needs matplotlib: pip install "trendcast"') from exc
    return plt


def _text(value: Any, width: int | None = None) -> str:
    """Data text for a chart label: shortened, with ``$`` kept literal (no mathtext)."""
    text = str(value)
    if width is not None:
        text = textwrap.shorten(text, width, placeholder="...")
    return text.replace("$", r"\$")


def _thousands(ax: Axes) -> None:
    """Y tick labels with thousands separators (120,000 rather than 120000)."""
    from matplotlib.ticker import FuncFormatter

    def fmt(value: float, _pos: int) -> str:
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:,.3g}"

    ax.yaxis.set_major_formatter(FuncFormatter(fmt))


def _date_axis(ax: Axes) -> None:
    """Short, non-overlapping date labels (years once, then months)."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _half_period(dates: pd.Series) -> pd.Timedelta:
    """Half the typical spacing of ``dates`` (one day if there is a single date)."""
    values = pd.to_datetime(pd.Series(dates)).drop_duplicates().sort_values()
    steps = values.diff().dropna()
    return steps.median() / 2 if len(steps) else pd.Timedelta(days=1)


def _edges(dates: pd.Series, half: pd.Timedelta) -> list[pd.Timestamp]:
    """Boundaries between consecutive periods (midpoints), so shaded periods touch."""
    values = list(pd.to_datetime(pd.Series(dates)))
    inner = [a + (b - a) / 2 for a, b in zip(values[:-1], values[1:], strict=True)]
    return [values[0] - half, *inner, values[-1] + half]


def _levels(forecast: pd.DataFrame) -> list[int]:
    """Interval levels of the ``lo-<level>`` columns of a forecast, widest first."""
    return sorted((int(c[3:]) for c in forecast.columns if str(c).startswith("lo-")), reverse=True)


def _checked_layout(
    ids: Any, n_history: Any = None, ncols: Any = 1, top: Any = 1
) -> list[Any] | None:
    """``ids`` as a list (or None), after checking the sizes of the figure; ParameterError."""
    whole_number("n_history", n_history, low=0, none=True)
    whole_number("ncols", ncols)
    whole_number("top", top)
    if ids is None:
        return None
    if isinstance(ids, str | bytes | Mapping) or not hasattr(ids, "__iter__"):
        raise ParameterError(
            f"ids must be a sequence of categories, e.g. ['441', '448'], got {ids!r}"
        )
    return list(ids)


def _bands(ax: Any, fc: pd.DataFrame, levels: Sequence[int], time_col: str) -> None:
    """Shade the forecast intervals, the widest palest."""
    for i, lv in enumerate(levels):
        ax.fill_between(
            fc[time_col],
            fc[f"lo-{lv}"],
            fc[f"hi-{lv}"],
            color=_FORECAST,
            alpha=0.15 + 0.15 * i,
            lw=0,
            label=f"{lv}% interval",
        )


@accepts_frames
def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    ids: Sequence[Any] | None = None,
    supply: pd.DataFrame | None = None,
    titles: Mapping[Any, str] | None = None,
    n_history: int | None = 48,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    supply_col: str = "supply",
    ncols: int = 2,
    ylabel: str | None = None,
) -> Figure:
    """Plot history, the forecast mean and its intervals, and supply, one panel per category.

    Parameters
    ----------
    history : DataFrame
        Sales in long format.
    forecast : DataFrame
        Output of [`TrendForecaster.predict`][trendcast.TrendForecaster.predict].
    ids : sequence, optional
        Categories to draw (default: the first six of the forecast).
    supply : DataFrame, optional
        Long supply frame drawn as a step line.
    titles : mapping, optional
        Panel titles by category.
    n_history : int, optional
        Periods of history shown before the forecast (None: all).
    id_col, time_col, target_col, supply_col : str
        Column names.
    ncols : int
        Panels per row.
    ylabel : str, optional
        Label of the demand axis, with its unit (e.g. ``"sales, $ millions"``).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        For ``n_history`` below 0, ``ncols`` below 1, or ``ids`` that are not
        a sequence (or empty).
    MissingDependencyError
        Without matplotlib.

    Examples
    --------
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["448"])
    >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=6)
    >>> fig = tc.plot_forecast(sales, fc, ylabel="sales, $ millions")
    >>> [ax.get_title() for ax in fig.axes if ax.get_visible()]
    ['448']
    """
    plt = _pyplot()
    ids = _checked_layout(ids, n_history, ncols)
    if ids is not None and not ids:
        raise ParameterError("no category to plot: ids is empty")
    if ids is None:
        ids = list(pd.unique(forecast[id_col]))[:6]
    ids = list(ids)
    if not ids:
        raise ParameterError("no category to plot: forecast has no rows")
    ncols = max(1, min(ncols, len(ids)))
    nrows = (len(ids) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 3.2 * nrows), squeeze=False)
    levels = _levels(forecast)
    for ax, key in zip(axes.flat, ids, strict=False):
        hist = history[history[id_col] == key].sort_values(time_col)
        if n_history is not None:
            hist = hist.tail(n_history)
        fc = forecast[forecast[id_col] == key].sort_values(time_col)
        ax.plot(hist[time_col], hist[target_col], color=_SALES, lw=1.2, label="sales")
        _bands(ax, fc, levels, time_col)
        ax.plot(fc[time_col], fc["mean"], color=_FORECAST, lw=1.5, label="forecast (mean)")
        # the short label (median(ETS,ARIMA,...)), not the 120-character specification
        model = model_label(str(fc["model"].iloc[0])) if "model" in fc.columns and len(fc) else ""
        if model:
            ax.text(
                0.99,
                0.02,
                _text(model, 60),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=7,
                color="0.35",
            )
        if supply is not None:
            sp = supply[supply[id_col] == key].sort_values(time_col)
            sp = sp[sp[time_col] >= fc[time_col].min()] if len(fc) else sp
            if len(sp):
                ax.step(
                    sp[time_col],
                    sp[supply_col],
                    where="mid",
                    color=_SUPPLY,
                    lw=1.6,
                    label="supply plan",
                )
        title = titles.get(key, str(key)) if titles else str(key)
        ax.set_title(_text(title, 70), fontsize=10)
        if ylabel:
            ax.set_ylabel(_text(ylabel), fontsize=8)
        ax.tick_params(labelsize=8)
        _thousands(ax)
        _date_axis(ax)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(ids) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def _rank_ids(gaps: pd.DataFrame, keys: list[str]) -> list[tuple[Any, ...]]:
    """Panels worst first: flagged short, then by total expected shortfall."""
    flagged = gaps["flag"].astype(str).eq("short")
    per = (
        gaps.assign(_short=flagged)
        .groupby(keys, sort=False)
        .agg(_short=("_short", "any"), _es=("expected_shortfall", "sum"))
        .sort_values(["_short", "_es"], ascending=[False, False], kind="stable")
    )
    return [k if isinstance(k, tuple) else (k,) for k in per.index]


@accepts_frames
def plot_gaps(
    gaps: pd.DataFrame,
    *,
    forecast: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    ids: Sequence[Any] | None = None,
    top: int = 6,
    threshold: float | None = None,
    n_history: int | None = 24,
    titles: Mapping[Any, str] | None = None,
    ylabel: str | None = None,
    scenario_col: str | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    supply_col: str = "supply",
    ncols: int = 2,
) -> Figure:
    """Plot forecast demand against supply for the categories with the worst gaps.

    Each category gets two panels sharing the time axis. The upper one shows
    recent sales (with ``history``), the forecast mean and its intervals
    (with ``forecast``), the supply plan as a step line, and shades the
    periods flagged ``"short"`` (red) or ``"long"`` (oversupplied, blue).
    The lower one shows ``p_short``, the probability that demand exceeds
    supply, per period, with the flagging ``threshold`` when given.

    Parameters
    ----------
    gaps : DataFrame
        Output of [`supply_gaps`][trendcast.supply_gaps] for flow supply: one
        row per category and period with ``mean``, the supply, ``p_short``,
        ``expected_shortfall`` and ``flag``.
    forecast : DataFrame, optional
        The forecast the gaps were computed from, for its interval bands.
    history : DataFrame, optional
        Sales in long format, drawn before the forecast.
    ids : sequence, optional
        Categories to draw. Default: the ``top`` worst, flagged ``"short"``
        first, then by expected shortfall over the horizon.
    top : int
        Number of categories drawn when ``ids`` is not given.
    threshold : float, optional
        The ``p_short`` threshold used by ``supply_gaps``, drawn as a line.
    n_history : int, optional
        Periods of history shown (None: all).
    titles : mapping, optional
        Panel titles by category (default: the category).
    ylabel : str, optional
        Label of the demand axis, with its unit (e.g. ``"$ millions"``).
    scenario_col : str, optional
        Column of ``gaps`` naming the supply scenario; each (category,
        scenario) then gets its own panel.
    id_col, time_col, target_col, supply_col : str
        Column names.
    ncols : int
        Categories per row.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        For ``top``/``ncols`` below 1, ``n_history`` below 0, ``threshold``
        outside 0..1, or ``ids`` that are not a sequence (or match no category).
    MissingDependencyError
        Without matplotlib.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=6)
    >>> plan = fc[["unique_id", "ds"]].assign(supply=fc["mean"] * 0.97)
    >>> gaps = tc.supply_gaps(fc, plan, threshold=0.8)
    >>> fig = tc.plot_gaps(gaps, forecast=fc, history=sales, threshold=0.8)
    >>> len(fig.subfigs)
    2
    """
    plt = _pyplot()
    ids = _checked_layout(ids, n_history, ncols, top)
    real_number("threshold", threshold, low=0, high=1, none=True)
    keys = [id_col] + ([scenario_col] if scenario_col else [])
    data = _checked_gaps(gaps, keys, scenario_col, id_col, time_col, supply_col)
    panels = _choose_panels(data, keys, ids, top)
    levels: list[int] = []
    if forecast is not None:
        levels = _levels(forecast)
        fc_all = forecast.copy()
        fc_all[time_col] = pd.to_datetime(fc_all[time_col])
    ncols = max(1, min(ncols, len(panels)))
    nrows = (len(panels) + ncols - 1) // ncols
    fig = plt.figure(figsize=(6.6 * ncols, 4.3 * nrows), layout="constrained")
    subfigs = np.atleast_1d(fig.subfigures(nrows, ncols, wspace=0.04, hspace=0.04)).ravel()
    for sub, panel in zip(subfigs, panels, strict=False):
        key = panel[0]
        g = _panel_rows(data, panel, scenario_col, id_col, time_col)
        name = titles.get(key, str(key)) if titles else str(key)
        if scenario_col:
            name = f"{name} ({panel[1]})"
        hist = None
        if history is not None:
            hist = _history_before(history, key, g[time_col].min(), n_history, id_col, time_col)
        fc = None if forecast is None else fc_all[fc_all[id_col] == key].sort_values(time_col)
        _gap_panel(
            sub, g, hist, fc, levels=levels, threshold=threshold, name=name, ylabel=ylabel,
            time_col=time_col, target_col=target_col, supply_col=supply_col,
        )  # fmt: skip
    for sub in subfigs[len(panels) :]:
        sub.set_visible(False)
    _gap_legend(subfigs[0].axes[0])
    return fig


def _checked_gaps(
    gaps: pd.DataFrame,
    keys: list[str],
    scenario_col: str | None,
    id_col: str,
    time_col: str,
    supply_col: str,
) -> pd.DataFrame:
    """A copy of flow ``gaps`` with datetime periods, after checking what the charts read."""
    if "cover" in gaps.columns and "mean" not in gaps.columns:
        raise fail(
            "plot_gaps draws flow gaps (supply per period); these are stock gaps",
            column="cover",
            expected="the output of supply_gaps(..., kind='flow')",
            found="a 'cover' column and no 'mean'",
            fix="show inventory cover as a table, or compare a flow plan",
        )
    needed = [*keys, time_col, "mean", supply_col, "p_short", "expected_shortfall", "flag"]
    require_columns(gaps, needed, "the gaps frame", "pass the output of tc.supply_gaps")
    if gaps.empty:
        raise ParameterError("no category to plot: the gaps frame is empty")
    data = gaps.copy()
    data[time_col] = pd.to_datetime(data[time_col])
    if scenario_col is None and data.duplicated([id_col, time_col]).any():
        raise fail(
            "the gaps frame has several rows per category and period",
            column=time_col,
            expected="one row per category and period",
            found="repeated (category, period) pairs, e.g. one per supply scenario",
            fix="pass scenario_col= (the column naming the scenario) or filter one scenario",
        )
    return data


def _choose_panels(
    data: pd.DataFrame, keys: list[str], ids: Sequence[Any] | None, top: int
) -> list[tuple[Any, ...]]:
    """The (category[, scenario]) panels drawn: ``ids`` in their order, else the worst ``top``."""
    if ids is None:
        panels = _rank_ids(data, keys)[:top]
    else:
        wanted = set(ids)
        panels = [k for k in _rank_ids(data, keys) if k[0] in wanted]
        panels.sort(key=lambda k: list(ids).index(k[0]))
    if not panels:
        raise ParameterError("no category to plot: none of ids is in the gaps frame")
    return panels


def _panel_rows(
    data: pd.DataFrame,
    panel: tuple[Any, ...],
    scenario_col: str | None,
    id_col: str,
    time_col: str,
) -> pd.DataFrame:
    """The rows of one panel (category, and scenario when there is one), in time order."""
    mask = pd.Series(True, index=data.index) & (data[id_col] == panel[0])
    if scenario_col:
        mask &= data[scenario_col] == panel[1]
    return data[mask].sort_values(time_col)


def _history_before(
    history: pd.DataFrame,
    key: Any,
    first: pd.Timestamp,
    n_history: int | None,
    id_col: str,
    time_col: str,
) -> pd.DataFrame:
    """The last ``n_history`` periods of sales of ``key`` before ``first`` (all when None)."""
    hist = history[history[id_col] == key].sort_values(time_col)
    hist = hist[pd.to_datetime(hist[time_col]) < first]
    if n_history is not None:
        hist = hist.tail(n_history)
    return hist


def _gap_panel(
    sub: Any,
    g: pd.DataFrame,
    hist: pd.DataFrame | None,
    fc: pd.DataFrame | None,
    *,
    levels: list[int],
    threshold: float | None,
    name: str,
    ylabel: str | None,
    time_col: str,
    target_col: str,
    supply_col: str,
) -> None:
    """Draw one category's demand against supply (upper) and ``p_short`` (lower) in ``sub``."""
    top_ax, p_ax = sub.subplots(2, 1, sharex=True, height_ratios=[3, 1.1])
    half = _half_period(g[time_col])
    edges = _edges(g[time_col], half)
    for i, flag in enumerate(g["flag"].astype(str)):
        if flag in ("short", "long"):
            color = _SHORT if flag == "short" else _LONG
            for ax in (top_ax, p_ax):
                ax.axvspan(edges[i], edges[i + 1], color=color, alpha=0.13, lw=0)
    if hist is not None:
        top_ax.plot(
            pd.to_datetime(hist[time_col]),
            hist[target_col],
            color=_SALES,
            lw=1.2,
            label="sales",
        )
    if fc is not None:
        _bands(top_ax, fc, levels, time_col)
    top_ax.plot(g[time_col], g["mean"], color=_FORECAST, lw=1.6, label="forecast (mean)")
    top_ax.step(g[time_col], g[supply_col], where="mid", color=_SUPPLY, lw=1.8, label="supply")
    _p_short_bars(p_ax, g, 1.2 * half, threshold, time_col)
    if ylabel:
        top_ax.set_ylabel(_text(ylabel), fontsize=8)
    for ax in (top_ax, p_ax):
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    _thousands(top_ax)
    _date_axis(p_ax)
    n_short = int(g["flag"].astype(str).eq("short").sum())
    es = float(g["expected_shortfall"].sum())
    unit = f" {_text(ylabel)}" if ylabel else ""
    sub.suptitle(
        f"{_text(name, 60)}\n"
        f"short in {n_short} of {len(g)} periods; expected shortfall {es:,.0f}{unit}",
        fontsize=9.5,
    )


def _p_short_bars(
    ax: Any, g: pd.DataFrame, width: pd.Timedelta, threshold: float | None, time_col: str
) -> None:
    """Bars of ``p_short`` per period (red where flagged short) and the threshold line."""
    colors = np.where(g["flag"].astype(str).eq("short"), _SHORT, "0.6")
    ax.bar(g[time_col], g["p_short"], width=width, color=colors)
    if threshold is not None:
        ax.axhline(threshold, color="black", ls="--", lw=0.9)
        ax.text(
            0.005,
            threshold,
            f" threshold {threshold:g}",
            transform=ax.get_yaxis_transform(),
            fontsize=7,
            va="bottom",
            ha="left",
        )
    ax.set_ylim(0, 1)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("P(short)", fontsize=8)


def _gap_legend(first: Axes) -> None:
    """One legend for the figure: the handles of the first panel, plus the shadings."""
    from matplotlib.patches import Patch

    handles, labels = first.get_legend_handles_labels()
    handles += [Patch(color=_SHORT, alpha=0.3), Patch(color=_LONG, alpha=0.3)]
    labels += ["flagged short", "flagged long (oversupply)"]
    first.legend(handles, labels, fontsize=7, loc="upper left", ncols=2)


@accepts_frames
def plot_gap_summary(
    summary: pd.DataFrame,
    *,
    top: int = 15,
    value_col: str | None = None,
    label_col: str | None = "description",
    xlabel: str | None = None,
    id_col: str = "unique_id",
) -> Figure:
    """Bar chart of the expected shortfall and excess by category, worst first.

    Bars to the right are the expected shortfall over the horizon (red when
    the category is flagged ``"short"``), bars to the left the expected
    excess supply; each is labelled with the highest ``p_short``.

    Parameters
    ----------
    summary : DataFrame
        Output of [`summarize_gaps`][trendcast.summarize_gaps] (flow), in its
        ranked order.
    top : int
        Categories shown (the first ``top`` rows).
    value_col : str, optional
        Column to draw to the right (default ``shortfall_value`` when present,
        else ``expected_shortfall``); the excess is drawn from the matching
        ``excess_value`` / ``expected_excess`` column when present.
    label_col : str, optional
        Column added to the category in the labels, when present.
    xlabel : str, optional
        Axis label with the unit (default: the column drawn).
    id_col : str
        Category column.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        For ``top`` below 1, or ``value_col`` that is not text.
    MissingDependencyError
        Without matplotlib.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> summary = pd.DataFrame({"unique_id": ["a", "b"], "flag": ["short", "ok"],
    ...                         "max_p_short": [0.9, 0.4],
    ...                         "expected_shortfall": [120.0, 10.0],
    ...                         "expected_excess": [0.0, 30.0]})
    >>> fig = tc.plot_gap_summary(summary, xlabel="units")
    >>> fig.axes[0].get_xlabel()
    'units'
    """
    plt = _pyplot()
    _checked_layout(None, top=top)
    text_value("value_col", value_col, none=True)
    if value_col is None:
        value_col = (
            "shortfall_value" if "shortfall_value" in summary.columns else ("expected_shortfall")
        )
    excess_col = {"shortfall_value": "excess_value", "expected_shortfall": "expected_excess"}.get(
        value_col
    )
    require_columns(summary, [id_col, value_col], "the gaps summary", "pass tc.summarize_gaps")
    rows = summary.head(top)
    if rows.empty:
        raise ParameterError("no category to plot: the gaps summary is empty")
    labels = []
    for _, r in rows.iterrows():
        text = str(r[id_col])
        if "scenario" in rows.columns and pd.notna(r["scenario"]):
            text += f" ({r['scenario']})"
        if label_col and label_col in rows.columns and pd.notna(r[label_col]):
            text += f"  {textwrap.shorten(str(r[label_col]), 38, placeholder='...')}"
        labels.append(_text(text))
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(9.5, 0.9 + 0.36 * len(rows)), layout="constrained")
    short = pd.to_numeric(rows[value_col], errors="coerce").fillna(0).to_numpy(float)
    flags = rows["flag"].astype(str).to_numpy() if "flag" in rows.columns else np.array([""])
    colors = np.where(flags == "short", _SHORT, "0.55")
    ax.barh(y, short, color=colors, height=0.65)
    excess = np.zeros(len(rows))
    if excess_col and excess_col in rows.columns:
        excess = pd.to_numeric(rows[excess_col], errors="coerce").fillna(0).to_numpy(float)
        ax.barh(y, -excess, color=_LONG, height=0.65, alpha=0.8)
    ax.axvline(0, color="black", lw=0.8)
    span = max(float(short.max(initial=0)), float(excess.max(initial=0)), 1e-9)
    if "max_p_short" in rows.columns:
        for yi, value, p in zip(y, short, rows["max_p_short"], strict=True):
            if pd.notna(p):
                text = f"max P(short) {float(p):.2f}"
                ax.text(value + 0.01 * span, yi, text, va="center", fontsize=7)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=_SHORT, label="expected shortfall, flagged short"),
        Patch(color="0.55", label="expected shortfall, not flagged"),
    ]
    if excess.any():
        handles.append(Patch(color=_LONG, alpha=0.8, label="expected excess supply"))
    fig.legend(handles=handles, fontsize=7, loc="outside lower center", ncols=3, frameon=False)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(-1.05 * float(excess.max(initial=0)) - 0.02 * span, 1.3 * span)
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{abs(v):,.0f}"))
    ax.set_xlabel(_text(xlabel or value_col.replace("_", " ")), fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        "Expected shortfall (right) and excess supply (left) over the horizon", fontsize=10
    )
    return fig


@accepts_frames
def plot_lead_lag(
    sales: pd.DataFrame,
    search: pd.DataFrame,
    *,
    ids: Sequence[Any] | None = None,
    max_lag: int = 6,
    min_lag: int = 1,
    alpha: float = 0.05,
    season_length: int | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    search_col: str = "search",
    ncols: int = 2,
) -> Figure:
    """Plot the cross-correlation of search and sales by lag, with the significance band.

    One panel per category: bars are the correlations of the prewhitened
    series at lags 0..``max_lag`` (search earlier by that many periods), the
    dashed lines the Bonferroni band of [`lead_lag`][trendcast.lead_lag];
    the chosen lag is drawn dark when the category ``leads``. Parameters are
    those of ``lead_lag``, plus ``ids`` (categories to draw, default all up
    to six) and ``ncols``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ParameterError
        For ``ncols`` below 1, ``ids`` that are not a sequence, or the
        arguments of ``lead_lag``.
    MissingDependencyError
        Without matplotlib.
    """
    plt = _pyplot()
    from trendcast.signals import lead_lag_analysis

    ids = _checked_layout(ids, ncols=ncols)

    table, ccf = lead_lag_analysis(
        sales,
        search,
        max_lag=max_lag,
        min_lag=min_lag,
        alpha=alpha,
        season_length=season_length,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        search_col=search_col,
    )
    table = table.set_index(id_col)
    keys = ids if ids is not None else list(pd.unique(ccf[id_col]))[:6]
    if not keys:
        reason = (
            "ids is empty"
            if ids is not None
            else "lead_lag could test no category of sales and search (see its note column)"
        )
        raise ParameterError(f"no category with enough data to plot: {reason}")
    ncols = min(ncols, len(keys))
    nrows = (len(keys) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 3.0 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        part = ccf[ccf[id_col] == key]
        row = table.loc[key]
        colors = ["0.75"] * len(part)
        if len(part):
            for i, (lag, tested) in enumerate(zip(part["lag"], part["tested"], strict=True)):
                if tested:
                    colors[i] = "tab:blue"
                if bool(row["leads"]) and lag == row["lag"]:
                    colors[i] = "navy"
            ax.bar(part["lag"], part["correlation"], color=colors, width=0.6)
            band = float(part["threshold"].iloc[0])
            label = f"{1 - alpha:.0%} band, all lags together"
            ax.axhline(band, color="tab:red", ls="--", lw=1, label=label)
            ax.axhline(-band, color="tab:red", ls="--", lw=1)
        ax.axhline(0, color="black", lw=0.8)
        verdict = (
            f"leads by {int(row['lag'])}"
            if bool(row["leads"])
            else (row["note"] or "no significant lead")
        )
        ax.set_title(f"{key}: {verdict}", fontsize=10)
        ax.set_xlabel("lag (periods search is earlier)", fontsize=8)
        ax.set_ylabel("correlation", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig
