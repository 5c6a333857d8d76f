"""Local models: one series at a time, one contract.

See [`LocalModel`][trendcast.models.LocalModel] for the contract every model follows.
"""

from trendcast.models.base import LocalModel, ModelForecast, ModelTags
from trendcast.models.combination import Combination
from trendcast.models.ets import ETS
from trendcast.models.naive import Naive, SeasonalNaive
from trendcast.models.regression import RegressionModel
from trendcast.models.theta import Theta

#: every model class shipped, for the contract test and the docs
REGISTRY: tuple[type[LocalModel], ...] = (
    Naive,
    SeasonalNaive,
    ETS,
    Theta,
    Combination,
    RegressionModel,
)

__all__ = [
    "Combination",
    "ETS",
    "REGISTRY",
    "LocalModel",
    "ModelForecast",
    "ModelTags",
    "Naive",
    "RegressionModel",
    "SeasonalNaive",
    "Theta",
]
