"""Reconciliation: known answers, coherence, non-negativity, MinT accuracy and coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import trendcast as tc
from trendcast.reconciliation import _mint_matrix, _shrunk_covariance

# total T > sectors A, B > categories a1, a2 (A) and b1, b2 (B)
MAPPING = pd.DataFrame(
    {"total": ["T"] * 4, "sector": ["A", "A", "B", "B"], "category": ["a1", "a2", "b1", "b2"]}
)
HIER = tc.Hierarchy.from_frame(MAPPING)
S = HIER.summing_matrix().to_numpy()
NAMES = list(HIER.nodes["unique_id"])
N, M = S.shape
H = 12
DATES = pd.date_range("2025-01-01", periods=H, freq="MS")
PAST = pd.date_range("2021-01-01", periods=48, freq="MS")
Z80 = stats.norm.ppf(0.9)


def forecast_frame(mean: np.ndarray, sd: np.ndarray, names: list[str] = NAMES) -> pd.DataFrame:
    """A predict-like frame from (nodes, H) means and standard deviations."""
    k = len(names)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(names, H),
            "ds": np.tile(DATES, k),
            "model": "Sim",
            "mean": mean.ravel(),
            "lo-80": (mean - Z80 * sd).ravel(),
            "hi-80": (mean + Z80 * sd).ravel(),
        }
    )


def residual_frame(errors: np.ndarray) -> pd.DataFrame:
    """Long residuals from a (T, nodes) matrix."""
    t = errors.shape[0]
    return pd.DataFrame(
        {
            "unique_id": np.repeat(NAMES, t),
            "ds": np.tile(PAST[:t], N),
            "error": errors.T.ravel(),
        }
    )


def wide(out: pd.DataFrame, col: str = "mean") -> np.ndarray:
    """(nodes, H) matrix of a reconciled column, nodes in hierarchy order."""
    table = out.pivot(index="unique_id", columns="ds", values=col).reindex(index=NAMES)
    return table.to_numpy(dtype=float)


def test_output_columns_levels_and_order() -> None:
    mean = np.tile(S @ np.array([10.0, 20, 30, 40]), (H, 1)).T
    out = tc.reconcile(forecast_frame(mean, np.ones_like(mean)), HIER, method="ols")
    assert list(out.columns) == [
        "unique_id",
        "level",
        "ds",
        "model",
        "mean",
        "lo-80",
        "hi-80",
        "base_model",
    ]
    assert out["unique_id"].drop_duplicates().tolist() == NAMES
    assert out.groupby("unique_id", sort=False)["level"].first().tolist() == [
        "total",
        "sector",
        "sector",
        "category",
        "category",
        "category",
        "category",
    ]
    assert set(out["model"]) == {"ols"} and set(out["base_model"]) == {"Sim"}
    # coherent base forecasts are left as they are by every method
    np.testing.assert_allclose(wide(out), mean, atol=1e-9)


def test_bottom_up_is_exact_when_the_categories_are_exact() -> None:
    rng = np.random.default_rng(0)
    truth_bottom = rng.uniform(50, 150, size=(M, H))
    truth = S @ truth_bottom
    base_bottom = forecast_frame(truth_bottom, np.full((M, H), 2.0), names=HIER.bottom)
    out = tc.reconcile(base_bottom, HIER, method="bottom_up")
    np.testing.assert_allclose(wide(out), truth, rtol=0, atol=1e-9)
    assert out.loc[out["unique_id"] == "T", "base_model"].isna().all()
    # the aggregates' Gaussian interval: independent categories, sd = sqrt(sum of variances)
    half = wide(out, "hi-80") - wide(out)
    np.testing.assert_allclose(half[0], Z80 * 2.0 * 2, rtol=1e-9)  # sqrt(4) * 2
    np.testing.assert_allclose(half[1], Z80 * 2.0 * np.sqrt(2), rtol=1e-9)


def test_ols_matches_the_hand_formula_and_mint_with_identity() -> None:
    # one sector s over a, b; W = I: a~ = a + (s - a - b) / 3, b~ = b + (s - a - b) / 3
    hier = tc.Hierarchy.from_frame(pd.DataFrame({"sector": ["s", "s"], "category": ["a", "b"]}))
    frame = pd.DataFrame(
        {
            "unique_id": ["s", "a", "b"],
            "ds": pd.Timestamp("2025-01-01"),
            "mean": [40.0, 10.0, 20.0],
        }
    )
    out = tc.reconcile(frame, hier, method="ols").set_index("unique_id")["mean"]
    gap = (40 - 10 - 20) / 3
    assert out["a"] == pytest.approx(10 + gap, abs=1e-12)
    assert out["b"] == pytest.approx(20 + gap, abs=1e-12)
    assert out["s"] == pytest.approx(30 + 2 * gap, abs=1e-12)
    s = hier.summing_matrix().to_numpy()
    g_hand = np.array([[1, 2, -1], [1, -1, 2]]) / 3
    np.testing.assert_allclose(_mint_matrix(s, np.eye(3)), g_hand, atol=1e-12)
    # wls_struct weighs the sector by its two categories: W = diag(2, 1, 1)
    wls = tc.reconcile(frame, hier, method="wls_struct").set_index("unique_id")["mean"]
    assert wls["a"] == pytest.approx(10 + (40 - 30) / 4, abs=1e-12)


def test_nonnegative_is_the_constrained_least_squares_solution() -> None:
    # W = I, base s=0, a=1, b=10: unconstrained a~ = 1 - 11/3 < 0. With a >= 0 the
    # optimum is a = 0 and b minimising (0 - b)^2 + (10 - b)^2, so b = 5 and s = 5.
    hier = tc.Hierarchy.from_frame(pd.DataFrame({"sector": ["s", "s"], "category": ["a", "b"]}))
    frame = pd.DataFrame(
        {"unique_id": ["s", "a", "b"], "ds": pd.Timestamp("2025-01-01"), "mean": [0.0, 1.0, 10.0]}
    )
    free = tc.reconcile(frame, hier, method="ols", nonnegative=False).set_index("unique_id")
    assert free.at["a", "mean"] == pytest.approx(1 - 11 / 3)
    out = tc.reconcile(frame, hier, method="ols").set_index("unique_id")["mean"]
    assert out.to_dict() == pytest.approx({"s": 5.0, "a": 0.0, "b": 5.0}, abs=1e-9)


def test_nonnegative_coherent_on_many_periods_and_paths() -> None:
    rng = np.random.default_rng(3)
    base = np.abs(rng.normal(0, 5, size=(N, H)))  # near zero and incoherent
    base[0] = 0.5
    errors = rng.normal(size=(48, N)) * np.array([6, 3, 3, 1, 1, 1, 1])
    paths = {k: np.abs(rng.normal(0, 5, size=(200, H))) for k in NAMES}
    for method in ("ols", "wls_struct", "mint_shrink"):
        free = tc.reconcile(
            forecast_frame(base, np.ones_like(base)),
            HIER,
            method=method,
            residuals=residual_frame(errors),
            nonnegative=False,
        )
        assert (free["mean"] < 0).any()  # the case exists without the constraint
        out = tc.reconcile(
            forecast_frame(base, np.ones_like(base)),
            HIER,
            method=method,
            residuals=residual_frame(errors),
            paths=paths,
        )
        mean = wide(out)
        assert (out[["mean", "lo-80", "hi-80"]].to_numpy() >= 0).all()
        np.testing.assert_allclose(S @ mean[-M:], mean, rtol=0, atol=1e-9)
        coherent = tc.reconcile_paths(
            paths, HIER, method=method, residuals=residual_frame(errors)
        )
        stack = np.stack([coherent[k] for k in NAMES])
        assert (stack >= 0).all()
        bottom = stack[-M:].reshape(M, -1)
        np.testing.assert_allclose(
            (S @ bottom).reshape(stack.shape), stack, rtol=0, atol=1e-9
        )


def test_shrinkage_intensity_known_cases() -> None:
    rng = np.random.default_rng(5)
    independent = rng.normal(size=(200, 5))
    w, lam = _shrunk_covariance(independent)
    assert lam > 0.8  # sample correlations are noise: shrink almost fully to the diagonal
    common = rng.normal(size=(200, 1))
    correlated = common + 0.3 * rng.normal(size=(200, 5))
    w, lam = _shrunk_covariance(correlated)
    assert lam < 0.05  # strong real correlation: keep it
    cov = correlated.T @ correlated / 200
    np.testing.assert_allclose(w, lam * np.diag(np.diag(cov)) + (1 - lam) * cov)


def _simulate(w_true: np.ndarray, reps: int, seed: int, with_paths: bool = False) -> dict:
    """MSE per method and 80% coverage of the reconciled intervals over ``reps`` runs."""
    rng = np.random.default_rng(seed)
    chol = np.linalg.cholesky(w_true)
    sd = np.repeat(np.sqrt(np.diag(w_true))[:, None], H, axis=1)
    sq = {k: 0.0 for k in ("base", "bottom_up", "mint_shrink")}
    hits = {k: 0.0 for k in ("gauss_bottom_up", "gauss_mint", "paths_bottom_up", "paths_mint")}
    for _ in range(reps):
        residuals = residual_frame((chol @ rng.standard_normal((N, 48))).T)
        truth = S @ (100 + 10 * rng.standard_normal((M, H)))
        base = truth + chol @ rng.standard_normal((N, H))
        frame = forecast_frame(base, sd)
        paths = None
        if with_paths:  # independent paths per node, as sample_paths draws them
            paths = {
                k: base[i] + sd[i, 0] * rng.standard_normal((400, H)) for i, k in enumerate(NAMES)
            }
        sq["base"] += ((base - truth) ** 2).mean() / reps
        for method, key in (("bottom_up", "bottom_up"), ("mint_shrink", "mint")):
            out = tc.reconcile(frame, HIER, method=method, residuals=residuals)
            mean = wide(out)
            assert np.abs(S @ mean[-M:] - mean).max() < 1e-9
            sq[method] += ((mean - truth) ** 2).mean() / reps
            inside = (truth >= wide(out, "lo-80")) & (truth <= wide(out, "hi-80"))
            hits[f"gauss_{key}"] += inside.mean() / reps
            if with_paths:
                out = tc.reconcile(frame, HIER, method=method, residuals=residuals, paths=paths)
                inside = (truth >= wide(out, "lo-80")) & (truth <= wide(out, "hi-80"))
                hits[f"paths_{key}"] += inside.mean() / reps
    return {**sq, **hits}


def test_mint_beats_noisy_aggregate_forecasts_and_intervals_cover() -> None:
    # sector and total forecasts are noisy (sd 8, 4), category forecasts good (sd 1)
    w_true = np.diag([64.0, 16, 16, 1, 1, 1, 1])
    result = _simulate(w_true, reps=40, seed=1, with_paths=True)
    assert result["mint_shrink"] < result["bottom_up"] < result["base"] / 4
    for key in ("gauss_bottom_up", "gauss_mint", "paths_bottom_up", "paths_mint"):
        assert result[key] == pytest.approx(0.80, abs=0.03), key


def test_mint_beats_bottom_up_when_categories_are_noisy_and_correlated() -> None:
    # category errors sd 3 with correlation 0.6 (they add up at the top); aggregates sd 2
    w_true = np.zeros((N, N))
    w_true[:3, :3] = 4 * np.eye(3)
    w_true[3:, 3:] = 9 * (0.6 + 0.4 * np.eye(M))
    result = _simulate(w_true, reps=40, seed=2)
    assert result["mint_shrink"] < result["base"] < result["bottom_up"]
    assert result["gauss_mint"] == pytest.approx(0.80, abs=0.03)
    assert result["gauss_bottom_up"] == pytest.approx(0.80, abs=0.03)


def test_one_step_errors_from_cross_validation() -> None:
    cv = pd.DataFrame(
        {
            "unique_id": ["a"] * 4,
            "cutoff": pd.to_datetime(["2024-01-01"] * 2 + ["2024-02-01"] * 2),
            "ds": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-03-01", "2024-04-01"]),
            "model": "x",
            "mean": [10.0, 11.0, 12.0, 13.0],
            "y": [9.0, 15.0, 14.0, 0.0],
        }
    )
    errors = tc.one_step_errors(cv.iloc[::-1])
    assert errors.to_dict("list") == {
        "unique_id": ["a", "a"],
        "ds": list(pd.to_datetime(["2024-02-01", "2024-03-01"])),
        "error": [-1.0, 2.0],
    }
    with pytest.raises(tc.DataValidationError, match="cutoff"):
        tc.one_step_errors(cv.drop(columns="cutoff"))


def test_us_retail_mint_end_to_end_feeds_supply_gaps() -> None:
    hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
    sales = tc.datasets.load_us_retail(categories=hier.bottom)
    sales = sales[sales["ds"] >= "2015-01-01"]
    nodes = hier.aggregate(sales).drop(columns="level")
    fc = tc.TrendForecaster(models=tc.models.SeasonalNaive(), calibration=None)
    base = fc.fit(nodes).predict(h=6)
    residuals = tc.one_step_errors(fc.cross_validation(nodes, h=1, n_windows=24))
    out = tc.reconcile(base, hier, method="mint_shrink", residuals=residuals)
    m = out.pivot(index="ds", columns="unique_id", values="mean")
    sectors = hier.nodes[hier.nodes["level"] == "sector"]["unique_id"]
    np.testing.assert_allclose(m[list(sectors)].sum(axis=1), m["44X72"], rtol=1e-12)
    np.testing.assert_allclose(m["441"] + m["447"], m["Motor vehicles and fuel"], rtol=1e-12)
    # supply at 90% of the reconciled mean is short at every level, with p_short > 0.5
    supply = out[["unique_id", "ds"]].assign(supply=0.9 * out["mean"])
    gaps = tc.supply_gaps(out, supply)
    assert set(gaps["unique_id"]) == set(hier.nodes["unique_id"])
    assert (gaps["p_short"] > 0.5).all()


def test_errors_name_what_is_wrong() -> None:
    mean = np.tile(S @ np.array([10.0, 20, 30, 40]), (H, 1)).T
    frame = forecast_frame(mean, np.ones_like(mean))
    with pytest.raises(tc.DataValidationError, match="no base forecast: 'A'"):
        tc.reconcile(frame[frame["unique_id"] != "A"], HIER, method="ols")
    extra = pd.concat([frame, frame.iloc[:1].assign(unique_id="zz")], ignore_index=True)
    with pytest.raises(tc.DataValidationError, match="not in the hierarchy mapping") as info:
        tc.reconcile(extra, HIER)
    assert "row 84:" in str(info.value)
    with pytest.raises(tc.DataValidationError, match="needs the one-step errors"):
        tc.reconcile(frame, HIER, method="mint_shrink")
    errors = residual_frame(np.ones((48, N)))
    with pytest.raises(tc.DataValidationError, match="no errors for 1 node 'T'"):
        tc.reconcile(frame, HIER, method="mint_shrink", residuals=errors[errors.unique_id != "T"])
    shifted = frame.copy()
    shifted.loc[shifted["unique_id"] == "b2", "ds"] += pd.offsets.MonthBegin(1)
    with pytest.raises(tc.DataValidationError, match="other periods"):
        tc.reconcile(shifted, HIER)
    paths = {k: np.ones((10, H)) for k in NAMES}
    paths["a1"] = np.ones((10, H - 1))
    with pytest.raises(tc.DataValidationError, match="same shape"):
        tc.reconcile(frame, HIER, method="ols", paths=paths)
    with pytest.raises(ValueError, match="method must be one of"):
        tc.reconcile(frame, HIER, method="mint")  # type: ignore[arg-type]
