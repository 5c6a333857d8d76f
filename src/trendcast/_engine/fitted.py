"""In-sample one-step-ahead predictions of a fitted forecaster: ``fitted_values``.

A mixin of ``TrendForecaster`` (as ``FittedAttributes`` is): it reads the
forecaster's ``ForecasterState`` through ``_fitted()`` and runs the per-category
work through the forecaster's ``_map`` (so ``n_jobs`` and ``backend`` apply).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from trendcast._engine.fitting import fitted_item
from trendcast._engine.frames import as_output
from trendcast._engine.spec import check_output
from trendcast._engine.state import FittedAttributes


class FittedValues(FittedAttributes):
    """``fitted_values()`` for a forecaster that runs work through ``_map``."""

    def fitted_values(
        self, ids: Sequence[Any] | None = None, output: str = "frame"
    ) -> pd.DataFrame:
        """In-sample one-step-ahead predictions beside the actuals, per category.

        As statsforecast's ``forecast_fitted_values()``: for each fitted
        period, the forecast of that period made from the periods before it,
        with the parameters the model was fitted with (nothing re-estimated:
        the model's state is run forward over the earlier periods, as
        ``update`` does). Residuals are ``y - mean``; ``tc.metrics.mae`` and
        the other metrics take the frame as is.

        Which periods have a value (the rule for NaN):

        - the first ``min_length`` periods of a category (the model's fewest
          observations) are NaN: there is no state yet to forecast from;
        - ``Theta`` is fitted on its recent seasons (eight, for a seasonal
          series): it has values inside that window only (from its second
          period), computed from its fitted line;
        - a model that can neither run forward with fixed parameters (its
          ``supports_update`` tag) nor compute them directly (``Prophet``)
          gives NaN for every period; its ``model`` column still names it;
        - a combination has the mean or median of its members where every
          member has a value, NaN elsewhere (``"auto"``'s median
          combination: the periods of Theta's window);
        - means are clipped at zero unless ``allow_negative=True``, as in
          ``predict``; no intervals and no conformal calibration.

        The cost grows with the square of the history's length (the state is
        run over each prefix): about a second a category for ETS on 30 years
        of months, several for ARIMA (``"auto"``: 18 s for two such
        categories on one core).

        Parameters
        ----------
        ids : sequence, optional
            Only these categories. Default: all.
        output : {"frame", "nixtla"}
            ``"nixtla"``: ``unique_id, ds, y, TrendForecaster`` (in your column
            names), the layout of statsforecast's fitted values.

        Returns
        -------
        DataFrame
            ``<id_col>, <time_col>, <target_col>, model, mean``, a row per
            fitted period, sorted by category and date.

        Examples
        --------
        >>> import trendcast as tc
        >>> sales = tc.datasets.load_us_retail(categories=["448"])
        >>> fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales)
        >>> fitted = fc.fitted_values()
        >>> list(fitted.columns)
        ['unique_id', 'ds', 'y', 'model', 'mean']
        >>> bool((fitted["mean"].iloc[2:].to_numpy() == fitted["y"].iloc[1:-1].to_numpy()).all())
        True
        """
        state = self._fitted()
        check_output(output)
        spec, keys = state.spec, state.select(ids)
        items = [(state.fits[k], state.y[k], state.X[k]) for k in keys]
        results = self._map(fitted_item, items, desc="fitted values")
        frames = []
        for key, mean in zip(keys, results, strict=True):
            y = state.y[key]
            if not spec.allow_negative:
                mean = np.where(np.isnan(mean), mean, np.maximum(mean, 0.0))
            dates = pd.date_range(end=state.last_dates[key], periods=y.size, freq=spec.freq)
            frames.append(
                pd.DataFrame(
                    {
                        spec.id_col: np.repeat(np.array([key], dtype=object), y.size),
                        spec.time_col: dates,
                        spec.target_col: y,
                        "model": state.fits[key].used,
                        "mean": mean,
                    }
                )
            )
        columns = [spec.id_col, spec.time_col, spec.target_col, "model", "mean"]
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        return as_output(out, output)
