"""Bad arguments to the adaptation, io, calendar, metrics and datasets modules.

Every deliberate error is a ``TrendcastError`` whose message names the
parameter, and a warning about the caller's data points at the caller's line.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast import metrics
from trendcast.calendar import ShoppingCalendar, event_dates

GTRENDS = Path(__file__).parent / "data" / "gtrends"
MONTHS = pd.date_range("2025-01-01", periods=3, freq="MS")
DAYS = pd.date_range("2024-01-01", periods=3, freq="D")


def _forecast() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": "a", "ds": MONTHS, "mean": 100.0, "lo-80": 80.0, "hi-80": 120.0}
    )


def _plan() -> pd.DataFrame:
    return _forecast()[["unique_id", "ds"]].assign(supply=[70.0, 75.0, 100.0])


def _gappy_sales() -> pd.DataFrame:
    ds = pd.date_range("2020-01-01", periods=12, freq="MS").delete([4, 5])
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(10.0) + 1})


def _paths() -> dict[str, np.ndarray]:
    return {"a": np.full((10, 3), 100.0)}


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "supply_gaps kind": (lambda: tc.supply_gaps(_forecast(), _plan(), kind="both"), "kind"),
    "supply_gaps threshold": (
        lambda: tc.supply_gaps(_forecast(), _plan(), threshold=0.3),
        "threshold",
    ),
    "supply_gaps persistence": (
        lambda: tc.supply_gaps(_forecast(), _plan(), persistence=0),
        "persistence",
    ),
    "supply_gaps window": (
        lambda: tc.supply_gaps(_forecast(), _plan(), window=0, paths=_paths()),
        "window",
    ),
    "supply_gaps window without paths": (
        lambda: tc.supply_gaps(_forecast(), _plan(), window=2),
        "paths=",
    ),
    "supply_gaps paths": (lambda: tc.supply_gaps(_forecast(), _plan(), paths=3), "paths"),
    "supply_gaps unit_price": (
        lambda: tc.supply_gaps(_forecast(), _plan(), unit_price=-1.0),
        "unit_price",
    ),
    "summarize_gaps supply_col": (
        lambda: tc.summarize_gaps(tc.supply_gaps(_forecast(), _plan()), supply_col="plan"),
        "supply_col",
    ),
    "summarize_gaps scenario_col": (
        lambda: tc.summarize_gaps(tc.supply_gaps(_forecast(), _plan()), scenario_col="plan"),
        "scenario_col",
    ),
    "read_sales fill": (lambda: tc.read_sales(_gappy_sales(), fill="bfill"), "fill"),  # type: ignore[arg-type]
    "read_sales freq": (lambda: tc.read_sales(_gappy_sales(), freq="fortnightly"), "freq"),
    "read_google_trends below_one": (
        lambda: tc.read_google_trends(GTRENDS / "us_walmart_weekly.csv", below_one=-1),
        "below_one",
    ),
    "read_google_trends source": (lambda: tc.read_google_trends([]), "source"),
    "read_baidu_index start": (
        lambda: tc.read_baidu_index(
            pd.DataFrame({"keyword": "x", "date": [0, 1, 2], "index": 1}), start="someday"
        ),
        "start",
    ),
    "read_baidu_index device": (
        lambda: tc.read_baidu_index(
            pd.DataFrame({"keyword": "x", "date": DAYS, "index": 1, "type": "pc"}),
            device="tablet",
        ),
        "device",
    ),
    "mase season_length": (
        lambda: metrics.mase(
            _forecast().assign(y=100.0), _gappy_sales().assign(unique_id="a"), season_length=0
        ),
        "season_length",
    ),
    "rmsse season_length": (
        lambda: metrics.rmsse(
            _forecast().assign(y=100.0), _gappy_sales().assign(unique_id="a"), season_length=0
        ),
        "season_length",
    ),
    "event_dates event": (lambda: event_dates("boxing_day", [2024]), "event"),
    "calendar events": (
        lambda: ShoppingCalendar(events=["boxing_day"]).features(DAYS),
        "event",
    ),
    "calendar aggregate": (
        lambda: ShoppingCalendar(aggregate="mean").features(DAYS),  # type: ignore[arg-type]
        "aggregate",
    ),
    "calendar windows name": (
        lambda: ShoppingCalendar(events=["618"], windows={"singles_day": (1, 1)}).features(DAYS),
        "windows",
    ),
    "calendar window value": (
        lambda: ShoppingCalendar(events=["618"], windows={"618": (1, -1)}).features(DAYS),
        "window",
    ),
    "calendar freq": (lambda: tc.shopping_calendar(DAYS, freq="fortnightly"), "freq"),
    "calendar country": (lambda: tc.shopping_calendar(DAYS, country="Atlantis"), "country"),
    "load_us_retail categories": (
        lambda: tc.datasets.load_us_retail(categories=["not-a-code"]),
        "categories",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_argument_raises_a_trendcast_error_naming_it(case: str) -> None:
    call, parameter = CASES[case]
    with pytest.raises(tc.TrendcastError) as info:
        call()
    assert parameter in str(info.value)
    # the built-in types code written before ParameterError catches keep working
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: event_dates("boxing_day", [2024]),
        lambda: ShoppingCalendar(aggregate="mean").features(DAYS),  # type: ignore[arg-type]
        lambda: tc.shopping_calendar(DAYS, freq="fortnightly"),
        lambda: tc.shopping_calendar(DAYS, country="Atlantis"),
        lambda: metrics.mase(
            _forecast().assign(y=100.0), _gappy_sales().assign(unique_id="a"), season_length=0
        ),
    ],
    ids=["event_dates", "aggregate", "freq", "country", "mase"],
)
def test_calendar_and_metrics_arguments_raise_parameter_error(call: Callable[[], object]) -> None:
    with pytest.raises(tc.ParameterError):
        call()


def _data_warnings(call: Callable[[], object]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    found = [w for w in caught if issubclass(w.category, tc.DataWarning)]
    assert found, "expected a DataWarning"
    return found


def test_filling_gaps_warns_at_the_callers_line() -> None:
    for w in _data_warnings(lambda: tc.read_sales(_gappy_sales(), fill="zero")):
        assert "filled 2 missing periods" in str(w.message)
        assert w.filename == __file__


def test_filling_gaps_in_a_forecaster_warns_at_the_callers_line() -> None:
    forecaster = tc.TrendForecaster(models=[tc.models.Naive()], fill="ffill")
    for w in _data_warnings(lambda: forecaster.fit(_gappy_sales())):
        assert w.filename == __file__


def test_a_guessed_encoding_warns_at_the_callers_line() -> None:
    path = GTRENDS / "tr_locale_iskur_zam_monthly_cp1254.csv"
    for w in _data_warnings(lambda: tc.read_google_trends([path, path])):
        assert "cp1254" in str(w.message)
        assert w.filename == __file__
