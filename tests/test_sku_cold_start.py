"""Issue 23: a new category gets a forecast and intervals from its first observation.

A category with one observation was skipped: ``predict`` returned rows for the
others only, and a nightly job had no number for exactly the new products a
planner worries about. With ``cold_start=True`` (off by default: an existing
test pins the skip), a category shorter than the candidates need gets
``ColdStart``: its latest value, with the spread of its peers' moves, and
``fit_report_`` says "cold start" and how.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.models import ColdStart
from trendcast.models.cold_start import PROBABILITIES, peer_ratios


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tc.datasets.load_us_retail(categories=["445", "448", "4541"])


def _with_new(retail: pd.DataFrame, k: int) -> pd.DataFrame:
    new = retail[retail["unique_id"] == "4541"].head(k)
    return pd.concat([retail[retail["unique_id"] != "4541"], new], ignore_index=True)


def _quiet_fit(df: pd.DataFrame, **kw) -> tc.TrendForecaster:
    kw.setdefault("cold_start", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.FallbackWarning)
        return tc.TrendForecaster(**kw).fit(df)


@pytest.mark.parametrize("k", [1, 3])
def test_a_category_with_few_observations_gets_a_forecast_and_intervals(retail, k):
    df = _with_new(retail, k)
    fc = _quiet_fit(df)
    out = fc.predict(6).set_index("unique_id")
    assert set(out.index) == {"445", "448", "4541"}
    new = out.loc["4541"]
    level = df[df["unique_id"] == "4541"]["y"].iloc[-1]  # its latest value
    assert len(new) == 6 and new[["mean", "lo-95", "hi-95"]].notna().all().all()
    assert (new["lo-95"] <= new["lo-80"]).all() and (new["hi-80"] <= new["hi-95"]).all()
    assert (new["lo-80"] < new["mean"]).all() and (new["mean"] < new["hi-80"]).all()
    assert (new["hi-95"] > new["lo-95"]).all()
    # about its own level, not the peers' (which are several times larger)
    assert new["mean"].between(0.8 * level, 1.25 * level).all()
    row = fc.fit_report_.set_index("unique_id").loc["4541"]
    assert row["model_used"] == "ColdStart"
    assert row["reason"].startswith(f"cold start: {k} observation")
    assert "peer categories" in row["reason"]
    paths = fc.sample_paths(6, 300, random_state=0, output="arrays")["4541"]
    assert paths.shape == (300, 6) and (paths >= 0).all()


def test_each_step_takes_the_spread_of_the_peers_at_that_step(retail):
    fc = _quiet_fit(_with_new(retail, 1))
    new = fc.predict(12).query("unique_id == '4541'")
    level = retail[retail["unique_id"] == "4541"]["y"].iloc[0]
    peers = [g["y"].to_numpy() for k, g in retail.groupby("unique_id") if k != "4541"]
    table = peer_ratios(peers)
    for step in (1, 12):
        lo, hi = np.interp([0.1, 0.9], PROBABILITIES, table[step - 1])
        row = new.iloc[step - 1]
        assert row["lo-80"] == pytest.approx(level * lo, rel=1e-9)
        assert row["hi-80"] == pytest.approx(level * hi, rel=1e-9)


def test_a_cold_start_is_saved_and_loaded(retail, tmp_path):
    fc = _quiet_fit(_with_new(retail, 1))
    fc.save(tmp_path / "m")
    again = tc.load(tmp_path / "m")
    pd.testing.assert_frame_equal(again.predict(4), fc.predict(4))


def test_a_new_category_brought_by_update_starts_cold_from_the_fitted_peers(retail):
    old = retail[retail["unique_id"] != "4541"]
    fc = _quiet_fit(old)
    new = retail[retail["unique_id"] == "4541"].head(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc.update(new)
    assert fc.fit_report_.set_index("unique_id").loc["4541", "model_used"] == "ColdStart"
    assert "2 peer categories" in fc.fit_report_.set_index("unique_id").loc["4541", "reason"]
    assert (fc.predict(3)["unique_id"] == "4541").sum() == 3


def test_without_cold_start_the_fallback_chain_stays(retail):
    fc = _quiet_fit(_with_new(retail, 3), cold_start=False)
    assert fc.fit_report_.set_index("unique_id").loc["4541", "model_used"] == "Naive"


def test_cold_start_works_with_models_given_by_the_caller(retail):
    fc = _quiet_fit(_with_new(retail, 1), models=tc.models.ETS())
    row = fc.fit_report_.set_index("unique_id").loc["4541"]
    assert row["model_used"] == "ColdStart" and "fewer than the 4" in row["reason"]


def test_cold_start_must_be_true_or_false(retail):
    with pytest.raises(tc.ParameterError, match="cold_start"):
        tc.TrendForecaster(cold_start="yes").fit(retail)


def test_peer_ratios_are_quantiles_of_the_moves_from_each_origin():
    table = peer_ratios([np.array([10.0, 20, 10, 20, 10])], max_steps=1)
    assert len(table) == 1 and len(table[0]) == PROBABILITIES.size
    # ratios 2, 0.5, 2, 0.5: half of them each
    assert table[0][0] == pytest.approx(0.5) and table[0][-1] == pytest.approx(2.0)
    assert peer_ratios([np.array([3.0])]) is None


def test_cold_start_without_peers_uses_its_own_points():
    one = ColdStart().fit(np.array([7.0])).predict(3, level=(80,))
    assert np.allclose(one.mean, 7.0) and np.allclose(one.lower[80], 7.0)
    two = ColdStart().fit(np.array([6.0, 9.0])).predict(2, level=(80,))
    assert two.upper[80][0] > 7.5


def test_bad_ratios_name_the_parameter():
    with pytest.raises(tc.ParameterError, match="ratios"):
        ColdStart(ratios=((1.0, 2.0),)).fit(np.array([3.0]))
