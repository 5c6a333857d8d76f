"""Exponential smoothing (ETS) with automatic choice of form, in the spirit of R's ``ets()``.

Each candidate form (error, trend, damping, season) is estimated with
statsmodels' ``ETSModel`` and the one with the lowest AICc is kept. As in R,
multiplicative components are only tried on strictly positive data, additive
error is not combined with multiplicative season, and multiplicative trend is
not tried.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from trendcast.exceptions import ConvergenceWarning, ModelFitError, ParameterError
from trendcast.models._ets_filter import Filtered, ets_filter
from trendcast.models._shared import season_length_or_one
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["ETS"]

_LETTER = {"A": "add", "M": "mul", "N": None}
_MAXITER = 1000  # statsmodels' default for ETSModel.fit


def _candidates(spec: str, damped: bool | None, m: int, n: int, positive: bool) -> list[tuple]:
    error_l, trend_l, season_l = spec[0], spec[1], spec[2]
    errors = ["A", "M"] if error_l == "Z" else [error_l]
    trends = ["N", "A"] if trend_l == "Z" else [trend_l]
    seasons = ["N", "A", "M"] if season_l == "Z" else [season_l]
    if m <= 1 or n < 2 * m + 2:
        seasons = [s for s in seasons if s == "N"] if season_l == "Z" else seasons
    if not positive:
        errors = [e for e in errors if e != "M"] if error_l == "Z" else errors
        seasons = [s for s in seasons if s != "M"] if season_l == "Z" else seasons
    out = []
    for e in errors:
        for t in trends:
            dampings = (
                [False, True] if (t == "A" and damped is None) else [bool(damped and t == "A")]
            )
            for d in dampings:
                for s in seasons:
                    if season_l == "Z" and e == "A" and s == "M":
                        continue  # R's restrict=TRUE: unstable combination
                    out.append((e, t, d, s))
    return out


#: forms estimated in full after the screening; on a sample of M3 monthly series
#: three were as accurate as all fifteen at a third of the cost
_SHORTLIST = 3
#: L-BFGS-B tolerances of the screening fits (scipy's defaults: 1e7 and 1e-5). The
#: screen only ranks forms: on every 14th M3 monthly series (102) these picked the
#: same three forms as the defaults, at 71% of the screening time.
_SCREEN_TOLERANCES = {"factr": 1e10, "pgtol": 1e-3}
_FULL_TOLERANCES = {"factr": 1e7, "pgtol": 1e-5}
#: forward-difference step of the gradient (statsmodels' and scipy's default)
_STEP = 1e-8
_LOG_2PI_PLUS_1 = float(np.log(2 * np.pi) + 1)


def _maximize(model: Any, maxiter: int, factr: float, pgtol: float) -> tuple[np.ndarray, int]:
    """Maximum-likelihood parameters of an ``ETSModel``, and the iterations used.

    The same problem as ``ETSModel.fit`` (its start values, bounds, the
    ``beta* = beta / alpha`` and ``gamma* = gamma / (1 - alpha)``
    reparametrisation, its compiled smoothing recursion and L-BFGS-B from
    scipy), without the generic machinery between the optimizer and the
    recursion: the likelihood is evaluated on preallocated arrays and its
    forward-difference gradient is taken here, one recursion per free
    parameter. On M3 monthly forms that halves the cost of a fit; the optimum
    is the same up to the optimizer's tolerance. The internals used here (and
    by ``ETS._run_filter``) are those of statsmodels 0.14.2 to 0.15.
    """
    from scipy.optimize import minimize

    start = np.asarray(model._convert_and_bound_start_params(model.start_params), float)
    bounds = model._setup_bounds()
    smooth = model._smoothing_func
    n_states = int(model._k_states_internal)
    beta_star = "smoothing_trend" not in model.bounds
    gamma_star = "smoothing_seasonal" not in model.bounds
    if beta_star:
        start[1] /= start[0]
    if gamma_star:
        start[2] /= 1 - start[0]
    lb = np.array([b[0] for b in bounds], dtype=float)
    ub = np.array([b[1] for b in bounds], dtype=float)
    fixed = lb == ub
    is_fixed = fixed.astype(np.int64)
    fixed_values = np.where(fixed, lb, 0.0)
    free_lb, free_ub = lb[~fixed], ub[~fixed]
    y = np.asarray(model.endog, dtype=float)
    n = y.size
    yhat = np.zeros(n)
    xhat = np.zeros((n, n_states))
    multiplicative = model.error == "mul"

    def minus_loglike(x: np.ndarray) -> float:
        # ETSModel.loglike divided by -n (the scale statsmodels optimizes on)
        smooth(x, y, yhat, xhat, is_fixed, fixed_values, beta_star, gamma_star)
        r = y - yhat
        if not multiplicative:
            return float(0.5 * (_LOG_2PI_PLUS_1 + np.log(r @ r / n)))
        r /= yhat
        yhat[yhat == 0] = 1e-32
        return float(0.5 * (_LOG_2PI_PLUS_1 + np.log(r @ r / n)) + np.log(np.abs(yhat)).sum() / n)

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        f0 = minus_loglike(x)
        grad = np.empty(x.size)
        step = x.copy()
        for i in range(x.size):
            h = _STEP
            # a step that would leave the box goes the other way (as scipy's)
            if x[i] + h > free_ub[i] and h <= max(x[i] - free_lb[i], free_ub[i] - x[i]):
                h = -h
            step[i] = x[i] + h
            grad[i] = (minus_loglike(step) - f0) / (step[i] - x[i])
            step[i] = x[i]
        return f0, grad

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = minimize(
            value_and_gradient,
            np.clip(start[~fixed], free_lb, free_ub),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(free_lb, free_ub, strict=True)),
            options={
                "maxiter": maxiter,
                "ftol": factr * np.finfo(float).eps,
                "gtol": pgtol,
            },
        )
    internal = fixed_values.copy()
    internal[~fixed] = result.x
    if beta_star:
        internal[1] *= internal[0]
    if gamma_star:
        internal[2] *= 1 - internal[0]
    return np.asarray(model._model_params(internal), dtype=float), int(result.nit)


def _screen(y: np.ndarray, cands: list[tuple], m: int) -> tuple[list[tuple], list[tuple]]:
    """The forms ranked by AICc with heuristic initial states, and those left unranked.

    Only the smoothing parameters are estimated, so each form costs a fraction
    of a full fit. Forms whose heuristic start cannot be computed (too short)
    are left unranked.
    """
    from statsmodels.tools.eval_measures import aicc

    scored, rest = [], []
    for i, form in enumerate(cands):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model = ETS._build(y, form, m, "heuristic")
                params, _ = _maximize(model, _MAXITER, **_SCREEN_TOLERANCES)
                llf = float(model.loglike(params))
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError):
            rest.append(form)
            continue
        # count what the full estimation will estimate: the smoothing (and
        # damping) parameters, the initial states and the error variance, so
        # forms with a season (m initial states) pay for them here too
        _, t, _, s = form
        k = sum(name.startswith(("smoothing", "damping")) for name in model.param_names)
        k += 1 + (t != "N") + (m if s != "N" else 0) + 1
        value = float(aicc(llf, y.size, k))
        if np.isfinite(value):
            scored.append((value, i, form))
        else:
            rest.append(form)
    return [form for _, _, form in sorted(scored)], rest


class ETS(LocalModel):
    """Exponential smoothing state-space model with automatic form selection.

    Parameters
    ----------
    season_length : int, optional
        Periods per season. ``None`` lets ``TrendForecaster`` set it from the
        frequency; a bare model then treats the series as non-seasonal.
    model : str
        Three letters for error, trend and season, each ``A`` (additive),
        ``M`` (multiplicative), ``N`` (none) or ``Z`` (choose by AICc), as in
        R's ``ets()``. Default ``"ZZZ"``.
    damped : bool, optional
        Damp the trend; ``None`` tries both.
    n_simulations : int
        Sample paths used for intervals of forms without closed-form variance.
    random_state : int
        Seed for those simulations: same seed, same intervals.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    >>> ets = tc.models.ETS(season_length=12).fit(y)
    >>> ets.name
    'ETS(M,A,M)'
    """

    family = "ETS"
    _saved_name = "trendcast.ETS"
    _saved_state = {"form_": "tuple", "params_": "array", "aicc_": "float", "converged_": "bool"}

    def __init__(
        self,
        season_length: int | None = None,
        model: str = "ZZZ",
        damped: bool | None = None,
        n_simulations: int = 500,
        random_state: int = 0,
    ) -> None:
        self.season_length = season_length
        self.model = model
        self.damped = damped
        self.n_simulations = n_simulations
        self.random_state = random_state

    def tags(self) -> ModelTags:
        m = season_length_or_one(self.season_length)
        seasonal_forced = len(self.model) == 3 and self.model[2].upper() in "AM"
        return ModelTags(
            min_length=2 * m + 2 if seasonal_forced and m > 1 else 4,
            supports_update=True,
            produces_samples=True,
            requires_positive=self.model.upper()[:1] == "M",
        )

    @property
    def name(self) -> str:
        if not hasattr(self, "form_"):
            return self.family
        e, t, d, s = self.form_
        return f"ETS({e},{t}{'d' if d else ''},{s})"

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        spec = str(self.model).upper()
        if len(spec) != 3 or any(c not in "AMNZ" for c in spec) or spec[1] == "M":
            raise ModelFitError(
                f"model={self.model!r} is not an ETS form; use three letters from A, M, N, Z "
                "(error, trend, season), e.g. 'ZZZ' or 'MAM' (multiplicative trend unsupported)"
            )
        if np.ptp(y) == 0:
            raise ModelFitError("the series is constant; ETS cannot be estimated")
        m = season_length_or_one(self.season_length)
        cands = _candidates(spec, self.damped, m, y.size, bool(np.all(y > 0)))
        if not cands:
            raise ModelFitError("no ETS form is admissible for this series")
        if len(cands) > 1 and _SHORTLIST < len(cands):
            ranked, unranked = _screen(y, cands, m)
            cands = ranked[:_SHORTLIST] + unranked
        best: tuple[float, tuple, Any, np.ndarray, bool] | None = None
        reasons = []
        for form in cands:
            try:
                aicc, model, params, converged = self._estimate(y, form, m)
            except (
                ValueError,
                np.linalg.LinAlgError,
                ZeroDivisionError,
                FloatingPointError,
            ) as exc:
                reasons.append(f"{form}: {exc}")
                continue
            if not np.isfinite(aicc) or not np.all(np.isfinite(params)):
                reasons.append(f"{form}: non-finite fit")
                continue
            if best is None or aicc < best[0]:
                best = (aicc, form, model, params, converged)
        if best is None:
            raise ModelFitError("every ETS form failed: " + "; ".join(reasons[:3]))
        self.aicc_, self.form_, model, self.params_, self.converged_ = best
        self._run_filter(y)
        if not self.converged_:
            warnings.warn(
                f"the optimizer reached its iteration limit for {self.name}; the forecast "
                "may be less accurate",
                ConvergenceWarning,
                stacklevel=3,
            )

    def pinned(self) -> ETS:
        """An unfitted copy that skips the search: the chosen form, fixed."""
        twin = super().pinned()
        if hasattr(self, "form_"):
            e, t, d, s = self.form_
            twin.set_params(model=f"{e}{t}{s}", damped=bool(d))
        return twin

    @staticmethod
    def _build(y: np.ndarray, form: tuple, m: int, initialization: str = "estimated") -> Any:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        e, t, d, s = form
        # A pandas endog: statsmodels 0.15's get_prediction fails on a bare ndarray.
        return ETSModel(
            pd.Series(y),
            error=_LETTER[e],
            trend=_LETTER[t],
            damped_trend=d,
            seasonal=_LETTER[s],
            seasonal_periods=m if s != "N" else None,
            initialization_method=initialization,
        )

    def _estimate(self, y: np.ndarray, form: tuple, m: int) -> tuple[float, Any, np.ndarray, bool]:
        """Estimate one form: its AICc, the model, the parameters, and convergence.

        Parameters only (no results object), and AICc from the log-likelihood
        exactly as statsmodels' results compute it: free parameters plus the
        error variance.
        """
        from statsmodels.tools.eval_measures import aicc

        model = self._build(y, form, m)
        params, iterations = _maximize(model, _MAXITER, **_FULL_TOLERANCES)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            llf = float(model.loglike(params))
        k = params.size - len(getattr(model, "_fixed_params", {}) or {}) + 1
        return float(aicc(llf, y.size, k)), model, params, iterations < _MAXITER

    # -- the fitted state ---------------------------------------------------------------
    def _run_filter(self, y: np.ndarray) -> None:
        """Run the recursion with the fitted parameters over ``y``.

        Keeps what forecasts need: the state after the last observation, the
        smoothing parameters and the error variance. The recursion runs in
        plain Python (``_ets_filter``: statsmodels' smoother's operations, so
        its numbers, without importing statsmodels, which a loaded forecaster's
        first forecast would wait for); statsmodels' smoother only where that
        divides by zero. statsmodels' results object (which computes a
        numerical Hessian when built, several milliseconds) is only made when
        a user asks for ``results_``.
        """
        m = season_length_or_one(self.season_length)
        data = np.asarray(y, dtype=float)
        try:
            with np.errstate(all="ignore"):
                filtered = ets_filter(data, self.form_, m, np.asarray(self.params_))
        except ZeroDivisionError:
            filtered = self._statsmodels_filter(data, m)
        with np.errstate(all="ignore"):
            resid = data - filtered.fitted
            if self.form_[0] == "M":
                resid = resid / filtered.fitted
        self._last_state = filtered.last_state
        #: alpha, beta, gamma, phi (zero for a missing component, phi 1 undamped)
        self._smoothing = filtered.smoothing
        self._sigma2 = float(np.mean(resid**2))  # statsmodels' scale (and mse)
        self._results: Any = None

    def _statsmodels_filter(self, data: np.ndarray, m: int) -> Filtered:
        """The recursion run by statsmodels' compiled smoother (see ``_ets_filter``)."""
        model = self._build(data, self.form_, m)
        internal = np.asarray(model._internal_params(np.asarray(self.params_)), dtype=float)
        fitted = np.zeros(data.size)
        states = np.zeros((data.size, int(model._k_states_internal)))
        with np.errstate(all="ignore"):
            model._smoothing_func(
                internal,
                np.asarray(model.endog, dtype=float),
                fitted,
                states,
                np.zeros(internal.size, dtype=np.int64),
                np.zeros(internal.size),
                False,
                False,
            )
        return Filtered(states[-1].copy(), internal[:4].copy(), fitted)

    @property
    def results_(self) -> Any:
        """statsmodels' ``ETSResults`` of the fitted parameters on the data seen so far."""
        self._check_fitted()
        if getattr(self, "_results", None) is None:
            m = season_length_or_one(self.season_length)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                self._results = self._build(self.y_, self.form_, m).smooth(self.params_)
        return self._results

    def _point_forecast(self, h: int) -> np.ndarray:
        """The forecast of the recursion without errors (what ``ETSResults.forecast`` gives).

        ``(level + (phi + ... + phi**k) * trend)`` combined with the seasonal
        state of the same season, from the state after the last observation.
        """
        state = self._last_state
        steps = np.arange(1, h + 1)
        level = state[0] + np.cumsum(self._smoothing[3] ** steps) * state[1]
        m = state.size - 2
        season = state[2 + (m - 1 - (steps - 1) % m)]
        return level * season if self.form_[3] == "M" else level + season

    def _forecast_variance(self, h: int) -> np.ndarray:
        """Exact forecast variance of the linear forms (additive error and season).

        For ``x_t = F x_{t-1} + g e_t``, ``y_t = w' x_{t-1} + e_t`` the
        ``k``-step variance is ``sigma2 * (1 + sum_{j<k} (w' F^(j-1) g)^2)``
        (Hyndman et al., 2008, ch. 6): the closed forms statsmodels uses.
        """
        alpha, beta, gamma, phi = self._smoothing
        m = self._last_state.size - 2
        # state (level, trend, s_t, ..., s_{t-m+1}); the oldest season enters the forecast
        g = np.zeros(m + 2)
        g[:3] = alpha, beta, gamma
        w = np.zeros(m + 2)
        w[0], w[1], w[-1] = 1.0, phi, 1.0
        c = np.empty(max(h - 1, 0))
        v = g
        for j in range(h - 1):
            c[j] = w @ v
            nxt = np.empty_like(v)
            nxt[0] = v[0] + phi * v[1]
            nxt[1] = phi * v[1]
            nxt[2] = v[-1]
            nxt[3:] = v[2:-1]
            v = nxt
        return self._sigma2 * (1.0 + np.concatenate(([0.0], np.cumsum(c**2))))

    def _simulate(self, h: int, n_paths: int, rng: np.random.Generator) -> np.ndarray:
        """Sample paths, shape ``(h, n_paths)``, from the state after the last observation.

        The model's own equations with Gaussian errors of the fitted variance
        (Hyndman et al., 2008, ch. 2), drawn as statsmodels' ``simulate``
        draws them, so a seed gives the same paths.
        """
        e, _, _, s = self.form_
        alpha, beta, gamma, phi = self._smoothing
        eps = rng.standard_normal((h, n_paths)) * np.sqrt(self._sigma2)
        state = np.repeat(self._last_state[:, None], n_paths, axis=1)
        out = np.empty((h, n_paths))
        for t in range(h):
            level, trend, season = state[0], phi * state[1], state[-1]
            base = level + trend
            mean = base * season if s == "M" else base + season
            err = eps[t]
            if e == "A":
                out[t] = mean + err
                k_level = 1.0 / season if s == "M" else 1.0
                new_level = base + alpha * k_level * err
                new_trend = trend + beta * k_level * err
                new_season = season + gamma * (1.0 / base if s == "M" else 1.0) * err
            else:
                out[t] = mean * (1.0 + err)
                k_level = 0.0 if s == "M" else season
                new_level = base + alpha * (base + k_level) * err
                new_trend = trend + beta * (trend + k_level + level) * err
                new_season = season + gamma * (season + (0.0 if s == "M" else base)) * err
            state = np.vstack((new_level, new_trend, new_season, state[2:-1]))
        return out

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        self._run_filter(y_all)

    def _restore_state(self, state: dict[str, Any]) -> None:
        """Set the saved form and parameters and run the filter over the saved history.

        The recursion runs with the saved parameters: nothing is re-estimated,
        so forecasts equal the saved ones.
        """
        super()._restore_state(state)
        form = self.form_
        if not (
            len(form) == 4
            and form[0] in ("A", "M")
            and form[1] in ("A", "N")
            and isinstance(form[2], bool)
            and form[3] in ("A", "M", "N")
        ):
            raise ParameterError(f"form_={form!r} is not an ETS form")
        self._run_filter(self.y_)

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        with np.errstate(all="ignore"):
            mean = self._point_forecast(h)
        if not levels:  # point forecasts only (the selection backtest): no simulation
            if not np.all(np.isfinite(mean)):
                raise ModelFitError("ETS produced non-finite forecasts")
            return ModelForecast(mean=mean)
        e, _, _, season = self.form_
        with np.errstate(all="ignore"):
            if e == "A" and season != "M":
                # a closed-form variance (statsmodels' "exact" intervals)
                out = ModelForecast.from_normal(mean, np.sqrt(self._forecast_variance(h)), levels)
            else:  # quantiles of simulated paths, as statsmodels' "simulated" intervals
                rng = np.random.default_rng(self.random_state)
                sims = self._simulate(h, self.n_simulations, rng)
                out = ModelForecast(mean=mean)
                for level in levels:
                    tail = (1 - level / 100.0) / 2
                    out.lower[level] = np.minimum(np.quantile(sims, tail, axis=1), mean)
                    out.upper[level] = np.maximum(np.quantile(sims, 1 - tail, axis=1), mean)
        if not (
            np.all(np.isfinite(out.mean))
            and all(np.all(np.isfinite(v)) for v in out.upper.values())
        ):
            raise ModelFitError("ETS produced non-finite forecasts")
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Paths simulated from the fitted state space model (see ``_simulate``).

        The same simulation gives the intervals of the forms without a closed
        form variance, so path quantiles and bounds agree.
        """
        with np.errstate(all="ignore"):
            paths = self._simulate(h, n_paths, rng).T
        if not np.all(np.isfinite(paths)):
            raise ModelFitError("ETS produced non-finite sample paths")
        return np.ascontiguousarray(paths)
