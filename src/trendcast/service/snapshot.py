"""One run's forecasters, loaded once and lazily, with its forecasts cached.

A ``Snapshot`` is what every request of the service reads: the forecasters of
one run (a saved forecaster, or the nightly job's chunks of one stored run),
each loaded the first time a category of it is asked for, and what that run
stored (its flags, hotspots, accuracy; none for a saved forecaster). A
snapshot never changes once made: when a new run lands, the source makes a new
snapshot and swaps it in whole, and a request that started on the old one
finishes on it.

The engine is not made for threads (a loaded forecaster rebuilds a category's
model on first use and records a fallback in its state), so every call into
it holds the snapshot's engine lock, for at most ``BATCH`` categories at a
time; the service's threads wait there, not inside it. The cache has a lock
of its own, held only to look up and store, so a cached answer never waits
for a model.
Forecasts without covariates are deterministic, so each category's rows are
cached by horizon and levels: a category asked for again costs no model call.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from trendcast._validation import count, format_items
from trendcast.exceptions import ParameterError, TrendcastError
from trendcast.forecaster import TrendForecaster
from trendcast.service.errors import NotAvailableError

__all__ = ["Part", "RunInfo", "Snapshot"]

#: forecast columns a stored run keeps, by level
STORED_LEVELS = (80, 95)

#: categories forecast in one call into the engine (others' requests go between calls)
BATCH = 50

#: categories whose sample paths are kept (by horizon, paths and seed): 1,000 paths of 12
#: periods are 96 kB, so at most about 50 MB
PATHS_CACHED = 500


@dataclass(frozen=True)
class RunInfo:
    """What a snapshot serves: a saved forecaster or one run of the store."""

    id: str
    source: str
    status: str
    n_categories: int
    as_of: str | None = None
    fitted_at: str | None = None
    finished_at: str | None = None
    library_version: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """Categories served by one forecaster, and how to load it (called once, on first use)."""

    keys: tuple[Any, ...]
    load: Callable[[], TrendForecaster]


class Snapshot:
    """The forecasters of one run, and the tables it stored.

    Parameters
    ----------
    run : RunInfo
        What is served.
    parts : list of Part
        The forecasters and their categories (a category in one part only).
    stored : callable, optional
        ``stored(table)``: a table the run stored (``forecasts``, ``flags``,
        ``hotspots``, ``accuracy``, ``fit_reports``), read once; None for a
        saved forecaster, which stores none.
    cache_size : int
        Most (category, horizon, levels) forecasts kept.
    """

    def __init__(
        self,
        run: RunInfo,
        parts: Sequence[Part],
        stored: Callable[[str], pd.DataFrame] | None = None,
        cache_size: int = 50_000,
    ) -> None:
        self.run = run
        self.parts = list(parts)
        self._owner: dict[Any, int] = {}
        for i, part in enumerate(self.parts):
            for key in part.keys:
                self._owner[key] = i
        self._text = {str(k): k for k in self._owner}
        self._position = {k: i for i, k in enumerate(self._owner)}
        self._forecasters: dict[int, TrendForecaster] = {}
        self._stored_reader = stored
        self._tables: dict[str, pd.DataFrame] = {}
        self._stored_rows: dict[str, dict[str, np.ndarray]] | None = None
        self._engine = threading.RLock()  # calls into the engine, and loading a part
        self._data = threading.RLock()  # the cache and the stored tables (held briefly)
        self._derived_lock = threading.Lock()
        self._cache: OrderedDict[tuple, _Forecast] = OrderedDict()
        self._cache_size = cache_size
        self._paths: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._derived: dict[tuple, pd.DataFrame] = {}
        #: None until ``warm`` ran, then "ok" or what went wrong
        self.warmed: str | None = None

    # ------------------------------------------------------------------ categories
    @property
    def keys(self) -> list[Any]:
        """Every category served, in the order of the parts."""
        return list(self._owner)

    def resolve(self, ids: Sequence[Any] | None, limit: int | None = None) -> list[Any]:
        """The served categories named by ``ids`` (text or numbers; all when None), in fit
        order (as ``TrendForecaster.predict(ids=...)`` gives them).

        Raises
        ------
        ParameterError
            When a category is not served (naming up to five), or more than
            ``limit`` are asked for.
        """
        if ids is None:
            keys = self.keys
        else:
            keys, unknown = [], []
            for item in dict.fromkeys(ids):
                key = item if item in self._owner else self._text.get(str(item))
                if key is None:
                    unknown.append(item)
                elif key not in keys:
                    keys.append(key)
            if unknown:
                raise ParameterError(
                    f"categories: {count(len(unknown), 'category', 'categories')} not served: "
                    f"{format_items(unknown)}; this run serves "
                    f"{count(len(self._owner), 'category', 'categories')} "
                    f"(GET /v1/categories lists them), starting {format_items(self.keys[:5])}"
                )
            keys.sort(key=self._position.__getitem__)
        if limit is not None and len(keys) > limit:
            what = "categories" if ids is not None else "categories (all, none being named)"
            raise ParameterError(
                f"{what}: {len(keys)} asked for, more than the {limit} one request may ask "
                "for; name at most that many in categories and split the rest over more requests"
            )
        return keys

    def forecaster(self, index: int) -> TrendForecaster:
        """Part ``index``'s forecaster, loaded on first use."""
        fc = self._forecasters.get(index)
        if fc is not None:
            return fc
        with self._engine:
            fc = self._forecasters.get(index)
            if fc is None:
                fc = self.parts[index].load()
                fc.set_params(n_jobs=1, progress=False)
                self._forecasters[index] = fc
            return fc

    def by_part(self, keys: Sequence[Any]) -> dict[int, list[Any]]:
        """Part index -> the categories of ``keys`` it serves."""
        groups: dict[int, list[Any]] = {}
        for key in keys:
            groups.setdefault(self._owner[key], []).append(key)
        return groups

    def describe(self) -> dict[str, Any]:
        """Frequency, columns and covariates of the forecasters (from the first part)."""
        if not self.parts:
            return {"freq": None, "id_col": "unique_id", "time_col": "ds", "covariates": [],
                    "tz": None, "season_length": 1, "target_col": "y"}  # fmt: skip
        fc = self.forecaster(0)
        spec = fc.state_.spec
        first = next(iter(fc.state_.last_dates.values()), None)
        return {
            "tz": None if first is None or first.tz is None else str(first.tz),
            "freq": spec.freq,
            "season_length": int(spec.season_length),
            "id_col": spec.id_col,
            "time_col": spec.time_col,
            "target_col": spec.target_col,
            "covariates": list(spec.covariates),
        }

    # ------------------------------------------------------------------ forecasts
    def _forecasts(
        self,
        keys: Sequence[Any],
        h: int,
        levels: tuple[int, ...],
        covariates: pd.DataFrame | None = None,
    ) -> dict[Any, _Forecast]:
        """Each category's forecast, from the cache or the models (one call a part)."""
        found: dict[Any, _Forecast] = {}
        if covariates is None:
            with self._data:
                for key in keys:
                    hit = self._cache.get((key, h, levels))
                    if hit is not None:
                        self._cache.move_to_end((key, h, levels))
                        found[key] = hit
        missing = [k for k in keys if k not in found]
        for index, keys_of_part in self.by_part(missing).items():
            fc = self.forecaster(index)
            id_col = fc.state_.spec.id_col
            # a few categories a call: a request for many does not hold the engine for long
            for start in range(0, len(keys_of_part), BATCH):
                some = keys_of_part[start : start + BATCH]
                x_part = None if covariates is None else covariates[covariates[id_col].isin(some)]
                with self._engine:
                    frame = fc.predict(h, level=levels, X_df=x_part, ids=some)
                made = {key: _Forecast(cols) for key, cols in _split(frame, id_col, h)}
                found.update(made)
                if covariates is None:
                    with self._data:
                        for key, forecast in made.items():
                            self._remember((key, h, levels), forecast)
        return found

    def predict(
        self,
        keys: Sequence[Any],
        h: int,
        levels: Sequence[int],
        covariates: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """The forecast of ``keys``, as ``TrendForecaster.predict`` gives it, from the models."""
        chosen = tuple(sorted({int(lv) for lv in levels}))
        found = self._forecasts(keys, h, chosen, covariates)
        return _join([found[k].cols for k in keys], self.describe(), chosen)

    def forecast_rows(
        self, keys: Sequence[Any], h: int, levels: Sequence[int], stored: bool = True
    ) -> tuple[list[dict[str, Any]], bool]:
        """JSON rows (``unique_id, ds, model, mean, lo-<l>, hi-<l>``) of the forecast of
        ``keys`` and whether they are the run's stored rows (when ``stored`` and the run
        stored them for ``h`` and ``levels``), else the models'. Each category's rows are
        built once and cached with its forecast: a repeated question costs no pandas."""
        chosen = tuple(sorted({int(lv) for lv in levels}))
        found = self._stored(keys, h, chosen) if stored else None
        from_store = found is not None
        if found is None:
            found = self._forecasts(keys, h, chosen)
        info = self.describe()
        rows: list[dict[str, Any]] = []
        for key in keys:
            rows.extend(found[key].rows(key, info, chosen))
        return rows, from_store

    def cached_rows(
        self, keys: Sequence[Any], h: int, levels: Sequence[int]
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """``forecast_rows`` when every category's answer is cached (else None): never calls
        the engine or the store, so the app answers it without leaving its event loop."""
        if self.warmed is None:
            return None  # the first part may still be loading
        chosen = tuple(sorted({int(lv) for lv in levels}))
        with self._data:
            found = [self._cache.get(("stored", key, h, chosen)) for key in keys]
            from_store = True
            if any(f is None for f in found):
                found = [self._cache.get((key, h, chosen)) for key in keys]
                from_store = False
                if any(f is None for f in found):
                    return None
        info = self.describe()
        rows: list[dict[str, Any]] = []
        for key, forecast in zip(keys, found, strict=True):
            assert forecast is not None
            rows.extend(forecast.rows(key, info, chosen))
        return rows, from_store

    def _remember(self, key: tuple, forecast: _Forecast) -> None:
        self._cache[key] = forecast
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def paths(
        self,
        keys: Sequence[Any],
        h: int,
        n_paths: int,
        seed: int,
        covariates: pd.DataFrame | None = None,
    ) -> dict[Any, np.ndarray]:
        """Sample paths ``(n_paths, h)`` of ``keys`` (a category's are the same drawn alone).

        The same seed gives the same paths, so without covariates the last
        ``PATHS_CACHED`` categories' draws are kept: a plan checked again, or
        another plan for the same categories, draws nothing."""
        out: dict[Any, np.ndarray] = {}
        if covariates is None:
            with self._data:
                for key in keys:
                    hit = self._paths.get((key, h, n_paths, seed))
                    if hit is not None:
                        self._paths.move_to_end((key, h, n_paths, seed))
                        out[key] = hit
        missing = [k for k in keys if k not in out]
        for index, some in self.by_part(missing).items():
            fc = self.forecaster(index)
            x_part = None
            if covariates is not None:
                x_part = covariates[covariates[fc.state_.spec.id_col].isin(some)]
            with self._engine:
                drawn = fc.sample_paths(
                    h, n_paths=n_paths, random_state=seed, output="arrays", X_df=x_part, ids=some
                )
            assert isinstance(drawn, dict)
            out.update(drawn)
            if covariates is None:
                with self._data:
                    for key, paths in drawn.items():
                        paths.setflags(write=False)  # shared by the requests that reuse it
                        self._paths[(key, h, n_paths, seed)] = paths
                    while len(self._paths) > PATHS_CACHED:
                        self._paths.popitem(last=False)
        return {k: out[k] for k in keys}

    def last_dates(self, keys: Sequence[Any]) -> dict[Any, pd.Timestamp]:
        """Each category's last observed period (its forecast origin)."""
        out: dict[Any, pd.Timestamp] = {}
        for index, some in self.by_part(keys).items():
            dates = self.forecaster(index).last_dates_
            out.update({k: dates[k] for k in some})
        return out

    def history(self, keys: Sequence[Any], periods: int | None = None) -> pd.DataFrame:
        """The history the models were fitted on (the last ``periods`` of each), long."""
        frames = []
        info = self.describe()
        for index, some in self.by_part(keys).items():
            state = self.forecaster(index).state_
            for key in some:
                y = np.asarray(state.y[key], dtype=float)
                if periods is not None:
                    y = y[-periods:]
                dates = pd.date_range(end=state.last_dates[key], periods=y.size, freq=info["freq"])
                frames.append(
                    pd.DataFrame({info["id_col"]: [key] * y.size, info["time_col"]: dates, "y": y})
                )
        if not frames:
            return pd.DataFrame(columns=[info["id_col"], info["time_col"], "y"])
        return pd.concat(frames, ignore_index=True)

    # ------------------------------------------------------------------ what the run stored
    def stored(self, table: str) -> pd.DataFrame | None:
        """A table the run stored (read once), or None for a saved forecaster."""
        if self._stored_reader is None:
            return None
        with self._data:
            if table not in self._tables:
                self._tables[table] = self._stored_reader(table)
            return self._tables[table]

    def _stored(
        self, keys: Sequence[Any], h: int, levels: tuple[int, ...]
    ) -> dict[Any, _Forecast] | None:
        """The run's stored forecast of ``keys`` when it covers ``h`` and ``levels``, else None."""
        if self._stored_reader is None or not set(levels) <= set(STORED_LEVELS):
            return None
        info = self.describe()
        with self._data:
            if self._stored_rows is None:
                self._stored_rows = self._stored_by_category()
            by_id = self._stored_rows
            found = {}
            for key in keys:
                cols = by_id.get(str(key))
                if cols is None or cols["mean"].size < h:
                    return None  # beyond the stored horizon, or a category without stored rows
                cached = self._cache.get(("stored", key, h, levels))
                if cached is None:
                    part = {
                        info["id_col"]: np.array([key] * h, dtype=object),
                        info["time_col"]: cols["ds"][:h], "model": cols["model"][:h],
                        "mean": cols["mean"][:h],
                        **{f"{side}-{lv}": cols[f"{side}_{lv}"][:h]
                           for lv in levels for side in ("lo", "hi")},
                    }  # fmt: skip
                    cached = _Forecast(part)
                    self._remember(("stored", key, h, levels), cached)
                found[key] = cached
            return found

    def _stored_by_category(self) -> dict[str, dict[str, np.ndarray]]:
        """The stored forecast rows of every category, as columns, in step order."""
        table = self.stored("forecasts")
        if table is None or table.empty:
            return {}
        table = table.sort_values(["unique_id", "step"])
        columns = [
            "ds",
            "model",
            "mean",
            *(f"{s}_{lv}" for lv in STORED_LEVELS for s in ("lo", "hi")),
        ]
        out = {}
        for key, group in table.groupby("unique_id", sort=False):
            cols = {c: group[c].to_numpy() for c in columns}
            cols["ds"] = pd.to_datetime(group["ds"]).to_numpy()
            for c in columns[2:]:
                cols[c] = cols[c].astype(float)
            out[str(key)] = cols
        return out

    def derived(self, key: tuple, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A table computed from the whole run once (hotspots), kept with the snapshot.

        Computed outside the other locks: requests answered from the cache go on."""
        with self._derived_lock:
            if key not in self._derived:
                self._derived[key] = make()
            return self._derived[key]

    def warm(self) -> str:
        """Forecast the first category once: loads the first part and imports what its models
        need, so the first request does not wait for it.

        Returns "ok" or what went wrong; ``warmed`` keeps it for ``/readyz``.
        """
        try:
            first = next((part.keys[0] for part in self.parts if part.keys), None)
            if first is not None:
                self._forecasts([first], 1, STORED_LEVELS)
            self.warmed = "ok"
        except TrendcastError as exc:
            self.warmed = f"the first category does not forecast: {type(exc).__name__}: {exc}"
        return self.warmed

    def require_stored(self, what: str, instead: str) -> None:
        """Refuse a question only a stored run answers (HTTP 404)."""
        if self._stored_reader is None:
            raise NotAvailableError(
                f"{what} come from the nightly job's store (trendcast serve --store URL); this "
                f"server serves a saved forecaster (--model), which stores none. {instead}"
            )


class _Forecast:
    """One category's forecast: its columns (the library's names) and, once asked for,
    its JSON rows (the API's names)."""

    __slots__ = ("_rows", "cols")

    def __init__(self, cols: dict[str, np.ndarray]) -> None:
        self.cols = cols
        self._rows: list[dict[str, Any]] | None = None

    def rows(self, key: Any, info: Mapping[str, Any], levels: Sequence[int]) -> list[dict]:
        if self._rows is None:
            self._rows = _json_rows(key, self.cols, info, levels)
        return self._rows


def _numbers(values: np.ndarray) -> list[float | None]:
    out = np.asarray(values, dtype=float).tolist()
    return [v if math.isfinite(v) else None for v in out]


def _json_rows(
    key: Any, cols: Mapping[str, np.ndarray], info: Mapping[str, Any], levels: Sequence[int]
) -> list[dict[str, Any]]:
    """A category's forecast rows as JSON values: ISO dates, None for a non-finite number."""
    stamps = pd.DatetimeIndex(cols[info["time_col"]])
    if stamps.tz is None and (stamps == stamps.normalize()).all():
        dates = list(stamps.strftime("%Y-%m-%d"))
    else:
        dates = [s.isoformat() for s in stamps]
    ident = key.item() if isinstance(key, np.generic) else key
    names = ["mean", *(f"{side}-{lv}" for lv in levels for side in ("lo", "hi"))]
    numbers = [_numbers(cols[n]) for n in names]
    models = [str(m) for m in cols["model"]]
    return [
        {"unique_id": ident, "ds": d, "model": m, **dict(zip(names, values, strict=True))}
        for d, m, *values in zip(dates, models, *numbers, strict=True)
    ]


def _split(frame: pd.DataFrame, id_col: str, h: int) -> list[tuple[Any, dict[str, np.ndarray]]]:
    """``(category, its columns)`` of a forecast frame of ``h`` rows a category, in its order."""
    columns = {c: frame[c].to_numpy() for c in frame.columns}
    ids = columns[id_col]
    out = []
    for start in range(0, len(frame), h):
        out.append((ids[start], {c: v[start : start + h] for c, v in columns.items()}))
    return out


def _join(
    parts: list[dict[str, np.ndarray]], info: Mapping[str, Any], levels: Sequence[int]
) -> pd.DataFrame:
    """One forecast frame from categories' columns, with the library's column order."""
    columns = [info["id_col"], info["time_col"], "model", "mean"]
    for lv in levels:
        columns += [f"lo-{lv}", f"hi-{lv}"]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in columns})
