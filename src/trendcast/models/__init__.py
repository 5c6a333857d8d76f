"""Local models: one series at a time, one contract.

See [`LocalModel`][trendcast.models.LocalModel] for the contract every model follows.
"""

from trendcast.models.arima import ARIMA
from trendcast.models.base import LocalModel, ModelForecast, ModelTags
from trendcast.models.ces import CES
from trendcast.models.cold_start import ColdStart
from trendcast.models.combination import Combination
from trendcast.models.dynamic_theta import DynamicTheta
from trendcast.models.ets import ETS
from trendcast.models.intermittent import SBA, TSB, Croston
from trendcast.models.labels import model_label
from trendcast.models.naive import Naive, SeasonalNaive
from trendcast.models.pooled import Pool, PooledRegression
from trendcast.models.prophet import Prophet
from trendcast.models.regression import RegressionModel
from trendcast.models.simple import Drift, WindowAverage
from trendcast.models.sparse import DemandClass, IntermittentDemand, classify_demand, is_sparse
from trendcast.models.theta import Theta

#: every model class shipped, for the contract test and the docs
REGISTRY: tuple[type[LocalModel], ...] = (
    Naive,
    SeasonalNaive,
    Drift,
    WindowAverage,
    ETS,
    Theta,
    DynamicTheta,
    CES,
    Combination,
    Croston,
    SBA,
    TSB,
    IntermittentDemand,
    Prophet,
    ARIMA,
    RegressionModel,
    PooledRegression,
    ColdStart,
)

__all__ = [
    "ARIMA",
    "CES",
    "SBA",
    "TSB",
    "ColdStart",
    "Combination",
    "Croston",
    "DemandClass",
    "Drift",
    "DynamicTheta",
    "ETS",
    "IntermittentDemand",
    "REGISTRY",
    "LocalModel",
    "ModelForecast",
    "ModelTags",
    "Naive",
    "Pool",
    "PooledRegression",
    "Prophet",
    "RegressionModel",
    "SeasonalNaive",
    "Theta",
    "WindowAverage",
    "classify_demand",
    "is_sparse",
    "model_label",
]
