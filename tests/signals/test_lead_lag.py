"""lead_lag: true leads are found at the right lag; shared season and trend do not pass."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast import DataValidationError
from trendcast.datasets import load_nl_online_sales, load_nl_search_mapping, nl_google_trends_files

N_FAKE = 300
N_TRUE = 60


def pair(seed: int, lead: int | None = None, n: int = 120, beta: float = 0.6):
    """Monthly sales and search that share a trend and a seasonal pattern.

    Both carry autocorrelated (AR(1), phi=0.7) noise, which makes raw series
    correlated at many lags by chance. With ``lead=k`` the search noise drives
    sales k months later.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n + 12)
    common = 0.004 * t + 0.3 * np.sin(2 * np.pi * t / 12) + 0.15 * np.cos(4 * np.pi * t / 12)

    def ar(phi: float) -> np.ndarray:
        e = rng.normal(0, 0.05, len(t))
        z = np.zeros(len(t))
        for i in range(1, len(t)):
            z[i] = phi * z[i - 1] + e[i]
        return z

    noise_x = ar(0.7)
    x = 3 + common + noise_x
    if lead is None:
        y = 5 + common + ar(0.7)
    else:
        y = 5 + common + beta * np.roll(noise_x, lead) + 0.5 * ar(0.5)
    ds = pd.date_range("2010-01-01", periods=len(t), freq="MS")
    sales = pd.DataFrame({"unique_id": f"c{seed}", "ds": ds, "y": np.exp(y)}).iloc[12:]
    search = pd.DataFrame({"unique_id": f"c{seed}", "ds": ds, "search": np.exp(x)}).iloc[12:]
    return sales, search


@pytest.fixture(scope="module")
def fakes():
    parts = [pair(seed) for seed in range(N_FAKE)]
    return pd.concat([p[0] for p in parts]), pd.concat([p[1] for p in parts])


def test_shared_season_and_trend_do_not_make_a_lead(fakes):
    sales, search = fakes
    table = tc.lead_lag(sales, search, max_lag=6, alpha=0.05)
    assert len(table) == N_FAKE
    rate = table["leads"].mean()
    # nominal 5% family-wise; binomial sd with 300 draws is 1.3 points
    assert rate <= 0.08, f"false-positive rate {rate:.3f}"
    assert (table["p_value"] <= 1).all() and table["granger_p"].between(0, 1).all()


def test_the_naive_correlation_would_be_fooled(fakes):
    # the test above can fail: raw levels of the fakes are strongly correlated at a lag
    sales, search = fakes
    first = sales["unique_id"] == "c0"
    y = np.log(sales.loc[first, "y"].to_numpy())
    x = np.log(search.loc[search["unique_id"] == "c0", "search"].to_numpy())
    assert abs(np.corrcoef(x[:-1], y[1:])[0, 1]) > 0.5


@pytest.mark.parametrize("k", [1, 2, 4])
def test_true_leads_are_found_at_the_right_lag(k):
    parts = [pair(1000 + seed, lead=k) for seed in range(N_TRUE)]
    sales = pd.concat([p[0] for p in parts])
    search = pd.concat([p[1] for p in parts])
    table = tc.lead_lag(sales, search, max_lag=6)
    right = (table["leads"] & (table["lag"] == k)).mean()
    assert right >= 0.95, f"found lag {k} in {right:.2%} of the series"
    assert (table.loc[table["leads"], "correlation"] > 0).all()


def test_weak_leads_are_found_more_often_than_chance():
    parts = [pair(2000 + seed, lead=2, beta=0.15) for seed in range(N_TRUE)]
    table = tc.lead_lag(pd.concat([p[0] for p in parts]), pd.concat([p[1] for p in parts]))
    assert table["leads"].mean() > 0.2  # 0.30 measured; chance alone gives 0.05


def test_result_shape_names_and_short_series():
    sales, search = pair(1, lead=1)
    sales = sales.rename(columns={"unique_id": "category", "ds": "month", "y": "units"})
    search = search.rename(columns={"unique_id": "category", "ds": "month", "search": "gt"})
    short_sales = sales.iloc[:30].assign(category="short")
    short_search = search.iloc[:30].assign(category="short")
    table = tc.lead_lag(
        pd.concat([sales, short_sales]),
        pd.concat([search, short_search]),
        id_col="category",
        time_col="month",
        target_col="units",
        search_col="gt",
    )
    assert list(table.columns) == [
        "category",
        "lag",
        "correlation",
        "threshold",
        "p_value",
        "granger_p",
        "n",
        "leads",
        "note",
    ]
    short = table.set_index("category").loc["short"]
    assert not short["leads"] and "too short" in short["note"]
    ccf = tc.cross_correlation(
        sales, search, id_col="category", time_col="month", target_col="units", search_col="gt"
    )
    assert ccf["lag"].tolist() == list(range(7))
    assert ccf["tested"].tolist() == [False] + [True] * 6


def test_bad_arguments_are_refused():
    sales, search = pair(1)
    with pytest.raises(DataValidationError, match="min_lag"):
        tc.lead_lag(sales, search, min_lag=3, max_lag=2)
    with pytest.raises(DataValidationError, match=r"misses column 'search'"):
        tc.lead_lag(sales, search.rename(columns={"search": "x"}))


def test_real_dutch_categories_and_the_plot(tmp_path):
    search = tc.search_by_category(
        tc.read_google_trends(nl_google_trends_files()), load_nl_search_mapping(), freq="MS"
    )
    sales = load_nl_online_sales()
    table = tc.lead_lag(sales, search, max_lag=3)
    assert table["unique_id"].tolist() == sorted(sales["unique_id"].unique())
    assert table["n"].min() > 45
    fig = tc.plot_lead_lag(sales, search, max_lag=3)
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 4
    assert all(len(ax.patches) == 4 for ax in fig.axes)  # lags 0..3
    path = tmp_path / "lead_lag.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 5000
    matplotlib.pyplot.close(fig)
