"""Charts: the panels, bars and shading say what the gaps table says."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

import trendcast as tc
from trendcast.exceptions import DataValidationError

RED = to_rgba("tab:red")


def _gaps() -> pd.DataFrame:
    """Three categories over four months: a is short twice (large), c once (small), b never."""
    ds = pd.date_range("2025-01-01", periods=4, freq="MS")
    rows = []
    spec = {
        "a": ([0.9, 0.95, 0.5, 0.3], [40.0, 60.0, 5.0, 1.0]),
        "b": ([0.1, 0.2, 0.3, 0.1], [1.0, 2.0, 3.0, 1.0]),
        "c": ([0.5, 0.85, 0.4, 0.1], [2.0, 9.0, 3.0, 1.0]),
    }
    for key, (p, es) in spec.items():
        for d, pi, ei in zip(ds, p, es, strict=True):
            rows.append(
                {
                    "unique_id": key,
                    "ds": d,
                    "mean": 100.0,
                    "supply": 90.0,
                    "p_short": pi,
                    "expected_shortfall": ei,
                    "expected_excess": 1.0,
                    "flag": "short" if pi >= 0.8 else ("long" if pi <= 0.1 else "ok"),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _p_axes(fig):
    """The lower (P(short)) axes of each panel, in panel order."""
    return [sub.axes[1] for sub in fig.subfigs if sub.get_visible()]


def test_plot_gaps_ranks_short_categories_first_and_draws_p_short():
    gaps = _gaps()
    fig = tc.plot_gaps(gaps, top=2, threshold=0.8)
    titles = [sub._suptitle.get_text().split("\n")[0] for sub in fig.subfigs if sub.get_visible()]
    assert titles == ["a", "c"]  # both short; a has the larger expected shortfall
    first = fig.subfigs[0]._suptitle.get_text()
    assert "short in 2 of 4 periods" in first and "expected shortfall 106" in first
    bars = list(_p_axes(fig)[0].containers[0])
    assert [b.get_height() for b in bars] == pytest.approx([0.9, 0.95, 0.5, 0.3])
    red = [to_rgba(b.get_facecolor()) == RED for b in bars]
    assert red == [True, True, False, False]


def test_plot_gaps_ids_keep_the_order_given():
    fig = tc.plot_gaps(_gaps(), ids=["b", "a"])
    titles = [sub._suptitle.get_text().split("\n")[0] for sub in fig.subfigs if sub.get_visible()]
    assert titles == ["b", "a"]


def test_plot_gaps_with_forecast_and_history_draws_bands_and_sales():
    sales = tc.datasets.load_us_retail(categories=["448"])
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=4)
    plan = fc[["unique_id", "ds"]].assign(supply=fc["mean"] * 0.9)
    gaps = tc.supply_gaps(fc, plan)
    fig = tc.plot_gaps(gaps, forecast=fc, history=sales, n_history=12, ylabel="$ millions")
    top = fig.subfigs[0].axes[0] if hasattr(fig.subfigs, "__len__") else fig.subfigs.axes[0]
    labels = top.get_legend_handles_labels()[1]
    assert {"sales", "80% interval", "95% interval", "forecast (mean)", "supply"} <= set(labels)
    sales_line = next(line for line in top.get_lines() if line.get_label() == "sales")
    assert len(sales_line.get_xdata()) == 12
    assert top.get_ylabel() == r"\$ millions"  # literal dollar, not mathtext
    fig.canvas.draw()


def test_plot_gaps_scenarios_get_their_own_panels():
    gaps = _gaps()
    both = pd.concat([gaps.assign(scenario="base"), gaps.assign(scenario="extra")])
    with pytest.raises(DataValidationError, match="scenario_col"):
        tc.plot_gaps(both)
    fig = tc.plot_gaps(both, scenario_col="scenario", ids=["a"])
    titles = [sub._suptitle.get_text().split("\n")[0] for sub in fig.subfigs if sub.get_visible()]
    assert titles == ["a (base)", "a (extra)"]


def test_plot_gaps_refuses_stock_gaps_and_missing_columns():
    stock = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2025-01-01")], "cover": [0.5]})
    with pytest.raises(DataValidationError, match="flow"):
        tc.plot_gaps(stock)
    with pytest.raises(DataValidationError, match="p_short"):
        tc.plot_gaps(_gaps().drop(columns="p_short"))


def test_hostile_names_do_not_break_the_chart():
    gaps = _gaps().replace({"unique_id": {"a": r"$\frac{$ & <b>"}})
    fig = tc.plot_gaps(gaps, top=1)
    fig.canvas.draw()  # mathtext would raise on an unbalanced \frac


def test_plot_gap_summary_bars_are_shortfall_right_and_excess_left():
    summary = pd.DataFrame(
        {
            "unique_id": ["a", "b", "c"],
            "flag": ["short", "ok", "long"],
            "max_p_short": [0.9, 0.5, 0.1],
            "expected_shortfall": [120.0, 30.0, 5.0],
            "expected_excess": [2.0, 10.0, 80.0],
        }
    )
    fig = tc.plot_gap_summary(summary)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([120.0, 30.0, 5.0, -2.0, -10.0, -80.0])
    ys = [p.get_y() + p.get_height() / 2 for p in ax.patches[:3]]
    assert ys[0] > ys[1] > ys[2]  # worst on top
    assert to_rgba(ax.patches[0].get_facecolor()) == RED
    assert to_rgba(ax.patches[1].get_facecolor()) != RED
    valued = summary.assign(shortfall_value=[1.0, 2.0, 3.0], excess_value=[4.0, 5.0, 6.0])
    widths = [p.get_width() for p in tc.plot_gap_summary(valued, top=2).axes[0].patches]
    assert widths == pytest.approx([1.0, 2.0, -4.0, -5.0])


def test_plot_forecast_still_draws_one_panel_per_category(retail_small):
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(retail_small).predict(h=3)
    fig = tc.plot_forecast(retail_small, fc, ids=["441", "448", "4541"], ylabel="$ millions")
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["441", "448", "4541"]
    mean = next(line for line in visible[1].get_lines() if line.get_label() == "forecast (mean)")
    expected = fc[fc["unique_id"] == "448"]["mean"].to_numpy()
    np.testing.assert_allclose(mean.get_ydata(), expected)
