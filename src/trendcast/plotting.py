"""Charts of history, forecast intervals and supply, for notebooks and reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from trendcast.exceptions import MissingDependencyError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["plot_forecast"]


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
