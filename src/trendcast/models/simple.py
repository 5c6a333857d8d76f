"""Simple baselines: the random walk with drift and the average of a window.

Use them as yardsticks, and as forecasts of last resort for short or odd
series: a model that does not beat them on a category's own history is not
worth its cost there.

- [`Drift`][trendcast.models.Drift] continues the line through the first and
  the last observation (R's ``rwf(drift=TRUE)``); it suits series that grow
  or shrink steadily without a season.
- [`WindowAverage`][trendcast.models.WindowAverage] forecasts the mean of the
  last ``window`` observations (the whole history with ``window=None``); it
  suits series that vary around a stable level.
"""

from __future__ import annotations

import numpy as np

from trendcast.exceptions import ModelFitError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["Drift", "WindowAverage"]


class Drift(LocalModel):
    """Random walk with drift: the line through the first and last observation.

    The forecast ``h`` periods ahead is ``y[T] + h * b`` with the drift
    ``b = (y[T] - y[1]) / (T - 1)``, the mean one-period change. The
    intervals are those of R's ``rwf(drift=TRUE)`` (Hyndman and
    Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., 5.5):
    normal, with standard deviation ``sigma * sqrt(h * (1 + h / (T - 1)))``
    where ``sigma`` is the standard deviation of the one-period changes
    around the drift (divisor ``T - 2``: ``T - 1`` changes, one estimated
    drift). The ``h / (T - 1)`` term is the uncertainty of the estimated
    drift, which grows with the square of the horizon.

    ``update`` keeps the drift and ``sigma`` and continues from the newest
    observation. Sample paths draw a drift from its sampling distribution
    and add random-walk steps, so their spread matches the intervals.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import Drift
    >>> Drift().fit(np.array([10.0, 13.0, 12.0, 16.0])).predict(2).mean
    array([18., 20.])
    """

    family = "Drift"
    _saved_name = "trendcast.Drift"
    _saved_state = {"drift_": "float", "sigma_": "float", "drift_se_": "float"}

    def tags(self) -> ModelTags:
        return ModelTags(min_length=3, supports_update=True, produces_samples=True)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        changes = np.diff(y)
        self.drift_ = float(changes.mean())
        self.sigma_ = float(np.sqrt(np.sum((changes - self.drift_) ** 2) / (changes.size - 1)))
        # the drift is the mean of T - 1 changes: its standard error is sigma / sqrt(T - 1)
        self.drift_se_ = self.sigma_ / float(np.sqrt(changes.size))

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Keep the drift and its uncertainty; the line restarts from the newest value."""

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        steps = np.arange(1, h + 1, dtype=float)
        mean = self.y_[-1] + steps * self.drift_
        sd = np.sqrt(self.sigma_**2 * steps + (steps * self.drift_se_) ** 2)
        return ModelForecast.from_normal(mean, sd, levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        drifts = self.drift_ + self.drift_se_ * rng.standard_normal((n_paths, 1))
        shocks = self.sigma_ * rng.standard_normal((n_paths, h))
        return self.y_[-1] + np.cumsum(drifts + shocks, axis=1)


class WindowAverage(LocalModel):
    """The mean of the last ``window`` observations, repeated over the horizon.

    Parameters
    ----------
    window : int, optional
        Number of most recent observations averaged; ``None`` (the default)
        averages the whole history (the "mean method").

    Notes
    -----
    The intervals are normal with a width that does not grow with the
    horizon: the model assumes the series varies around a stable level.

    - ``window=None``: the closed form of the mean method,
      ``sigma * sqrt(1 + 1 / T)`` with ``sigma`` the standard deviation of
      the observations around their mean (divisor ``T - 1``).
    - ``window=w``: ``sigma`` is the root mean squared error of the rule on
      the history, each observation forecast by the mean of the ``w``
      observations before it. These errors already contain the uncertainty
      of a ``w``-point mean, and any wandering of the level within a window.

    ``update`` keeps ``sigma`` and averages the newest window. Sample paths
    are independent normal draws around the mean, as the intervals assume.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import WindowAverage
    >>> y = np.array([4.0, 8.0, 5.0, 7.0, 6.0])
    >>> WindowAverage(window=3).fit(y).predict(2).mean
    array([6., 6.])
    >>> WindowAverage().fit(y).predict(1).mean
    array([6.])
    """

    family = "WindowAverage"
    _saved_name = "trendcast.WindowAverage"
    _saved_state = {"sigma_": "float"}

    def __init__(self, window: int | None = None) -> None:
        self.window = window

    def _window(self) -> int | None:
        w = self.window
        if w is None:
            return None
        if isinstance(w, bool) or not isinstance(w, int | np.integer) or w < 1:
            raise ModelFitError(
                f"window={w!r} is not a number of periods; pass a positive integer, "
                "or None to average the whole history"
            )
        return int(w)

    def tags(self) -> ModelTags:
        w = self.window
        # two errors of the rule at least, so that sigma is estimated
        min_length = int(w) + 2 if isinstance(w, int | np.integer) and w >= 1 else 2
        return ModelTags(min_length=min_length, supports_update=True, produces_samples=True)

    @property
    def name(self) -> str:
        return self.family if self.window is None else f"{self.family}({self.window})"

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        w = self._window()
        if w is None:
            sd = float(np.std(y, ddof=1))
            self.sigma_ = sd * float(np.sqrt(1.0 + 1.0 / y.size))
            return
        # forecast of y[t] by the rule: the mean of y[t-w:t], for t = w..T-1
        csum = np.concatenate([[0.0], np.cumsum(y)])
        window_means = (csum[w:-1] - csum[: -w - 1]) / w
        errors = y[w:] - window_means
        self.sigma_ = float(np.sqrt(np.mean(errors**2)))

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Keep ``sigma_``; the forecast averages the newest window."""

    def _level(self) -> float:
        w = self._window()
        return float(np.mean(self.y_ if w is None else self.y_[-w:]))

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        return ModelForecast.from_normal(np.full(h, self._level()), np.full(h, self.sigma_), levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        return self._level() + self.sigma_ * rng.standard_normal((n_paths, h))
