"""Coherent forecasts over a sector hierarchy: bottom-up, OLS, WLS and MinT.

[`reconcile`][trendcast.reconcile] turns one forecast per node into forecasts
where every sector equals the sum of its categories; the combination methods
solve ``bottom = G @ base`` with ``G = (S' W^-1 S)^-1 S' W^-1``. MinT takes
``W`` from the one-step errors, shrunk toward the diagonal (Wickramasuriya,
Athanasopoulos & Hyndman 2019; Schäfer & Strimmer 2005).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from trendcast._frames import accepts_frames
from trendcast._validation import (
    check_forecast_columns,
    count,
    fail,
    forecast_levels,
    format_items,
    format_rows,
    require_columns,
    verb,
)
from trendcast.exceptions import ParameterError
from trendcast.hierarchy import Hierarchy
from trendcast.models.base import check_levels

__all__ = ["one_step_errors", "reconcile", "reconcile_paths"]

logger = logging.getLogger(__name__)

Method = Literal["bottom_up", "ols", "wls_struct", "mint_shrink"]
_METHODS = ("bottom_up", "ols", "wls_struct", "mint_shrink")


# --------------------------------------------------------------------------- residuals
@accepts_frames
def one_step_errors(
    cv: pd.DataFrame,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> pd.DataFrame:
    """One-step-ahead forecast errors from a cross-validation frame.

    Keeps, for each category and cutoff, the first period after the cutoff
    and returns ``error = actual - mean``. Run
    [`TrendForecaster.cross_validation`][trendcast.TrendForecaster.cross_validation]
    with ``h=1`` and many windows (e.g. ``n_windows=24``) on the aggregated
    sales of every node: any ``h`` works, only the first step is used.
    Conformal calibration changes the intervals, not the mean, so
    ``calibration=None`` gives the same errors faster.

    Parameters
    ----------
    cv : DataFrame
        Output of ``cross_validation``: ``id_col, cutoff, time_col, mean,
        target_col``.
    id_col, time_col, target_col : str
        Column names.

    Returns
    -------
    DataFrame
        ``id_col, time_col, error``, sorted by category and period.

    Examples
    --------
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
    >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive(), calibration=None)
    >>> cv = fc.cross_validation(sales, h=1, n_windows=6)
    >>> errors = tc.one_step_errors(cv)
    >>> list(errors.columns), len(errors)
    (['unique_id', 'ds', 'error'], 12)
    """
    need = [id_col, "cutoff", time_col, "mean", target_col]
    require_columns(
        cv,
        need,
        "the cross-validation frame",
        "pass the output of cross_validation, with the same id_col/time_col/target_col",
        expected=f"columns {format_items(need)} (TrendForecaster.cross_validation output)",
    )
    frame = cv[need].sort_values([id_col, "cutoff", time_col], kind="stable")
    first = frame.groupby([id_col, "cutoff"], sort=False).head(1)
    out = pd.DataFrame(
        {
            id_col: first[id_col].to_numpy(),
            time_col: first[time_col].to_numpy(),
            "error": first[target_col].to_numpy(float) - first["mean"].to_numpy(float),
        }
    )
    return out.sort_values([id_col, time_col], kind="stable").reset_index(drop=True)


def _shrunk_covariance(errors: np.ndarray) -> tuple[np.ndarray, float]:
    """Schäfer-Strimmer shrinkage of the one-step error covariance toward its diagonal.

    ``errors`` is (T, n). The errors are not centred (W1 of Wickramasuriya et
    al. 2019 is ``E'E / T``). The target is the diagonal of the sample
    covariance; the intensity is ``sum Var(r_ij) / sum r_ij**2`` over
    ``i != j`` (Schäfer & Strimmer 2005, target "D"), clipped to [0, 1].
    """
    t = errors.shape[0]
    cov = errors.T @ errors / t
    sd = np.sqrt(np.diag(cov))
    x = errors / sd
    w = x[:, :, None] * x[:, None, :]  # (T, n, n): products of standardized errors
    r = w.mean(axis=0)
    var_r = ((w - r) ** 2).sum(axis=0) / (t * (t - 1))
    off = ~np.eye(cov.shape[0], dtype=bool)
    denom = float((r[off] ** 2).sum())
    lam = 1.0 if denom == 0 else float(np.clip(var_r[off].sum() / denom, 0.0, 1.0))
    shrunk = lam * np.diag(np.diag(cov)) + (1 - lam) * cov
    return shrunk, lam


def _errors_matrix(
    residuals: pd.DataFrame, nodes: list[Any], *, id_col: str, time_col: str
) -> np.ndarray:
    """(T, n) matrix of one-step errors on the periods every node has."""
    need = [id_col, time_col, "error"]
    require_columns(
        residuals,
        need,
        "the residuals frame",
        "build it with trendcast.one_step_errors(cross_validation_output)",
        expected=f"a long frame {format_items(need)} of one-step errors per node",
    )
    frame = residuals[need].astype({id_col: object})
    absent = [n for n in nodes if n not in set(frame[id_col])]
    if absent:
        raise fail(
            f"the residuals have no errors for {count(len(absent), 'node')} "
            f"{format_items(absent)}",
            column=id_col,
            expected="one-step errors for every node of the hierarchy (sectors too)",
            found=f"{frame[id_col].nunique()} nodes",
            fix="cross-validate the aggregated sales of every node (Hierarchy.aggregate)",
        )
    frame = frame[frame[id_col].isin(nodes)]
    dup = frame.duplicated([id_col, time_col], keep=False).to_numpy()
    if dup.any():
        raise fail(
            "a (node, period) appears more than once in the residuals",
            column=time_col,
            expected="one error per node and period",
            found=format_rows(frame.reset_index(drop=True), np.flatnonzero(dup), need),
            fix="keep one-step errors only (trendcast.one_step_errors does)",
        )
    wide = frame.pivot(index=time_col, columns=id_col, values="error").reindex(columns=nodes)
    wide = wide.astype(float).dropna()
    if len(wide) < 3:
        raise fail(
            "fewer than 3 periods have an error for every node",
            column=time_col,
            expected="at least 3 common periods (24 or more recommended)",
            found=f"{len(wide)}",
            fix="cross-validate with more windows, on the same periods for every node",
        )
    errors = wide.to_numpy()
    flat = [nodes[j] for j in np.flatnonzero((errors**2).sum(axis=0) == 0)]
    if flat:
        raise fail(
            f"{count(len(flat), 'node')} {format_items(flat)} "
            f"{verb(len(flat), 'has', 'have')} only zero errors",
            column="error",
            expected="errors with a positive variance for every node",
            found="all zeros",
            fix="check the residuals; MinT cannot weigh a node without error variance",
        )
    return errors


# --------------------------------------------------------------------------- projection
class _Projection:
    """Reconciliation ``bottom = G @ base``, with its weight matrix for the NNLS step."""

    def __init__(self, s: np.ndarray, g: np.ndarray, w: np.ndarray | None, rows: np.ndarray):
        self.s = s  # (n, m) summing matrix of every node
        self.g = g  # (m, len(rows)) bottom from the base forecasts of `rows`
        self.w = w  # (len(rows), len(rows)) base error covariance, None for bottom-up
        self.rows = rows  # which nodes' base forecasts are used
        self._whiten: np.ndarray | None = None

    def bottom(self, base: np.ndarray, nonnegative: bool) -> np.ndarray:
        """Reconciled bottom values of base columns ``base`` (len(rows), k)."""
        b = self.g @ base
        if not nonnegative:
            return b
        neg = np.flatnonzero((b < 0).any(axis=0))
        if neg.size == 0:
            return b
        if self.w is None:  # bottom-up: the closest non-negative bottom level is the clip
            return np.maximum(b, 0.0)
        if self._whiten is None:
            chol = linalg.cholesky(self.w, lower=True)
            self._whiten = linalg.solve_triangular(chol, np.eye(len(chol)), lower=True)
        a = self._whiten @ self.s[self.rows]
        for k in neg:
            b[:, k] = optimize.nnls(a, self._whiten @ base[:, k])[0]
        return b


def _projection(
    hier: Hierarchy,
    method: str,
    residuals: pd.DataFrame | None,
    *,
    id_col: str,
    time_col: str,
) -> tuple[_Projection, np.ndarray | None, float | None]:
    """The projection of ``method``, the residual correlation (if any) and the shrinkage."""
    if method not in _METHODS:
        raise ParameterError(
            f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}"
        )
    s = hier._s_array()
    n, m = s.shape
    names = list(hier.nodes["unique_id"])
    corr = None
    lam = None
    shrunk = None
    if residuals is not None:
        rows_used = names if method != "bottom_up" else hier.bottom
        errors = _errors_matrix(residuals, rows_used, id_col=id_col, time_col=time_col)
        shrunk, lam = _shrunk_covariance(errors)
        sample = errors.T @ errors / errors.shape[0]
        sd = np.sqrt(np.diag(sample))
        corr = sample / np.outer(sd, sd)  # intervals: the unshrunk correlation (unbiased)
    elif method == "mint_shrink":
        raise fail(
            "method='mint_shrink' needs the one-step errors of every node",
            expected="residuals=, a long frame unique_id, ds, error",
            found="residuals=None",
            fix="pass residuals=trendcast.one_step_errors(cv) or use method='wls_struct'",
        )
    if method == "bottom_up":
        rows = np.arange(n - m, n)
        return _Projection(s, np.eye(m), None, rows), corr, lam
    if method == "ols":
        w = np.eye(n)
    elif method == "wls_struct":
        w = np.diag(s.sum(axis=1))
    else:
        assert shrunk is not None
        w = shrunk
    g = _mint_matrix(s, w)
    return _Projection(s, g, w, np.arange(n)), corr, lam


def _mint_matrix(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``G = (S' W^-1 S)^-1 S' W^-1``: the W-weighted least-squares bottom level."""
    chol = linalg.cho_factor(w)
    winv_s = linalg.cho_solve(chol, s)
    return np.linalg.solve(s.T @ winv_s, winv_s.T)


# --------------------------------------------------------------------------- reconcile
def _check_paths(
    paths: Mapping[Any, np.ndarray], needed: list[Any], h: int | None
) -> tuple[np.ndarray, int]:
    """Stack the paths of ``needed`` into (len(needed), n_paths, h), checked."""
    if not isinstance(paths, Mapping):
        raise fail(
            "paths is not a dict",
            expected="a dict node -> array (n_paths, h)",
            found=type(paths).__name__,
            fix="pass TrendForecaster.sample_paths(h, output='arrays')",
        )
    absent = [n for n in needed if n not in paths]
    if absent:
        raise fail(
            f"paths are missing for {count(len(absent), 'node')} {format_items(absent)}",
            expected="sample paths for every node whose base forecast is used",
            found=f"paths for {format_items(list(paths))}",
            fix="forecast every node (Hierarchy.aggregate the sales first) and sample its paths",
        )
    arrays = [np.asarray(paths[n], dtype=float) for n in needed]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1 or arrays[0].ndim != 2:
        found = {n: a.shape for n, a in zip(needed, arrays, strict=True)}
        raise fail(
            "the sample paths do not all have the same shape (n_paths, h)",
            expected="one 2-D array of the same shape per node",
            found=format_items([f"{k}: {v}" for k, v in found.items()]),
            fix="draw all paths in one sample_paths call with the same h and n_paths",
        )
    stacked = np.stack(arrays)
    if h is not None and stacked.shape[2] != h:
        raise fail(
            "the sample paths do not cover the forecast horizon",
            expected=f"{h} periods per path (the forecast's)",
            found=f"{stacked.shape[2]}",
            fix="sample the paths with the same h as the forecast",
        )
    if not np.isfinite(stacked).all():
        raise fail(
            "the sample paths hold missing or infinite values",
            expected="finite numbers",
            found="NaN or inf",
            fix="draw the paths again; check the fitted models",
        )
    return stacked, stacked.shape[1]


def _reconcile_stacked(proj: _Projection, stacked: np.ndarray, nonnegative: bool) -> np.ndarray:
    """(rows, n_paths, h) base paths -> (n, n_paths, h) coherent paths."""
    _, n_paths, h = stacked.shape
    flat = stacked.reshape(stacked.shape[0], n_paths * h)
    bottom = proj.bottom(flat, nonnegative)
    return (proj.s @ bottom).reshape(proj.s.shape[0], n_paths, h)


@accepts_frames
def reconcile_paths(
    paths: Mapping[Any, np.ndarray],
    hierarchy: Hierarchy,
    *,
    method: Method = "bottom_up",
    residuals: pd.DataFrame | None = None,
    nonnegative: bool = True,
    id_col: str = "unique_id",
    time_col: str = "ds",
) -> dict[Any, np.ndarray]:
    """Make sample paths coherent: every path of a sector is the sum of its categories'.

    Each path (one draw of every node's base paths with the same index) is
    reconciled with the same projection as [`reconcile`][trendcast.reconcile].
    Use the result for probabilities at every level, e.g. as ``paths=`` of
    the supply-gap functions.

    Parameters
    ----------
    paths : dict
        Node -> array ``(n_paths, h)``, as
        ``TrendForecaster.sample_paths(h, output="arrays")`` returns; every
        node for the methods other than ``"bottom_up"`` (which needs the
        bottom level only).
    hierarchy : Hierarchy
    method, residuals, nonnegative, id_col, time_col
        As in [`reconcile`][trendcast.reconcile].

    Returns
    -------
    dict
        Every node of the hierarchy -> array ``(n_paths, h)``, coherent to
        floating-point precision.

    Raises
    ------
    DataValidationError
        When the paths do not cover the bottom level, or have other shapes.
    ParameterError
        For an unknown ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> hier = tc.Hierarchy.from_frame(pd.DataFrame({"sector": ["s", "s"],
    ...                                              "category": ["a", "b"]}))
    >>> rng = np.random.default_rng(0)
    >>> base = {"a": rng.gamma(5, size=(100, 3)), "b": rng.gamma(5, size=(100, 3))}
    >>> coherent = tc.reconcile_paths(base, hier)
    >>> bool(np.allclose(coherent["s"], coherent["a"] + coherent["b"]))
    True
    """
    proj, _, _ = _projection(hierarchy, method, residuals, id_col=id_col, time_col=time_col)
    names = list(hierarchy.nodes["unique_id"])
    stacked, _ = _check_paths(paths, [names[i] for i in proj.rows], None)
    out = _reconcile_stacked(proj, stacked, nonnegative)
    return {node: out[i] for i, node in enumerate(names)}


@accepts_frames
def reconcile(
    forecast: pd.DataFrame,
    hierarchy: Hierarchy,
    *,
    method: Method = "bottom_up",
    residuals: pd.DataFrame | None = None,
    paths: Mapping[Any, np.ndarray] | None = None,
    nonnegative: bool = True,
    level: Sequence[int] | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
) -> pd.DataFrame:
    """Make forecasts coherent: each sector's forecast equals the sum of its categories'.

    Parameters
    ----------
    forecast : DataFrame
        Base forecasts, as [`TrendForecaster.predict`][trendcast.TrendForecaster.predict]
        returns (``id_col, time_col, model, mean, lo-*, hi-*``), one series
        per node on the same periods: every node of the hierarchy, or only
        the bottom level for ``method="bottom_up"``.
    hierarchy : Hierarchy
    method : {"bottom_up", "ols", "wls_struct", "mint_shrink"}
        ``"bottom_up"``: sum the category forecasts. The others combine the
        forecasts of every node, ``bottom = G @ base`` with
        ``G = (S' W^-1 S)^-1 S' W^-1``: ``"ols"`` with ``W = I``,
        ``"wls_struct"`` with ``W = diag(S 1)`` (number of categories under
        each node), ``"mint_shrink"`` with ``W`` the one-step error
        covariance from ``residuals`` shrunk toward its diagonal (Schäfer &
        Strimmer 2005), as in Wickramasuriya, Athanasopoulos & Hyndman (2019).
    residuals : DataFrame, optional
        One-step errors per node, long ``id_col, time_col, error`` (see
        [`one_step_errors`][trendcast.one_step_errors]). Required by
        ``"mint_shrink"``; with other methods their correlation is used for
        the Gaussian intervals.
    paths : dict, optional
        Base sample paths, node -> array ``(n_paths, h)`` from
        ``TrendForecaster.sample_paths(h, output="arrays")``. Each path is
        reconciled with the same projection and the intervals are its
        quantiles (see [`reconcile_paths`][trendcast.reconcile_paths] for the
        coherent paths themselves).
    nonnegative : bool
        Demand cannot be negative. Where the reconciled bottom level of a
        period (or path) has a negative value, it is replaced by the
        non-negative least-squares solution in the same ``W`` metric
        (``scipy.optimize.nnls``; for bottom-up, the clip at zero) and the
        sectors are re-aggregated, so coherence holds exactly.
    level : sequence of int, optional
        Interval levels; default those of the forecast (``lo-80``... columns),
        or (80, 95) when it has none and ``paths`` are given.
    id_col, time_col : str
        Column names.

    Returns
    -------
    DataFrame
        ``id_col, level, time_col, model, mean, lo-<l>, hi-<l>..., base_model``
        for every node of the hierarchy (top level first), where ``level``
        is the hierarchy level, ``model`` the method and ``base_model`` the
        base forecast's model (missing where none was used). Without paths
        the intervals are Gaussian: base standard deviations read from the
        base intervals (``(hi - lo) / (2 z)``, or ``(hi - mean) / z`` when
        ``lo`` was clipped at zero, averaged over the levels), combined with
        the sample correlation of the residuals (independent nodes without
        residuals; the shrunk covariance, whose correlations are pulled
        toward zero, gives the weights only), propagated through the reconciliation
        (``S G Sigma G' S'``) and clipped at zero. It can be passed to
        ``supply_gaps`` as it is.

    Raises
    ------
    DataValidationError
        When a node lacks a forecast, a forecast is not a node of the
        hierarchy, nodes have different periods, or the residuals or paths
        do not fit.
    ParameterError
        For an unknown ``method``, or ``level`` outside 1..99.

    Examples
    --------
    >>> import trendcast as tc
    >>> hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
    >>> sales = tc.datasets.load_us_retail(categories=hier.bottom)
    >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
    >>> coherent = tc.reconcile(fc.predict(h=3), hier)
    >>> list(coherent.columns)
    ['unique_id', 'level', 'ds', 'model', 'mean', 'lo-80', 'hi-80', 'lo-95', 'hi-95', 'base_model']
    >>> wide = coherent.pivot(index="ds", columns="unique_id", values="mean")
    >>> bool(abs(wide["Food, drink and health"] - wide["445"] - wide["446"]).max() < 1e-6)
    True
    """
    proj, corr, lam = _projection(hierarchy, method, residuals, id_col=id_col, time_col=time_col)
    names = list(hierarchy.nodes["unique_id"])
    used = [names[i] for i in proj.rows]
    base, dates, models, levels = _base_matrix(forecast, hierarchy, used, id_col, time_col)
    levels = _interval_levels(level, levels, with_paths=paths is not None)
    mean_b = proj.bottom(base["mean"], nonnegative)
    mean = proj.s @ mean_b
    bounds = _reconciled_bounds(
        proj, base, mean, levels, h=len(dates), paths=paths, used=used, corr=corr,
        nonnegative=nonnegative, columns=forecast.columns,
    )  # fmt: skip
    out = _coherent_frame(
        hierarchy, method, dates, mean, bounds, levels, models, id_col=id_col, time_col=time_col
    )
    if lam is not None:
        logger.info("reconcile(%s): shrinkage intensity %.3f", method, lam)
    return out


def _interval_levels(
    level: Sequence[int] | None, from_forecast: list[int], *, with_paths: bool
) -> list[int]:
    """The levels asked for; else the forecast's, or (80, 95) from paths when it has none."""
    if level is not None:
        return list(check_levels(level))
    if with_paths and not from_forecast:
        return [80, 95]
    return from_forecast


def _reconciled_bounds(
    proj: _Projection,
    base: dict[str, np.ndarray],
    mean: np.ndarray,
    levels: list[int],
    *,
    h: int,
    paths: Mapping[Any, np.ndarray] | None,
    used: list[Any],
    corr: np.ndarray | None,
    nonnegative: bool,
    columns: pd.Index,
) -> dict[str, np.ndarray]:
    """Bounds of every node: quantiles of the coherent paths, else Gaussian from the base.

    Clipped at zero when ``nonnegative``, and widened so that lo <= mean <= hi.
    """
    bounds: dict[str, np.ndarray] = {}
    if paths is not None:
        stacked, _ = _check_paths(paths, used, h)
        coherent = _reconcile_stacked(proj, stacked, nonnegative)
        for lv in levels:
            alpha = (100 - lv) / 200
            bounds[f"lo-{lv}"] = np.quantile(coherent, alpha, axis=1)
            bounds[f"hi-{lv}"] = np.quantile(coherent, 1 - alpha, axis=1)
    elif levels:
        missing = [lv for lv in levels if f"lo-{lv}" not in base]
        if missing and not any(k.startswith("lo-") for k in base):
            raise fail(
                "the forecast has no interval columns to derive reconciled intervals from",
                expected="lo-<level>, hi-<level> columns, or paths=",
                found=f"columns {format_items(columns)}",
                fix="forecast with level=(80, 95), or pass sample paths",
            )
        sd = _base_sd(base)
        bounds = _gaussian_bounds(proj, sd, corr, mean, levels, nonnegative)
    if nonnegative:
        for key, arr in bounds.items():
            bounds[key] = np.maximum(arr, 0.0)
    for lv in levels:  # quantiles of the paths or a clipped Gaussian: keep lo <= mean <= hi
        bounds[f"lo-{lv}"] = np.minimum(bounds[f"lo-{lv}"], mean)
        bounds[f"hi-{lv}"] = np.maximum(bounds[f"hi-{lv}"], mean)
    return bounds


def _coherent_frame(
    hierarchy: Hierarchy,
    method: str,
    dates: np.ndarray,
    mean: np.ndarray,
    bounds: dict[str, np.ndarray],
    levels: list[int],
    models: dict[Any, Any],
    *,
    id_col: str,
    time_col: str,
) -> pd.DataFrame:
    """The long output of ``reconcile``: every node and period, top level first."""
    names = list(hierarchy.nodes["unique_id"])
    h = len(dates)
    n = len(names)
    base_model = [models.get(node) for node in names]
    out = pd.DataFrame(
        {
            id_col: np.repeat(np.array(names, dtype=object), h),
            "level": np.repeat(hierarchy.nodes["level"].to_numpy(dtype=object), h),
            time_col: np.tile(dates, n),
            "model": method,
            "mean": mean.ravel(),
        }
    )
    for lv in levels:
        out[f"lo-{lv}"] = bounds[f"lo-{lv}"].ravel()
        out[f"hi-{lv}"] = bounds[f"hi-{lv}"].ravel()
    out["base_model"] = pd.Series(np.repeat(np.array(base_model, dtype=object), h), dtype=object)
    return out


def _base_matrix(
    forecast: pd.DataFrame,
    hier: Hierarchy,
    used: list[Any],
    id_col: str,
    time_col: str,
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[Any, Any], list[int]]:
    """Validated base forecasts of the ``used`` nodes as (len(used), h) matrices."""
    check_forecast_columns(forecast, id_col, time_col)
    levels = forecast_levels(forecast.columns)
    frame = forecast.reset_index(drop=True)
    ids = frame[id_col].astype(object)
    all_nodes = set(hier.nodes["unique_id"])
    unknown = ~ids.isin(all_nodes).to_numpy()
    if unknown.any():
        rows = np.flatnonzero(unknown)
        raise fail(
            f"{count(len(rows), 'forecast row')} {verb(len(rows), 'is', 'are')} for categories "
            "that are not in the hierarchy mapping",
            column=id_col,
            expected=f"nodes of the hierarchy: {format_items(list(hier.nodes['unique_id']))}",
            found=format_rows(frame, rows, [id_col, time_col]),
            fix="add the categories to the mapping, or drop their forecasts",
        )
    frame = frame[ids.isin(used).to_numpy()].assign(**{id_col: ids[ids.isin(used)]})
    absent = [n for n in used if n not in set(frame[id_col])]
    if absent:
        raise fail(
            f"{count(len(absent), 'node')} of the hierarchy {verb(len(absent), 'has', 'have')} "
            f"no base forecast: {format_items(absent)}",
            column=id_col,
            expected="a forecast for every node the method uses (bottom-up: the categories; "
            "the others: sectors too)",
            found=f"forecasts for {frame[id_col].nunique()} of {len(used)} nodes",
            fix="forecast the aggregated sales (Hierarchy.aggregate) of every node, "
            "or use method='bottom_up'",
        )
    dup = frame.duplicated([id_col, time_col], keep=False).to_numpy()
    if dup.any():
        raise fail(
            "a (node, period) has more than one forecast",
            column=time_col,
            expected="one forecast per node and period (one model)",
            found=format_rows(
                frame.reset_index(drop=True), np.flatnonzero(dup), [id_col, time_col]
            ),
            fix="keep one model's forecast per node",
        )
    periods = frame.groupby(id_col, sort=False)[time_col].apply(lambda s: tuple(sorted(s)))
    reference = periods.loc[used[0]]
    differ = [n for n in used if periods.loc[n] != reference]
    if differ:
        raise fail(
            f"{count(len(differ), 'node')} {format_items(differ)} "
            f"{verb(len(differ), 'has', 'have')} forecasts for other periods than "
            f"{used[0]!r}",
            column=time_col,
            expected=f"the same {len(reference)} periods for every node",
            found=f"{format_items([periods.loc[n][0] for n in differ])} as first periods",
            fix="forecast every node from the same last date with the same h",
        )
    value_cols = ["mean"] + [f"{side}-{lv}" for lv in levels for side in ("lo", "hi")]
    wide = {
        col: frame.pivot(index=id_col, columns=time_col, values=col)
        .reindex(index=used)
        .to_numpy(dtype=float)
        for col in value_cols
    }
    for col, arr in wide.items():
        if not np.isfinite(arr).all():
            raise fail(
                "the forecast holds missing or infinite values",
                column=col,
                expected="finite numbers",
                found="NaN or inf",
                fix="check the forecast of those nodes",
            )
    models = (
        dict(zip(frame[id_col], frame["model"], strict=True)) if "model" in frame.columns else {}
    )
    dates = np.array(sorted(reference), dtype="datetime64[ns]")
    return wide, dates, models, levels


def _base_sd(base: dict[str, np.ndarray]) -> np.ndarray:
    """Base standard deviation per node and step, read off the base intervals."""
    mean = base["mean"]
    sds = []
    for key in base:
        if not key.startswith("lo-"):
            continue
        lv = int(key[3:])
        z = stats.norm.ppf(0.5 + lv / 200)
        lo, hi = base[key], base[f"hi-{lv}"]
        sds.append(np.where(lo <= 0, (hi - mean) / z, (hi - lo) / (2 * z)))
    return np.maximum(np.mean(sds, axis=0), 0.0)


def _gaussian_bounds(
    proj: _Projection,
    sd: np.ndarray,
    corr: np.ndarray | None,
    mean: np.ndarray,
    levels: list[int],
    nonnegative: bool,
) -> dict[str, np.ndarray]:
    """Gaussian bounds from the reconciled covariance ``S G Sigma_h G' S'`` per step."""
    rows = len(proj.rows)
    r = np.eye(rows) if corr is None else corr
    sg = proj.s @ proj.g
    out_sd = np.empty_like(mean)
    for j in range(sd.shape[1]):
        sigma = r * np.outer(sd[:, j], sd[:, j])
        out_sd[:, j] = np.sqrt(np.maximum(np.einsum("ik,kl,il->i", sg, sigma, sg), 0.0))
    bounds = {}
    for lv in levels:
        z = stats.norm.ppf(0.5 + lv / 200)
        bounds[f"lo-{lv}"] = mean - z * out_sd
        bounds[f"hi-{lv}"] = mean + z * out_sd
    return bounds
