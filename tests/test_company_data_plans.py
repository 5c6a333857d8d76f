"""Plans as planners keep them: files, categories left out, weekly naive plans (issue 22)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.demo import naive_supply_plan as demo_plan

MONTHS = pd.date_range("2025-01-01", periods=3, freq="MS")


def _forecast(categories=("shoes", "bags")):
    return pd.DataFrame(
        {
            "unique_id": np.repeat(categories, 3),
            "ds": np.tile(MONTHS, len(categories)),
            "model": "ETS",
            "mean": 100.0,
            "lo-80": 80.0,
            "hi-80": 120.0,
        }
    )


def _plan(categories=("shoes", "bags")):
    return pd.DataFrame(
        {
            "unique_id": np.repeat(categories, 3),
            "ds": np.tile(MONTHS, len(categories)),
            "supply": 70.0,
        }
    )


def test_supply_gaps_reads_a_plan_file(tmp_path):
    path = tmp_path / "plan.csv"
    frame = _plan()
    frame["ds"] = frame["ds"].dt.strftime("%Y-%m")
    frame["supply"] = "1,070"
    frame.to_csv(path, index=False)
    with pytest.raises(tc.DataValidationError, match=r"plan\.csv.*thousands=','"):
        tc.supply_gaps(_forecast(), path)
    read = tc.read_supply(path, thousands=",")
    from_file = tc.supply_gaps(_forecast(), read)
    assert (from_file["supply"] == 1070.0).all() and len(from_file) == 6


def test_supply_gaps_takes_a_path_and_equals_the_frame(tmp_path):
    path = tmp_path / "plan.csv"
    _plan().to_csv(path, index=False)
    pd.testing.assert_frame_equal(
        tc.supply_gaps(_forecast(), path), tc.supply_gaps(_forecast(), _plan())
    )


def test_supply_gaps_reads_a_wide_excel_plan(tmp_path):
    path = tmp_path / "plan.xlsx"
    pd.DataFrame({"Month": MONTHS, "shoes": 70.0, "bags": 70.0}).to_excel(path, index=False)
    with pytest.warns(tc.DataWarning, match="read a wide table"):
        gaps = tc.supply_gaps(_forecast(), path)
    pd.testing.assert_frame_equal(gaps, tc.supply_gaps(_forecast(), _plan()))


def test_a_category_missing_from_the_plan_is_named_not_dropped_silently():
    with pytest.warns(tc.DataWarning, match="1 forecast category has no supply plan: 'bags'"):
        tc.supply_gaps(_forecast(), _plan(categories=("shoes",)))
    with pytest.raises(tc.DataValidationError) as err:
        tc.supply_gaps(_forecast(), _plan(categories=("shoes",)), missing="error")
    msg = str(err.value)
    assert "1 forecast category has no supply plan" in msg
    assert "no supply rows for 'bags'" in msg and "missing='ignore'" in msg


def test_missing_warn_and_ignore():
    plan = _plan(categories=("shoes",))
    with pytest.warns(tc.DataWarning, match="'bags'; it gets no gap rows"):
        warned = tc.supply_gaps(_forecast(), plan, missing="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ignored = tc.supply_gaps(_forecast(), plan, missing="ignore")
    pd.testing.assert_frame_equal(warned, ignored)
    assert set(ignored["unique_id"]) == {"shoes"}


def test_missing_must_be_a_choice():
    with pytest.raises(tc.ParameterError, match="missing"):
        tc.supply_gaps(_forecast(), _plan(), missing="drop")


# --- the naive plan -------------------------------------------------------------------------


def _weekly_sales(anchor="W-SAT", n=104):
    weeks = pd.date_range("2023-01-07", periods=n, freq=anchor)
    return pd.DataFrame({"unique_id": "tents", "ds": weeks, "y": np.arange(n, dtype=float)})


def test_weekly_naive_plan_aligns_by_week_of_year():
    sales = _weekly_sales()
    future = pd.date_range(sales["ds"].max(), periods=9, freq="W-SAT")[1:]
    forecast = pd.DataFrame({"unique_id": "tents", "ds": future})
    plan = tc.naive_supply_plan(sales, forecast, growth=0.0)
    assert len(plan) == 8  # the demo's helper found no Saturday a year after a Saturday
    for date, value in zip(plan["ds"], plan["supply"], strict=True):
        year, week, day = date.isocalendar()
        source = sales.loc[sales["ds"].map(lambda d: d.isocalendar()) == (year - 1, week, day)]
        assert value == source["y"].item()


def test_week_53_takes_week_52_of_a_52_week_year():
    date = pd.Timestamp("2026-12-28")  # ISO 2026-W53, a Monday
    from trendcast.adaptation.plans import year_earlier

    assert year_earlier(date, "W-MON") == pd.Timestamp("2025-12-22")  # 2025-W52 Monday


def test_naive_plan_without_a_forecast_covers_a_season_at_every_frequency():
    for freq, n, season in [("MS", 30, 12), ("QS-JAN", 10, 4), ("D", 400, 7), ("W-SUN", 60, 52)]:
        dates = pd.date_range(
            "2020-01-05" if freq.startswith("W") else "2020-01-01", periods=n, freq=freq
        )
        sales = pd.DataFrame({"unique_id": "a", "ds": dates, "y": np.arange(n, dtype=float)})
        plan = tc.naive_supply_plan(sales, growth=0.0)
        assert len(plan) == season, freq
        assert plan["ds"].min() > dates.max()


def test_monthly_plan_matches_last_year_grown_and_chains_past_a_year():
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    sales = pd.DataFrame({"unique_id": "a", "ds": months, "y": np.arange(24.0) + 1})
    plan = tc.naive_supply_plan(sales, growth=0.1, horizon=18)
    assert len(plan) == 18
    np.testing.assert_allclose(plan["supply"].iloc[:12], (np.arange(12.0) + 13) * 1.1)
    np.testing.assert_allclose(plan["supply"].iloc[12:], (np.arange(6.0) + 13) * 1.1 * 1.1)


def test_the_demo_name_still_works_and_is_the_public_plan():
    months = pd.date_range("2022-01-01", periods=24, freq="MS")
    sales = pd.DataFrame({"unique_id": "a", "ds": months, "y": np.arange(24.0)})
    forecast = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=6, freq="MS")}
    )
    pd.testing.assert_frame_equal(
        demo_plan(sales, forecast, growth=0.02), tc.naive_supply_plan(sales, forecast, growth=0.02)
    )


def test_growth_at_or_below_minus_one_is_refused():
    with pytest.raises(tc.ParameterError, match="growth"):
        tc.naive_supply_plan(_weekly_sales(), growth=-1.0)
