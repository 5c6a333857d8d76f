"""trendcast: forecast consumer demand per category and flag where supply lags it.

Examples
--------
>>> import trendcast as tc
>>> sales = tc.datasets.load_us_retail(categories=["448"])
>>> forecast = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=12)
>>> forecast["mean"].ge(0).all()
np.True_
"""

import logging
from importlib.metadata import PackageNotFoundError, version

from trendcast import datasets, metrics, models, plotting
from trendcast.adaptation import summarize_gaps, supply_gaps
from trendcast.calendar import ShoppingCalendar, shopping_calendar
from trendcast.exceptions import (
    ConvergenceWarning,
    DataValidationError,
    DataWarning,
    FallbackWarning,
    MissingDependencyError,
    ModelFitError,
    NotFittedError,
    TrendcastError,
)
from trendcast.forecaster import TrendForecaster
from trendcast.io import read_sales

logging.getLogger(__name__).addHandler(logging.NullHandler())

try:
    __version__ = version("trendcast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "ConvergenceWarning",
    "DataValidationError",
    "DataWarning",
    "FallbackWarning",
    "MissingDependencyError",
    "ModelFitError",
    "NotFittedError",
    "ShoppingCalendar",
    "TrendForecaster",
    "TrendcastError",
    "__version__",
    "datasets",
    "metrics",
    "models",
    "plotting",
    "read_sales",
    "shopping_calendar",
    "summarize_gaps",
    "supply_gaps",
]
