"""Past-only covariates (search interest) for the local models, without leakage.

A past-only covariate is known up to the forecast origin and no further. At
lag ``k`` a model uses ``s[t - k]`` as the regressor of ``y[t]``, so the
first ``k`` steps of a forecast need only values already observed.

``_PastCovariates`` wraps one model that takes covariates. It receives the
covariate matrix the forecaster builds, ``[future-known columns, raw past
columns]`` (the raw value ``s[t]`` on row ``t``), and gives the model it wraps
the future-known columns and the *lagged* past columns, on the rows where
every lag exists (the first ``max(lags)`` observations are dropped). At
predict time it ignores whatever the caller passes in the past columns: the
lagged values come from the history it stored at ``fit``/``update``. A
backtest or cross-validation window that slices the true covariates of its
horizon therefore cannot see search after its cutoff: the leakage is
impossible by construction, not avoided by care.

Beyond the smallest lag the past covariate is forecast itself (ETS, falling
back to seasonal naive and naive) and its uncertainty carried into the
intervals: ``n_paths`` sample paths of the covariate each give a conditional
forecast; the mean is their average, and each bound's distance from the mean
is ``sqrt(mean(conditional distance^2) + z^2 var(conditional means))``, the
law of total variance on each side.

With ``lags=None`` the wrapper drops the past columns: the model sees the
future-known columns only, which is how the "without search" candidates of a
category with search are kept honest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from trendcast._normal import level_z
from trendcast._params import clone
from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models._shared import FIT_ERRORS
from trendcast.models.base import LocalModel, ModelForecast, ModelTags
from trendcast.models.combination import Combination
from trendcast.models.ets import ETS
from trendcast.models.naive import Naive, SeasonalNaive
from trendcast.models.theta import Theta

__all__: list[str] = []


class _PastCovariates(LocalModel):
    """A covariate model fed lagged past-only covariates (see the module docstring)."""

    family = "PastCovariates"

    def __init__(
        self,
        model: LocalModel | None = None,
        n_future: int = 0,
        lags: Sequence[int] | None = None,
        names: Sequence[str] = (),
        season_length: int | None = None,
        n_paths: int = 30,
        random_state: int = 0,
        start: pd.Timestamp | None = None,
        freq: str | None = None,
        beyond: str = "forecast",
    ) -> None:
        self.model = model
        self.n_future = n_future
        self.lags = lags
        self.names = names
        self.season_length = season_length
        self.n_paths = n_paths
        self.random_state = random_state
        self.start = start
        self.freq = freq
        self.beyond = beyond

    # scikit-learn's deep parameters hold the wrapped model itself, which
    # compares by identity; the backtest matches a combination's members by
    # parameters, so the deep view names the model's class instead.
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=False)
        if deep and params["model"] is not None:
            inner = params["model"]
            params = {**params, "model": type(inner).__name__}
            params.update({f"model__{k}": v for k, v in inner.get_params().items()})
        return params

    def _inner(self) -> LocalModel:
        if self.model is None:
            raise ModelFitError("no model to feed the past covariates to")
        return self.model

    def _kmax(self) -> int:
        return max(self.lags) if self.lags else 0

    def tags(self) -> ModelTags:
        inner = self._inner().tags()
        return ModelTags(
            min_length=inner.min_length + self._kmax(),
            supports_exogenous=True,
            requires_exogenous=bool(self.lags),
            supports_update=inner.supports_update,
            produces_intervals=inner.produces_intervals,
            produces_samples=inner.produces_samples,
            requires_positive=inner.requires_positive,
        )

    @property
    def name(self) -> str:
        inner = getattr(self, "model_", None) or self._inner()
        if not self.lags:
            return inner.name
        used = ", ".join(f"{n} lag {k}" for n, k in zip(self.names, self.lags, strict=True))
        return f"{inner.name}+[{used}]"

    def uses_search(self) -> bool:
        """True when the wrapped model gets the past covariates."""
        return bool(self.lags)

    def pinned(self) -> Self:
        return self._twin(lambda inner: inner.pinned())

    def refit_copy(self) -> LocalModel:
        return self._twin(lambda inner: inner.refit_copy())

    def _twin(self, copy: Callable[[LocalModel], LocalModel]) -> Self:
        """An unfitted copy wrapping ``copy`` of the fitted wrapped model (if fitted)."""
        twin = clone(self)
        if hasattr(self, "model_"):
            twin.set_params(model=copy(self.model_))
        return twin

    # -- rows given to the wrapped model ------------------------------------------------
    def _split(self, X: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
        nf = int(self.n_future)
        if X is None:
            return None, None
        future = X[:, :nf] if nf else None
        past = X[:, nf : nf + len(self.lags)] if self.lags else None
        return future, past

    def _inner_X(self, future: np.ndarray | None, lagged: np.ndarray | None) -> np.ndarray | None:
        parts = [p for p in (future, lagged) if p is not None]
        return np.hstack(parts) if parts else None

    def _lagged_history(self, past: np.ndarray, rows: range) -> np.ndarray:
        """Lagged covariates for observation ``t`` in ``rows``: ``past[t - k]``."""
        assert self.lags is not None
        t = np.asarray(rows, dtype=int)
        return np.column_stack([past[t - k, i] for i, k in enumerate(self.lags)])

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        inner = clone(self._inner())
        future, past = self._split(X)
        kmax = self._kmax()
        if self.start is not None:
            params = inner.get_params(deep=False)
            if "start" in params and params["start"] is None:
                shifted = pd.date_range(self.start, periods=kmax + 1, freq=self.freq)[-1]
                inner.set_params(start=shifted)
                if "freq" in params and params["freq"] is None:
                    inner.set_params(freq=self.freq)
        lagged = None
        if past is not None:
            lagged = self._lagged_history(past, range(kmax, y.size))
        inner_future = None if future is None else future[kmax:]
        X_inner = self._inner_X(inner_future, lagged)
        if X_inner is not None and not inner.tags().supports_exogenous:
            X_inner = None
        inner.fit(y[kmax:], X_inner)
        self.model_ = inner
        self.past_: np.ndarray = np.empty((y.size, 0)) if past is None else past
        self._search_fits: dict[int, list[LocalModel]] = {}

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        n_old = self.y_.size
        future, past = self._split(X_all)
        lagged = None if past is None else self._lagged_history(past, range(n_old, y_all.size))
        X_new = self._inner_X(None if future is None else future[n_old:], lagged)
        self.model_.update(y_all[n_old:], X_new if self.model_.X_ is not None else None)
        self.past_ = np.empty((y_all.size, 0)) if past is None else past

    def _check_future(self, h: int, X_future: np.ndarray | None) -> np.ndarray | None:
        """Only the future-known columns are read; past columns passed are ignored."""
        nf = int(self.n_future)
        if nf == 0:
            return None
        if X_future is None:
            raise ParameterError(
                f"{self.name} needs {nf} future-known covariate(s); pass X_future"
            )
        arr = self._check_X(X_future, h, "X_future")
        assert arr is not None
        if arr.shape[1] < nf:
            raise ParameterError(
                f"X_future has {arr.shape[1]} column(s); at least {nf} are needed"
            )
        return arr[:, :nf]

    # -- forecasts -----------------------------------------------------------------------
    def _rows(self, h: int, future: np.ndarray | None, paths: np.ndarray | None) -> np.ndarray:
        """Rows for steps 1..h: observed lagged values, then one covariate path."""
        if not self.lags:
            return self._inner_X(future, None)  # type: ignore[return-value]
        n = self.past_.shape[0]
        cols = []
        for i, k in enumerate(self.lags):
            col = np.empty(h)
            for j in range(1, h + 1):
                if j <= k:
                    col[j - 1] = self.past_[n - 1 + j - k, i]
                else:
                    assert paths is not None
                    col[j - 1] = paths[i, j - k - 1]
            cols.append(col)
        return self._inner_X(future, np.column_stack(cols))  # type: ignore[return-value]

    def _covariate_paths(self, h: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_paths, n_past, steps)`` forecast paths of the past covariates."""
        assert self.lags is not None
        steps = h - min(self.lags)
        if self.beyond == "mean":
            # one path, the covariate's point forecast: a fair mean forecast for
            # the selection backtest of a forecaster that refuses these
            # horizons (their intervals are never shown, so no mixing)
            return np.stack(
                [self._search_model(i).predict(steps, level=()).mean for i in range(len(self.lags))]
            )[None]
        out = np.empty((int(self.n_paths), len(self.lags), steps))
        for i in range(len(self.lags)):
            model = self._search_model(i)
            out[:, i, :] = model.sample_paths(steps, int(self.n_paths), random_state=rng)
        return out

    def _search_model(self, i: int) -> LocalModel:
        """The covariate's own model, fitted on its history up to now (cached)."""
        n = self.past_.shape[0]
        s = self.past_[:, i]
        cached = self._search_fits.get(i)
        if cached is not None and cached[0].n_obs_ <= n:
            # later origins (backtest windows, updates) run the same model forward
            model = cached[0]
            try:
                if model.n_obs_ < n:
                    model.update(s[model.n_obs_ :])
                return model
            except FIT_ERRORS:
                pass
        m = self.season_length or 1
        for proto in (ETS(season_length=m), SeasonalNaive(season_length=m), Naive()):
            try:
                model = proto.fit(s)
            except FIT_ERRORS:
                continue
            self._search_fits[i] = [model]
            return model
        raise ModelFitError("the past covariate could not be forecast")  # pragma: no cover

    def _beyond(self, h: int) -> bool:
        return bool(self.lags) and h > min(self.lags or (0,))

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        X_inner = self.model_.X_ is not None
        if not self._beyond(h):
            rows = self._rows(h, X_future, None) if X_inner else None
            return self.model_.predict(h, rows, level=levels)
        rng = np.random.default_rng(self.random_state)
        paths = self._covariate_paths(h, rng)
        runs = [self.model_.predict(h, self._rows(h, X_future, p), level=levels) for p in paths]
        means = np.stack([r.mean for r in runs])
        out = ModelForecast(mean=means.mean(axis=0))
        spread = means.var(axis=0)
        for lv in levels:
            z2 = level_z(lv) ** 2  # scipy.stats.norm.ppf's numbers
            up = np.stack([r.upper[lv] - r.mean for r in runs])
            down = np.stack([r.mean - r.lower[lv] for r in runs])
            out.upper[lv] = out.mean + np.sqrt(np.mean(up**2, axis=0) + z2 * spread)
            out.lower[lv] = out.mean - np.sqrt(np.mean(down**2, axis=0) + z2 * spread)
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        X_inner = self.model_.X_ is not None
        if not self._beyond(h):
            rows = self._rows(h, X_future, None) if X_inner else None
            return self.model_.sample_paths(h, n_paths, rows, random_state=rng)
        paths = self._covariate_paths(h, rng)
        per = -(-n_paths // paths.shape[0])
        draws = [
            self.model_.sample_paths(h, per, self._rows(h, X_future, p), random_state=rng)
            for p in paths
        ]
        out = np.vstack(draws)[:n_paths]
        return out[rng.permutation(out.shape[0])]


def route(
    model: LocalModel,
    n_future: int,
    lags: Sequence[int] | None,
    names: Sequence[str],
    season_length: int,
    beyond: str = "forecast",
) -> LocalModel:
    """``model`` with every member that takes covariates wrapped.

    ``lags=None`` gives those members the future-known columns only.
    ``beyond="mean"`` uses the covariate's point forecast beyond the lag
    instead of mixing over its paths (for a forecaster that refuses those
    horizons: only its backtest sees them).
    """
    if isinstance(model, _PastCovariates):
        return model
    if isinstance(model, Combination):
        members = [
            _seasonal(m, season_length)
            for m in (model.models if model.models is not None else [ETS(), Theta()])
        ]
        return clone(model).set_params(
            models=[route(m, n_future, lags, names, season_length, beyond) for m in members]
        )
    if not model.tags().supports_exogenous:
        return model
    return _PastCovariates(
        model=model,
        n_future=n_future,
        lags=None if lags is None else tuple(int(k) for k in lags),
        names=tuple(names),
        season_length=season_length,
        beyond=beyond,
    )


def _seasonal(model: LocalModel, m: int) -> LocalModel:
    """A copy with ``season_length`` set where it is ``None`` (as the forecaster sets it)."""
    model = clone(model)
    params = model.get_params(deep=False)
    if "season_length" in params and params["season_length"] is None:
        model.set_params(season_length=m)
    return model


def uses_search(model: LocalModel | None) -> bool:
    """True when ``model`` (or a member of it) is fed past covariates."""
    if isinstance(model, _PastCovariates):
        return model.uses_search()
    if isinstance(model, Combination):
        members = getattr(model, "models_", None) or model.models or []
        return any(uses_search(m) for m in members)
    return False
