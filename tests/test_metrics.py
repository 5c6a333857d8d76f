"""Metrics: hand-computed values on tiny frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trendcast import DataValidationError, metrics


@pytest.fixture
def cv():
    return pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "ds": pd.to_datetime(["2020-05-01", "2020-06-01"] * 2),
            "y": [10.0, 20.0, 0.0, 4.0],
            "mean": [12.0, 18.0, 0.0, 2.0],
            "lo-80": [11.0, 15.0, 0.0, 1.0],
            "hi-80": [13.0, 19.0, 1.0, 3.0],
        }
    )


@pytest.fixture
def train():
    return pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "ds": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"] * 2),
            "y": [1.0, 3.0, 6.0, 10.0, 2.0, 2.0, 4.0, 4.0],
        }
    )


def by_id(frame, col):
    return frame.set_index("unique_id")[col].to_dict()


def test_mae_rmse(cv):
    assert by_id(metrics.mae(cv), "mae") == {"a": 2.0, "b": 1.0}
    r = by_id(metrics.rmse(cv), "rmse")
    assert r["a"] == pytest.approx(2.0) and r["b"] == pytest.approx(np.sqrt(2))


def test_smape_on_the_0_200_scale_with_zero_zero_as_zero(cv):
    s = by_id(metrics.smape(cv), "smape")
    assert s["a"] == pytest.approx((200 * 2 / 22 + 200 * 2 / 38) / 2)
    assert s["b"] == pytest.approx((0 + 200 * 2 / 6) / 2)


def test_wape(cv):
    w = by_id(metrics.wape(cv), "wape")
    assert w == {"a": pytest.approx(4 / 30), "b": pytest.approx(2 / 4)}


def test_mase_and_rmsse_scale_by_seasonal_naive_in_sample(cv, train):
    m = by_id(metrics.mase(cv, train, season_length=1), "mase")
    # a: in-sample naive MAE = mean(|2|,|3|,|4|) = 3; forecast MAE 2
    assert m["a"] == pytest.approx(2 / 3)
    # b: naive MAE = mean(0, 2, 0) = 2/3; forecast MAE 1
    assert m["b"] == pytest.approx(1.5)
    r = by_id(metrics.rmsse(cv, train, season_length=1), "rmsse")
    assert r["a"] == pytest.approx(np.sqrt(4 / ((4 + 9 + 16) / 3)))


def test_mase_uses_history_up_to_each_cutoff(cv, train):
    cv = cv.assign(cutoff=pd.Timestamp("2020-03-01"))
    m = by_id(metrics.mase(cv, train, season_length=1), "mase")
    assert m["a"] == pytest.approx(2 / 2.5)  # history 1, 3, 6 only


def test_coverage_and_pinball(cv):
    c = by_id(metrics.coverage(cv, 80), "coverage-80")
    assert c == {"a": 0.0, "b": 0.5}  # a: 10 < 11 and 20 > 19; b: 0 in [0, 1], 4 > 3
    p = by_id(metrics.pinball_loss(cv, 80), "pinball-80")
    # a, row 1: y=10, lo=11 (q=.1): max(.1*-1, -.9*-1)=.9; hi=13 (q=.9): .1*3 = .3
    # a, row 2: y=20, lo=15: .1*5=.5; hi=19: .9*1=.9
    assert p["a"] == pytest.approx(((0.9 + 0.3) / 2 + (0.5 + 0.9) / 2) / 2)


def test_evaluate_merges_everything(cv, train):
    table = metrics.evaluate(cv, train, season_length=1, level=[80])
    assert set(table.columns) == {
        "unique_id",
        "mae",
        "rmse",
        "smape",
        "wape",
        "mase",
        "rmsse",
        "coverage-80",
        "pinball-80",
    }
    assert len(table) == 2


def test_missing_columns_are_named(cv):
    with pytest.raises(DataValidationError, match="missing column"):
        metrics.mae(cv.drop(columns="y"))
