"""Estimation helpers of the automatic ARIMA model (see ``arima.py``).

The search follows R's ``auto.arima`` (Hyndman and Khandakar, 2008) with the
approximation R itself uses on long series: each candidate order is estimated
by conditional sum of squares (CSS), fast, and scored by the *exact* Gaussian
likelihood at those estimates (statsmodels' innovations algorithm, a few
milliseconds even for seasonal orders, where a state-space likelihood spends
most of its time initialising the state covariance). Only the chosen order is
then estimated by exact maximum likelihood, started from its CSS estimates
(Levenberg-Marquardt on the likelihood written as a sum of squares, see
``Problem.fit_mle``).

All estimation happens on the differenced series (and differenced covariates),
scaled to unit variance; ``to_sarimax_params`` maps the result to the
parameter vector of statsmodels' ``SARIMAX`` on the original scale.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Candidate", "Fit", "Problem"]

#: AR and MA roots closer to the unit circle than this are rejected, as in R
_MIN_ROOT = 1.01
_ONE = np.ones(1)
_EMPTY = np.zeros(0)
#: relative tolerance of the CSS estimates that score the candidate orders
_CSS_TOL = 1e-5
#: Levenberg-Marquardt iterations allowed to the exact ML fit. On M3 monthly 95% of
#: the fits converged within 7; the few that ran past 30 (up to 130, seconds each)
#: were walking to a unit root that the root check then rejected.
_MLE_ITERATIONS = 30
#: iterations after which an unfinished exact fit whose roots have already crossed
#: the unit-circle margin is given up (see ``Problem.fit_mle``)
_MLE_CHECK = 10
_MLE_TOL = 1e-8
_GTOL = 1e-8


@functools.cache
def _linear_filter() -> Callable[..., np.ndarray]:
    """``lfilter(b, a, x)`` (or, given ``zi``, ``lfilter(b, a, x, zi=zi)[0]``) without
    scipy's argument handling, or ``lfilter`` itself.

    The CSS search filters a short series a hundred thousand times on M3 (and CES's
    likelihood about as often); scipy's ``lfilter`` spends about four fifths of each
    call checking and converting its arguments before its compiled filter
    (``_sigtools._linear_filter``, a private name: if a scipy release drops it, the
    public function is used). Imported on first use, not with the module:
    ``scipy.signal`` takes 0.4 s to import.
    """
    from scipy.signal import lfilter

    try:
        from scipy.signal._sigtools import _linear_filter as compiled
    except ImportError:  # pragma: no cover - depends on the scipy release

        def public(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: Any = None) -> np.ndarray:
            return lfilter(b, a, x) if zi is None else lfilter(b, a, x, zi=zi)[0]

        return public

    def private(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: Any = None) -> np.ndarray:
        return compiled(b, a, x, -1) if zi is None else compiled(b, a, x, -1, zi)[0]

    return private


def _recursive_filter(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` through ``1 / a(B)`` (``a[0] == 1``), from zero initial state."""
    return _linear_filter()(_ONE, a, x)


def _arma_acovf(ar: np.ndarray, ma: np.ndarray, n: int) -> np.ndarray:
    """Autocovariances (lags 0 to ``n - 1``) of a stationary ARMA with unit innovation variance.

    ``ar`` and ``ma`` are the full lag polynomials (``ar[0] == ma[0] == 1``, AR
    coefficients with the sign of ``1 - phi_1 B - ...``). The same numbers as
    statsmodels' ``arma_acovf`` (Brockwell and Davis, eq. 3.3.8-9: a linear
    system for the first ``max(p, q) + 1`` lags, the AR recursion beyond), with
    the system and the recursion's initial state built by indexing instead of
    Python loops, and without its stationarity check (the callers' AR
    polynomials are stationary by construction; a failure shows as a
    non-positive innovation variance).
    """
    from scipy.signal import lfilter

    p, q = ar.size - 1, ma.size - 1
    m = max(p, q) + 1
    impulse = np.zeros(m)
    impulse[0] = 1.0
    psi = _linear_filter()(ma, ar, impulse)  # MA(infinity) weights up to lag m - 1
    padded = np.zeros(2 * m)
    padded[: p + 1] = ar
    rows = np.arange(m)
    lag = rows[:, None] - rows[None, :]
    system = np.where(lag >= 0, padded[np.abs(lag)], 0.0)
    system[:, 1:] += padded[rows[:, None] + rows[None, 1:]]
    rhs = np.zeros(m)
    k = min(m, q + 1)
    rhs[:k] = np.correlate(ma, psi[: q + 1], "full")[q : q + k]
    out = np.zeros(max(n, m))
    out[:m] = np.linalg.solve(system, rhs)
    if n > m and p:
        # gamma(k) = phi_1 gamma(k - 1) + ... + phi_p gamma(k - p) from lag m on: the
        # filter 1 / ar(B) on zeros, its state (transposed direct form II) holding
        # zi[i] = -sum_{j > i} ar[j] gamma(m - j + i)
        i = np.arange(p)[:, None]
        j = np.arange(1, p + 1)[None, :]
        past = out[np.clip(m - j + i, 0, m - 1)]
        zi = -np.sum(np.where(j > i, ar[j] * past, 0.0), axis=1)
        out[m:] = lfilter([1.0], ar, np.zeros(out.size - m), zi=zi)[0]
    return out[:n]


def _innovations(z: np.ndarray, ar: np.ndarray, ma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Innovations ``u`` and their relative variances ``v`` of ``z`` under an ARMA.

    What statsmodels' ``arma_innovations`` returns (its compiled innovations
    algorithm and filter, called directly), with the autocovariances from
    ``_arma_acovf``: the search and the exact fits evaluate this a hundred
    times a series, and the Python around the compiled parts was most of its
    cost.
    """
    from statsmodels.tsa.innovations import _arma_innovations as compiled

    n = z.size
    ar_params = np.ascontiguousarray(-ar[1:], dtype=float)
    ma_params = np.ascontiguousarray(ma[1:], dtype=float)
    if ar.size == 1 and ma.size == 1:
        return z.astype(float, copy=True), np.ones(n)
    gamma = _arma_acovf(ar, ma, n)
    acovf, acovf2 = compiled.darma_transformed_acovf_fast(ar, ma, gamma)
    theta, v = compiled.darma_innovations_algo_fast(n, ar_params, ma_params, acovf, acovf2)
    u = compiled.darma_innovations_filter(
        np.ascontiguousarray(z, dtype=float), ar_params, ma_params, theta
    )
    return np.asarray(u), np.asarray(v)


@dataclass(frozen=True, order=True)
class Candidate:
    """One ARMA order for the differenced series: (p, q)(P, Q) and a constant."""

    p: int
    q: int
    P: int
    Q: int
    constant: bool

    @property
    def n_arma(self) -> int:
        return self.p + self.q + self.P + self.Q


@dataclass
class Fit:
    """Estimates of one candidate on the scaled, differenced series."""

    candidate: Candidate
    theta: np.ndarray  # unconstrained parameter vector (see Problem.unpack)
    loglike: float  # exact Gaussian log-likelihood on the scaled series
    aicc: float
    converged: bool = True


class Problem:
    """A differenced series with its covariates, ready for ARMA estimation.

    Parameters
    ----------
    w : array of shape (n,)
        The differenced series.
    Xw : array of shape (n, k), optional
        The differenced covariates (only linearly independent columns).
    m : int
        Season length (1 for none).
    """

    def __init__(self, w: np.ndarray, Xw: np.ndarray | None, m: int) -> None:
        self.scale = float(np.std(w)) or 1.0
        self.w = w / self.scale
        self.m = m
        self.n = int(w.size)
        if Xw is not None and Xw.shape[1]:
            self.x_scale = np.where(Xw.std(axis=0) > 0, Xw.std(axis=0), 1.0)
            self.X: np.ndarray | None = Xw / self.x_scale
        else:
            self.x_scale = np.ones(0)
            self.X = None
        self.k = 0 if self.X is None else self.X.shape[1]

    # -- parameters ------------------------------------------------------------------
    def unpack(self, c: Candidate, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Split ``theta`` into mean, betas and constrained AR, MA, SAR, SMA coefficients."""
        from statsmodels.tsa.statespace.tools import constrain_stationary_univariate as cs

        i = int(c.constant) + self.k
        out = [theta[: int(c.constant)], theta[int(c.constant) : i]]
        for size, sign in ((c.p, 1.0), (c.q, -1.0), (c.P, 1.0), (c.Q, -1.0)):
            if size == 1:  # statsmodels' transform for one coefficient, inlined (hot path)
                x = float(theta[i])
                out.append(np.array([-sign * x / math.sqrt(1.0 + x * x)]))
            elif size:
                out.append(sign * cs(theta[i : i + size]))
            else:
                out.append(_EMPTY)
            i += size
        return tuple(out)

    def polynomials(self, c: Candidate, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Full lag polynomials ``(1 - phi(B))(1 - Phi(B^m))`` and ``(1 + theta)(1 + Theta)``."""
        return self._polynomials(self.unpack(c, theta))

    def _polynomials(self, parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
        _, _, ar, ma, sar, sma = parts
        ar_poly = np.concatenate((_ONE, -ar))
        ma_poly = np.concatenate((_ONE, ma))
        if sar.size:
            ar_poly = np.convolve(ar_poly, self._seasonal(-sar))
        if sma.size:
            ma_poly = np.convolve(ma_poly, self._seasonal(sma))
        return ar_poly, ma_poly

    def _seasonal(self, coefs: np.ndarray) -> np.ndarray:
        poly = np.zeros(self.m * coefs.size + 1)
        poly[0] = 1.0
        poly[self.m :: self.m] = coefs
        return poly

    def _noise(self, parts: tuple[np.ndarray, ...]) -> np.ndarray:
        """The differenced series less its mean and covariate effects."""
        mu, beta = parts[:2]
        z = self.w - mu[0] if mu.size else self.w
        return z - self.X @ beta if self.X is not None else z

    def start(self, c: Candidate) -> np.ndarray:
        """Least-squares mean and betas, zero ARMA coefficients."""
        cols = ([np.ones(self.n)] if c.constant else []) + ([self.X] if self.X is not None else [])
        reg = np.zeros(0)
        if cols:
            design = np.column_stack(cols)
            reg = np.linalg.lstsq(design, self.w, rcond=None)[0]
        return np.r_[reg, np.zeros(c.n_arma)]

    # -- criteria --------------------------------------------------------------------
    def css_residuals(self, c: Candidate, theta: np.ndarray) -> np.ndarray:
        """Residuals conditional on the first ``p + m P`` observations, as R's CSS."""
        parts = self.unpack(c, theta)
        ar, ma = self._polynomials(parts)
        z = self._noise(parts)
        ncond = ar.size - 1
        # the AR side is a finite convolution; only the MA side needs a recursive filter
        e = np.convolve(z, ar, mode="valid") if ncond else z
        if ma.size == 1:
            return e
        return _recursive_filter(ma, e)

    def loglike(self, c: Candidate, theta: np.ndarray) -> float:
        """Exact Gaussian log-likelihood, the innovation variance concentrated out."""
        parts = self.unpack(c, theta)
        u, v = _innovations(self._noise(parts), *self._polynomials(parts))
        sigma2 = float(np.mean(u**2 / v))
        if not (np.isfinite(sigma2) and sigma2 > 0 and np.all(v > 0)):
            return -np.inf
        return float(-0.5 * self.n * (np.log(2 * np.pi * sigma2) + 1) - 0.5 * np.sum(np.log(v)))

    def sigma2(self, c: Candidate, theta: np.ndarray) -> float:
        parts = self.unpack(c, theta)
        u, v = _innovations(self._noise(parts), *self._polynomials(parts))
        return float(np.mean(u**2 / v))

    def aicc(self, c: Candidate, loglike: float) -> float:
        k = c.n_arma + int(c.constant) + self.k + 1
        if self.n - k - 1 <= 0 or not np.isfinite(loglike):
            return np.inf
        return -2.0 * loglike + 2.0 * k + 2.0 * k * (k + 1) / (self.n - k - 1)

    def roots_ok(self, c: Candidate, theta: np.ndarray) -> bool:
        """No AR or MA root within ``_MIN_ROOT`` of the unit circle (R's check)."""
        for poly in self.polynomials(c, theta):
            nz = np.flatnonzero(np.abs(poly) > 1e-12)
            if nz[-1] > 0 and np.min(np.abs(np.roots(poly[: nz[-1] + 1][::-1]))) < _MIN_ROOT:
                return False
        return True

    # -- estimation ------------------------------------------------------------------
    def fit_css(self, c: Candidate) -> Fit:
        """CSS estimates, scored by the exact likelihood (the search criterion)."""
        from scipy.optimize import leastsq

        theta = self.start(c)
        if c.n_arma and self.n - (c.p + self.m * c.P) > theta.size:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                # 1e-5 rather than 1e-8: the same orders won on a sample of M3 monthly
                # series, at two thirds of the cost (the chosen order is refitted by ML)
                x = leastsq(
                    lambda t: self.css_residuals(c, t),
                    theta,
                    maxfev=200,
                    ftol=_CSS_TOL,
                    xtol=_CSS_TOL,
                    gtol=_GTOL,
                )[0]
            if np.all(np.isfinite(x)):
                theta = x
        elif c.n_arma:
            return Fit(c, theta, -np.inf, np.inf, False)
        ll = self._safe_loglike(c, theta)
        aicc = self.aicc(c, ll) if self.roots_ok(c, theta) else np.inf
        return Fit(c, theta, ll, aicc)

    def fit_mle(self, start: Fit, maxiter: int = _MLE_ITERATIONS) -> Fit:
        """Exact maximum likelihood from the CSS estimates.

        With the innovation variance concentrated out, the Gaussian likelihood
        is largest where ``sum(u**2 / v) * prod(v) ** (1 / n)`` is smallest
        (``u`` the innovations, ``v`` their relative variances), a sum of
        squares: Levenberg-Marquardt (MINPACK via ``leastsq``) minimises it in a few
        Gauss-Newton steps, where a quasi-Newton search on the likelihood
        itself needed several times more evaluations.

        A fit that has not converged after ``maxiter`` iterations is rejected
        (infinite AICc): the caller tries the next order, or keeps the CSS
        estimates when the order is fixed. A fit still running after
        ``_MLE_CHECK`` iterations whose roots have already crossed the margin
        of the unit circle is rejected there: such fits were walking to a unit
        root and ended rejected by the root check (on long series, one order
        after another, each up to ``maxiter`` iterations).
        """
        from scipy.optimize import leastsq

        c = start.candidate
        if start.theta.size == 0:
            return start

        def solve(x0: np.ndarray, iterations: int) -> tuple[np.ndarray, int]:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                x, _, _, _, status = leastsq(
                    lambda t: self._scaled_innovations(c, t),
                    x0,
                    full_output=True,
                    maxfev=iterations * (start.theta.size + 1),
                    ftol=_MLE_TOL,
                    xtol=_MLE_TOL,
                    gtol=_GTOL,
                )
            return x, status

        first = min(maxiter, _MLE_CHECK)
        x, status = solve(start.theta, first)
        # still running (MINPACK's status 5): go on only if the roots are still clear of
        # the unit-circle margin; a fit already past it is heading for a unit root
        if status == 5 and maxiter > first and np.all(np.isfinite(x)) and self.roots_ok(c, x):
            x, status = solve(x, maxiter - first)
        theta = x if np.all(np.isfinite(x)) else start.theta
        ll = self._safe_loglike(c, theta)
        if ll < start.loglike:  # the optimizer wandered off: keep the CSS estimates
            theta, ll = start.theta, start.loglike
        converged = status in (1, 2, 3, 4)  # MINPACK's codes of convergence
        aicc = self.aicc(c, ll) if converged and self.roots_ok(c, theta) else np.inf
        return Fit(c, theta, ll, aicc, converged=converged)

    def _scaled_innovations(self, c: Candidate, theta: np.ndarray) -> np.ndarray:
        """``u / sqrt(v)`` times ``prod(v) ** (1 / 2n)``; a large constant where undefined."""
        try:
            parts = self.unpack(c, theta)
            u, v = _innovations(self._noise(parts), *self._polynomials(parts))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return np.full(self.n, 1e6)
        if not (np.all(v > 0) and np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
            return np.full(self.n, 1e6)
        return u / np.sqrt(v) * np.exp(0.5 * np.mean(np.log(v)))

    def _safe_loglike(self, c: Candidate, theta: np.ndarray) -> float:
        try:
            ll = self.loglike(c, theta)
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return -np.inf
        return ll if np.isfinite(ll) else -np.inf

    # -- back to statsmodels -----------------------------------------------------------
    def to_sarimax_params(self, fit: Fit, keep: np.ndarray, k_total: int) -> np.ndarray:
        """SARIMAX's parameter vector on the original scale.

        ``keep`` are the indices of the covariates estimated (the others, linearly
        dependent once differenced, get a zero coefficient) out of ``k_total``.
        """
        c = fit.candidate
        mu, beta, ar, ma, sar, sma = self.unpack(c, fit.theta)
        ar_poly, _ = self.polynomials(c, fit.theta)
        full_beta = np.zeros(k_total)
        full_beta[keep] = beta * self.scale / self.x_scale
        intercept = mu * self.scale * np.sum(ar_poly)  # SARIMAX's c = mean * AR(1)
        sigma2 = self.sigma2(c, fit.theta) * self.scale**2
        return np.r_[intercept, full_beta, ar, ma, sar, sma, sigma2]


def stepwise(
    evaluate: Callable[[Candidate], Fit],
    starts: list[Candidate],
    neighbours: Callable[[Candidate], Iterator[Candidate]],
    max_models: int = 94,
) -> dict[Candidate, Fit]:
    """Hyndman-Khandakar stepwise search: move to the first better neighbour until none is."""
    fits: dict[Candidate, Fit] = {}

    def score(c: Candidate) -> float:
        if c not in fits:
            fits[c] = evaluate(c)
        return fits[c].aicc

    best = min(starts, key=lambda c: (score(c), c))
    improved = True
    while improved and len(fits) < max_models:
        improved = False
        for cand in neighbours(best):
            if cand in fits:
                continue
            if score(cand) < score(best):
                best, improved = cand, True
                break
            if len(fits) >= max_models:
                break
    return fits
