"""Conformal calibration of intervals and joint sample paths through TrendForecaster.

The known answer: on random walks, Naive's intervals are right; a Naive whose
standard deviation is halved (variance x0.25) has intervals half as wide as
they should be, one whose standard deviation is doubled twice as wide.
Calibration must find the factors 2, 0.5 and 1, and the held-out coverage
must land near the nominal level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import trendcast as tc
from trendcast._calibration import Calibration
from trendcast.backtest import score_models

H = 12
N_SERIES = 300
N_TRAIN = 60


class ScaledNaive(tc.models.Naive):
    """Naive whose interval standard deviation is off by ``scale``."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        super()._fit(y, X)
        self.sigma_ *= self.scale


def random_walks(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gaussian random walks (sd 1 to 5 by series) far from zero; train and held-out test."""
    rng = np.random.default_rng(seed)
    sd = rng.uniform(1, 5, (N_SERIES, 1))
    y = 1000 + np.cumsum(rng.normal(0, 1, (N_SERIES, N_TRAIN + H)) * sd, axis=1)
    dates = pd.date_range("2015-01-01", periods=N_TRAIN + H, freq="MS")
    df = pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:03d}" for i in range(N_SERIES)], N_TRAIN + H),
            "ds": np.tile(dates, N_SERIES),
            "y": y.ravel(),
        }
    )
    is_test = df["ds"] >= dates[N_TRAIN]
    return df[~is_test], df[is_test]


@pytest.fixture(scope="module")
def walks() -> tuple[pd.DataFrame, pd.DataFrame]:
    return random_walks()


def coverage(out: pd.DataFrame, test: pd.DataFrame, level: int) -> float:
    m = out.merge(test, on=["unique_id", "ds"])
    return float(((m["y"] >= m[f"lo-{level}"]) & (m["y"] <= m[f"hi-{level}"])).mean())


# Coverage of 300 series x 12 steps: the indicators of one series are correlated
# (a random walk that drifts out stays out), so count about 3 independent draws per
# series: sd sqrt(0.16 / 900) = 0.013 at 80%, sqrt(0.0475 / 900) = 0.007 at 95%.
# The tolerance is 3 sd; the miscalibrated raw intervals miss by far more.
TOLERANCE = {80: 0.04, 95: 0.025}


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_calibration_repairs_intervals_of_a_misspecified_model(walks, scale):
    train, test = walks
    raw = tc.TrendForecaster(models=ScaledNaive(scale), calibration=None).fit(train)
    cal = tc.TrendForecaster(models=ScaledNaive(scale)).fit(train)
    out_raw, out_cal = raw.predict(H), cal.predict(H)
    np.testing.assert_allclose(out_cal["mean"], out_raw["mean"])
    for level in (80, 95):
        before, after = coverage(out_raw, test, level), coverage(out_cal, test, level)
        assert abs(before - level / 100) > TOLERANCE[level]
        assert after == pytest.approx(level / 100, abs=TOLERANCE[level])
    report = cal.calibration_report_
    assert set(report["model"]) == {"Naive"}
    # the backtest sees steps 1..18 (3 windows of 6; the oldest runs to the end)
    assert report["step"].max() == 18
    factors = report.loc[report["level"] == 80, "factor"]
    assert factors.median() == pytest.approx(1 / scale, rel=0.1)


def test_well_calibrated_intervals_are_left_nearly_unchanged(walks):
    train, test = walks
    raw = tc.TrendForecaster(models=tc.models.Naive(), calibration=None).fit(train).predict(H)
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(train)
    out = fc.predict(H)
    width_ratio = (out["hi-80"] - out["lo-80"]) / (raw["hi-80"] - raw["lo-80"])
    assert width_ratio.median() == pytest.approx(1.0, abs=0.1)
    assert coverage(out, test, 80) == pytest.approx(0.8, abs=TOLERANCE[80])
    report = fc.calibration_report_
    assert report["coverage_before"].between(report["level"] / 100 - 0.05, 1).all()


def test_backtest_errors_are_normalised_by_the_model_interval():
    # y = 0, 1, 2...: Naive's sigma is 1, its error at step s is s, its sd sqrt(s)
    y = np.arange(36.0)
    (score,) = score_models(
        y, [tc.models.Naive()], h=6, n_windows=2, season_length=1, with_errors=True
    )
    # cutoffs 24 and 30: the first window runs to the end (12 steps), the second 6
    np.testing.assert_array_equal(score.steps, np.r_[np.arange(1, 13), np.arange(1, 7)])
    np.testing.assert_allclose(score.errors, np.sqrt(score.steps))
    assert score.mase == pytest.approx(3.5)  # still over the first h steps only


def test_steps_borrow_neighbours_and_tiny_panels_stay_uncalibrated():
    rng = np.random.default_rng(0)
    steps = np.r_[np.repeat([1, 2, 3], 150), np.repeat(4, 10)]
    errors = rng.standard_normal(steps.size)
    cal = Calibration(
        {"a": ("A", [(steps, errors)]), "b": ("B", [(steps[:20], errors[:20])])},
        min_errors=30,
        min_per_step=200,
    )
    counts = cal.pools["a"].counts
    assert counts == [300, 450, 310, 310]  # step 1 pools 1-2, step 4 pools 2-4
    assert not cal.covers("b")
    fc = tc.models.ModelForecast.from_normal(np.zeros(3), np.ones(3), (80,))
    assert cal.adjust("b", fc, (80,)) is fc
    # beyond the longest step, the longest step's factor
    f = cal.factor("a", 95, 6)
    assert f[4] == f[5] == f[3]
    report = cal.report()
    skipped = report[report["model"] == "B"]
    assert (skipped["factor"] == 1.0).all() and skipped["step"].isna().all()


def test_factor_matches_the_conformal_quantile():
    # normalised errors 2x too large: the factor is the quantile of |e| over z
    e = 2 * norm.ppf(np.linspace(0.0005, 0.9995, 2000))
    cal = Calibration({"m": ("M", [(np.ones(e.size, dtype=int), e)])})
    for level in (50, 80, 95):
        assert cal.factor("m", level, 1)[0] == pytest.approx(2.0, rel=0.01)


def test_calibrated_paths_have_the_quantiles_of_the_calibrated_intervals(walks):
    train, _ = walks
    fc = tc.TrendForecaster(models=ScaledNaive(0.5)).fit(train)
    out = fc.predict(H, level=(80, 95)).set_index("unique_id")
    paths = fc.sample_paths(H, n_paths=4000, random_state=1, output="arrays")
    assert set(paths) == set(train["unique_id"])
    for key in ("s000", "s001"):
        p = paths[key]
        assert p.shape == (4000, H)
        rows = out.loc[key]
        half = (rows["hi-80"] - rows["mean"]).to_numpy()
        # 4 standard errors of a sample quantile of 4000 draws (tests/models/test_contract.py)
        tol = 4 * 1.334 / np.sqrt(4000) * half
        low, high = np.quantile(p, [0.1, 0.9], axis=0)
        np.testing.assert_array_less(np.abs(low - rows["lo-80"].to_numpy()), tol)
        np.testing.assert_array_less(np.abs(high - rows["hi-80"].to_numpy()), tol)
        # a random walk: the change from step 1 to step 12 has 11/12 of the final variance
        ratio = np.var(p[:, -1] - p[:, 0]) / np.var(p[:, -1])
        assert ratio == pytest.approx(11 / 12, abs=0.05)


def test_sample_paths_frame_seed_and_clipping():
    rng = np.random.default_rng(5)
    y = np.maximum(np.linspace(30, 2, 48) + rng.normal(0, 2, 48), 0.5)
    df = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=48, freq="MS"), "y": y}
    )
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(df)
    a = fc.sample_paths(6, n_paths=500, random_state=3)
    b = fc.sample_paths(6, n_paths=500, random_state=3)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["unique_id", "ds", "path", "y"]
    assert len(a) == 500 * 6
    assert (a["y"] >= 0).all() and (a["y"] == 0).any()  # heading to zero: clipped
    assert a.groupby("path")["ds"].apply(lambda d: d.is_monotonic_increasing).all()
    free = tc.TrendForecaster(models=tc.models.Naive(), allow_negative=True).fit(df)
    assert (free.sample_paths(6, n_paths=500, random_state=3)["y"] < 0).any()
    with pytest.raises(ValueError, match="output"):
        fc.sample_paths(6, output="table")
    with pytest.raises(ValueError, match="n_paths"):
        fc.sample_paths(6, n_paths=0)


def test_sample_paths_do_not_depend_on_n_jobs(walks):
    train, _ = walks
    small = train[train["unique_id"].isin([f"s{i:03d}" for i in range(6)])]
    one = tc.TrendForecaster(models=tc.models.Naive(), n_jobs=1).fit(small)
    two = tc.TrendForecaster(models=tc.models.Naive(), n_jobs=2).fit(small)
    a = one.sample_paths(4, n_paths=20, random_state=0, output="arrays")
    b = two.sample_paths(4, n_paths=20, random_state=0, output="arrays")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_cross_validation_calibrates_each_window_from_its_own_cutoff(walks):
    train, _ = walks
    kwargs = {"h": 6, "n_windows": 2}
    raw = tc.TrendForecaster(models=ScaledNaive(0.5), calibration=None).cross_validation(
        train, **kwargs
    )
    cal = tc.TrendForecaster(models=ScaledNaive(0.5)).cross_validation(train, **kwargs)
    inside = (cal["y"] >= cal["lo-80"]) & (cal["y"] <= cal["hi-80"])
    inside_raw = (raw["y"] >= raw["lo-80"]) & (raw["y"] <= raw["hi-80"])
    assert inside_raw.mean() < 0.8 - 2 * TOLERANCE[80]
    assert inside.mean() == pytest.approx(0.8, abs=TOLERANCE[80])


def test_bad_calibration_value(walks):
    with pytest.raises(ValueError, match="calibration"):
        tc.TrendForecaster(models=tc.models.Naive(), calibration="isotonic").fit(walks[0])


def test_without_calibration_intervals_are_the_models_own(walks):
    train, _ = walks
    one = train[train["unique_id"] == "s000"]
    fc = tc.TrendForecaster(models=tc.models.Naive(), calibration=None).fit(one)
    out = fc.predict(6, level=(80, 95))
    own = tc.models.Naive().fit(one["y"].to_numpy()).predict(6, level=(80, 95))
    np.testing.assert_allclose(out["hi-95"], own.upper[95])
    np.testing.assert_allclose(out["lo-80"], own.lower[80])
    assert fc.calibration_report_.empty
    assert list(fc.calibration_report_.columns)[:3] == ["model", "level", "step"]
