"""Fuzz ``read_sales``: any frame and parameters give a clean frame or a TrendcastError."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import trendcast as tc
from tests.fuzz.conftest import attempt, fuzz
from tests.fuzz.strategies import fills, freqs, sales_frames


def check_clean_sales(out: pd.DataFrame, given: pd.DataFrame, names: dict, negative: bool) -> None:
    """What ``read_sales`` promises of its result."""
    id_col, time_col, target_col = names["id_col"], names["time_col"], names["target_col"]
    assert isinstance(out, pd.DataFrame) and len(out) >= len(given) > 0
    assert str(out[time_col].dtype) == "datetime64[ns]"
    assert not out.duplicated([id_col, time_col]).any()
    order = out.sort_values([id_col, time_col], kind="stable").index
    assert (order == out.index).all(), "not sorted by category and period"
    y = out[target_col].to_numpy(dtype=float)
    assert np.isfinite(y).all() and (negative or (y >= 0).all())
    assert isinstance(out.attrs.get("freq"), str)
    assert set(out[id_col]) == set(given[id_col])


@fuzz(900)
@given(case=sales_frames(), freq=freqs, fill=fills, negative=st.booleans())
def test_read_sales_gives_clean_sales_or_a_trendcast_error(case, freq, fill, negative):
    frame, names = case
    out = attempt(
        lambda: tc.read_sales(frame, **names, freq=freq, fill=fill, allow_negative=negative),
        "read_sales",
    )
    if out is not None:
        check_clean_sales(out, frame, names, negative)


@fuzz(120)
@given(case=sales_frames(), negative=st.booleans())
def test_a_sales_csv_reads_as_its_frame_does(tmp_path_factory, case, negative):
    # the same frame written to a CSV file: read from text, ids kept as text
    frame, names = case
    path = tmp_path_factory.mktemp("csv") / "sales.csv"
    frame.to_csv(path, index=False)
    out = attempt(lambda: tc.read_sales(path, **names, allow_negative=negative), "read_sales csv")
    if out is not None:
        given_back = pd.read_csv(path, dtype={names["id_col"]: "string"})
        check_clean_sales(out, given_back, names, negative)
