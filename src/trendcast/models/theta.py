"""The Theta method (Assimakopoulos and Nikolopoulos, 2000) through statsmodels."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from trendcast.exceptions import ModelFitError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["Theta"]


class Theta(LocalModel):
    """Standard Theta: simple exponential smoothing plus half the linear trend.

    Seasonality is removed first by classical decomposition when a test on
    the autocorrelation at the season length finds it (multiplicative on
    positive data, else additive), and restored afterwards.

    Parameters
    ----------
    season_length : int, optional
        Periods per season; ``None`` lets ``TrendForecaster`` set it.
    theta : float
        Weight of the trend line; 2 is the classic method.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    >>> tc.models.Theta(season_length=12).fit(y).predict(3).mean.shape
    (3,)
    """

    family = "Theta"

    def __init__(self, season_length: int | None = None, theta: float = 2.0) -> None:
        self.season_length = season_length
        self.theta = theta

    def tags(self) -> ModelTags:
        return ModelTags(min_length=4)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        if np.ptp(y) == 0:
            raise ModelFitError("the series is constant; Theta cannot be estimated")
        m = max(int(self.season_length or 1), 1)
        seasonal = m > 1 and y.size >= 2 * m
        method = "auto" if np.all(y > 0) else "additive"
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                self.results_: Any = ThetaModel(
                    y, period=m if seasonal else 1, deseasonalize=seasonal, method=method
                ).fit()
            except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
                raise ModelFitError(f"Theta could not be estimated: {exc}") from exc

    def _predict(self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]) -> ModelForecast:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mean = np.asarray(self.results_.forecast(h, theta=self.theta), dtype=float)
            out = ModelForecast(mean=mean)
            for level in levels:
                pi = self.results_.prediction_intervals(h, theta=self.theta, alpha=1 - level / 100)
                arr = np.asarray(pi, dtype=float)
                out.lower[level] = np.minimum(arr[:, 0], mean)
                out.upper[level] = np.maximum(arr[:, 1], mean)
        if not np.all(np.isfinite(mean)):
            raise ModelFitError("Theta produced non-finite forecasts")
        return out
