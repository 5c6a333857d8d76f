"""Dates pandas cannot hold and complex demand are a DataValidationError (issue 19).

Before, dates before 1677 or after 2262 raised pandas' ``OutOfBoundsDatetime``
from ``read_sales``, ``validate_sales`` and ``TrendForecaster.fit``, whatever
their type (text, date objects, numpy seconds, periods); complex demand was
truncated to its real part without a word.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.io.sales import validate_sales


def _sales(ds, y=1.0) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})


DATES = {
    "text before 1677": ["1500-01-01", "1500-02-01", "1500-03-01"],
    "text after 2262": ["2300-01-01", "2300-02-01", "2300-03-01"],
    "date objects": [datetime.date(1600, m, 1) for m in (1, 2, 3)],
    "datetime objects": [datetime.datetime(2263, m, 1) for m in (1, 2, 3)],
    "numpy seconds": np.array(["1500-01-01", "1500-02-01", "1500-03-01"], dtype="datetime64[s]"),
    "periods": pd.period_range("1500-01", periods=3, freq="M"),
    "one typo": ["2020-01-01", "2020-02-01", "9999-03-01"],
}


@pytest.mark.parametrize("case", list(DATES))
def test_dates_pandas_cannot_hold_are_a_data_validation_error(case):
    sales = _sales(DATES[case])
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(sales, freq="MS")
    text = str(err.value)
    assert "Column 'ds'" in text and "outside the range" in text and "2262-04-11" in text
    assert ("row 2" if case == "one typo" else "row 0") in text
    with pytest.raises(tc.DataValidationError, match="outside the range"):
        validate_sales(sales, freq="MS")
    with pytest.raises(tc.DataValidationError, match="outside the range"):
        tc.TrendForecaster(models=tc.models.Naive(), freq="MS").fit(sales)


def test_a_csv_with_a_date_out_of_range_names_the_file_and_line(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("unique_id,ds,y\na,2020-01-01,1\na,2020-02-01,2\na,3020-03-01,3\n")
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(path)
    assert "sales.csv" in str(err.value) and "row 2 (line 4)" in str(err.value)


def test_search_readers_refuse_out_of_range_dates_too():
    frame = pd.DataFrame({"ds": DATES["text after 2262"], "term": "x", "value": 1.0})
    with pytest.raises(tc.DataValidationError, match="outside the range"):
        tc.read_search(frame, freq="MS")


def test_the_edges_of_the_range_are_accepted():
    first = tc.read_sales(_sales(["1677-10-01", "1677-11-01", "1677-12-01"]))
    last = tc.read_sales(_sales(["2262-02-01", "2262-03-01", "2262-04-01"]))
    assert first["ds"].dtype == "datetime64[ns]" and last["ds"].iloc[-1].year == 2262


@pytest.mark.parametrize(
    "values",
    [
        np.array([1 + 2j, 3 + 0j, 4 + 1j]),
        np.array([1 + 0j, 3 + 0j, 4 + 0j]),  # no imaginary part is still not a real dtype
        pd.Series([1 + 2j, 3, 4], dtype=object),
        pd.Series([np.complex128(1 + 2j), 3.0, 4.0], dtype=object),
    ],
)
def test_complex_demand_is_refused_naming_the_column(values):
    sales = _sales(pd.date_range("2020-01-01", periods=3, freq="MS"), values)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(sales)
    assert "Column 'y'" in str(err.value) and "complex" in str(err.value)
    assert "row 0" in str(err.value)
    with pytest.raises(tc.DataValidationError, match="complex"):
        tc.TrendForecaster(models=tc.models.Naive()).fit(sales)
