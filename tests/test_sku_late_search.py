"""Issue 23: search that starts after the sales keeps the whole sales history.

With 5 years of Google Trends and 32 of sales, ``past_covariates`` refused the
frame ("start the sales frame where the search series starts"): using search
cost 27 years of history. With ``search_start="late"`` the candidates fed
search are fitted on the span search covers, the others on every period, and
the selection compares them on the same final windows. Search after a
cross-validation cutoff still changes nothing in that window.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import LinearOnX
from tests.test_past_covariates import search_panel

GAP = 30


def late(df: pd.DataFrame, gap: int = GAP) -> pd.DataFrame:
    out = df.copy()
    out.loc[out.groupby("unique_id").cumcount() < gap, "search"] = np.nan
    return out


def test_a_late_search_is_refused_by_default_with_the_way_out():
    with pytest.raises(tc.DataValidationError, match=r"(?s)gap.*search_start='late'"):
        tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 1}).fit(
            late(search_panel())
        )


def test_a_gap_after_the_search_starts_is_still_refused():
    df = late(search_panel())
    df.loc[45, "search"] = np.nan
    with pytest.raises(tc.DataValidationError, match=r"1 gap in its history.*row 45"):
        tc.TrendForecaster(
            models=LinearOnX(), past_covariates={"search": 1}, search_start="late"
        ).fit(df)


def test_bad_search_start_names_the_parameter():
    with pytest.raises(tc.ParameterError, match="search_start"):
        tc.TrendForecaster(past_covariates={"search": 1}, search_start="yes").fit(search_panel())


def test_models_fed_search_are_fitted_on_the_span_it_covers():
    df = late(search_panel(n=60, lag=1))
    fc = tc.TrendForecaster(models=LinearOnX(), past_covariates={"search": 1}, search_start="late")
    fc.fit(df)
    for key, model in fc.models_.items():
        assert model.n_obs_ == 60 - GAP, key
    # y = a + 3 s[t-1]: the forecast of the next period uses the last observed search
    out = fc.predict(1).set_index("unique_id")
    for key, g in df.groupby("unique_id"):
        a = 100 + 20 * int(key[1])
        assert out.loc[key, "mean"] == pytest.approx(a + 3 * g["search"].iloc[-1], abs=1.5)
    assert "search starts at period 31 of 60" in fc.fit_report_["reason"].iloc[0]


def test_candidates_without_search_keep_the_whole_history():
    df = late(search_panel(n=72, lag=1))
    models = [tc.models.Theta(), LinearOnX()]  # Theta takes no covariates: never fed search
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = tc.TrendForecaster(
            models=models, past_covariates={"search": 1}, search_start="late"
        ).fit(df)
        plain = tc.TrendForecaster(models=[tc.models.Theta()]).fit(df.drop(columns="search"))
    rep = fc.selection_report_
    theta = rep[rep["model"] == "Theta"].set_index("unique_id")["mase"]
    # the same backtest as a forecaster without search on the full history
    alone = tc.TrendForecaster(models=[tc.models.Theta(), tc.models.Naive()]).fit(
        df.drop(columns="search")
    )
    ref = alone.selection_report_.query("model == 'Theta'").set_index("unique_id")["mase"]
    pd.testing.assert_series_equal(theta, ref, check_names=False)
    assert {m.n_obs_ for m in plain.models_.values()} == {72}
    assert set(fc.search_report_["mase_with_search"].notna()) == {True}


def test_search_after_a_cutoff_changes_nothing_in_that_window_when_search_starts_late():
    df = late(search_panel(n=60, lag=2), gap=20)
    df = df[df["unique_id"] == "c0"]
    fc = tc.TrendForecaster(
        models=tc.models.ARIMA(order=(1, 0, 0), seasonal_order=(0, 0, 0)),
        past_covariates={"search": 2},
        search_start="late",
        backtest_windows=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = fc.cross_validation(df, h=2, n_windows=2)
        first = base["cutoff"].min()
        changed = df.copy()
        after = changed["ds"] > first
        changed.loc[after, "search"] = changed.loc[after, "search"] * 3 + 40
        moved = fc.cross_validation(changed, h=2, n_windows=2)
    columns = ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    a = base[base["cutoff"] == first][columns].to_numpy()
    b = moved[moved["cutoff"] == first][columns].to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9)
    later_a = base[base["cutoff"] > first]["mean"].to_numpy()
    later_b = moved[moved["cutoff"] > first]["mean"].to_numpy()
    assert not np.allclose(later_a, later_b)  # the later window saw the changed search
