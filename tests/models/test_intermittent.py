"""Croston, SBA, TSB, the demand classes and the rule that picks a method."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.models import (
    SBA,
    TSB,
    Croston,
    IntermittentDemand,
    Naive,
    SeasonalNaive,
    classify_demand,
    is_sparse,
)
from trendcast.models.intermittent import GRID
from trendcast.models.sparse import demand_probability_change

DATA = Path(__file__).parents[1] / "data" / "trendyol_sparse_daily.csv"


def sparse_series(n: int = 120, p: float = 0.3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n) < p, rng.poisson(4, n) + 1.0, 0.0)
    y[0] = 0.0
    y[3] = 5.0
    return y


def textbook_croston(y: np.ndarray, alpha: float) -> tuple[float, float, list[float]]:
    """Croston (1972) written out period by period: final size, interval, and the
    one-period-ahead forecasts from the period after the first demand."""
    size = interval = None
    since = 0
    forecasts = []
    for value in y:
        since += 1
        if size is not None:
            forecasts.append(size / interval)
        if value > 0:
            if size is None:
                size, interval = value, float(since)
            else:
                size += alpha * (value - size)
                interval += alpha * (since - interval)
            since = 0
    return size, interval, forecasts


# -- Croston and SBA --------------------------------------------------------------------


def test_croston_matches_the_hand_computed_recursion():
    # demands 3, 6, 2 at periods 2, 5, 7 (intervals 2, 3, 2), alpha 0.5:
    # sizes 3 -> 4.5 -> 3.25, intervals 2 -> 2.5 -> 2.25
    m = Croston(alpha=0.5).fit(np.array([0.0, 3, 0, 0, 6, 0, 2]))
    assert m.size_ == pytest.approx(3.25)
    assert m.interval_ == pytest.approx(2.25)
    np.testing.assert_allclose(m.predict(4).mean, np.full(4, 3.25 / 2.25))


def test_croston_matches_the_textbook_recursion_on_a_longer_series():
    y = sparse_series()
    size, interval, _ = textbook_croston(y, 0.1)
    m = Croston(alpha=0.1).fit(y)
    assert m.size_ == pytest.approx(size, rel=1e-12)
    assert m.interval_ == pytest.approx(interval, rel=1e-12)
    assert m.predict(1).mean[0] == pytest.approx(size / interval, rel=1e-12)


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_croston_chooses_the_grid_alpha_with_the_lowest_in_sample_loss(loss):
    y = sparse_series()
    m = Croston(loss=loss).fit(y)
    assert m.alpha_ in GRID

    def score(a: float) -> float:
        _, _, f = textbook_croston(y, a)
        e = y[y.size - len(f) :] - np.array(f)
        return float(np.mean(e**2) if loss == "mse" else np.mean(np.abs(e)))

    best = score(m.alpha_)
    assert all(best <= score(float(a)) + 1e-12 for a in GRID)


@pytest.mark.parametrize("alpha", [0.1, 0.3, None])
def test_sba_is_croston_times_one_minus_half_alpha(alpha):
    y = sparse_series()
    sba = SBA(alpha=alpha).fit(y)
    croston = Croston(alpha=sba.alpha_).fit(y)
    np.testing.assert_allclose(
        sba.predict(3).mean, croston.predict(3).mean * (1 - sba.alpha_ / 2), rtol=1e-12
    )


def test_croston_update_runs_the_recursion_forward_with_the_same_alpha():
    y = sparse_series()
    m = Croston().fit(y[:80])
    alpha = m.alpha_
    m.update(y[80:])
    assert m.alpha_ == alpha
    refit = Croston(alpha=alpha).fit(y)
    assert m.predict(1).mean[0] == pytest.approx(refit.predict(1).mean[0], rel=1e-12)


def test_croston_ignores_zeros_and_tsb_decays_when_demand_stops():
    y = sparse_series()
    croston = Croston(alpha=0.1).fit(y)
    tsb = TSB(alpha=0.1, beta=0.2).fit(y)
    before_c, before_t = croston.predict(1).mean[0], tsb.predict(1).mean[0]
    tsb.update(np.zeros(10))
    croston.update(np.zeros(10))
    assert croston.predict(1).mean[0] == pytest.approx(before_c)
    # each period without demand multiplies the probability, so the forecast, by 1 - beta
    assert tsb.predict(1).mean[0] == pytest.approx(before_t * 0.8**10)


def test_tsb_matches_the_hand_computed_recursion():
    # probability starts at 2/6; periods 1..6 move it to 2/3, 1/3, 2/3, 1/3, 1/6, 1/12;
    # size 2 -> 3
    m = TSB(alpha=0.5, beta=0.5).fit(np.array([2.0, 0, 4, 0, 0, 0]))
    assert m.probability_ == pytest.approx(1 / 12)
    assert m.size_ == pytest.approx(3.0)
    assert m.predict(2).mean == pytest.approx([0.25, 0.25])


def test_tsb_chooses_both_parameters_on_the_grid():
    m = TSB().fit(sparse_series())
    assert m.alpha_ in GRID and m.beta_ in GRID
    fixed = TSB(alpha=0.05).fit(sparse_series())
    assert fixed.alpha_ == 0.05 and fixed.beta_ in GRID


@pytest.mark.parametrize("cls", [Croston, SBA, TSB])
def test_bounds_are_simulated_quantiles_never_below_zero(cls):
    y = sparse_series()
    fc = cls().fit(y).predict(12, level=(80, 95))
    for lv in (80, 95):
        assert np.all(fc.lower[lv] >= 0)
    # demand occurs in about 30% of periods: the 10% quantile is no demand
    np.testing.assert_array_equal(fc.lower[80], 0.0)
    assert np.all(fc.upper[95] >= fc.upper[80])
    assert np.all(fc.upper[95] > fc.mean)


@pytest.mark.parametrize("cls", [Croston, SBA, TSB])
def test_sample_paths_have_the_forecast_as_mean_and_are_reproducible(cls):
    m = cls().fit(sparse_series())
    paths = m.sample_paths(3, n_paths=20000, random_state=7)
    assert paths.shape == (20000, 3)
    assert np.all(paths >= 0)
    first = paths[:, 0]
    se = first.std() / np.sqrt(first.size)
    assert abs(first.mean() - m.predict(1).mean[0]) < 4 * se
    np.testing.assert_array_equal(paths, m.sample_paths(3, n_paths=20000, random_state=7))


@pytest.mark.parametrize("cls", [Croston, SBA, TSB, IntermittentDemand])
def test_refuses_negative_or_no_demand(cls):
    with pytest.raises(tc.ModelFitError, match="non-negative"):
        cls().fit(np.array([1.0, -2, 0, 3]))
    with pytest.raises(tc.ModelFitError, match="all zeros"):
        cls().fit(np.zeros(10))


def test_refuses_bad_parameters():
    with pytest.raises(tc.ModelFitError, match="alpha"):
        Croston(alpha=1.5).fit(sparse_series())
    with pytest.raises(tc.ModelFitError, match="beta"):
        TSB(beta=0.0).fit(sparse_series())
    with pytest.raises(tc.ModelFitError, match="loss"):
        SBA(loss="rmse").fit(sparse_series())


# -- demand classes and the sparse rule ---------------------------------------------------


@pytest.mark.parametrize(
    ("y", "kind", "adi", "cv2"),
    [
        # demand every period, sizes 4 and 6: CV² = (sd 1.0328 / mean 5)^2
        (np.tile([4.0, 6.0], 8), "smooth", 1.0, 0.04267),
        # demand every period, sizes 1 and 9
        (np.tile([1.0, 9.0], 8), "erratic", 1.0, 0.68267),
        # demand every other period, constant size
        (np.tile([0.0, 5.0], 8), "intermittent", 2.0, 0.0),
        # demand every other period, sizes 1 and 9
        (np.tile([0.0, 1.0, 0.0, 9.0], 4), "lumpy", 2.0, 0.73143),
    ],
)
def test_classify_demand_on_each_class(y, kind, adi, cv2):
    c = classify_demand(y)
    assert c.demand_class == kind
    assert c.adi == pytest.approx(adi)
    assert c.cv2 == pytest.approx(cv2, abs=5e-5)
    assert c.n_periods == y.size and c.n_demands == int(np.sum(y > 0))


def test_classify_demand_cut_offs_belong_to_the_sparser_class():
    # ADI 33 / 25 = 1.32 exactly
    y = np.r_[np.zeros(8), np.full(25, 3.0)]
    assert classify_demand(y).adi == pytest.approx(1.32)
    assert classify_demand(y).demand_class == "intermittent"
    assert is_sparse(y)
    assert not is_sparse(y[1:])  # 32 / 25 = 1.28


def test_classify_demand_refuses_what_is_not_demand():
    with pytest.raises(tc.DataValidationError, match="no period with demand"):
        classify_demand(np.zeros(5))
    with pytest.raises(tc.DataValidationError, match="negative"):
        classify_demand(np.array([1.0, -1.0]))
    with pytest.raises(tc.DataValidationError, match="missing"):
        classify_demand(np.array([1.0, np.nan]))


def test_is_sparse():
    assert is_sparse(np.zeros(6))
    assert is_sparse(np.array([0.0, 2, 0, 0, 4, 0]))
    assert not is_sparse(np.array([3.0, 2, 5, 0, 4, 6]))  # erratic or smooth: not sparse
    assert not is_sparse(np.array([1.0, 30, 2, 50, 1, 40]))


def test_demand_probability_change_is_a_binomial_test_on_the_recent_quarter():
    y = np.tile([0.0, 5, 6, 0], 6)  # demand in half the periods
    assert demand_probability_change(y) == ("steady", pytest.approx(1.0))
    y[18:] = 0  # none in the last 6 (a quarter): rate before (9 + 1) / (18 + 2) = 0.5
    assert demand_probability_change(y) == ("falling", pytest.approx(2 * 0.5**6))
    y[18:] = 7  # demand in all of the last 6
    assert demand_probability_change(y) == ("rising", pytest.approx(2 * 0.5**6))
    assert demand_probability_change(y, recent=2)[0] == "steady"


def test_intermittent_demand_picks_the_method_by_the_rule():
    lumpy = np.tile([0.0, 1.0, 0.0, 9.0], 6)
    m = IntermittentDemand().fit(lumpy)
    assert m.name == "IntermittentDemand(SBA)"
    assert m.demand_class_.demand_class == "lumpy"
    smooth = np.tile([4.0, 6.0], 12)
    assert IntermittentDemand().fit(smooth).name == "IntermittentDemand(Croston)"
    dying = lumpy.copy()
    dying[16:] = 0
    m = IntermittentDemand().fit(dying)
    assert m.name == "IntermittentDemand(TSB)"
    assert "falling" in m.reason_
    np.testing.assert_allclose(m.predict(3).mean, TSB().fit(dying).predict(3).mean)
    reviving = np.r_[np.tile([0.0, 0, 0, 5], 6), np.full(8, 5.0)]
    m = IntermittentDemand().fit(reviving)
    assert m.name == "IntermittentDemand(TSB)" and "rising" in m.reason_


def test_intermittent_demand_update_keeps_the_method():
    y = np.tile([0.0, 1.0, 0.0, 9.0], 6)
    m = IntermittentDemand().fit(y)
    alpha = m.model_.alpha_
    m.update(np.zeros(12))  # would now be TSB if refitted
    assert m.name == "IntermittentDemand(SBA)" and m.model_.alpha_ == alpha
    assert m.n_obs_ == m.model_.n_obs_ == 36


# -- real sparse data ----------------------------------------------------------------------

# Rolling origin on the Trendyol slice: 26 weekly origins over the last 182
# days, horizon 7, each model refitted at each origin (Naive when there is no
# sale yet). MASE and RMSSE are scaled by the naive in-sample errors before the
# last origin. Limits are the values measured on 2026-11-29 plus about 5%:
#
# | model | MAE | MASE | RMSSE | cov-80 | cov-95 |
# |---|---|---|---|---|---|
# | Naive | 6.66 | 2.134 | 1.531 | 0.82 | 0.87 |
# | SeasonalNaive(7) | 8.25 | 2.623 | 1.710 | 0.80 | 0.84 |
# | Croston | 7.68 | 2.512 | 1.585 | 0.83 | 0.91 |
# | SBA | 8.24 | 2.669 | 1.708 | 0.82 | 0.91 |
# | TSB | 7.09 | 2.278 | 1.494 | 0.85 | 0.93 |
# | IntermittentDemand | 6.88 | 2.205 | 1.459 | 0.85 | 0.93 |
REAL_TABLE = [
    # model, max MASE, max RMSSE, min coverage-95
    (Croston, 2.64, 1.66, 0.87),
    (SBA, 2.80, 1.79, 0.87),
    (TSB, 2.39, 1.57, 0.88),
    (IntermittentDemand, 2.32, 1.53, 0.88),
]


def _rolling_origin(make, y: np.ndarray, h: int = 7, windows: int = 26):
    origins = [y.size - h * (windows - k) for k in range(windows)]
    abs_err, sq_err, inside = [], [], []
    for c in origins:
        try:
            model = make().fit(y[:c])
        except tc.ModelFitError:
            model = Naive().fit(y[:c])
        fc = model.predict(h, level=(95,)).clip(0.0)
        actual = y[c : c + h]
        abs_err.append(np.abs(actual - fc.mean))
        sq_err.append((actual - fc.mean) ** 2)
        inside.append((actual >= fc.lower[95]) & (actual <= fc.upper[95]))
    history = np.diff(y[: origins[-1]])
    mase = np.mean(abs_err) / np.mean(np.abs(history))
    rmsse = np.sqrt(np.mean(sq_err) / np.mean(history**2))
    return mase, rmsse, np.mean(inside)


@pytest.fixture(scope="module")
def trendyol() -> dict[str, np.ndarray]:
    df = pd.read_csv(DATA, dtype={"unique_id": str})
    return {uid: g["y"].to_numpy(float) for uid, g in df.groupby("unique_id")}


def test_the_real_slice_is_sparse(trendyol):
    assert len(trendyol) == 3
    assert all(is_sparse(y) for y in trendyol.values())
    kinds = {uid: classify_demand(y).demand_class for uid, y in trendyol.items()}
    assert kinds == {"32737302": "intermittent", "48740784": "lumpy", "73318567": "lumpy"}


@pytest.mark.parametrize(("cls", "max_mase", "max_rmsse", "min_cov95"), REAL_TABLE)
def test_accuracy_on_real_sparse_sales_does_not_regress(
    trendyol, cls, max_mase, max_rmsse, min_cov95
):
    scores = np.array([_rolling_origin(cls, y) for y in trendyol.values()])
    mase, rmsse, cov95 = scores.mean(axis=0)
    assert mase <= max_mase, f"{cls.__name__}: MASE {mase:.3f} > {max_mase}"
    assert rmsse <= max_rmsse, f"{cls.__name__}: RMSSE {rmsse:.3f} > {max_rmsse}"
    assert cov95 >= min_cov95, f"{cls.__name__}: 95% coverage {cov95:.3f} < {min_cov95}"


def test_tsb_and_the_rule_beat_the_naive_baselines_in_squared_error(trendyol):
    # MAE rewards forecasting zero on sparse data; squared error rewards the
    # mean, which these methods forecast
    def rmsse(make):
        return np.mean([_rolling_origin(make, y)[1] for y in trendyol.values()])

    naive = rmsse(Naive)
    assert rmsse(TSB) < naive
    assert rmsse(IntermittentDemand) < naive
    assert rmsse(TSB) < rmsse(lambda: SeasonalNaive(season_length=7))


def test_forecaster_runs_intermittent_demand_on_the_real_slice(trendyol):
    df = pd.read_csv(DATA, dtype={"unique_id": str}, parse_dates=["ds"])
    out = tc.TrendForecaster(models=IntermittentDemand()).fit(df).predict(7)
    assert len(out) == 21
    assert out["model"].str.startswith("IntermittentDemand(").all()
    assert (out[["mean", "lo-80", "hi-80", "lo-95", "hi-95"]].to_numpy() >= 0).all()
