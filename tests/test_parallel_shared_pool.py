"""A trained pool travels once a call, not once a batch, to loky's processes and Dask's workers.

At 10,000 series the pool (its regressors and the forecasts it remembers) was
pickled into every batch and back inside every batch's fits; on a Dask
``LocalCluster`` each copy stayed in a worker while its result waited, and a
worker grew past 11 GB. The engine now sends each pool once per parallel call
and the fits come back holding the driver's own pool.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel
from trendcast._engine import parallel
from trendcast.models.pooled import Pool

distributed = pytest.importorskip(
    "distributed", reason="install the dask extra: pip install -e '.[dev]'"
)


@pytest.fixture
def pickles(monkeypatch):
    """How many times a Pool is pickled in this process."""
    count = [0]
    reduce = Pool.__reduce__

    def counted(self):
        count[0] += 1
        return reduce(self)

    monkeypatch.setattr(Pool, "__reduce__", counted)
    return count


def _fit(backend: str | None, n_jobs: int) -> tc.TrendForecaster:
    # 16 categories: more batches than processes, so a pool sent with each batch
    # would be pickled many times
    panel = make_panel(n_series=16, n=48)
    return tc.TrendForecaster(
        models=tc.models.PooledRegression(), n_jobs=n_jobs, backend=backend
    ).fit(panel)


def _pools(fc: tc.TrendForecaster) -> set[int]:
    return {id(fit.model.pool_) for fit in fc.state_.fits.values()}


def test_loky_writes_the_pool_once_and_the_fits_share_the_drivers_pool(pickles):
    fc = _fit(None, 2)
    assert pickles[0] == 1  # the file the worker processes read; the batches carry its token
    assert len(_pools(fc)) == 1
    expected = _fit(None, 1)
    pd.testing.assert_frame_equal(fc.predict(6), expected.predict(6))


def test_dask_scatters_the_pool_once_and_the_fits_share_the_drivers_pool(pickles):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with local, distributed.Client(local):
        fc = _fit("dask", 1)
        fitted = pickles[0]
        forecast = fc.predict(6)
    # scattered to the two workers (at most once each), never once a batch (16 here)
    assert 1 <= fitted <= 2
    assert len(_pools(fc)) == 1
    pd.testing.assert_frame_equal(forecast, _fit(None, 1).predict(6))


def test_an_object_made_in_a_worker_comes_back_whole():
    # a pool the driver did not send (trained inside a batch) is pickled as usual
    shared: dict[str, object] = {}
    pool = tc.models.PooledRegression(season_length=4, window=8, horizon=2).train_pool(
        [make_panel(n_series=1, n=40)["y"].to_numpy()], cut=4
    ).pool
    data = parallel._dumps([pool], shared)
    assert shared == {}
    (back,) = parallel._loads(data, {})
    assert back is pool  # the same process: the live pool by its token
    sent = parallel._dumps([pool, pool], shared, collect=True)
    assert list(shared) == [pool.share_token()]
    assert parallel._loads(sent, shared) == [pool, pool]
