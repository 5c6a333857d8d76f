"""trendcast's estimator protocol (``trendcast._params.Params``) without importing scikit-learn.

Models, ``TrendForecaster`` and ``ShoppingCalendar`` no longer inherit
scikit-learn's ``BaseEstimator`` (its import was most of a fresh process's
load-and-predict time); ``get_params``, ``set_params``, ``repr`` and ``clone``
must behave as they did. The expected reprs below were printed by
scikit-learn 1.9's ``BaseEstimator.__repr__`` when the classes inherited it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV

import trendcast as tc
from trendcast import models as M
from trendcast._params import Params, is_sklearn_estimator
from trendcast._params import clone as our_clone
from trendcast.calendar import ShoppingCalendar


def _median(**more):
    return M.Combination(
        [
            M.ETS(damped=True, season_length=12, model="MNM"),
            M.ARIMA(season_length=12, search_start=(1, 0, 1, 0), max_p=3),
            M.Theta(season_length=12),
            M.DynamicTheta(season_length=12),
            M.CES(season_length=12, seasonality="full"),
            M.PooledRegression(season_length=12),
        ],
        method="median",
        **more,
    )


REPRS = [
    (lambda: M.ETS(), "ETS()"),
    (lambda: M.ETS(season_length=12, damped=True, model="MAM"),
     "ETS(damped=True, model='MAM', season_length=12)"),
    (lambda: M.ARIMA(order=(1, 1, 0), seasonal_order=(0, 1, 1), season_length=12,
                     search_start=(1, 0, 1, 0)),
     "ARIMA(order=(1, 1, 0), search_start=(1, 0, 1, 0), season_length=12,\n"
     "      seasonal_order=(0, 1, 1))"),
    (lambda: M.Theta(theta=2.5, season_length=np.int64(12)),
     "Theta(season_length=np.int64(12), theta=2.5)"),
    (lambda: M.WindowAverage(window=float("nan")), "WindowAverage(window=nan)"),
    (lambda: M.RegressionModel(estimator=RidgeCV(alphas=(0.1, 1.0, 10.0))),
     "RegressionModel(estimator=RidgeCV())"),
    (lambda: M.PooledRegression(
        estimator=HistGradientBoostingRegressor(max_iter=50, learning_rate=0.2)),
     "PooledRegression(estimator=HistGradientBoostingRegressor(learning_rate=0.2,\n"
     "                                                         max_iter=50))"),
    (lambda: M.Combination([M.ETS(damped=True), M.Theta()]),
     "Combination(models=[ETS(damped=True), Theta()])"),
    (lambda: M.Combination([M.ETS(damped=True), M.ARIMA(), M.Theta(), M.DynamicTheta(),
                            M.CES(), M.PooledRegression()], method="median"),
     "Combination(method='median',\n"
     "            models=[ETS(damped=True), ARIMA(), Theta(), DynamicTheta(), CES(),\n"
     "                    PooledRegression()])"),
    (_median,
     "Combination(method='median',\n"
     "            models=[ETS(damped=True, model='MNM', season_length=12),\n"
     "                    ARIMA(max_p=3, search_start=(1, 0, 1, 0), season_length=12),\n"
     "                    Theta(season_length=12), DynamicTheta(season_length=12),\n"
     "                    CES(season_length=12, seasonality='full'),\n"
     "                    PooledRegression(season_length=12)])"),
    (lambda: ShoppingCalendar(country="US", events=["black_friday", "cyber_monday"]),
     "ShoppingCalendar(country='US', events=['black_friday', 'cyber_monday'])"),
    (lambda: tc.TrendForecaster(), "TrendForecaster()"),
    (lambda: tc.TrendForecaster(models="auto", n_jobs=2), "TrendForecaster(n_jobs=2)"),
    (lambda: tc.TrendForecaster(
        models=[M.ETS(season_length=12), M.ARIMA(), M.Theta(), M.SeasonalNaive(season_length=12)],
        selection_margin=0.3, calendar=ShoppingCalendar(country="US")),
     "TrendForecaster(calendar=ShoppingCalendar(country='US'), models=[ETS(season_length=12), "
     "ARIMA(), Theta(), SeasonalNaive(season_length=12)], selection_margin=0.3)"),
    (lambda: tc.TrendForecaster(models=[_median(), M.ETS(), M.Naive()],
                                past_covariates=["search_interest", "price_index"],
                                future_covariates=["promo"], backtest_windows=5),
     "TrendForecaster(backtest_windows=5, future_covariates=['promo'], "
     "models=[Combination(method='median', models=[ETS(damped=True, model='MNM', "
     "season_length=12), ARIMA(max_p=3, search_start=(1, 0, 1, 0), season_length=12), "
     "Theta(season_length=12), DynamicTheta(season_length=12), CES(season_length=12, "
     "seasonality='full'), PooledRegression(season_length=12)]), ETS(), Naive()], "
     "past_covariates=['search_interest', 'price_index'])"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "expected"), REPRS)
def test_repr_is_what_scikit_learns_printer_gave(make, expected):
    assert repr(make()) == expected


def test_every_model_is_ours_and_none_is_a_scikit_learn_estimator():
    for cls in M.REGISTRY:
        model = cls()
        assert isinstance(model, Params) and not isinstance(model, BaseEstimator)
        assert repr(model) == f"{cls.__name__}()"
        assert not is_sklearn_estimator(model)
    assert not is_sklearn_estimator(tc.TrendForecaster())
    assert not is_sklearn_estimator(M.ETS)  # a class is no estimator
    assert not is_sklearn_estimator(np.zeros(3))
    assert is_sklearn_estimator(RidgeCV())
    assert is_sklearn_estimator(HistGradientBoostingRegressor())


def test_deep_params_and_nested_set_params():
    model = M.RegressionModel(estimator=RidgeCV(alphas=(0.1, 1.0)))
    params = model.get_params(deep=True)
    assert params["estimator__alphas"] == (0.1, 1.0)
    assert set(model.get_params(deep=False)) < set(params)
    assert model.set_params(estimator__alphas=(5.0,), season_length=7) is model
    assert model.estimator.alphas == (5.0,)
    assert model.season_length == 7
    fc = tc.TrendForecaster(calendar=ShoppingCalendar(country="US"))
    fc.set_params(calendar__country="CN")
    assert fc.get_params()["calendar__country"] == "CN"


def test_set_params_refuses_unknown_names_as_scikit_learn_does():
    with pytest.raises(ValueError, match=r"Invalid parameter 'alpha' for estimator ETS\(\)"):
        M.ETS().set_params(alpha=0.3)
    with pytest.raises(ValueError, match="Valid parameters are: \\['damped', 'model'"):
        M.ETS().set_params(alpha=0.3)
    assert M.ETS().set_params() is not None  # nothing to set: no error


@pytest.mark.parametrize("cloner", [clone, our_clone], ids=["sklearn.clone", "trendcast.clone"])
def test_clone_copies_parameters_not_fits(cloner):
    model = _median()
    y = 100 + 10 * np.sin(np.arange(48) / 12 * 2 * np.pi)
    fitted = M.ETS(season_length=12).fit(y)
    twin = cloner(fitted)
    assert type(twin) is M.ETS and not hasattr(twin, "y_")
    assert twin.get_params() == fitted.get_params()
    copy = cloner(model)
    assert repr(copy) == repr(model)
    assert copy.models is not model.models and copy.models[0] is not model.models[0]
    reg = M.RegressionModel(estimator=RidgeCV(alphas=(0.1, 1.0)))
    again = cloner(reg)
    assert again.estimator is not reg.estimator and again.estimator.alphas == (0.1, 1.0)
    assert cloner([M.Naive(), M.Drift()])[1].get_params() == {}


def test_clone_refuses_what_is_not_an_estimator():
    with pytest.raises(TypeError, match="get_params"):
        our_clone(object())
    assert our_clone({"a": [1, 2]}, safe=False) == {"a": [1, 2]}


def test_a_constructor_that_changes_its_argument_cannot_be_cloned():
    class Rounding(Params):
        def __init__(self, value: float = 1.0) -> None:
            self.value = round(value, 1)

    with pytest.raises(RuntimeError, match="modifies parameter value"):
        our_clone(Rounding(1.234))


def test_models_pickle_without_a_scikit_learn_version():
    import pickle

    model = M.ETS(season_length=12)
    again = pickle.loads(pickle.dumps(model))
    assert again.get_params() == model.get_params()
    assert "_sklearn_version" not in again.__dict__


def test_scikit_learn_tags_are_its_defaults():
    from sklearn.utils import get_tags

    assert get_tags(M.ETS()) == get_tags(BaseEstimator())


def test_load_and_predict_import_neither_scikit_learn_nor_scipy_stats(tmp_path: Path):
    # a fresh process: what `trendcast serve` and `tc.load(path).predict` pay for
    y = 100 + 10 * np.sin(np.arange(48) / 12 * 2 * np.pi) + np.arange(48)
    frame = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 48),
            "ds": np.tile(pd.date_range("2020-01-01", periods=48, freq="MS"), 2),
            "y": np.concatenate([y, y * 1.1]),
        }
    )
    models = [M.ETS(season_length=12), M.SeasonalNaive(season_length=12)]
    path = tc.TrendForecaster(models=models).fit(frame).save(tmp_path / "fc")
    code = textwrap.dedent(
        f"""
        import sys
        import trendcast as tc
        fc = tc.load({str(path)!r})
        print(fc.predict(3, ids=["a"])["mean"].round(6).tolist())
        print(sorted(m for m in ("sklearn", "scipy.stats", "statsmodels") if m in sys.modules))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    means, heavy = out.stdout.strip().splitlines()
    assert heavy == "[]"
    assert len(ast.literal_eval(means)) == 3
