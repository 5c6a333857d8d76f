"""Fuzz ``supply_gaps`` and ``summarize_gaps``: any forecast, supply and parameters.

Forecast frames consistent or not (bounds missing, crossing, text, a mean
edited without its bounds, intermittent bounds from zero), supply plans with
holes, negative or missing values and unknown categories, paths of the right
or another shape: each call gives gaps that keep their promises or a
TrendcastError.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import trendcast as tc
from tests.fuzz.conftest import attempt, fuzz
from tests.fuzz.strategies import forecast_frames, supply_frames


def _paths(draw: st.DrawFn, forecast: pd.DataFrame) -> object:
    """None, sample paths lined up with the forecast (maybe of another shape), or nonsense."""
    choices = ["none", "none", "none", "arrays", "arrays", "wrong", "nonsense"]
    choice = draw(st.sampled_from(choices))
    if choice == "none" or "unique_id" not in forecast:
        return None
    if choice == "nonsense":
        return draw(st.sampled_from([3, "paths", [1, 2], {"c0": "x"}]))
    h = int(forecast.groupby("unique_id").size().max())
    n = draw(st.integers(1, 60))
    shape = (n, h) if choice == "arrays" else (n, max(1, h - 1))
    rng = np.random.default_rng(draw(st.integers(0, 10)))
    scale = draw(st.sampled_from([1.0, 100.0, 1e5]))
    return {k: rng.gamma(2.0, scale, shape) for k in pd.unique(forecast["unique_id"])}


#: each parameter's strategy: valid values first, then values at and past its limits
GAP_PARAMETERS = {
    "kind": st.sampled_from(["stock", "both", None]),
    "window": st.sampled_from([1, 2, 10**6, 0, 1.5]),
    "threshold": st.sampled_from([0.51, 0.99, 0.5, 1.0, "high", float("nan")]),
    "persistence": st.sampled_from([1, 10**6, 0, 2.0]),
    "unit_price": st.sampled_from([0.3, "price", {"c0": 1.0}, -1.0, [1], "nope"]),
    "min_cover": st.sampled_from([0.5, 1e9, -1.0, "x"]),
    "max_cover": st.sampled_from([2.0, 0.0, float("inf")]),
    "freq": st.sampled_from(["MS", "W-SUN", "D", "QS", 12]),
    "nonnegative": st.just(False),
}


@st.composite
def gap_cases(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A forecast, a supply frame and parameters: all valid, or one or two of them not."""
    forecast = draw(forecast_frames())
    params: dict = {"kind": "flow", "paths": _paths(draw, forecast), "nonnegative": True}
    for name in draw(st.lists(st.sampled_from(list(GAP_PARAMETERS)), max_size=2, unique=True)):
        params[name] = draw(GAP_PARAMETERS[name])
    if "window" in params and params["paths"] is None and draw(st.booleans()):
        del params["window"]
    kind = params["kind"]
    supply = draw(supply_frames(forecast, "stock" if kind == "stock" else "flow"))
    return forecast, supply, params


def check_gaps(gaps: pd.DataFrame, params: dict) -> None:
    """What ``supply_gaps`` promises of every row."""
    assert len(gaps) > 0
    for col in ("p_short", "p_long"):
        p = gaps[col].to_numpy(dtype=float)
        assert ((p >= 0) & (p <= 1)).all(), col
    es = gaps["expected_shortfall"].to_numpy(dtype=float)
    ex = gaps["expected_excess"].to_numpy(dtype=float)
    assert (np.isfinite(es) & (es >= 0)).all() and ((ex >= 0) | np.isinf(ex)).all()
    assert set(gaps["flag"]) <= {"short", "long", "ok"}
    mean = gaps["mean"].to_numpy(dtype=float)
    if params["paths"] is None and params.get("nonnegative", True):
        # the distribution has the forecast mean: demand missed never exceeds demand
        demand = np.maximum(mean, 0.0)
        assert (es <= demand + 1e-6 * (1 + demand)).all(), (es, demand)


@fuzz(500)
@given(case=gap_cases())
def test_supply_gaps_gives_gaps_or_a_trendcast_error(case):
    forecast, supply, params = case
    gaps = attempt(lambda: tc.supply_gaps(forecast, supply, **params), "supply_gaps")
    if gaps is not None:
        check_gaps(gaps, params)


@fuzz(180)
@given(
    case=gap_cases(),
    periods=st.sampled_from([1, 3, 10_000, 10_001, 0, None, 2.5]),
    rise=st.sampled_from([0.05, -1.0, 0.0, float("nan"), "5%"]),
    with_history=st.booleans(),
)
def test_summarize_gaps_ranks_or_raises_a_trendcast_error(case, periods, rise, with_history):
    forecast, supply, params = case
    gaps = attempt(lambda: tc.supply_gaps(forecast, supply, **params), "supply_gaps")
    if gaps is None:
        return
    history = None
    if with_history:
        ids = pd.unique(gaps["unique_id"])
        dates = pd.date_range(end=pd.Timestamp(gaps["ds"].min()), periods=30, freq="MS")
        history = pd.DataFrame(
            [(k, d, 100.0) for k in ids for d in dates[:-1]], columns=["unique_id", "ds", "y"]
        )
    summary = attempt(
        lambda: tc.summarize_gaps(
            gaps, history=history, search=None, search_periods=periods, search_rise=rise
        ),
        "summarize_gaps",
    )
    if summary is None:
        return
    assert sorted(summary["unique_id"]) == sorted(pd.unique(gaps["unique_id"]))
    assert sorted(summary["rank"]) == list(range(1, len(summary) + 1))
    assert set(summary["flag"]) <= {"short", "long", "ok"}
