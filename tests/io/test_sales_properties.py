"""Property-based: any frame either validates or raises DataValidationError, nothing else."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trendcast as tc

ids = st.one_of(
    st.sampled_from(["a", "b", "c"]),
    st.integers(min_value=-3, max_value=3),
    st.none(),
    st.floats(allow_nan=True),
    st.text(max_size=3),
)
dates = st.one_of(
    st.dates(
        min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
    ).map(pd.Timestamp),
    st.sampled_from(["2020-01-01", "2020-02-01", "2020-03-01", "2020-02-30", "soon", ""]),
    st.none(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.datetimes().map(pd.Timestamp),
)
targets = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**6), max_value=10**20),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
)


@st.composite
def frames(draw):
    n = draw(st.integers(min_value=0, max_value=12))
    data = {
        "unique_id": draw(st.lists(ids, min_size=n, max_size=n)),
        "ds": draw(st.lists(dates, min_size=n, max_size=n)),
        "y": draw(st.lists(targets, min_size=n, max_size=n)),
    }
    return pd.DataFrame(data)


@st.composite
def regular_frames(draw):
    """Mostly-valid panels: regular monthly series with random holes and values."""
    n_series = draw(st.integers(1, 3))
    n = draw(st.integers(1, 14))
    freq = draw(st.sampled_from(["MS", "ME", "W-SUN", "D", "QS-JAN"]))
    rows = []
    for i in range(n_series):
        ds = pd.date_range("2021-01-01", periods=n, freq=freq)
        keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        vals = draw(st.lists(st.floats(-5, 1e6, allow_nan=False), min_size=n, max_size=n))
        rows += [(f"id{i}", d, v) for d, k, v in zip(ds, keep, vals, strict=True) if k]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _check(df: pd.DataFrame, **kwargs) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = tc.read_sales(df, **kwargs)
    except tc.DataValidationError as exc:
        assert "Fix:" in str(exc)
        return
    assert len(out) > 0
    assert not out.duplicated(["unique_id", "ds"]).any()
    assert np.isfinite(out["y"].to_numpy()).all()
    for _, g in out.groupby("unique_id"):
        assert g["ds"].is_monotonic_increasing
    assert "freq" in out.attrs
    if not kwargs.get("allow_negative"):
        assert (out["y"] >= 0).all()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_any_frame_validates_or_raises_data_validation_error(df):
    _check(df)


@settings(max_examples=200, deadline=None)
@given(regular_frames(), st.sampled_from(["error", "zero", "ffill", "interpolate"]), st.booleans())
def test_regular_panels_with_holes(df, fill, allow_negative):
    _check(df, fill=fill, allow_negative=allow_negative)
