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


def _old_data_hash(frame: pd.DataFrame) -> str:
    import hashlib

    ordered = frame.sort_values(["unique_id", "ds"])[["unique_id", "ds", "y"]]
    hashed = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def _sales(n: int = 30, weeks: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=weeks, freq="W-SUN")
    ids = [f"c{i:03d}" for i in range(n)] + ["é", "Z", "a b"]
    frame = pd.DataFrame({"unique_id": np.repeat(ids, weeks), "ds": np.tile(dates, len(ids)),
                          "y": rng.gamma(1.0, 5.0, len(ids) * weeks)})  # fmt: skip
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def test_data_hash_skips_only_a_sort_that_would_change_nothing():
    from trendcast.job.chunks import data_hash

    sales = _sales()
    frames = {
        "sorted": sales,
        "str dtype": sales.astype({"unique_id": "str"}),
        "shuffled": sales.sample(frac=1.0, random_state=1),
        "one row": sales.head(1),
        "empty": sales.head(0),
        "a period twice": pd.concat([sales, sales.iloc[[5]].assign(y=-1.0)]).sort_values(
            ["unique_id", "ds"], kind="stable"
        ),  # fmt: skip
        "time zone": sales.assign(ds=sales["ds"].dt.tz_localize("UTC")),
        "missing id": sales.astype({"unique_id": object}).assign(
            unique_id=lambda f: f["unique_id"].where(f.index != 7, None)
        ),  # fmt: skip
        "dates unsorted in a category": sales.iloc[[1, 0, *range(2, len(sales))]],
    }
    for name, frame in frames.items():
        assert data_hash(frame) == _old_data_hash(frame), name
    from trendcast.job.chunks import _sorted  # the sort is skipped where it changes nothing

    assert _sorted(frames["sorted"]) and _sorted(frames["str dtype"])
    assert not _sorted(frames["shuffled"]) and not _sorted(frames["a period twice"])


def test_a_chunks_rows_are_the_concat_of_its_categories_groups():
    from trendcast.job.chunks import make_chunks
    from trendcast.job.run import _chunk_rows, _rows_by_category

    for sales in (_sales(), _sales().sample(frac=1.0, random_state=2),
                  _sales().astype({"unique_id": "str"})):  # fmt: skip
        chunks = make_chunks(sales["unique_id"].unique().tolist(), 7)
        by_key = dict(tuple(sales.groupby("unique_id", sort=False)))
        rows_of = _rows_by_category(sales)
        for chunk in chunks:
            want = pd.concat([by_key[k] for k in chunk.keys], ignore_index=True)
            pd.testing.assert_frame_equal(_chunk_rows(sales, rows_of, chunk), want,
                                          check_exact=True)  # fmt: skip
