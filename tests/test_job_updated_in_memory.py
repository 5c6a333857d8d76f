"""An update night forecasts from the forecasters it updated, not from their checkpoints again.

That is only right if an updated forecaster forecasts exactly what its saved
copy forecasts: checked here model by model (the intervals, the sample paths
and the reports, to the bit), and for a whole update night of the example job
against the same night forecast from the decoded checkpoints.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.job_support import make_job
from trendcast.job import run
from trendcast.job.chunks import from_bytes, to_bytes
from trendcast.store import Store

MODELS = {
    "Naive": tc.models.Naive(),
    "SeasonalNaive": tc.models.SeasonalNaive(),
    "Theta": tc.models.Theta(),
    "ETS": tc.models.ETS(),
    "ARIMA": tc.models.ARIMA(),
    "Croston": tc.models.Croston(),
    "TSB": tc.models.TSB(),
    "CES": tc.models.CES(),
    "DynamicTheta": tc.models.DynamicTheta(),
    "Drift": tc.models.Drift(),
    "WindowAverage": tc.models.WindowAverage(),
    "list": [tc.models.Theta(), tc.models.SeasonalNaive(), tc.models.Naive()],
    "fast": "fast",
}


def _panel(weeks: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2021-01-03", periods=weeks, freq="W-SUN")
    t = np.arange(weeks)
    frames = []
    for i in range(5):
        y = 50 + 10 * i + 8 * np.sin(2 * np.pi * t / 52 + i) + rng.normal(0, 3, weeks)
        if i == 4:  # intermittent
            y = rng.poisson(0.5, weeks) * 3.0
        frames.append(pd.DataFrame({"unique_id": f"c{i}", "ds": dates, "y": np.round(y, 1)}))
    return pd.concat(frames, ignore_index=True)


def _same_forecasts(a: tc.TrendForecaster, b: tc.TrendForecaster) -> None:
    pd.testing.assert_frame_equal(a.predict(13, level=(80, 95)), b.predict(13, level=(80, 95)),
                                  check_exact=True)  # fmt: skip
    pa = a.sample_paths(13, n_paths=50, random_state=7, output="arrays")
    pb = b.sample_paths(13, n_paths=50, random_state=7, output="arrays")
    assert isinstance(pa, dict) and isinstance(pb, dict)
    assert list(pa) == list(pb)
    for key in pa:
        assert pa[key].tobytes() == pb[key].tobytes(), key
    pd.testing.assert_frame_equal(a.fit_report_, b.fit_report_, check_exact=True)
    pd.testing.assert_frame_equal(a.selection_report_, b.selection_report_, check_exact=True)
    assert a.season_length_ == b.season_length_


@pytest.mark.parametrize("name", list(MODELS))
def test_an_updated_forecaster_forecasts_what_its_saved_copy_forecasts(name):
    sales = _panel(131)
    fitted = tc.TrendForecaster(models=MODELS[name], n_jobs=1).fit(
        sales[sales["ds"] < "2023-07-01"]
    )
    blob = to_bytes(fitted)
    live = from_bytes(blob, hashlib.sha256(blob).hexdigest(), "the fit")
    live.update(sales)  # as the job does: the previous artifact, read back, then updated
    saved = to_bytes(live)
    again = from_bytes(saved, hashlib.sha256(saved).hexdigest(), "the update")
    _same_forecasts(live, again)


def test_an_update_night_stores_what_the_decoded_checkpoints_give(tmp_path, monkeypatch):
    stored = {}
    for how in ("in memory", "decoded"):
        url = f"sqlite:///{tmp_path / how.replace(' ', '-')}.sqlite"
        config = make_job(tmp_path / how, url, min_points=100)
        assert run.run_job(config, dt.date(2024, 6, 1)).code == 0
        with monkeypatch.context() as m:
            if how == "decoded":  # no forecaster kept: every chunk read back
                m.setattr(run, "in_process", lambda size, n: False)
            seen = []
            original = run._forecast

            def spy(config, fitted, seen=seen, original=original):
                seen.append(len(fitted.updated))
                return original(config, fitted)

            m.setattr(run, "_forecast", spy)
            outcome = run.run_job(config, dt.date(2024, 7, 1))
        assert outcome.code == 0
        assert seen == ([3] if how == "in memory" else [0])
        with Store(url) as store:
            stored[how] = {
                t: store.read(t, int(outcome.run_id)).drop(columns=["id", "run_id"])
                for t in ("forecasts", "gaps", "flags", "sectors", "hotspots", "emerging",
                          "fit_reports", "selection", "accuracy", "drift")
            }  # fmt: skip
    for table, frame in stored["in memory"].items():
        assert len(frame), table
        pd.testing.assert_frame_equal(frame, stored["decoded"][table], check_exact=True)
