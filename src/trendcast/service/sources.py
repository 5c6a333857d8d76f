"""Where the served forecasters come from: a saved forecaster, or the nightly job's store.

A source hands out the current ``Snapshot`` and, when asked to ``refresh``
(the app does every few seconds, on a thread of its own), checks whether a
newer run has landed; if so it builds the new snapshot beside the old one and
swaps the reference, so requests in flight finish on the old one and none is
dropped. A new run that cannot be read yet (a save being replaced, a store
down) leaves the old one served and is tried again at the next check;
``readyz`` shows why.

* ``ModelSource(path)``: a directory (or ``.zip``/``.tar``) written by
  ``TrendForecaster.save``. A new save is noticed by the manifest's inode,
  modification time and size (``save(..., overwrite=True)`` replaces the
  whole directory), and named by the SHA-256 of its manifest.
* ``StoreSource(url)``: the latest finished run of the nightly job's store
  (``trendcast.store``): its chunks' forecasters (safe-format archives in the
  ``artifacts`` table, each checked against its SHA-256 and loaded on first
  use) and the forecasts, flags, hotspots and accuracy it stored.

Neither reads a path or a URL from a request: both come from the command line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from trendcast.exceptions import MissingDependencyError, PersistenceError, TrendcastError
from trendcast.forecaster import TrendForecaster, load
from trendcast.service.errors import NotAvailableError, SourceUnavailableError
from trendcast.service.snapshot import Part, RunInfo, Snapshot

__all__ = ["ModelSource", "Source", "StoreSource", "open_source"]

logger = logging.getLogger("trendcast.service")

#: run statuses the store source serves (a partial run failed some categories)
FINISHED = ("ok", "partial")


class Source(Protocol):
    """What the app needs from a source."""

    kind: str
    reload_error: str | None

    def snapshot(self, run: str | None = None) -> Snapshot:
        """The snapshot to answer a request with (the served run, or the one named)."""
        ...

    def refresh(self) -> bool:
        """Swap in a newer run if one has landed; True if it did."""
        ...

    def runs(self, limit: int) -> pd.DataFrame:
        """The runs this source can tell of, newest first."""
        ...

    def check(self) -> dict[str, str]:
        """Readiness checks: name -> "ok" or what is wrong."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _iso(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        if stamp.tz is None and stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class ModelSource:
    """A saved forecaster (``trendcast serve --model DIR``).

    Parameters
    ----------
    path : str or path-like
        The directory, ``.zip`` or ``.tar`` that ``TrendForecaster.save`` wrote.
    cache_size : int
        Forecasts kept per snapshot (see ``Snapshot``).

    Raises
    ------
    PersistenceError
        When the save cannot be loaded safely (missing, damaged, tampered with).
    """

    kind = "model"

    def __init__(self, path: str | os.PathLike[str], *, cache_size: int = 50_000) -> None:
        self.path = Path(path)
        self.cache_size = cache_size
        self.reload_error: str | None = None
        self._lock = threading.Lock()
        stamp = self._stamp()
        if stamp is None:
            raise PersistenceError(f"{self.path}: no saved forecaster there (no manifest.json)")
        self._current = self._load()
        self._seen = stamp

    def _manifest_path(self) -> Path:
        return self.path / "manifest.json" if self.path.is_dir() else self.path

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._manifest_path())
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _digest(self) -> tuple[str, dict[str, Any]]:
        """SHA-256 of the manifest (of the archive, for a .zip or .tar) and the manifest."""
        data = self._manifest_path().read_bytes()
        manifest: dict[str, Any] = {}
        if self.path.is_dir():
            try:
                manifest = json.loads(data)
            except ValueError:
                manifest = {}
        return hashlib.sha256(data).hexdigest(), manifest

    def _load(self) -> Snapshot:
        """Load the save now at ``path`` (its categories' models are rebuilt on first use)."""
        before, manifest = self._digest()
        fc = load(self.path)
        after, _ = self._digest()
        if before != after:
            raise PersistenceError(f"{self.path} was replaced while it was read; trying again")
        state = fc.state_
        keys = tuple(state.fits)
        fit_date = manifest.get("fit_date") or _iso(state.fitted_at)
        run = RunInfo(
            id=before[:12],
            source="model",
            status="ok",
            n_categories=len(keys),
            as_of=_iso(max(state.last_dates.values())) if keys else None,
            fitted_at=fit_date,
            library_version=manifest.get("trendcast_version"),
            detail={"manifest_sha256": before, "format_version": manifest.get("format_version")},
        )
        return Snapshot(run, [Part(keys, lambda: fc)], None, self.cache_size)

    def snapshot(self, run: str | None = None) -> Snapshot:
        """The save being served; ``run`` may only name it (a save is one run).

        Raises
        ------
        NotAvailableError
            When ``run`` names another run.
        """
        current = self._current
        if run in (None, "latest", current.run.id, current.run.detail["manifest_sha256"]):
            return current
        raise NotAvailableError(
            f"run {run!r}: this server serves one saved forecaster, run {current.run.id!r} "
            "(the start of its manifest's SHA-256); earlier runs are kept by the nightly "
            "job's store (trendcast serve --store URL)"
        )

    def refresh(self) -> bool:
        """Load a new save if the manifest changed; keep the old one if it cannot be read."""
        with self._lock:
            stamp = self._stamp()
            if stamp is None or stamp == self._seen:
                return False
            try:
                digest, _ = self._digest()
                if digest[:12] == self._current.run.id:
                    self._seen = stamp
                    return False
                fresh = self._load()
                fresh.warm()  # served warm: its first request does not load the save
            except (TrendcastError, OSError) as exc:
                self.reload_error = f"{type(exc).__name__}: {exc}"
                logger.warning("new save at %s not loaded yet: %s", self.path, exc)
                return False
            self._current, self._seen, self.reload_error = fresh, stamp, None
            logger.info("now serving save %s (%d categories)", fresh.run.id, fresh.run.n_categories)
            return True

    def runs(self, limit: int) -> pd.DataFrame:
        """The one run a saved forecaster is: the save itself."""
        run = self._current.run
        return pd.DataFrame(
            [
                {
                    "id": run.id, "source": run.source, "status": run.status,
                    "as_of": run.as_of, "fitted_at": run.fitted_at, "finished_at": None,
                    "n_categories": run.n_categories, "library_version": run.library_version,
                    "served": True,
                }
            ]
        ).head(limit)  # fmt: skip

    def check(self) -> dict[str, str]:
        """The save is still there and its first category forecasts (``Snapshot.warm``)."""
        checks = {"models": self._current.warmed or "loading"}
        checks["source"] = "ok" if self._stamp() is not None else f"{self.path} is gone"
        if self.reload_error:
            checks["reload"] = f"serving the previous save; the new one: {self.reload_error}"
        return checks

    def close(self) -> None:
        """Nothing to release."""


class StoreSource:
    """The latest finished run of the nightly job's store (``trendcast serve --store URL``).

    Parameters
    ----------
    url : str
        The store's SQLAlchemy URL (``sqlite:///...``, ``postgresql://...``).
    cache_size : int
        Forecasts kept per snapshot.

    Raises
    ------
    MissingDependencyError
        When this trendcast has no store (``trendcast.store`` is the nightly
        job's), or its dependencies are not installed.
    SourceUnavailableError
        When the store holds no finished run.
    """

    kind = "store"

    def __init__(self, url: str, *, cache_size: int = 50_000) -> None:
        self._store_module = _store_module()
        self.store = self._store_module.Store(url, upgrade=False)
        self.cache_size = cache_size
        self.reload_error: str | None = None
        self._lock = threading.Lock()
        self._older: dict[str, Snapshot] = {}
        latest = self._latest()
        if latest is None:
            raise SourceUnavailableError(
                f"store {self.store.where} holds no finished run yet; run the nightly job "
                "(`trendcast run CONFIG`) first"
            )
        self._current = self._open(latest)

    def _latest(self) -> dict[str, Any] | None:
        runs = self.store.runs(limit=50)
        done = runs[runs["status"].isin(FINISHED)]
        return None if done.empty else dict(done.iloc[0])

    @staticmethod
    def _version(run: dict[str, Any]) -> str:
        return f"{run['id']}:{run.get('attempt')}:{_iso(run.get('finished_at'))}"

    def _open(self, run: dict[str, Any]) -> Snapshot:
        """A snapshot of a stored run: its chunks' forecasters, loaded on first use."""
        run_id = int(run["id"])
        arts = self.store.read("artifacts", run_id)
        parts = []
        for row in arts.sort_values("chunk").itertuples():
            if not row.size:
                continue  # the chunk failed: no forecaster, no forecasts
            keys = tuple(json.loads(row.categories))
            parts.append(Part(keys, self._loader(run_id, int(row.chunk), str(row.sha256))))
        info = RunInfo(
            id=str(run_id),
            source="store",
            status=str(run["status"]),
            n_categories=sum(len(p.keys) for p in parts),
            as_of=_iso(run.get("as_of")),
            finished_at=_iso(run.get("finished_at")),
            library_version=run.get("library_version"),
            detail={"version": self._version(run), "attempt": run.get("attempt"),
                    "store": self.store.where},
        )  # fmt: skip
        return Snapshot(info, parts, lambda table: self.store.read(table, run_id), self.cache_size)

    def _loader(self, run_id: int, chunk: int, sha256: str) -> Any:
        def load_chunk() -> TrendForecaster:
            import sqlalchemy as sa

            tab = self._store_module.tables["artifacts"]
            query = sa.select(tab.c.blob).where(tab.c.run_id == run_id, tab.c.chunk == chunk)
            with self.store.engine.connect() as conn:
                blob = conn.execute(query).scalar()
            where = f"store run {run_id}, chunk {chunk}"
            if blob is None:
                raise SourceUnavailableError(f"{where}: the artifact is gone (run replaced?)")
            found = hashlib.sha256(blob).hexdigest()
            if found != sha256:
                raise PersistenceError(
                    f"{where}: checksum mismatch (stored {sha256[:12]}..., found {found[:12]}...)"
                )
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "chunk.zip"
                path.write_bytes(blob)
                return load(path)  # every member is read (and checked) before this returns

        return load_chunk

    def snapshot(self, run: str | None = None) -> Snapshot:
        """The run being served, or the finished run ``run`` names (id, as-of date, latest).

        Raises
        ------
        NotAvailableError
            When the store has no such finished run.
        """
        current = self._current
        if run is None or run in ("latest", current.run.id):
            return current
        try:
            found = self.store.get_run(run)
        except TrendcastError as exc:  # the store's StoreError: no such run
            raise NotAvailableError(str(exc)) from exc
        if found.get("status") not in FINISHED:
            raise NotAvailableError(f"run {run!r} did not finish (status {found.get('status')})")
        version = self._version(found)
        if version == current.run.detail["version"]:
            return current
        with self._lock:
            snap = self._older.pop(version, None) or self._open(found)
            self._older[version] = snap
            while len(self._older) > 2:  # earlier runs asked for: the last two kept
                self._older.pop(next(iter(self._older)))
        return snap

    def refresh(self) -> bool:
        """Serve the latest finished run if it is not the one served."""
        with self._lock:
            try:
                latest = self._latest()
                if latest is None or self._version(latest) == self._current.run.detail["version"]:
                    self.reload_error = None
                    return False
                fresh = self._open(latest)
                fresh.warm()
            except Exception as exc:  # a store that is down raises SQLAlchemy's own errors
                self.reload_error = f"{type(exc).__name__}: {exc}"
                logger.warning("store not read: %s", exc)
                return False
            self._current, self.reload_error = fresh, None
            logger.info("now serving store run %s", fresh.run.id)
            return True

    def runs(self, limit: int) -> pd.DataFrame:
        """The store's runs, newest first; ``served`` marks the one answered from."""
        runs = self.store.runs(limit=limit)
        keep = ["id", "status", "as_of", "finished_at", "n_categories", "library_version"]
        out = runs[[c for c in keep if c in runs.columns]].copy()
        out["id"] = out["id"].astype(str)
        out["source"] = "store"
        out["fitted_at"] = None
        out["served"] = out["id"] == self._current.run.id
        return out

    def check(self) -> dict[str, str]:
        """The store answers and the served run's first category forecasts (``warm``)."""
        checks = {}
        try:
            self.store.runs(limit=1)
            checks["source"] = "ok"
        except Exception as exc:  # SQLAlchemy's errors
            checks["source"] = f"store {self.store.where} does not answer: {exc}"
        snap = self._current
        checks["models"] = snap.warmed or "loading"
        if self.reload_error:
            checks["reload"] = f"serving run {snap.run.id}; the newer one: {self.reload_error}"
        return checks

    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()


def _store_module() -> Any:
    """``trendcast.store``, or a clear error when this trendcast has none or lacks its drivers."""
    try:
        # imported by name: trendcast.store (the nightly job's) is not in every version, and
        # a static import of a missing module reads to import-linter as one of the package
        # root. Once the job is merged, import it statically (service above store).
        store = importlib.import_module("trendcast.store")
    except ImportError as exc:
        if (exc.name or "").startswith("trendcast"):
            raise MissingDependencyError(
                "--store needs the nightly job's store (trendcast.store), which this version "
                "of trendcast does not have; serve a saved forecaster with --model DIR"
            ) from exc
        raise MissingDependencyError(
            f"--store needs {exc.name}: pip install 'trendcast[job]'"
        ) from exc
    return store


def open_source(
    model: str | os.PathLike[str] | None = None,
    store: str | None = None,
    *,
    cache_size: int = 50_000,
) -> ModelSource | StoreSource:
    """The source of ``trendcast serve``: exactly one of ``model`` and ``store``."""
    from trendcast.exceptions import ParameterError

    if (model is None) == (store is None):
        raise ParameterError("pass exactly one of --model DIR and --store URL")
    if model is not None:
        return ModelSource(model, cache_size=cache_size)
    assert store is not None
    return StoreSource(store, cache_size=cache_size)
