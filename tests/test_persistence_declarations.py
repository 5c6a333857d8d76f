"""The persistence allow-list, as the model classes declare it, is the one format 1 wrote.

``ALLOWED_MODELS`` used to be one literal table in ``persistence.py``; each model
class now declares its saved state (``_saved_name``, ``_saved_state``) and the
table is built from those declarations. ``_FORMAT_1_TABLE`` is a verbatim copy
of the literal table as it stood before the move: if the built table ever
differs, a model's saved state changed and files of format 1 would no longer
read the same.
"""

from __future__ import annotations

import pytest

import trendcast as tc
from trendcast.models import (
    ARIMA,
    CES,
    ETS,
    REGISTRY,
    SBA,
    TSB,
    ColdStart,
    Combination,
    Croston,
    Drift,
    DynamicTheta,
    IntermittentDemand,
    LocalModel,
    Naive,
    PooledRegression,
    Prophet,
    RegressionModel,
    SeasonalNaive,
    Theta,
    WindowAverage,
)
from trendcast.persistence import ALLOWED_MODELS, ALLOWED_OBJECTS, FORMAT_VERSION

_CROSTON_STATE = {
    "alpha_": "float",
    "size_": "float",
    "interval_": "float",
    "since_demand_": "int",
    "size_ratios_": "array",
}

# copied from src/trendcast/persistence.py as it was before the declarations moved
_FORMAT_1_TABLE: dict[str, tuple[type[LocalModel], dict[str, str]]] = {
    "trendcast.Naive": (Naive, {"sigma_": "float"}),
    "trendcast.SeasonalNaive": (SeasonalNaive, {"sigma_": "float"}),
    "trendcast.ETS": (
        ETS,
        {"form_": "tuple", "params_": "array", "aicc_": "float", "converged_": "bool"},
    ),
    "trendcast.Theta": (
        Theta,
        {
            "b0": "float",
            "alpha": "float",
            "one_step": "float",
            "seasonal": "array",
            "method": "str",
            "deseasonalize": "bool",
            "period": "int",
            # observations the line was fitted on (the last eight seasons of a longer
            # seasonal history); see _MAY_BE_MISSING
            "n_fit": "int",
            # the interval variance comes from the seasonally adjusted series (the
            # fix of 2026-11-29); see _MAY_BE_MISSING
            "adjusted_errors": "bool",
        },
    ),
    "trendcast.DynamicTheta": (
        DynamicTheta,
        {
            "alpha_": "float",
            "theta_": "float",
            "level0_": "float",
            "seasonal_": "array",
            "multiplicative_": "bool",
            "sigma2_": "float",
        },
    ),
    "trendcast.CES": (
        CES,
        {
            "seasonality_": "str",
            "params_": "array",
            "init_states_": "array",
            "aicc_": "float",
            "sigma2_": "float",
        },
    ),
    "trendcast.Combination": (Combination, {"models_": "models"}),
    "trendcast.Drift": (Drift, {"drift_": "float", "sigma_": "float", "drift_se_": "float"}),
    "trendcast.WindowAverage": (WindowAverage, {"sigma_": "float"}),
    "trendcast.Croston": (Croston, _CROSTON_STATE),
    "trendcast.SBA": (SBA, _CROSTON_STATE),
    "trendcast.TSB": (
        TSB,
        {
            "probability_init_": "float",
            "alpha_": "float",
            "beta_": "float",
            "size_": "float",
            "probability_": "float",
            "size_ratios_": "array",
        },
    ),
    "trendcast.IntermittentDemand": (
        IntermittentDemand,
        {"demand_class_": "tuple", "reason_": "str", "model_": "model"},
    ),
    "trendcast.ARIMA": (
        ARIMA,
        {
            "params_": "array",
            "arima_order_": "tuple",
            "seasonal_arima_order_": "tuple",
            "constant_": "bool",
            "has_covariates_": "bool",
            "aicc_": "float",
            "converged_": "bool",
        },
    ),
    "trendcast.Prophet": (
        Prophet,
        {"freq_": "str", "first_date_": "timestamp", "model_": "prophet", "regressors_": "strs"},
    ),
}

_FORMAT_1_TABLE["trendcast.RegressionModel"] = (
    RegressionModel,
    {
        "lags_": "ints",
        "memory_": "int",
        "log_": "bool",
        "d_": "int",
        "estimator_": "sklearn",
        "scale_": "float",
        "x_scale_": "float|array",
        "bounds_": "tuple",
        "models_": "sklearns",
        "relative_": "bool",
        "step_scale_": "array",
        "scores_": "array",
        "residuals_": "array",
    },
)

_FORMAT_1_TABLE["trendcast.PooledRegression"] = (PooledRegression, {"pool_": "pool"})
# added with issue 23 (SKU-level demand): the cold-start model of short categories
_FORMAT_1_TABLE["trendcast.ColdStart"] = (ColdStart, {"level_": "float", "table_": "array"})


def test_the_built_allow_list_is_the_format_1_table():
    assert ALLOWED_MODELS == _FORMAT_1_TABLE
    # the order of each model's state is the order its attributes are written in
    for name, (_, state) in _FORMAT_1_TABLE.items():
        assert list(ALLOWED_MODELS[name][1]) == list(state), name


def test_every_shipped_model_declares_its_saved_state_itself():
    names = [cls.__dict__.get("_saved_name") for cls in REGISTRY]
    assert all(isinstance(n, str) for n in names)
    assert len(set(names)) == len(names) == len(ALLOWED_MODELS)
    for cls in REGISTRY:
        assert ALLOWED_MODELS[cls._saved_name] == (cls, cls._saved_state)


def test_no_model_class_declares_a_name_outside_the_registry():
    def walk(cls: type) -> list[type]:
        return [cls, *(c for sub in cls.__subclasses__() for c in walk(sub))]

    shipped = [c for c in walk(LocalModel) if c.__module__.startswith("trendcast.models.")]
    declaring = {c for c in shipped if c.__dict__.get("_saved_name") is not None}
    assert declaring == set(REGISTRY)


def test_a_subclass_does_not_inherit_a_place_on_the_allow_list(tmp_path):
    class MyNaive(Naive):
        pass

    assert MyNaive._saved_name == "trendcast.Naive"  # inherited, but not listed for MyNaive
    assert all(cls is not MyNaive for cls, _ in ALLOWED_MODELS.values())
    fc = tc.TrendForecaster(models=MyNaive()).fit(tc.datasets.load_us_retail(categories=["448"]))
    with pytest.raises(tc.PersistenceError, match="allow_pickle=True"):
        fc.save(tmp_path / "mine")


def test_every_declared_kind_is_one_the_reader_checks():
    from trendcast.persistence._allowlists import _KIND_CHECKS

    kinds = {kind for _, state in ALLOWED_MODELS.values() for kind in state.values()}
    assert kinds <= set(_KIND_CHECKS)


def test_public_names():
    import trendcast.persistence as persistence

    # save and load are TrendForecaster.save and trendcast.load; persistence maps
    # (parameters, state) to files and back and knows nothing of the forecaster
    assert sorted(persistence.__all__) == [
        "ALLOWED_MODELS",
        "ALLOWED_OBJECTS",
        "FORMAT_VERSION",
        "read_forecaster",
        "write_forecaster",
    ]
    assert FORMAT_VERSION == 1
    assert ALLOWED_OBJECTS == {"trendcast.ShoppingCalendar": tc.ShoppingCalendar}
    assert tc.load is tc.TrendForecaster.load.__func__.__globals__["load"]


def test_a_bad_format_is_a_parameter_error(tmp_path):
    fc = tc.TrendForecaster(models=Naive()).fit(tc.datasets.load_us_retail(categories=["448"]))
    with pytest.raises(tc.ParameterError, match="format='rar'") as info:
        fc.save(tmp_path / "x", format="rar")
    assert isinstance(info.value, ValueError)  # as before
    assert not (tmp_path / "x").exists()
