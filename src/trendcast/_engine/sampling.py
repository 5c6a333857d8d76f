"""Joint sample paths of a fitted forecaster: ``sample_paths``.

A mixin of ``TrendForecaster`` (as ``FittedAttributes`` is): it reads the
forecaster's ``ForecasterState`` through ``_fitted()`` and runs each category's
draws through the forecaster's ``_map`` (so ``n_jobs`` and ``backend`` apply);
the conformal rescaling of the paths is ``calibrate.calibrated_paths``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trendcast._engine.calibrate import calibrated_paths
from trendcast._engine.fitting import category_seeds, sample_series
from trendcast._engine.frames import paths_frame
from trendcast._engine.inputs import (
    check_future_dates,
    check_horizon,
    check_path_count,
    future_covariates,
)
from trendcast._engine.spec import check_horizon_size, check_positive
from trendcast._engine.state import FittedAttributes
from trendcast._frames import accepts_frames
from trendcast.exceptions import ParameterError


class SamplePaths(FittedAttributes):
    """``sample_paths()`` for a forecaster that runs work through ``_map``."""

    @accepts_frames
    def sample_paths(
        self,
        h: int,
        n_paths: int = 1000,
        random_state: int | None = None,
        output: str = "frame",
        X_df: pd.DataFrame | None = None,
        ids: Sequence[Any] | None = None,
    ) -> pd.DataFrame | dict[Any, np.ndarray]:
        """Draw joint sample paths of the next ``h`` periods for every category.

        Each category's model draws paths (its own stochastic model; see
        "Intervals and calibration" in the docs). With ``calibration="conformal"``
        each path's deviation from the mean is rescaled so that, step by step,
        the paths have the quantiles of the calibrated intervals of
        [`predict`][trendcast.TrendForecaster.predict]; the ordering of the
        paths, hence their dependence over the horizon, is the model's. Paths
        are clipped at zero unless ``allow_negative=True``.

        Parameters
        ----------
        h : int
            Number of periods ahead.
        n_paths : int
            Paths per category.
        random_state : int, optional
            Seed: the same seed gives the same paths, whatever ``n_jobs``.
        output : {"frame", "arrays"}
            ``"frame"``: a long DataFrame ``<id_col>, <time_col>, path,
            <target_col>`` (one row per category, path and period, sorted in
            that order), for plotting and pandas work. ``"arrays"``: a dict
            from category to an array of shape ``(n_paths, h)`` (periods in
            order), for computations over many paths.
        X_df : DataFrame, optional
            Future values of the ``future_covariates``, as for
            [`predict`][trendcast.TrendForecaster.predict]; models that take
            covariates then draw their own paths given them. Past covariates
            need nothing here (beyond their lag, with ``beyond_lag="forecast"``,
            each path follows its own path of the covariate).
        ids : sequence, optional
            Draw paths for these categories only; a category's paths are the
            same whether it is drawn alone or with the others. Default: all.

        Returns
        -------
        DataFrame or dict of arrays

        Raises
        ------
        ParameterError
            For ``h`` or ``n_paths`` that are not whole numbers of 1 or more,
            ``h`` above 10,000, more than 100,000,000 values in one call, an
            unknown ``output``, or a ``random_state`` numpy cannot seed with.

        Examples
        --------
        >>> import trendcast as tc
        >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
        >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
        >>> paths = fc.sample_paths(h=3, n_paths=100, random_state=0)
        >>> list(paths.columns), len(paths)
        (['unique_id', 'ds', 'path', 'y'], 600)
        >>> fc.sample_paths(h=3, n_paths=100, output="arrays")["448"].shape
        (100, 3)
        """
        state = self._fitted()
        h = check_horizon_size(h)
        n_paths = check_positive("n_paths", n_paths)
        if output not in ("frame", "arrays"):
            raise ParameterError(f"output={output!r} is not understood; pass 'frame' or 'arrays'")
        spec, keys, search_keys = state.spec, state.select(ids), state.search_keys()
        check_horizon(spec, h, "sample_paths:", bool(search_keys))
        check_path_count(len(keys), n_paths, h)
        check_future_dates(spec, state.last_dates, h)
        future = future_covariates(spec, X_df, state.last_dates, keys, h, search_keys)
        seeds = category_seeds(state.keys, random_state)
        models = state.models
        items = [(models[k], state.y[k], seeds[k], future.get(k)) for k in keys]
        results = self._map(sample_series, items, h, n_paths, desc="sampling")
        arrays = calibrated_paths(state, keys, results)
        if output == "arrays":
            return arrays
        return paths_frame(spec, arrays, state.last_dates, h)
