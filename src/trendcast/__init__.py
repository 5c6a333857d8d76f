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

from trendcast import datasets, metrics, models, plotting, signals
from trendcast._version import __version__
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
    ParameterError,
    PersistenceError,
    TrendcastError,
)
from trendcast.forecaster import TrendForecaster, load
from trendcast.hierarchy import Hierarchy
from trendcast.hotspots import MannKendall, emerging, hotspots, mann_kendall
from trendcast.io import read_baidu_index, read_google_trends, read_sales, read_search
from trendcast.nowcast import nowcast
from trendcast.plotting import plot_forecast, plot_gap_summary, plot_gaps, plot_lead_lag
from trendcast.reconciliation import one_step_errors, reconcile, reconcile_paths
from trendcast.report import report, report_from_run
from trendcast.signals import (
    StitchResult,
    cross_correlation,
    lead_lag,
    lead_lag_analysis,
    search_by_category,
    stitch_trends,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> object:
    # the service's client, imported on first use (it needs httpx, an optional extra)
    if name == "Client":
        from trendcast.client import Client

        return Client
    raise AttributeError(f"module 'trendcast' has no attribute {name!r}")


__all__ = [
    "Client",
    "ConvergenceWarning",
    "DataValidationError",
    "DataWarning",
    "FallbackWarning",
    "Hierarchy",
    "MannKendall",
    "MissingDependencyError",
    "ModelFitError",
    "NotFittedError",
    "ParameterError",
    "PersistenceError",
    "StitchResult",
    "ShoppingCalendar",
    "TrendForecaster",
    "TrendcastError",
    "__version__",
    "cross_correlation",
    "datasets",
    "emerging",
    "hotspots",
    "lead_lag",
    "lead_lag_analysis",
    "load",
    "mann_kendall",
    "metrics",
    "models",
    "nowcast",
    "one_step_errors",
    "plot_forecast",
    "plot_gap_summary",
    "plot_gaps",
    "plot_lead_lag",
    "plotting",
    "read_baidu_index",
    "read_google_trends",
    "read_sales",
    "read_search",
    "reconcile",
    "reconcile_paths",
    "report",
    "report_from_run",
    "search_by_category",
    "signals",
    "stitch_trends",
    "shopping_calendar",
    "summarize_gaps",
    "supply_gaps",
]
