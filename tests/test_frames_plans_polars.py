"""The plan helpers of issue 22 take polars and Arrow frames as the rest of the API does."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

import trendcast as tc

pl = pytest.importorskip("polars")


def _sales() -> pd.DataFrame:
    df = tc.datasets.load_us_retail()
    return df[df["unique_id"].isin(df["unique_id"].unique()[:2])].reset_index(drop=True)


@pytest.mark.parametrize("kind", ["polars", "arrow"])
def test_naive_plan_and_read_supply_take_other_frames(kind):
    sales = _sales()
    other = pl.from_pandas(sales) if kind == "polars" else pa.Table.from_pandas(sales)
    expected = tc.naive_supply_plan(sales)
    got = tc.naive_supply_plan(other)
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    plan = expected
    as_other = pl.from_pandas(plan) if kind == "polars" else pa.Table.from_pandas(plan)
    pd.testing.assert_frame_equal(tc.read_supply(as_other), tc.read_supply(plan), check_dtype=False)
