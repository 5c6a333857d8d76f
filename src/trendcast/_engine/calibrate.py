"""Conformal calibration: backtest errors pooled across categories rescale intervals."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from trendcast._calibration import Calibration
from trendcast._engine.fitting import SeriesFit
from trendcast._engine.plan import Plan
from trendcast._warnings import warn
from trendcast.backtest import BacktestScore, cutoffs
from trendcast.exceptions import FallbackWarning
from trendcast.models import ModelForecast
from trendcast.models._shared import REFERENCE_LEVEL

logger = logging.getLogger("trendcast.forecaster")


def with_reference(levels: tuple[int, ...]) -> tuple[int, ...]:
    """The levels asked for plus the one calibration takes its scale from."""
    return tuple(sorted({*levels, REFERENCE_LEVEL}))


def calibration_from(
    backtests: list[list[BacktestScore]], plan: Plan, keys: Sequence[Any] | None = None
) -> Calibration | None:
    """Pool the normalised backtest errors of every candidate across categories.

    ``keys`` are the categories of ``backtests``, in the same order: with
    ``plan.scale_by_category`` each gets its own scale (``Calibration``'s
    ``categories``); without keys, or with ``calibration="pooled"``, the
    errors are pooled as they are.
    """
    if not plan.calibrate:
        return None
    errors: dict[int, tuple[str, list[tuple[np.ndarray, np.ndarray]]]] = {
        i: (c.name, []) for i, c in enumerate(plan.candidates)
    }
    owners: dict[int, list[Any]] = {i: [] for i in errors}
    for position, scores in enumerate(backtests):
        for i, score in enumerate(scores):
            if score.steps is not None and score.errors is not None:
                errors[i][1].append((score.steps, score.errors))
                owners[i].append(None if keys is None else keys[position])
    if plan.scale_by_category and keys is not None:
        return Calibration(errors, categories=owners)
    return Calibration(errors)


def calibrate(
    calibration: Calibration | None,
    key: int | None,
    fc: ModelForecast,
    levels: tuple[int, ...],
    category: Any = None,
) -> ModelForecast:
    """Calibrated bounds for candidate ``key``'s forecast of ``category``, or ``fc`` as it is."""
    if calibration is None or key is None or not calibration.covers(key):
        return fc
    return calibration.adjust(key, fc, levels, category)


def calibrate_windows(
    results: list[list[tuple[int, ModelForecast, SeriesFit, list[BacktestScore]]]],
    series: list[tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]],
    h: int,
    n_windows: int,
    step_size: int | None,
    plan: Plan,
    levels: tuple[int, ...],
) -> list[list[tuple[int, ModelForecast, SeriesFit]]]:
    """Calibrate each cross-validation window from the backtests fitted at its cutoff.

    As in ``fit``, the errors are pooled across the categories, here those of
    the same window, so no window uses data after its cutoff.
    """
    ordinals = [
        {c: k for k, c in enumerate(cutoffs(y.size, h, n_windows, step_size))}
        for _, y, *_ in series
    ]
    calibrations: dict[int, Calibration | None] = {}
    for k in range(n_windows):
        found = [
            (item[0], bt)
            for windows, pos, item in zip(results, ordinals, series, strict=True)
            for c, _, _, bt in windows
            if pos[c] == k
        ]
        calibrations[k] = calibration_from([bt for _, bt in found], plan, [key for key, _ in found])
    return [
        [
            (c, calibrate(calibrations[pos[c]], fit.candidate, fc, levels, item[0]), fit)
            for c, fc, fit, _ in windows
        ]
        for windows, pos, item in zip(results, ordinals, series, strict=True)
    ]


def calibrated_paths(
    state: Any, keys: list[Any], results: list[tuple[Any, np.ndarray, ModelForecast, str]]
) -> dict[Any, np.ndarray]:
    """Each category's sample paths, rescaled to its calibrated intervals, clipped at zero.

    ``results`` are ``sample_series``'s; a category whose model drew no paths
    (Naive's were drawn instead, with the reason) is warned about and not
    rescaled.
    """
    calibration = state.calibration
    groups: dict[Any, list[int]] = {}  # model -> positions of its categories
    for i, (key, (_model, _paths, _fc, reason)) in enumerate(zip(keys, results, strict=True)):
        if reason:
            warn(f"category {key!r}: {reason}", FallbackWarning)
        key_model = None if reason else state.fits[key].candidate  # Naive's paths: none
        if calibration is not None and key_model is not None and calibration.covers(key_model):
            groups.setdefault(key_model, []).append(i)
    adjusted: dict[int, np.ndarray] = {}
    for key_model, where in groups.items():  # all categories of a model at once
        assert calibration is not None
        done = calibration.adjust_paths_many(
            key_model,
            [results[i][1] for i in where],
            [results[i][2] for i in where],
            [keys[i] for i in where],
        )
        adjusted.update(zip(where, done, strict=True))
    arrays: dict[Any, np.ndarray] = {}
    for i, (key, (_model, paths, fc, _reason)) in enumerate(zip(keys, results, strict=True)):
        paths = adjusted.get(i, paths)
        arrays[key] = paths if state.spec.allow_negative else clip_keeping_mean(paths, fc.mean)
    return arrays


def clip_keeping_mean(paths: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Paths clipped at zero, with the forecast mean kept where clipping moved it.

    Cutting the draws below zero off raises their mean: a Naive forecast of 0
    for a slow mover, whose Gaussian paths straddle zero, had paths of mean
    0.4 and an expected shortfall above its forecast demand. At each step
    where a path was below zero, the clipped paths are scaled to the forecast
    mean (all zero when it is zero); steps without a negative draw are
    untouched, so counts stay counts.
    """
    clipped = np.maximum(paths, 0.0)
    cut = (paths < 0).any(axis=0)
    if not cut.any():
        return clipped
    target = np.maximum(np.asarray(mean, dtype=float), 0.0)
    own = clipped.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(own > 0, target / own, 0.0)
    clipped[:, cut] *= factor[None, cut]
    return clipped
