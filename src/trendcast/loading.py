"""``trendcast.load``: a saved forecaster back as a fitted ``TrendForecaster``.

Beside the forecaster rather than in it: ``persistence`` maps files to
``(params, ForecasterState)`` and knows nothing of ``TrendForecaster``; this is
where the two meet.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from trendcast.forecaster import TrendForecaster

__all__ = ["load"]


def load(
    path: str | os.PathLike[str],
    *,
    allow_pickle: bool = False,
    categories: Sequence[Any] | None = None,
) -> TrendForecaster:
    """Load a forecaster written by [`TrendForecaster.save`][trendcast.TrendForecaster.save].

    Parameters
    ----------
    path : str or path-like
        The directory, ``.zip`` or ``.tar`` archive that ``save`` wrote, or
        the URL it wrote to (``s3://...``, ``gs://...``, ``memory://...``;
        see [`TrendForecaster.save`][trendcast.TrendForecaster.save]).
    allow_pickle : bool
        Also read objects that were stored with pickle/joblib (they can run
        code while loading). Only for files you trust.
    categories : sequence, optional
        Load only these categories (faster, and the forecaster then predicts
        only them). Default: all.

    Returns
    -------
    TrendForecaster
        Fitted: it can ``predict``, ``update`` and ``save``. Each category's
        model is rebuilt the first time it is used.

    Raises
    ------
    PersistenceError
        When a file is missing, extra, changed since saving (SHA-256),
        malformed, from a newer format version, names a model type that is
        not on the allow-list, or holds pickled data without
        ``allow_pickle=True``. The message names the file and the reason.
    MissingDependencyError
        For a URL whose fsspec file system is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
    >>> fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales)
    >>> path = fc.save(pathlib.Path(tempfile.mkdtemp()) / "retail.zip")
    >>> tc.load(path, categories=["448"]).predict(2)["unique_id"].unique().tolist()
    ['448']
    """
    return TrendForecaster.load(path, allow_pickle=allow_pickle, categories=categories)
