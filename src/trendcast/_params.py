"""The scikit-learn estimator protocol without importing scikit-learn.

Every trendcast model, ``TrendForecaster`` and ``ShoppingCalendar`` stores its
constructor's keyword arguments unchanged, so ``get_params``, ``set_params``,
``repr`` and ``sklearn.base.clone`` work on it as on a scikit-learn estimator.
They used to inherit ``sklearn.base.BaseEstimator`` for that, and importing it
costs 0.6-0.7 s (``sklearn.utils`` imports ``scipy.stats``): more than the
rest of ``trendcast.load(path).predict(1, ids=[one])`` in a fresh process,
which must take under 0.3 s for the service (issue 21). ``Params`` gives the
same protocol, written after scikit-learn 1.9's ``BaseEstimator``:

* ``get_params(deep=True)`` introspects ``__init__``'s signature (sorted
  names; nested estimators' parameters as ``name__param``);
* ``set_params`` sets plain and nested parameters and refuses unknown ones
  with the same ``ValueError``;
* ``repr`` is scikit-learn's own, computed with ``BaseEstimator``'s printer on
  twin objects (scikit-learn is imported then, never at load or predict);
* ``sklearn.base.clone`` accepts any object with ``get_params``; ``clone``
  here does the same for trendcast's objects without importing scikit-learn,
  and hands anything else (a scikit-learn regressor) to scikit-learn's.

scikit-learn is imported when a fit needs it (a regressor of
``RegressionModel`` or ``PooledRegression``), never by a load or a predict of
the local models.
"""

from __future__ import annotations

import copy
import inspect
from collections import defaultdict
from typing import Any

__all__ = ["Params", "clone", "is_sklearn_estimator"]


#: constructor parameter names by class (``Params._get_param_names``)
_PARAM_NAMES: dict[type, tuple[str, ...]] = {}


class Params:
    """Base class giving scikit-learn's estimator protocol to trendcast's classes.

    Subclasses take every parameter as an explicit keyword argument of
    ``__init__`` and store it unchanged under its own name.
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The constructor's parameter names, sorted (scikit-learn's rule), read once per class.

        scikit-learn reads them from the constructor's signature at every
        ``get_params`` and ``clone``; inspecting a signature costs about 0.2 ms,
        which a fit of 10,000 categories pays some hundred thousand times.
        """
        names = _PARAM_NAMES.get(cls)
        if names is None:
            names = _PARAM_NAMES[cls] = tuple(cls._read_param_names())
        return list(names)

    @classmethod
    def _read_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        parameters = [
            p
            for p in inspect.signature(init).parameters.values()
            if p.name != "self" and p.kind != p.VAR_KEYWORD
        ]
        for p in parameters:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(
                    f"{cls} takes *args in its constructor; trendcast models take every "
                    "parameter as a keyword argument"
                )
        return sorted(p.name for p in parameters)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters of this object, as scikit-learn's ``get_params``.

        Parameters
        ----------
        deep : bool
            Also list the parameters of nested estimators, as ``name__param``.

        Returns
        -------
        dict
            Parameter names mapped to their values.
        """
        out: dict[str, Any] = {}
        for key in self._get_param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{key}__{k}", v) for k, v in value.get_params().items())
            out[key] = value
        return out

    def set_params(self, **params: Any) -> Any:
        """Set parameters, plain or nested (``name__param``), as scikit-learn's ``set_params``.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a name that is not a parameter (scikit-learn's error).
        """
        if not params:
            return self
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = defaultdict(dict)
        for name, value in params.items():
            key, delim, sub_key = name.partition("__")
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {self}. "
                    f"Valid parameters are: {self._get_param_names()!r}."
                )
            if delim:
                nested[key][sub_key] = value
            else:
                setattr(self, key, value)
                valid[key] = value
        for key, sub_params in nested.items():
            valid[key].set_params(**sub_params)
        return self

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        return _sklearn_repr(self, N_CHAR_MAX)

    def __getstate__(self) -> Any:
        state = super().__getstate__()
        return self.__dict__.copy() if state is None else state

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's default tags (``sklearn.utils.get_tags`` asks for them)."""
        from sklearn.base import BaseEstimator

        return BaseEstimator.__sklearn_tags__(self)


def clone(estimator: Any, *, safe: bool = True) -> Any:
    """An unfitted copy with the same parameters, as ``sklearn.base.clone``.

    trendcast's objects (and lists, tuples, sets and dicts of them) are copied
    here; anything else with ``get_params`` (a scikit-learn regressor) goes to
    scikit-learn's ``clone``; with ``safe=False``, other values are deep-copied.
    """
    kind = type(estimator)
    if kind is dict:
        return {k: clone(v, safe=safe) for k, v in estimator.items()}
    if kind in (list, tuple, set, frozenset):
        return kind(clone(e, safe=safe) for e in estimator)
    if not isinstance(estimator, Params) or isinstance(estimator, type):
        if not safe and not hasattr(estimator, "get_params"):
            return copy.deepcopy(estimator)
        from sklearn.base import clone as sklearn_clone

        return sklearn_clone(estimator, safe=safe)
    params = estimator.get_params(deep=False)
    for name, value in params.items():
        params[name] = clone(value, safe=False)
    twin = kind(**params)
    kept = twin.get_params(deep=False)
    for name, value in params.items():
        if kept[name] is not value:
            raise RuntimeError(
                f"Cannot clone object {estimator}, as the constructor either does not set or "
                f"modifies parameter {name}"
            )
    return twin


def is_sklearn_estimator(value: Any) -> bool:
    """Whether ``value`` is a scikit-learn estimator (an instance of ``BaseEstimator``).

    Without importing scikit-learn: an object whose class derives from no class
    of scikit-learn's is none (scikit-learn is then not needed to say so).
    """
    if isinstance(value, Params) or isinstance(value, type):
        return False
    if not any(c.__module__.split(".")[0] == "sklearn" for c in type(value).__mro__):
        return False
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator)


def _sklearn_repr(obj: Params, n_char_max: int) -> str:
    """scikit-learn's ``BaseEstimator.__repr__`` of ``obj``, through twins that inherit it.

    scikit-learn's printer recognises only its own estimators; each trendcast
    object is shown as a twin (a ``BaseEstimator`` subclass with the same name,
    constructor and parameters), so the text is exactly what it was when the
    classes inherited ``BaseEstimator``.
    """
    from sklearn.base import BaseEstimator

    return BaseEstimator.__repr__(_twin(obj), n_char_max)


_TWINS: dict[type, type] = {}


def _twin(value: Any) -> Any:
    """``value`` with every trendcast object in it replaced by its scikit-learn twin."""
    kind = type(value)
    if kind in (list, tuple, set, frozenset):
        return kind(_twin(v) for v in value)
    if kind is dict:
        return {k: _twin(v) for k, v in value.items()}
    if not isinstance(value, Params):
        return value
    twin_class = _TWINS.get(kind)
    if twin_class is None:
        from sklearn.base import BaseEstimator

        body: dict[str, Any] = {"__init__": kind.__init__, "__module__": kind.__module__}
        if kind.__repr__ is not Params.__repr__:
            # a class with its own __repr__ was printed on one line by scikit-learn's
            # printer (it only lays out objects whose __repr__ is BaseEstimator's)
            body["__repr__"] = lambda self, N_CHAR_MAX=700: BaseEstimator.__repr__(self, N_CHAR_MAX)
        twin_class = _TWINS[kind] = type(kind.__name__, (BaseEstimator,), body)
    params = {k: _twin(v) for k, v in value.get_params(deep=False).items()}
    twin: Any = object.__new__(twin_class)
    twin.__dict__.update(params)
    return twin
