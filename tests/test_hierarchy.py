"""Hierarchy: reading the mapping, its errors, the summing matrix and aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

MAPPING = pd.DataFrame(
    {
        "sector": ["food", "food", "home", "home", "home"],
        "category": ["bread", "milk", "sofas", "lamps", "rugs"],
    }
)


def test_from_frame_levels_nodes_and_summing_matrix() -> None:
    hier = tc.Hierarchy.from_frame(MAPPING)
    assert hier.levels == ["sector", "category"]
    assert hier.bottom == ["bread", "milk", "sofas", "lamps", "rugs"]
    assert hier.nodes.to_dict("list") == {
        "unique_id": ["food", "home", "bread", "milk", "sofas", "lamps", "rugs"],
        "level": ["sector", "sector"] + ["category"] * 5,
        "parent": [None, None, "food", "food", "home", "home", "home"],
    }
    s = hier.summing_matrix()
    expected = np.vstack([[1, 1, 0, 0, 0], [0, 0, 1, 1, 1], np.eye(5)])
    np.testing.assert_array_equal(s.to_numpy(), expected)
    assert list(s.index) == list(hier.nodes["unique_id"])
    assert repr(hier) == "Hierarchy(sector: 2, category: 5)"


def test_three_levels_and_levels_argument_and_duplicate_rows() -> None:
    mapping = pd.DataFrame(
        {
            "note": ["x", "y", "z", "z"],
            "total": ["all"] * 4,
            "sector": ["A", "A", "B", "B"],
            "category": ["a1", "a2", "b1", "b1"],  # a repeated row is allowed
        }
    )
    hier = tc.Hierarchy.from_frame(mapping, levels=["total", "sector", "category"])
    s = hier.summing_matrix()
    assert list(s.index) == ["all", "A", "B", "a1", "a2", "b1"]
    assert s.loc["all"].tolist() == [1.0, 1.0, 1.0]
    assert s.loc["B"].tolist() == [0.0, 0.0, 1.0]


def test_category_under_two_parents_names_the_rows() -> None:
    bad = pd.concat(
        [MAPPING, pd.DataFrame({"sector": ["home"], "category": ["milk"]})], ignore_index=True
    )
    with pytest.raises(tc.DataValidationError, match="two or more parents") as info:
        tc.Hierarchy.from_frame(bad)
    text = str(info.value)
    assert "'milk'" in text and "row 1:" in text and "row 5:" in text
    assert "row 0:" not in text


@pytest.mark.parametrize("missing", [None, np.nan, "", "  "])
def test_missing_parent_names_the_row(missing: object) -> None:
    bad = MAPPING.astype(object).copy()
    bad.loc[3, "sector"] = missing
    with pytest.raises(tc.DataValidationError, match="empty cell") as info:
        tc.Hierarchy.from_frame(bad)
    assert "row 3:" in str(info.value) and "lamps" in str(info.value)


def test_name_on_two_levels_and_missing_column_are_errors() -> None:
    bad = pd.DataFrame({"sector": ["food", "food"], "category": ["bread", "food"]})
    with pytest.raises(tc.DataValidationError, match="appears on two levels"):
        tc.Hierarchy.from_frame(bad)
    with pytest.raises(tc.DataValidationError, match="lacks level column"):
        tc.Hierarchy.from_frame(MAPPING, levels=["segment", "category"])


def _sales(ids: list[str], n: int = 4) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=n, freq="MS")
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, n),
            "ds": np.tile(dates, len(ids)),
            "y": np.arange(len(ids) * n, dtype=float),
        }
    )


def test_aggregate_known_sums_and_string_dtype() -> None:
    hier = tc.Hierarchy.from_frame(MAPPING)
    sales = _sales(hier.bottom, n=2)  # bread 0,1 milk 2,3 sofas 4,5 lamps 6,7 rugs 8,9
    sales["unique_id"] = sales["unique_id"].astype("string")
    out = hier.aggregate(sales)
    assert list(out.columns) == ["unique_id", "level", "ds", "y"]
    food = out[out["unique_id"] == "food"]["y"].tolist()
    home = out[out["unique_id"] == "home"]["y"].tolist()
    assert food == [0 + 2, 1 + 3]
    assert home == [4 + 6 + 8, 5 + 7 + 9]
    assert out[out["unique_id"] == "rugs"]["y"].tolist() == [8, 9]
    assert set(out.loc[out["unique_id"] == "home", "level"]) == {"sector"}


def test_aggregate_any_value_column_and_names() -> None:
    hier = tc.Hierarchy.from_frame(MAPPING)
    sales = _sales(hier.bottom, n=2).rename(
        columns={"unique_id": "cat", "ds": "month", "y": "units"}
    )
    out = hier.aggregate(sales, value_col="units", id_col="cat", time_col="month")
    assert list(out.columns) == ["cat", "level", "month", "units"]
    assert out[out["cat"] == "food"]["units"].sum() == 6


def test_category_in_sales_not_in_mapping_names_rows() -> None:
    hier = tc.Hierarchy.from_frame(MAPPING)
    sales = _sales([*hier.bottom, "toys"], n=2)
    with pytest.raises(tc.DataValidationError, match="not a bottom-level node") as info:
        hier.aggregate(sales)
    text = str(info.value)
    assert "row 10:" in text and "'toys'" in text and "add the categories to the mapping" in text
    with pytest.raises(tc.DataValidationError, match="sector rows are computed"):
        hier.aggregate(_sales([*hier.bottom, "food"], n=2))


def test_missing_period_of_a_category_is_an_error_not_a_short_total() -> None:
    hier = tc.Hierarchy.from_frame(MAPPING)
    sales = _sales(hier.bottom, n=3)
    sales = sales.drop(index=sales.index[(sales["unique_id"] == "milk")][-1:])
    with pytest.raises(tc.DataValidationError, match="would be incomplete") as info:
        hier.aggregate(sales)
    assert "'milk'" in str(info.value) and "2024-03-01" in str(info.value)
    nan = _sales(hier.bottom, n=2)
    nan.loc[3, "y"] = np.nan
    with pytest.raises(tc.DataValidationError, match="missing or not a finite number"):
        hier.aggregate(nan)


def test_us_retail_sectors_aggregate_to_the_published_totals() -> None:
    mapping = tc.datasets.load_us_retail_sectors()
    hier = tc.Hierarchy.from_frame(mapping)
    assert hier.levels == ["total", "sector", "category"]
    sales = tc.datasets.load_us_retail(categories=hier.bottom)
    out = hier.aggregate(sales)
    published = tc.datasets.load_us_retail(categories=["44X72", "4423X"])
    total = out[out["unique_id"] == "44X72"]["y"].to_numpy()
    np.testing.assert_array_equal(total, published[published["unique_id"] == "44X72"]["y"])
    # sector "Home and electronics" = 442 + 443 + 444, and Census publishes 4423X = 442 + 443
    home = out[out["unique_id"] == "Home and electronics"]["y"].to_numpy()
    pub = published.pivot(index="ds", columns="unique_id", values="y")
    cats = sales.pivot(index="ds", columns="unique_id", values="y")
    np.testing.assert_array_equal(home, (pub["4423X"] + cats["444"]).to_numpy())
    assert len(out) == 21 * 393
