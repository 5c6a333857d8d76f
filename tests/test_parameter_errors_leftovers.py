"""Bad arguments the earlier rounds left raising built-in errors (issue 19).

Each argument is checked explicitly, before any conversion, and a bad one is a
ParameterError naming it (still a ValueError and a TypeError). Before, e.g.
``tc.nowcast(level=150)`` raised a plain ValueError from ``check_levels``,
``mann_kendall(season_length=None)`` a TypeError from ``int(None)``,
``plot_gap_summary(top=0)`` said "the gaps summary is empty", and
``backtest_windows=10**12`` ran for minutes building its windows.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel

SALES = make_panel(n_series=2, n=48)
SEARCH = SALES.rename(columns={"y": "search"})
MONTHS = pd.date_range("2025-01-01", periods=3, freq="MS")


def _forecast() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": "s0", "ds": MONTHS, "mean": 100.0, "lo-80": 80.0, "hi-80": 120.0}
    )


def _gaps() -> pd.DataFrame:
    fc = _forecast()
    return tc.supply_gaps(fc, fc[["unique_id", "ds"]].assign(supply=90.0))


def _naive(**params: object) -> tc.TrendForecaster:
    return tc.TrendForecaster(models=tc.models.Naive(), **params)  # type: ignore[arg-type]


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "nowcast level=150": (lambda: tc.nowcast(SALES, SEARCH, level=150), "level"),
    "nowcast level=None": (lambda: tc.nowcast(SALES, SEARCH, level=None), "level"),  # type: ignore[arg-type]
    "nowcast search_cols=None": (
        lambda: tc.nowcast(SALES, SEARCH, search_cols=None),  # type: ignore[arg-type]
        "search_cols",
    ),
    "predict level=None": (lambda: _naive().fit(SALES).predict(3, level=None), "level"),  # type: ignore[arg-type]
    "cross_validation level='x'": (
        lambda: _naive().cross_validation(SALES, h=3, level="x"),  # type: ignore[arg-type]
        "level",
    ),
    "reconcile level='x'": (
        lambda: tc.reconcile(
            _forecast(),
            tc.Hierarchy.from_frame(pd.DataFrame({"sector": ["S"], "category": ["s0"]})),
            level="x",  # type: ignore[arg-type]
        ),
        "level",
    ),
    "mann_kendall season_length=None": (
        lambda: tc.mann_kendall([1, 2, 3], season_length=None),  # type: ignore[arg-type]
        "season_length",
    ),
    "mann_kendall season_length='2'": (
        lambda: tc.mann_kendall([1, 2, 3], season_length="2"),  # type: ignore[arg-type]
        "season_length",
    ),
    "emerging window='12'": (lambda: tc.emerging(SALES, window="12"), "window"),  # type: ignore[arg-type]
    "emerging window=10**12": (lambda: tc.emerging(SALES, window=10**12), "window"),
    "emerging alpha=None": (lambda: tc.emerging(SALES, alpha=None), "alpha"),  # type: ignore[arg-type]
    "emerging search_window=nan": (
        lambda: tc.emerging(SALES, search=SEARCH, search_window=float("nan")),  # type: ignore[arg-type]
        "search_window",
    ),
    "hotspots thresholds value": (
        lambda: tc.hotspots(_forecast(), thresholds={"category": "big"}),  # type: ignore[dict-item]
        "thresholds",
    ),
    "hotspots period=2.5": (lambda: tc.hotspots(_forecast(), period=2.5), "period"),  # type: ignore[arg-type]
    "lead_lag alpha='x'": (lambda: tc.lead_lag(SALES, SEARCH, alpha="x"), "alpha"),  # type: ignore[arg-type]
    "lead_lag season_length=1.5": (
        lambda: tc.lead_lag(SALES, SEARCH, season_length=1.5),  # type: ignore[arg-type]
        "season_length",
    ),
    "mase season_length=None": (
        lambda: tc.metrics.mase(_forecast().assign(y=1.0), SALES, season_length=None),  # type: ignore[arg-type]
        "season_length",
    ),
    "evaluate level=80.5": (
        lambda: tc.metrics.evaluate(_forecast().assign(y=1.0), level=(80.5,)),  # type: ignore[arg-type]
        "level",
    ),
    "plot_gap_summary top=0": (
        lambda: tc.plot_gap_summary(tc.summarize_gaps(_gaps()), top=0),
        "top",
    ),
    "plot_gaps threshold='x'": (lambda: tc.plot_gaps(_gaps(), threshold="x"), "threshold"),  # type: ignore[arg-type]
    "plot_forecast ncols=None": (
        lambda: tc.plot_forecast(SALES, _forecast(), ncols=None),  # type: ignore[arg-type]
        "ncols",
    ),
    "plot_forecast ids=5": (lambda: tc.plot_forecast(SALES, _forecast(), ids=5), "ids"),  # type: ignore[arg-type]
    "plot_lead_lag ncols=10**12 (not a figure of 10**12 columns)": (
        lambda: tc.plot_lead_lag(SALES, SEARCH, ncols=0),
        "ncols",
    ),
    "read_google_trends below_one=None": (
        lambda: tc.read_google_trends(SEARCH, below_one=None),  # type: ignore[arg-type]
        "below_one",
    ),
    "read_google_trends encoding=1": (
        lambda: tc.read_google_trends(SEARCH, encoding=1),  # type: ignore[arg-type]
        "encoding",
    ),
    "sample_paths random_state='x'": (
        lambda: _naive().fit(SALES).sample_paths(3, n_paths=5, random_state="x"),  # type: ignore[arg-type]
        "random_state",
    ),
    "selection_margin='x'": (lambda: _naive(selection_margin="x").fit(SALES), "selection_margin"),
    "search_margin=None": (lambda: _naive(search_margin=None).fit(SALES), "search_margin"),
    "backtest_horizon=nan": (
        lambda: _naive(backtest_horizon=float("nan")).fit(SALES),
        "backtest_horizon",
    ),
    "backtest_windows=0": (lambda: _naive(backtest_windows=0).fit(SALES), "backtest_windows"),
    "backtest_windows=10**12": (
        lambda: tc.TrendForecaster(backtest_windows=10**12).fit(SALES),
        "backtest_windows",
    ),
    "n_jobs='2'": (lambda: _naive(n_jobs="2").fit(SALES), "n_jobs"),
    "models=5": (lambda: tc.TrendForecaster(models=5).fit(SALES), "models"),  # type: ignore[arg-type]
    "freq=12": (lambda: _naive(freq=12).fit(SALES), "freq"),
    "shopping_calendar events=5": (
        lambda: tc.shopping_calendar(MONTHS, events=5),  # type: ignore[arg-type]
        "events",
    ),
    "shopping_calendar windows='x'": (
        lambda: tc.shopping_calendar(MONTHS, windows="x"),  # type: ignore[arg-type]
        "windows",
    ),
    "shopping_calendar country=5": (
        lambda: tc.shopping_calendar(MONTHS, country=5),  # type: ignore[arg-type]
        "country",
    ),
    "summarize_gaps search_periods=None": (
        lambda: tc.summarize_gaps(_gaps(), search_periods=None),  # type: ignore[arg-type]
        "search_periods",
    ),
    "summarize_gaps search_rise='5%'": (
        lambda: tc.summarize_gaps(_gaps(), search_rise="5%"),  # type: ignore[arg-type]
        "search_rise",
    ),
    "supply_gaps threshold='high'": (
        lambda: tc.supply_gaps(
            _forecast(), _gaps()[["unique_id", "ds", "supply"]], threshold="high"
        ),  # type: ignore[arg-type]
        "threshold",
    ),
    "supply_gaps min_cover='x'": (
        lambda: tc.supply_gaps(
            _forecast(),
            _gaps()[["unique_id", "ds", "supply"]],
            kind="stock",
            min_cover="x",  # type: ignore[arg-type]
        ),
        "min_cover",
    ),
    "supply_gaps unit_price=[1]": (
        lambda: tc.supply_gaps(_forecast(), _gaps()[["unique_id", "ds", "supply"]], unit_price=[1]),  # type: ignore[arg-type]
        "unit_price",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_argument_is_a_parameter_error_naming_it(case: str) -> None:
    call, parameter = CASES[case]
    with pytest.raises(tc.TrendcastError, match=parameter) as info:
        call()
    # the argument's own error: a ParameterError, still a ValueError and a TypeError; the
    # one exception is freq, read and refused with the data (a DataValidationError)
    if parameter != "freq":
        assert isinstance(info.value, tc.ParameterError), repr(info.value)
        assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_check_levels_names_level():
    from trendcast.models.base import check_levels

    with pytest.raises(tc.ParameterError, match="level 150 must be a whole percentage"):
        check_levels((80, 150))
    assert check_levels(np.int64(80)) == (80,)
    assert check_levels([95, 80, 80]) == (80, 95)


def test_plot_gap_summary_top_zero_says_what_is_wrong():
    with pytest.raises(tc.ParameterError) as info:
        tc.plot_gap_summary(tc.summarize_gaps(_gaps()), top=0)
    assert "top must be a whole number of 1 or more, got 0" in str(info.value)
    assert "empty" not in str(info.value)


def test_a_season_length_past_the_data_is_no_hang():
    # season_length=10**12 looped over 10**12 empty seasons
    result = tc.mann_kendall(np.arange(20.0), season_length=10**12)
    assert np.isnan(result.tau)


def test_nowcast_takes_one_search_column_name_given_as_text():
    # one name is one column (it was split into letters)
    reported = SALES[SALES["ds"] < SALES["ds"].max()]
    out = tc.nowcast(reported, SEARCH, search_cols="search")
    assert len(out) == SALES["unique_id"].nunique()
