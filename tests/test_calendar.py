"""Shopping calendar: event dates, aggregation per period, errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import trendcast as tc
from trendcast.calendar import EVENTS, event_dates


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("spring_festival", ["2024-02-10", "2025-01-29", "2026-02-17"]),
        ("black_friday", ["2024-11-29", "2025-11-28", "2026-11-27"]),
        ("cyber_monday", ["2024-12-02", "2025-12-01", "2026-11-30"]),
        ("618", ["2024-06-18", "2025-06-18", "2026-06-18"]),
        ("singles_day", ["2024-11-11", "2025-11-11", "2026-11-11"]),
    ],
)
def test_known_event_dates(event, expected):
    got = event_dates(event, [2024, 2025, 2026])
    assert [str(d.date()) for d in got] == expected


def test_golden_week_is_october_first_to_seventh():
    got = event_dates("golden_week", [2025])
    assert list(got) == list(pd.date_range("2025-10-01", "2025-10-07"))


def test_spring_festival_matches_the_lunar_calendar_for_every_year():
    # the package's own lunisolar table, independent of China's statutory holidays
    from holidays.calendars.chinese import _ChineseLunisolar

    lunar = _ChineseLunisolar()
    years = range(1950, 2101)
    ours = event_dates("spring_festival", years)
    theirs = [lunar.lunar_new_year_date(y)[0] for y in years]
    assert [d.date() for d in ours] == theirs


def test_black_friday_follows_us_thanksgiving_from_the_holidays_package():
    import holidays

    us = holidays.country_holidays("US", years=range(2000, 2031), language="en_US")
    thanksgiving = sorted(us.get_named("Thanksgiving Day", lookup="exact"))
    black_friday = event_dates("black_friday", range(2000, 2031))
    assert [d.date() - dt.timedelta(days=1) for d in black_friday] == thanksgiving
    cyber = event_dates("cyber_monday", range(2000, 2031))
    assert (cyber.day_of_week == 0).all()
    assert ((cyber - black_friday).days == 3).all()


def test_daily_indicators_fall_on_the_event_days():
    days = pd.date_range("2024-01-01", "2026-12-31", freq="D")
    X = tc.shopping_calendar(days, country="CN")
    assert list(X.columns) == [f"event_{e}" for e in EVENTS] + ["holiday_count"]
    assert X.index.equals(days)
    assert set(np.unique(X.to_numpy())) <= {0, 1}
    for event in EVENTS:
        on = X.index[X[f"event_{event}"] == 1]
        assert list(on) == list(event_dates(event, [2024, 2025, 2026]))
    # China's public holidays from the holidays package, e.g. National Day
    assert X.loc["2025-10-01", "holiday_count"] == 1
    assert X.loc["2025-03-03", "holiday_count"] == 0


def test_daily_window_marks_the_run_up():
    days = pd.date_range("2025-01-01", "2025-02-28", freq="D")
    X = tc.shopping_calendar(
        days, country=None, events=["spring_festival"], windows={"spring_festival": (7, 2)}
    )
    on = X.index[X["event_spring_festival"] == 1]
    assert list(on) == list(pd.date_range("2025-01-22", "2025-01-31"))


def test_window_reaching_into_the_previous_year_is_counted():
    # Spring Festival 2025 is on 29 January: a 40-day run-up starts in December 2024
    months = pd.date_range("2024-11-01", periods=4, freq="MS")
    X = tc.shopping_calendar(
        months, country=None, events=["spring_festival"], windows={"spring_festival": (40, 0)}
    )
    assert X["event_spring_festival"].tolist() == [0, 12, 29, 0]


def test_monthly_counts_put_each_event_in_its_month():
    months = pd.date_range("2024-01-01", "2026-12-01", freq="MS")
    X = tc.shopping_calendar(months, country=None)
    sf = X.index[X["event_spring_festival"] == 1]
    assert [str(d.date()) for d in sf] == ["2024-02-01", "2025-01-01", "2026-02-01"]
    bf = X.index[X["event_black_friday"] == 1]
    assert [d.month for d in bf] == [11, 11, 11]
    cm = X.index[X["event_cyber_monday"] == 1]
    assert [str(d.date()) for d in cm] == ["2024-12-01", "2025-12-01", "2026-11-01"]
    assert X.loc["2025-10-01", "event_golden_week"] == 7
    assert X["event_golden_week"].sum() == 21


def test_month_end_dates_label_the_month_they_end():
    ends = pd.date_range("2025-01-31", periods=3, freq="ME")
    X = tc.shopping_calendar(ends, country=None, events=["spring_festival"], freq="ME")
    assert X["event_spring_festival"].tolist() == [1, 0, 0]


def test_weekly_w_sun_puts_events_in_the_week_ending_that_sunday():
    weeks = pd.date_range("2025-01-05", "2025-12-28", freq="W-SUN")
    X = tc.shopping_calendar(weeks, country=None, freq="W-SUN")
    # 2025-01-29 is a Wednesday: the week Mon 27 Jan - Sun 2 Feb
    assert list(X.index[X["event_spring_festival"] == 1]) == [day("2025-02-02")]
    # Black Friday 28 Nov and Cyber Monday 1 Dec fall in different W-SUN weeks
    assert list(X.index[X["event_black_friday"] == 1]) == [day("2025-11-30")]
    assert list(X.index[X["event_cyber_monday"] == 1]) == [day("2025-12-07")]
    # Golden Week (Wed 1 - Tue 7 Oct) straddles two weeks: 5 days, then 2
    assert X.loc["2025-10-05", "event_golden_week"] == 5
    assert X.loc["2025-10-12", "event_golden_week"] == 2


def test_the_week_anchor_changes_the_week():
    # with W-WED weeks (Thursday to Wednesday), 29 January 2025 ends its week
    weeks = pd.date_range("2025-01-01", periods=8, freq="W-WED")
    X = tc.shopping_calendar(weeks, country=None, events=["spring_festival"], freq="W-WED")
    assert list(X.index[X["event_spring_festival"] == 1]) == [day("2025-01-29")]


def test_quarterly_and_share():
    quarters = pd.date_range("2025-01-01", periods=4, freq="QS-JAN")
    X = tc.shopping_calendar(quarters, country=None, events=["golden_week"], aggregate="share")
    np.testing.assert_allclose(X["event_golden_week"].to_numpy(), [0, 0, 0, 7 / 92])


def test_long_frame_dates_repeat_and_keep_the_frame_index():
    sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    X = tc.shopping_calendar(sales["ds"], country="US", events=["black_friday"])
    assert X.index.equals(sales.index)
    november = sales["ds"].dt.month.eq(11).to_numpy()
    assert (X["event_black_friday"].to_numpy() == november.astype(int)).all()
    assert (X["holiday_count"] > 0).any()


def test_calendar_is_a_clonable_specification():
    cal = tc.ShoppingCalendar(
        country="US", events=["black_friday"], windows={"black_friday": (1, 3)}
    )
    twin = clone(cal)
    assert twin.get_params() == cal.get_params()
    assert "ShoppingCalendar" in repr(cal)
    dates = pd.date_range("2025-11-01", periods=2, freq="MS")
    pd.testing.assert_frame_equal(twin.features(dates), cal.features(dates))
    assert cal.columns == ["event_black_friday", "holiday_count"]


def test_errors_say_what_to_fix():
    with pytest.raises(ValueError, match="unknown event"):
        tc.shopping_calendar(pd.date_range("2025-01-01", periods=3), events=["easter"])
    with pytest.raises(ValueError, match="ISO 3166"):
        tc.shopping_calendar(pd.date_range("2025-01-01", periods=3), country="XX")
    with pytest.raises(ValueError, match="days_before, days_after"):
        tc.shopping_calendar(pd.date_range("2025-01-01", periods=3), windows={"618": (-1, 2)})
    with pytest.raises(tc.DataValidationError, match="infer the frequency"):
        tc.shopping_calendar([pd.Timestamp("2025-01-01")])
    with pytest.raises(tc.DataValidationError, match="missing date"):
        tc.shopping_calendar(pd.Series([pd.Timestamp("2025-01-01"), pd.NaT]), freq="D")
    with pytest.raises(tc.DataValidationError, match="1950-2100"):
        tc.shopping_calendar(pd.date_range("1940-01-01", periods=3, freq="MS"))
    with pytest.raises(ValueError, match="freq"):
        tc.shopping_calendar(pd.date_range("2025-01-01", periods=3), freq="2D")
