"""Complex exponential smoothing (CES) of Svetunkov, Kourentzes and Ord (2022).

CES keeps two states, a level and an "information potential", and smooths
them with one complex parameter ``a = a0 + i a1``. Depending on ``a`` it
behaves like simple exponential smoothing, like a damped or a growing trend,
without choosing a trend form: the family is a different way to extrapolate
from ETS, ARIMA and Theta, which is why it is worth a place in a combination
(it is one of the four members of the SCUM combination of Petropoulos and
Svetunkov, 2020).

The model (additive errors, one-step error ``e_t``)::

    y_t = l_{t-1} + e_t
    l_t = l_{t-1} - (1 - a1) c_{t-1} + (a0 - a1) e_t
    c_t = l_{t-1} + (1 - a0) c_{t-1} + (a0 + a1) e_t

with a season of length ``m`` in one of three ways: ``simple`` (the same
recursion on ``t - m`` instead of ``t - 1``), ``partial`` (an additive
seasonal state ``s_t = s_{t-m} + b e_t`` added to the forecast) or ``full``
(a second complex pair ``b = b0 + i b1`` smoothing a seasonal level and
potential on ``t - m``). The seasonal form is chosen by AICc.

Estimation. The initial states are set from the data (the mean of the first
season, the potential at the level over 1.1 as in the authors' ``smooth``
package, seasonal states from a classical decomposition) and the smoothing
parameters are estimated by maximum likelihood within box bounds (as
statsforecast does; the admissible region, where the discount matrix is
stable, is not imposed: checking it costs more than the evaluation). The
AICc of a seasonal form counts the ``m`` initial states it takes from the
data. The model is linear, so the one-step errors are a rational filter of
the data once the first few have been run through the recursion: each
likelihood evaluation is one compiled filter call (scipy's ``lfilter``, see
``_arima_fit._linear_filter``) whatever the season length.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models._arima_fit import _linear_filter
from trendcast.models._shared import season_length_or_one
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["CES"]

_FORMS = ("none", "simple", "partial", "full")
#: start values and bounds of the smoothing parameters (a0, a1, b0, b1) as in the
#: authors' implementation
_START = {"a0": 1.3, "a1": 1.0, "b": 0.1, "b0": 1.3, "b1": 1.0}
_BOUNDS = {
    "a0": (0.01, 1.8),
    "a1": (0.01, 1.9),
    "b": (0.01, 1.5),
    "b0": (0.01, 1.5),
    "b1": (0.01, 1.5),
}
_NAMES = {
    "none": ("a0", "a1"),
    "simple": ("a0", "a1"),
    "partial": ("a0", "a1", "b"),
    "full": ("a0", "a1", "b0", "b1"),
}
_POTENTIAL = 1.1  # initial potential = initial level / 1.1 (the authors' heuristic)


# ---------------------------------------------------------------------------- polynomials
def _pair(x0: float, x1: float) -> tuple[tuple[float, float, float], tuple[float, float]]:
    """det(I - F u) and the level row of adj(I - F u) g of one complex pair.

    For the pair ``(l, c)`` with transition ``F = [[1, -(1 - x1)], [1, 1 - x0]]``
    and persistence ``g = (x0 - x1, x0 + x1)``, as polynomials in the lag ``u``
    (coefficients of ``1, u, u**2`` and of ``1, u``).
    """
    det = (1.0, -(2.0 - x0), 2.0 - x0 - x1)
    row = (x0 - x1, -((1.0 - x0) * (x0 - x1) + (1.0 - x1) * (x0 + x1)))
    return det, row


def _transfer(form: str, params: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Numerator and denominator (in the lag operator) of the filter from y to the errors.

    With ``x_t = F x_(lagged) + g e_t`` and ``y_t = w' x_(lagged) + e_t`` the errors are
    ``e = det(I - F L) / det(I - F L + g w' L) y``, where ``L`` lags each state by its
    own lag (1 or m). ``F`` is block diagonal (the non-seasonal pair on lag 1, the
    seasonal part on lag m), so the numerator is ``A(z) B(z^m)`` and, by the matrix
    determinant lemma, the denominator ``A B + z P(z) B(z^m) + z^m Q(z^m) A(z)``
    with ``A, B`` the blocks' determinants and ``P, Q`` their adjugate rows (see
    ``_pair``). Both have degree ``_n_states(form, m)``; built on Python floats (a
    few dozen terms), the hot path of the estimation.
    """
    a_det, a_row = _pair(float(params[0]), float(params[1]))
    size = _n_states(form, m) + 1
    num = [0.0] * size
    den = [0.0] * size
    if form in ("none", "simple"):
        step = 1 if form == "none" else m
        for i in range(3):
            num[i * step] += a_det[i]
            den[i * step] += a_det[i]
        for i in range(2):
            den[(i + 1) * step] += a_row[i]
        return np.array(num), np.array(den)
    b_det: tuple[float, ...]
    b_row: tuple[float, ...]
    if form == "partial":
        b_det, b_row = (1.0, -1.0), (float(params[2]),)
    else:
        b_det, b_row = _pair(float(params[2]), float(params[3]))
    for j, bj in enumerate(b_det):
        for i, ai in enumerate(a_det):
            num[m * j + i] += bj * ai
        for i, pi in enumerate(a_row):
            den[1 + m * j + i] += bj * pi
    for j, qj in enumerate(b_row):
        for i, ai in enumerate(a_det):
            den[m + m * j + i] += qj * ai
    for i, v in enumerate(num):
        den[i] += v
    return np.array(num), np.array(den)


def _min_length(form: str, m: int) -> int:
    """Fewest observations a form can be fitted on.

    Enough for its AICc to be defined (more observations than parameters counted
    plus one, see ``_estimate``) and, for the partial and full forms, two seasons for
    the decomposition that gives their seasonal states; the simple form starts
    from the first season itself.
    """
    if form == "none":
        return len(_NAMES["none"]) + 3
    counted = len(_NAMES[form]) + 1 + m
    return max(counted + 2, m + 1 if form == "simple" else 2 * m)


def _n_states(form: str, m: int) -> int:
    return {"none": 2, "simple": 2 * m, "partial": 2 + m, "full": 2 + 2 * m}[form]


# ---------------------------------------------------------------------------- recursion
class _State:
    """The states of one CES form, stepped one observation at a time.

    ``l, c`` are the non-seasonal pair (arrays of length ``m`` for the simple
    form, whose pair works on ``t - m``); ``s`` (partial) or ``ls, cs`` (full)
    the seasonal states by position in the season. Position ``t % m`` holds the
    state of ``t - m``.
    """

    def __init__(self, form: str, m: int, init: np.ndarray) -> None:
        self.form, self.m = form, m
        k = m if form == "simple" else 1
        self.l = np.array(init[:k], dtype=float)
        self.c = np.array(init[k : 2 * k], dtype=float)
        rest = init[2 * k :]
        self.s = np.array(rest[:m], dtype=float)
        self.sc = np.array(rest[m : 2 * m], dtype=float)

    def copy(self) -> _State:
        twin = _State.__new__(_State)
        twin.form, twin.m = self.form, self.m
        twin.l, twin.c, twin.s, twin.sc = (
            self.l.copy(),
            self.c.copy(),
            self.s.copy(),
            self.sc.copy(),
        )
        return twin

    def step(self, t: int, e: float, p: np.ndarray) -> None:
        j = t % self.m
        i = j if self.form == "simple" else 0
        a0, a1 = p[0], p[1]
        lv, cv = self.l[i], self.c[i]
        # both new values from the old ones (rows may be views when stepping many paths)
        new_l = lv - (1.0 - a1) * cv + (a0 - a1) * e
        new_c = lv + (1.0 - a0) * cv + (a0 + a1) * e
        self.l[i], self.c[i] = new_l, new_c
        if self.form == "partial":
            self.s[j] = self.s[j] + p[2] * e
        elif self.form == "full":
            b0, b1 = p[2], p[3]
            sv, scv = self.s[j], self.sc[j]
            new_s = sv - (1.0 - b1) * scv + (b0 - b1) * e
            new_sc = sv + (1.0 - b0) * scv + (b0 + b1) * e
            self.s[j], self.sc[j] = new_s, new_sc


def _pass(
    y: np.ndarray | list[float],
    form: str,
    m: int,
    p: np.ndarray,
    init: np.ndarray | list[float],
) -> tuple[list[float], np.ndarray]:
    """One-step errors and the final states by the recursion, on Python floats.

    The states come back in the layout of ``init``: the non-seasonal pair (for
    the simple form, ``m`` of each) then the seasonal states by position in the
    season, position ``j`` holding the latest state of the periods ``t = j
    (mod m)``. A plain loop: on series of a few hundred points this is faster
    than arrays; the estimation runs it only over the first periods (``_errors``).
    """
    obs_list = y.tolist() if isinstance(y, np.ndarray) else y
    init = init.tolist() if isinstance(init, np.ndarray) else list(init)
    a0, a1 = float(p[0]), float(p[1])
    ka, kb, kc, kd = 1.0 - a1, a0 - a1, 1.0 - a0, a0 + a1
    out = []
    if form == "simple":
        lv, cv = init[:m], init[m : 2 * m]
        for t, obs in enumerate(obs_list):
            j = t % m
            e = obs - lv[j]
            lv[j], cv[j] = lv[j] - ka * cv[j] + kb * e, lv[j] + kc * cv[j] + kd * e
            out.append(e)
        return out, np.array(lv + cv)
    level, pot = init[0], init[1]
    if form == "none":
        for obs in obs_list:
            e = obs - level
            level, pot = level - ka * pot + kb * e, level + kc * pot + kd * e
            out.append(e)
        return out, np.array([level, pot])
    s = init[2 : 2 + m]
    if form == "partial":
        b = float(p[2])
        for t, obs in enumerate(obs_list):
            j = t % m
            e = obs - level - s[j]
            level, pot = level - ka * pot + kb * e, level + kc * pot + kd * e
            s[j] += b * e
            out.append(e)
        return out, np.array([level, pot, *s])
    sc = init[2 + m :]
    b0, b1 = float(p[2]), float(p[3])
    sa, sb, sc_, sd = 1.0 - b1, b0 - b1, 1.0 - b0, b0 + b1
    for t, obs in enumerate(obs_list):
        j = t % m
        e = obs - level - s[j]
        level, pot = level - ka * pot + kb * e, level + kc * pot + kd * e
        s[j], sc[j] = s[j] - sa * sc[j] + sb * e, s[j] + sc_ * sc[j] + sd * e
        out.append(e)
    return out, np.array([level, pot, *s, *sc])


def _errors(y: np.ndarray, form: str, m: int, p: np.ndarray, init: np.ndarray) -> np.ndarray:
    """One-step errors through the rational filter (equal to the recursion ``_pass``'s)."""
    return _Errors(np.asarray(y, dtype=float), form, m, init)(p)


class _Errors:
    """The one-step errors of one series and form as a function of the parameters.

    The first ``k`` errors (``k`` the number of states, also the degree of the
    filter) come from the recursion, where the initial states still act; from
    there on the filter relation holds exactly and the compiled filter continues
    from them, its initial conditions built from those errors and observations
    (what ``scipy.signal.lfiltic`` computes). What depends on the series alone
    is prepared once, for the hundreds of evaluations of an estimation.
    """

    def __init__(self, y: np.ndarray, form: str, m: int, init: np.ndarray) -> None:
        self.form, self.m = form, m
        self.k = k = _n_states(form, m)
        self.init = np.asarray(init, dtype=float).tolist()
        self.short = y.size <= k
        self.y = y.tolist() if self.short else y[:k].tolist()
        self.tail = np.ascontiguousarray(y[k:], dtype=float)
        self.past_y = np.ascontiguousarray(y[:k][::-1], dtype=float)
        self.filter = _linear_filter()

    def __call__(self, p: np.ndarray) -> np.ndarray:
        head = _pass(self.y, self.form, self.m, p, self.init)[0]
        if self.short:
            return np.asarray(head)
        num, den = _transfer(self.form, p, self.m)
        past_e = np.asarray(head[::-1])
        # transposed direct form II: zi[j] = sum_r b[j+1+r] x[-1-r] - a[j+1+r] e[-1-r]
        zi = np.correlate(num[1:], self.past_y, "full") - np.correlate(den[1:], past_e, "full")
        tail = self.filter(num, den, self.tail, zi[self.k - 1 :])
        return np.concatenate([head, tail])


def _initial_states(y: np.ndarray, form: str, m: int) -> np.ndarray:
    """Initial states from the data (not estimated), as in the authors' implementation.

    The level is the mean of the first season (of the first ten periods without
    a season), the potential the level over 1.1, the seasonal states those of a
    classical decomposition (the seasonal potential again over 1.1); the simple
    form starts from the first season itself.
    """
    if form == "none":
        level = float(np.mean(y[: min(max(10, m), y.size)]))
        return np.array([level, level / _POTENTIAL])
    if form == "simple":
        first = y[:m].astype(float)
        return np.concatenate([first, first / _POTENTIAL])
    level = float(np.mean(y[:m]))
    from statsmodels.tsa.seasonal import seasonal_decompose

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        season = np.asarray(seasonal_decompose(y, model="additive", period=m).seasonal[:m], float)
    pair = [level, level / _POTENTIAL]
    if form == "partial":
        return np.concatenate([pair, season])
    return np.concatenate([pair, season, season / _POTENTIAL])


def _estimate(y: np.ndarray, form: str, m: int) -> tuple[float, np.ndarray, np.ndarray, float]:
    """Maximum likelihood for one form: (AICc, parameters, initial states, sigma2).

    ``sigma2`` is the mean squared one-step error that sets the intervals (for the
    simple form, of the errors after its first season).
    """
    names = _NAMES[form]
    init = _initial_states(y, form, m)
    if not np.all(np.isfinite(init)):
        raise ModelFitError(f"CES({form}) initial states are not finite")
    n = y.size
    scale = float(np.mean(np.abs(y))) or 1.0
    ys, inits = y / scale, init / scale  # the errors scale; the criterion does not
    from scipy.optimize import minimize

    errors = _Errors(ys, form, m, inits)

    def objective(x: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            e = errors(x)
            sse = float(e @ e)
        if not np.isfinite(sse) or sse <= 0:
            return 1e10
        return n * np.log(sse / n)

    x0 = np.array([_START[k] for k in names])
    result = minimize(
        objective,
        x0,
        method="Nelder-Mead",
        bounds=[_BOUNDS[k] for k in names],
        options={"xatol": 1e-2, "fatol": 1e-2, "maxiter": 200 * len(names)},
    )
    params = np.asarray(result.x, float)
    value = float(result.fun)
    if value >= 1e10 or not np.isfinite(value):
        raise ModelFitError(f"CES({form}) found no parameters with finite errors")
    e = _errors(y, form, m, params, init)
    sigma2 = float(e @ e / n)  # the likelihood's, with every error
    # the simple form's first m errors are zero by construction (it starts from the
    # first season): the interval variance comes from the others
    informative = e[m:] if form == "simple" else e
    spread = float(informative @ informative / informative.size)
    # the smoothing parameters, the error variance and, for the seasonal forms, the m
    # initial states taken from the data: the seasonal states of the decomposition,
    # or the first season itself for the simple form (whose first m errors are then
    # zero). Uncounted, they bought the seasonal forms their fit for free: on white
    # noise the full form won (sigma2 15.2 against the series' variance 19.6).
    k = len(names) + 1 + (m if form != "none" else 0)
    loglik = -0.5 * n * (np.log(2 * np.pi * sigma2) + 1.0)
    aicc = -2.0 * loglik + 2 * k + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else np.inf)
    return float(aicc), params, init, spread


class CES(LocalModel):
    """Complex exponential smoothing with an automatic choice of the seasonal form.

    Parameters
    ----------
    season_length : int, optional
        Periods per season; ``None`` lets ``TrendForecaster`` set it (a bare
        model then treats the series as non-seasonal).
    seasonality : {"auto", "none", "simple", "partial", "full"}
        The seasonal form; ``"auto"`` (the default) chooses by AICc among
        those the series is long enough for (it tries the seasonal forms from
        two full seasons on; see ``_min_length`` for each form's minimum).

    Attributes
    ----------
    seasonality_ : str
        The seasonal form used.
    params_ : ndarray
        ``a0, a1`` and, for the partial form ``b``, for the full form
        ``b0, b1``.
    init_states_ : ndarray
        The initial states the recursion started from.
    aicc_ : float
        AICc of the fit.
    sigma2_ : float
        Mean squared one-step error (for the simple form, of the errors after
        its first season, which are zero by construction): the interval variance.

    References
    ----------
    Svetunkov, I., Kourentzes, N. and Ord, J. K. (2022). Complex exponential
    smoothing. Naval Research Logistics, 69(8), 1108-1123.

    Petropoulos, F. and Svetunkov, I. (2020). A simple combination of
    univariate models. International Journal of Forecasting, 36(1), 110-115.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    >>> model = tc.models.CES(season_length=12).fit(y)
    >>> model.seasonality_ in ("none", "simple", "partial", "full")
    True
    >>> model.predict(3).mean.shape
    (3,)
    """

    family = "CES"
    _saved_name = "trendcast.CES"
    _saved_state = {
        "seasonality_": "str",
        "params_": "array",
        "init_states_": "array",
        "aicc_": "float",
        "sigma2_": "float",
    }

    def __init__(self, season_length: int | None = None, seasonality: str = "auto") -> None:
        self.season_length = season_length
        self.seasonality = seasonality

    def tags(self) -> ModelTags:
        m = season_length_or_one(self.season_length)
        form = self.seasonality if self.seasonality in _FORMS and m > 1 else "none"
        return ModelTags(
            min_length=_min_length(form, m), supports_update=True, produces_samples=True
        )

    @property
    def name(self) -> str:
        form = getattr(self, "seasonality_", None)
        return self.family if form is None else f"CES({form})"

    def _forms(self, n: int, m: int) -> list[str]:
        if self.seasonality not in ("auto", *_FORMS):
            raise ModelFitError(
                f"seasonality={self.seasonality!r} is not a CES form; use 'auto', 'none', "
                "'simple', 'partial' or 'full'"
            )
        if self.seasonality != "auto":
            if self.seasonality != "none" and m < 2:
                raise ModelFitError(f"CES({self.seasonality}) needs a season_length of at least 2")
            return [self.seasonality]
        if m < 2 or n < 2 * m:  # "auto" tries a season from two full seasons on
            return ["none"]
        return [form for form in _FORMS if n >= _min_length(form, m)]

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        if np.ptp(y) == 0:
            raise ModelFitError("the series is constant; CES cannot be estimated")
        m = season_length_or_one(self.season_length)
        best: tuple[float, str, np.ndarray, np.ndarray, float] | None = None
        reasons = []
        for form in self._forms(y.size, m):
            try:
                aicc, params, init, sigma2 = _estimate(y, form, m if form != "none" else 1)
            except (ModelFitError, ValueError, np.linalg.LinAlgError) as exc:
                reasons.append(f"{form}: {exc}")
                continue
            if not np.isfinite(aicc):
                reasons.append(f"{form}: non-finite AICc")
            elif best is None or aicc < best[0]:
                best = (aicc, form, params, init, sigma2)
        if best is None:
            raise ModelFitError("every CES form failed: " + "; ".join(reasons[:2]))
        self.aicc_, self.seasonality_, self.params_, self.init_states_, self.sigma2_ = best
        self._run_filter(y)

    def pinned(self) -> CES:
        """An unfitted copy that keeps the chosen seasonal form."""
        twin = super().pinned()
        if hasattr(self, "seasonality_"):
            twin.set_params(seasonality=self.seasonality_)
        return twin

    # ------------------------------------------------------------------ the state
    def _m(self) -> int:
        return 1 if self.seasonality_ == "none" else season_length_or_one(self.season_length)

    def _run_filter(self, y: np.ndarray) -> None:
        m = self._m()
        _, final = _pass(
            np.asarray(y, float), self.seasonality_, m, self.params_, self.init_states_
        )
        self._state = _State(self.seasonality_, m, final)
        self._t = int(y.size)

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        self._run_filter(y_all)

    def _restore_state(self, state: dict[str, Any]) -> None:
        super()._restore_state(state)
        if self.seasonality_ not in _FORMS:
            raise ParameterError(f"seasonality_={self.seasonality_!r} is not a CES form")
        self._run_filter(self.y_)

    # ------------------------------------------------------------------ forecasting
    def _paths(self, h: int, errors: np.ndarray) -> np.ndarray:
        """Forecast paths, shape ``(h, k)``, for errors of shape ``(h, k)``."""
        state = self._state.copy()
        k = errors.shape[1]
        state.l = np.repeat(state.l[:, None], k, axis=1)
        state.c = np.repeat(state.c[:, None], k, axis=1)
        state.s = np.repeat(state.s[:, None], k, axis=1)
        state.sc = np.repeat(state.sc[:, None], k, axis=1)
        out = np.empty((h, k))
        p = self.params_
        for j in range(h):
            t = self._t + j
            mean = state.l[t % state.m if state.form == "simple" else 0].copy()
            if state.form in ("partial", "full"):
                mean = mean + state.s[t % state.m]
            out[j] = mean + errors[j]
            state.step(t, errors[j], p)
        return out

    def _point_forecast(self, h: int) -> np.ndarray:
        return self._paths(h, np.zeros((h, 1)))[:, 0]

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        with np.errstate(all="ignore"):
            mean = self._point_forecast(h)
            if not np.all(np.isfinite(mean)):
                raise ModelFitError("CES produced non-finite forecasts")
            if not levels:
                return ModelForecast(mean=mean)
            # the response of the forecasts to a unit error at the first step: the
            # k-step variance is sigma2 * (1 + sum of the squared responses before k)
            shock = np.zeros((h, 1))
            shock[0, 0] = 1.0
            response = self._paths(h, shock)[:, 0] - mean
            psi = response[1:]
            variance = self.sigma2_ * (1.0 + np.concatenate(([0.0], np.cumsum(psi**2))))
        if not np.all(np.isfinite(variance)):
            raise ModelFitError(
                f"{self.name}'s forecast variance is not finite {h} periods ahead; "
                "forecast a shorter horizon"
            )
        return ModelForecast.from_normal(mean, np.sqrt(variance), levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Paths of the model's own recursion driven by Gaussian errors of the fitted variance."""
        errors = rng.standard_normal((h, n_paths)) * np.sqrt(self.sigma2_)
        with np.errstate(all="ignore"):
            paths = self._paths(h, errors).T
        if not np.all(np.isfinite(paths)):
            raise ModelFitError("CES produced non-finite sample paths")
        return np.ascontiguousarray(paths)
