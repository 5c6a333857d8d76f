"""stitch_trends on real overlapping exports and on windows cut from a real series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast import DataValidationError

DATA = Path(__file__).resolve().parents[1] / "data" / "gtrends"


def gt_window(series: pd.Series, source: str, term: str = "walmart") -> pd.DataFrame:
    """What Google would return for this window: rescaled to max 100, rounded."""
    scaled = np.round(series / series.max() * 100)
    return pd.DataFrame(
        {
            "ds": series.index,
            "term": term,
            "geo": "US",
            "value": scaled.to_numpy(),
            "source": source,
        }
    )


@pytest.fixture(scope="module")
def walmart() -> pd.Series:
    df = tc.read_google_trends(DATA / "us_walmart_weekly.csv")
    return df.set_index("ds")["value"]


def test_real_overlapping_exports_of_ozempic_agree():
    # the 1-year export (ozempic + glp-1) and the 5-year export (ozempic + monjauro + wegovy)
    # are both real downloads; on their 52 common weeks one ratio must explain them
    trends = tc.read_google_trends(
        [DATA / "us_glp1_ozempic_glp1_weekly.csv", DATA / "us_glp1_ozempic_monjauro_wegovy_5y.csv"]
    )
    ozempic = trends[trends["term"] == "ozempic"]
    stitched, joins = tc.stitch_trends(ozempic)
    assert len(joins) == 1
    join = joins.iloc[0]
    assert join["kind"] == "overlap" and join["n_overlap"] == 53 and join["n_used"] == 53
    short = ozempic[ozempic["source"] == "us_glp1_ozempic_glp1_weekly.csv"].set_index("ds")["value"]
    long = ozempic[ozempic["source"] != "us_glp1_ozempic_glp1_weekly.csv"].set_index("ds")["value"]
    common = short.index.intersection(long.index)
    # the 5-year window starts first, so it is the reference: ratio ~ long / short
    assert join["ratio"] == pytest.approx(np.median(long[common] / short[common]), rel=0.02)
    assert join["residual"] < 0.03  # sampling noise between two downloads is small
    assert stitched["ds"].min() == pd.Timestamp("2020-11-22")
    assert stitched["ds"].max() == pd.Timestamp("2025-11-23")
    assert stitched["value"].max() == pytest.approx(100)
    assert stitched["freq"].unique().tolist() == ["W-SUN"]


def test_real_berlin_exports_share_terms():
    trends = tc.read_google_trends(
        [DATA / "test.csv", DATA / "trends_comparison_organic_berlin_5y.csv"]
    )
    both = trends[trends["term"].isin(["supermarkt berlin"])]
    stitched, joins = tc.stitch_trends(both)
    assert joins["n_overlap"].tolist() == [53]
    assert joins["residual"].iloc[0] < 0.15
    assert len(stitched) == 262


def test_windows_cut_from_a_real_series_recover_it(walmart):
    truth = walmart
    a = gt_window(truth.iloc[:120], "a")
    b = gt_window(truth.iloc[100:200] * 3, "b")
    c = gt_window(truth.iloc[180:], "c")
    stitched, joins = tc.stitch_trends([c, a, b])  # order of windows does not matter
    got = stitched.set_index("ds")["value"]
    assert got.index.equals(truth.index)
    ratio = got / truth
    assert ratio.std() / ratio.mean() < 0.02  # same shape up to one scale, rounding aside
    assert len(joins) == 2 and (joins["residual"] < 0.02).all()
    assert joins["reference"].tolist() == ["a#1", "a#1 + b#2"]


def test_zeros_and_below_one_are_ignored_in_the_ratio():
    ds = pd.date_range("2024-01-07", periods=10, freq="W-SUN")
    base = np.array([0, 0.5, 10, 20, 40, 80, 100, 60, 30, 0])
    a = pd.DataFrame(
        {
            "ds": ds[:8],
            "term": "x",
            "geo": "",
            "value": base[:8],
            "source": "a",
            "below_one": base[:8] == 0.5,
        }
    )
    b = pd.DataFrame(
        {"ds": ds, "term": "x", "geo": "", "value": base / 2, "source": "b", "below_one": False}
    )
    b.loc[1, "below_one"] = True
    _, joins = tc.stitch_trends([a, b])
    assert joins["n_overlap"].iloc[0] == 8
    assert joins["n_used"].iloc[0] == 6  # zeros, <1 and values under 1 carry no scale
    # same start: the longer window (b) is the reference, so a is halved
    assert joins["reference"].iloc[0] == "b#1" and joins["source"].iloc[0] == "a#0"
    assert joins["ratio"].iloc[0] == pytest.approx(0.5)


def test_daily_windows_are_anchored_on_a_coarser_series(walmart):
    # a daily series built from the real weekly one (each week's value spread over its days
    # with a fixed weekday pattern); Google's weekly view of it is the weekly mean
    days = pd.date_range(walmart.index[0], walmart.index[-1] + pd.Timedelta(days=6), freq="D")
    pattern = np.array([1.3, 0.9, 0.9, 0.95, 1.0, 1.05, 0.9])
    truth = pd.Series(np.repeat(walmart.to_numpy(), 7) * np.tile(pattern, len(walmart)), days)
    weekly = truth.groupby(np.arange(len(truth)) // 7).mean()
    weekly.index = walmart.index
    windows = [gt_window(weekly, "weekly")]
    for k, start in enumerate(range(0, 270, 90)):
        windows.append(gt_window(truth.iloc[start : start + 100], f"day-{k}"))
    stitched, joins = tc.stitch_trends(windows)
    got = stitched.set_index("ds")["value"]
    assert stitched["freq"].unique().tolist() == ["D"]
    assert (joins["kind"] == "granularity").sum() == 1
    # weekly means of the stitched daily series equal the weekly export
    week_means = got.groupby(np.arange(len(got)) // 7).mean()
    expected = gt_window(weekly, "w")["value"].to_numpy()[: len(week_means)]
    full = np.arange(len(week_means)) < len(got) // 7
    np.testing.assert_allclose(week_means[full], expected[full], rtol=1e-9)
    ratio = got / truth.reindex(got.index)
    assert ratio.std() / ratio.mean() < 0.05


def test_windows_that_do_not_overlap_are_refused(walmart):
    a = gt_window(walmart.iloc[:50], "a")
    b = gt_window(walmart.iloc[60:], "b")
    with pytest.raises(DataValidationError, match=r"window 'b#1' shares 0 dates.*Fix: download"):
        tc.stitch_trends([a, b])
