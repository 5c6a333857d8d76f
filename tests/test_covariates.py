"""Future-known covariates through TrendForecaster: fit, predict(X_df), update, CV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import LinearOnX


def promo_panel(n: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frames = []
    for i, effect in enumerate((30.0, 50.0)):
        promo = (rng.random(n) < 0.3).astype(float)
        y = 200 + 20 * i + effect * promo + rng.normal(0, 1, n)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"c{i}",
                    "ds": pd.date_range("2020-01-01", periods=n, freq="MS"),
                    "y": y,
                    "promo": promo,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def future_promo(values: dict[str, list[float]], start: str = "2024-01-01") -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": key,
                    "ds": pd.date_range(start, periods=len(v), freq="MS"),
                    "promo": v,
                }
            )
            for key, v in values.items()
        ],
        ignore_index=True,
    )


def test_future_values_drive_the_forecast():
    fc = tc.TrendForecaster(models=LinearOnX(), future_covariates=["promo"]).fit(promo_panel())
    out = fc.predict(3, X_df=future_promo({"c0": [0, 1, 0], "c1": [1, 1, 0]}))
    c0 = out.loc[out["unique_id"] == "c0", "mean"].to_numpy()
    c1 = out.loc[out["unique_id"] == "c1", "mean"].to_numpy()
    assert c0[1] - c0[0] == pytest.approx(30, abs=1.5)
    assert c1[0] - c1[2] == pytest.approx(50, abs=1.5)


def test_models_without_covariates_ignore_them_in_a_mixed_list():
    fc = tc.TrendForecaster(
        models=[tc.models.Naive(), LinearOnX()],
        future_covariates=["promo"],
        selection_margin=0.0,
    ).fit(promo_panel())
    # promotions explain the series, so the covariate model wins the backtest
    assert set(fc.fit_report_["model_used"]) == {"LinearOnX"}
    scores = fc.selection_report_.pivot(index="unique_id", columns="model", values="mase")
    assert (scores["LinearOnX"] < scores["Naive"]).all()
    out = fc.predict(2, X_df=future_promo({"c0": [0, 0], "c1": [0, 0]}))
    assert len(out) == 4


def test_missing_future_values_are_listed():
    fc = tc.TrendForecaster(models=LinearOnX(), future_covariates=["promo"]).fit(promo_panel())
    with pytest.raises(tc.DataValidationError, match="X_df=None"):
        fc.predict(2)
    with pytest.raises(tc.DataValidationError, match=r"'c1' 2024-02-01"):
        fc.predict(2, X_df=future_promo({"c0": [0, 0], "c1": [0]}))
    bad = future_promo({"c0": [0, 0], "c1": [0, np.nan]})
    with pytest.raises(tc.DataValidationError, match=r"promo.*no number"):
        fc.predict(2, X_df=bad)


def test_covariate_columns_are_checked_at_fit():
    df = promo_panel()
    with pytest.raises(tc.DataValidationError, match="lacks the covariate column 'price'"):
        tc.TrendForecaster(models=LinearOnX(), future_covariates=["price"]).fit(df)
    df.loc[5, "promo"] = np.nan
    with pytest.raises(tc.DataValidationError, match=r"Column 'promo'.*no number.*row 5"):
        tc.TrendForecaster(models=LinearOnX(), future_covariates=["promo"]).fit(df)
    with pytest.raises(ValueError, match="X_df was given"):
        tc.TrendForecaster(models=tc.models.Naive()).fit(promo_panel()).predict(
            1, X_df=future_promo({"c0": [0]})
        )


def test_update_and_cross_validation_carry_covariates():
    df = promo_panel()
    old = df[df["ds"] < "2023-07-01"]
    fc = tc.TrendForecaster(models=LinearOnX(), future_covariates=["promo"]).fit(old)
    fc.update(df)
    assert fc.models_["c0"].X_.shape == (48, 1)
    out = fc.predict(1, X_df=future_promo({"c0": [1], "c1": [1]}))
    assert out["ds"].iloc[0] == pd.Timestamp("2024-01-01")

    cv = tc.TrendForecaster(models=LinearOnX(), future_covariates=["promo"]).cross_validation(
        df, h=3, n_windows=2
    )
    errors = (cv["y"] - cv["mean"]).abs()
    assert errors.max() < 6  # the true promotions over each window were used


def test_calendar_features_reach_covariate_models_for_history_and_horizon():
    calendar = tc.ShoppingCalendar(country=None, events=["spring_festival"])
    dates = pd.date_range("2014-01-01", "2026-12-01", freq="MS")
    days = calendar.features(dates, "MS")["event_spring_festival"].to_numpy(dtype=float)
    rng = np.random.default_rng(0)
    y = 100 + 70 * days + rng.normal(0, 1, dates.size)  # the holiday moves Jan <-> Feb
    df = pd.DataFrame({"unique_id": "toys", "ds": dates, "y": y})
    fc = tc.TrendForecaster(models=LinearOnX(), calendar=calendar).fit(df)
    out = fc.predict(14).set_index("ds")["mean"]
    # Spring Festival falls on 2027-02-06 and 2028-01-26
    assert out["2027-02-01"] - out["2027-01-01"] == pytest.approx(70, abs=5)
    assert out["2028-01-01"] - out["2028-02-01"] == pytest.approx(70, abs=5)
    fc.update(
        pd.DataFrame({"unique_id": "toys", "ds": pd.to_datetime(["2027-01-01"]), "y": [100.0]})
    )
    assert fc.models_["toys"].X_.shape == (dates.size + 1, 1)
    with pytest.raises(TypeError, match="ShoppingCalendar"):
        tc.TrendForecaster(models=LinearOnX(), calendar="CN").fit(df)


def test_models_on_dates_get_each_categorys_real_start():
    df = promo_panel()
    fc = tc.TrendForecaster(models=tc.models.Prophet(uncertainty_samples=50)).fit(df)
    for model in fc.models_.values():
        assert pd.Timestamp(model.start) == pd.Timestamp("2020-01-01")
        assert model.freq == "MS"
    assert (fc.fit_report_["status"] == "ok").all()
