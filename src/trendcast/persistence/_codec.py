"""Python values <-> tagged JSON, flat NumPy arrays and binary members.

``_Writer`` turns the values of a fitted forecaster (numbers, arrays, tuples,
mappings, dates, allow-listed models and parameter objects, PooledRegression
pools, scikit-learn estimators, Prophet models) into JSON with one-key tags
(``{"$array": ...}``, ``{"$model": ...}``...), collecting arrays into one flat
array per dtype and estimators into their own members. ``_Reader`` does the
reverse from verified members, building only what the allow-lists name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import pickletools
import re
import struct
import threading
import warnings
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trendcast._params import is_sklearn_estimator
from trendcast.exceptions import MissingDependencyError, PersistenceError
from trendcast.models import LocalModel, Pool
from trendcast.persistence._allowlists import (
    _BASE_STATE,
    _KIND_CHECKS,
    _MAY_BE_MISSING,
    _TRUSTED_SKOPS_TYPES,
    ALLOWED_MODELS,
    ALLOWED_OBJECTS,
    _type_name,
)
from trendcast.persistence._archive import _load_limit

#: The dtypes of the flat arrays, one member each: ``arrays/<dtype>.npy``.
_DTYPES = ("float64", "int64", "bool")

#: The types of the JSON values that stand for themselves (``_Reader.value`` returns them
#: unchanged): a list of only these is read without a call per value (a report's column
#: of 1,000 categories, read at every load).
_PLAIN = (str, int, float, bool)

#: The most dimensions a saved array may have (NumPy's own limit is 64).
_MAX_DIMS = 32

#: The integer settings and counts of a PooledRegression's Pool, stored beside its
#: regressors and widths.
_POOL_COUNTS = ("window", "level_span", "season_length", "n_series", "n_windows", "n_errors")


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
        """A reference to ``value`` in the flat array of its dtype, written once per content."""
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
        """Store ``data`` as the next member of ``folder`` and return its name."""
        n = sum(1 for name in self.files if name.startswith(folder + "/"))
        name = f"{folder}/{n}{suffix}"
        self.files[name] = data
        return name

    def value(self, value: Any, where: str) -> Any:
        """``value`` as JSON, tagged where JSON has no type for it; ``where`` names it in errors."""
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
        """An allow-listed model: type name, parameters and declared fitted state."""
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
            node: dict[str, Any] = {
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
            self.remembered(pool, node["$pool"]["estimators"][0])
        return self.pools[id(pool)][1]

    def remembered(self, pool: Pool, first: Any) -> None:
        """The pool's remembered forecasts, as ``pools/<n>.npy`` beside its first regressor
        ``estimators/<n>.skops`` (a member older readers ignore: the format is unchanged)."""
        rows = pool.remembered()
        name = _remembered_member(first)
        if name is None or not len(rows):
            return
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(rows, dtype="float64"), allow_pickle=False)
        self.files[name] = buffer.getvalue()

    def opaque(self, value: Any, where: str) -> dict[str, Any]:
        """Objects without a JSON form: scikit-learn via skops, Prophet via its JSON."""
        module = type(value).__module__
        if module.startswith("prophet.") and type(value).__name__ == "Prophet":
            from prophet.serialize import model_to_json

            return {"$prophet": self.blob("prophet", ".json", model_to_json(value).encode())}
        if is_sklearn_estimator(value):
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
        """Every member written: the binary ones and the flat arrays."""
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
    """A scikit-learn estimator as skops bytes, the same for the same estimator."""
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


# ---------------------------------------------------------------------------- reading
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


def _looks_like_pickle(text: str) -> bool:
    """Whether ``text`` holds a pickle, raw (as latin-1), in hex or in base64.

    Only a diagnosis for a value already refused for another reason (a saved
    setting that is not one of its allowed values): text is data and is never
    refused, decoded or run for what it spells.
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
            _check_npy_size(files[name], f"{source}: {name}")
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
        """The error for a malformed value at ``where`` in this save."""
        return PersistenceError(f"{self.source}: {where}: {why}")

    def array(self, node: Any, where: str) -> np.ndarray:
        """The array an ``{"$array": [dtype, offset, shape]}`` reference points to (a copy)."""
        ref = node.get("$array") if isinstance(node, dict) and len(node) == 1 else None
        if (
            not isinstance(ref, list)
            or len(ref) != 3
            or not isinstance(ref[0], str)
            or ref[0] not in self.arrays
            or not _is_count(ref[1])
            or not isinstance(ref[2], list)
            or not all(_is_count(s) for s in ref[2])
        ):
            raise self.fail(where, f"expected an array reference, found {_short(node)}")
        dtype, offset, shape = ref
        size = math.prod(shape)  # exact: numpy's product would wrap around for huge shapes
        flat = self.arrays[dtype]
        if offset + size > flat.size or len(shape) > _MAX_DIMS:
            raise self.fail(where, f"array reference {ref} lies outside arrays/{dtype}.npy")
        return flat[offset : offset + size].reshape(shape).copy()

    def value(self, node: Any, where: str) -> Any:
        """The Python value of a JSON node, untagging and building only what is allowed."""
        if node is None or isinstance(node, bool | int | float):
            return node
        if isinstance(node, str):  # text is data, whatever it spells: never decoded as code
            return node
        if isinstance(node, list):
            if all(v is None or type(v) in _PLAIN for v in node):  # a report's column: as is
                return list(node)
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
        lazy = _LazyEstimators(self, estimators, where)
        if not lazy.deferred:
            lazy.load()  # not plain skops members (pickled, with allow_pickle): read now
        for k, node in enumerate(estimators):
            if node is not None and lazy.deferred:
                self.skops_layout(node["$sklearn"], f"{where} step {k + 1}")
        scale = self.value(body["step_scale"], f"{where} step_scale")
        if not isinstance(scale, np.ndarray) or scale.shape != (len(lazy),):
            raise self.fail(where, "a pool needs one step_scale per estimator")
        values = {name: body[name] for name in ints}
        if not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values.values()
        ):
            raise self.fail(where, f"a pool's {list(ints)} must be counts")
        pool = Pool([None] * len(lazy), scale, **values)
        pool.estimators = lazy  # type: ignore[assignment]  # a list once read
        self.remembered(pool, estimators[0], where)
        self.pools[key] = pool
        return pool

    def remembered(self, pool: Pool, first: Any, where: str) -> None:
        """Give the pool the forecasts it remembered when trained (``pools/<n>.npy``), if saved."""
        name = _remembered_member(first)
        if name is None or name not in self.files:
            return
        try:
            rows = np.load(io.BytesIO(self.files[name]), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise self.fail(where, f"{name} is not a NumPy array of numbers: {exc}") from exc
        width = pool.window + len(pool.estimators)
        if rows.dtype != np.float64 or rows.ndim != 2 or rows.shape[1] != width:
            raise self.fail(where, f"{name} must hold rows of {width} numbers (window, forecasts)")
        pool.remember(rows)

    def member(self, name: str, folder: str, where: str) -> bytes:
        """The bytes of member ``name``, which must lie in ``folder``."""
        if not name.startswith(folder + "/") or name not in self.files:
            raise self.fail(where, f"refers to {name!r}, which is not a {folder} member")
        return self.files[name]

    def skops_layout(self, name: str, where: str) -> None:
        """Refuse a member that is not a skops file (a zip with ``schema.json``), without
        skops: the regressors themselves are read, and their types checked, on first use.

        Read from the zip's end record and central directory as bytes: listing the
        members with ``zipfile`` took 30 ms of a load of 18 regressors of 180 members each.
        """
        data = self.files[name]
        end, low, top = -1, max(0, len(data) - 22 - 65535), len(data)
        while (found := data.rfind(b"PK\x05\x06", low, top)) >= 0:  # the record ends the
            top = found + 3  # file after its comment (which may spell a record's mark)
            if found + 22 <= len(data) and found + 22 + data[found + 20] + (
                data[found + 21] << 8
            ) == len(data):
                end = found
                break
        why = "no zip end record"
        if data.startswith(b"PK\x03\x04") and end >= 0:
            size, offset = struct.unpack_from("<II", data, end + 12)
            directory = data[offset : offset + size]
            why = "no schema.json"
            if offset + size <= end and directory.startswith(b"PK\x01\x02"):
                # a central directory entry's name follows its 46 fixed bytes
                at = directory.find(b"schema.json")
                while at >= 0:
                    if at >= 46 and directory[at - 46 : at - 42] == b"PK\x01\x02":
                        (length,) = struct.unpack_from("<H", directory, at - 18)
                        if length == len(b"schema.json"):
                            return
                    at = directory.find(b"schema.json", at + 1)
        raise self.fail(where, f"{name} is not a skops file: {why}")

    def sklearn(self, name: str, where: str) -> Any:
        """The estimator of a skops member, if skops trusts its types (or ``allow_pickle``)."""
        import skops.io as sio

        data = _stored_zip(
            self.member(name, "estimators", where), f"{self.source}: {where}: {name}"
        )
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
        """A Prophet model from its member, with Prophet's JSON reader."""
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
        """A joblib member, only with ``allow_pickle``."""
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
        """An allow-listed parameter object, built from its own parameters."""
        name, params = spec.get("type"), spec.get("params")
        if name not in ALLOWED_OBJECTS or set(spec) != {"type", "params"}:
            raise self.fail(where, f"object type {name!r} is not on the allow-list")
        cls = ALLOWED_OBJECTS[name]
        if not isinstance(params, dict) or not set(params) <= set(cls().get_params()):
            raise self.fail(where, f"{name} parameters {_short(params)} are not its own")
        return cls(**{k: self.value(v, f"{where}.{k}") for k, v in params.items()})

    def model(self, spec: dict[str, Any], where: str) -> LocalModel:
        """An allow-listed model with its parameters and the fitted state its class declares."""
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
        self.check_base_state(values, name, where)
        try:
            model._restore_state(values)
        except (ValueError, TypeError, ArithmeticError, np.linalg.LinAlgError) as exc:
            raise self.fail(where, f"{name} could not be rebuilt from its state: {exc}") from exc
        return model

    def check_base_state(self, values: dict[str, Any], name: str, where: str) -> None:
        """Refuse base state that ``LocalModel.fit`` could not have set: ``y_`` a flat
        array of ``n_obs_`` finite floats, ``X_`` none or one finite row per value."""
        y, X = values["y_"], values["X_"]
        if y.ndim != 1 or y.dtype.kind != "f" or not np.all(np.isfinite(y)):
            raise self.fail(where, f"{name} y_ must be a flat array of finite numbers")
        if values["n_obs_"] != y.size:
            raise self.fail(where, f"{name} n_obs_ must be the length of y_ ({y.size})")
        if X is not None and (
            X.ndim != 2 or X.shape[0] != y.size or X.dtype.kind != "f" or not np.all(np.isfinite(X))
        ):
            raise self.fail(where, f"{name} X_ must hold one row of finite numbers per value")

    def typed(self, node: Any, kind: str, where: str) -> Any:
        """The value of ``node``, refused unless it is of ``kind`` (see ``_KIND_CHECKS``)."""
        value = self.value(node, where)
        ok = _KIND_CHECKS[kind](value)
        if not ok:
            raise self.fail(where, f"expected {kind}, found {_short(node)}")
        if kind == "float" or (kind == "float|array" and not isinstance(value, np.ndarray)):
            return float(value)
        return value


def _check_npy_size(data: bytes, name: str) -> None:
    """Refuse a ``.npy`` member whose header promises more values than its bytes hold,
    before NumPy allocates the array the header describes."""
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(buffer)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"npy format version {version} is not one trendcast writes")
    except (ValueError, TypeError, SyntaxError, EOFError, OSError) as exc:
        raise PersistenceError(f"{name} is not a NumPy array: {exc}") from exc
    if dtype.hasobject:  # refused by np.load without reading it: say so there
        return
    needed = math.prod(shape) * dtype.itemsize
    if needed != len(data) - buffer.tell():
        raise PersistenceError(
            f"{name}: its header describes {needed} bytes of values, but it holds "
            f"{len(data) - buffer.tell()}: damaged, or built to exhaust memory"
        )


def _stored_zip(data: bytes, where: str) -> bytes:
    """The zip ``data`` (a skops member) with every member inflated in bounded reads and
    stored uncompressed, so that skops, which reads members whole, never inflates more
    than the member sizes, all together at most the load limit (``MAX_LOAD_BYTES``).

    Raises a PersistenceError naming ``where`` for a damaged, encrypted or
    exotically compressed zip, or one that inflates past its sizes or the limit.
    """
    out = io.BytesIO()
    limit = left = _load_limit()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                if info.flag_bits & 0x1 or info.compress_type not in (
                    zipfile.ZIP_STORED,
                    zipfile.ZIP_DEFLATED,
                ):
                    raise ValueError(f"{info.filename} is encrypted or not deflated")
                if info.file_size > left:
                    raise ValueError(f"{info.filename} inflates past the limit ({limit} bytes)")
                chunks = []
                with src.open(info) as stream:
                    while chunk := stream.read(1 << 16):
                        chunks.append(chunk)
                left -= info.file_size
                dst.writestr(
                    zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                    b"".join(chunks),
                )
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,
        NotImplementedError,
        struct.error,
        KeyError,
        IndexError,
        OverflowError,
    ) as exc:
        raise PersistenceError(f"{where} is not a readable skops file: {exc}") from exc
    return out.getvalue()


def _is_count(value: Any) -> bool:
    """Whether ``value`` is a non-negative integer (a JSON count, not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _remembered_member(first: Any) -> str | None:
    """``pools/<n>.npy`` for a pool whose first regressor is ``estimators/<n>.skops``."""
    name = first.get("$sklearn") if isinstance(first, dict) and len(first) == 1 else None
    if not isinstance(name, str) or not re.fullmatch(r"estimators/\d+\.skops", name):
        return None
    return "pools/" + name[len("estimators/") : -len(".skops")] + ".npy"


class _LazyEstimators(Sequence):
    """A pool's regressors, read from their skops members the first time one is used.

    A saved ``models="auto"`` forecaster shares one pool of regressors (one per
    step ahead) between all its categories; reading them costs seconds (skops'
    import alone imports every scikit-learn estimator). Loading a forecaster
    therefore only checks that each is a ``$sklearn`` reference to a member of
    the save (whose checksum the manifest verified); the first forecast of a
    ``PooledRegression`` reads all of them, once for every model sharing the
    pool, with the same checks and errors as before (types skops does not
    trust are refused then, before anything is built). Pickling reads them
    and sends a plain list (``n_jobs`` workers never see the save's files).
    """

    def __init__(self, reader: _Reader, nodes: list[Any], where: str) -> None:
        self._reader = reader
        self._nodes = list(nodes)
        self._where = where
        self._items: list[Any] | None = None
        self._lock = threading.Lock()
        #: every node is a skops member of the save (or None): read on first use
        self.deferred = all(
            node is None
            or (
                isinstance(node, dict)
                and set(node) == {"$sklearn"}
                and isinstance(node["$sklearn"], str)
                and node["$sklearn"].startswith("estimators/")
                and node["$sklearn"] in reader.files
            )
            for node in self._nodes
        )

    def load(self) -> list[Any]:
        """The regressors, read (and checked) on the first call."""
        with self._lock:
            if self._items is None:
                fitted = [
                    None if e is None else self._reader.value(e, f"{self._where} step {k + 1}")
                    for k, e in enumerate(self._nodes)
                ]
                if any(e is not None and not hasattr(e, "predict") for e in fitted):
                    raise self._reader.fail(
                        self._where, "a pool's estimators must be fitted regressors"
                    )
                self._items = fitted
            return self._items

    def __len__(self) -> int:
        return len(self._nodes)

    def __getitem__(self, index: Any) -> Any:
        return self.load()[index]

    def __reduce__(self) -> tuple[Any, tuple[list[Any]]]:
        return list, (self.load(),)

    def __repr__(self) -> str:
        state = "read" if self._items is not None else "not read yet"
        return f"<{len(self)} pooled regressors, {state}>"


def _short(node: Any) -> str:
    """The start of ``node`` as JSON, for error messages."""
    text = json.dumps(node)[:60] if not isinstance(node, np.ndarray) else "an array"
    return text
