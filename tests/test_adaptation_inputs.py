"""Supply frames and sample paths that do not line up with the forecast get a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trendcast as tc
from tests.test_adaptation import normal_forecast, plan_for


@pytest.fixture
def fc():
    return pd.concat(
        [
            normal_forecast([100] * 3, [10] * 3, ids=["a"] * 3),
            normal_forecast([50] * 3, [5] * 3, ids=["b"] * 3),
        ],
        ignore_index=True,
    )


def test_bad_supply_frames(fc):
    with pytest.raises(tc.DataValidationError, match="lacks column"):
        tc.supply_gaps(fc, plan_for(fc, 1.0).rename(columns={"supply": "plan"}))
    bad = plan_for(fc, [90.0, -1.0, 1, 1, 1, 1])
    with pytest.raises(tc.DataValidationError, match=r"negative.*row 1"):
        tc.supply_gaps(fc, bad)
    dup = pd.concat([plan_for(fc, 1.0)] * 2)
    with pytest.raises(tc.DataValidationError, match="share a"):
        tc.supply_gaps(fc, dup)
    with pytest.raises(tc.DataValidationError, match="no interval columns"):
        tc.supply_gaps(fc[["unique_id", "ds", "mean"]], plan_for(fc, 1.0))
    with pytest.raises(ValueError, match="threshold"):
        tc.supply_gaps(fc, plan_for(fc, 1.0), threshold=0.3)
    with pytest.raises(tc.DataValidationError, match="persistence"):
        tc.supply_gaps(fc, plan_for(fc, 1.0), persistence=0)


def test_unknown_categories_are_listed(fc):
    plan = pd.concat([plan_for(fc, 1.0), plan_for(fc, 1.0).iloc[:3].assign(unique_id="zz")])
    with pytest.raises(
        tc.DataValidationError,
        match=r"1 supply category is not in the forecast.*"
        r"'a', 'b'.*found 'zz'.*Fix: correct the category codes",
    ):
        tc.supply_gaps(fc, plan)


def test_missing_periods_inside_the_horizon_are_listed(fc):
    plan = plan_for(fc, 1.0).drop(index=[1, 5])
    with pytest.raises(
        tc.DataValidationError,
        match=r"2 forecast periods of 2 categories have no supply.*category 'a': '2025-02-01'; "
        r"category 'b': '2025-03-01'.*Fix: add supply for those periods",
    ):
        tc.supply_gaps(fc, plan)


def test_categories_without_supply_and_rows_outside_the_horizon():
    fc = normal_forecast([100] * 3, [10] * 3)
    fc2 = pd.concat([fc, fc.assign(unique_id="b")], ignore_index=True)
    plan = plan_for(fc, 90.0)
    extra = pd.DataFrame(
        {"unique_id": "a", "ds": pd.to_datetime(["2024-12-01", "2025-04-01"]), "supply": 5.0}
    )
    gaps = tc.supply_gaps(fc2, pd.concat([plan, extra]))
    # 'b' has no supply: not compared; rows before and after the horizon are ignored
    assert gaps["unique_id"].tolist() == ["a"] * 3 and (gaps["supply"] == 90).all()


def test_another_anchor_or_frequency(fc):
    month_end = plan_for(fc, 1.0).assign(ds=lambda d: d["ds"] + pd.offsets.MonthEnd(0))
    with pytest.raises(
        tc.DataValidationError,
        match=r"6 supply dates are not on the forecast's monthly \(MS\) anchor \(the supply "
        r"looks ME\).*e\.g\. '2025-01-01'",
    ):
        tc.supply_gaps(fc, month_end)
    one_off = plan_for(fc, 1.0)
    one_off.loc[2, "ds"] = pd.Timestamp("2025-03-15")
    with pytest.raises(
        tc.DataValidationError,
        match=r"1 supply date is not on the forecast's "
        r"monthly \(MS\) anchor.*2025-03-15",
    ):
        tc.supply_gaps(fc, one_off)
    weekly = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2025-01-05", periods=12, freq="W-SUN"),
            "supply": 20.0,
        }
    )
    with pytest.raises(
        tc.DataValidationError,
        match=r"weekly \(W-SUN\), the forecast monthly.*"
        r"aggregate",
    ):
        tc.supply_gaps(fc, weekly)


def test_stock_needs_the_origin_and_nothing_before(fc):
    receipts_only = pd.DataFrame(
        {"unique_id": "a", "ds": [pd.Timestamp("2025-02-01")], "supply": 10.0}
    )
    with pytest.raises(
        tc.DataValidationError,
        match=r"no stock on hand at the forecast origin.*"
        r"category 'a': '2024-12-01'",
    ):
        tc.supply_gaps(fc, receipts_only, kind="stock")
    history = pd.DataFrame(
        {"unique_id": "a", "ds": pd.to_datetime(["2024-11-01", "2024-12-01"]), "supply": 10.0}
    )
    with pytest.raises(
        tc.DataValidationError,
        match=r"1 stock row is dated before the forecast"
        r" origin.*2024-11-01",
    ):
        tc.supply_gaps(fc, history, kind="stock")


def test_paths_must_match_the_forecast(fc):
    plan = plan_for(fc, 90.0)
    good = {"a": np.ones((10, 3)), "b": np.ones((10, 3))}
    with pytest.raises(
        tc.DataValidationError,
        match=r"1 category with supply has no sample paths"
        r".*'b'",
    ):
        tc.supply_gaps(fc, plan, paths={"a": good["a"]})
    with pytest.raises(tc.DataValidationError, match=r"shape \(10, 2\).*sample_paths\(h=3"):
        tc.supply_gaps(fc, plan, paths={**good, "b": np.ones((10, 2))})
    with pytest.raises(tc.DataValidationError, match="missing or infinite"):
        tc.supply_gaps(fc, plan, paths={**good, "b": np.full((10, 3), np.nan)})
    frame = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": fc["ds"].iloc[:2].repeat(2).to_numpy(),
            "path": [0, 1] * 2,
            "y": 1.0,
        }
    )
    with pytest.raises(tc.DataValidationError, match=r"has no sample paths.*'2025-03-01'"):
        tc.supply_gaps(fc, plan[plan["unique_id"] == "a"], paths=frame)


DATES = pd.date_range("2024-11-01", periods=6, freq="MS")


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(list(DATES) + [pd.Timestamp("2025-01-31"), pd.Timestamp("2025-02-15")]),
            st.one_of(st.floats(-5, 200), st.just(float("nan"))),
        ),
        max_size=12,
    ),
    kind=st.sampled_from(["flow", "stock"]),
)
def test_any_supply_frame_gives_gaps_or_a_data_validation_error(rows, kind):
    fc = pd.concat(
        [
            normal_forecast([100] * 3, [10] * 3, ids=["a"] * 3),
            normal_forecast([50] * 3, [5] * 3, ids=["b"] * 3),
        ],
        ignore_index=True,
    )
    plan = pd.DataFrame(rows, columns=["unique_id", "ds", "supply"])
    try:
        gaps = tc.supply_gaps(fc, plan, kind=kind)
    except tc.DataValidationError:
        return
    assert set(gaps["unique_id"]) <= {"a", "b"}
    assert gaps["p_short"].between(0, 1).all() and (gaps["expected_shortfall"] >= 0).all()


def test_sparse_receipts_are_not_another_frequency():
    # stock at the origin and one receipt three months later: spaced like quarterly data,
    # but receipts are events, not a series
    fc = normal_forecast([100] * 4, [10] * 4)
    stock = pd.DataFrame(
        {"unique_id": "a", "ds": pd.to_datetime(["2024-12-01", "2025-03-01"]), "supply": 150.0}
    )
    gaps = tc.supply_gaps(fc, stock, kind="stock")
    assert gaps["receipts"].tolist() == [0.0, 0.0, 150.0, 0.0]
    quarterly_plan = pd.DataFrame(
        {"unique_id": "a", "ds": pd.to_datetime(["2025-01-01", "2025-04-01"]), "supply": 300.0}
    )
    with pytest.raises(tc.DataValidationError, match=r"quarterly \(QS-JAN\), the forecast monthly"):
        tc.supply_gaps(fc, quarterly_plan)
