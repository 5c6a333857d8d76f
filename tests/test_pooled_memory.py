"""The pooled global model holds less memory and forecasts the same numbers (issue 24).

At 100,000 weekly series the fit and forecast of ``PooledRegression`` peaked at
7.65 GB (the process and two loky workers). The pool's remembered forecasts
are now arrays that the workers map from a file instead of each unpickling a
copy of a dict of 600,000 windows; a fitted model shares the engine's history
instead of its own copy (and comes back from a worker as a reference to the
driver's array); ``predict`` writes each batch's forecasts into preallocated
columns. None of this may change a number: the forecasts below were written by
the code before the change (``tests/data/pooled_ids/expected.csv``, at
428272e) and must come out again whatever the ids look like and however many
processes fit them.
"""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._engine import parallel
from trendcast._engine.frames import ForecastRows, concat, forecast_columns
from trendcast._engine.spec import resolve_spec
from trendcast.models import ModelForecast
from trendcast.models.pooled import Pool, _pool_from_token

EXPECTED = Path(__file__).parent / "data" / "pooled_ids" / "expected.csv"


def _panel() -> pd.DataFrame:
    """Eight monthly series of 60 months (the panel the expected forecasts came from)."""
    rng = np.random.default_rng(7)
    frames = []
    dates = pd.date_range("2019-01-01", periods=60, freq="MS")
    t = np.arange(60)
    for i in range(8):
        y = 100 + 20 * i + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, 60)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": dates, "y": y}))
    return pd.concat(frames, ignore_index=True)


#: ids of other kinds, in the same order as s0..s7 (so the categories are fitted in
#: the same order and the pool trains on the same windows)
IDS = {
    "text": {f"s{i}": f"s{i}" for i in range(8)},
    "unicode": {f"s{i}": f"é{i} 日本-ü" for i in range(8)},
    "int": {f"s{i}": 10 * i - 35 for i in range(8)},
}


def _frame(kind: str) -> pd.DataFrame:
    df = _panel()
    if kind == "categorical":
        return df.assign(unique_id=pd.Categorical(df["unique_id"]))
    return df.assign(unique_id=df["unique_id"].map(IDS[kind]))


def _fit(kind: str, n_jobs: int) -> tc.TrendForecaster:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tc.TrendForecaster(models=tc.models.PooledRegression(), n_jobs=n_jobs).fit(
            _frame(kind)
        )


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(EXPECTED, parse_dates=["ds"])


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("kind", ["text", "unicode", "int", "categorical"])
def test_the_forecasts_are_those_of_before_whatever_the_ids(kind, n_jobs, expected):
    fc = _fit(kind, n_jobs)
    got = fc.predict(6, level=(80, 95))
    back = {v: k for k, v in IDS.get(kind, IDS["text"]).items()}
    assert got["unique_id"].map(back).tolist() == expected["unique_id"].tolist()
    if kind == "int":  # ids keep their type
        assert got["unique_id"].dtype == np.int64
    else:
        assert all(isinstance(v, str) for v in got["unique_id"])
    pd.testing.assert_frame_equal(
        got.drop(columns="unique_id"),
        expected.drop(columns="unique_id"),
        check_dtype=False,
        rtol=0,
        atol=1e-9,
    )


def test_one_process_and_two_give_the_same_numbers_bit_for_bit():
    one, two = _fit("unicode", 1), _fit("unicode", 2)
    pd.testing.assert_frame_equal(one.predict(8), two.predict(8), check_exact=True)
    pd.testing.assert_frame_equal(one.fit_report_, two.fit_report_)
    pd.testing.assert_frame_equal(one.calibration_report_, two.calibration_report_)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_fitted_model_shares_the_engines_history(n_jobs):
    fc = _fit("int", n_jobs)
    for key, fit in fc.state_.fits.items():
        # one array a category: the state's, not a copy in the model (with two
        # processes: the driver's array, not the one the worker sent back)
        assert fit.model.y_ is fc.state_.y[key]
        # the backtest errors were read by the calibration and let go
        assert all(b.errors is None and b.steps is None for b in fit.backtest)
    assert fc.calibration_report_["n_errors"].sum() > 0


# ----------------------------------------------------------------- the pool's memory


def _pool() -> Pool:
    y = _panel().query("unique_id == 's3'")["y"].to_numpy()
    model = tc.models.PooledRegression(season_length=4, window=8, horizon=3)
    pool = model.train_pool([y, y[5:] * 1.5], cut=6).pool
    assert pool is not None
    return pool


def _empty_like(pool: Pool) -> Pool:
    return Pool(
        pool.estimators, pool.step_scale, pool.window, pool.level_span, pool.season_length, 1, 1, 0
    )


def test_remembered_forecasts_are_read_back_instead_of_the_regressors():
    pool = _pool()
    rows = pool.remembered()
    assert rows.shape[1] == pool.window + pool.horizon and len(rows) > 2
    fake = rows.copy()
    fake[:, pool.window :] = 7.0  # numbers no regressor makes
    fresh = _empty_like(pool)
    fresh.remember(fake)
    history = np.concatenate([[1.0, 2.0], fake[1, : pool.window]])
    np.testing.assert_array_equal(fresh.forecast([history], 3), [[7.0, 7.0, 7.0]])
    other = history.copy()
    other[-1] += 1e-12  # another window: the regressors answer
    assert not np.any(fresh.forecast([other], 3) == 7.0)


def test_a_window_remembered_twice_keeps_its_first_place_and_its_last_forecasts():
    # as the dict of windows did: saved pools read back the same
    pool = _pool()
    rows = pool.remembered()
    again = rows[1].copy()
    again[pool.window :] += 100.0
    fresh = _empty_like(pool)
    fresh.remember(np.vstack([rows, again]))
    out = fresh.remembered()
    assert len(out) == len(rows)
    np.testing.assert_array_equal(out[1], again)
    np.testing.assert_array_equal(np.delete(out, 1, axis=0), np.delete(rows, 1, axis=0))
    fresh.remember(rows[:1] * 2.0)  # a new window after the others
    assert len(fresh.remembered()) == len(rows) + 1
    np.testing.assert_array_equal(fresh.remembered()[-1], rows[0] * 2.0)


def test_a_pool_pickled_with_the_dict_of_windows_still_loads():
    pool = _pool()
    rows = pool.remembered()
    # the attributes of a pool before its remembered forecasts were arrays
    state = {k: v for k, v in pool.__dict__.items() if not k.startswith("_")}
    state["_cache"] = {
        np.ascontiguousarray(r[: pool.window]).tobytes(): r[pool.window :] for r in rows
    }
    state["_token"] = "a token no pool has"
    old = _pool_from_token(state["_token"], state)
    np.testing.assert_array_equal(old.remembered(), rows)
    histories = [np.arange(20.0) + 3, rows[0, : pool.window]]
    np.testing.assert_array_equal(old.forecast(histories, 5), pool.forecast(histories, 5))
    again = pickle.loads(pickle.dumps(old))
    assert again is old  # the live pool of this process, by its token


def test_the_large_arrays_of_a_shared_object_reach_the_workers_as_read_only_maps(tmp_path):
    big = np.arange(300_000, dtype=float)  # 2.4 MB
    small = np.arange(10.0)
    path = str(tmp_path / "shared-0.pkl")
    parallel._write_shared({"big": big, "small": small, "text": "x"}, path)
    back = parallel._read_shared(path)
    assert isinstance(back["big"], np.memmap) and not back["big"].flags.writeable
    np.testing.assert_array_equal(back["big"], big)
    assert type(back["small"]) is np.ndarray and back["text"] == "x"
    np.testing.assert_array_equal(back["small"], small)
    assert len(list(tmp_path.glob("*.npy"))) == 1


def test_a_mapped_pool_forecasts_as_the_one_in_memory(tmp_path, monkeypatch):
    pool = _pool()
    monkeypatch.setattr(parallel, "_MAP_BYTES", 1)  # every array of the pool mapped
    path = str(tmp_path / "shared-0.pkl")
    parallel._write_shared(pool, path)
    with open(path, "rb") as f:
        data = f.read()
    # read as a worker process does (where no pool has this token)
    monkeypatch.setattr("trendcast.models.pooled._POOLS", {})
    with open(path, "wb") as f:
        f.write(data)
    mapped = parallel._read_shared(path)
    assert mapped is not pool and isinstance(mapped._forecasts, np.memmap)
    rows = pool.remembered()
    histories = [r[: pool.window] for r in rows] + [np.arange(30.0)]
    np.testing.assert_array_equal(mapped.forecast(histories, 7), pool.forecast(histories, 7))
    np.testing.assert_array_equal(mapped.remembered(), rows)


# ----------------------------------------------------------------- the forecast frame


@pytest.mark.parametrize("kind", ["unicode", "int"])
def test_the_rows_of_predict_make_the_frame_of_before(kind):
    spec = resolve_spec(tc.TrendForecaster().get_params(deep=False), "MS")
    levels = (80, 95)
    dates = pd.date_range("2024-01-01", periods=4, freq="MS")
    keys = list(IDS[kind].values())[:3]
    fcs = [
        ModelForecast(
            mean=np.arange(4.0) - i,
            lower={lv: np.arange(4.0) - i - lv / 10 for lv in levels},
            upper={lv: np.arange(4.0) - i + lv / 10 for lv in levels},
        )
        for i in range(3)
    ]
    rows = ForecastRows(spec, levels, n_rows=8)  # fewer than the rows added: it grows
    for key, fc in zip(keys, fcs, strict=True):
        rows.add(key, dates, "Theta", fc)
    frames = [
        forecast_columns(spec, k, list(dates), "Theta", f, levels)
        for k, f in zip(keys, fcs, strict=True)
    ]
    before = concat(spec, frames, levels)
    pd.testing.assert_frame_equal(rows.frame(), before, check_exact=True)
    assert (rows.frame()["lo-95"] >= 0).all()  # clipped at zero, as before
    empty = ForecastRows(spec, levels, n_rows=0).frame()
    assert list(empty.columns) == list(before.columns) and empty.empty


def test_remembering_saved_rows_lays_them_out_as_one_by_one_would():
    # a loaded pool remembers its saved rows at once (no Python step a window); the packed
    # stretch, the starts and the look-ups are those of remembering the windows one by one
    from trendcast.models.pooled import Pool

    rng = np.random.default_rng(3)
    window, horizon = 6, 3
    rows = rng.normal(size=(40, window + horizon))
    rows[7] = rows[2]  # a window given twice keeps its first place and its last forecasts
    rows[7, window:] += 1.0
    at_once = Pool([None] * horizon, np.ones(horizon), window, 2, 1, 1, 1, 1)
    at_once.remember(rows)
    one_by_one = Pool([None] * horizon, np.ones(horizon), window, 2, 1, 1, 1, 1)
    for row in rows:
        one_by_one.remember(row[None, :])
    for name in ("_strip", "_starts", "_digests", "_rows", "_forecasts"):
        np.testing.assert_array_equal(getattr(at_once, name), getattr(one_by_one, name))
    np.testing.assert_array_equal(at_once.remembered(), one_by_one.remembered())
    assert len(at_once.remembered()) == 39
    np.testing.assert_array_equal(at_once.remembered()[2, window:], rows[7, window:])
