"""Naive and seasonal naive forecasts: the baselines that cannot fail."""

from __future__ import annotations

import numpy as np

from trendcast.models._shared import season_length_or_one
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["Naive", "SeasonalNaive"]


class Naive(LocalModel):
    """Repeat the last observation.

    Intervals assume random-walk errors: the standard deviation of one-step
    changes times the square root of the horizon. Sample paths are that
    Gaussian random walk.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import Naive
    >>> Naive().fit(np.array([3.0, 5.0, 4.0])).predict(2).mean
    array([4., 4.])
    """

    family = "Naive"
    _saved_name = "trendcast.Naive"
    _saved_state = {"sigma_": "float"}

    def tags(self) -> ModelTags:
        return ModelTags(min_length=2, supports_update=True, produces_samples=True)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        self.sigma_ = float(np.sqrt(np.mean(np.diff(y) ** 2)))

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Keep ``sigma_``; the forecast follows the newest observation."""

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        steps = np.arange(1, h + 1)
        mean = np.full(h, self.y_[-1])
        return ModelForecast.from_normal(mean, self.sigma_ * np.sqrt(steps), levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """A Gaussian random walk from the last observation, step sd ``sigma_``."""
        steps = rng.standard_normal((n_paths, h)) * self.sigma_
        return self.y_[-1] + np.cumsum(steps, axis=1)


class SeasonalNaive(LocalModel):
    """Repeat the last observed season.

    Intervals and sample paths assume one Gaussian random walk per season
    position, stepping once a season, with the standard deviation of the
    season-on-season changes.

    Parameters
    ----------
    season_length : int, optional
        Periods per season (12 for monthly data). ``None`` lets
        ``TrendForecaster`` set it from the frequency; a bare model then
        uses 1 (plain naive).

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import SeasonalNaive
    >>> y = np.array([1.0, 2, 3, 4, 1, 2, 3, 5])
    >>> SeasonalNaive(season_length=4).fit(y).predict(4).mean
    array([1., 2., 3., 5.])
    """

    family = "SeasonalNaive"
    _saved_name = "trendcast.SeasonalNaive"
    _saved_state = {"sigma_": "float"}

    def __init__(self, season_length: int | None = None) -> None:
        self.season_length = season_length

    def _m(self) -> int:
        return season_length_or_one(self.season_length)

    def tags(self) -> ModelTags:
        return ModelTags(min_length=self._m() + 1, supports_update=True, produces_samples=True)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        m = self._m()
        self.sigma_ = float(np.sqrt(np.mean((y[m:] - y[:-m]) ** 2)))

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Keep ``sigma_``; the forecast repeats the newest season."""

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        m = self._m()
        last = self.y_[-m:]
        steps = np.arange(h)
        mean = last[steps % m]
        seasons = steps // m + 1
        return ModelForecast.from_normal(mean, self.sigma_ * np.sqrt(seasons), levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """One Gaussian random walk per season position, stepping once a season."""
        m = self._m()
        n_seasons = -(-h // m)
        steps = rng.standard_normal((n_paths, n_seasons, m)) * self.sigma_
        walks = np.cumsum(steps, axis=1).reshape(n_paths, n_seasons * m)[:, :h]
        return self.y_[-m:][np.arange(h) % m] + walks
