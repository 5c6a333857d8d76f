"""Issue 23: count demand has discrete, non-negative forecast distributions.

A slow mover had a forecast mean of 0 and an expected shortfall of 1.12 units
a week: impossible, the shortfall cannot exceed demand. Sparse categories of
whole units are now simulated in whole units (``IntermittentDemand(discrete=
"auto")`` in ``models="auto"``): sample paths are counts, never below zero,
with the forecast's mean, and the bounds are counts. Whatever the supply, the
expected shortfall read from them never exceeds the mean demand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trendcast as tc
from trendcast.models import SBA, TSB, Croston, IntermittentDemand


def counts(seed: int, n: int = 104, rate: float = 0.25) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < rate, rng.poisson(1.8, n).clip(1), 0).astype(float)


@pytest.mark.parametrize("cls", [Croston, SBA, TSB, IntermittentDemand])
def test_count_history_gives_count_paths_with_the_forecast_mean(cls):
    y = counts(5)
    model = cls(discrete="auto").fit(y)
    paths = model.sample_paths(6, 4000, random_state=1)
    assert (paths >= 0).all()
    assert np.array_equal(paths, np.round(paths))  # whole units
    mean = model.predict(6).mean
    # rounding at random keeps the mean (the paths of the continuous model have it too)
    assert paths.mean(axis=0) == pytest.approx(mean, rel=0.12)
    fc = model.predict(6, level=(80, 95))
    for bound in (*fc.lower.values(), *fc.upper.values()):
        assert np.array_equal(bound, np.round(bound))


def test_the_default_stays_continuous_and_non_counts_stay_continuous():
    y = counts(5)
    paths = SBA().fit(y).sample_paths(4, 500, random_state=1)
    assert not np.array_equal(paths, np.round(paths))  # saved models forecast as before
    half = SBA(discrete="auto").fit(y * 0.5 + 0.25 * (y > 0)).sample_paths(4, 500, random_state=1)
    assert not np.array_equal(half, np.round(half))


def test_a_bad_discrete_setting_names_the_parameter():
    with pytest.raises(tc.ParameterError, match="discrete"):
        SBA(discrete="yes").fit(counts(5)).predict(3)


def test_auto_forecasts_a_count_slow_mover_in_whole_units():
    y = counts(11)
    ds = pd.date_range("2022-01-03", periods=y.size, freq="W-MON")
    fc = tc.TrendForecaster().fit(pd.DataFrame({"unique_id": "part", "ds": ds, "y": y}))
    out = fc.predict(8)
    assert (out["mean"] > 0).all()
    for col in ("lo-80", "hi-80", "lo-95", "hi-95"):
        assert np.array_equal(out[col], np.round(out[col])), col
    paths = fc.sample_paths(8, 500, random_state=0, output="arrays")["part"]
    assert (paths >= 0).all() and np.array_equal(paths, np.round(paths))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    rate=st.floats(0.05, 0.6),
    supply=st.lists(st.integers(0, 6), min_size=6, max_size=6),
    kind=st.sampled_from(["flow", "stock"]),
)
def test_shortfall_never_exceeds_forecast_demand_for_count_forecasts(seed, rate, supply, kind):
    y = counts(seed, n=80, rate=rate)
    if not (y > 0).any():
        y[-3] = 1.0
    ds = pd.date_range("2022-01-03", periods=y.size, freq="W-MON")
    fc = tc.TrendForecaster().fit(pd.DataFrame({"unique_id": "p", "ds": ds, "y": y}))
    out = fc.predict(6)
    paths = fc.sample_paths(6, 800, random_state=seed, output="arrays")
    plan = out[["unique_id", "ds"]].assign(supply=np.asarray(supply, dtype=float))
    if kind == "stock":
        start = pd.DataFrame({"unique_id": ["p"], "ds": [ds[-1]], "supply": [float(supply[0])]})
        plan = pd.concat([start, plan], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.DataWarning)
        for draws in (None, paths):
            gaps = tc.supply_gaps(out, plan, kind=kind, paths=draws)
            # demand is the distribution read: the intervals around the forecast mean,
            # or the paths (the simulated demand process)
            mean = gaps["mean"].to_numpy() if draws is None else draws["p"].mean(axis=0)
            es = gaps["expected_shortfall"].to_numpy()
            assert (es >= 0).all()
            assert (es <= mean * (1 + 1e-6) + 1e-9).all(), (es, mean)
            assert (gaps["expected_excess"] >= 0).all()
    x = paths["p"]
    assert (x >= 0).all()
    if fc.fit_report_["model_used"].iloc[0].startswith("IntermittentDemand"):
        assert np.array_equal(x, np.round(x))  # counts in, counts out
