"""TrendForecaster.update: new observations without re-estimation."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel


@pytest.fixture
def history() -> pd.DataFrame:
    return make_panel(n_series=3, n=72)


def split(df: pd.DataFrame, n_new: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    last = np.sort(df["ds"].unique())[-n_new]
    return df[df["ds"] < last], df[df["ds"] >= last]


def test_update_moves_the_state_and_keeps_parameters(history):
    old, new = split(history, 6)
    fc = tc.TrendForecaster(models=tc.models.ETS(), freq="MS").fit(old)
    params = {k: m.params_.copy() for k, m in fc.models_.items()}
    twins = {k: copy.deepcopy(m) for k, m in fc.models_.items()}
    before = fc.predict(3)
    assert fc.update(new) is fc
    after = fc.predict(3)
    # the forecast now starts after the newest date ...
    assert after["ds"].min() == new["ds"].max() + pd.offsets.MonthBegin(1)
    assert before["ds"].min() == old["ds"].max() + pd.offsets.MonthBegin(1)
    # ... with the same parameters, and equals a model fitted then moved forward
    for key, model in fc.models_.items():
        np.testing.assert_array_equal(model.params_, params[key])
        y = history.loc[history["unique_id"] == key, "y"].to_numpy()
        twin = twins[key].update(y[-6:])
        got = after.loc[after["unique_id"] == key, "mean"].to_numpy()
        np.testing.assert_allclose(got, np.maximum(twin.predict(3).mean, 0))
    assert (fc.fit_report_["status"] == "ok").all()


def test_update_accepts_the_whole_history_and_skips_seen_rows(history):
    old, new = split(history, 4)
    a = tc.TrendForecaster(models=tc.models.Naive()).fit(old).update(new)
    b = tc.TrendForecaster(models=tc.models.Naive()).fit(old).update(history)
    pd.testing.assert_frame_equal(a.predict(2), b.predict(2))
    # nothing new: a no-op
    before = b.predict(2)
    b.update(history)
    pd.testing.assert_frame_equal(before, b.predict(2))


def test_a_revised_value_is_refused_with_the_category_and_date(history):
    old, new = split(history, 4)
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(old)
    revised = history.copy()
    row = revised.index[(revised["unique_id"] == "s1") & (revised["ds"] == "2022-03-01")]
    revised.loc[row, "y"] += 5
    with pytest.raises(tc.DataValidationError, match=r"'s1'.*2022-03-01.*call fit\(\)"):
        fc.update(revised)


def test_a_gap_after_the_fitted_history_is_refused(history):
    old, new = split(history, 4)
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(old)
    with pytest.raises(tc.DataValidationError, match="gap after the last period"):
        fc.update(new[new["ds"] > new["ds"].min()])


def test_new_categories_are_fitted_and_reported(history):
    old = history[history["unique_id"] != "s2"]
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(old)
    fc.update(history[history["unique_id"] == "s2"])
    assert set(fc.models_) == {"s0", "s1", "s2"}
    assert list(fc.fit_report_["unique_id"]) == ["s0", "s1", "s2"]
    out = fc.predict(12)
    y2 = history.loc[history["unique_id"] == "s2", "y"].to_numpy()
    np.testing.assert_allclose(out.loc[out["unique_id"] == "s2", "mean"], y2[-12:])


def test_a_failing_update_refits_and_is_recorded(history):
    old, new = split(history, 3)
    fc = tc.TrendForecaster(models=tc.models.ETS(model="MNN")).fit(old)
    bad = new.copy()
    bad.loc[bad["unique_id"] == "s0", "y"] = 0.0  # a multiplicative model cannot take zeros
    with pytest.warns(tc.FallbackWarning, match="s0"):
        fc.update(bad)
    report = fc.fit_report_.set_index("unique_id")
    assert report.loc["s0", "status"] == "fallback"
    assert "at update" in report.loc["s0", "reason"]
    assert fc.models_["s0"].n_obs_ == 72
    assert (report.loc[["s1", "s2"], "status"] == "ok").all()


def test_update_before_fit(history):
    with pytest.raises(tc.NotFittedError):
        tc.TrendForecaster().update(history)
