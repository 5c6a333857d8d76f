"""``TrendForecaster.fitted_values()`` (issue 25): in-sample one-step-ahead predictions beside
the actuals, as statsforecast's ``forecast_fitted_values()``, with a documented NaN rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(n_series=2, n=48)


def test_naive_fitted_values_are_the_previous_actual(panel):
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(panel)
    fitted = fc.fitted_values()
    assert list(fitted.columns) == ["unique_id", "ds", "y", "model", "mean"]
    assert len(fitted) == len(panel)
    pd.testing.assert_frame_equal(
        fitted[["unique_id", "ds", "y"]].astype({"unique_id": object}),
        panel.sort_values(["unique_id", "ds"]).reset_index(drop=True).astype({"unique_id": object}),
        check_dtype=False,
    )
    for _, part in fitted.groupby("unique_id"):
        assert np.isnan(part["mean"].iloc[:2]).all()  # min_length of Naive is 2
        np.testing.assert_array_equal(part["mean"].iloc[2:], part["y"].iloc[1:-1])


def test_seasonal_naive_looks_one_season_back(panel):
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive(), season_length=12).fit(panel)
    part = fc.fitted_values(ids=["s0"])
    assert part["unique_id"].unique().tolist() == ["s0"]
    y, mean = part["y"].to_numpy(), part["mean"].to_numpy()
    np.testing.assert_array_equal(mean[13:], y[1:-12])


def test_ets_last_fitted_value_matches_a_fit_on_the_prefix_run_forward(panel):
    """The value at t is the forecast from y[:t] with the fitted parameters: the same as
    the fitted model updated over the prefix would give."""
    fc = tc.TrendForecaster(models=tc.models.ETS()).fit(panel)
    fitted = fc.fitted_values(ids=["s1"])
    model = fc.models_["s1"]
    y = fc.state_.y["s1"]
    # predict(1) from the whole history is the forecast of the period after it; the
    # walk forward at t = n-1 must equal the model's state run over y[:-1]
    import copy

    walker = copy.deepcopy(model)
    walker._update(y[:-1], None)
    walker.y_, walker.n_obs_ = y[:-1], y.size - 1
    assert fitted["mean"].iloc[-1] == pytest.approx(walker.predict(1).mean[0])
    residuals = fitted["y"] - fitted["mean"]
    assert residuals.abs().mean() < panel["y"].std()  # a real fit, not noise
    assert fitted["mean"].notna().sum() >= len(y) - model.tags().min_length


class _NoWalk(tc.models.Naive):
    """Naive that says it cannot run forward (as Prophet): no fitted values by rule."""

    family = "NoWalk"

    def tags(self):
        return tc.models.ModelTags(min_length=2, supports_update=False)


def test_models_that_cannot_run_forward_give_nan_with_their_name(panel):
    fc = tc.TrendForecaster(models=_NoWalk()).fit(panel)
    fitted = fc.fitted_values()
    assert fitted["mean"].isna().all()
    assert set(fitted["model"]) == {"NoWalk"}
    combo = tc.models.Combination([tc.models.Naive(), _NoWalk()])
    fitted = tc.TrendForecaster(models=combo).fit(panel).fitted_values()
    assert fitted["mean"].isna().all()


def test_theta_has_values_inside_its_window_ending_in_predict_one(panel):
    long = make_panel(n_series=1, n=150)
    fc = tc.TrendForecaster(models=tc.models.Theta(), season_length=12).fit(long)
    model = fc.models_["s0"]
    n_fit = model.results_.model.endog_orig.shape[0]
    assert n_fit == 96  # eight seasons: the window Theta is fitted on
    fitted = fc.fitted_values()["mean"].to_numpy()
    assert np.isnan(fitted[: 150 - n_fit + 1]).all()
    assert np.isfinite(fitted[150 - n_fit + 1 :]).all()
    # the formula after the whole window is predict(1): the same line, level and season
    assert model._window_forecasts()[-1] == pytest.approx(model.predict(1).mean[0], rel=1e-12)
    y = long["y"].to_numpy()
    errors = np.abs(y - fitted)[150 - n_fit + 1 :]
    assert errors.mean() < np.abs(np.diff(y)).mean()  # better than naive on a seasonal panel
    combo = tc.models.Combination([tc.models.Naive(), tc.models.Theta()], method="median")
    both = tc.TrendForecaster(models=combo, season_length=12).fit(long).fitted_values()
    assert both["mean"].notna().sum() == n_fit - 1


def test_mean_combination_is_the_mean_of_its_members(panel):
    combo = tc.models.Combination([tc.models.Naive(), tc.models.SeasonalNaive()], method="mean")
    fitted = tc.TrendForecaster(models=combo, season_length=12).fit(panel).fitted_values(ids=["s0"])
    y = fitted["y"].to_numpy()
    expected = (y[12:-1] + y[1:-12]) / 2
    np.testing.assert_allclose(fitted["mean"].to_numpy()[13:], expected)


def test_nixtla_layout_and_metrics_take_it(panel):
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(panel)
    nixtla = fc.fitted_values(output="nixtla")
    assert list(nixtla.columns) == ["unique_id", "ds", "y", "TrendForecaster"]
    scores = tc.metrics.mae(fc.fitted_values())
    assert scores["mae"].gt(0).all()


def test_fitted_values_before_fit_and_unknown_ids():
    with pytest.raises(tc.NotFittedError):
        tc.TrendForecaster().fitted_values()
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(make_panel(n_series=1, n=24))
    with pytest.raises(tc.ParameterError, match="nope"):
        fc.fitted_values(ids=["nope"])
    with pytest.raises(tc.ParameterError, match="output"):
        fc.fitted_values(output="wide")
