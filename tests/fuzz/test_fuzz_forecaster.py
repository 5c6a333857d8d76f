"""Fuzz the forecaster: fit, predict, sample_paths and cross_validation.

Sales frames of any shape, fast models (or what is not a model), and every
size parameter at and past its limit: each call gives a forecast that keeps
its promises or a TrendcastError, within the deadline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import trendcast as tc
from tests.fuzz.conftest import attempt, fuzz
from tests.fuzz.strategies import (
    forecaster_params,
    horizons,
    level_values,
    n_paths_values,
    n_windows_values,
    sales_frames,
    step_sizes,
)


@st.composite
def fitted(draw: st.DrawFn) -> tuple[tc.TrendForecaster | None, pd.DataFrame, dict]:
    """A forecaster fitted to a frame (None when fit refused it), the frame and its names."""
    frame, names = draw(sales_frames(clean=draw(st.integers(0, 3)) < 3))
    params = {**draw(forecaster_params()), **names}
    forecaster = attempt(lambda: tc.TrendForecaster(**params).fit(frame), "fit")
    return forecaster, frame, names


def _forecast_categories(fc: tc.TrendForecaster) -> int:
    """Categories the forecaster forecasts: those fit did not skip (too short, all missing)."""
    return int((fc.fit_report_["status"] != "skipped").sum())


def _levels(level: object) -> list[int]:
    from trendcast.models.base import check_levels

    return list(check_levels(level))  # type: ignore[arg-type]


def check_forecast(out: pd.DataFrame, fc: tc.TrendForecaster, h: int, levels: list[int]) -> None:
    """What ``predict`` promises: every category, h periods each, ordered bounds around the mean."""
    id_col, time_col = fc.id_col, fc.time_col
    n_ids = _forecast_categories(fc)
    assert len(out) == n_ids * h and out[id_col].nunique() == n_ids
    assert not out.duplicated([id_col, time_col]).any()
    mean = out["mean"].to_numpy(dtype=float)
    assert np.isfinite(mean).all()
    tol = 1e-6 * (1 + np.abs(mean))
    for lv in levels:
        lo, hi = out[f"lo-{lv}"].to_numpy(dtype=float), out[f"hi-{lv}"].to_numpy(dtype=float)
        assert np.isfinite(lo).all() and np.isfinite(hi).all(), lv
        assert (lo <= mean + tol).all() and (mean <= hi + tol).all(), lv
    if not fc.allow_negative:
        assert (mean >= 0).all()


@fuzz(220)
@given(case=fitted(), h=horizons, level=level_values)
def test_predict_gives_a_forecast_or_a_trendcast_error(case, h, level):
    fc, _, _ = case
    if fc is None:
        return
    out = attempt(lambda: fc.predict(h, level=level), "predict")
    if out is not None:
        check_forecast(out, fc, h, _levels(level))


@fuzz(140)
@given(
    case=fitted(),
    h=horizons,
    n_paths=n_paths_values,
    output=st.sampled_from(["frame", "arrays", "dict"]),
    seed=st.one_of(st.none(), st.integers(0, 2**32), st.sampled_from([-1, "x", 1.5])),
)
def test_sample_paths_gives_paths_or_a_trendcast_error(case, h, n_paths, output, seed):
    fc, _, _ = case
    if fc is None:
        return
    out = attempt(
        lambda: fc.sample_paths(h, n_paths=n_paths, random_state=seed, output=output),
        "sample_paths",
    )
    if out is None:
        return
    arrays = out if output == "arrays" else None
    if arrays is None:
        assert len(out) == _forecast_categories(fc) * n_paths * h
        values = out[fc.target_col].to_numpy(dtype=float)
    else:
        assert len(arrays) == _forecast_categories(fc)
        assert all(a.shape == (n_paths, h) for a in arrays.values())
        values = np.concatenate([a.ravel() for a in arrays.values()])
    assert np.isfinite(values).all() and (fc.allow_negative or (values >= 0).all())


@fuzz(140)
@given(
    case=fitted(),
    h=horizons,
    n_windows=n_windows_values,
    step_size=step_sizes,
    level=level_values,
)
def test_cross_validation_gives_windows_or_a_trendcast_error(case, h, n_windows, step_size, level):
    fc, frame, names = case
    if fc is None:
        return
    out = attempt(
        lambda: fc.cross_validation(
            frame, h=h, n_windows=n_windows, step_size=step_size, level=level
        ),
        "cross_validation",
    )
    if out is None:
        return
    time_col, target_col = names["time_col"], names["target_col"]
    assert len(out) > 0  # an empty result is refused (issue 19)
    assert (pd.to_datetime(out[time_col]) > pd.to_datetime(out["cutoff"])).all()
    assert np.isfinite(out[target_col].to_numpy(dtype=float)).all()
    assert out.groupby(names["id_col"])["cutoff"].nunique().max() <= n_windows
