"""Issue 23: a slow mover is selected by a score that does not reward zero, and says why.

A weekly spare part selling about 0.42 units a week (80% of weeks without a
sale) was forecast ``Naive`` with a mean of 0 for every week: the selection
scored the sparse candidates by MASE, which rewards forecasting zero. Sparse
categories are now scored by RMSSE (scaled squared error), both scores are in
``selection_report_``, and ``fit_report_`` says why each category got its model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._engine.fitting import fit_series
from trendcast._engine.plan import Plan
from trendcast.models import IntermittentDemand, Naive, model_label


def slow_mover(seed: int = 96, n: int = 156) -> pd.DataFrame:
    """Weekly demand of a spare part: a sale in 1 week of 5, of 1 to a few units."""
    rng = np.random.default_rng(seed)
    sold = rng.random(n) < 0.2
    y = np.where(sold, rng.poisson(2.1, n).clip(1), 0).astype(float)
    ds = pd.date_range("2022-01-03", periods=n, freq="W-MON")
    return pd.DataFrame({"unique_id": "part", "ds": ds, "y": y})


def test_the_slow_mover_is_sparse_as_the_issue_says():
    y = slow_mover()["y"].to_numpy()
    kind = tc.models.classify_demand(y)
    assert kind.demand_class == "intermittent"
    assert 4.5 < kind.adi < 5.5
    assert 0.40 < y.mean() < 0.45 and 0.78 < np.mean(y == 0) < 0.82
    assert y[-1] == 0  # Naive forecasts zero


def test_a_slow_mover_gets_a_non_zero_forecast_selected_by_rmsse():
    sales = slow_mover()
    fc = tc.TrendForecaster().fit(sales)
    out = fc.predict(8)
    assert (out["mean"] > 0.2).all() and (out["mean"] < 0.8).all()
    row = fc.fit_report_.iloc[0]
    assert row["model_used"].startswith("IntermittentDemand")
    assert "sparse rule" in row["reason"] and "RMSSE" in row["reason"]
    rep = fc.selection_report_.set_index("model")
    # both scores are reported; the selection followed RMSSE, not MASE
    assert {"mase", "rmsse"} <= set(rep.columns)
    assert rep["mase"].idxmin() == "Naive"  # MASE would have picked the zero forecast
    chosen = rep[rep["selected"]]
    assert len(chosen) == 1 and chosen.index[0].startswith("IntermittentDemand")


def test_a_zero_forecast_that_wins_on_rmsse_is_kept_and_said():
    # demand stopped half-way through the last season: Naive (zero) has the lower RMSSE
    y = np.zeros(104)
    y[:78:3] = 4.0
    y[80] = 1.0
    plan = Plan(
        candidates=(IntermittentDemand(), Naive()),
        fallbacks=(Naive(),),
        season_length=52,
        backtest_horizon=13,
        backtest_windows=2,
        selection_margin=0.0,
        sparse_candidates=(IntermittentDemand(), Naive()),
    )
    fit = fit_series(y, plan)
    assert fit.used == "Naive"
    text = "; ".join(fit.reasons)
    assert "forecasts zero although it sold" in text and "RMSSE" in text
    assert len(fit.rmsse) == 2 and fit.rmsse[1] < fit.rmsse[0]


def test_every_category_has_a_reason_and_a_short_label():
    sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    monthly = slow_mover().iloc[:120].assign(ds=pd.date_range("2015-01-01", periods=120, freq="MS"))
    fc = tc.TrendForecaster().fit(pd.concat([sales, monthly], ignore_index=True))
    rep = fc.fit_report_.set_index("unique_id")
    assert (rep["reason"].str.len() > 0).all()
    assert rep.loc["448", "reason"].startswith("chosen by backtest MASE")
    assert rep.loc["part", "reason"].startswith("sparse rule")
    # the short label beside the full specification, which keeps its meaning
    assert (rep["label"].str.len() <= 45).all()
    assert rep.loc["448", "model_used"].startswith("MedianCombination(ETS(")
    assert len(rep.loc["448", "model_used"]) > 80
    assert rep.loc["448", "label"] == "median(ETS,ARIMA,Theta,DOTM,CES,Pooled)"
    assert rep.loc["448", "label"] == model_label(rep.loc["448", "model_used"])


@pytest.mark.parametrize(
    ("name", "label"),
    [
        (
            "MedianCombination(ETS(A,Ad,N),ARIMA(1,1,0)(0,1,1)[12],Theta,DynamicTheta,"
            "CES(simple),PooledRegression)",
            "median(ETS,ARIMA,Theta,DOTM,CES,Pooled)",
        ),
        ("Combination(ETS(M,A,M),Theta)", "mean(ETS,Theta)"),
        ("ETS(A,Ad,N)", "ETS(A,Ad,N)"),
        ("IntermittentDemand(SBA)", "Intermittent(SBA)"),
        ("ARIMA(2,1,1)(0,1,1)[12] with drift and more", "ARIMA"),
        ("ARIMA(1,1,0)+[search lag 2]", "ARIMA(1,1,0)+search"),
        ("Naive", "Naive"),
    ],
)
def test_model_label(name, label):
    assert model_label(name) == label
