"""Hotspots (size thresholds, growth) and emerging categories (Mann-Kendall, acceleration)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import trendcast as tc
from trendcast.datasets import load_nl_online_sales, load_nl_search_mapping, nl_google_trends_files

FUTURE = pd.date_range("2025-01-01", periods=24, freq="MS")
PAST = pd.date_range("2022-01-01", periods=36, freq="MS")


def flat_forecast(levels: dict[str, float]) -> pd.DataFrame:
    """24 months of constant mean per category, with bounds mean - 1 and mean + 2."""
    frames = [
        pd.DataFrame(
            {
                "unique_id": key,
                "ds": FUTURE,
                "model": "x",
                "mean": value,
                "lo-80": value - 1,
                "hi-80": value + 2,
            }
        )
        for key, value in levels.items()
    ]
    return pd.concat(frames, ignore_index=True)


def history(values: dict[str, np.ndarray]) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"unique_id": k, "ds": PAST, "y": v}) for k, v in values.items()],
        ignore_index=True,
    )


HIST = history({"a": np.full(36, 8.0), "b": np.full(36, 125.0)})


def test_totals_tiers_growth_known_answers() -> None:
    hot = tc.hotspots(
        flat_forecast({"a": 10.0, "b": 100.0}),
        history=HIST,
        thresholds={"small": 100, "big": 1000},
    )
    assert list(hot.columns) == [
        "rank",
        "unique_id",
        "level",
        "total",
        "total_lo",
        "total_hi",
        "tier",
        "growth",
        "growth_lo",
        "growth_hi",
        "start",
        "end",
        "periods",
        "baseline",
    ]
    rows = hot.set_index("unique_id")
    assert hot["unique_id"].tolist() == ["b", "a"] and hot["rank"].tolist() == [1, 2]
    assert rows.loc["a", ["total", "total_lo", "total_hi"]].tolist() == [120.0, 108.0, 144.0]
    assert rows.loc["a", "tier"] == "small" and rows.loc["b", "tier"] == "big"
    assert rows.loc["a", "baseline"] == 96.0 and rows.loc["b", "baseline"] == 1500.0
    assert rows.loc["a", "growth"] == pytest.approx(0.25)
    assert rows.loc["a", "growth_lo"] == pytest.approx(108 / 96 - 1)
    assert rows.loc["b", "growth"] == pytest.approx(-0.2)
    assert rows.loc["a", "periods"] == 12 and rows.loc["a", "end"] == pd.Timestamp("2025-12-01")
    only_big = tc.hotspots(flat_forecast({"a": 10.0, "b": 100.0}), thresholds={"big": 1000})
    assert only_big["unique_id"].tolist() == ["b"] and only_big["growth"].isna().all()


def test_short_period_compares_the_same_months_a_year_earlier() -> None:
    seasonal = np.tile(np.arange(1.0, 13.0), 3)  # January = 1 ... December = 12
    hot = tc.hotspots(flat_forecast({"a": 10.0}), history=history({"a": seasonal}), period=3)
    assert hot.loc[0, "baseline"] == 1 + 2 + 3  # Jan-Mar 2024, not Oct-Dec 2024 (33)
    assert hot.loc[0, "total"] == 30.0
    long = tc.hotspots(flat_forecast({"a": 10.0}), history=history({"a": seasonal}), period=24)
    assert long.loc[0, "baseline"] == 2 * 78  # the 24 months before, whole years back


def test_paths_give_the_interval_of_the_sum() -> None:
    draws = np.arange(1.0, 101.0)[:, None] * np.ones((1, 24))
    hot = tc.hotspots(
        flat_forecast({"a": 10.0}), history=HIST, paths={"a": draws}, level=80
    ).iloc[0]
    sums = 12 * np.arange(1.0, 101.0)
    assert hot["total_lo"] == pytest.approx(np.quantile(sums, 0.1))
    assert hot["total_hi"] == pytest.approx(np.quantile(sums, 0.9))
    assert hot["growth_hi"] == pytest.approx(np.quantile(sums, 0.9) / 96 - 1)


def test_hierarchy_adds_sectors_from_categories_and_their_paths() -> None:
    hier = tc.Hierarchy.from_frame(
        pd.DataFrame({"sector": ["s", "s", "t"], "category": ["a", "b", "c"]})
    )
    fc = flat_forecast({"a": 10.0, "b": 100.0, "c": 1.0})
    hist = history({"a": np.full(36, 8.0), "b": np.full(36, 125.0), "c": np.ones(36)})
    hot = tc.hotspots(fc, history=hist, hierarchy=hier).set_index("unique_id")
    assert hot.loc["s", "total"] == 1320.0 and hot.loc["s", "level"] == "sector"
    assert hot.loc["s", "total_lo"] == 108.0 + 1188.0  # sums of the bounds without paths
    assert hot.loc["s", "baseline"] == 96.0 + 1500.0
    assert hot.loc["c", "level"] == "category"
    rng = np.random.default_rng(0)
    paths = {k: rng.gamma(4, size=(500, 24)) for k in ("a", "b", "c")}
    with_paths = tc.hotspots(fc, hierarchy=hier, paths=paths).set_index("unique_id")
    sector_sums = (paths["a"][:, :12] + paths["b"][:, :12]).sum(axis=1)
    assert with_paths.loc["s", "total_hi"] == pytest.approx(np.quantile(sector_sums, 0.9))


def test_hotspot_errors() -> None:
    fc = flat_forecast({"a": 10.0})
    with pytest.raises(tc.DataValidationError, match="no lo-95/hi-95"):
        tc.hotspots(fc, level=95)
    with pytest.raises(tc.DataValidationError, match="fewer than period=30"):
        tc.hotspots(fc, period=30)
    hier = tc.Hierarchy.from_frame(pd.DataFrame({"sector": ["s"], "category": ["z"]}))
    with pytest.raises(tc.DataValidationError, match="not in the hierarchy"):
        tc.hotspots(fc, hierarchy=hier)


def test_us_retail_hotspots_in_millions() -> None:
    hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
    sales = tc.datasets.load_us_retail(categories=hier.bottom)
    forecast = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=12)
    hot = tc.hotspots(
        forecast, history=sales, hierarchy=hier, thresholds={"100bn": 1e5, "1tn": 1e6}
    )
    rows = hot.set_index("unique_id")
    # seasonal naive repeats the last 12 months: the growth is zero, the total last year's
    assert rows["growth"].abs().max() < 1e-12
    last_year = sales[sales["ds"] >= "2023-10-01"].groupby("unique_id")["y"].sum()
    assert rows.loc["454", "total"] == last_year["454"]
    assert rows.loc["44X72", "tier"] == "1tn" and rows.loc["453", "tier"] == "100bn"
    assert last_year["443"] < 1e5 and "443" not in rows.index  # electronics: under $100bn


# --------------------------------------------------------------------------- Mann-Kendall
def test_mann_kendall_known_answers_with_ties() -> None:
    result = tc.mann_kendall([1, 2, 2, 3])
    # S = 5 (five rising pairs, one tie); Var = (4*3*13 - 2*1*9) / 18
    assert result.s == 5 and result.var_s == pytest.approx(138 / 18)
    z = 4 / np.sqrt(138 / 18)
    assert result.z == pytest.approx(z)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(z))
    assert result.tau == pytest.approx(5 / 6)
    falling = tc.mann_kendall([5.0, 4, np.nan, 3, 1])
    assert falling.n == 4 and falling.tau == -1.0 and falling.z < 0
    assert tc.mann_kendall([2, 2, 2]).p_value == 1.0


def test_seasonal_mann_kendall_ignores_a_seasonal_pattern() -> None:
    pattern = np.tile(np.arange(12.0), 3)  # rises every year to December, no trend
    assert tc.mann_kendall(pattern).tau > 0.2  # the classic test is fooled
    assert tc.mann_kendall(pattern, season_length=12).tau == 0.0
    trend = pattern + np.repeat([0.0, 1.0, 2.0], 12)
    seasonal = tc.mann_kendall(trend, season_length=12)
    assert seasonal.tau == 1.0 and seasonal.p_value < 0.001


# --------------------------------------------------------------------------- emerging
MONTHS = pd.date_range("2019-01-01", periods=72, freq="MS")
AHEAD = pd.date_range("2025-01-01", periods=12, freq="MS")


def _category(key: str, log_level, search_slope: float, rng) -> tuple:
    t = np.arange(84)
    season = 1 + 0.2 * np.sin(2 * np.pi * t / 12)
    y = 100 * np.exp(log_level(t)) * season * np.exp(rng.normal(0, 0.003, 84))
    search = 50 + search_slope * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 84)
    sales = pd.DataFrame({"unique_id": key, "ds": MONTHS, "y": y[:72]})
    fc = pd.DataFrame({"unique_id": key, "ds": AHEAD, "mean": y[72:]})
    return sales, fc, pd.DataFrame({"unique_id": key, "ds": MONTHS, "search": search[:72]})


def simulated_panel() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    parts = [
        _category("accelerating", lambda t: 0.0002 * t**2, 0.5, rng),  # growth speeds up
        _category("flat", lambda t: 0 * t, 0.0, rng),
        _category("falling", lambda t: -0.0002 * t**2, 0.5, rng),  # search up, sales down
        _category("steady", lambda t: 0.004 * t, 0.0, rng),  # grows, does not accelerate
    ]
    return tuple(pd.concat(p, ignore_index=True) for p in zip(*parts, strict=True))  # type: ignore[return-value]


def test_emerging_on_simulated_truth() -> None:
    sales, forecast, search = simulated_panel()
    table = tc.emerging(sales, search=search, forecast=forecast)
    assert list(table.columns) == [
        "rank",
        "unique_id",
        "score",
        "sales_acceleration",
        "search_trend",
        "search_p",
        "forecast_growth",
        "emerging",
        "growth_recent",
        "growth_earlier",
        "basis",
    ]
    rows = table.set_index("unique_id")
    assert table.loc[0, "unique_id"] == "accelerating"
    assert rows["emerging"].to_dict() == {
        "accelerating": True,
        "flat": False,
        "falling": False,
        "steady": False,
    }
    # acceleration = 0.0002 * 2 * 12 * 12 per year of the quadratic log level, about 0.0576
    # (noise: 0.3% a month, about 0.002 on the acceleration)
    assert rows.loc["accelerating", "sales_acceleration"] == pytest.approx(0.0576, abs=0.006)
    assert abs(rows.loc["flat", "sales_acceleration"]) < 0.01
    assert rows.loc["falling", "search_trend"] > 0.5 and rows.loc["falling", "search_p"] < 0.01
    assert abs(rows.loc["steady", "sales_acceleration"]) < 0.01
    assert set(table["basis"]) == {"sales, search, forecast"}


def test_emerging_without_search_says_so() -> None:
    sales, forecast, _ = simulated_panel()
    table = tc.emerging(sales, forecast=forecast)
    assert set(table["basis"]) == {"sales, forecast"}
    assert table["search_trend"].isna().all()
    assert table.loc[0, "unique_id"] == "accelerating" and bool(table.loc[0, "emerging"])
    # falling sales are never emerging, with or without search
    assert not table.set_index("unique_id").loc["falling", "emerging"]


def test_emerging_real_dutch_search_and_online_sales() -> None:
    sales = load_nl_online_sales()
    search = tc.search_by_category(
        tc.read_google_trends(nl_google_trends_files()), load_nl_search_mapping(), freq="MS"
    )
    table = tc.emerging(sales, search=search).set_index("unique_id")
    assert len(table) == 4 and set(table["basis"]) == {"sales, search"}
    assert table[["sales_acceleration", "search_trend", "search_p"]].notna().all().all()
    # clothes: online sales fell in 2023 and recovered in 2024; its search rose in every month
    clothes = table.loc["clothes_and_fashion_items"]
    assert clothes["growth_recent"] > clothes["growth_earlier"]
    assert clothes["search_trend"] == 1.0 and clothes["search_p"] < 0.01
    assert not clothes["emerging"]  # still no growth over the last 12 months


def test_emerging_errors() -> None:
    sales, _, _ = simulated_panel()
    with pytest.raises(tc.DataValidationError, match="lacks column"):
        tc.emerging(sales.rename(columns={"y": "sales"}))
    with pytest.raises(tc.DataValidationError, match="search frame lacks"):
        tc.emerging(sales, search=sales)
