"""supply_gaps no longer trusts the forecast frame blindly (issue 19).

Bounds that cannot be quantiles (non-finite, lo above hi, crossing levels) are
an error naming the rows; a mean outside its widest interval is read by the
rule of docs/supply-gaps.md ("A mean edited without its bounds"): an override
scales (or shifts) the distribution to the new mean, with a warning, and an
intermittent forecast (widest interval from zero) keeps its bounds while the
rare demand above them carries the mean. Whatever the frame, the expected
shortfall never exceeds the mean demand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import lognorm, norm

import trendcast as tc
from trendcast.adaptation import shortfall_stats

MONTHS = pd.date_range("2025-01-01", periods=3, freq="MS")


def _forecast(mean=100.0, sigma=15.0, ids=("a",)) -> pd.DataFrame:
    rows = []
    for uid in ids:
        frame = pd.DataFrame({"unique_id": uid, "ds": MONTHS, "model": "ETS", "mean": mean})
        for lv in (80, 95):
            z = norm.ppf(0.5 + lv / 200)
            frame[f"lo-{lv}"] = 100.0 - z * sigma
            frame[f"hi-{lv}"] = 100.0 + z * sigma
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _plan(fc: pd.DataFrame, supply: float) -> pd.DataFrame:
    return fc[["unique_id", "ds"]].assign(supply=supply)


def _quiet_gaps(fc, plan, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.DataWarning)
        return tc.supply_gaps(fc, plan, **kw)


# --- a planner's override: the mean raised (or cut) without its bounds --------------------


def test_a_mean_raised_without_its_bounds_moves_the_distribution_with_a_warning():
    fc = _forecast(mean=150.0)  # bounds still around 100
    with pytest.warns(tc.DataWarning, match=r"(?s)3 forecast rows.*outside.*'a'.*scaled") as rec:
        gaps = tc.supply_gaps(fc, _plan(fc, 110.0))
    assert rec[0].filename == __file__  # at the caller's line
    # the rule: the bounds scaled by 150/100, so demand is N(150, 22.5)
    assert gaps["p_short"].iloc[0] == pytest.approx(norm.sf(110, 150, 22.5), abs=3e-3)
    assert (gaps["flag"] == "short").all()
    # the same numbers as a forecast whose bounds were moved by hand
    moved = fc.assign(**{c: fc[c] * 1.5 for c in ["lo-80", "hi-80", "lo-95", "hi-95"]})
    expected = tc.supply_gaps(moved, _plan(moved, 110.0))
    cols = ["p_short", "expected_shortfall", "expected_excess"]
    pd.testing.assert_frame_equal(gaps[cols], expected[cols])


def test_a_mean_cut_to_zero_is_no_demand():
    fc = _forecast(mean=0.0)  # the planner delisted the category
    with pytest.warns(tc.DataWarning, match="scaled"):
        gaps = tc.supply_gaps(fc, _plan(fc, 0.0))
    assert (gaps["p_short"] == 0).all() and (gaps["expected_shortfall"] == 0).all()


def test_bounds_around_zero_are_shifted_not_scaled():
    # demand can be negative (returns): the bounds' own mean is 0, so they are shifted
    fc = _forecast(mean=0.0).assign(mean=80.0)
    fc[["lo-80", "hi-80", "lo-95", "hi-95"]] -= 100.0
    with pytest.warns(tc.DataWarning, match="shifted"):
        gaps = tc.supply_gaps(fc, _plan(fc, 80.0), nonnegative=False)
    assert gaps["p_short"].iloc[0] == pytest.approx(0.5, abs=3e-3)


def test_the_override_rule_holds_for_shortfall_stats_and_for_paths():
    fc = _forecast(mean=150.0)
    with pytest.warns(tc.DataWarning, match="scaled"):
        stats = shortfall_stats(fc, np.full(3, 110.0))
    assert stats["p_short"].iloc[0] == pytest.approx(norm.sf(110, 150, 22.5), abs=3e-3)
    rng = np.random.default_rng(0)
    paths = {"a": rng.normal(100.0, 15.0, (4000, 3))}
    with pytest.warns(tc.DataWarning, match="scaled"):
        gaps = tc.supply_gaps(fc, _plan(fc, 110.0), paths=paths)
    assert gaps["p_short"].iloc[0] == pytest.approx(norm.sf(110, 150, 22.5), abs=0.02)
    assert (gaps["distribution"] == "paths").all()


def test_a_mean_inside_its_interval_is_the_forecasts_own_and_gives_no_warning():
    fc = _forecast(mean=100.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tc.supply_gaps(fc, _plan(fc, 110.0))
        shortfall_stats(fc, np.full(3, 110.0))


# --- intermittent demand: a mean above bounds that start at zero is legitimate -------------


def test_intermittent_bounds_at_zero_keep_their_mean_in_the_rare_demand():
    # demand occurs in under 2.5% of periods: every bound is zero, the mean is not
    fc = pd.DataFrame(
        {"unique_id": "a", "ds": MONTHS, "mean": 1.77, "lo-80": 0.0, "hi-80": 0.0}
    ).assign(**{"lo-95": 0.0, "hi-95": 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nothing = tc.supply_gaps(fc, _plan(fc, 0.0))
        some = tc.supply_gaps(fc, _plan(fc, 1.0))
    # nothing planned: all demand is missed, however rare it is
    assert nothing["expected_shortfall"].to_numpy() == pytest.approx(1.77, rel=1e-9)
    assert some["p_short"].iloc[0] == pytest.approx(0.025, abs=1e-3)
    assert some["expected_shortfall"].iloc[0] == pytest.approx(1.77 - 0.025, rel=1e-6)


def test_a_real_intermittent_forecast_passes_without_warning():
    rng = np.random.default_rng(3)
    ds = pd.date_range("2018-01-01", periods=60, freq="MS")
    y = (rng.random(60) < 0.1) * rng.gamma(1, 50, 60)
    y[-5] = 30.0
    sales = pd.DataFrame({"unique_id": "a", "ds": ds, "y": y})
    fc = tc.TrendForecaster(models=tc.models.TSB()).fit(sales).predict(6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", tc.DataWarning)
        gaps = tc.supply_gaps(fc, fc[["unique_id", "ds"]].assign(supply=0.0))
    assert gaps["expected_shortfall"].to_numpy() == pytest.approx(fc["mean"].to_numpy(), rel=1e-6)


def test_demand_cut_off_at_zero_keeps_the_forecast_mean():
    # N(5, 10) has bounds below zero: cut off at zero its mean would be 8.99, and with
    # nothing planned the expected shortfall 180% of the mean demand
    fc = _forecast(mean=5.0, sigma=10.0)
    fc[["lo-80", "hi-80", "lo-95", "hi-95"]] -= 95.0
    gaps = tc.supply_gaps(fc, _plan(fc, 0.0))
    assert gaps["expected_shortfall"].to_numpy() == pytest.approx(5.0, rel=1e-6)
    assert gaps["p_short"].iloc[0] == pytest.approx(norm.cdf(0.5), abs=2e-3)  # P(D > 0) kept


def test_demand_that_can_be_negative_keeps_its_negative_values():
    # nonnegative=False was ignored with intervals: the draws were clipped at zero anyway
    fc = pd.DataFrame({"mean": [0.0], "lo-80": [-12.8155], "hi-80": [12.8155]})
    stats = shortfall_stats(fc, np.array([-5.0]), nonnegative=False)
    assert stats["p_short"].iloc[0] == pytest.approx(norm.sf(-5.0, 0.0, 10.0), abs=3e-3)
    es = 10.0 * norm.pdf(-0.5) + 5.0 * norm.sf(-0.5)  # E[(D + 5)+], D ~ N(0, 10)
    assert stats["expected_shortfall"].iloc[0] == pytest.approx(es, rel=1e-2)


# --- bounds that cannot be quantiles are an error naming the rows ---------------------------


def test_crossing_levels_are_an_error_naming_the_rows():
    fc = _forecast()
    fc.loc[1, "lo-95"] = 95.0  # above lo-80 (80.8): the 95% interval inside the 80% one
    with pytest.raises(tc.DataValidationError) as err:
        tc.supply_gaps(fc, _plan(fc, 110.0))
    text = str(err.value)
    assert "lo-95" in text and "lo-80" in text and "row 1" in text and "'a'" in text
    assert "Fix:" in text


def test_lo_above_hi_is_an_error_naming_the_row():
    fc = _forecast()
    fc.loc[2, ["lo-80", "hi-80"]] = [120.0, 80.0]
    with pytest.raises(tc.DataValidationError, match=r"(?s)lo-80.*hi-80.*row 2"):
        tc.supply_gaps(fc, _plan(fc, 110.0))
    with pytest.raises(tc.DataValidationError, match=r"row 2"):
        shortfall_stats(fc, np.full(3, 100.0))


def test_missing_or_infinite_bounds_are_an_error():
    fc = _forecast()
    fc.loc[0, "hi-95"] = np.inf
    fc.loc[1, "lo-80"] = np.nan
    with pytest.raises(tc.DataValidationError, match=r"(?s)2 forecast rows.*row 0.*row 1"):
        tc.supply_gaps(fc, _plan(fc, 110.0))


def test_the_widened_example_of_the_issue_no_longer_moves_p_short():
    # issue 19: non-nested bounds moved p_short from 0.41 to 0.94; now refused
    fc = _forecast()
    bad = fc.assign(**{"lo-95": fc["lo-80"] + 5, "hi-95": fc["hi-80"] - 5})
    with pytest.raises(tc.DataValidationError, match="nested"):
        tc.supply_gaps(bad, _plan(bad, 105.0))


# --- the expected shortfall never exceeds demand --------------------------------------------


@st.composite
def forecast_frames(draw):
    """Consistent forecasts (normal, lognormal, intermittent), maybe with an overridden mean."""
    n = draw(st.integers(1, 4))
    family = draw(st.sampled_from(["normal", "lognormal", "intermittent"]))
    scale = draw(st.floats(0.5, 1e5))
    spread = draw(st.floats(0.01, 1.5))
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2025-01-01", periods=n, freq="MS")}
    )
    if family == "normal":  # bounds below zero too: demand is cut off at zero
        d = norm(scale, scale * spread)
    elif family == "lognormal":
        d = lognorm(spread, scale=scale)
    levels = (80, 95)
    upper = draw(st.sampled_from([0.0, 1.0]))  # intermittent: demand in <2.5% or >10% of periods
    for lv in levels:
        if family == "intermittent":
            frame[f"lo-{lv}"] = 0.0
            frame[f"hi-{lv}"] = scale * (lv / 95) * upper
        else:
            frame[f"lo-{lv}"] = d.ppf(0.5 - lv / 200)
            frame[f"hi-{lv}"] = d.ppf(0.5 + lv / 200)
    mean = scale * draw(st.floats(0.05, 3.0)) if family == "intermittent" else d.mean()
    factor = draw(st.sampled_from([1.0, 0.0, 0.2, 0.5, 1.5, 3.0]))
    frame["mean"] = mean * factor
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fc=forecast_frames(),
    supply=st.lists(st.floats(0, 3e5), min_size=4, max_size=4),
    kind=st.sampled_from(["flow", "stock"]),
    paths=st.booleans(),
)
def test_expected_shortfall_never_exceeds_mean_demand(fc, supply, kind, paths):
    n = len(fc)
    if kind == "flow":
        plan = _plan(fc, 0.0).assign(supply=supply[:n])
    else:
        plan = pd.DataFrame(
            {"unique_id": "a", "ds": [fc["ds"].iloc[0] - pd.offsets.MonthBegin()], "supply": [0.0]}
        )
        plan = pd.concat([plan, _plan(fc, 0.0).assign(supply=supply[:n])], ignore_index=True)
    draws = None
    if paths:  # demand of mean 1 in every period, times the mean (before any override)
        noise = np.random.default_rng(0).lognormal(0, 0.3, (500, n))
        draws = {"a": fc["mean"].to_numpy() * noise / noise.mean(axis=0)}
    gaps = _quiet_gaps(fc, plan, kind=kind, paths=draws, freq="MS")
    mean = gaps["mean"].to_numpy()
    es = gaps["expected_shortfall"].to_numpy()
    assert (es >= 0).all()
    assert (es <= mean * (1 + 1e-6) + 1e-6 * (1 + np.abs(mean))).all(), (es, mean)
    assert gaps["shortfall_share"].between(0, 1 + 1e-6).all()
