"""Charts of history, forecast intervals and supply, for notebooks and reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from trendcast.exceptions import MissingDependencyError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_forecast", "plot_lead_lag"]


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    ids: Sequence[Any] | None = None,
    supply: pd.DataFrame | None = None,
    titles: dict[Any, str] | None = None,
    n_history: int | None = 48,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    supply_col: str = "supply",
    ncols: int = 2,
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
    titles : dict, optional
        Panel titles by category.
    n_history : int, optional
        Periods of history shown before the forecast (None: all).
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a core dependency
        raise MissingDependencyError('Plotting needs matplotlib: pip install "trendcast"') from exc
    if ids is None:
        ids = list(pd.unique(forecast[id_col]))[:6]
    ids = list(ids)
    if not ids:
        raise ValueError("no category to plot")
    nrows = (len(ids) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 3.2 * nrows), squeeze=False)
    levels = sorted(
        (int(c[3:]) for c in forecast.columns if str(c).startswith("lo-")), reverse=True
    )
    for ax, key in zip(axes.flat, ids, strict=False):
        hist = history[history[id_col] == key].sort_values(time_col)
        if n_history is not None:
            hist = hist.tail(n_history)
        fc = forecast[forecast[id_col] == key].sort_values(time_col)
        ax.plot(hist[time_col], hist[target_col], color="black", lw=1.2, label="sales")
        for i, lv in enumerate(levels):
            ax.fill_between(
                fc[time_col],
                fc[f"lo-{lv}"],
                fc[f"hi-{lv}"],
                color="tab:blue",
                alpha=0.15 + 0.15 * i,
                lw=0,
                label=f"{lv}% interval",
            )
        model = fc["model"].iloc[0] if "model" in fc.columns and len(fc) else ""
        ax.plot(fc[time_col], fc["mean"], color="tab:blue", lw=1.5, label=f"forecast {model}")
        if supply is not None:
            sp = supply[supply[id_col] == key].sort_values(time_col)
            sp = sp[sp[time_col] >= fc[time_col].min()] if len(fc) else sp
            if len(sp):
                ax.step(
                    sp[time_col],
                    sp[supply_col],
                    where="mid",
                    color="tab:red",
                    lw=1.4,
                    label="supply plan",
                )
        title = titles.get(key, str(key)) if titles else str(key)
        ax.set_title(title, fontsize=10)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(ids) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


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
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a core dependency
        raise MissingDependencyError('Plotting needs matplotlib: pip install "trendcast"') from exc
    from trendcast.signals.lead_lag import _analyse

    result = _analyse(
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
    table = result.table.set_index(id_col)
    ccf = result.ccf
    keys = list(ids) if ids is not None else list(pd.unique(ccf[id_col]))[:6]
    if not keys:
        raise ValueError("no category with enough data to plot")
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
