"""output="nixtla": the layout statsforecast users evaluate and plot with utilsforecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel

utilsforecast = pytest.importorskip("utilsforecast", reason="the dev extra installs it")


@pytest.fixture(scope="module")
def fitted():
    panel = make_panel(n_series=3, n=48).rename(columns={"unique_id": "sku", "ds": "month"})
    fc = tc.TrendForecaster(
        models=[tc.models.SeasonalNaive(), tc.models.Theta()], id_col="sku", time_col="month"
    )
    return fc.fit(panel), panel


def test_predict_in_nixtla_layout(fitted):
    fc, _ = fitted
    ours = fc.predict(4, level=(80, 95))
    theirs = fc.predict(4, level=(80, 95), output="nixtla")
    assert list(theirs.columns) == [
        "sku",
        "month",
        "TrendForecaster",
        "TrendForecaster-lo-80",
        "TrendForecaster-hi-80",
        "TrendForecaster-lo-95",
        "TrendForecaster-hi-95",
    ]
    np.testing.assert_array_equal(theirs["TrendForecaster"], ours["mean"])
    np.testing.assert_array_equal(theirs["TrendForecaster-hi-95"], ours["hi-95"])


def test_utilsforecast_evaluates_cross_validation_as_is(fitted):
    from utilsforecast.evaluation import evaluate
    from utilsforecast.losses import coverage, mae

    fc, panel = fitted
    cv = fc.cross_validation(panel, h=6, n_windows=2, level=(80,), output="nixtla")
    scores = evaluate(
        cv.drop(columns="cutoff"),
        metrics=[mae, coverage],
        level=[80],
        id_col="sku",
        time_col="month",
        target_col="y",
    )
    ours = fc.cross_validation(panel, h=6, n_windows=2, level=(80,))
    by_sku = ours.assign(err=(ours["y"] - ours["mean"]).abs()).groupby("sku")["err"].mean()
    got = scores[scores["metric"] == "mae"].set_index("sku")["TrendForecaster"]
    pd.testing.assert_series_equal(got.sort_index(), by_sku.sort_index(), check_names=False)
    covered = scores[scores["metric"] == "coverage_level80"]["TrendForecaster"]
    assert ((covered >= 0) & (covered <= 1)).all()


def test_an_unknown_output_is_a_parameter_error(fitted):
    fc, _ = fitted
    with pytest.raises(tc.ParameterError, match="output='polars'"):
        fc.predict(2, output="polars")
