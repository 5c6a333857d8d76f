"""Tests of the packaged US Census MRTS data and its loaders (trendcast.datasets)."""

from __future__ import annotations

import pandas as pd
import pytest

from trendcast.datasets import load_us_retail, load_us_retail_categories
from trendcast.exceptions import DataValidationError

INVENTORY_CODES = {"44000", "4400A", "441", "4423X", "444", "445", "448", "452", "4521E"}
N_SALES_SERIES = 64


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return load_us_retail()


@pytest.fixture(scope="module")
def both() -> tuple[pd.DataFrame, pd.DataFrame]:
    return load_us_retail(with_inventories=True)


@pytest.fixture(scope="module")
def categories() -> pd.DataFrame:
    return load_us_retail_categories()


def _check_long_frame(frame: pd.DataFrame, value: str) -> None:
    assert list(frame.columns) == ["unique_id", "ds", value]
    assert isinstance(frame["unique_id"].dtype, pd.StringDtype)
    assert pd.api.types.is_datetime64_dtype(frame["ds"])
    assert frame[value].dtype == "float64"
    assert not frame.isna().any().any()
    assert (frame[value] >= 0).all()
    assert not frame.duplicated(["unique_id", "ds"]).any()
    # month starts only
    assert (frame["ds"] == frame["ds"].dt.to_period("M").dt.start_time).all()
    assert (frame["ds"].dt.day == 1).all()
    # no gaps inside a series: consecutive months, at least 36 of them
    for uid, group in frame.groupby("unique_id", sort=False):
        months = group["ds"].dt.year * 12 + group["ds"].dt.month
        assert months.diff().dropna().eq(1).all(), f"gap or disorder in {uid}"
        assert len(group) >= 36, uid


def test_sales_shape_and_dtypes(sales: pd.DataFrame) -> None:
    _check_long_frame(sales, "y")
    assert sales["unique_id"].nunique() == N_SALES_SERIES
    assert len(sales) == 24295
    assert sales["ds"].min() == pd.Timestamp("1992-01-01")
    assert sales["ds"].max() == pd.Timestamp("2024-09-01")
    # most series are complete: 1992-01 .. 2024-09 = 393 months
    lengths = sales.groupby("unique_id").size()
    assert (lengths == 393).sum() >= 50
    assert lengths.loc["44X72"] == 393


def test_inventories_shape_and_dtypes(both: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    sales, inventories = both
    _check_long_frame(inventories, "inventory")
    assert set(inventories["unique_id"]) == INVENTORY_CODES
    assert len(inventories) == 9 * 393
    assert sales.equals(load_us_retail())


def test_known_values_match_census_file(both: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    sales, inventories = both
    y = sales.set_index(["unique_id", "ds"])["y"]
    inv = inventories.set_index(["unique_id", "ds"])["inventory"]
    # Values read from the raw Census file MRTS-mf.csv (data updated 15-Nov-2024),
    # DATA rows `per_idx,cat_idx,dt_idx,et_idx,geo_idx,is_adj,val`:
    # line 972    `1,8,1,0,1,0,29811`      -> 441 sales (SM), NSA, Jan-1992
    assert y.loc[("441", pd.Timestamp("1992-01-01"))] == 29811.0
    # line 178805 `384,59,1,0,1,0,131126`  -> 4541 sales (SM), NSA, Dec-2023
    assert y.loc[("4541", pd.Timestamp("2023-12-01"))] == 131126.0
    # line 172637 `384,1,1,0,1,0,765846`   -> 44X72 sales (SM), NSA, Dec-2023
    assert y.loc[("44X72", pd.Timestamp("2023-12-01"))] == 765846.0
    # line 182979 `393,46,2,0,1,0,105184`  -> 452 inventories (IM), NSA, Sep-2024
    assert inv.loc[("452", pd.Timestamp("2024-09-01"))] == 105184.0
    # line 2704   `1,47,2,0,1,0,33798`     -> 4521E inventories (IM), NSA, Jan-1992
    assert inv.loc[("4521E", pd.Timestamp("1992-01-01"))] == 33798.0


def test_trimmed_and_dropped_series(sales: pd.DataFrame) -> None:
    spans = sales.groupby("unique_id")["ds"].agg(["min", "max"])
    # 44811 (men's clothing): last contiguous run after the Oct/Nov-2020 (S) gap is
    # only 5 months -> dropped
    assert "44811" not in spans.index
    # published only from 2001 on
    assert spans.loc["44511", "min"] == pd.Timestamp("2001-01-01")
    # values suppressed (S) after Feb-2018 -> series ends there
    assert spans.loc["7224", "max"] == pd.Timestamp("2018-02-01")


def test_category_filter() -> None:
    sales, inventories = load_us_retail(with_inventories=True, categories=["4541", "441", "4541"])
    assert set(sales["unique_id"]) == {"441", "4541"}
    assert len(sales) == 2 * 393
    assert set(inventories["unique_id"]) == {"441"}
    assert sales.index.equals(pd.RangeIndex(len(sales)))

    single = load_us_retail(categories="4411")
    assert set(single["unique_id"]) == {"4411"}

    _, no_inventories = load_us_retail(with_inventories=True, categories=["4541"])
    assert no_inventories.empty
    assert list(no_inventories.columns) == ["unique_id", "ds", "inventory"]


def test_unknown_category_raises() -> None:
    with pytest.raises(DataValidationError) as info:
        load_us_retail(categories=["441", "9999", "44811"])
    message = str(info.value)
    assert "'9999'" in message and "'44811'" in message
    assert "'441'" not in message.split("valid codes")[0]
    assert "4541" in message  # lists valid codes
    assert isinstance(info.value, ValueError)


def test_categories_table(categories: pd.DataFrame, sales: pd.DataFrame) -> None:
    assert list(categories.columns) == ["unique_id", "description", "parent"]
    assert list(categories["unique_id"]) == list(pd.unique(sales["unique_id"]))
    assert not categories.isna().any().any()
    table = categories.set_index("unique_id")
    assert table.loc["441", "description"] == "Motor Vehicle and Parts Dealers"
    assert table.loc["4411", "parent"] == "441"
    assert table.loc["452112E", "parent"] == "4521E"
    assert table.loc["44000", "parent"] == ""
    parents = set(categories["parent"]) - {""}
    assert parents <= set(categories["unique_id"])
    assert not categories["description"].str.contains(r"^\d+:").any()
