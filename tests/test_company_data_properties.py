"""Property-based: company-shaped labels and numbers load or raise a trendcast error."""

from __future__ import annotations

import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trendcast as tc

PIECES = ["2024", "0000", "9999", "W", "-", "/", ".", "M", "年", "月", "1-2", " - ", "to",
          "01", "12", "13", "31", "53", "Mar", " ", "e5", ",", "$", "kg"]  # fmt: skip
labels = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
day_first = st.dates(
    min_value=pd.Timestamp("2000-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
).map(lambda d: d.strftime("%d/%m/%Y"))
iso_weeks = st.tuples(st.integers(1990, 2030), st.integers(1, 53)).map(
    lambda t: f"{t[0]}-W{t[1]:02d}"
)
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e9).map(
        lambda v: f"{v:,.2f}"
    ),
    st.lists(st.sampled_from(list("0123456789,.$ kg€")), max_size=6).map("".join),
)
options = st.sampled_from(
    [
        {},
        {"dayfirst": True},
        {"dayfirst": False},
        {"thousands": ","},
        {"thousands": ".", "decimal": ","},
        {"date_format": "%G-W%V"},
        {"duplicates": "drop_identical"},
        {"duplicates": "sum"},
        {"combined_periods": "jan-feb"},
        {"layout": "wide"},
        {"normalize_ids": True},
        {"fill": "zero"},
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ds=st.lists(st.one_of(labels, day_first, iso_weeks), min_size=1, max_size=8),
    ys=st.lists(values, min_size=8, max_size=8),
    ids=st.lists(st.sampled_from(["a", "a ", "A", "b"]), min_size=8, max_size=8),
    kwargs=options,
)
def test_any_company_shaped_frame_loads_or_raises_a_trendcast_error(ds, ys, ids, kwargs):
    n = len(ds)
    frame = pd.DataFrame({"unique_id": ids[:n], "ds": ds, "y": ys[:n]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.DataWarning)
        try:
            out = tc.read_sales(frame, **kwargs)
        except (tc.DataValidationError, tc.ParameterError):
            return
    assert out["ds"].notna().all() and out["y"].notna().all()
    assert out.attrs["freq"]
