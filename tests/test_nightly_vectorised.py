"""The nightly job's per-category loops, replaced by whole-column work, give what they gave.

Each replaced loop is copied here as it was (e7c5509) and run against the
current code on odd inputs: one category, missing periods, zero-heavy series,
NaN, missing ids, integer and categorical ids, time zones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._engine.inputs import split_series
from trendcast.io._shapes import check_ids
from trendcast.metrics import mase


def _old_split_series(df: pd.DataFrame, spec: Any, without_search: Any = None) -> list:
    """``split_series`` without covariates, as it was: one groupby frame a category."""
    out = []
    for key, group in df.groupby(spec.id_col, sort=False):
        out.append((key, group[spec.target_col].to_numpy(dtype=float),
                    group[spec.time_col].to_numpy(), None))  # fmt: skip
    return out


def _spec() -> Any:
    dates = pd.date_range("2024-01-07", periods=12, freq="W-SUN")
    sales = pd.DataFrame({"unique_id": "a", "ds": dates, "y": np.arange(12.0)})
    return tc.TrendForecaster(models=tc.models.Naive()).fit(sales).state_.spec


def _frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 400
    ids = rng.choice(["b", "a", "c", "d", "é"], n)
    dates = pd.Series(pd.date_range("2020-01-05", periods=n, freq="W-SUN")).sample(
        frac=1.0, random_state=1).to_numpy()  # fmt: skip
    y = rng.gamma(1.0, 3.0, n)
    y[rng.random(n) < 0.6] = 0.0
    y[rng.random(n) < 0.05] = np.nan
    base = pd.DataFrame({"unique_id": ids, "ds": dates, "y": y})
    missing = base.astype({"unique_id": object})
    missing.loc[[3, 50, 51], "unique_id"] = None
    return {
        "one category": base.assign(unique_id="only"),
        "mixed": base,
        "str dtype": base.astype({"unique_id": "str"}),
        "int ids": base.assign(unique_id=rng.integers(0, 7, n)),
        "categorical": base.astype({"unique_id": "category"}),
        "missing ids": missing,
        "time zone": base.assign(ds=pd.DatetimeIndex(dates).tz_localize("Europe/Amsterdam")),
        "int values": base.assign(y=rng.integers(0, 3, n)),
        "one row": base.head(1),
        "none": base.head(0),
    }


@pytest.mark.parametrize("name", list(_frames()))
def test_split_series_without_covariates_is_the_groupby(name):
    df = _frames()[name]
    spec = _spec()
    got, want = split_series(df, spec), _old_split_series(df, spec)
    assert [k for k, *_ in got] == [k for k, *_ in want]
    assert [type(k) for k, *_ in got] == [type(k) for k, *_ in want]
    for (_, y, d, x), (_, y0, d0, x0) in zip(got, want, strict=True):
        assert y.dtype == y0.dtype and y.tobytes() == y0.tobytes()
        assert d.dtype == d0.dtype and list(d) == list(d0)
        assert x is None and x0 is None


def test_ids_without_clashes_come_back_unchanged_and_clashes_are_still_found():
    ids = pd.Series(["a", "b", "B ", "c", None, 3], dtype=object)
    with pytest.warns(tc.DataWarning, match="differ only by surrounding spaces or case"):
        assert check_ids(ids, False, source=None, column="unique_id") is ids
    clean = pd.Series(["a", "b", "c", None, 3, "a"], dtype=object)
    assert check_ids(clean, False, source=None, column="unique_id") is clean
    with pytest.warns(tc.DataWarning, match="merged category ids"):
        merged = check_ids(ids, True, source=None, column="unique_id")
    assert merged.tolist()[:3] == ["a", "b", "b"]


@pytest.mark.parametrize("tz", [None, "UTC", "America/New_York"])
def test_mase_on_datetime_columns_skips_the_value_by_value_date_check(tz):
    dates = pd.date_range("2023-01-01", periods=30, freq="MS", tz=tz)
    train = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 30), "ds": np.tile(dates, 2),
                          "y": np.arange(60.0) % 7})  # fmt: skip
    cut = pd.Series([dates[20]] * 4 + [pd.NaT] + [dates[25]] * 3)
    df = pd.DataFrame({"unique_id": list("aaaabbbb"), "cutoff": cut, "y": np.arange(8.0),
                       "mean": np.arange(8.0) + 0.5})  # fmt: skip
    got = mase(df, train, 12)
    as_text = mase(df.assign(cutoff=cut.astype(object)), train.astype({"ds": object}), 12)
    pd.testing.assert_frame_equal(got, as_text, check_exact=True)
    with pytest.raises(tc.DataValidationError, match="the dates are numbers"):
        mase(df.assign(cutoff=[20240101] * 8), train, 12)
