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

import base64
import binascii
import dataclasses
import functools
import hashlib
import io
import json
import os
import pickletools
import re
import shutil
import tarfile
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from trendcast.calendar import ShoppingCalendar
from trendcast.exceptions import MissingDependencyError, PersistenceError
from trendcast.models import REGISTRY, LocalModel, Pool

if TYPE_CHECKING:
    from trendcast.forecaster import TrendForecaster

__all__ = ["ALLOWED_MODELS", "ALLOWED_OBJECTS", "FORMAT_VERSION", "load", "save"]

#: the layout version this trendcast writes; it reads every version up to this one
FORMAT_VERSION = 1

MANIFEST = "manifest.json"
_FORMATS = ("dir", "zip", "tar")
_DTYPES = ("float64", "int64", "bool")

_BASE_STATE: dict[str, str] = {"y_": "array", "X_": "array?", "n_obs_": "int"}

#: State written by every save but missing from files of older releases; the model
#: restores those as they were saved then (Theta without n_fit: fitted on the whole
#: history; without adjusted_errors: interval variance from the raw series).
_MAY_BE_MISSING: dict[str, set[str]] = {"trendcast.Theta": {"n_fit", "adjusted_errors"}}

#: What a value read back from a file must be, for each kind a model's
#: ``_saved_state`` may declare (see ``LocalModel._saved_state``).
_KIND_CHECKS: dict[str, Callable[[Any], bool]] = {
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, np.ndarray),
    "array?": lambda v: v is None or isinstance(v, np.ndarray),
    "pool": lambda v: isinstance(v, Pool),
    "tuple": lambda v: (
        isinstance(v, tuple) and all(isinstance(x, str | int | float | bool) for x in v)
    ),
    "model": lambda v: isinstance(v, LocalModel),
    "models": lambda v: isinstance(v, list) and all(isinstance(m, LocalModel) for m in v),
    "sklearn": lambda v: isinstance(v, BaseEstimator) and not isinstance(v, LocalModel),
    "sklearns": lambda v: (
        isinstance(v, list)
        and all(isinstance(e, BaseEstimator) and not isinstance(e, LocalModel) for e in v)
    ),
    "ints": lambda v: (
        isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    ),
    "float|array": lambda v: (
        isinstance(v, np.ndarray) or (isinstance(v, int | float) and not isinstance(v, bool))
    ),
    "prophet": lambda v: (
        type(v).__module__.startswith("prophet.") and type(v).__name__ == "Prophet"
    ),
    "timestamp": lambda v: isinstance(v, pd.Timestamp),
    "strs": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}


def _allowed_models() -> dict[str, tuple[type[LocalModel], dict[str, str]]]:
    """The allow-list, from the saved state each shipped model class declares itself.

    A class in ``trendcast.models.REGISTRY`` is listed when it sets
    ``_saved_name`` in its own body; its ``_saved_state`` may be inherited (SBA
    saves what Croston saves). A subclass that only inherits a name is not
    listed, so it is never saved or loaded as its parent.
    """
    return {
        cls.__dict__["_saved_name"]: (cls, cls._saved_state)
        for cls in REGISTRY
        if cls.__dict__.get("_saved_name") is not None
    }


ALLOWED_MODELS: dict[str, tuple[type[LocalModel], dict[str, str]]] = _allowed_models()
"""The models a file may hold: stable type name -> (class, fitted state and its kinds).

Built from each model class's own declaration (``_saved_name`` and
``_saved_state``, see [`LocalModel`][trendcast.models.LocalModel]), for the
classes in ``trendcast.models.REGISTRY``. A model's ``y_``, ``X_`` and
``n_obs_`` are restored for every model besides the attributes listed; a
kind ending in ``?`` marks a value that may be null. Loading constructs no
other class, and a model class that is not here is saved only with
``allow_pickle=True``.
"""

#: The integer settings and counts of a PooledRegression's Pool, stored beside its
#: regressors and widths.
_POOL_COUNTS = ("window", "level_span", "season_length", "n_series", "n_windows", "n_errors")

#: Types inside scikit-learn estimators that skops does not trust by default but
#: that are plain arrays of a fitted model (the trees of HistGradientBoosting*).
_TRUSTED_SKOPS_TYPES = frozenset(
    {"sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"}
)

#: Parameter objects (no fitted state) that models may hold, stored by their parameters.
ALLOWED_OBJECTS: dict[str, type[BaseEstimator]] = {"trendcast.ShoppingCalendar": ShoppingCalendar}

# Forecaster attributes this format stores (or deliberately leaves out: ``cv_report_``
# describes a cross-validation run, ``_freq`` repeats ``freq_``). Any other fitted
# attribute makes ``save`` refuse, so new state is never dropped silently.
_FORECASTER_STATE = {
    "freq_",
    "season_length_",
    "_plan_",
    "models_",
    "_fits",
    "_y",
    "_X",
    "last_dates_",
    "fit_report_",
    "selection_report_",
    "fitted_at_",
    "_freq",
    "cv_report_",
    "_calibration_",
    "calibration_report_",
}


def _type_name(model: object) -> str | None:
    for name, (cls, _) in ALLOWED_MODELS.items():
        if type(model) is cls:
            return name
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


# ---------------------------------------------------------------------------- writing
class _Writer:
    """Turns Python values into tagged JSON, collecting arrays and binary members."""

    def __init__(self, allow_pickle: bool) -> None:
        self.allow_pickle = allow_pickle
        self.parts: dict[str, list[np.ndarray]] = {d: [] for d in _DTYPES}
        self.size: dict[str, int] = dict.fromkeys(_DTYPES, 0)
        self.seen: dict[bytes, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        # a pool is shared by every category's model: written once
        self.pools: dict[int, tuple[Pool, dict[str, Any]]] = {}

    def array(self, value: np.ndarray, where: str) -> dict[str, Any]:
        arr = np.asarray(value)
        if arr.dtype.kind == "f":
            dtype = "float64"
        elif arr.dtype.kind in "iu":
            dtype = "int64"
        elif arr.dtype.kind == "b":
            dtype = "bool"
        else:
            raise PersistenceError(
                f"{where}: cannot save an array of dtype {arr.dtype}; only numbers and booleans "
                "are stored"
            )
        arr = np.ascontiguousarray(arr, dtype=dtype)
        digest = hashlib.blake2b(
            f"{dtype}{arr.shape}".encode() + arr.tobytes(), digest_size=16
        ).digest()
        if digest in self.seen:  # the same history held by the forecaster and its model
            return self.seen[digest]
        ref = {"$array": [dtype, self.size[dtype], list(arr.shape)]}
        self.parts[dtype].append(arr.ravel())
        self.size[dtype] += arr.size
        self.seen[digest] = ref
        return ref

    def blob(self, folder: str, suffix: str, data: bytes) -> str:
        n = sum(1 for name in self.files if name.startswith(folder + "/"))
        name = f"{folder}/{n}{suffix}"
        self.files[name] = data
        return name

    def value(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer):
            return int(value)
        if isinstance(value, float | np.floating):
            v = float(value)
            return v if np.isfinite(v) else {"$float": str(v)}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, pd.Timestamp):
            return {"$timestamp": value.isoformat()}
        if isinstance(value, tuple):
            return {"$tuple": [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {
                "$dict": [
                    [self.value(k, f"{where} key"), self.value(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ]
            }
        if isinstance(value, LocalModel):
            return self.model(value, where)
        if isinstance(value, Pool):
            return self.pool(value, where)
        for name, cls in ALLOWED_OBJECTS.items():
            if type(value) is cls:
                params = {
                    k: self.value(v, f"{where}.{k}")
                    for k, v in value.get_params(deep=False).items()
                }
                return {"$object": {"type": name, "params": params}}
        return self.opaque(value, where)

    def model(self, model: LocalModel, where: str) -> dict[str, Any]:
        name = _type_name(model)
        if name is None:
            return self.opaque(model, where)
        _, state_kinds = ALLOWED_MODELS[name]
        params = {k: self.value(v, f"{where}.{k}") for k, v in model.get_params(deep=False).items()}
        spec: dict[str, Any] = {"type": name, "params": params, "state": None}
        if hasattr(model, "y_"):
            names = [*_BASE_STATE, *state_kinds]
            state = model._state_to_save(names)
            spec["state"] = {k: self.value(state[k], f"{where}.{k}") for k in names}
        return {"$model": spec}

    def pool(self, pool: Pool, where: str) -> dict[str, Any]:
        """A PooledRegression's regressors (skops) and widths, once however many models share it."""
        if id(pool) not in self.pools:
            node = {
                "$pool": {
                    "estimators": [
                        None if e is None else self.opaque(e, f"{where} step {k + 1}")
                        for k, e in enumerate(pool.estimators)
                    ],
                    "step_scale": self.array(pool.step_scale, f"{where} step_scale"),
                    **{name: int(getattr(pool, name)) for name in _POOL_COUNTS},
                }
            }
            self.pools[id(pool)] = (pool, node)
        return self.pools[id(pool)][1]

    def opaque(self, value: Any, where: str) -> dict[str, Any]:
        """Objects without a JSON form: scikit-learn via skops, Prophet via its JSON."""
        module = type(value).__module__
        if module.startswith("prophet.") and type(value).__name__ == "Prophet":
            from prophet.serialize import model_to_json

            return {"$prophet": self.blob("prophet", ".json", model_to_json(value).encode())}
        if isinstance(value, BaseEstimator) and not isinstance(value, LocalModel):
            return {"$sklearn": self.blob("estimators", ".skops", _skops_dumps(value, where))}
        if not self.allow_pickle:
            raise PersistenceError(
                f"{where}: a {type(value).__module__}.{type(value).__qualname__} has no safe "
                "file format (it is not on trendcast.persistence.ALLOWED_MODELS, nor a "
                "scikit-learn estimator, nor Prophet); save(..., allow_pickle=True) stores it "
                "with joblib, and only trusted readers should then load(..., allow_pickle=True)"
            )
        import joblib

        buffer = io.BytesIO()
        joblib.dump(value, buffer)
        return {"$pickle": self.blob("pickled", ".joblib", buffer.getvalue())}

    def finish(self) -> dict[str, bytes]:
        out = dict(self.files)
        for dtype in _DTYPES:
            if dtype == "float64" or self.parts[dtype]:
                flat = (
                    np.concatenate(self.parts[dtype])
                    if self.parts[dtype]
                    else np.zeros(0, dtype=dtype)
                )
                buffer = io.BytesIO()
                np.save(buffer, flat.astype(dtype, copy=False), allow_pickle=False)
                out[f"arrays/{dtype}.npy"] = buffer.getvalue()
        return out


def _skops_dumps(value: Any, where: str) -> bytes:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops is a dependency
        raise MissingDependencyError(
            f"{where}: saving a scikit-learn estimator needs skops; pip install skops"
        ) from exc
    data = sio.dumps(value)
    # skops numbers objects by first appearance, and a fitted estimator can hold one
    # object twice (HistGradientBoosting's infinite interval bounds) where the same
    # estimator read back holds two: write the estimator as it reads back, so that a
    # loaded forecaster saves the same bytes
    again = sio.loads(data, trusted=sio.get_untrusted_types(data=data) or None)
    return _stable_zip(sio.dumps(again))


def _stable_zip(data: bytes) -> bytes:
    """The same skops zip with fixed timestamps, member names and object ids, so saving
    twice writes the same bytes (skops names members and objects after ``id()``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        members = {info.filename: src.read(info.filename) for info in src.infolist()}
    schema = members.pop("schema.json").decode("utf-8")
    order = sorted(members, key=lambda n: (schema.find(f'"{n}"'), n))
    renamed = {old: f"{i}{Path(old).suffix}" for i, old in enumerate(order)}
    for old, new in renamed.items():
        schema = schema.replace(f'"{old}"', f'"{new}"')
    ids: dict[str, str] = {}  # object ids mark shared references: number them in order
    schema = re.sub(
        r'"__id__": (\d+)',
        lambda m: f'"__id__": {ids.setdefault(m.group(1), str(len(ids)))}',
        schema,
    )
    files = {renamed[n]: members[n] for n in members} | {"schema.json": schema.encode("utf-8")}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in sorted(files):
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, files[name])
    return out.getvalue()


def _calibration_to_json(calibration: Any, writer: _Writer) -> dict[str, Any] | None:
    """The pooled |normalised errors| per candidate and step (no code, only numbers)."""
    if calibration is None:
        return None
    pools = []
    for key, pool in calibration.pools.items():
        where = f"calibration of candidate {key!r}"
        pools.append(
            {
                "key": int(key),
                "name": str(pool.name),
                "steps": [writer.array(a, where) for a in pool.by_step],
                "counts": [int(c) for c in pool.counts],
            }
        )
    skipped = [
        {"key": int(k), "name": str(name), "n": int(n)}
        for k, (name, n) in calibration.skipped.items()
    ]
    return {"pools": pools, "skipped": skipped}


def _optional_int(value: Any, reader: _Reader, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise reader.fail(where, f"candidate {value!r} is not an integer")
    return value


def _calibration_from_json(node: Any, reader: _Reader, where: str) -> Any:
    """Rebuild the calibration saved by ``_calibration_to_json`` (None when absent)."""
    from trendcast._calibration import Calibration

    if node is None:
        return None
    try:
        pools: dict[Any, tuple[str, list[np.ndarray], list[int]]] = {
            _optional_int(p["key"], reader, where): (
                str(p["name"]),
                [reader.array(a, f"{where} calibration") for a in p["steps"]],
                [int(c) for c in p["counts"]],
            )
            for p in node["pools"]
        }
        skipped: dict[Any, tuple[str, int]] = {
            _optional_int(k["key"], reader, where): (str(k["name"]), int(k["n"]))
            for k in node["skipped"]
        }
    except (KeyError, TypeError) as exc:
        raise reader.fail(where, f"the calibration is malformed: {exc}") from exc
    return Calibration.from_pools(pools, skipped)


def _frame_to_json(frame: pd.DataFrame, writer: _Writer, where: str) -> dict[str, Any]:
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(frame[c].dtype) for c in frame.columns],
        "data": [
            [writer.value(v, f"{where}.{c}") for v in frame[c].tolist()] for c in frame.columns
        ],
    }


def _forecaster_files(fc: TrendForecaster, allow_pickle: bool) -> tuple[dict[str, bytes], dict]:
    """Every file of a saved forecaster but the manifest, and the manifest's facts."""
    fc._check_fitted()
    unknown = sorted(
        k
        for k in vars(fc)
        if k not in fc.get_params(deep=False)
        and (k.endswith("_") or k.startswith("_"))
        and k not in _FORECASTER_STATE
    )
    if unknown:
        raise PersistenceError(
            f"this forecaster holds fitted state that format {FORMAT_VERSION} does not store: "
            f"{unknown}; saving it would lose it (update trendcast.persistence)"
        )
    writer = _Writer(allow_pickle)
    protos: list[Any] = []
    proto_index: dict[str, int] = {}

    def proto(model: LocalModel, where: str) -> int:
        spec = writer.value(model, where)
        key = json.dumps(spec, sort_keys=True)
        if key not in proto_index:
            proto_index[key] = len(protos)
            protos.append(spec)
        return proto_index[key]

    plan = fc._plan_
    plan_json = {
        f.name: writer.value(getattr(plan, f.name), f"plan.{f.name}")
        for f in dataclasses.fields(plan)
    }
    keys = list(fc.models_)
    for key in keys:
        if not isinstance(key, str | int | np.integer) or isinstance(key, bool):
            raise PersistenceError(
                f"category {key!r} is a {type(key).__name__}; only text and integer category "
                "ids can be saved"
            )
    categories = []
    for key in keys:
        fit = fc._fits[key]
        where = f"category {key!r}"
        X = fc._X[key]
        categories.append(
            {
                "id": writer.value(key, where),
                "y": writer.array(fc._y[key], f"{where} history"),
                "X": None if X is None else writer.array(X, f"{where} covariates"),
                "tried": fit.tried,
                "used": fit.used,
                "fell_back": bool(fit.fell_back),
                "chosen": None if fit.chosen is None else int(fit.chosen),
                "reasons": [str(r) for r in fit.reasons],
                "scores": writer.value([tuple(s) for s in fit.scores], f"{where} scores"),
                "chain": [proto(p, f"{where} fallback chain") for p in fit.chain],
                "candidate": None if fit.candidate is None else int(fit.candidate),
                "model": writer.value(fit.model, f"{where} model"),
            }
        )
    dates = [pd.Timestamp(fc.last_dates_[k]) for k in keys]
    tz = {str(d.tz) for d in dates if d.tz is not None}
    units = {d.unit for d in dates}
    fitted_at = getattr(fc, "fitted_at_", None)
    state = {
        "params": {
            k: writer.value(v, f"parameter {k}") for k, v in fc.get_params(deep=False).items()
        },
        "freq": fc.freq_,
        "season_length": int(fc.season_length_),
        "fitted_at": None if fitted_at is None else pd.Timestamp(fitted_at).isoformat(),
        "plan": plan_json,
        "prototypes": protos,
        "last_dates": writer.array(
            np.array([d.value for d in dates], dtype=np.int64), "last dates"
        ),
        "last_dates_tz": tz.pop() if len(tz) == 1 else None,
        "last_dates_unit": units.pop() if len(units) == 1 else "ns",
        "fit_report": _frame_to_json(fc.fit_report_, writer, "fit_report_"),
        "selection_report": _frame_to_json(fc.selection_report_, writer, "selection_report_"),
        "calibration": _calibration_to_json(getattr(fc, "_calibration_", None), writer),
    }
    files = writer.finish()
    files["forecaster.json"] = _json_bytes(state)
    files["categories.json"] = _json_bytes({"categories": categories})
    facts = {
        "fit_date": state["fitted_at"],
        "categories": [writer.value(k, "category") for k in keys],
    }
    return files, facts


def save(
    fc: TrendForecaster,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    overwrite: bool = False,
    allow_pickle: bool = False,
) -> Path:
    """Write a fitted forecaster to ``path``; see ``TrendForecaster.save``."""
    from trendcast._version import __version__

    target = Path(path)
    kind = _format_of(target, format)
    files, facts = _forecaster_files(fc, allow_pickle)
    manifest = {
        "format": "trendcast-forecaster",
        "format_version": FORMAT_VERSION,
        "trendcast_version": __version__,
        "freq": fc.freq_,
        "columns": {
            "id": fc.id_col,
            "time": fc.time_col,
            "target": fc.target_col,
            "covariates": fc._covariate_names(),
        },
        "fit_date": facts["fit_date"],
        "categories": facts["categories"],
        "files": {name: _sha256(files[name]) for name in sorted(files)},
    }
    files[MANIFEST] = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise PersistenceError(f"{target} already exists; pass overwrite=True to replace it")
        if target.is_dir() and not (target / MANIFEST).is_file() and any(target.iterdir()):
            raise PersistenceError(
                f"{target} is a directory that does not hold a saved forecaster; "
                "refusing to replace it"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staged = tmp / "out"
        _write(files, staged, kind)
        if target.exists() or target.is_symlink():
            os.replace(target, tmp / "old")  # removed with tmp once the new one is in place
        os.replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _format_of(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in _FORMATS:
            raise ValueError(f"format={format!r}; use one of {_FORMATS}")
        return format
    suffix = path.suffix.lower()
    return {".zip": "zip", ".tar": "tar"}.get(suffix, "dir")


def _write(files: dict[str, bytes], path: Path, kind: str) -> None:
    names = sorted(files)
    if kind == "dir":
        for name in names:
            out = path / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(files[name])
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name])
    else:
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
            for name in names:
                member = tarfile.TarInfo(name)
                member.size = len(files[name])
                member.mode = 0o644
                tf.addfile(member, io.BytesIO(files[name]))


# ---------------------------------------------------------------------------- reading
def _read_files(path: Path) -> dict[str, bytes]:
    """Every member of a saved forecaster as bytes, refusing anything but plain files."""
    if path.is_dir():
        out = {}
        for item in sorted(path.rglob("*")):
            name = item.relative_to(path).as_posix()
            if item.is_symlink():
                raise PersistenceError(f"{path}: {name} is a symbolic link; refusing to follow it")
            if item.is_file():
                out[name] = item.read_bytes()
        return out
    if not path.exists():
        raise PersistenceError(f"{path} does not exist")
    head = path.read_bytes()[:512]
    try:
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as zf:
                out = {}
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    _check_member(path, info.filename)
                    if info.filename in out:
                        raise PersistenceError(f"{path}: {info.filename} appears twice")
                    out[info.filename] = zf.read(info)
                return out
        with tarfile.open(path, "r:") as tf:
            out = {}
            for member in tf:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise PersistenceError(
                        f"{path}: {member.name} is not a regular file (link or device)"
                    )
                _check_member(path, member.name)
                if member.name in out:
                    raise PersistenceError(f"{path}: {member.name} appears twice")
                extracted = tf.extractfile(member)
                assert extracted is not None
                data = extracted.read()
                if len(data) != member.size:
                    raise PersistenceError(f"{path}: {member.name} is cut short")
                out[member.name] = data
            return out
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise PersistenceError(
            f"{path} is not a readable trendcast archive (truncated or damaged: {exc}); "
            "save it again or copy it completely"
        ) from exc


def _check_member(path: Path, name: str) -> None:
    if name.startswith(("/", "\\")) or ".." in Path(name).parts:
        raise PersistenceError(f"{path}: member {name!r} points outside the archive")


def _parse_json(data: bytes, name: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PersistenceError(f"{name} is not valid JSON: {exc}") from exc


_CODE_OPS = {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "BUILD"}


def _is_pickle(data: bytes) -> bool:
    """Whether ``data`` parses as a pickle that would import or call something.

    ``pickletools.genops`` only parses opcodes; it never executes them.
    """
    if len(data) < 4:
        return False
    ops = set()
    try:
        for op, _, _ in pickletools.genops(data):
            ops.add(op.name)
    except Exception:  # any parse failure: not a pickle
        return False
    return "STOP" in ops and bool(ops & _CODE_OPS)


@functools.lru_cache(maxsize=65536)
def _looks_like_pickle(text: str) -> bool:
    """Whether a JSON text holds a pickle, raw (as latin-1), in hex or in base64.

    Cached: a saved forecaster repeats the same names and reasons many times.
    """
    candidates = []
    if text.endswith("."):  # a raw pickle ends with its STOP opcode
        try:
            candidates.append(text.encode("latin-1"))
        except UnicodeEncodeError:
            pass
    compact = re.sub(r"\s+", "", text)
    if len(compact) >= 8 and re.fullmatch(r"[0-9a-fA-F]+", compact) and len(compact) % 2 == 0:
        candidates.append(bytes.fromhex(compact))
    if len(compact) >= 8 and re.fullmatch(r"[A-Za-z0-9+/_-]+=*", compact):
        try:
            candidates.append(base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=None))
            candidates.append(base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4)))
        except (binascii.Error, ValueError):
            pass
    return any(_is_pickle(c) for c in candidates)


class _Reader:
    """Verified members of a saved forecaster, decoded on demand."""

    def __init__(self, files: dict[str, bytes], source: str, allow_pickle: bool) -> None:
        self.files = files
        self.source = source
        self.allow_pickle = allow_pickle
        self.arrays: dict[str, np.ndarray] = {}
        self.pools: dict[str, Pool] = {}
        for dtype in _DTYPES:
            name = f"arrays/{dtype}.npy"
            if name not in files:
                continue
            try:
                arr = np.load(io.BytesIO(files[name]), allow_pickle=False)
            except ValueError as exc:
                raise PersistenceError(
                    f"{source}: {name} cannot be read without unpickling ({exc}); trendcast "
                    "arrays hold numbers only"
                ) from exc
            except (OSError, EOFError) as exc:
                raise PersistenceError(f"{source}: {name} is not a NumPy array: {exc}") from exc
            if not isinstance(arr, np.ndarray) or arr.dtype != np.dtype(dtype) or arr.ndim != 1:
                raise PersistenceError(
                    f"{source}: {name} holds {getattr(arr, 'dtype', type(arr))} "
                    f"{getattr(arr, 'shape', '')}; expected a flat {dtype} array"
                )
            self.arrays[dtype] = arr

    def fail(self, where: str, why: str) -> PersistenceError:
        return PersistenceError(f"{self.source}: {where}: {why}")

    def array(self, node: Any, where: str) -> np.ndarray:
        ref = node.get("$array") if isinstance(node, dict) and len(node) == 1 else None
        if (
            not isinstance(ref, list)
            or len(ref) != 3
            or ref[0] not in self.arrays
            or not isinstance(ref[1], int)
            or not isinstance(ref[2], list)
            or not all(isinstance(s, int) and s >= 0 for s in ref[2])
        ):
            raise self.fail(where, f"expected an array reference, found {_short(node)}")
        dtype, offset, shape = ref
        size = int(np.prod(shape)) if shape else 1
        flat = self.arrays[dtype]
        if offset < 0 or offset + size > flat.size:
            raise self.fail(where, f"array reference {ref} lies outside arrays/{dtype}.npy")
        return flat[offset : offset + size].reshape(shape).copy()

    def value(self, node: Any, where: str) -> Any:
        if node is None or isinstance(node, bool | int | float):
            return node
        if isinstance(node, str):
            if _looks_like_pickle(node):
                raise self.fail(
                    where,
                    "holds a pickled object in a text field; trendcast never unpickles JSON "
                    "fields (the file was tampered with or not written by trendcast)",
                )
            return node
        if isinstance(node, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict) or len(node) != 1:
            raise self.fail(where, f"unexpected value {_short(node)}")
        ((tag, body),) = node.items()
        if tag == "$array":
            return self.array(node, where)
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$tuple" and isinstance(body, list):
            return tuple(self.value(v, f"{where}[{i}]") for i, v in enumerate(body))
        if tag == "$dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.fail(where, "malformed mapping")
                k = self.value(pair[0], f"{where} key")
                if isinstance(k, list | dict):
                    raise self.fail(where, "a mapping key must be a number or text")
                out[k] = self.value(pair[1], f"{where}[{k!r}]")
            return out
        if tag == "$model" and isinstance(body, dict):
            return self.model(body, where)
        if tag == "$timestamp" and isinstance(body, str):
            try:
                return pd.Timestamp(body)
            except ValueError as exc:
                raise self.fail(where, f"{body!r} is not a date") from exc
        if tag == "$object" and isinstance(body, dict):
            return self.parameter_object(body, where)
        if tag == "$sklearn" and isinstance(body, str):
            return self.sklearn(body, where)
        if tag == "$prophet" and isinstance(body, str):
            return self.prophet(body, where)
        if tag == "$pickle" and isinstance(body, str):
            return self.unpickle(body, where)
        if tag == "$pool" and isinstance(body, dict):
            return self.pool(body, where)
        raise self.fail(where, f"unknown value tag {tag!r}")

    def pool(self, body: dict[str, Any], where: str) -> Pool:
        """One Pool per saved pool, shared by the models that refer to it."""
        key = json.dumps(body, sort_keys=True)
        if key in self.pools:
            return self.pools[key]
        ints = _POOL_COUNTS
        if set(body) != {"estimators", "step_scale", *ints}:
            raise self.fail(where, f"a pool needs estimators, step_scale and {list(ints)}")
        estimators = body["estimators"]
        if not isinstance(estimators, list) or not estimators:
            raise self.fail(where, "a pool's estimators must be a non-empty list")
        fitted = [
            None if e is None else self.value(e, f"{where} step {k + 1}")
            for k, e in enumerate(estimators)
        ]
        if any(e is not None and not hasattr(e, "predict") for e in fitted):
            raise self.fail(where, "a pool's estimators must be fitted regressors")
        scale = self.value(body["step_scale"], f"{where} step_scale")
        if not isinstance(scale, np.ndarray) or scale.shape != (len(fitted),):
            raise self.fail(where, "a pool needs one step_scale per estimator")
        values = {name: body[name] for name in ints}
        if not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()
        ):
            raise self.fail(where, f"a pool's {list(ints)} must be counts")
        pool = Pool(fitted, scale, **values)
        self.pools[key] = pool
        return pool

    def member(self, name: str, folder: str, where: str) -> bytes:
        if not name.startswith(folder + "/") or name not in self.files:
            raise self.fail(where, f"refers to {name!r}, which is not a {folder} member")
        return self.files[name]

    def sklearn(self, name: str, where: str) -> Any:
        import skops.io as sio

        data = self.member(name, "estimators", where)
        try:
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as exc:  # skops raises many types
            raise self.fail(where, f"{name} is not a skops file: {exc}") from exc
        needed = list(untrusted)
        untrusted = [t for t in untrusted if t not in _TRUSTED_SKOPS_TYPES]
        if untrusted and not self.allow_pickle:
            raise self.fail(
                where,
                f"{name} holds types skops does not trust: {untrusted}; load(..., "
                "allow_pickle=True) trusts them, for files you trust only",
            )
        try:
            return sio.loads(data, trusted=needed or None)
        except Exception as exc:
            raise self.fail(where, f"{name} could not be read by skops: {exc}") from exc

    def prophet(self, name: str, where: str) -> Any:
        data = self.member(name, "prophet", where)
        try:
            from prophet.serialize import model_from_json
        except ImportError as exc:
            raise MissingDependencyError(
                f"{where}: this file holds a Prophet model; pip install prophet"
            ) from exc
        try:
            with warnings.catch_warnings():  # Prophet's own pandas deprecation notices
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                return model_from_json(data.decode("utf-8"))
        except Exception as exc:  # Prophet raises many types
            raise self.fail(where, f"{name} is not a Prophet model: {exc}") from exc

    def unpickle(self, name: str, where: str) -> Any:
        data = self.member(name, "pickled", where)
        if not self.allow_pickle:
            raise self.fail(
                where,
                f"is stored with pickle ({name}), which can run code on load; pass "
                "load(..., allow_pickle=True) only if you trust the file",
            )
        import joblib

        return joblib.load(io.BytesIO(data))

    def parameter_object(self, spec: dict[str, Any], where: str) -> Any:
        name, params = spec.get("type"), spec.get("params")
        if name not in ALLOWED_OBJECTS or set(spec) != {"type", "params"}:
            raise self.fail(where, f"object type {name!r} is not on the allow-list")
        cls = ALLOWED_OBJECTS[name]
        if not isinstance(params, dict) or not set(params) <= set(cls().get_params()):
            raise self.fail(where, f"{name} parameters {_short(params)} are not its own")
        return cls(**{k: self.value(v, f"{where}.{k}") for k, v in params.items()})

    def model(self, spec: dict[str, Any], where: str) -> LocalModel:
        if set(spec) != {"type", "params", "state"}:
            raise self.fail(where, f"a model needs type, params and state; found {sorted(spec)}")
        name = spec["type"]
        if name not in ALLOWED_MODELS:
            raise self.fail(
                where,
                f"model type {name!r} is not on the allow-list "
                f"({', '.join(sorted(ALLOWED_MODELS))}); nothing was imported",
            )
        cls, state_kinds = ALLOWED_MODELS[name]
        params = spec["params"]
        if not isinstance(params, dict):
            raise self.fail(where, "model parameters must be a mapping")
        allowed = set(cls().get_params(deep=False))
        extra = sorted(set(params) - allowed)
        if extra:
            raise self.fail(where, f"{name} has no parameter(s) {extra}")
        model = cls(**{k: self.value(v, f"{where}.{k}") for k, v in params.items()})
        state = spec["state"]
        if state is None:
            return model
        kinds = {**_BASE_STATE, **state_kinds}
        required = set(kinds) - _MAY_BE_MISSING.get(name, set())
        if not isinstance(state, dict) or not required <= set(state) <= set(kinds):
            found = sorted(state) if isinstance(state, dict) else _short(state)
            raise self.fail(where, f"{name} state must hold exactly {sorted(kinds)}; found {found}")
        values = {k: self.typed(state[k], kinds[k], f"{where}.{k}") for k in state}
        try:
            model._restore_state(values)
        except (ValueError, TypeError, ArithmeticError, np.linalg.LinAlgError) as exc:
            raise self.fail(where, f"{name} could not be rebuilt from its state: {exc}") from exc
        return model

    def typed(self, node: Any, kind: str, where: str) -> Any:
        value = self.value(node, where)
        ok = _KIND_CHECKS[kind](value)
        if not ok:
            raise self.fail(where, f"expected {kind}, found {_short(node)}")
        if kind == "float" or (kind == "float|array" and not isinstance(value, np.ndarray)):
            return float(value)
        return value


def _short(node: Any) -> str:
    text = json.dumps(node)[:60] if not isinstance(node, np.ndarray) else "an array"
    return text


class _LazyDict(MutableMapping):
    """A mapping whose values are built on first access, in insertion order."""

    _PENDING = object()

    def __init__(self, keys: Sequence[Any], build: Callable[[Any], Any]) -> None:
        self._items: dict[Any, Any] = dict.fromkeys(keys, self._PENDING)
        self._build = build

    def __getitem__(self, key: Any) -> Any:
        value = self._items[key]
        if value is self._PENDING:
            value = self._items[key] = self._build(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self._items[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __repr__(self) -> str:
        built = sum(v is not self._PENDING for v in self._items.values())
        return f"<{len(self)} categories, {built} rebuilt so far>"


class _Categories:
    """Builds one category's fit from its JSON on first use."""

    def __init__(self, reader: _Reader, nodes: dict[Any, dict], protos: list[LocalModel]):
        self.reader = reader
        self.nodes = nodes
        self.protos = protos

    def fit(self, key: Any) -> Any:
        from trendcast.forecaster import _SeriesFit

        node = self.nodes.pop(key)
        where = f"categories.json, category {key!r}"
        r = self.reader
        scores = r.value(node["scores"], f"{where} scores")
        chain = node["chain"]
        if not isinstance(chain, list) or not all(
            isinstance(i, int) and 0 <= i < len(self.protos) for i in chain
        ):
            raise r.fail(where, "the fallback chain refers to unknown prototypes")
        model = r.value(node["model"], f"{where} model")
        if not isinstance(model, LocalModel):
            raise r.fail(where, "the model is not a trendcast model")
        return _SeriesFit(
            model=model,
            tried=str(node["tried"]),
            used=str(node["used"]),
            fell_back=bool(node["fell_back"]),
            chosen=node["chosen"],
            reasons=[str(s) for s in node["reasons"]],
            scores=[tuple(s) for s in scores],
            chain=[self.protos[i] for i in chain],
            candidate=_optional_int(node.get("candidate"), r, where),
        )


class _ModelOf:
    def __init__(self, fits: Mapping[Any, Any]) -> None:
        self.fits = fits

    def __call__(self, key: Any) -> Any:
        return self.fits[key].model


def _frame_from_json(node: Any, reader: _Reader, where: str) -> pd.DataFrame:
    try:
        columns, dtypes, data = node["columns"], node["dtypes"], node["data"]
        if not (len(columns) == len(dtypes) == len(data)):
            raise ValueError("columns, dtypes and data differ in length")
    except (KeyError, TypeError, ValueError) as exc:
        raise reader.fail(where, f"malformed table: {exc}") from exc
    frame = pd.DataFrame(
        {c: reader.value(col, f"{where}.{c}") for c, col in zip(columns, data, strict=True)},
        columns=columns,
    )
    for c, dtype in zip(columns, dtypes, strict=True):
        if dtype not in ("float64", "int64", "bool", "object", "str", "string"):
            raise reader.fail(where, f"column {c!r} has unsupported dtype {dtype!r}")
        if str(frame[c].dtype) != dtype:
            frame[c] = frame[c].astype(dtype)
    return frame


def _check_manifest(manifest: Any, files: dict[str, bytes], source: str) -> None:
    from trendcast._version import __version__

    if not isinstance(manifest, dict) or manifest.get("format") != "trendcast-forecaster":
        raise PersistenceError(f"{source}: {MANIFEST} does not describe a trendcast forecaster")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise PersistenceError(f"{source}: {MANIFEST} has no valid format_version ({version!r})")
    if version > FORMAT_VERSION:
        raise PersistenceError(
            f"{source} was saved by trendcast {manifest.get('trendcast_version', '?')} with "
            f"format {version}; this trendcast ({__version__}) reads up to format "
            f"{FORMAT_VERSION}: upgrade trendcast"
        )
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise PersistenceError(f"{source}: {MANIFEST} has no file checksums")
    present = set(files) - {MANIFEST}
    missing = sorted(set(listed) - present)
    if missing:
        raise PersistenceError(f"{source}: file(s) listed in the manifest are missing: {missing}")
    extra = sorted(present - set(listed))
    if extra:
        raise PersistenceError(
            f"{source}: file(s) not listed in the manifest: {extra}; a saved forecaster holds "
            "only the files it lists"
        )
    for name in sorted(listed):
        if _sha256(files[name]) != listed[name]:
            raise PersistenceError(
                f"{source}: {name} does not match its SHA-256 in the manifest: the file was "
                "changed or damaged after saving"
            )


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
    from trendcast.forecaster import TrendForecaster, _Plan

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
        return _assemble(reader, state, cats, categories, TrendForecaster, _Plan)
    except (KeyError, TypeError, AttributeError) as exc:
        raise PersistenceError(
            f"{source}: forecaster.json or categories.json lacks or misstates a field ({exc!r})"
        ) from exc


def _check_tags(node: Any, name: str, source: str, allow_pickle: bool) -> None:
    """Refuse, before anything is built, model and object types off the allow-lists and
    pickled members without ``allow_pickle`` (categories are otherwise built lazily)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if len(item) == 1:
                ((tag, body),) = item.items()
                kind: Mapping[str, object] | None = None
                if tag == "$model":
                    kind = ALLOWED_MODELS
                elif tag == "$object":
                    kind = ALLOWED_OBJECTS
                if kind is not None and isinstance(body, dict) and body.get("type") not in kind:
                    raise PersistenceError(
                        f"{source}: {name}: type {body.get('type')!r} is not on the allow-list "
                        f"({', '.join(sorted(kind))}); nothing was imported"
                    )
                if tag == "$pickle" and not allow_pickle:
                    raise PersistenceError(
                        f"{source}: {name}: holds an object stored with pickle ({body!r}), "
                        "which can run code on load; pass load(..., allow_pickle=True) only if "
                        "you trust the file"
                    )
            stack.extend(item.values())


def _assemble(
    reader: _Reader,
    state: dict[str, Any],
    cats: dict[str, Any],
    wanted: Sequence[Any] | None,
    forecaster_cls: type[TrendForecaster],
    plan_cls: type,
) -> TrendForecaster:
    where = "forecaster.json"
    params = state["params"]
    allowed = set(forecaster_cls().get_params(deep=False))
    extra = sorted(set(params) - allowed)
    if extra:
        raise reader.fail(where, f"TrendForecaster has no parameter(s) {extra}")
    fc = forecaster_cls(**{k: reader.value(v, f"{where} {k}") for k, v in params.items()})
    protos = [
        reader.value(p, f"{where} prototypes[{i}]") for i, p in enumerate(state["prototypes"])
    ]
    if not all(isinstance(p, LocalModel) for p in protos):
        raise reader.fail(where, "a prototype is not a trendcast model")
    plan = state["plan"]
    names = {f.name for f in dataclasses.fields(plan_cls)}
    if not isinstance(plan, dict) or not set(plan) <= names:
        raise reader.fail(where, f"the fit plan has unknown fields {sorted(set(plan) - names)}")
    try:
        fc._plan_ = plan_cls(**{k: reader.value(v, f"{where} plan.{k}") for k, v in plan.items()})
    except TypeError as exc:
        raise reader.fail(where, f"the fit plan is incomplete: {exc}") from exc
    fc.freq_ = fc._freq = str(state["freq"])
    fc.season_length_ = int(state["season_length"])
    if state["fitted_at"] is not None:
        fc.fitted_at_ = pd.Timestamp(state["fitted_at"])
    nodes = cats["categories"]
    if not isinstance(nodes, list):
        raise reader.fail("categories.json", "expected a list of categories")
    keys = [reader.value(n["id"], "categories.json id") for n in nodes]
    stamps = reader.array(state["last_dates"], f"{where} last_dates")
    if stamps.shape != (len(keys),):
        raise reader.fail(where, "last_dates does not have one date per category")
    dates = pd.DatetimeIndex(pd.to_datetime(stamps, unit="ns"))
    if state["last_dates_tz"]:
        dates = dates.tz_localize("UTC").tz_convert(state["last_dates_tz"])
    unit = state["last_dates_unit"]
    if unit not in ("s", "ms", "us", "ns"):
        raise reader.fail(where, f"last_dates_unit {unit!r} is not a time unit")
    dates = dates.as_unit(unit)
    by_key = dict(zip(keys, nodes, strict=True))
    date_of = dict(zip(keys, dates, strict=True))
    fit_report = _frame_from_json(state["fit_report"], reader, f"{where} fit_report")
    selection_report = _frame_from_json(
        state["selection_report"], reader, f"{where} selection_report"
    )
    if wanted is not None:
        missing = [k for k in wanted if k not in by_key]
        if missing:
            raise PersistenceError(
                f"{reader.source}: no fitted model for categories {missing}; saved categories "
                f"start {keys[:5]}"
            )
        keys = list(dict.fromkeys(wanted))
        id_col = fc.id_col
        fit_report = fit_report[fit_report[id_col].isin(keys)].reset_index(drop=True)
        selection_report = selection_report[selection_report[id_col].isin(keys)].reset_index(
            drop=True
        )
    builder = _Categories(reader, {k: by_key[k] for k in keys}, protos)
    fc._fits = _LazyDict(keys, builder.fit)  # type: ignore[assignment]
    fc.models_ = _LazyDict(keys, _ModelOf(fc._fits))  # type: ignore[assignment]
    fc._y = {k: reader.array(by_key[k]["y"], f"category {k!r} history") for k in keys}
    fc._X = {
        k: None
        if by_key[k]["X"] is None
        else reader.array(by_key[k]["X"], f"category {k!r} covariates")
        for k in keys
    }
    fc.last_dates_ = {k: date_of[k] for k in keys}
    fc.fit_report_ = fit_report
    fc.selection_report_ = selection_report
    calibration = _calibration_from_json(state.get("calibration"), reader, where)
    if calibration is not None:
        fc._calibration_ = calibration
        fc.calibration_report_ = calibration.report()
    return fc
