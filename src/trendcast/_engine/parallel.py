"""The parallel map every per-category step of the engine goes through."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits


def _run_batch(func: Callable[..., Any], items: list[Any], *args: Any) -> list[Any]:
    with threadpool_limits(limits=1):
        return [func(*item, *args) for item in items]


def parallel_map(
    func: Callable[..., Any],
    items: list[Any],
    *args: Any,
    n_jobs: int = 1,
    progress: bool = False,
    desc: str = "",
) -> list[Any]:
    """``[func(*item, *args) for item in items]`` in batches, in parallel, in order.

    Items go to ``n_jobs`` joblib processes (-1: every core) in up to eight
    batches a process; each batch runs with one BLAS thread. The output order
    does not depend on ``n_jobs``.
    """
    n = n_jobs if n_jobs != -1 else (os.cpu_count() or 1)
    n = max(1, min(int(n), len(items) or 1))
    n_batches = 1 if n == 1 else min(len(items), n * 8)
    size = max(1, math.ceil(len(items) / max(n_batches, 1)))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=desc, unit="category")
    out: list[Any] = []
    if n == 1:
        for batch in batches:
            out.extend(_run_batch(func, batch, *args))
            if bar is not None:
                bar.update(len(batch))
    else:
        # no memory-mapping of large arrays: statsmodels' filters unpickle into
        # writable buffers and fail on joblib's read-only memmaps
        parallel = Parallel(n_jobs=n, return_as="generator", max_nbytes=None)
        for batch, result in zip(
            batches,
            parallel(delayed(_run_batch)(func, b, *args) for b in batches),
            strict=True,
        ):
            out.extend(result)
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    return out
