"""polars and Arrow tables in, pandas inside: the one boundary where frames are converted.

Every public function or method that takes a frame is wrapped in
``accepts_frames``: a polars ``DataFrame`` or ``LazyFrame``, or a pyarrow
``Table`` or ``RecordBatch``, passed as any argument (or inside a list, tuple
or dict argument, as ``stitch_trends`` takes several frames), is converted to
a pandas DataFrame once, before the function runs; everything else passes
through untouched. Outputs are pandas. Neither polars nor pyarrow is imported
here: a table is recognised by the module of its type, and converted with its
own ``to_pandas`` (dates become ``datetime64``, not Python ``date`` objects).
narwhals would do the same for more libraries; two ``to_pandas`` calls did
not justify a dependency.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from trendcast.exceptions import MissingDependencyError

__all__ = ["accepts_frames", "to_pandas"]

F = TypeVar("F", bound=Callable[..., Any])

_POLARS_FRAMES = {"DataFrame", "LazyFrame"}
_ARROW_TABLES = {"Table", "RecordBatch"}


def _kind(obj: Any) -> str | None:
    """``"polars"``, ``"arrow"`` or None, from the type's module (nothing is imported)."""
    cls = type(obj)
    module = cls.__module__ or ""
    if module.startswith("polars.") and cls.__name__ in _POLARS_FRAMES:
        return "polars"
    if module.startswith("pyarrow") and cls.__name__ in _ARROW_TABLES:
        return "arrow"
    return None


def to_pandas(obj: Any) -> Any:
    """``obj`` as a pandas DataFrame when it is a polars or Arrow table, else ``obj`` itself.

    Parameters
    ----------
    obj : object
        Anything; only polars ``DataFrame``/``LazyFrame`` and pyarrow
        ``Table``/``RecordBatch`` are converted.

    Returns
    -------
    object
        A new pandas DataFrame, or ``obj`` unchanged.

    Raises
    ------
    MissingDependencyError
        When converting a polars frame needs pyarrow and it is not installed.
    """
    kind = _kind(obj)
    if kind is None:
        return obj
    try:
        if kind == "polars":
            if type(obj).__name__ == "LazyFrame":
                obj = obj.collect()
            out = obj.to_pandas()
        else:
            out = obj.to_pandas(date_as_object=False)
    except ImportError as exc:
        raise MissingDependencyError(
            f"converting a {type(obj).__module__.split('.')[0]} {type(obj).__name__} to pandas "
            f'needs pyarrow: pip install "trendcast[parquet]" ({exc})'
        ) from exc
    if not isinstance(out, pd.DataFrame):  # pragma: no cover - both libraries return one
        raise TypeError(f"{type(obj).__name__}.to_pandas() gave a {type(out).__name__}")
    return out


def _convert(value: Any) -> Any:
    """``value`` with tables converted: itself, or the items of a list, tuple or dict."""
    if _kind(value) is not None:
        return to_pandas(value)
    if isinstance(value, list | tuple) and any(_kind(v) is not None for v in value):
        return type(value)(to_pandas(v) for v in value)
    if isinstance(value, dict) and any(_kind(v) is not None for v in value.values()):
        return {k: to_pandas(v) for k, v in value.items()}
    return value


def accepts_frames(func: F) -> F:
    """Wrap ``func`` so that polars and Arrow tables among its arguments arrive as pandas."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*(_convert(a) for a in args), **{k: _convert(v) for k, v in kwargs.items()})

    return wrapper  # type: ignore[return-value]
