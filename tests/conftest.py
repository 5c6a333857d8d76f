"""Shared fixtures: small panels built in the test, real data from the package."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast.models import LocalModel, ModelForecast, ModelTags


@pytest.fixture(scope="session")
def retail_small() -> pd.DataFrame:
    """Four real US Census categories (monthly, 1992-2024)."""
    return tc.datasets.load_us_retail(categories=["441", "445", "448", "4541"])


def make_panel(
    n_series: int = 3,
    n: int = 60,
    freq: str = "MS",
    start: str = "2019-01-01",
    seed: int = 0,
    season_length: int = 12,
) -> pd.DataFrame:
    """A seasonal panel with trend and noise, in the default column names."""
    rng = np.random.default_rng(seed)
    frames = []
    dates = pd.date_range(start, periods=n, freq=freq)
    t = np.arange(n)
    for i in range(n_series):
        level = 100 + 20 * i
        y = level + 0.5 * t + 10 * np.sin(2 * np.pi * t / season_length) + rng.normal(0, 2, n)
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": dates, "y": y}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def panel() -> pd.DataFrame:
    return make_panel()


class LinearOnX(LocalModel):
    """Least squares of y on [1, X]: a real (if small) covariate model for these tests."""

    family = "LinearOnX"

    def tags(self) -> ModelTags:
        return ModelTags(min_length=3, supports_exogenous=True, requires_exogenous=True)

    def _fit(self, y, X):
        design = np.column_stack([np.ones(y.size), X])
        self.coef_, *_ = np.linalg.lstsq(design, y, rcond=None)
        self.sigma_ = float(np.std(y - design @ self.coef_)) + 1e-9

    def _predict(self, h, X_future, levels):
        mean = np.column_stack([np.ones(h), X_future]) @ self.coef_
        return ModelForecast.from_normal(mean, np.full(h, self.sigma_), levels)
