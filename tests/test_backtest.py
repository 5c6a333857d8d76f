"""Selection backtest: windows, scores, and reuse of member forecasts by combinations."""

from __future__ import annotations

import numpy as np
import pytest

import trendcast as tc
from trendcast.backtest import (
    REFERENCE_LEVEL,
    _normalised_errors,
    _run_windows,
    cutoffs,
    mase_scale,
    score_models,
)


def test_cutoffs_end_with_the_series():
    assert cutoffs(100, 12, 3) == [64, 76, 88]
    assert cutoffs(100, 12, 3, step_size=1) == [86, 87, 88]
    assert cutoffs(20, 12, 3) == [8]  # too-early origins are dropped


def test_mase_scale_is_seasonal_naive_mae():
    y = np.arange(30.0)
    assert mase_scale(y, 12) == 12.0
    assert mase_scale(y[:10], 12) == 1.0  # falls back to lag 1


def test_naive_scores_exactly():
    y = np.arange(36.0)
    (score,) = score_models(y, [tc.models.Naive()], h=6, n_windows=2, season_length=1)
    # cutoffs 24 and 30; naive errors 1..6 in each window (mean 3.5); scale = 1
    assert score.mase == pytest.approx(3.5)
    assert score.model == "Naive" and score.error == ""


def _whole(combo, y, h, n_windows, season_length, levels=(), X=None):
    """MASE and forecasts of a combination fitted whole in every window (no reuse)."""
    points = cutoffs(y.size, h, n_windows)
    name, windows, error, _ = _run_windows(combo, y, points, h, levels, X)
    assert error == "", error
    scale = mase_scale(y[: points[0]], season_length)
    pairs = zip(points, windows, strict=True)
    mase = np.mean([np.mean(np.abs(y[c : c + h] - f.mean[:h])) for c, f in pairs])
    return name, mase / scale, windows


def test_combination_reuses_member_forecasts_with_the_same_result(retail_small):
    y = retail_small.loc[retail_small["unique_id"] == "448", "y"].to_numpy()[-120:]
    ets, theta = tc.models.ETS(season_length=12), tc.models.Theta(season_length=12)
    combo = tc.models.Combination(season_length=12)
    name, mase, _ = _whole(combo, y, 12, 2, 12)
    reused = score_models(y, [ets, theta, combo], h=12, n_windows=2, season_length=12)
    assert reused[2].model == name and name.startswith("Combination(ETS(")
    assert reused[2].mase == pytest.approx(mase, rel=1e-9)


def test_reused_scores_equal_the_whole_fit_with_covariates_and_errors(retail_small):
    # with covariates (ARIMA takes them, ETS does not) and the calibration's errors
    y = retail_small.loc[retail_small["unique_id"] == "448", "y"].to_numpy()[-120:]
    X = (np.arange(y.size) % 12 == 11).astype(float)[:, None]
    arima, ets = tc.models.ARIMA(season_length=12), tc.models.ETS(season_length=12)
    combo = tc.models.Combination([arima, ets], method="median")
    kw = dict(h=6, n_windows=3, season_length=12)
    name, mase, windows = _whole(combo, y, 6, 3, 12, levels=(REFERENCE_LEVEL,), X=X)
    (score,) = score_models(y, [combo], X=X, with_errors=True, **kw)
    assert score.model == name
    assert score.mase == pytest.approx(mase, rel=1e-9)
    steps, errors = _normalised_errors(y, cutoffs(y.size, 6, 3), windows)
    np.testing.assert_allclose(score.errors, errors, rtol=1e-9)
    np.testing.assert_array_equal(score.steps, steps)


class _CountedTheta(tc.models.Theta):
    """Theta that counts its fits (a real model, to see what the backtest runs)."""

    fits = 0

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        type(self).fits += 1
        super()._fit(y, X)


def test_members_outside_the_list_run_once_for_every_combination(retail_small):
    # a combination whose members are not all candidates used to be fitted whole,
    # fitting the members that are candidates a second time
    y = retail_small.loc[retail_small["unique_id"] == "448", "y"].to_numpy()[-120:]
    ets, naive = tc.models.ETS(season_length=12), tc.models.Naive()
    mean = tc.models.Combination([ets, _CountedTheta(season_length=12)], method="mean")
    median = tc.models.Combination([ets, _CountedTheta(season_length=12), naive], method="median")
    _CountedTheta.fits = 0
    score_models(y, [_CountedTheta(season_length=12)], h=12, n_windows=2, season_length=12)
    once = _CountedTheta.fits
    alone = [score_models(y, [c], h=12, n_windows=2, season_length=12)[0] for c in (mean, median)]
    _CountedTheta.fits = 0
    scores = score_models(y, [ets, mean, naive, median], h=12, n_windows=2, season_length=12)
    assert _CountedTheta.fits == once
    assert [s.model for s in scores] == [scores[0].model, alone[0].model, "Naive", alone[1].model]
    assert scores[1].mase == pytest.approx(alone[0].mase, rel=1e-9)
    assert scores[3].mase == pytest.approx(alone[1].mase, rel=1e-9)
    refit = scores[3].refit
    assert refit is not None and [m.family for m in refit.members()] == ["ETS", "Theta", "Naive"]


def test_a_reused_median_combination_is_named_as_the_fitted_one(retail_small):
    # the backtest names a combination it scored from its members' forecasts the way
    # the fitted combination names itself, so the selection and fit reports agree
    y = retail_small.loc[retail_small["unique_id"] == "448", "y"].to_numpy()[-120:]
    ets, theta = tc.models.ETS(season_length=12), tc.models.Theta(season_length=12)
    combo = tc.models.Combination(season_length=12, method="median")
    reused = score_models(y, [ets, theta, combo], h=12, n_windows=2, season_length=12)
    fitted = combo.pinned().set_params(models=[ets.fit(y[:96]).pinned(), theta.pinned()]).fit(y)
    assert reused[2].model == fitted.name
    assert reused[2].model.startswith("MedianCombination(ETS(")


def test_a_failing_candidate_scores_inf_with_reason():
    y = np.full(40, 5.0)
    scores = score_models(
        y, [tc.models.ETS(), tc.models.Naive()], h=4, n_windows=2, season_length=12
    )
    assert scores[0].mase == float("inf") and "constant" in scores[0].error
    assert np.isfinite(scores[1].mase)


def test_a_combination_inside_a_combination_runs_whole():
    # the inner combination equals a listed one (same parameters: the default
    # members); it is fitted whole, not looked up among the listed models
    y = 100 + np.sin(np.arange(60) * 2 * np.pi / 12) * 10 + np.arange(60.0)
    inner = tc.models.Combination(season_length=12)
    outer = tc.models.Combination([inner, tc.models.SeasonalNaive(season_length=12)])
    scores = score_models(y, [inner, outer], h=6, n_windows=2, season_length=12)
    assert all(np.isfinite(s.mase) for s in scores)
    _, mase, _ = _whole(outer, y, 6, 2, 12)
    assert scores[1].mase == pytest.approx(mase, rel=1e-9)


@pytest.mark.parametrize(
    ("combo", "reason"),
    [
        (tc.models.Combination([tc.models.Naive()]), "at least two models"),
        (tc.models.Combination([tc.models.Naive(), tc.models.Drift()], method="mode"), "method"),
    ],
)
def test_a_combination_that_cannot_be_fitted_scores_inf_with_its_reason(combo, reason):
    y = np.arange(40.0)
    scores = score_models(y, [tc.models.Naive(), combo], h=4, n_windows=2, season_length=1)
    assert np.isfinite(scores[0].mase)
    assert scores[1].mase == float("inf") and reason in scores[1].error


def test_a_failed_member_is_named():
    y = np.full(40, 5.0)  # ETS refuses a constant series
    combo = tc.models.Combination([tc.models.ETS(), tc.models.Naive()])
    (score,) = score_models(y, [combo], h=4, n_windows=2, season_length=1)
    assert score.mase == float("inf")
    assert score.error.startswith("member ETS failed:") and "constant" in score.error
