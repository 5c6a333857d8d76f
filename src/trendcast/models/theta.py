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
        return ModelTags(min_length=4, produces_samples=True)

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

    def _components(self, h: int) -> tuple[np.ndarray, np.ndarray, float, float, bool]:
        """Forecast, seasonal factors, SES alpha, innovation variance, multiplicative?"""
        res = self.results_
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mean = np.asarray(res.forecast(h, theta=self.theta), dtype=float)
            season = np.asarray(res.forecast_components(h)["seasonal"], dtype=float)
            alpha = float(np.asarray(res.params)[1])
            sigma2 = float(res.sigma2)
        if not (np.all(np.isfinite(mean)) and np.isfinite(sigma2) and np.isfinite(alpha)):
            raise ModelFitError("Theta produced non-finite forecasts")
        return mean, season, alpha, sigma2, not res.model.method.startswith("add")

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        # statsmodels' own prediction_intervals uses sigma2 * (1 + (h-1)(1 + (alpha-1)^2))
        # on the seasonally adjusted scale and does not re-seasonalize the bounds, which
        # gave intervals several times too wide on monthly retail data. Like R's thetaf(),
        # use the SES variance sigma2 * (1 + (h-1) alpha^2) on the adjusted scale and
        # re-seasonalize the bounds with the forecast.
        mean, season, alpha, sigma2, multiplicative = self._components(h)
        adjusted = mean / season if multiplicative else mean - season
        sigma = np.sqrt(sigma2 * (1 + np.arange(h) * alpha**2))
        base = ModelForecast.from_normal(adjusted, sigma, levels)
        out = ModelForecast(mean=mean)
        for level in levels:
            lo, hi = base.lower[level], base.upper[level]
            out.lower[level] = lo * season if multiplicative else lo + season
            out.upper[level] = hi * season if multiplicative else hi + season
        return out

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """SES innovation paths on the adjusted scale, re-seasonalized.

        On the seasonally adjusted scale the model is simple exponential
        smoothing: ``y[n+j] = forecast[j] + e[n+j] + alpha * (e[n+1] + ... + e[n+j-1])``
        with independent ``N(0, sigma2)`` innovations, whose variance is the
        ``sigma2 * (1 + (j-1) alpha^2)`` of the intervals. Re-seasonalizing
        (times or plus the seasonal factor) is monotone, so each step's path
        quantiles are the interval bounds of ``predict``.
        """
        mean, season, alpha, sigma2, multiplicative = self._components(h)
        adjusted = mean / season if multiplicative else mean - season
        shocks = rng.standard_normal((n_paths, h)) * np.sqrt(sigma2)
        carried = alpha * np.cumsum(shocks, axis=1) - alpha * shocks  # alpha * sum of earlier
        paths = adjusted + shocks + carried
        return paths * season if multiplicative else paths + season
