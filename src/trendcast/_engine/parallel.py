"""The parallel map every per-category step of the engine goes through: the execution seam.

Two backends run the same batches of categories: joblib's loky processes on one
machine (the default) and a Dask distributed cluster (``backend="dask"``: the
current ``distributed.Client``; or a scheduler address). Each batch is one
task holding its categories' arrays and their plan, so a cluster gets a few
dozen tasks, not one a category; the results come back in order, so the
output does not depend on the backend.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import tempfile
from collections.abc import Callable
from typing import Any

from threadpoolctl import threadpool_limits

from trendcast.exceptions import MissingDependencyError, ParameterError

#: the backends a forecaster accepts besides a scheduler address ("tcp://host:8786")
BACKENDS = ("loky", "dask")
#: clients this process opened to a scheduler address, one an address
_CLIENTS: dict[str, Any] = {}


def _run_batch(func: Callable[..., Any], items: list[Any], *args: Any) -> list[Any]:
    with threadpool_limits(limits=1):
        return [func(*item, *args) for item in items]


# ---------------------------------------------------------------- shared objects
# A trained pool (PooledRegression's regressors and the forecasts they remember) is
# referenced by every category's plan and fit. Pickled with each batch, it would
# travel to the workers once a batch, and back once a batch inside the fits; on a
# Dask cluster every copy also stays in a worker's memory while its task's result
# waits to be gathered. Batches are pickled here with each pool replaced by its
# token; the pools travel once a call (scattered to every Dask worker, or written
# once to a file that loky's processes read once each), and the fits come back
# with tokens that the driver resolves to its own pools.


try:  # loky's own pickler: classes and functions of a script's __main__ travel by value
    from cloudpickle import Pickler as _Base
except ImportError:  # pragma: no cover - joblib >= 1.6 requires cloudpickle
    _Base = pickle.Pickler


class _Pickler(_Base):
    """Pickles shared objects (those with a ``share_token``) as their token."""

    def __init__(self, file: io.BytesIO, shared: dict[str, Any], collect: bool) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared, self.collect = shared, collect

    def persistent_id(self, obj: Any) -> str | None:
        token = getattr(type(obj), "share_token", None)
        if token is None or isinstance(obj, type):
            return None
        key = obj.share_token()
        if key in self.shared:
            return key
        if self.collect:
            self.shared[key] = obj
            return key
        return None  # made in the worker: travels whole


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, shared: dict[str, Any]) -> None:
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> Any:
        return self.shared[pid]


def _dumps(obj: Any, shared: dict[str, Any], collect: bool = False) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, shared, collect).dump(obj)
    return buffer.getvalue()


def _loads(data: bytes, shared: dict[str, Any]) -> Any:
    return _Unpickler(io.BytesIO(data), shared).load()


#: shared objects a loky worker process read from their files, latest last (a few kept:
#: the next fit's are new)
_LOADED: dict[str, Any] = {}
_KEEP_LOADED = 4


def _shared_from_files(paths: dict[str, str]) -> dict[str, Any]:
    out = {}
    for token, path in paths.items():
        obj = _LOADED.pop(token, None)
        if obj is None:
            with open(path, "rb") as f:
                obj = pickle.load(f)
        _LOADED[token] = obj  # the latest last
        out[token] = obj
    while len(_LOADED) > _KEEP_LOADED:
        _LOADED.pop(next(iter(_LOADED)))
    return out


def _run_shipped(payload: bytes, shared: Any) -> bytes:
    """A batch pickled by ``_dumps``: run it, its results pickled the same way.

    ``shared``: the shared objects themselves (Dask resolves the scattered
    futures), or a mapping of tokens to the files they were written to (loky).
    """
    objects = (
        _shared_from_files(shared)
        if isinstance(shared, dict)
        else {obj.share_token(): obj for obj in shared}
    )
    func, items, args = _loads(payload, objects)
    return _dumps(_run_batch(func, items, *args), objects)


def parallel_map(
    func: Callable[..., Any],
    items: list[Any],
    *args: Any,
    n_jobs: int = 1,
    progress: bool | str = False,
    desc: str = "",
    backend: str | None = None,
) -> list[Any]:
    """``[func(*item, *args) for item in items]`` in batches, in parallel, in order.

    Items go to ``n_jobs`` joblib processes (-1: every core) in up to eight
    batches a process, or with ``backend`` set to ``"dask"`` or a scheduler
    address to the workers of a Dask cluster (eight batches a worker thread);
    each batch runs with one BLAS thread. The output order does not depend on
    ``n_jobs`` or the backend.
    """
    if isinstance(progress, str) and progress != "auto" or not isinstance(progress, bool | str):
        raise ParameterError(
            f"progress={progress!r}; pass True (always a bar), 'auto' (a bar on a terminal "
            "only) or False"
        )
    if backend not in (None, "loky"):
        return _dask_map(func, items, args, dask_client(backend), progress, desc)
    n = n_jobs if n_jobs != -1 else (os.cpu_count() or 1)
    n = max(1, min(int(n), len(items) or 1))
    n_batches = 1 if n == 1 else min(len(items), n * 8)
    size = max(1, math.ceil(len(items) / max(n_batches, 1)))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=desc, unit="category", disable=_disable(progress))
    out: list[Any] = []
    if n == 1:
        for batch in batches:
            out.extend(_run_batch(func, batch, *args))
            if bar is not None:
                bar.update(len(batch))
    else:
        # imported here: joblib (and loky) take 0.03-0.07 s, which a loaded forecaster's
        # first one-category predict (always in this process) need not pay
        from joblib import Parallel, delayed

        shared: dict[str, Any] = {}
        payloads = [_dumps((func, b, args), shared, collect=True) for b in batches]
        with tempfile.TemporaryDirectory(prefix="trendcast-") as tmp:
            paths = {}
            for i, (token, obj) in enumerate(shared.items()):
                paths[token] = os.path.join(tmp, f"shared-{i}.pkl")
                with open(paths[token], "wb") as f:
                    pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
            # no memory-mapping of large arrays: statsmodels' filters unpickle into
            # writable buffers and fail on joblib's read-only memmaps
            parallel = Parallel(n_jobs=n, return_as="generator", max_nbytes=None)
            for batch, result in zip(
                batches,
                parallel(delayed(_run_shipped)(p, paths) for p in payloads),
                strict=True,
            ):
                out.extend(_loads(result, shared))
                if bar is not None:
                    bar.update(len(batch))
    if bar is not None:
        bar.close()
    return out


def check_backend(backend: Any) -> None:
    """``backend`` is None, ``"loky"``, ``"dask"`` or a scheduler address, else ParameterError."""
    if backend is None or backend in BACKENDS:
        return
    if isinstance(backend, str) and "://" in backend:
        return
    raise ParameterError(
        f"backend={backend!r} is not understood; pass 'loky' (processes on this machine), "
        "'dask' (the current dask.distributed Client) or a scheduler address such as "
        "'tcp://scheduler:8786'"
    )


def dask_client(backend: str) -> Any:
    """The ``distributed.Client`` that ``backend`` names.

    Raises
    ------
    MissingDependencyError
        Without dask.distributed installed.
    ParameterError
        For ``"dask"`` when no Client exists in this process, or an address
        that no scheduler answers.
    """
    check_backend(backend)
    try:
        from distributed import Client, get_client
    except ImportError as exc:  # pragma: no cover - the dev extra installs it
        raise MissingDependencyError(
            f"backend={backend!r} needs dask.distributed: pip install 'trendcast[dask]'"
        ) from exc
    if backend == "dask":
        try:
            return get_client()
        except ValueError as exc:
            raise ParameterError(
                "backend='dask' runs on the current dask.distributed Client and this process "
                "has none: create one first (distributed.Client(LocalCluster()) or "
                "Client('tcp://scheduler:8786')), or pass the scheduler's address as backend"
            ) from exc
    client = _CLIENTS.get(backend)
    if client is None or client.status != "running":
        try:
            client = _CLIENTS[backend] = Client(backend, timeout="10s")
        except OSError as exc:
            raise ParameterError(
                f"backend={backend!r}: no Dask scheduler answered at that address ({exc})"
            ) from exc
    return client


def _dask_map(
    func: Callable[..., Any],
    items: list[Any],
    args: tuple[Any, ...],
    client: Any,
    progress: bool | str,
    desc: str,
) -> list[Any]:
    """``parallel_map`` on a Dask cluster: one task a batch, results in order."""
    workers = max(1, sum(client.nthreads().values()))
    n_batches = min(len(items), workers * 8) or 1
    size = max(1, math.ceil(len(items) / n_batches))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    shared: dict[str, Any] = {}
    payloads = [_dumps((func, b, args), shared, collect=True) for b in batches]
    # each shared object once to every worker (not once a task), kept there while
    # the tasks run
    scattered = [client.scatter(obj, broadcast=True, hash=False) for obj in shared.values()]
    futures = [client.submit(_run_shipped, p, scattered, pure=False) for p in payloads]
    del payloads
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=desc, unit="category", disable=_disable(progress))
    out: list[Any] = []
    try:
        for i, batch in enumerate(batches):
            future, futures[i] = futures[i], None  # a gathered result leaves the worker
            out.extend(_loads(future.result(), shared))
            del future
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
        for future in futures:
            if future is not None:
                future.cancel()
        del scattered
    return out


def _disable(progress: bool | str) -> bool | None:
    """tqdm's ``disable``: ``"auto"`` draws only on a terminal (None), True always draws."""
    return None if progress == "auto" else False
