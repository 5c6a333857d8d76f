"""Does search interest lead sales, and by how many periods?

Two series that both rise over the years and both peak every December are
correlated at every lag, whether or not one drives the other. The analysis
therefore removes what they share by construction before it looks for a lead:

1. each series is logged (when positive) and seasonally differenced
   (``y[t] - y[t - season_length]``), which removes a fixed seasonal pattern
   and a linear trend;
2. the search series is *prewhitened*: an autoregression (order chosen by
   AIC, up to ``season_length + 1``) turns it into white noise, and the same
   filter is applied to sales (Box and Jenkins). Under "no lead" the
   cross-correlations of the filtered series are then about N(0, 1/n) at
   every lag, so a band of ±z/√n is a valid test;
3. the lags ``min_lag..max_lag`` are tested together: the band uses a
   Bonferroni z (``alpha / number of lags``), so the chance that *some* lag
   crosses it by luck stays at ``alpha``;
4. at the best lag, statsmodels' ``grangercausalitytests`` checks that past
   search improves a forecast of sales beyond past sales.

A category ``leads`` when both tests pass.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import fail, format_items, real_number, whole_number
from trendcast.exceptions import DataValidationError
from trendcast.io.sales import validate_sales

__all__ = ["cross_correlation", "lead_lag", "lead_lag_analysis"]

logger = logging.getLogger(__name__)


@accepts_frames
def lead_lag(
    sales: pd.DataFrame,
    search: pd.DataFrame,
    *,
    max_lag: int = 6,
    min_lag: int = 1,
    alpha: float = 0.05,
    season_length: int | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    search_col: str = "search",
) -> pd.DataFrame:
    """Find, per category, the lag at which search interest best leads sales.

    Parameters
    ----------
    sales : DataFrame
        Sales in long format (``unique_id, ds, y`` or the names given).
    search : DataFrame
        Search interest per category and period in the same id and time
        columns, e.g. the output of
        [`search_by_category`][trendcast.search_by_category].
    max_lag, min_lag : int
        Lags tested, in periods of the sales frequency. ``min_lag=1`` asks for
        a lead (search earlier than sales); 0 would also accept a coincident
        signal.
    alpha : float
        Family-wise significance level across the lags tested.
    season_length : int, optional
        Periods per seasonal cycle (default from the frequency: 12 monthly,
        52 weekly, 4 quarterly, 7 daily); 1 turns seasonal differencing into
        a first difference.
    id_col, time_col, target_col : str
        Column names of ``sales`` (and of ``search`` for id and time).
    search_col : str
        The search-interest column of ``search``.

    Returns
    -------
    DataFrame
        One row per category: ``id_col``, ``lag`` (best lag), ``correlation``
        (cross-correlation of the prewhitened series at that lag; its sign
        says whether more search means more or less sales), ``threshold``
        (the Bonferroni band), ``p_value`` (Bonferroni-adjusted p of that
        correlation), ``granger_p`` (Granger F-test p-value at that lag),
        ``n`` (periods used after differencing), ``leads`` (both p-values
        below ``alpha``) and ``note`` (why a category was not tested).

    Raises
    ------
    DataValidationError
        For invalid sales (see [`read_sales`][trendcast.read_sales]), a
        search frame without the columns, or invalid lags.
    ParameterError
        For ``min_lag``/``max_lag`` that are not whole numbers of 0 or more,
        ``alpha`` outside (0, 1) or ``season_length`` below 1 (the message
        names the argument).

    Examples
    --------
    >>> import trendcast as tc
    >>> from trendcast.datasets import (load_nl_online_sales, load_nl_search_mapping,
    ...                                 nl_google_trends_files)
    >>> sales = load_nl_online_sales()
    >>> search = tc.search_by_category(
    ...     tc.read_google_trends(nl_google_trends_files()), load_nl_search_mapping(), freq="MS")
    >>> table = tc.lead_lag(sales, search, max_lag=3)
    >>> list(table.columns)[:4]
    ['unique_id', 'lag', 'correlation', 'threshold']
    """
    table, _ = lead_lag_analysis(
        sales,
        search,
        max_lag=max_lag,
        min_lag=min_lag,
        alpha=alpha,
        season_length=season_length,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        search_col=search_col,
    )
    return table


@accepts_frames
def cross_correlation(
    sales: pd.DataFrame,
    search: pd.DataFrame,
    *,
    max_lag: int = 6,
    min_lag: int = 1,
    alpha: float = 0.05,
    season_length: int | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    search_col: str = "search",
) -> pd.DataFrame:
    """Cross-correlation of prewhitened search and sales at lags 0..max_lag.

    Same parameters as [`lead_lag`][trendcast.lead_lag]. Returns one row per
    category and lag: ``id_col, lag, correlation, threshold, n, tested``
    (``tested`` marks the lags ``min_lag..max_lag`` that ``lead_lag`` chooses
    from).
    """
    _, ccf = lead_lag_analysis(
        sales,
        search,
        max_lag=max_lag,
        min_lag=min_lag,
        alpha=alpha,
        season_length=season_length,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        search_col=search_col,
    )
    return ccf


@accepts_frames
def lead_lag_analysis(
    sales: pd.DataFrame,
    search: pd.DataFrame,
    *,
    max_lag: int = 6,
    min_lag: int = 1,
    alpha: float = 0.05,
    season_length: int | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    search_col: str = "search",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables of one lead-lag analysis: the best lag and the whole cross-correlation.

    One pass computes what [`lead_lag`][trendcast.lead_lag] and
    [`cross_correlation`][trendcast.cross_correlation] return separately, for
    callers that need both (a chart of the correlations that marks the lag
    chosen, as [`plot_lead_lag`][trendcast.plot_lead_lag] draws).

    Parameters
    ----------
    sales, search : DataFrame
        As in ``lead_lag``.
    max_lag, min_lag, alpha, season_length : optional
        As in ``lead_lag``.
    id_col, time_col, target_col, search_col : str
        As in ``lead_lag``.

    Returns
    -------
    table : DataFrame
        What ``lead_lag`` returns: one row per category.
    ccf : DataFrame
        What ``cross_correlation`` returns: one row per tested category and
        lag 0..``max_lag``.

    Raises
    ------
    DataValidationError
        As ``lead_lag``.
    ParameterError
        As ``lead_lag``.

    Examples
    --------
    >>> import trendcast as tc
    >>> from trendcast.datasets import (load_nl_online_sales, load_nl_search_mapping,
    ...                                 nl_google_trends_files)
    >>> sales = load_nl_online_sales()
    >>> search = tc.search_by_category(
    ...     tc.read_google_trends(nl_google_trends_files()), load_nl_search_mapping(), freq="MS")
    >>> table, ccf = tc.lead_lag_analysis(sales, search, max_lag=3)
    >>> table.equals(tc.lead_lag(sales, search, max_lag=3))
    True
    >>> sorted(ccf["lag"].unique().tolist())
    [0, 1, 2, 3]
    """
    _check_lags(min_lag, max_lag, alpha)
    validated = validate_sales(sales, id_col=id_col, time_col=time_col, target_col=target_col)
    _check_search_columns(search, id_col, time_col, search_col)
    m = whole_number("season_length", season_length, none=True) or freqs.season_length_of(
        validated.freq
    )
    settings = _Settings(
        m=m,
        min_lag=min_lag,
        max_lag=max_lag,
        alpha=alpha,
        freq=validated.freq,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        search_col=search_col,
    )
    joined = _join_search(validated.frame, search, settings)
    rows, ccfs = [], []
    for key, g in joined.groupby(id_col, sort=True):
        row, ccf = _analyse_category(key, g, settings)
        rows.append(row)
        if ccf is not None:
            ccfs.append(ccf)
    return _tables(rows, ccfs, id_col)


@dataclass(frozen=True)
class _Settings:
    """The checked options of one analysis, shared by every category."""

    m: int
    min_lag: int
    max_lag: int
    alpha: float
    freq: str
    id_col: str
    time_col: str
    target_col: str
    search_col: str

    @property
    def lags(self) -> np.ndarray:
        return np.arange(0, self.max_lag + 1)

    @property
    def tested(self) -> np.ndarray:
        lags = self.lags
        return (lags >= self.min_lag) & (lags <= self.max_lag)


def _check_lags(min_lag: int, max_lag: int, alpha: float) -> None:
    whole_number("min_lag", min_lag, low=0)
    whole_number("max_lag", max_lag, low=0)
    real_number("alpha", alpha, low=0, high=1, open_low=True, open_high=True)
    if not (
        isinstance(max_lag, int | np.integer) and isinstance(min_lag, int | np.integer)
    ) or not (0 <= min_lag <= max_lag):
        raise DataValidationError(
            f"min_lag={min_lag!r}, max_lag={max_lag!r} are not a range of lags. Expected whole "
            "numbers with 0 <= min_lag <= max_lag. Fix: e.g. min_lag=1, max_lag=6."
        )
    if not 0 < alpha < 1:
        raise DataValidationError(
            f"alpha={alpha!r} is not a significance level. Expected 0 < alpha < 1. "
            "Fix: pass alpha=0.05."
        )


def _check_search_columns(
    search: pd.DataFrame, id_col: str, time_col: str, search_col: str
) -> None:
    missing = [c for c in (id_col, time_col, search_col) if c not in search.columns]
    if missing:
        raise fail(
            f"the search frame misses column{'s' if len(missing) > 1 else ''} "
            f"{format_items(missing)}",
            expected=f"columns {id_col!r}, {time_col!r}, {search_col!r} (search_by_category "
            "output, with the sales' column names)",
            found=f"columns {format_items(search.columns)}",
            fix="pass id_col=/time_col= as used for the sales, and search_col= for the interest",
        )


def _join_search(clean: pd.DataFrame, search: pd.DataFrame, settings: _Settings) -> pd.DataFrame:
    """The sales with their search interest (missing where search has no value)."""
    id_col, time_col, search_col = settings.id_col, settings.time_col, settings.search_col
    right = search[[id_col, time_col, search_col]].copy()
    right[time_col] = pd.to_datetime(right[time_col])
    right[search_col] = pd.to_numeric(right[search_col], errors="coerce")
    joined = clean[[id_col, time_col, settings.target_col]].merge(
        right, on=[id_col, time_col], how="left"
    )
    without = sorted(str(k) for k, g in joined.groupby(id_col) if g[search_col].notna().sum() == 0)
    if without:
        logger.info("no search interest for %s", format_items(without))
    return joined


def _analyse_category(
    key: object, g: pd.DataFrame, settings: _Settings
) -> tuple[dict[str, object], pd.DataFrame | None]:
    """The row of one category and its correlations by lag (None when it is not tested)."""
    s = settings
    g = g.dropna(subset=[s.search_col]).sort_values(s.time_col)
    row: dict[str, object] = {
        s.id_col: key,
        "lag": np.nan,
        "correlation": np.nan,
        "threshold": np.nan,
        "p_value": np.nan,
        "granger_p": np.nan,
        "n": 0,
        "leads": False,
        "note": "",
    }
    steps = np.diff(freqs.period_number(g[s.time_col], s.freq))
    if (steps != 1).any():
        row["note"] = "search has gaps inside the sales dates; fill or drop them"
        return row, None
    y = _transform(g[s.target_col].to_numpy(float))
    x = _transform(g[s.search_col].to_numpy(float))
    lag_m = s.m if len(y) > 2 * s.m + s.max_lag + 12 else 1
    yd, xd = y[lag_m:] - y[:-lag_m], x[lag_m:] - x[:-lag_m]
    need = s.max_lag + 3 * (s.max_lag + 1) + 10
    if len(yd) < need or np.std(xd) == 0 or np.std(yd) == 0:
        row["note"] = (
            f"too short or constant: {len(yd)} periods after differencing, need {need}"
            if len(yd) < need
            else "constant after differencing"
        )
        row["n"] = len(yd)
        return row, None
    r, threshold, n = _prewhitened_ccf(yd, xd, s)
    row.update(_best_lag(r, threshold, n, yd, xd, s))
    if lag_m == 1 and s.m > 1:
        row["note"] = f"first-differenced: too short for seasonal differencing at {s.m}"
    ccf = pd.DataFrame(
        {
            s.id_col: key,
            "lag": s.lags,
            "correlation": r,
            "threshold": threshold,
            "n": n,
            "tested": s.tested,
        }
    )
    return row, ccf


def _prewhitened_ccf(
    yd: np.ndarray, xd: np.ndarray, settings: _Settings
) -> tuple[np.ndarray, float, int]:
    """Correlations at every lag after prewhitening, the Bonferroni band and the length."""
    order = min(settings.m + 1, len(xd) // 5)
    phi = _fit_ar(xd - xd.mean(), order)
    ex = _ar_filter(xd - xd.mean(), phi)
    fy = _ar_filter(yd - yd.mean(), phi)
    n = len(ex)
    r = np.array([_ccf(ex, fy, int(k)) for k in settings.lags])
    z = stats.norm.ppf(1 - settings.alpha / (2 * int(settings.tested.sum())))
    return r, float(z / np.sqrt(n)), n


def _best_lag(
    r: np.ndarray,
    threshold: float,
    n: int,
    yd: np.ndarray,
    xd: np.ndarray,
    settings: _Settings,
) -> dict[str, object]:
    """The tested lag of the largest correlation, with its two tests."""
    tested = settings.tested
    n_tests = int(tested.sum())
    candidates = np.flatnonzero(tested)
    best = int(candidates[np.argmax(np.abs(r[candidates]))])
    p_single = 2 * stats.norm.sf(abs(r[best]) * np.sqrt(n))
    p_adj = float(min(1.0, p_single * n_tests))
    granger = _granger_p(yd, xd, best) if best >= 1 else np.nan
    return {
        "lag": best,
        "correlation": float(r[best]),
        "threshold": threshold,
        "p_value": p_adj,
        "granger_p": granger,
        "n": n,
        "leads": bool(p_adj < settings.alpha and (best == 0 or granger < settings.alpha)),
    }


def _tables(
    rows: list[dict[str, object]], ccfs: list[pd.DataFrame], id_col: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame(rows)
    table["lag"] = table["lag"].astype("Int64")
    ccf = (
        pd.concat(ccfs, ignore_index=True)
        if ccfs
        else pd.DataFrame(columns=[id_col, "lag", "correlation", "threshold", "n", "tested"])
    )
    return table.reset_index(drop=True), ccf


def _transform(values: np.ndarray) -> np.ndarray:
    """Log when every value is positive (growth rates compare across scales)."""
    return np.log(values) if (values > 0).all() else values


def _fit_ar(x: np.ndarray, max_order: int) -> np.ndarray:
    """AR coefficients by least squares, order chosen by AIC on a common sample."""
    n = len(x)
    best_aic, best_phi = np.inf, np.zeros(0)
    target = x[max_order:]
    for p in range(0, max_order + 1):
        if p == 0:
            resid = target
            phi = np.zeros(0)
        else:
            design = np.column_stack([x[max_order - j : n - j] for j in range(1, p + 1)])
            phi, *_ = np.linalg.lstsq(design, target, rcond=None)
            resid = target - design @ phi
        sigma2 = float(np.mean(resid**2))
        if sigma2 <= 0:
            break
        aic = len(target) * np.log(sigma2) + 2 * p
        if aic < best_aic:
            best_aic, best_phi = aic, phi
    return best_phi


def _ar_filter(x: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Residuals ``x[t] - sum(phi[j] * x[t - 1 - j])`` for t >= order."""
    p = len(phi)
    out = x[p:].copy()
    for j in range(p):
        out -= phi[j] * x[p - 1 - j : len(x) - 1 - j]
    return out


def _ccf(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """corr(x[t - k], y[t]) with full-sample means and variances (the usual estimator)."""
    n = len(x)
    xc, yc = x - x.mean(), y - y.mean()
    denom = n * xc.std() * yc.std()
    return float(np.sum(xc[: n - k] * yc[k:]) / denom) if denom > 0 else 0.0


def _granger_p(y: np.ndarray, x: np.ndarray, lag: int) -> float:
    """p-value of the F-test that lags 1..lag of x help predict y (statsmodels)."""
    from statsmodels.tsa.stattools import grangercausalitytests

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = grangercausalitytests(np.column_stack([y, x]), maxlag=[lag])
    return float(result[lag][0]["ssr_ftest"][1])
