"""ARIMA's state-space form and Kalman filter in NumPy, as statsmodels' SARIMAX builds them.

``ARIMA`` forecasts from the predicted state (and its covariance) after the
last observation. They used to come from statsmodels' ``SARIMAX(...).filter``
and the forecast from a SARIMAX extension of the model over the horizon,
which needs ``import statsmodels.tsa.statespace.sarimax``: about half a
second in a fresh process (it brings ``scipy.stats`` and ``scipy.optimize``),
which a loaded forecaster paid at its first ARIMA forecast, and ARIMA is one
of the six members of the default median (issue 21: load and forecast one
category in under 0.3 s). This module builds the same matrices as SARIMAX
(its default representation: differences in the state, MA terms in the
selection, the constant in the state intercept, covariates in the observation
intercept; the matrices are equal to statsmodels' entry by entry, tested),
initialises the state as SARIMAX does by default (approximate diffuse with
variance 1e6 for the differences, the stationary distribution for the ARMA
part) and runs the conventional Kalman filter with the covariance kept
symmetric. The filter's and the forecast's numbers agree with statsmodels' to
about 1e-12 relative (other BLAS call orders and another solver of the
stationary covariance: ``tests/models/test_arima_state.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StateSpace", "filter_end", "forecast", "state_space"]

#: SARIMAX's approximate diffuse variance (statsmodels' ``initial_variance``)
_DIFFUSE_VARIANCE = 1e6


@dataclass(frozen=True)
class StateSpace:
    """The time-invariant matrices of one SARIMAX model (one observed series)."""

    design: np.ndarray  # (k,)
    transition: np.ndarray  # (k, k)
    selection: np.ndarray  # (k, 1)
    sigma2: float
    intercept: np.ndarray  # (k,): the constant, in the first ARMA state
    beta: np.ndarray  # covariate coefficients (observation intercept X @ beta)
    k_diff: int  # states of the differences (first)
    k_order: int  # states of the ARMA part (then)

    @property
    def state_cov(self) -> np.ndarray:
        """``R Q R'``: the covariance of the state's shocks."""
        return self.sigma2 * (self.selection @ self.selection.T)


def state_space(
    order: tuple[int, int, int],
    seasonal_order: tuple[int, int, int],
    m: int,
    constant: bool,
    params: np.ndarray,
    k_exog: int,
) -> StateSpace:
    """SARIMAX's matrices for these orders and parameters (in SARIMAX's order:
    constant, covariates, AR, MA, seasonal AR, seasonal MA, variance)."""
    p, d, q = order
    big_p, big_d, big_q = seasonal_order if m > 1 else (0, 0, 0)
    s = m if m > 1 else 0
    k_sar, k_sma = big_p * s, big_q * s
    k_order = max(p + k_sar, q + k_sma + 1)
    k_diff = d + s * big_d
    k = k_diff + k_order
    values = np.asarray(params, dtype=float)
    sizes = (int(constant), k_exog, p, q, big_p, big_q, 1)
    if values.ndim != 1 or values.size != sum(sizes):
        raise ValueError(f"ARIMA{order}{seasonal_order} takes {sum(sizes)} parameters")
    parts = np.split(values, np.cumsum(sizes)[:-1])
    const, beta, ar, ma, sar, sma, sigma2 = parts
    # the reduced lag polynomials (numpy's polymul, as SARIMAX.update)
    ar_poly, ma_poly = np.r_[1.0, -ar], np.r_[1.0, ma]
    if k_sar:
        seasonal = np.zeros(k_sar + 1)
        seasonal[0], seasonal[s::s] = 1.0, -sar
        reduced_ar = -np.asarray(np.polymul(ar_poly, seasonal))
    else:
        reduced_ar = -ar_poly
    if k_sma:
        seasonal = np.zeros(k_sma + 1)
        seasonal[0], seasonal[s::s] = 1.0, sma
        reduced_ma = np.asarray(np.polymul(ma_poly, seasonal))
    else:
        reduced_ma = ma_poly
    design = np.zeros(k)
    design[:d] = 1.0
    design[[d + j * s + s - 1 for j in range(big_d)]] = 1.0
    design[k_diff] = 1.0
    transition = np.zeros((k, k))
    # the ARMA part: a companion block, the AR coefficients in its first column
    rows = np.arange(k_diff, k - 1)
    transition[rows, rows + 1] = 1.0
    transition[k_diff : k_diff + p + k_sar, k_diff] = reduced_ar[1:]
    # the seasonal differences: one block of s states each, chained
    for j in range(big_d):
        start, end = d + j * s, d + (j + 1) * s
        transition[np.arange(start + 1, end), np.arange(start, end - 1)] = 1.0
        transition[start, end - 1] = 1.0
        if j < big_d - 1:
            transition[start, end + s - 1] = 1.0
        transition[start, k_diff] = 1.0
    # the ordinary differences
    if d:
        transition[np.triu_indices(d)] = 1.0
        if s:
            transition[:d, [d + j * s + s - 1 for j in range(big_d)]] = 1.0
        transition[:d, k_diff] = 1.0
    selection = np.zeros((k, 1))
    selection[k_diff, 0] = 1.0
    selection[k_diff + 1 : k_diff + 1 + q + k_sma, 0] = reduced_ma[1:]
    intercept = np.zeros(k)
    if constant:
        intercept[k_diff] = const[0]
    return StateSpace(
        design, transition, selection, float(sigma2[0]), intercept, beta, k_diff, k_order
    )


def _initial(ss: StateSpace) -> tuple[np.ndarray, np.ndarray]:
    """SARIMAX's default initial state: diffuse differences, a stationary ARMA part."""
    k = ss.design.size
    mean, cov = np.zeros(k), np.zeros((k, k))
    cov[: ss.k_diff, : ss.k_diff] = _DIFFUSE_VARIANCE * np.eye(ss.k_diff)
    arma = slice(ss.k_diff, k)
    t, n = ss.transition[arma, arma], ss.k_order
    stationary = _stationary_cov(t, ss.state_cov[arma, arma])
    cov[arma, arma] = (stationary + stationary.T) / 2
    mean[arma] = np.linalg.solve(np.eye(n) - t, ss.intercept[arma])
    return mean, cov


def _stationary_cov(t: np.ndarray, shocks: np.ndarray) -> np.ndarray:
    """The ``P`` with ``P = T P T' + shocks``: the stationary covariance of the ARMA states.

    Up to 8 states, the vectorised equation ``(I - T kron T) vec P = vec
    shocks``; above (seasonal models: 26 states for a (2,1,0)(2,1,0)[12],
    where that system has 457,000 entries and took a tenth of a second),
    Smith's doubling ``P += A P A'``, ``A = A @ A``: ``2 ** k`` terms of the
    series ``sum T^j shocks T'^j`` after ``k`` steps, which ends exactly for
    pure moving averages (``T`` nilpotent) and otherwise when ``A`` has vanished.
    """
    n = t.shape[0]
    if n <= 8:
        return np.linalg.solve(np.eye(n * n) - np.kron(t, t), shocks.ravel()).reshape(n, n)
    cov, power = shocks.copy(), t.copy()
    for _ in range(100):
        cov = cov + power @ cov @ power.T
        power = power @ power
        if not np.max(np.abs(power)) > 1e-30:  # vanished (or not finite: give up as is)
            break
    return cov


def filter_end(
    y: np.ndarray, X: np.ndarray | None, ss: StateSpace
) -> tuple[np.ndarray, np.ndarray]:
    """The predicted state and its covariance after the last of ``y`` (SARIMAX's
    ``predicted_state[:, -1]`` and ``predicted_state_cov[:, :, -1]``)."""
    z, t, c, shocks = ss.design, ss.transition, ss.intercept, ss.state_cov
    offset = np.zeros(y.size) if X is None else X @ ss.beta
    state, cov = _initial(ss)
    for obs, d in zip(y.tolist(), offset.tolist(), strict=True):
        pz = cov @ z
        f = z @ pz
        state = state + pz * ((obs - (z @ state + d)) / f)
        cov = cov - np.outer(pz, pz) / f
        state = t @ state + c
        cov = t @ cov @ t.T + shocks
        cov = (cov + cov.T) / 2
    return state, cov


def forecast(
    state: np.ndarray, cov: np.ndarray, ss: StateSpace, h: int, X_future: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance of the next ``h`` observations from the predicted ``state``."""
    z, t, c, shocks = ss.design, ss.transition, ss.intercept, ss.state_cov
    offset = np.zeros(h) if X_future is None else X_future @ ss.beta
    mean, variance = np.empty(h), np.empty(h)
    for j in range(h):
        mean[j] = z @ state + offset[j]
        variance[j] = z @ cov @ z
        state = t @ state + c
        cov = t @ cov @ t.T + shocks
        cov = (cov + cov.T) / 2
    return mean, variance
