"""The local-model contract: one series at a time, as NumPy arrays.

A local model knows nothing of dates, grouping or pandas; ``TrendForecaster``
owns those. Constructors only store their keyword arguments (so scikit-learn's
``get_params``, ``set_params``, ``clone`` and ``repr`` work: ``LocalModel`` is a
``trendcast._params.Params``, which gives them without importing scikit-learn,
so loading and forecasting never wait for it); ``fit`` validates
once and calls the private ``_fit`` a model author writes; learned state ends
in ``_``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from trendcast._normal import level_z
from trendcast._params import Params, clone
from trendcast.exceptions import ModelFitError, NotFittedError, ParameterError

__all__ = ["LocalModel", "ModelForecast", "ModelTags", "check_levels", "refitting_updates"]

#: inside ``refitting_updates``: models tagged ``backtest_refits`` refit on update
_REFIT_UPDATES: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "trendcast_refit_updates", default=False
)


@contextmanager
def refitting_updates() -> Iterator[None]:
    """Within: ``update`` refits the models whose tags say ``backtest_refits``.

    The selection backtest fits each candidate at its first origin and
    updates it through the others; a model whose update is newer than the
    scores the selection was tuned on (Theta's) is refitted at every origin
    there, as before it had one, so its scores, the selection and the
    calibration drawn from them do not change with it.
    """
    token = _REFIT_UPDATES.set(True)
    try:
        yield
    finally:
        _REFIT_UPDATES.reset(token)


@dataclass(frozen=True)
class ModelTags:
    """What a model can do, declared once per model class.

    Attributes
    ----------
    min_length : int
        Fewest observations ``fit`` accepts (for the season length given).
    supports_exogenous : bool
        Accepts covariates ``X``.
    requires_exogenous : bool
        Cannot fit without covariates.
    supports_update : bool
        ``update`` absorbs new observations without re-estimating parameters.
    produces_intervals : bool
        ``predict`` returns bounds for every level asked for.
    produces_samples : bool
        ``sample_paths`` draws joint sample paths over the horizon.
    requires_positive : bool
        Only fits strictly positive series (e.g. multiplicative models).
    backtest_refits : bool
        Refitted at every origin of the selection backtest although it has an
        update (see ``refitting_updates``).
    """

    min_length: int = 2
    supports_exogenous: bool = False
    requires_exogenous: bool = False
    supports_update: bool = False
    produces_intervals: bool = True
    produces_samples: bool = False
    requires_positive: bool = False
    backtest_refits: bool = False


@dataclass
class ModelForecast:
    """A forecast for one series: the mean and the bounds for each level.

    ``lower[level]`` and ``upper[level]`` are arrays of the same length as
    ``mean``; levels are percentages (80 means the 10% and 90% quantiles).
    """

    mean: np.ndarray
    lower: dict[int, np.ndarray] = field(default_factory=dict)
    upper: dict[int, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_normal(
        cls, mean: np.ndarray, sigma: np.ndarray, levels: Sequence[int]
    ) -> ModelForecast:
        """Symmetric Gaussian bounds around ``mean`` with standard deviations ``sigma``."""
        out = cls(mean=np.asarray(mean, dtype=float))
        sigma = np.asarray(sigma, dtype=float)
        for level in levels:
            z = level_z(level)  # scipy.special.ndtri's numbers, without importing it
            out.lower[level] = out.mean - z * sigma
            out.upper[level] = out.mean + z * sigma
        return out

    def clip(self, lower: float = 0.0) -> ModelForecast:
        """Return a copy with the mean and every bound at least ``lower``."""
        return ModelForecast(
            mean=np.maximum(self.mean, lower),
            lower={k: np.maximum(v, lower) for k, v in self.lower.items()},
            upper={k: np.maximum(v, lower) for k, v in self.upper.items()},
        )


def check_levels(level: Sequence[int] | int) -> tuple[int, ...]:
    """Validate interval levels: whole percentages strictly between 0 and 100.

    Raises
    ------
    ParameterError
        Naming ``level``, for anything but a number or a sequence of numbers
        from 1 to 99 (``None``, text, ``True``, ``150``, ``80.5``...).
    """
    usage = "pass whole percentages from 1 to 99, e.g. level=(80, 95)"
    if isinstance(level, int | float | np.integer | np.floating) and not isinstance(level, bool):
        levels: tuple[Any, ...] = (level,)
    elif isinstance(level, str | bytes | bool | np.bool_ | dict) or not hasattr(level, "__iter__"):
        raise ParameterError(f"level={level!r} is not a percentage or a sequence of them; {usage}")
    else:
        levels = tuple(level)
    out = []
    for lv in levels:
        if isinstance(lv, bool | np.bool_) or not isinstance(
            lv, int | float | np.integer | np.floating
        ):
            raise ParameterError(f"level {lv!r} is not a number; {usage}")
        if not 0 < float(lv) < 100 or float(lv) != int(lv):
            raise ParameterError(f"level {lv!r} must be a whole percentage between 1 and 99")
        out.append(int(lv))
    return tuple(sorted(set(out)))


class LocalModel(Params):
    """Base class of the per-series models.

    Subclasses implement ``_fit(y, X)`` and ``_predict(h, X_future, levels)``,
    and may override ``_update`` and ``tags``. The public methods validate the
    input and keep the fitted state consistent.
    """

    #: short family name used in reports, e.g. "ETS"
    family: str = "model"

    _saved_name: ClassVar[str | None] = None
    """Stable type name under which ``trendcast.persistence`` saves this class.

    For example ``"trendcast.ETS"``. Files store this name, never a module
    path, so it must not change once released. Only a class that declares it
    itself (not one that inherits it) and is in ``trendcast.models.REGISTRY``
    is on the allow-list ``trendcast.persistence.ALLOWED_MODELS``; any other
    model is saved only with ``allow_pickle=True``.
    """

    _saved_state: ClassVar[dict[str, str]] = {}

    """The fitted attributes a save stores and a load may restore, with their kinds.

    Beside these, ``y_``, ``X_`` and ``n_obs_`` are stored for every model.
    Each attribute maps to the kind a value read back from a file must have
    (the loader refuses anything else): ``"float"``, ``"int"``, ``"bool"``,
    ``"str"``; ``"array"`` (a NumPy array of numbers or booleans) and
    ``"array?"`` (such an array or None); ``"float|array"``; ``"tuple"`` (a
    tuple of numbers, text or booleans); ``"ints"`` and ``"strs"`` (lists of
    them); ``"timestamp"``; ``"model"`` and ``"models"`` (a model on the
    allow-list, a list of them); ``"sklearn"`` and ``"sklearns"`` (a
    scikit-learn estimator, a list of them; stored with skops);
    ``"prophet"`` (a Prophet model, in Prophet's JSON); ``"pool"`` (a
    PooledRegression pool). ``_state_to_save`` gets these names and returns
    their values; ``_restore_state`` gets them back. Adding, removing or
    renaming an entry changes the saved format.
    """

    def tags(self) -> ModelTags:
        """The capabilities of this model with its current parameters."""
        return ModelTags()

    # -- public template methods ------------------------------------------------------
    def fit(self, y: np.ndarray, X: np.ndarray | None = None) -> LocalModel:
        """Fit the model to one series.

        Parameters
        ----------
        y : array of shape (n,)
            Observations in time order, finite.
        X : array of shape (n, k), optional
            Covariates aligned with ``y``.

        Returns
        -------
        self

        Raises
        ------
        ModelFitError
            When the series is too short, not finite, or the model cannot be
            estimated on it; the message says why.
        """
        y = self._check_y(y)
        tags = self.tags()
        if X is not None and not tags.supports_exogenous:
            raise ModelFitError(f"{self.family} does not take covariates")
        if X is None and tags.requires_exogenous:
            raise ModelFitError(f"{self.family} needs covariates X")
        X = self._check_X(X, y.size, "X")
        if y.size < tags.min_length:
            raise ModelFitError(
                f"{self.family} needs at least {tags.min_length} observations, got {y.size}"
            )
        if tags.requires_positive and np.any(y <= 0):
            raise ModelFitError(f"{self.family} needs strictly positive values")
        self._fit(y, X)
        self.y_ = y
        self.X_ = X
        self.n_obs_ = int(y.size)
        return self

    def predict(
        self,
        h: int,
        X_future: np.ndarray | None = None,
        level: Sequence[int] = (80, 95),
    ) -> ModelForecast:
        """Forecast ``h`` periods ahead with bounds for each ``level`` (percent).

        Bounds are ordered (wider levels contain narrower ones) and unclipped;
        ``TrendForecaster`` clips demand at zero.
        """
        self._check_fitted()
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ParameterError(f"h must be a positive integer, got {h!r}")
        levels = check_levels(level)
        X_future = self._check_future(int(h), X_future)
        return self._predict(int(h), X_future, levels)

    def update(self, y_new: np.ndarray, X_new: np.ndarray | None = None) -> LocalModel:
        """Absorb observations that follow the training data.

        Models whose tags say ``supports_update`` keep their estimated
        parameters and only run the state forward; the others refit on the
        whole history.
        """
        self._check_fitted()
        y_new = self._check_y(y_new, allow_empty=True)
        if y_new.size == 0:
            return self
        y_all = np.concatenate([self.y_, y_new])
        X_all = self._append_X(y_new.size, X_new)
        tags = self.tags()
        if tags.supports_update and not (tags.backtest_refits and _REFIT_UPDATES.get()):
            self._update(y_all, X_all)
            self.y_ = y_all
            self.X_ = X_all
            self.n_obs_ = int(y_all.size)
            return self
        return self.fit(y_all, X_all)

    def sample_paths(
        self,
        h: int,
        n_paths: int = 1000,
        X_future: np.ndarray | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> np.ndarray:
        """Draw ``n_paths`` joint sample paths of the next ``h`` periods.

        Only models whose tags say ``produces_samples`` can; adaptation uses
        the paths for probabilities over several periods together.

        Returns
        -------
        array of shape (n_paths, h)
        """
        self._check_fitted()
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ParameterError(f"h must be a positive integer, got {h!r}")
        if isinstance(n_paths, bool) or not isinstance(n_paths, int | np.integer) or n_paths < 1:
            raise ParameterError(f"n_paths must be a positive integer, got {n_paths!r}")
        if not self.tags().produces_samples:
            raise NotImplementedError(f"{self.family} does not draw sample paths")
        X_future = self._check_future(int(h), X_future)
        rng = np.random.default_rng(random_state)
        return self._sample_paths(int(h), int(n_paths), X_future, rng)

    def pinned(self) -> Self:
        """An unfitted copy that repeats this fit's structural choices.

        Models that search a structure (ETS forms, ARIMA orders) return a copy
        with the chosen structure fixed, so a refit on longer data estimates
        parameters only; the rest return an unfitted copy.
        """
        return clone(self)

    def refit_copy(self) -> LocalModel:
        """An unfitted copy for the fit on the whole history that follows a backtest.

        ``TrendForecaster`` backtests each candidate from the data before its
        first window, then fits the one it chose again on all the data, starting
        from this copy. The default is ``pinned()``: the structure found in the
        backtest is kept and only the parameters are estimated again. A model
        whose structure gains from a search on the longer history returns a
        copy that searches again (ARIMA).
        """
        return self.pinned()

    # -- persistence hooks (trendcast.persistence) --------------------------------------
    def _state_to_save(self, names: Sequence[str]) -> dict[str, Any]:
        """The fitted attributes ``names`` (from the persistence allow-list), to be saved.

        Models whose fitted state lives in a library object (a statsmodels
        results object) override this to return plain parameters instead.
        """
        return {name: getattr(self, name) for name in names}

    def _restore_state(self, state: dict[str, Any]) -> None:
        """Set the fitted attributes read from a saved file.

        Models override this to rebuild derived objects (statsmodels results)
        from the parameters, without re-estimating them.
        """
        for name, value in state.items():
            setattr(self, name, value)

    def _one_step_in_sample(self, y: np.ndarray, X: np.ndarray | None) -> np.ndarray | None:
        """In-sample one-step-ahead forecasts of the fitted history ``y`` (NaN where none).

        For models that can compute these directly (Theta, inside the window
        it was fitted on); None (the default) means the model has none, and
        ``TrendForecaster.fitted_values`` then runs ``_update`` over each
        prefix for the models that support update.
        """
        return None

    # -- hooks for model authors -------------------------------------------------------
    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        raise NotImplementedError

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        raise NotImplementedError

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        raise NotImplementedError

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Name shown in forecasts and reports (may include the chosen form)."""
        return self.family

    def _check_fitted(self) -> None:
        if not hasattr(self, "y_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(y) before predict."
            )

    def _check_X(self, X: np.ndarray | None, n: int, what: str) -> np.ndarray | None:
        if X is None:
            return None
        try:
            arr = np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ModelFitError(f"{what} must be numeric: {exc}") from exc
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[0] != n:
            raise ModelFitError(
                f"{what} must have one row per observation ({n}), got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ModelFitError(f"{what} contains missing or infinite values")
        return arr.copy()

    def _check_future(self, h: int, X_future: np.ndarray | None) -> np.ndarray | None:
        """Future covariates must match the training covariates, one row per period."""
        X_train = getattr(self, "X_", None)
        if X_train is None:
            if X_future is not None:
                raise ParameterError(f"{self.family} was fitted without covariates; drop X_future")
            return None
        if X_future is None:
            raise ParameterError(
                f"{self.family} was fitted with {X_train.shape[1]} covariate(s); "
                f"pass X_future with {h} rows"
            )
        try:
            arr = self._check_X(X_future, h, "X_future")
        except ModelFitError as exc:
            raise ParameterError(str(exc)) from exc
        assert arr is not None
        if arr.shape[1] != X_train.shape[1]:
            raise ParameterError(
                f"X_future has {arr.shape[1]} column(s); the model was fitted with "
                f"{X_train.shape[1]}"
            )
        return arr

    def _append_X(self, n_new: int, X_new: np.ndarray | None) -> np.ndarray | None:
        X_train = getattr(self, "X_", None)
        if X_train is None:
            if X_new is not None:
                raise ParameterError(f"{self.family} was fitted without covariates; drop X_new")
            return None
        if X_new is None:
            raise ParameterError(f"{self.family} was fitted with covariates; pass X_new too")
        arr = self._check_X(X_new, n_new, "X_new")
        assert arr is not None
        if arr.shape[1] != X_train.shape[1]:
            raise ParameterError(
                f"X_new has {arr.shape[1]} column(s); the model was fitted with {X_train.shape[1]}"
            )
        return np.vstack([X_train, arr])

    @staticmethod
    def _check_y(y: np.ndarray, allow_empty: bool = False) -> np.ndarray:
        try:
            arr = np.asarray(y, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ModelFitError(f"y must be numeric: {exc}") from exc
        if arr.ndim != 1:
            raise ModelFitError(f"y must be one-dimensional, got shape {arr.shape}")
        if arr.size == 0 and not allow_empty:
            raise ModelFitError("y is empty")
        if not np.all(np.isfinite(arr)):
            raise ModelFitError("y contains missing or infinite values")
        return arr.copy()
