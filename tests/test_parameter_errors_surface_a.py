"""Bad arguments of the reporting, hotspot, hierarchy and search functions raise ParameterError.

ParameterError is a TrendcastError (one ``except`` catches every deliberate
error) and still a ValueError and a TypeError (code written against the
built-ins keeps working); its message names the parameter. Warnings point at
the line of the caller, not inside trendcast.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel

DATES = pd.date_range("2025-01-01", periods=3, freq="MS")


def _forecast() -> pd.DataFrame:
    """Two categories, three months, with an 80% interval."""
    frame = pd.DataFrame(
        {"unique_id": np.repeat(["a", "b"], 3), "ds": np.tile(DATES, 2), "mean": 10.0}
    )
    return frame.assign(**{"lo-80": 8.0, "hi-80": 12.0})


def _gaps() -> pd.DataFrame:
    return _forecast().assign(
        supply=9.0, p_short=0.6, expected_shortfall=1.0, expected_excess=0.0, flag="ok"
    )


def _hierarchy() -> tc.Hierarchy:
    return tc.Hierarchy.from_frame(pd.DataFrame({"sector": ["s", "s"], "category": ["a", "b"]}))


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": ["a"], "flag": ["ok"], "expected_shortfall": [1.0], "expected_excess": [0.0]}
    )


def _search(sales: pd.DataFrame) -> pd.DataFrame:
    return sales.rename(columns={"y": "search"})


def _paths() -> dict[str, np.ndarray]:
    return {"a": np.ones((5, 3)), "b": np.ones((5, 3))}


CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "mann_kendall season_length": (
        lambda: tc.mann_kendall([1, 2, 3], season_length=0),
        "season_length",
    ),
    "hotspots thresholds": (
        lambda: tc.hotspots(_forecast(), thresholds={"big": -1.0}),
        "thresholds",
    ),
    "hotspots period": (lambda: tc.hotspots(_forecast(), period=0), "period"),
    "emerging window": (lambda: tc.emerging(make_panel(n_series=1), window=0), "window"),
    "emerging alpha": (lambda: tc.emerging(make_panel(n_series=1), alpha=1.5), "alpha"),
    "reconcile method": (lambda: tc.reconcile(_forecast(), _hierarchy(), method="sum"), "method"),
    "reconcile level": (lambda: tc.reconcile(_forecast(), _hierarchy(), level=[100]), "level"),
    "reconcile_paths method": (
        lambda: tc.reconcile_paths(_paths(), _hierarchy(), method="sum"),
        "method",
    ),
    "nowcast search": (lambda: tc.nowcast(make_panel(n_series=1), [1, 2]), "search"),
    "nowcast season_length": (
        lambda: tc.nowcast(make_panel(n_series=1), None, season_length=0),
        "season_length",
    ),
    "plot_forecast ids": (
        lambda: tc.plot_forecast(make_panel(n_series=1), _forecast(), ids=[]),
        "ids",
    ),
    "plot_forecast forecast": (
        lambda: tc.plot_forecast(make_panel(n_series=1), _forecast().iloc[:0]),
        "forecast",
    ),
    "plot_gaps gaps": (lambda: tc.plot_gaps(_gaps().iloc[:0]), "gaps"),
    "plot_gaps ids": (lambda: tc.plot_gaps(_gaps(), ids=["zz"]), "ids"),
    "plot_gap_summary summary": (lambda: tc.plot_gap_summary(_summary().iloc[:0]), "summary"),
    "plot_lead_lag ids": (
        lambda: tc.plot_lead_lag(
            make_panel(n_series=1), _search(make_panel(n_series=1, seed=1)), ids=[]
        ),
        "ids",
    ),
}


@pytest.mark.parametrize("call, parameter", list(CASES.values()), ids=list(CASES))
def test_bad_argument_raises_parameter_error_naming_it(call, parameter):
    with pytest.raises(tc.TrendcastError, match=parameter) as info:
        call()
    assert isinstance(info.value, tc.ParameterError)
    # still the built-in exceptions code may catch
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_search_by_category_warning_points_at_the_caller():
    search = pd.DataFrame(
        {"ds": pd.date_range("2023-01-01", periods=24, freq="MS"), "term": "shoes", "value": 50.0}
    )
    mapping = pd.DataFrame({"term": ["shoes", "boots"], "category": ["footwear", "footwear"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = tc.search_by_category(search, mapping, freq="MS")
    assert len(out) == 24
    [w] = [w for w in caught if issubclass(w.category, tc.DataWarning)]
    assert "'boots'" in str(w.message)
    assert w.filename == __file__


def test_lead_lag_analysis_returns_what_lead_lag_and_cross_correlation_return():
    from trendcast.datasets import (
        load_nl_online_sales,
        load_nl_search_mapping,
        nl_google_trends_files,
    )

    sales = load_nl_online_sales()
    search = tc.search_by_category(
        tc.read_google_trends(nl_google_trends_files()), load_nl_search_mapping(), freq="MS"
    )
    table, ccf = tc.lead_lag_analysis(sales, search, max_lag=3)
    pd.testing.assert_frame_equal(table, tc.lead_lag(sales, search, max_lag=3))
    pd.testing.assert_frame_equal(ccf, tc.cross_correlation(sales, search, max_lag=3))
    assert tc.signals.lead_lag_analysis is tc.lead_lag_analysis
