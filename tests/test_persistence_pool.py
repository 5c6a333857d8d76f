"""A saved PooledRegression pool: its regressors are read on first use only, and its
remembered forecasts are saved, so a loaded forecaster predicts from its histories
without reading a regressor (and equals the fitted one exactly)."""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

CATEGORIES = ["441", "445", "448", "452", "722", "442"]


#: steps with their own regressor: a forecast of up to 8 steps from the histories reads the
#: remembered forecasts, a longer one feeds forecasts back as windows never seen
POOL_HORIZON = 8


@pytest.fixture(scope="module")
def fitted() -> tc.TrendForecaster:
    from sklearn.ensemble import HistGradientBoostingRegressor

    sales = tc.datasets.load_us_retail(categories=CATEGORIES)
    small = HistGradientBoostingRegressor(max_iter=10, max_bins=31, random_state=0)
    pooled = tc.models.PooledRegression(estimator=small, horizon=POOL_HORIZON, max_samples=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tc.TrendForecaster(models=[pooled, tc.models.Naive()], backtest_windows=1).fit(sales)


@pytest.fixture(scope="module")
def template(fitted, tmp_path_factory) -> Path:
    return fitted.save(tmp_path_factory.mktemp("pool") / "pooled")


@pytest.fixture
def saved(template, tmp_path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "pooled"))


def _rewrite(path: Path, name: str, data: bytes | None) -> None:
    """Replace (or, with None, remove) a member and keep the manifest's checksums true."""
    manifest = json.loads((path / "manifest.json").read_text())
    if data is None:
        (path / name).unlink()
        del manifest["files"][name]
    else:
        (path / name).write_bytes(data)
        manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_the_remembered_forecasts_are_saved_beside_the_regressors(fitted, saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    (name,) = [n for n in manifest["files"] if n.startswith("pools/")]
    # named after the pool's first regressor (estimators/0.skops is the estimator parameter)
    assert name == "pools/1.npy" and "estimators/1.skops" in manifest["files"]
    rows = np.load(saved / name, allow_pickle=False)
    pool = fitted.state_.plan.candidates[0].pool
    assert rows.shape == (len(pool.remembered()), pool.window + pool.horizon)
    loaded = tc.load(saved)
    pd.testing.assert_frame_equal(loaded.predict(6), fitted.predict(6), rtol=0, atol=0)
    assert "not read yet" in repr(loaded.state_.plan.candidates[0].pool.estimators)


def test_a_forecast_from_the_histories_reads_no_regressor(fitted, saved):
    loaded = tc.load(saved)
    regressors = loaded.state_.plan.candidates[0].pool.estimators
    pd.testing.assert_frame_equal(
        loaded.predict(POOL_HORIZON), fitted.predict(POOL_HORIZON), rtol=0, atol=0
    )
    assert "not read yet" in repr(regressors)
    h = 2 * POOL_HORIZON  # past the pool's horizon: windows it never saw
    np.testing.assert_allclose(loaded.predict(h)["mean"], fitted.predict(h)["mean"], rtol=1e-12)
    assert "8 pooled regressors, read" in repr(regressors)


def test_a_save_without_remembered_forecasts_reads_the_regressors(fitted, saved):
    _rewrite(saved, "pools/1.npy", None)
    shutil.rmtree(saved / "pools")
    loaded = tc.load(saved)
    np.testing.assert_allclose(loaded.predict(6)["mean"], fitted.predict(6)["mean"], rtol=1e-9)


def test_damaged_remembered_forecasts_are_refused(saved):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((3, 5)), allow_pickle=False)
    _rewrite(saved, "pools/1.npy", buffer.getvalue())
    with pytest.raises(tc.PersistenceError, match=r"pools/1.npy must hold rows of \d+ numbers"):
        tc.load(saved)


def test_a_damaged_regressor_is_refused_at_load(saved):
    _rewrite(saved, "estimators/3.skops", b"not a zip")
    with pytest.raises(tc.PersistenceError, match="estimators/3.skops is not a skops file"):
        tc.load(saved)


def test_lazy_regressors_pickle_as_a_plain_list(saved):
    lazy = tc.load(saved).state_.plan.candidates[0].pool.estimators
    again = pickle.loads(pickle.dumps(lazy))  # what n_jobs workers receive
    assert type(again) is list and len(again) == len(lazy) == POOL_HORIZON
    assert all(hasattr(e, "predict") for e in again)
