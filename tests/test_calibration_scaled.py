"""Per-category scale in the conformal calibration (issue 23: intervals on unseen data).

A few volatile categories in the pooled backtest errors used to widen every
category's bounds; with ``calibration="conformal"`` each category's errors
are divided by its own (shrunk) scale before pooling and the quantile is
multiplied back by it. ``calibration="pooled"`` keeps the calibration before.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._calibration import SHRINK, Calibration
from trendcast.exceptions import ParameterError
from trendcast.models.base import ModelForecast

Z80 = 1.2815515655446004
Z95 = 1.959963984540054


def _panel_errors(seed: int = 0, n_calm: int = 27, n_volatile: int = 3, wild: float = 5.0):
    """Normalised errors of one candidate: calm categories N(0,1), volatile N(0, wild^2)."""
    rng = np.random.default_rng(seed)
    steps = np.concatenate([np.arange(1, 19), np.arange(1, 13), np.arange(1, 7)])  # 36 a category
    parts, cats = [], []
    for i in range(n_calm + n_volatile):
        sd = wild if i >= n_calm else 1.0
        parts.append((steps, sd * rng.standard_normal(steps.size)))
        cats.append(f"c{i}")
    return parts, cats


def test_volatile_categories_no_longer_widen_the_calm_ones():
    parts, cats = _panel_errors()
    pooled = Calibration({0: ("m", parts)}, min_per_step=100)
    scaled = Calibration({0: ("m", parts)}, min_per_step=100, categories={0: cats})
    # the pooled 95% factor is pulled up by the three volatile categories
    assert pooled.factor(0, 95, 1)[0] > 1.8
    calm = [scaled.scale(0, c) for c in cats[:27]]
    wild = [scaled.scale(0, c) for c in cats[27:]]
    assert max(calm) < 1.0 < min(wild)
    assert min(wild) > 1.4
    # fresh errors of a calm category: the bounds of the scaled calibration
    # cover closer to their level than the pooled ones, which cover far more
    fresh = np.abs(np.random.default_rng(1).standard_normal(20_000))
    for level, z in ((80, Z80), (95, Z95)):
        half_scaled = scaled.factor(0, level, 1)[0] * z * np.mean(calm)
        half_pooled = pooled.factor(0, level, 1)[0] * z
        cov_scaled = np.mean(fresh <= half_scaled)
        cov_pooled = np.mean(fresh <= half_pooled)
        assert abs(cov_scaled - level / 100) < abs(cov_pooled - level / 100)
        assert cov_pooled > level / 100 + 0.02
        # and a volatile one is covered more nearly at its level than by the pool
        fresh_wild = 5.0 * fresh
        half_wild = scaled.factor(0, level, 1)[0] * z * np.mean(wild)
        cov_wild_scaled = np.mean(fresh_wild <= half_wild)
        cov_wild_pooled = np.mean(fresh_wild <= half_pooled)
        assert abs(cov_wild_scaled - level / 100) < abs(cov_wild_pooled - level / 100)


def test_the_scale_is_shrunk_toward_one():
    parts, cats = _panel_errors()
    raw = Calibration({0: ("m", parts)}, categories={0: cats}, shrink=0.0)
    shrunk = Calibration({0: ("m", parts)}, categories={0: cats}, shrink=SHRINK)
    for c in cats:
        assert abs(np.log(shrunk.scale(0, c))) < abs(np.log(raw.scale(0, c)))
    # a category the calibration never saw, or a candidate without scales, gets 1
    assert shrunk.scale(0, "new") == 1.0
    assert shrunk.scale(5, "c0") == 1.0


def test_without_categories_the_calibration_is_the_pooled_one():
    parts, cats = _panel_errors()
    a = Calibration({0: ("m", parts)})
    b = Calibration({0: ("m", parts)}, categories={0: cats}, shrink=1e12)
    assert a.scales == {}
    assert np.allclose(a.factor(0, 95, 18), b.factor(0, 95, 18))


def test_adjust_and_paths_use_the_category_scale():
    parts, cats = _panel_errors()
    cal = Calibration({0: ("m", parts)}, categories={0: cats})
    mean = np.full(3, 100.0)
    fc = ModelForecast(mean=mean)
    fc.lower[80], fc.upper[80] = mean - Z80 * 10, mean + Z80 * 10
    wide = cal.adjust(0, fc, (80, 95), "c29")
    calm = cal.adjust(0, fc, (80, 95), "c0")
    ratio = (wide.upper[95] - mean) / (calm.upper[95] - mean)
    assert np.allclose(ratio, cal.scale(0, "c29") / cal.scale(0, "c0"))
    assert np.array_equal(wide.mean, mean) and np.array_equal(calm.mean, mean)
    # paths mapped for a category: its deviations are the calm category's times
    # the ratio of their scales, and those of a category without a scale are
    # the pool's own (scale 1)
    rng = np.random.default_rng(3)
    paths = mean + 10 * rng.standard_normal((2_000, 3))
    mapped_wide = cal.adjust_paths(0, paths, fc, "c29")
    mapped_calm = cal.adjust_paths(0, paths, fc, "c0")
    mapped_new = cal.adjust_paths(0, paths, fc, "never seen")
    ratio = cal.scale(0, "c29") / cal.scale(0, "c0")
    np.testing.assert_allclose(mapped_wide - mean, (mapped_calm - mean) * ratio)
    np.testing.assert_allclose(
        mapped_calm - mean, (mapped_new - mean) * cal.scale(0, "c0"), atol=1e-9
    )


def _panel() -> pd.DataFrame:
    sales = tc.datasets.load_us_retail()
    keep = sales["unique_id"].unique()[:10]
    return sales[sales["unique_id"].isin(keep) & (sales["ds"] >= "2010-01-01")]


@pytest.fixture(scope="module")
def fits():
    sales = _panel()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cal in ("pooled", "conformal", None):
            model = tc.TrendForecaster(models=tc.models.Theta(), calibration=cal).fit(sales)
            out[cal] = (model, model.predict(h=12, level=(80, 95)))
    return out


def test_calibration_never_moves_the_point_forecast(fits):
    means = [fits[c][1]["mean"].to_numpy() for c in ("pooled", "conformal", None)]
    assert np.array_equal(means[0], means[1]) and np.array_equal(means[0], means[2])
    pooled, scaled = fits["pooled"][1], fits["conformal"][1]
    assert not np.allclose(pooled["hi-95"], scaled["hi-95"])
    # the pooled fit keeps no scales; the conformal one has one per category
    assert fits["pooled"][0].state_.calibration.scales == {}
    scales = fits["conformal"][0].state_.calibration.scales[0]
    assert set(scales) == set(_panel()["unique_id"].unique())


def test_a_category_wider_by_its_scale(fits):
    model, scaled = fits["conformal"]
    pooled = fits["pooled"][1]
    scales = model.state_.calibration.scales[0]
    widest = max(scales, key=scales.get)
    calmest = min(scales, key=scales.get)
    assert scales[widest] > 1 > scales[calmest]

    def half(frame, key):
        rows = frame[frame["unique_id"] == key]
        return (rows["hi-80"] - rows["mean"]).to_numpy()

    # relative to the pooled calibration, the volatile category widens and the calm one narrows
    # (the pooled quantiles differ between the two, the ratio of the two categories does not)
    assert np.all(
        half(scaled, widest) / half(pooled, widest) > half(scaled, calmest) / half(pooled, calmest)
    )


def test_saved_scales_predict_the_same(fits, tmp_path):
    model, before = fits["conformal"]
    model.save(tmp_path / "m.tcf")
    loaded = tc.load(tmp_path / "m.tcf")
    assert loaded.state_.calibration.scales == model.state_.calibration.scales
    pd.testing.assert_frame_equal(loaded.predict(h=12, level=(80, 95)), before)


def test_cross_validation_scales_each_window():
    sales = _panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = {
            cal: tc.TrendForecaster(models=tc.models.Theta(), calibration=cal).cross_validation(
                sales, h=6, n_windows=2
            )
            for cal in ("pooled", "conformal")
        }
    assert np.array_equal(cv["pooled"]["mean"], cv["conformal"]["mean"])
    assert not np.allclose(cv["pooled"]["hi-80"], cv["conformal"]["hi-80"])


def test_an_unknown_calibration_is_refused():
    with pytest.raises(ParameterError, match="'conformal', 'pooled' or None"):
        tc.TrendForecaster(calibration="scaled").fit(_panel())


def test_a_small_panel_keeps_the_pooled_calibration():
    # with fewer than MIN_CATEGORIES categories a category is too large a part
    # of the pool it would be compared with: no scales, the pooled quantiles
    from trendcast._calibration import MIN_CATEGORIES

    parts, cats = _panel_errors(n_calm=MIN_CATEGORIES - 2, n_volatile=1)
    small = Calibration({0: ("m", parts)}, categories={0: cats})
    pooled = Calibration({0: ("m", parts)})
    assert small.scales == {}
    assert np.array_equal(small.factor(0, 95, 18), pooled.factor(0, 95, 18))
    parts, cats = _panel_errors(n_calm=MIN_CATEGORIES - 1, n_volatile=1)
    assert Calibration({0: ("m", parts)}, categories={0: cats}).scales != {}
