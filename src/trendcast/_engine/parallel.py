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
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from trendcast.exceptions import MissingDependencyError, ParameterError
from trendcast.models._shared import release_memory

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
# once to a file that loky's processes read once each, their large arrays mapped:
# see _write_shared), and the fits come back with tokens that the driver resolves
# to its own pools.


try:  # loky's own pickler: classes and functions of a script's __main__ travel by value
    from cloudpickle import Pickler as _Base
except ImportError:  # pragma: no cover - joblib >= 1.6 requires cloudpickle
    _Base = pickle.Pickler


class _Pickler(_Base):
    """Pickles shared objects (those with a ``share_token``) as their token.

    ``inputs``: the arrays of the batch a worker received, by ``id``; a result
    that holds one of them (a model's history) sends its place in the batch,
    and the driver puts its own array there, as a fit in the driver's process
    would hold it (else every history came back as a second copy).
    """

    def __init__(
        self,
        file: io.BytesIO,
        shared: dict[str, Any],
        collect: bool,
        inputs: dict[int, tuple[int, int]] | None = None,
        protocol: int = pickle.HIGHEST_PROTOCOL,
    ) -> None:
        super().__init__(file, protocol=protocol)
        self.shared, self.collect, self.inputs = shared, collect, inputs or {}

    def persistent_id(self, obj: Any) -> str | tuple[int, int] | None:
        if self.inputs and type(obj) is np.ndarray:
            return self.inputs.get(id(obj))
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
    def __init__(
        self, file: io.BytesIO, shared: dict[str, Any], items: list[Any] | None = None
    ) -> None:
        super().__init__(file)
        self.shared, self.items = shared, items

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple):  # an array of the batch sent (see _Pickler)
            assert self.items is not None
            return self.items[pid[0]][pid[1]]
        return self.shared[pid]


def _dumps(
    obj: Any,
    shared: dict[str, Any],
    collect: bool = False,
    inputs: dict[int, tuple[int, int]] | None = None,
    protocol: int = pickle.HIGHEST_PROTOCOL,
) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, shared, collect, inputs, protocol).dump(obj)
    return buffer.getvalue()


def _loads(data: bytes, shared: dict[str, Any], items: list[Any] | None = None) -> Any:
    """Unpickle ``_dumps``'s bytes; ``items``: the batch sent, for the arrays that came back."""
    return _Unpickler(io.BytesIO(data), shared, items).load()


def _input_arrays(items: list[Any]) -> dict[int, tuple[int, int]]:
    """The arrays among the arguments of a batch's items, by ``id``: their place."""
    return {
        id(value): (i, j)
        for i, item in enumerate(items)
        for j, value in enumerate(item)
        if type(value) is np.ndarray
    }


# A shared object is written to a file once a call; its large arrays (a pool's
# remembered forecasts: 115 MB for 100,000 weekly series, and the windows they
# are forecasts from, 500 MB) go to .npy files beside it that every worker
# process maps read-only: the processes share one copy in the page cache, and
# each reads only the pages it looks up (a worker never reads the windows).

#: arrays of at least this many bytes travel to loky's processes as mapped files
_MAP_BYTES = 1 << 20


class _FilePickler(pickle.Pickler):
    """Pickles a shared object, its large arrays as .npy files in ``folder``."""

    def __init__(self, file: Any, folder: str, prefix: str) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.folder, self.prefix, self.n = folder, prefix, 0

    def persistent_id(self, obj: Any) -> str | None:
        if not (isinstance(obj, np.ndarray) and obj.nbytes >= _MAP_BYTES):
            return None
        if obj.dtype.hasobject or not (obj.flags.c_contiguous or obj.flags.f_contiguous):
            return None
        name = f"{self.prefix}-{self.n}.npy"
        self.n += 1
        np.save(os.path.join(self.folder, name), obj, allow_pickle=False)
        return name


class _FileUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, folder: str) -> None:
        super().__init__(file)
        self.folder = folder

    def persistent_load(self, pid: Any) -> Any:
        return np.load(os.path.join(self.folder, pid), mmap_mode="r", allow_pickle=False)


def _write_shared(obj: Any, path: str) -> None:
    folder, name = os.path.split(path)
    with open(path, "wb") as f:
        _FilePickler(f, folder, name).dump(obj)


def _read_shared(path: str) -> Any:
    with open(path, "rb") as f:
        return _FileUnpickler(f, os.path.dirname(path)).load()


#: shared objects a loky worker process read from their files, latest last (a few kept:
#: the next fit's are new)
_LOADED: dict[str, Any] = {}
_KEEP_LOADED = 4


def _shared_from_files(paths: dict[str, str]) -> dict[str, Any]:
    out = {}
    for token, path in paths.items():
        obj = _LOADED.pop(token, None)
        if obj is None:
            obj = _read_shared(path)
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
    results = _run_batch(func, items, *args)
    # protocol 4: the driver keeps every result, and protocol 5 rebuilds each small
    # array as a view of its own bytes object (three objects instead of one: 2.3 KB
    # more for each category's fit, 230 MB at 100,000)
    out = _dumps(results, objects, inputs=_input_arrays(items), protocol=4)
    del results, items
    release_memory()  # a worker process runs many batches
    return out


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
    return list(
        parallel_imap(
            func, items, *args, n_jobs=n_jobs, progress=progress, desc=desc, backend=backend
        )
    )


def parallel_imap(
    func: Callable[..., Any],
    items: list[Any],
    *args: Any,
    n_jobs: int = 1,
    progress: bool | str = False,
    desc: str = "",
    backend: str | None = None,
) -> Iterator[Any]:
    """``parallel_map``'s results one at a time, in order, as their batches come back.

    A caller that turns each result into something smaller (``predict``: a
    forecast into rows of columns) holds one batch of results at a time
    instead of all of them.
    """
    for results in parallel_batches(
        func, items, *args, n_jobs=n_jobs, progress=progress, desc=desc, backend=backend
    ):
        yield from results


def parallel_batches(
    func: Callable[..., Any],
    items: list[Any],
    *args: Any,
    n_jobs: int = 1,
    progress: bool | str = False,
    desc: str = "",
    backend: str | None = None,
) -> Iterator[list[Any]]:
    """The results of ``parallel_map``, a batch at a time, in order (see ``parallel_map``)."""
    if isinstance(progress, str) and progress != "auto" or not isinstance(progress, bool | str):
        raise ParameterError(
            f"progress={progress!r}; pass True (always a bar), 'auto' (a bar on a terminal "
            "only) or False"
        )
    if backend not in (None, "loky"):
        yield from _dask_batches(func, items, args, dask_client(backend), progress, desc)
        release_memory()
        return
    n = n_jobs if n_jobs != -1 else (os.cpu_count() or 1)
    n = max(1, min(int(n), len(items) or 1))
    n_batches = 1 if n == 1 else min(len(items), n * 8)
    size = max(1, math.ceil(len(items) / max(n_batches, 1)))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=desc, unit="category", disable=_disable(progress))
    try:
        if n == 1:
            for batch in batches:
                results = _run_batch(func, batch, *args)
                if bar is not None:
                    bar.update(len(batch))
                yield results
        else:
            yield from _loky_batches(func, batches, args, n, bar)
    finally:
        if bar is not None:
            bar.close()
    release_memory()  # what the batches' pickles and results took while they travelled


def _loky_batches(
    func: Callable[..., Any], batches: list[list[Any]], args: tuple[Any, ...], n: int, bar: Any
) -> Iterator[list[Any]]:
    # imported here: joblib (and loky) take 0.03-0.07 s, which a loaded forecaster's
    # first one-category predict (always in this process) need not pay
    from joblib import Parallel, delayed

    shared: dict[str, Any] = {}
    # (a worker may still map its files when the call ends: Windows cannot remove them
    # then, and the system's temporary folder keeps them)
    with tempfile.TemporaryDirectory(prefix="trendcast-", ignore_cleanup_errors=True) as tmp:
        paths: dict[str, str] = {}

        def tasks() -> Iterator[Any]:
            # pickled as joblib dispatches them (a few ahead of the workers), not
            # all at once: at 100,000 series the batches' pickles held 150 MB
            for batch in batches:
                payload = _dumps((func, batch, args), shared, collect=True)
                for token, obj in shared.items():
                    if token not in paths:  # the first batch that refers to it
                        paths[token] = os.path.join(tmp, f"shared-{len(paths)}.pkl")
                        _write_shared(obj, paths[token])
                yield delayed(_run_shipped)(payload, dict(paths))

        # no memory-mapping of the batches' arrays: statsmodels' filters unpickle
        # into writable buffers and fail on joblib's read-only memmaps (only the
        # shared objects' large arrays are mapped, see _write_shared)
        parallel = Parallel(n_jobs=n, return_as="generator", max_nbytes=None)
        for batch, result in zip(batches, parallel(tasks()), strict=True):
            results = _loads(result, shared, batch)
            del result
            if bar is not None:
                bar.update(len(batch))
            yield results


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


def _dask_batches(
    func: Callable[..., Any],
    items: list[Any],
    args: tuple[Any, ...],
    client: Any,
    progress: bool | str,
    desc: str,
) -> Iterator[list[Any]]:
    """``parallel_batches`` on a Dask cluster: one task a batch, results in order."""
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
    try:
        for i, batch in enumerate(batches):
            future, futures[i] = futures[i], None  # a gathered result leaves the worker
            results = _loads(future.result(), shared, batch)
            del future
            if bar is not None:
                bar.update(len(batch))
            yield results
    finally:
        if bar is not None:
            bar.close()
        for future in futures:
            if future is not None:
                future.cancel()
        del scattered


def _disable(progress: bool | str) -> bool | None:
    """tqdm's ``disable``: ``"auto"`` draws only on a terminal (None), True always draws."""
    return None if progress == "auto" else False
