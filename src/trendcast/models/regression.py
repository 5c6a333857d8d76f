"""Any scikit-learn regressor on lags, seasonal position and covariates of one series.

``RegressionModel`` turns forecasting into tabular regression, as darts'
``RegressionModel`` (now ``SKLearnModel``) and sktime's ``make_reduction`` do:
each row is one period, the target is the (transformed) demand of that period,
the features are its recent past (lags, optional rolling means), its position
in the season and the future-known covariates of that period (price,
promotions, calendar). Use it when covariates drive demand, or to bring a
scikit-learn model into the same backtest as ETS and Theta.

The target is differenced before the regression (by default the change from
the previous period), so that any regressor, trees included, can extrapolate
a trend. Forecasts are recursive (one model, its predictions fed back as
lags) or direct (one model per step ahead). Intervals are split-conformal,
from out-of-sample errors of a rolling-origin split inside the training data,
and widen with the step ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from trendcast._params import clone
from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models._shared import season_length_or_one
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

if TYPE_CHECKING:  # imported where used: scikit-learn's estimators load slowly
    from sklearn.base import RegressorMixin

__all__ = ["RegressionModel"]

_TRANSFORMS = (
    "none",
    "difference",
    "seasonal_difference",
    "log_difference",
    "log_seasonal_difference",
)
#: fewest calibration errors per step ahead for that step's own error scale
_MIN_ERRORS_PER_STEP = 10


def _predict(estimator: Any, F: np.ndarray) -> np.ndarray:
    """``estimator.predict(F)``, without scikit-learn's input checks for its linear models.

    The recursion predicts one step at a time; the checks cost more than the
    product itself (about 1 ms a call), and the features are ours, already valid.
    """
    coef = getattr(estimator, "coef_", None)
    if type(estimator).__module__.startswith("sklearn.linear_model") and (
        isinstance(coef, np.ndarray) and coef.ndim == 1
    ):
        return F @ coef + getattr(estimator, "intercept_", 0.0)
    return np.asarray(estimator.predict(F), dtype=float)


class RegressionModel(LocalModel):
    """A scikit-learn regressor on lags, seasonal position and covariates.

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        Any regressor with ``fit`` and ``predict``; it is cloned, never fitted
        in place. ``None`` uses ``RidgeCV()``: a ridge regression whose
        penalty (0.1, 1 or 10 on standardized features) is chosen by
        leave-one-out error; it was the most accurate default measured.
    season_length : int, optional
        Periods per season; ``None`` lets ``TrendForecaster`` set it.
    lags : sequence of int, optional
        Lags of the transformed target used as features; ``None`` means
        ``1, ..., season_length`` (lag 1 only without a season).
    season_features : {"onehot", "fourier"} or None
        The position in the season (index modulo ``season_length``) as one
        dummy per period, or as sine and cosine pairs; ``None`` for neither.
    rolling_windows : sequence of int
        Windows of rolling means of the transformed target (ending at the
        previous period) added as features.
    transform : str
        What the regressor predicts: ``"none"`` (the demand itself),
        ``"difference"`` (change from the previous period),
        ``"seasonal_difference"`` (change from the same period a season ago),
        ``"log_difference"`` or ``"log_seasonal_difference"`` (the same on the
        log scale: growth rates). Differencing lets any regressor, trees
        included, extrapolate a trend. Covariates are differenced the same
        way (not logged), so on a log scale their effect is multiplicative.
    strategy : {"recursive", "direct"}
        ``"recursive"`` fits one model for one step ahead and feeds its
        forecasts back as lags; ``"direct"`` fits one model per step ahead
        from the lags known at the forecast origin.
    horizon : int, optional
        Steps ahead fitted by the direct strategy (``predict`` cannot go
        further); ``None`` means two seasons (at least 12). Unused by the
        recursive strategy.

    Notes
    -----
    Intervals are split-conformal: the regressor is refitted on the first
    half of the series and forecasts from every origin of the second half;
    the mean absolute error per step ahead sets the width of each step (so
    intervals widen with the horizon), and the conformal quantile of the
    errors divided by it sets each level. ``update`` extends the lags
    without refitting the regressor. ``sample_paths`` (recursive strategy)
    adds one-step errors of that split, drawn with replacement, at each step
    of the recursion.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    >>> model = tc.models.RegressionModel(season_length=12).fit(y)
    >>> model.name
    'RegressionModel(RidgeCV)'
    >>> fc = model.predict(12, level=(80,))
    >>> bool((fc.lower[80] < fc.mean).all() and (fc.mean < fc.upper[80]).all())
    True
    """

    family = "RegressionModel"
    _saved_name = "trendcast.RegressionModel"
    _saved_state = {
        "lags_": "ints",
        "memory_": "int",
        "log_": "bool",
        "d_": "int",
        "estimator_": "sklearn",
        "scale_": "float",
        "x_scale_": "float|array",
        "bounds_": "tuple",
        "models_": "sklearns",
        "relative_": "bool",
        "step_scale_": "array",
        "scores_": "array",
        "residuals_": "array",
    }

    def __init__(
        self,
        estimator: RegressorMixin | None = None,
        season_length: int | None = None,
        lags: Sequence[int] | None = None,
        season_features: str | None = "onehot",
        rolling_windows: Sequence[int] = (),
        transform: str = "difference",
        strategy: str = "recursive",
        horizon: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.season_length = season_length
        self.lags = lags
        self.season_features = season_features
        self.rolling_windows = rolling_windows
        self.transform = transform
        self.strategy = strategy
        self.horizon = horizon

    # -- configuration ------------------------------------------------------------------
    def _m(self) -> int:
        return season_length_or_one(self.season_length)

    def _lags(self) -> list[int]:
        lags = list(range(1, self._m() + 1)) if self.lags is None else list(self.lags)
        if not lags or any(
            isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 1
            for lag in lags
        ):
            raise ModelFitError(f"lags={self.lags!r}; use positive integers, e.g. [1, 2, 12]")
        return sorted(set(int(lag) for lag in lags))

    def _memory(self) -> int:
        """How many past transformed values one row of features needs."""
        windows = [int(w) for w in self.rolling_windows]
        if any(w < 1 for w in windows):
            raise ModelFitError(f"rolling_windows={self.rolling_windows!r}; use positive integers")
        return max(self._lags() + windows)

    def _horizon(self) -> int:
        return int(self.horizon) if self.horizon is not None else max(2 * self._m(), 12)

    def _form(self) -> tuple[bool, int]:
        """(log scale, differencing lag) of the transform."""
        m = self._m()
        if self.transform not in _TRANSFORMS:
            raise ModelFitError(
                f"transform={self.transform!r}; use one of {', '.join(_TRANSFORMS)}"
            )
        log = self.transform.startswith("log_")
        d = 0 if self.transform == "none" else m if "seasonal" in self.transform else 1
        return log, d

    def tags(self) -> ModelTags:
        try:
            offset = self._form()[1] + self._memory()
        except ModelFitError:  # reported by fit
            offset = 0
        extra = self._horizon() - 1 if self.strategy == "direct" else 0
        return ModelTags(
            min_length=offset + extra + max(2 * self._m(), 8),
            supports_exogenous=True,
            supports_update=True,
            produces_samples=self.strategy == "recursive",
            requires_positive=str(self.transform).startswith("log_"),
        )

    @property
    def name(self) -> str:
        est = getattr(self, "estimator_", None) or self.estimator
        return f"{self.family}({type(est).__name__ if est is not None else 'RidgeCV'})"

    # -- data preparation ------------------------------------------------------------------
    def _prepare(
        self, y: np.ndarray, X: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The model scale ``v`` (log or not), the scaled differences ``zs``, scaled ``X``."""
        v = np.log(y) if self.log_ else y
        d = self.d_
        z = np.full(y.size, np.nan)
        z[d:] = v[d:] - v[: y.size - d] if d else v
        Xz = None
        if X is not None:
            Xz = np.full(X.shape, np.nan)
            Xz[d:] = X[d:] - X[: X.shape[0] - d] if d else X
            Xz = Xz / self.x_scale_
        return v, z / self.scale_, Xz

    def _features(self, W: np.ndarray, t: np.ndarray, Xrow: np.ndarray | None) -> np.ndarray:
        """Feature rows from windows ``W`` (last column: the period before the origin)."""
        L = W.shape[1]
        cols = [W[:, L - lag] for lag in self.lags_]
        cols += [W[:, L - int(w) :].mean(axis=1) for w in self.rolling_windows]
        m = self._m()
        if m > 1 and self.season_features == "onehot":
            cols += [(t % m == j).astype(float) for j in range(m)]
        elif m > 1 and self.season_features == "fourier":
            for k in range(1, m // 2 + 1):
                angle = 2 * np.pi * k * (t % m) / m
                cols.append(np.cos(angle))
                if 2 * k != m:
                    cols.append(np.sin(angle))
        F = np.column_stack(cols)
        return F if Xrow is None else np.hstack([F, Xrow])

    def _rows(
        self, zs: np.ndarray, Xz: np.ndarray | None, end: int, step: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Training rows for ``step`` periods ahead, from data before index ``end``."""
        L, first = self.memory_, self.d_
        t = np.arange(first + L + step - 1, end)
        if t.size < 2:
            raise ModelFitError(
                f"too few observations ({end}) for {self.strategy} forecasts {step} step(s) "
                f"ahead with {L} lag(s) and differencing at lag {first}"
            )
        windows = sliding_window_view(zs[:end], L)  # windows[i] = zs[i : i + L]
        W = windows[t - step + 1 - L]
        return self._features(W, t, None if Xz is None else Xz[t]), zs[t]

    def _fit_steps(self, zs: np.ndarray, Xz: np.ndarray | None, end: int, steps: int) -> list:
        out = []
        for step in range(1, steps + 1):
            F, target = self._rows(zs, Xz, end, step)
            est = clone(self.estimator_)
            try:
                est.fit(F, target)
            except ValueError as exc:
                raise ModelFitError(f"{type(est).__name__} could not be fitted: {exc}") from exc
            out.append(est)
        return out

    # -- forecasting on the model scale ------------------------------------------------------
    def _forecast(
        self,
        models: list,
        W: np.ndarray,
        t0: np.ndarray,
        steps: int,
        Xz: np.ndarray | None,
        noise: np.ndarray | None = None,
    ) -> np.ndarray:
        """Scaled differences for ``steps`` periods from windows ``W`` at origins ``t0``.

        ``Xz`` holds the scaled covariates by absolute period index.
        """
        out = np.empty((W.shape[0], steps))
        W = W.copy()
        for k in range(steps):
            t = t0 + k
            Xrow = None if Xz is None else Xz[np.minimum(t, Xz.shape[0] - 1)]
            if self.strategy == "direct":
                out[:, k] = np.clip(_predict(models[k], self._features(W, t, Xrow)), *self.bounds_)
                continue
            pred = _predict(models[0], self._features(W, t, Xrow))
            if noise is not None:
                pred = pred + noise[:, k]
            out[:, k] = pred = np.clip(pred, *self.bounds_)
            W = np.column_stack([W[:, 1:], pred])
        return out

    def _invert(self, v_before: np.ndarray, zs_hat: np.ndarray) -> np.ndarray:
        """Undo differencing, scaling and log: demand from scaled differences."""
        z = zs_hat * self.scale_
        d = self.d_
        if d:
            buf = np.concatenate([v_before, np.empty_like(z)], axis=1)
            for k in range(z.shape[1]):
                buf[:, d + k] = buf[:, k] + z[:, k]
            z = buf[:, d:]
        return np.exp(z) if self.log_ else z

    # -- the hooks -------------------------------------------------------------------------
    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        if self.strategy not in ("recursive", "direct"):
            raise ModelFitError(f"strategy={self.strategy!r}; use 'recursive' or 'direct'")
        if self.season_features not in ("onehot", "fourier", None):
            raise ModelFitError(
                f"season_features={self.season_features!r}; use 'onehot', 'fourier' or None"
            )
        self.lags_ = self._lags()
        self.memory_ = self._memory()
        self.log_, self.d_ = self._form()
        if self.estimator is not None:
            self.estimator_ = clone(self.estimator)
        else:
            from sklearn.linear_model import RidgeCV

            self.estimator_ = RidgeCV()
        n, d = y.size, self.d_
        self.scale_ = 1.0
        self.x_scale_: float | np.ndarray = 1.0
        _, z, Xz = self._prepare(y, X)
        self.scale_ = float(np.std(z[d:])) or 1.0
        if Xz is not None:
            sd = np.std(Xz[d:], axis=0)
            self.x_scale_ = np.where(sd > 0, sd, 1.0)
        v, zs, Xz = self._prepare(y, X)
        # an unstable fitted recursion must not explode: predictions stay within the
        # observed range of the target widened by half its width on each side
        low, high = float(np.min(zs[d:])), float(np.max(zs[d:]))
        self.bounds_ = (low - (high - low) / 2, high + (high - low) / 2)
        steps = self._horizon() if self.strategy == "direct" else 1
        self.models_ = self._fit_steps(zs, Xz, n, steps)
        self._calibrate(y, v, zs, Xz)

    def _calibrate(
        self, y: np.ndarray, v: np.ndarray, zs: np.ndarray, Xz: np.ndarray | None
    ) -> None:
        """Out-of-sample errors per step ahead from a rolling origin on the last half.

        The estimator is refitted once on the first half and forecasts from
        every origin in the last half; ``step_scale_`` is the mean absolute
        error per step ahead (isotonic, so non-decreasing) and ``scores_`` the
        errors divided by it, pooled over steps for the conformal quantiles.
        """
        n, L, d = y.size, self.memory_, self.d_
        size = n // 2
        while size > 1:
            try:
                cal = self._fit_steps(zs, Xz, n - size, len(self.models_))
                break
            except ModelFitError:
                size //= 2
        else:
            raise ModelFitError(f"{n} observations are too few to calibrate intervals")
        origins = np.arange(n - size, n)
        # enough errors per step ahead, and no further than two seasons (then sqrt growth)
        steps = min(size - _MIN_ERRORS_PER_STEP + 1, max(2 * self._m(), 12))
        steps = max(steps if self.strategy == "recursive" else min(steps, len(cal)), 1)
        W = sliding_window_view(zs, L)[origins - L]
        zs_hat = self._forecast(cal, W, origins, steps, Xz)
        v_before = sliding_window_view(v, d)[origins - d] if d else np.empty((size, 0))
        y_hat = self._invert(v_before, zs_hat)
        target = origins[:, None] + np.arange(steps)[None, :]
        errors = np.where(target < n, np.abs(y[np.minimum(target, n - 1)] - y_hat), np.nan)
        self.relative_ = bool(np.all(y > 0))
        if self.relative_:  # demand errors grow with its level: relative to the origin's
            errors = errors / self._level(y, origins)[:, None]
        counts = np.sum(np.isfinite(errors), axis=0)
        usable = max(int(np.sum(counts >= _MIN_ERRORS_PER_STEP)), 1)
        with np.errstate(invalid="ignore"):
            mae = np.nanmean(errors[:, :usable], axis=0)
        # errors grow with the step ahead: a non-decreasing fit pools noisy neighbours
        steps_ahead = np.arange(usable, dtype=float)
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(increasing=True).fit(steps_ahead, mae, counts[:usable])
        floor = 1e-12 * (1 + np.abs(y).max())
        self.step_scale_ = np.maximum(iso.predict(steps_ahead), floor)
        scores = errors[:, :usable] / self.step_scale_
        self.scores_ = np.sort(scores[np.isfinite(scores)])
        # one step ahead on the scaled model scale, centred: paths spread around the forecast
        residuals = zs[origins] - zs_hat[:, 0]
        self.residuals_ = residuals - residuals.mean()

    def _level(self, y: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Mean of the last season (at least 4 periods) before each origin."""
        w = max(self._m(), 4)
        c = np.concatenate([[0.0], np.cumsum(y)])
        start = np.maximum(origins - w, 0)
        return (c[origins] - c[start]) / (origins - start)

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Keep the fitted estimator; later forecasts start from the extended lags."""
        if self.log_ and np.any(y_all <= 0):
            raise ModelFitError(
                "the new observations are not strictly positive but the model works on "
                "the log scale; refit with transform='difference'"
            )

    def _scales(self, h: int) -> np.ndarray:
        """Error scale per step ahead; beyond the calibrated steps it grows like sqrt(h)."""
        s = self.step_scale_
        k = np.arange(1, h + 1)
        last = s.size
        extra = s[-1] * np.sqrt(k[last:] / last)
        return np.concatenate([s[:h], extra])

    def _point(
        self, h: int, X_future: np.ndarray | None, noise: np.ndarray | None = None
    ) -> np.ndarray:
        if self.strategy == "direct" and h > len(self.models_):
            raise ParameterError(
                f"the direct strategy was fitted for {len(self.models_)} steps ahead; "
                f"refit with horizon={h} or use strategy='recursive'"
            )
        y, n, d = self.y_, self.y_.size, self.d_
        X = None
        if self.X_ is not None and X_future is not None:
            X = np.vstack([self.X_, X_future])
        v, zs, Xz = self._prepare(np.concatenate([y, np.ones(h)]), X)
        B = 1 if noise is None else noise.shape[0]
        W = np.repeat(zs[None, n - self.memory_ : n], B, axis=0)
        zs_hat = self._forecast(self.models_, W, np.full(B, n), h, Xz, noise)
        v_before = np.repeat(v[None, n - d : n], B, axis=0)
        return self._invert(v_before, zs_hat)

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        mean = self._point(h, X_future)[0]
        scale = self._scales(h)
        out = ModelForecast(mean=mean)
        N = self.scores_.size
        for level in levels:
            rank = min(int(np.ceil((N + 1) * level / 100.0)), N) - 1
            q = self.scores_[rank] * scale
            if self.relative_:
                q = q * self._level(self.y_, np.array([self.y_.size]))[0]
            out.lower[level], out.upper[level] = mean - q, mean + q
        if not np.all(np.isfinite(mean)):
            raise ModelFitError(f"{self.name} produced non-finite forecasts")
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Recursion with one-step residuals drawn with replacement, scaled to the intervals.

        The bootstrap gives the paths their dependence over the horizon; the
        intervals come from the conformal errors (see Notes), so each step's
        deviations above and below the mean are rescaled until the paths' 10%
        and 90% quantiles are the 80% bounds of ``predict``: probabilities
        from paths and from intervals then agree.
        """
        noise = rng.choice(self.residuals_, size=(n_paths, h), replace=True)
        paths = self._point(h, X_future, noise)
        fc = self._predict(h, X_future, (80,))
        low, high = np.quantile(paths, [0.1, 0.9], axis=0)
        dev = paths - fc.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(high > fc.mean, (fc.upper[80] - fc.mean) / (high - fc.mean), np.nan)
            down = np.where(low < fc.mean, (fc.mean - fc.lower[80]) / (fc.mean - low), np.nan)
        # a side the bootstrap left empty borrows the other side's scale
        up = np.where(np.isfinite(up), up, down)
        down = np.where(np.isfinite(down), down, up)
        up = np.where(np.isfinite(up), up, 1.0)
        down = np.where(np.isfinite(down), down, 1.0)
        return fc.mean + np.where(dev >= 0, dev * up, dev * down)

    def get_feature_names(self) -> list[str]:
        """Names of the columns the estimator sees, in order (for ``coef_`` etc.)."""
        self._check_fitted()
        names = [f"lag_{lag}" for lag in self.lags_]
        names += [f"rolling_mean_{w}" for w in self.rolling_windows]
        m = self._m()
        if m > 1 and self.season_features == "onehot":
            names += [f"season_{j}" for j in range(m)]
        elif m > 1 and self.season_features == "fourier":
            for k in range(1, m // 2 + 1):
                names += [f"cos_{k}"] + ([f"sin_{k}"] if 2 * k != m else [])
        names += [f"x_{j}" for j in range(0 if self.X_ is None else self.X_.shape[1])]
        return names
