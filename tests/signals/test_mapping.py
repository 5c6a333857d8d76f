"""search_by_category: terms to one series per category, at the sales frequency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast import DataValidationError, DataWarning
from trendcast.datasets import load_nl_search_mapping, nl_google_trends_files

DATA = Path(__file__).resolve().parents[1] / "data" / "gtrends"


@pytest.fixture(scope="module")
def nl_search() -> pd.DataFrame:
    return tc.read_google_trends(nl_google_trends_files())


def test_monthly_category_means_match_the_authors_table(nl_search):
    # the data set's authors averaged the 10 terms per category themselves
    by_cat = tc.search_by_category(nl_search, load_nl_search_mapping(), freq="MS")
    authors = pd.read_csv(DATA / "nl_combined_not_export.csv")
    for category in by_cat["unique_id"].unique():
        column = "Search data " + category.replace("_", " ")
        ours = by_cat[by_cat["unique_id"] == category]["search"].to_numpy()
        theirs = authors[column].to_numpy()[: len(ours)]
        np.testing.assert_allclose(ours, theirs, atol=0.051)
    assert (by_cat["n_terms"] == 10).all()
    assert by_cat.attrs["freq"] == "MS"


def test_quarterly_and_renamed_columns(nl_search):
    mapping = load_nl_search_mapping().rename(columns={"category": "sector"})
    q = tc.search_by_category(
        nl_search,
        mapping,
        freq="QS-JAN",
        category_col="sector",
        id_col="category",
        time_col="date",
        value_col="interest",
    )
    assert list(q.columns) == ["category", "date", "interest", "n_terms"]
    monthly = tc.search_by_category(nl_search, load_nl_search_mapping(), freq="MS")
    first = monthly[monthly["unique_id"] == "consumer_electronics"]["search"].iloc[:3].mean()
    got = q[q["category"] == "consumer_electronics"]["interest"].iloc[0]
    assert got == pytest.approx(first)
    # 2019-01..2025-03 is 25 complete quarters
    assert q.groupby("category").size().unique().tolist() == [25]


def test_weights_and_weekly_to_monthly_with_period_ends():
    search = tc.read_google_trends(DATA / "test.csv")  # weekly, Berlin
    mapping = pd.DataFrame(
        {"term": ["bio tomaten", "supermarkt berlin"], "category": "food", "weight": [3.0, 1.0]}
    )
    out = tc.search_by_category(search, mapping, freq="ME")
    weeks = search[search["ds"].dt.to_period("M") == "2025-02"].pivot(
        index="ds", columns="term", values="value"
    )
    expected = (3 * weeks["bio tomaten"].mean() + weeks["supermarkt berlin"].mean()) / 4
    feb = out[out["ds"] == pd.Timestamp("2025-02-28")]
    assert feb["search"].iloc[0] == pytest.approx(expected)
    # January 2025 starts on the 19th in the export: incomplete, left out
    assert out["ds"].min() == pd.Timestamp("2025-02-28")


def test_missing_terms_warn_and_empty_categories_fail(nl_search):
    mapping = pd.concat(
        [
            load_nl_search_mapping(),
            pd.DataFrame(
                {"term": ["fietsbel", "kerstboom"], "category": ["other_non-food", "xmas"]}
            ),
        ]
    )
    with pytest.raises(DataValidationError, match=r"1 category has no term.*'xmas'.*'kerstboom'"):
        tc.search_by_category(nl_search, mapping, freq="MS")
    with pytest.warns(DataWarning, match=r"2 terms of the mapping are not.*'fietsbel'"):
        tc.search_by_category(
            nl_search,
            mapping[mapping["category"] != "xmas"].assign(
                term=lambda d: d["term"].replace({"Adidas": "adidas"})
            ),
            freq="MS",
        )


def test_terms_in_several_places_need_a_geo_column():
    search = tc.read_google_trends([DATA / "test.csv", DATA / "trends_lidl_bio_de_5y.csv"])
    search = pd.concat([search, search.assign(geo="Hamburg")])
    mapping = pd.DataFrame({"term": ["bio tomaten"], "category": "food"})
    with pytest.raises(DataValidationError, match=r"several places.*'bio tomaten'"):
        tc.search_by_category(search, mapping, freq="MS")
    ok = tc.search_by_category(search, mapping.assign(geo="Berlin"), freq="MS")
    assert len(ok) == 11


def test_search_coarser_than_sales_is_refused(nl_search):
    with pytest.raises(DataValidationError, match=r"is MS, coarser than the sales frequency W-SUN"):
        tc.search_by_category(nl_search, load_nl_search_mapping(), freq="W-SUN")
