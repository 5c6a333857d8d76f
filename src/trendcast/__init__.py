"""trendcast: forecast consumer demand per category and flag where supply lags it.

Examples
--------
>>> import trendcast as tc
>>> sales = tc.datasets.load_us_retail(categories=["448"])
>>> forecast = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=12)
>>> forecast["mean"].ge(0).all()
np.True_
"""

import importlib
import logging
import sys
import types
from typing import TYPE_CHECKING, Any

from trendcast._version import __version__
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

if TYPE_CHECKING:  # what __getattr__ below imports on first use
    from trendcast import datasets, metrics, models, plotting, signals
    from trendcast.adaptation import naive_supply_plan, summarize_gaps, supply_gaps
    from trendcast.calendar import ShoppingCalendar, shopping_calendar
    from trendcast.client import Client
    from trendcast.forecaster import TrendForecaster, load
    from trendcast.hierarchy import Hierarchy
    from trendcast.hotspots import MannKendall, emerging, hotspots, mann_kendall
    from trendcast.io import (
        read_baidu_index,
        read_google_trends,
        read_sales,
        read_search,
        read_supply,
    )
    from trendcast.nowcast import nowcast
    from trendcast.plotting import plot_forecast, plot_gap_summary, plot_gaps, plot_lead_lag
    from trendcast.reconciliation import one_step_errors, reconcile, reconcile_paths
    from trendcast.report import report, report_from_run
    from trendcast.signals import StitchResult, search_by_category, stitch_trends
    from trendcast.signals.lead_lag import cross_correlation, lead_lag, lead_lag_analysis
    from trendcast.workbook import to_excel

#: where each exported name lives: a submodule (None) or a name in a module. Importing
#: them all costs seconds (scikit-learn, SciPy's statistics and optimizers, pandas), so
#: ``import trendcast`` imports only the exceptions and each name's module on first use
_EXPORTS: dict[str, tuple[str, str | None]] = {
    **{name: (f"trendcast.{name}", None) for name in ("datasets", "metrics", "models")},
    **{name: (f"trendcast.{name}", None) for name in ("plotting", "signals")},
    **{
        name: ("trendcast.adaptation", name)
        for name in ("naive_supply_plan", "summarize_gaps", "supply_gaps")
    },
    **{name: ("trendcast.calendar", name) for name in ("ShoppingCalendar", "shopping_calendar")},
    "TrendForecaster": ("trendcast.forecaster", "TrendForecaster"),
    "load": ("trendcast.forecaster", "load"),
    "Hierarchy": ("trendcast.hierarchy", "Hierarchy"),
    # the service's client (it needs httpx, an optional extra)
    "Client": ("trendcast.client", "Client"),
    **{
        name: ("trendcast.hotspots", name)
        for name in ("MannKendall", "emerging", "hotspots", "mann_kendall")
    },
    **{
        name: ("trendcast.io", name)
        for name in (
            "read_baidu_index",
            "read_google_trends",
            "read_sales",
            "read_search",
            "read_supply",
        )
    },
    "nowcast": ("trendcast.nowcast", "nowcast"),
    **{
        name: ("trendcast.plotting", name)
        for name in ("plot_forecast", "plot_gap_summary", "plot_gaps", "plot_lead_lag")
    },
    **{
        name: ("trendcast.reconciliation", name)
        for name in ("one_step_errors", "reconcile", "reconcile_paths")
    },
    **{name: ("trendcast.report", name) for name in ("report", "report_from_run")},
    "to_excel": ("trendcast.workbook", "to_excel"),
    **{
        name: ("trendcast.signals", name)
        for name in (
            "StitchResult",
            "cross_correlation",
            "lead_lag",
            "lead_lag_analysis",
            "search_by_category",
            "stitch_trends",
        )
    },
}


def __getattr__(name: str) -> Any:
    """Import an exported name's module when the name is first used (PEP 562)."""
    try:
        module_name, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'trendcast' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # the next use finds it without this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


#: exported functions that share their module's name: ``trendcast.report`` is the
#: function ``report``, not the module ``trendcast/report.py``
_NAMED_LIKE_THEIR_MODULE = frozenset({"hotspots", "nowcast", "report"})


class _Package(types.ModuleType):
    """The ``trendcast`` module, whose ``report`` stays the function when ``report.py`` is imported.

    Python sets a package's attribute to each submodule it imports; with the
    names loaded on first use, whichever module imported ``trendcast.report``
    first would leave the module where the function was exported.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _NAMED_LIKE_THEIR_MODULE and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


logging.getLogger(__name__).addHandler(logging.NullHandler())


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
    "naive_supply_plan",
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
    "read_supply",
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
    "to_excel",
]
