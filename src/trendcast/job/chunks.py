"""Fit or update the models in fixed chunks of categories, each a checkpoint in the store.

Why chunks, and why always the same ones: a run checkpoints each chunk (a
small ``TrendForecaster`` saved in the safe format) as soon as it is done, so
a killed run resumes where it stopped. ``models="auto"`` trains its pooled
regression and its conformal calibration on every category *of the fit*; to
make a resumed run equal an uninterrupted one exactly, every run fits the same
deterministic chunks (categories sorted by id, ``chunk_size`` at a time), and
every chunk's forecasts are computed from its stored artifact, whether it was
fitted a second ago or read back after a kill (a chunk updated tonight is
forecast from the forecaster its artifact was written from, which forecasts
the same to the bit: see ``run.Fitted``). The pool and the calibration are
therefore per chunk; ``chunk_size`` is part of the model settings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import trendcast.models as model_zoo
from trendcast.exceptions import DataValidationError, PersistenceError, TrendcastError
from trendcast.forecaster import TrendForecaster, load
from trendcast.job.config import JobConfig

__all__ = [
    "Chunk",
    "ChunkResult",
    "decide",
    "from_bytes",
    "in_process",
    "make_chunks",
    "refit_at_update",
    "to_bytes",
]


@dataclass(frozen=True)
class Chunk:
    """A fixed group of categories fitted together."""

    index: int
    keys: tuple[str, ...]

    @property
    def categories_hash(self) -> str:
        """SHA-256 of the sorted category ids."""
        return hashlib.sha256("\n".join(self.keys).encode()).hexdigest()


@dataclass
class ChunkResult:
    """What happened to one chunk: the checkpoint row and what to log and record."""

    row: dict[str, Any]
    action: str
    failures: list[dict[str, Any]]
    refit: dict[str, str]


def make_chunks(keys: list[str], size: int) -> list[Chunk]:
    """Categories sorted by id, ``size`` at a time: the same chunks on every run."""
    ordered = sorted(map(str, keys))
    return [Chunk(i // size, tuple(ordered[i : i + size])) for i in range(0, len(ordered), size)]


def _sorted(frame: pd.DataFrame) -> bool:
    """Whether the rows are strictly in (id, date) order: sorting them would change nothing.

    A chunk of validated sales is (they are sorted, with no period twice);
    sorting it again took a third of ``data_hash``.
    """
    if len(frame) < 2:
        return True
    ids, dates = frame["unique_id"].to_numpy(), frame["ds"].to_numpy()
    if ids.dtype != object or dates.dtype.kind != "M":
        return False
    try:
        after = ids[1:] > ids[:-1]
        same = ids[1:] == ids[:-1]
    except TypeError:  # ids that do not compare (mixed types): sort them as before
        return False
    return bool(np.all(after | (same & (dates[1:] > dates[:-1]))))


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a chunk's rows (ids, dates, values), order-independent."""
    ordered = frame if _sorted(frame) else frame.sort_values(["unique_id", "ds"])
    ordered = ordered[["unique_id", "ds", "y"]]
    hashed = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def backend_of(config: JobConfig) -> str | None:
    """The forecaster's ``backend`` for ``[execution] backend`` (loky is its default)."""
    value = config.execution.backend
    return None if value == "loky" else value


@contextlib.contextmanager
def dask_cluster(config: JobConfig) -> Iterator[None]:
    """With ``backend = "dask"``: a LocalCluster of ``n_jobs`` one-thread workers for the run.

    A scheduler address needs nothing started here; loky neither.
    """
    if config.execution.backend != "dask":
        yield
        return
    from distributed import Client, LocalCluster

    n = config.execution.n_jobs if config.execution.n_jobs > 0 else (os.cpu_count() or 1)
    with (
        LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        yield


def new_forecaster(config: JobConfig, models: Any = None) -> TrendForecaster:
    """A forecaster with the ``[model]`` and ``[execution]`` settings."""
    m = config.model
    given = m.models if models is None else models
    chosen: Any = given
    if isinstance(given, list):
        chosen = [getattr(model_zoo, name)() for name in given]
    elif given not in ("auto", "fast"):
        chosen = getattr(model_zoo, given)()
    return TrendForecaster(
        models=chosen,
        freq=m.freq,
        season_length=m.season_length,
        n_jobs=config.execution.n_jobs,
        backtest_windows=m.backtest_windows,
        backend=backend_of(config),
        cold_start=m.cold_start,
    )


def to_bytes(fc: TrendForecaster) -> bytes:
    """The forecaster in the safe save format, as the bytes of one ``.zip``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = fc.save(Path(tmp) / "chunk.zip")
        return path.read_bytes()


def from_bytes(blob: bytes, sha256: str, where: str) -> TrendForecaster:
    """Load an artifact after checking its SHA-256 (and the save's own checksums).

    Raises
    ------
    PersistenceError
        When the blob's checksum differs from the stored one, or the save
        inside it is damaged or tampered with.
    """
    found = hashlib.sha256(blob).hexdigest()
    if found != sha256:
        raise PersistenceError(
            f"{where}: checksum mismatch (stored {sha256[:12]}..., found {found[:12]}...); "
            "the artifact was changed after it was written; it is refused and refit"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chunk.zip"
        path.write_bytes(blob)
        try:
            return load(path)
        except PersistenceError as exc:
            raise PersistenceError(f"{where}: {str(exc).replace(str(path), 'its blob')}") from exc


#: a chunk whose artifact holds at most this many bytes a category is updated and
#: forecast in the job's process, a larger one by the ``[execution]`` workers. Measured
#: under load ~10 on 2 cores: 500 weekly categories of Theta, SeasonalNaive and Naive
#: (2.3 kB a category) updated in 0.61 s here against 0.97 s by a warm pool of 2 (and an
#: update night starts no pool: 8-9 s), predict 0.19 s against 0.45 s; 58 US retail
#: categories with ``models="auto"`` (about 165 kB a category: ARIMA's filter and the
#: pooled regression are rebuilt as each model is read) took 24 s to update and 18 s to
#: forecast here (load ~11), against 10 s and 6 s by the workers at c0a4c22 (load 4-6)
IN_PROCESS_BYTES = 16_384


def in_process(size: int, n_categories: int) -> bool:
    """Whether a chunk's artifact of ``size`` bytes is small enough to work on in this process."""
    return int(size) <= IN_PROCESS_BYTES * max(int(n_categories), 1)


def refit_at_update(fc: TrendForecaster) -> dict[str, str]:
    """Category -> what its row says, for the models an ``update`` refit (no update of their own).

    Read right after the update, when the updated models are in this process
    (the update brought each back from the workers): no model is rebuilt here.
    """
    out = {}
    for key, model in fc.models_.items():
        if not model.tags().supports_update:
            out[str(key)] = f"update: {model.name} refit on the whole history (it has no update)"
    return out


def schedule_due(config: JobConfig, as_of: dt.date, previous: dict[str, Any]) -> str | None:
    """Why the refit schedule says refit now, or None (update)."""
    refit = config.model.refit
    fitted = previous["fitted_as_of"]
    if refit == "weekly" and (as_of - fitted).days >= 7:
        return f"weekly refit (last fit {fitted})"
    if refit == "monthly" and (as_of.year, as_of.month) != (fitted.year, fitted.month):
        return f"monthly refit (last fit {fitted})"
    if isinstance(refit, int) and int(previous["updates_since_fit"]) + 1 >= refit:
        return f"refit every {refit} runs (last fit {fitted})"
    return None


def revised_dates(fc: TrendForecaster, data: pd.DataFrame) -> dict[str, list[str]]:
    """Category -> dates whose value differs from the history the models were fitted on."""
    out: dict[str, list[str]] = {}
    state = fc.state_
    for key, group in data.groupby("unique_id", sort=True):
        if key not in state.fits:
            continue
        old = np.asarray(state.y[key], dtype=float)
        seen = group[group["ds"] <= state.last_dates[key]].tail(len(old))
        new = seen["y"].to_numpy(float)
        if len(new) != len(old):
            out[str(key)] = ["history shortened"]
            continue
        changed = ~np.isclose(new, old, rtol=1e-12, atol=0.0, equal_nan=True)
        if changed.any():
            out[str(key)] = [f"{d:%Y-%m-%d}" for d in seen["ds"][changed]]
    return out


def _fit(config: JobConfig, chunk: Chunk, data: pd.DataFrame) -> tuple[Any, list[dict]]:
    """Fit a chunk; if the whole chunk fails, fit it with the fallback chain alone."""
    try:
        return new_forecaster(config).fit(data), []
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
    chain = ["Theta", "SeasonalNaive", "Naive"]
    failures = [
        {"unique_id": k, "stage": "fit", "error": reason, "fallback": " -> ".join(chain)}
        for k in chunk.keys
    ]
    try:
        return new_forecaster(config, models=chain).fit(data), failures
    except Exception as exc:
        for f in failures:
            f["error"] += f"; fallback chain failed too ({type(exc).__name__}: {exc})"
            f["fallback"] = ""
        return None, failures


def decide(
    config: JobConfig,
    chunk: Chunk,
    data: pd.DataFrame,
    as_of: dt.date,
    previous: dict[str, Any] | None,
    drifted: set[str],
) -> tuple[Any, str, dict[str, str], dict[str, Any], list[dict]]:
    """Update the previous artifact of the chunk, or say why it is refit, and fit.

    Returns
    -------
    forecaster, action, refit reasons (category -> why), lineage fields, failures
    """
    refit: dict[str, str] = {}
    reason = None
    if previous is None:
        reason = "first fit"
    elif not previous["size"]:
        reason = "the chunk failed at the previous run"
    elif drifted & set(chunk.keys):
        hit = sorted(drifted & set(chunk.keys))
        reason = f"drift flagged last run in {', '.join(hit)}"
        refit.update({k: "drift flagged last run" for k in hit})
    else:
        reason = schedule_due(config, as_of, previous)
    if reason is None and previous is not None:
        where = f"artifact of chunk {chunk.index} (run {previous['run_id']})"
        try:
            fc = from_bytes(previous["blob"], previous["sha256"], where)
            # small models that keep a state are updated by a filter run, no estimation:
            # that costs less in this process than sending each to a worker and back
            here = in_process(previous["size"], len(chunk.keys)) and all(
                m.tags().supports_update for m in fc.models_.values()
            )
            fc.set_params(
                n_jobs=1 if here else config.execution.n_jobs,
                backend=None if here else backend_of(config),
            )
            fc.update(data)
            fc.set_params(n_jobs=config.execution.n_jobs, backend=backend_of(config))
            lineage = {
                "fitted_as_of": previous["fitted_as_of"],
                "updates_since_fit": int(previous["updates_since_fit"]) + 1,
            }
            return fc, "update", refit, lineage, []
        except PersistenceError as exc:
            reason = f"artifact refused: {exc}"
            refit.update({k: reason for k in chunk.keys})
        except DataValidationError as exc:
            revised = revised_dates(fc, data)
            if not revised:
                reason = f"update refused: {exc}"
            else:
                parts = [f"{k} at {', '.join(v[:6])}" for k, v in revised.items()]
                reason = f"history revised: {'; '.join(parts)}"
                refit.update({k: f"history revised at {', '.join(v)}" for k, v in revised.items()})
        except TrendcastError as exc:
            reason = f"update failed: {exc}"
    fc, failures = _fit(config, chunk, data)
    action = "fit" if reason == "first fit" else f"refit: {reason}"
    return fc, action, refit, {"fitted_as_of": as_of, "updates_since_fit": 0}, failures


def checkpoint_row(
    chunk: Chunk, fc: TrendForecaster | None, action: str, lineage: dict[str, Any],
    digest: str, as_of: dt.date, config_hash: str,
) -> dict[str, Any]:  # fmt: skip
    """The checkpoint of a chunk: its artifact bytes and where they come from."""
    blob = b"" if fc is None else to_bytes(fc)
    return {
        "as_of": as_of,
        "config_hash": config_hash,
        "chunk": chunk.index,
        "categories_hash": chunk.categories_hash,
        "data_hash": digest,
        "n_categories": len(chunk.keys),
        "categories": json.dumps(list(chunk.keys)),
        "sha256": hashlib.sha256(blob).hexdigest(),
        "size": len(blob),
        "fitted_as_of": lineage["fitted_as_of"],
        "updates_since_fit": lineage["updates_since_fit"],
        "action": action,
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "blob": blob,
    }
