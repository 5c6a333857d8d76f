"""TrendForecaster: selection, fallbacks, output shape, parallel determinism, CV."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel
from trendcast.models import LocalModel, ModelForecast, ModelTags

COLS = ["unique_id", "ds", "model", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]


def fast_models():
    return [tc.models.SeasonalNaive(), tc.models.Naive()]


def test_predict_output_columns_dates_and_order(panel):
    fc = tc.TrendForecaster(models=fast_models()).fit(panel)
    out = fc.predict(h=6)
    assert list(out.columns) == COLS
    assert len(out) == 3 * 6
    assert out["unique_id"].tolist() == sorted(out["unique_id"].tolist())
    first = out[out["unique_id"] == "s0"]["ds"]
    assert first.iloc[0] == panel["ds"].max() + pd.offsets.MonthBegin(1)
    assert (first.diff().dropna().dt.days.between(28, 31)).all()
    assert pd.api.types.is_datetime64_any_dtype(out["ds"])


def test_levels_asked_for_are_the_columns(panel):
    out = tc.TrendForecaster(models=tc.models.Naive()).fit(panel).predict(3, level=[50, 99])
    assert list(out.columns)[3:] == ["mean", "lo-50", "hi-50", "lo-99", "hi-99"]
    with pytest.raises(ValueError, match="level"):
        tc.TrendForecaster(models=tc.models.Naive()).fit(panel).predict(3, level=[100])


def test_caller_column_names_in_output(panel):
    df = panel.rename(columns={"unique_id": "category", "ds": "month", "y": "sales"})
    fc = tc.TrendForecaster(
        models=tc.models.Naive(), id_col="category", time_col="month", target_col="sales"
    )
    out = fc.fit(df).predict(2)
    assert list(out.columns[:2]) == ["category", "month"]
    assert "category" in fc.fit_report_.columns


def test_weekly_anchor_is_kept_in_future_dates():
    df = make_panel(n_series=1, n=120, freq="W-WED", start="2022-01-05", season_length=52)
    out = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(df).predict(4)
    assert (out["ds"].dt.day_name() == "Wednesday").all()
    assert out["ds"].iloc[0] == df["ds"].max() + pd.Timedelta(days=7)


def test_same_output_whatever_n_jobs(panel):
    big = pd.concat(
        [
            make_panel(n_series=3, seed=s).assign(unique_id=lambda d, s=s: d["unique_id"] + f"-{s}")
            for s in range(3)
        ]
    )
    a = tc.TrendForecaster(models="auto", n_jobs=1).fit(big).predict(4)
    b = tc.TrendForecaster(models="auto", n_jobs=2).fit(big).predict(4)
    pd.testing.assert_frame_equal(a, b)


def test_selection_picks_the_known_best_model():
    rng = np.random.default_rng(0)
    n = 96
    t = np.arange(n)
    periodic = 100 + 30 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)
    walk = 500 + np.cumsum(rng.normal(0, 5, n))
    df = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": "periodic",
                    "ds": pd.date_range("2015-01-01", periods=n, freq="MS"),
                    "y": periodic,
                }
            ),
            pd.DataFrame(
                {
                    "unique_id": "walk",
                    "ds": pd.date_range("2015-01-01", periods=n, freq="MS"),
                    "y": walk,
                }
            ),
        ]
    )
    fc = tc.TrendForecaster(models=fast_models(), selection_margin=0.0).fit(df)
    used = fc.fit_report_.set_index("unique_id")["model_used"]
    assert used["periodic"] == "SeasonalNaive"
    assert used["walk"] == "Naive"
    rep = fc.selection_report_
    assert set(rep.columns) == {"unique_id", "model", "mase", "error", "selected"}
    assert rep.groupby("unique_id")["selected"].sum().eq(1).all()
    chosen = rep[rep["selected"]].set_index("unique_id")["model"]
    assert chosen.to_dict() == {"periodic": "SeasonalNaive", "walk": "Naive"}


def test_the_final_fit_keeps_the_ets_form_and_searches_arima_again():
    # after the backtest the chosen model is fitted on all the data from its
    # refit_copy: ETS keeps the form found before the first backtest window,
    # ARIMA searches its orders again, from those it found (on these two categories
    # both differ between the data before the first window and all the data)
    raw = tc.datasets.load_us_retail(categories=["4413", "448"])
    df = pd.concat([raw[raw["unique_id"] == "4413"].tail(120), raw[raw["unique_id"] == "448"]])
    models = tc.models
    combo = models.Combination([models.ETS(), models.ARIMA()])
    fc = tc.TrendForecaster(models=combo).fit(df)
    for key, family in (("4413", "ARIMA"), ("448", "ETS")):
        y = df.loc[df["unique_id"] == key, "y"].to_numpy()
        first = y.size - 18  # 3 backtest windows of 6 months
        cls = getattr(models, family)
        before = cls(season_length=12).fit(y[:first]).name
        searched = cls(season_length=12).fit(y).name
        assert before != searched
        (member,) = [m for m in fc.models_[key].models_ if m.family == family]
        assert member.name == (searched if family == "ARIMA" else before)


def test_rank_keeps_the_default_unless_clearly_beaten():
    from trendcast.forecaster import _rank

    inf = float("inf")
    assert _rank(np.array([1.0, 0.95, 2.0]), 0.1) == [0, 1, 2]  # 5% better: keep default
    assert _rank(np.array([1.0, 0.85, 2.0]), 0.1) == [1, 0, 2]  # 15% better: switch
    assert _rank(np.array([1.0, 0.95, 2.0]), 0.0) == [1, 0, 2]  # no margin: argmin
    assert _rank(np.array([inf, 3.0, 2.0]), 0.1) == [2, 1, 0]  # failed default goes last


def test_rank_asks_a_challenger_to_win_every_backtest_window():
    from trendcast.forecaster import _rank

    mase = np.array([1.0, 0.5, 0.7])
    steady = [np.array([1.0, 1.0, 1.0]), np.array([0.5, 0.5, 0.5]), np.array([0.7, 0.7, 0.7])]
    assert _rank(mase, 0.2, steady) == [1, 2, 0]
    # the best score comes from two lucky windows and one lost: the next best
    # candidate, better in every window and by more than the margin, wins
    lucky = [steady[0], np.array([0.2, 0.2, 1.1]), steady[2]]
    assert _rank(mase, 0.2, lucky) == [2, 1, 0]
    # nobody wins every window: the default stays
    both = [steady[0], lucky[1], np.array([0.3, 0.7, 1.1])]
    assert _rank(mase, 0.2, both) == [0, 1, 2]
    # margin 0 ranks by the total score alone, as documented
    assert _rank(mase, 0.0, both) == [1, 2, 0]
    # windows unknown (a failed backtest): the margin alone decides
    assert _rank(mase, 0.2, [steady[0], None, None]) == [1, 2, 0]


def test_selection_margin_decides_between_close_candidates():
    rng = np.random.default_rng(1)
    n = 96
    t = np.arange(n)
    y = 100 + 30 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.5, n)
    df = pd.DataFrame(
        {"unique_id": "p", "ds": pd.date_range("2015-01-01", periods=n, freq="MS"), "y": y}
    )
    # Naive listed first is the default, but seasonal naive is far better: it wins
    fc = tc.TrendForecaster(models=[tc.models.Naive(), tc.models.SeasonalNaive()]).fit(df)
    assert fc.fit_report_["model_used"].iloc[0] == "SeasonalNaive"
    # with an absurd margin the default is kept whatever the backtest says
    fc = tc.TrendForecaster(
        models=[tc.models.Naive(), tc.models.SeasonalNaive()], selection_margin=0.99
    ).fit(df)
    assert fc.fit_report_["model_used"].iloc[0] == "Naive"
    assert fc.selection_report_.set_index("model").loc["Naive", "selected"]


def test_auto_uses_the_nine_candidates_and_reports_scores(retail_small):
    fc = tc.TrendForecaster(models="auto", n_jobs=2).fit(retail_small)
    rep = fc.selection_report_
    families = set(rep["model"].str.split("(").str[0])
    assert families == {
        "ETS",
        "ARIMA",
        "Theta",
        "DynamicTheta",
        "CES",
        "MedianCombination",
        "Combination",
        "SeasonalNaive",
        "Naive",
    }
    assert rep.groupby("unique_id").size().eq(9).all()
    # per category: the median of ETS, ARIMA, Theta, DynamicTheta and CES, and the mean
    # of ETS and Theta
    median = rep.loc[rep["model"].str.startswith("MedianCombination("), "model"]
    mean = rep.loc[rep["model"].str.startswith("Combination("), "model"]
    assert median.str.contains("ARIMA(", regex=False).all()
    assert median.str.contains("DynamicTheta").all()
    assert median.str.contains("CES(", regex=False).all()
    assert not mean.str.contains("ARIMA|DynamicTheta|CES").any()
    # auto's ETS trends are damped (ETS(damped=True)): trends show as Ad, never as A
    forms = rep["model"].str.extractall(r"ETS\(([AM]),(N|A|Ad),([NAM])\)")[1]
    assert (forms == "Ad").any()
    assert not (forms == "A").any()
    n_categories = retail_small["unique_id"].nunique()
    assert len(median) == len(mean) == n_categories
    assert (fc.fit_report_["status"] == "ok").all()


def test_short_series_fall_back_and_are_reported(panel):
    short = pd.DataFrame(
        {
            "unique_id": "short",
            "ds": pd.date_range("2023-01-01", periods=3, freq="MS"),
            "y": [5.0, 6.0, 7.0],
        }
    )
    df = pd.concat([panel, short], ignore_index=True)
    with pytest.warns(tc.FallbackWarning, match="1 category fell back"):
        fc = tc.TrendForecaster(models=tc.models.ETS()).fit(df)
    rep = fc.fit_report_.set_index("unique_id")
    assert rep.loc["short", "status"] == "fallback"
    assert rep.loc["short", "model_tried"] == "ETS"
    assert rep.loc["short", "model_used"] == "Naive"
    assert "at least" in rep.loc["short", "reason"]
    assert (rep.drop(index="short")["status"] == "ok").all()
    out = fc.predict(2)
    assert out[out["unique_id"] == "short"]["model"].eq("Naive").all()


def test_constant_series_fall_back_along_the_chain(panel):
    flat = pd.DataFrame(
        {"unique_id": "flat", "ds": pd.date_range("2019-01-01", periods=40, freq="MS"), "y": 7.0}
    )
    with pytest.warns(tc.FallbackWarning):
        fc = tc.TrendForecaster(models=tc.models.ETS()).fit(pd.concat([panel, flat]))
    row = fc.fit_report_.set_index("unique_id").loc["flat"]
    assert row["model_used"] == "SeasonalNaive"
    assert "ETS" in row["reason"] and "Theta" in row["reason"] and "constant" in row["reason"]
    out = fc.predict(3)
    assert np.allclose(out[out["unique_id"] == "flat"][["mean", "lo-95", "hi-95"]], 7.0)


def test_single_observation_is_skipped_not_fatal(panel):
    one = pd.DataFrame({"unique_id": "one", "ds": [pd.Timestamp("2023-01-01")], "y": [3.0]})
    with pytest.warns(tc.FallbackWarning, match="1 category was skipped"):
        fc = tc.TrendForecaster(models="auto").fit(pd.concat([panel, one]))
    assert fc.fit_report_.set_index("unique_id").loc["one", "status"] == "skipped"
    out = fc.predict(2)
    assert "one" not in set(out["unique_id"]) and out["unique_id"].nunique() == 3


def test_fallback_model_parameter_is_used(panel):
    short = pd.DataFrame(
        {
            "unique_id": "short",
            "ds": pd.date_range("2023-01-01", periods=5, freq="MS"),
            "y": [5.0, 6.0, 7.0, 6.0, 8.0],
        }
    )
    with pytest.warns(tc.FallbackWarning):
        fc = tc.TrendForecaster(
            models=tc.models.SeasonalNaive(), fallback_model=tc.models.Theta()
        ).fit(pd.concat([panel, short]))
    assert fc.fit_report_.set_index("unique_id").loc["short", "model_used"] == "Theta"


class _BreaksAtPredict(LocalModel):
    """A real (if unhelpful) model: fits, then cannot forecast beyond 2 steps."""

    family = "Fragile"

    def tags(self) -> ModelTags:
        return ModelTags(min_length=2)

    def _fit(self, y, X):
        self.level_ = float(y[-1])

    def _predict(self, h, X_future, levels):
        if h > 2:
            raise tc.ModelFitError("cannot forecast beyond 2 steps")
        return ModelForecast.from_normal(np.full(h, self.level_), np.ones(h), levels)


def test_a_model_failing_at_predict_falls_back_and_is_recorded(panel):
    fc = tc.TrendForecaster(models=_BreaksAtPredict()).fit(panel)
    assert (fc.fit_report_["status"] == "ok").all()
    assert fc.predict(2)["model"].eq("Fragile").all()
    with pytest.warns(tc.FallbackWarning, match="at predict time"):
        out = fc.predict(6)
    assert out["model"].eq("Theta").all()
    assert fc.fit_report_["status"].eq("fallback").all()
    assert fc.fit_report_["reason"].str.contains("beyond 2 steps").all()


def test_forecasts_are_clipped_at_zero_unless_negative_allowed():
    y = np.r_[np.linspace(40, 2, 30)]
    df = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=30, freq="MS"), "y": y}
    )
    clipped = tc.TrendForecaster(models=tc.models.Theta()).fit(df).predict(12)
    assert clipped[["mean", "lo-95"]].min().min() == 0.0
    free = tc.TrendForecaster(models=tc.models.Theta(), allow_negative=True).fit(df).predict(12)
    assert free["lo-95"].min() < 0


def test_not_fitted_and_bad_arguments(panel):
    with pytest.raises(tc.NotFittedError):
        tc.TrendForecaster().predict(3)
    with pytest.raises(ValueError, match="models="):
        tc.TrendForecaster(models="best").fit(panel)
    with pytest.raises(ValueError, match="model instances"):
        tc.TrendForecaster(models=["ETS"]).fit(panel)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="h must be"):
        tc.TrendForecaster(models=tc.models.Naive()).fit(panel).predict(0)


def test_fit_validates_like_read_sales(panel):
    bad = panel.copy()
    bad.loc[3, "y"] = -1.0
    with pytest.raises(tc.DataValidationError, match="negative"):
        tc.TrendForecaster().fit(bad)


def test_fit_does_not_mutate_the_callers_frame(panel):
    before = panel.copy()
    tc.TrendForecaster(models=fast_models()).fit(panel)
    pd.testing.assert_frame_equal(panel, before)


def test_cross_validation_windows_actuals_and_no_leakage(panel):
    fc = tc.TrendForecaster(models=tc.models.Naive())
    cv = fc.cross_validation(panel, h=4, n_windows=3)
    assert list(cv.columns) == [
        "unique_id",
        "ds",
        "cutoff",
        "model",
        "mean",
        "lo-80",
        "hi-80",
        "lo-95",
        "hi-95",
        "y",
    ]
    assert len(cv) == 3 * 3 * 4
    s0 = panel[panel["unique_id"] == "s0"].set_index("ds")["y"]
    for cutoff, w in cv[cv["unique_id"] == "s0"].groupby("cutoff"):
        assert (w["ds"] > cutoff).all()
        np.testing.assert_allclose(w["y"], s0.loc[w["ds"]].to_numpy())
        # naive forecast = last value at the cutoff: only data up to the cutoff was used
        np.testing.assert_allclose(w["mean"], s0.loc[cutoff])
    last_cut = cv["cutoff"].max()
    assert last_cut == panel["ds"].max() - pd.DateOffset(months=4)


def test_cross_validation_step_size_and_short_series(panel):
    short = pd.DataFrame(
        {"unique_id": "short", "ds": pd.date_range("2023-01-01", periods=5, freq="MS"), "y": 1.0}
    )
    fc = tc.TrendForecaster(models=tc.models.Naive())
    cv = fc.cross_validation(pd.concat([panel, short]), h=3, n_windows=2, step_size=1)
    cuts = sorted(cv[cv["unique_id"] == "s0"]["cutoff"].unique())
    assert (cuts[1] - cuts[0]).days in range(28, 32)
    assert "short" not in set(cv["unique_id"])
    assert "short" in set(fc.cv_report_["unique_id"])


def test_progress_bar_does_not_change_results(panel, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = tc.TrendForecaster(models=fast_models(), progress=True).fit(panel).predict(3)
    b = tc.TrendForecaster(models=fast_models()).fit(panel).predict(3)
    pd.testing.assert_frame_equal(a, b)
    assert "fitting" in capsys.readouterr().err


def test_bad_selection_margin(panel):
    with pytest.raises(ValueError, match="selection_margin"):
        tc.TrendForecaster(selection_margin=1.5).fit(panel)


def test_trend_forecaster_clones_like_an_estimator():
    from sklearn.base import clone

    fc = tc.TrendForecaster(models=tc.models.Theta(), n_jobs=2, selection_margin=0.3)
    twin = clone(fc)
    assert twin.get_params()["selection_margin"] == 0.3
    assert "n_jobs=2" in repr(fc)


def test_yearly_data_scores_naive_once():
    df = make_panel(n_series=1, n=30, freq="YS-JAN", start="1990-01-01", season_length=1)
    fc = tc.TrendForecaster().fit(df)
    assert fc.season_length_ == 1 and fc.freq_ == "YS-JAN"
    assert "SeasonalNaive" not in set(fc.selection_report_["model"])
    assert len(fc.predict(3)) == 3


def test_auto_sends_sparse_categories_to_the_intermittent_models():
    rng = np.random.default_rng(4)
    n = 96
    sparse = np.where(rng.random(n) < 0.3, rng.poisson(6, n) + 1.0, 0.0)
    dense = 100 + 10 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(0, 2, n)
    dates = pd.date_range("2017-01-01", periods=n, freq="MS")
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": "sparse", "ds": dates, "y": sparse}),
            pd.DataFrame({"unique_id": "dense", "ds": dates, "y": dense}),
        ]
    )
    fc = tc.TrendForecaster().fit(df)
    scored = fc.selection_report_.groupby("unique_id")["model"].apply(set)
    assert any(m.startswith("IntermittentDemand") for m in scored["sparse"])
    assert not any(m.startswith("IntermittentDemand") for m in scored["dense"])
    used = fc.fit_report_.set_index("unique_id")["model_used"]
    assert used["sparse"].startswith("IntermittentDemand")
    out = fc.predict(6).set_index("unique_id")
    # a demand rate, not a zero: about the mean demand per period
    assert out.loc["sparse", "mean"].mean() == pytest.approx(sparse.mean(), rel=0.5)


def test_a_combination_without_members_falls_back_with_its_reason(retail_small):
    sales = retail_small[retail_small["unique_id"] == "448"]
    with pytest.warns(tc.FallbackWarning):
        fc = tc.TrendForecaster(models=tc.models.Combination([])).fit(sales)
    row = fc.fit_report_.iloc[0]
    assert row["status"] == "fallback" and "at least two models" in row["reason"]
