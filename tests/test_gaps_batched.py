"""Supply gaps of many categories computed together equal those computed one at a time.

``supply_gaps`` compares the flow plans of one shape (draws x periods) as one
array; the reference is the per-plan loop it replaced (``_plan_columns``
for each plan). Both run on odd inputs and must give the same frame to the
bit. The job's ``_covered`` (each category's paths cut to its planned steps)
is checked against the groupby it replaced.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
import trendcast.adaptation.gaps  # the module (the package exports the function by name)
from trendcast.job import analysis

gaps_module = sys.modules["trendcast.adaptation.gaps"]


def _loop(plans, mean, demand, rule, priced):  # the per-plan route, as it was
    return [gaps_module._plan_columns(p, mean[p.rows], demand, rule, priced) for p in plans]


def _forecast(n: int, h: int, *, seed: int = 0, ragged: bool = False, zeros: bool = False):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-07", periods=h, freq="W-SUN")
    frames = []
    for i in range(n):
        k = max(1, h - i % 4) if ragged else h
        mean = rng.gamma(2.0, 30.0, k) * (0 if zeros and i % 3 == 0 else 1)
        frames.append(pd.DataFrame({"unique_id": f"c{i:03d}", "ds": dates[:k], "model": "Theta",
                                    "mean": mean, "lo-80": mean * 0.7, "hi-80": mean * 1.4,
                                    "lo-95": mean * 0.5, "hi-95": mean * 1.7}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _paths(fc: pd.DataFrame, *, seed: int = 1, draws: Any = 200, nan: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for i, (key, g) in enumerate(fc.groupby("unique_id", sort=False)):
        n = draws if isinstance(draws, int) else draws[i % len(draws)]
        x = g["mean"].to_numpy()[None, :] * rng.lognormal(0, 0.4, (n, len(g)))
        x[rng.random(x.shape) < 0.1] -= 50.0  # some below zero
        if nan and i == 2:
            x[0, 0] = np.nan
        out[key] = x
    return out


def _plan(fc: pd.DataFrame, *, seed: int = 2, ints: bool = False, missing: bool = False):
    rng = np.random.default_rng(seed)
    plan = fc[["unique_id", "ds"]].copy()
    plan["supply"] = np.round(fc["mean"].to_numpy() * rng.uniform(0.6, 1.4, len(fc)), 1)
    if ints:
        plan["supply"] = plan["supply"].round().astype(int)
    if missing:
        plan = plan[~plan["unique_id"].isin(["c001", "c005"])]  # categories without a plan
    return plan


def _same(monkeypatch, call) -> pd.DataFrame:
    new = call()
    with monkeypatch.context() as m:
        m.setattr(gaps_module, "_all_plan_columns", _loop)
        old = call()
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    for col in new.columns:
        if new[col].dtype == np.float64:
            assert new[col].to_numpy().tobytes() == old[col].to_numpy().tobytes(), col
    return new


CASES = {
    "one category": dict(n=1, h=13),
    "many": dict(n=60, h=13),
    "ragged": dict(n=30, h=13, ragged=True),
    "zero demand": dict(n=30, h=8, zeros=True),
    "one period": dict(n=10, h=1),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("window", [None, 1, 3])
def test_flow_gaps_of_paths_equal_the_per_plan_loop(monkeypatch, case, window):
    fc = _forecast(**CASES[case])
    paths = _paths(fc)
    plan = _plan(fc)
    got = _same(monkeypatch, lambda: tc.supply_gaps(fc, plan, paths=paths, window=window))
    assert len(got) == len(fc)
    _same(monkeypatch, lambda: tc.supply_gaps(fc, plan, paths=paths, window=window,
                                              persistence=1, threshold=0.6))  # fmt: skip


def test_odd_paths_plans_and_prices(monkeypatch):
    fc = _forecast(25, 13, ragged=True)
    mixed = _paths(fc, draws=[200, 50, 1])  # draws of several counts, one of a single path
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc, ints=True), paths=mixed))
    with pytest.raises(tc.DataValidationError, match="missing or infinite"):
        tc.supply_gaps(fc, _plan(fc), paths=_paths(fc, nan=True))
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc), paths=mixed, nonnegative=False))
    with pytest.warns(tc.DataWarning):
        _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc, missing=True), paths=mixed))
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc), paths=mixed, unit_price=2.5))
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc)))  # the intervals' quantiles
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc), discrete=True, persistence=3))
    scenarios = pd.concat([_plan(fc).assign(scenario="a"), _plan(fc, seed=5).assign(scenario="b")])
    _same(monkeypatch, lambda: tc.supply_gaps(fc, scenarios, paths=mixed, scenario_col="scenario"))


def test_covered_cuts_each_category_as_the_groupby_did():
    fc = _forecast(12, 13, ragged=True)
    fc["step"] = fc.groupby("unique_id").cumcount() + 1
    fc = fc.sample(frac=1.0, random_state=0).reset_index(drop=True)
    paths = _paths(fc.sort_values(["unique_id", "ds"]))
    paths.pop("c004")
    plan = _plan(fc, missing=True)
    rows, cut = analysis._covered(fc, plan, paths)
    want_rows = fc.merge(plan[["unique_id", "ds"]], on=["unique_id", "ds"], how="inner")
    want_rows = want_rows.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    want = {k: paths[k][:, g["step"].to_numpy() - 1]
            for k, g in want_rows.groupby("unique_id", sort=False) if k in paths}  # fmt: skip
    assert list(cut) == list(want)
    for key in want:
        assert cut[key].tobytes() == want[key].tobytes()
        assert cut[key].shape == want[key].shape
    pd.testing.assert_frame_equal(rows, want_rows[want_rows["unique_id"].isin(want)])


def test_plans_split_across_batches(monkeypatch):
    monkeypatch.setattr(gaps_module, "_BATCH", 7)  # 60 plans: batches of 7 and a rest of 4
    fc = _forecast(60, 13, ragged=True)
    paths = _paths(fc, draws=[200, 50])
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc), paths=paths, window=2))
    _same(monkeypatch, lambda: tc.supply_gaps(fc, _plan(fc)))
