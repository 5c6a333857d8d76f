"""Issue 23: supply gaps of count forecasts read from their intervals, without paths.

A slow mover's count model gives bounds in whole units (0 and 1) around a
mean of a fraction of a unit. Interpolated between the bounds, demand was a
fraction of a unit over most of the probability, and against zero supply
``p_short`` read 0.9 where the demand process's own sample paths say 0.17.
Rows whose bounds are whole numbers and whose mean is not are now read as
counts: a distribution on whole units with the forecast mean.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import trendcast as tc
from trendcast.adaptation import shortfall_stats
from trendcast.adaptation._distribution import in_whole_units


def slow_mover() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 156
    y = np.where(rng.random(n) < 0.2, rng.poisson(1.8, n).clip(1), 0).astype(float)
    ds = pd.date_range("2022-01-03", periods=n, freq="W-MON")
    return pd.DataFrame({"unique_id": "part", "ds": ds, "y": y})


def part_forecast(mean: float = 0.375) -> pd.DataFrame:
    weeks = pd.date_range("2025-01-06", periods=3, freq="W-MON")
    return pd.DataFrame(
        {
            "unique_id": "part",
            "ds": weeks,
            "model": "IntermittentDemand(SBA)",
            "mean": mean,
            "lo-80": 0.0,
            "hi-80": 1.0,
            "lo-95": 0.0,
            "hi-95": 4.0,
        }
    )


def test_the_slow_mover_of_the_docs_from_intervals_agrees_with_its_paths():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = tc.TrendForecaster().fit(slow_mover())
    out = fc.predict(3)
    first = out.iloc[0]
    # the bounds and mean quoted on the supply-gaps page ("Counts: whole units")
    assert first["model"] == "IntermittentDemand(SBA)"
    assert [first[c] for c in ("lo-80", "hi-80", "lo-95", "hi-95")] == [0.0, 1.0, 0.0, 4.0]
    assert round(first["mean"], 3) == 0.375
    paths = fc.sample_paths(3, 4000, random_state=0, output="arrays")["part"][:, 0]
    truth = [float(np.mean(paths > s)) for s in (0.0, 1.0, 2.0)]
    assert [round(p, 3) for p in truth] == [0.165, 0.092, 0.052]  # quoted on the page
    one = out.iloc[:1]
    for supply, want in zip((0.0, 1.0, 2.0), truth, strict=True):
        plan = one[["unique_id", "ds"]].assign(supply=supply)
        counted = tc.supply_gaps(one, plan)["p_short"].iloc[0]
        smooth = tc.supply_gaps(one, plan, discrete=False)["p_short"].iloc[0]
        assert abs(counted - want) < 0.05, (supply, counted, want)
        if supply == 0.0:
            assert smooth == pytest.approx(0.9, abs=2e-3)  # the old reading, still on request
    # and the hi-80 bound stays the 90% point of the counts: P(D > 1) <= 0.1
    plan = one[["unique_id", "ds"]].assign(supply=1.0)
    assert tc.supply_gaps(one, plan)["p_short"].iloc[0] <= 0.1 + 1e-3


def test_counts_keep_the_mean_exactly_and_are_whole_units():
    fc = part_forecast()
    st_ = shortfall_stats(fc, np.zeros(3))
    # against zero supply the whole demand is short: the shortfall is the mean
    assert st_["expected_shortfall"].to_numpy() == pytest.approx(0.375, rel=1e-12)
    rng = np.random.default_rng(0)
    grid = np.sort(rng.gamma(0.5, 2.0, (4, 2000)), axis=1)
    whole = in_whole_units(grid)
    assert whole.mean(axis=1) == pytest.approx(grid.mean(axis=1), rel=1e-12)
    assert (np.diff(whole, axis=1) >= 0).all()  # still a quantile function
    # whole units, except one point on each step between two
    steps = np.unique(np.round(whole), axis=1).shape[1]
    assert ((whole != np.round(whole)).sum(axis=1) <= steps).all()


def test_auto_reads_a_whole_mean_as_before_and_true_forces_counts():
    fc = part_forecast(mean=1.0)  # a mean in whole units: a hand-written or rounded forecast
    before = shortfall_stats(fc, np.zeros(3), discrete=False)["p_short"]
    auto = shortfall_stats(fc, np.zeros(3))["p_short"]
    forced = shortfall_stats(fc, np.zeros(3), discrete=True)["p_short"]
    assert auto.equals(before)
    assert (before == 0.9).all() and (forced < before - 0.2).all()
    # bounds that are not whole numbers are never counts
    smooth = part_forecast().assign(**{"hi-80": 1.5})
    assert shortfall_stats(smooth, np.zeros(3))["p_short"].equals(
        shortfall_stats(smooth, np.zeros(3), discrete=False)["p_short"]
    )


@pytest.mark.parametrize("bad", ["yes", 1, None, "Auto"])
def test_a_bad_discrete_names_the_parameter(bad):
    plan = part_forecast()[["unique_id", "ds"]].assign(supply=0.0)
    with pytest.raises(tc.ParameterError, match="discrete must be True, False or 'auto'"):
        tc.supply_gaps(part_forecast(), plan, discrete=bad)
    with pytest.raises(tc.ParameterError, match="discrete"):
        shortfall_stats(part_forecast(), np.zeros(3), discrete=bad)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lo95=st.integers(0, 3),
    widths=st.lists(st.integers(0, 6), min_size=3, max_size=3),
    where=st.floats(0.01, 0.99),
    supply=st.integers(0, 20),
)
def test_count_rows_keep_mean_bounds_and_shortfall_promises(lo95, widths, where, supply):
    lo80 = lo95 + widths[0]
    hi80 = lo80 + widths[1]
    hi95 = hi80 + widths[2]
    # a mean some demand of zero or more can have with these bounds: at least that of
    # every stretch between bounds at its lower bound, inside the widest interval
    # (above it, a lower bound above zero reads as a mean edited without its bounds)
    least = 0.075 * lo95 + 0.8 * lo80 + 0.075 * hi80 + 0.025 * hi95
    top = hi95 if lo95 > 0 else hi95 + 3
    mean = least + where * (top - least)
    assume(mean != round(mean) and mean > least + 1e-6)
    fc = pd.DataFrame(
        {
            "mean": [mean],
            "lo-80": [float(lo80)],
            "hi-80": [float(hi80)],
            "lo-95": [float(lo95)],
            "hi-95": [float(hi95)],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.DataWarning)
        got = shortfall_stats(fc, np.array([float(supply)]))
        at_hi = shortfall_stats(fc, np.array([float(hi80)]))["p_short"].iloc[0]
        below_lo = 1.0 - shortfall_stats(fc, np.array([lo80 - 0.5]))["p_short"].iloc[0]
    es, ex = got["expected_shortfall"].iloc[0], got["expected_excess"].iloc[0]
    assert 0 <= es <= mean * (1 + 1e-9) + 1e-12
    # shortfall minus excess is mean demand minus supply: the mean is kept
    assert es - ex == pytest.approx(mean - supply, abs=1e-9 * (1 + mean + supply))
    # the bounds stay quantiles: P(D > hi-80) <= 10%, P(D < lo-80) <= 10% (one grid point)
    assert at_hi <= 0.1 + 1e-3
    assert below_lo <= 0.1 + 1e-3
