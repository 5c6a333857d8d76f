"""Save and load fitted forecasters as JSON and NumPy arrays, never as code.

A saved forecaster is a directory (or one ``.zip`` / ``.tar`` archive of the
same files)::

    manifest.json          format and library version, frequency, columns,
                           fit date, categories, SHA-256 and size of every
                           other file, the manifest's own SHA-256
    forecaster.json        constructor parameters, frequency, season length,
                           the fit plan, fit and selection reports, prototypes
    categories.json        per category: the fitted model (type name,
                           parameters, fitted state), fallback chain, history
    arrays/float64.npy     every float array (histories, parameters), flat
    arrays/int64.npy       integer arrays (last dates), flat
    estimators/<n>.skops   scikit-learn estimators inside a model (skops)
    pools/<n>.npy          a PooledRegression pool's remembered forecasts (a
                           row a window: the window, then its forecasts), for
                           the pool whose first regressor is estimators/<n>
    prophet/<n>.json       Prophet models (Prophet's own JSON serializer)
    pickled/<n>.joblib     only with ``allow_pickle=True``: objects that have
                           no safe format, for files you trust

Loading reads only these formats: JSON is parsed, arrays are read with
``allow_pickle=False``, models are built from an explicit allow-list
([`ALLOWED_MODELS`][trendcast.persistence.ALLOWED_MODELS]) that names the class
behind each stable type name and the fitted attributes it may restore; nothing
else is imported or constructed from a file, and text fields are data, never
decoded. A load reads only a regular file or directory, only the members its
manifest lists, each in bounded chunks within its listed size and the load
limit (1 GiB, ``TRENDCAST_MAX_LOAD_BYTES``); every damaged file is a
``PersistenceError``. ``save`` stages each save beside its target and puts
it in place in one step (see "Concurrent saves" in the guide). Statsmodels
results are not stored: their parameters and data are, and the results are
rebuilt without re-estimation. Categories are rebuilt when first used, so loading a forecaster
of a thousand categories to forecast one of them is fast.

The package, one responsibility a module: ``_archive`` (the files <-> a
directory, ``.zip`` or ``.tar``; the manifest and its checksums),
``_allowlists`` (the model and object types a file may name, built from
what each model class declares it saves), ``_codec`` (values <-> tagged
JSON, flat arrays, skops and Prophet members) and ``_forecaster`` (a forecaster's
parameters and ``ForecasterState`` <-> ``forecaster.json`` and
``categories.json``). The package knows nothing of ``TrendForecaster``: its
``save`` and ``trendcast.load`` call ``write_forecaster`` and
``read_forecaster``.

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

import contextlib
import gc
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from trendcast._engine.state import ForecasterState
from trendcast.exceptions import PersistenceError, TrendcastError
from trendcast.persistence._allowlists import (
    ALLOWED_MODELS,
    ALLOWED_OBJECTS,
    _check_tags,
    _tags_allowed,
)
from trendcast.persistence._archive import (
    FORMAT_VERSION,
    MANIFEST,
    _format_of,
    _manifest,
    _parse_json,
    _read_files,
    _store,
)
from trendcast.persistence._codec import _Reader
from trendcast.persistence._codec import _Writer as _Writer
from trendcast.persistence._forecaster import _assemble, _category_lines, _forecaster_files
from trendcast.persistence._remote import read_remote, remote_format, resolve, write_remote

__all__ = [
    "ALLOWED_MODELS",
    "ALLOWED_OBJECTS",
    "FORMAT_VERSION",
    "read_forecaster",
    "write_forecaster",
]


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No garbage collection inside: parsing categories.json creates an object per value,
    and the collector, triggered by allocations, would walk them again and again (it
    tripled the parse of a 1,000-category save); nothing parsed is garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_forecaster(
    params: dict[str, Any],
    state: ForecasterState,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    overwrite: bool = False,
    allow_pickle: bool = False,
) -> Path | str:
    """Write a forecaster's parameters and fitted state to ``path``.

    What [`TrendForecaster.save`][trendcast.TrendForecaster.save] does.

    Parameters
    ----------
    params : dict
        The constructor parameters (``get_params(deep=False)``).
    state : ForecasterState
        The fitted state (``state_``).
    path : str or path-like
        The directory, ``.zip`` or ``.tar`` archive to write, or a URL
        (``s3://``, ``gs://``, ``memory://``..., through fsspec: one ``.zip``
        object, or ``.tar`` for a URL ending in ``.tar``; ``file://`` is a
        local path).
    format : {"dir", "zip", "tar"}, optional
        The layout; default: from the suffix of ``path`` (``"dir"`` is refused
        for a URL).
    overwrite : bool
        Replace an existing save at ``path``.
    allow_pickle : bool
        Store objects that have no safe format with joblib.

    Returns
    -------
    Path or str
        ``path`` (the URL, as given, for a save at a URL).

    Raises
    ------
    ParameterError
        When ``format`` is not one of the three.
    MissingDependencyError
        For a URL whose fsspec file system is not installed (``trendcast[cloud]``,
        and ``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``...).
    PersistenceError
        When the state holds something this format cannot store safely (and
        ``allow_pickle`` is False), or ``path`` exists and may not be replaced.
    """
    target = resolve(path)
    if isinstance(target, str):
        kind = remote_format(target, format)
    else:
        kind = _format_of(target, format)
    files, facts = _forecaster_files(params, state, allow_pickle)
    files[MANIFEST] = _manifest(files, facts)
    if isinstance(target, str):
        write_remote(files, target, kind, overwrite)  # one put of the archive's bytes
    else:
        _store(files, target, kind, overwrite)
    return target


def read_forecaster(
    path: str | os.PathLike[str],
    *,
    allow_pickle: bool = False,
    categories: Sequence[Any] | None = None,
    parameters: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], ForecasterState]:
    """Read the parameters and fitted state that ``write_forecaster`` wrote.

    What [`trendcast.load`][trendcast.load] does before it builds the
    forecaster; see there for the arguments and the errors.

    Parameters
    ----------
    path : str or path-like
        The directory, ``.zip`` or ``.tar`` archive, or a URL (see
        ``write_forecaster``).
    allow_pickle : bool
        Also read objects stored with pickle/joblib (only for trusted files).
    categories : sequence, optional
        Read only these categories. Default: all.
    parameters : frozenset of str
        The forecaster's parameter names: a saved one outside them is refused.

    Returns
    -------
    params : dict
        The constructor parameters.
    state : ForecasterState
        The fitted state; each category's fit is rebuilt when first used.

    Raises
    ------
    PersistenceError
        When a file is missing, extra, changed, malformed, from a newer format
        version, names a type off the allow-list, or holds pickled data
        without ``allow_pickle=True``.
    """
    source = resolve(path)
    if isinstance(source, str):
        files = read_remote(source)  # one bounded read of the archive, verified alike
    else:
        files = _read_files(source)  # the manifest and every member it lists, verified
    for name in ("forecaster.json", "categories.json"):
        if name not in files:
            raise PersistenceError(f"{source}: {name} is missing")
    reader = _Reader(files, str(source), allow_pickle)
    allowed = _tags_allowed(files["categories.json"])  # the quick scan proves it for most saves
    lines = _category_lines(files["categories.json"]) if allowed else None
    with _gc_paused():  # a million small objects: the collector would run every few thousand
        state = _parse_json(files["forecaster.json"], f"{source}: forecaster.json")
        if lines is None:  # an older layout, or tags the scan cannot prove: parsed whole
            cats: Any = _parse_json(files["categories.json"], f"{source}: categories.json")
    if not _tags_allowed(files["forecaster.json"]):
        _check_tags(state, "forecaster.json", str(source), allow_pickle)
    if lines is None and not allowed:
        _check_tags(cats, "categories.json", str(source), allow_pickle)
    if lines is not None:
        cats = lines
    # the reader keeps the binary members for the categories built later; the JSON ones
    # are parsed (or split into entries) and would only double the loaded forecaster's size
    del files["forecaster.json"], files["categories.json"]
    try:
        return _assemble(reader, state, cats, categories, parameters)
    except TrendcastError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, OverflowError) as exc:
        raise PersistenceError(
            f"{source}: forecaster.json or categories.json lacks or misstates a field ({exc!r})"
        ) from exc
    except RecursionError as exc:
        raise PersistenceError(
            f"{source}: forecaster.json or categories.json is nested too deep to be a "
            "trendcast file"
        ) from exc
