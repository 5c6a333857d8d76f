"""What a saved file may name: the allow-lists of models and parameter objects.

Nothing is imported or constructed from a name in a file except the classes
listed here. Each model class declares what it saves (``_saved_name`` and
``_saved_state``, see ``LocalModel``); ``ALLOWED_MODELS`` collects those
declarations, and ``_KIND_CHECKS`` says what each kind of fitted attribute
must be when read back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from trendcast._params import Params, is_sklearn_estimator
from trendcast.calendar import ShoppingCalendar
from trendcast.exceptions import PersistenceError
from trendcast.models import REGISTRY, LocalModel, Pool

#: The state ``LocalModel.fit`` sets, stored for every model before its own ``_saved_state``.
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
    "sklearn": is_sklearn_estimator,
    "sklearns": lambda v: isinstance(v, list) and all(is_sklearn_estimator(e) for e in v),
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

#: Types inside scikit-learn estimators that skops does not trust by default but
#: that are plain arrays of a fitted model (the trees of HistGradientBoosting*).
_TRUSTED_SKOPS_TYPES = frozenset(
    {"sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"}
)

ALLOWED_OBJECTS: dict[str, type[Params]] = {"trendcast.ShoppingCalendar": ShoppingCalendar}
"""Parameter objects (no fitted state) that models may hold, stored by their parameters."""


def _type_name(model: object) -> str | None:
    """The stable type name of ``model``'s class, or None when it is not on the allow-list."""
    for name, (cls, _) in ALLOWED_MODELS.items():
        if type(model) is cls:
            return name
    return None


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
                named = body.get("type") if isinstance(body, dict) else None
                if (
                    kind is not None
                    and isinstance(body, dict)
                    and not (isinstance(named, str) and named in kind)
                ):
                    raise PersistenceError(
                        f"{source}: {name}: type {named!r} is not on the allow-list "
                        f"({', '.join(sorted(kind))}); nothing was imported"
                    )
                if tag == "$pickle" and not allow_pickle:
                    raise PersistenceError(
                        f"{source}: {name}: holds an object stored with pickle ({body!r}), "
                        "which can run code on load; pass load(..., allow_pickle=True) only if "
                        "you trust the file"
                    )
            stack.extend(item.values())


#: A model tag as ``_json_bytes`` writes it (compact JSON, the type first) and its type name.
_MODEL_TAG = re.compile(rb'\{"\$model":\{"type":"([^"\\]*)"')


def _tags_allowed(data: bytes) -> bool:
    """Whether a scan of the raw JSON ``data`` proves what ``_check_tags`` checks.

    True when ``data`` holds no ``$object`` or ``$pickle`` tag and every
    ``"$model"`` and ``"type":`` in it is a model tag written the way
    ``_json_bytes`` writes one, with a type on the allow-list. False (the
    caller then walks the parsed tree with ``_check_tags``) for anything else:
    other spacing, a ``\\u`` escape (which could spell a tag), a repeated
    ``type`` key, an object or a pickle. ``categories.json`` of 1,000 default
    models holds 13,000 model tags among 300,000 values: the walk took about a
    tenth of a second of ``trendcast.load``, this scan a few milliseconds.
    """
    # a one-byte search first (memchr): a save without a backslash has no escape at all
    if (b"\\" in data and b"\\u" in data) or b'"$object"' in data or b'"$pickle"' in data:
        return False
    names = _MODEL_TAG.findall(data)
    if not len(names) == data.count(b'"$model"') == data.count(b'"type":'):
        return False
    try:
        return all(name.decode() in ALLOWED_MODELS for name in set(names))
    except UnicodeDecodeError:  # not UTF-8: the parse refuses the file
        return False
