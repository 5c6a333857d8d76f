"""The Dask backend: the same output as loky, row for row, on a real LocalCluster."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel

distributed = pytest.importorskip(
    "distributed", reason="install the dask extra: pip install -e '.[dev]'"
)


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with local, distributed.Client(local) as client:
        yield local, client
        # clients opened to the scheduler's address close before the cluster does
        from trendcast._engine import parallel

        for opened in parallel._CLIENTS.values():
            opened.close()
        parallel._CLIENTS.clear()


def _models() -> list[tc.models.LocalModel]:
    # the pooled model trains once on the driver and travels to the workers with the plan
    return [tc.models.PooledRegression(), tc.models.Theta(), tc.models.SeasonalNaive()]


def test_fit_predict_sample_update_equal_loky_row_for_row(cluster):
    panel = make_panel(n_series=8, n=48)
    history, new = panel[panel["ds"] < "2022-12-01"], panel[panel["ds"] == "2022-12-01"]
    on_dask = tc.TrendForecaster(models=_models(), backend="dask").fit(history)
    on_loky = tc.TrendForecaster(models=_models(), n_jobs=2).fit(history)
    pd.testing.assert_frame_equal(on_dask.fit_report_, on_loky.fit_report_)
    pd.testing.assert_frame_equal(on_dask.selection_report_, on_loky.selection_report_)
    pd.testing.assert_frame_equal(on_dask.predict(6), on_loky.predict(6))
    pd.testing.assert_frame_equal(
        on_dask.sample_paths(3, n_paths=25, random_state=7),
        on_loky.sample_paths(3, n_paths=25, random_state=7),
    )
    pd.testing.assert_frame_equal(on_dask.update(new).predict(3), on_loky.update(new).predict(3))


def test_cross_validation_equals_loky(cluster):
    panel = make_panel(n_series=6, n=48)
    on_dask = tc.TrendForecaster(models=_models(), backend="dask")
    on_loky = tc.TrendForecaster(models=_models(), n_jobs=2)
    pd.testing.assert_frame_equal(
        on_dask.cross_validation(panel, h=4, n_windows=2),
        on_loky.cross_validation(panel, h=4, n_windows=2),
    )


def test_a_scheduler_address_is_a_backend(cluster):
    local, _ = cluster
    panel = make_panel(n_series=3, n=36)
    fc = tc.TrendForecaster(models=tc.models.Naive(), backend=local.scheduler_address)
    expected = tc.TrendForecaster(models=tc.models.Naive()).fit(panel).predict(2)
    pd.testing.assert_frame_equal(fc.fit(panel).predict(2), expected)


def test_a_backend_that_is_not_one_is_refused_before_any_work():
    with pytest.raises(tc.ParameterError, match="backend='spark'"):
        tc.TrendForecaster(models=tc.models.Naive(), backend="spark").fit(make_panel(n_series=2))


def test_dask_without_a_client_says_how_to_make_one():
    # in a fresh process: this module's cluster fixture is the current client here
    code = (
        "import trendcast as tc\n"
        "from tests.conftest import make_panel\n"
        "try:\n"
        "    tc.TrendForecaster(models=tc.models.Naive(), backend='dask').fit(make_panel(2, 24))\n"
        "except tc.ParameterError as exc:\n"
        "    print(exc)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert "has none: create one first" in out.stdout
