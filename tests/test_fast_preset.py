"""models="fast": one cheap combination per category, the same contract as "auto" (issue 24)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.job_support import make_job
from trendcast.exceptions import ParameterError
from trendcast.job.config import load_config
from trendcast.job.errors import ConfigError


def panel(n_cat: int = 4, n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"c{i}",
                "ds": pd.date_range("2019-01-01", periods=n, freq="MS"),
                "y": 100 + 10 * i + 0.5 * t + 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n),
            }
        )
        for i in range(n_cat)
    ]
    return pd.concat(frames, ignore_index=True)


def test_fast_fits_the_mean_of_theta_and_dynamic_theta_for_every_category():
    df = panel()
    fc = tc.TrendForecaster(models="fast").fit(df)
    assert set(fc.fit_report_["model_used"]) == {"Combination(Theta,DynamicTheta)"}
    assert (fc.fit_report_["status"] == "ok").all()
    forecast = fc.predict(6, level=(80, 95))
    assert len(forecast) == 4 * 6
    assert (forecast["lo-95"] <= forecast["lo-80"]).all()
    assert (forecast["lo-80"] <= forecast["mean"]).all()
    assert (forecast["mean"] <= forecast["hi-80"]).all()
    # the preset is exactly the documented combination, fitted the usual way
    same = tc.TrendForecaster(
        models=tc.models.Combination([tc.models.Theta(), tc.models.DynamicTheta()])
    ).fit(df)
    pd.testing.assert_frame_equal(forecast, same.predict(6, level=(80, 95)))


def test_fast_tries_fewer_models_than_auto():
    df = panel(n_cat=2)
    fast = tc.TrendForecaster(models="fast").fit(df)
    auto = tc.TrendForecaster(models="auto").fit(df)
    assert len(fast.state_.plan.candidates) == 1
    assert len(auto.state_.plan.candidates) > 5


def test_fast_keeps_the_sparse_rule_for_intermittent_categories():
    rng = np.random.default_rng(3)
    n = 80
    sparse = pd.DataFrame(
        {
            "unique_id": "part",
            "ds": pd.date_range("2019-01-07", periods=n, freq="W-MON"),
            "y": np.where(rng.random(n) < 0.25, rng.integers(1, 4, n), 0).astype(float),
        }
    )
    fc = tc.TrendForecaster(models="fast").fit(sparse)
    assert fc.fit_report_["model_used"].iloc[0] != "Combination(Theta,DynamicTheta)"


def test_an_unknown_preset_names_the_ones_there_are():
    with pytest.raises(ParameterError, match="'auto', 'fast'"):
        tc.TrendForecaster(models="quick").fit(panel(n_cat=1))


def test_the_nightly_job_takes_fast(tmp_path):
    config = make_job(tmp_path / "job", f"sqlite:///{tmp_path / 'store.sqlite'}")
    text = config.read_text()
    old = 'models = ["Theta", "SeasonalNaive"]'
    assert old in text
    config.write_text(text.replace(old, 'models = "fast"'))
    assert load_config(config)[0].model.models == "fast"
    config.write_text(text.replace(old, 'models = "fastest"'))
    with pytest.raises(ConfigError, match="'fast', the quick preset"):
        load_config(config)
