"""Save and load fitted forecasters as JSON and NumPy arrays, never as code.

A saved forecaster is a directory (or one ``.zip`` / ``.tar`` archive of the
same files)::

    manifest.json          format and library version, frequency, columns,
                           fit date, categories, SHA-256 of every other file
    forecaster.json        constructor parameters, frequency, season length,
                           the fit plan, fit and selection reports, prototypes
    categories.json        per category: the fitted model (type name,
                           parameters, fitted state), fallback chain, history
    arrays/float64.npy     every float array (histories, parameters), flat
    arrays/int64.npy       integer arrays (last dates), flat
    estimators/<n>.skops   scikit-learn estimators inside a model (skops)
    prophet/<n>.json       Prophet models (Prophet's own JSON serializer)
    pickled/<n>.joblib     only with ``allow_pickle=True``: objects that have
                           no safe format, for files you trust

Loading reads only these formats: JSON is parsed, arrays are read with
``allow_pickle=False``, models are built from an explicit allow-list
([`ALLOWED_MODELS`][trendcast.persistence.ALLOWED_MODELS]) that names the class
behind each stable type name and the fitted attributes it may restore; nothing
else is imported or constructed from a file. Statsmodels results are not
stored: their parameters and data are, and the results are rebuilt without
re-estimation. Categories are rebuilt when first used, so loading a forecaster
of a thousand categories to forecast one of them is fast.

The package, one responsibility a module: ``_archive`` (the files <-> a
directory, ``.zip`` or ``.tar``; the manifest and its checksums),
``_allowlists`` (the model and object types a file may name, built from
what each model class declares it saves), ``_codec`` (values <-> tagged
JSON, flat arrays, skops and Prophet members) and ``_forecaster`` (a fitted
``TrendForecaster`` <-> ``forecaster.json`` and ``categories.json``).

Examples
--------
>>> import tempfile, pathlib
>>> import trendcast as tc
>>> sales = tc.datasets.load_us_retail(categories=["441", "448"])
>>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "retail"
>>> _ = fc.save(path)
>>> again = tc.load(path)
>>> again.predict(3).equals(fc.predict(3))
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trendcast.exceptions import PersistenceError
from trendcast.persistence._allowlists import ALLOWED_MODELS, ALLOWED_OBJECTS, _check_tags
from trendcast.persistence._archive import (
    FORMAT_VERSION,
    MANIFEST,
    _check_manifest,
    _format_of,
    _manifest,
    _parse_json,
    _read_files,
    _store,
)
from trendcast.persistence._codec import _Reader
from trendcast.persistence._codec import _Writer as _Writer
from trendcast.persistence._forecaster import _assemble, _forecaster_files

if TYPE_CHECKING:
    from trendcast.forecaster import TrendForecaster

__all__ = ["ALLOWED_MODELS", "ALLOWED_OBJECTS", "FORMAT_VERSION", "load", "save"]


def save(
    fc: TrendForecaster,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    overwrite: bool = False,
    allow_pickle: bool = False,
) -> Path:
    """Write a fitted forecaster to ``path``; see ``TrendForecaster.save``.

    Parameters
    ----------
    fc : TrendForecaster
        A fitted forecaster.
    path : str or path-like
        The directory, ``.zip`` or ``.tar`` archive to write.
    format : {"dir", "zip", "tar"}, optional
        The layout; default: from the suffix of ``path``.
    overwrite : bool
        Replace an existing save at ``path``.
    allow_pickle : bool
        Store objects that have no safe format with joblib.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        When ``format`` is not one of the three.
    PersistenceError
        When the forecaster holds something this format cannot store safely
        (and ``allow_pickle`` is False), or ``path`` exists and may not be
        replaced.
    """
    target = Path(path)
    kind = _format_of(target, format)
    files, facts = _forecaster_files(fc, allow_pickle)
    files[MANIFEST] = _manifest(files, facts)
    _store(files, target, kind, overwrite)
    return target


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
        The directory, ``.zip`` or ``.tar`` archive that ``save`` wrote.
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
    source = Path(path)
    files = _read_files(source)
    if MANIFEST not in files:
        raise PersistenceError(f"{source}: no {MANIFEST}; this is not a saved trendcast forecaster")
    manifest = _parse_json(files[MANIFEST], f"{source}: {MANIFEST}")
    _check_manifest(manifest, files, str(source))
    for name in ("forecaster.json", "categories.json"):
        if name not in files:
            raise PersistenceError(f"{source}: {name} is missing")
    reader = _Reader(files, str(source), allow_pickle)
    state = _parse_json(files["forecaster.json"], f"{source}: forecaster.json")
    cats = _parse_json(files["categories.json"], f"{source}: categories.json")
    _check_tags(state, "forecaster.json", str(source), allow_pickle)
    _check_tags(cats, "categories.json", str(source), allow_pickle)
    try:
        return _assemble(reader, state, cats, categories)
    except (KeyError, TypeError, AttributeError) as exc:
        raise PersistenceError(
            f"{source}: forecaster.json or categories.json lacks or misstates a field ({exc!r})"
        ) from exc
