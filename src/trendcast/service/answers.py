"""What each endpoint answers, from a snapshot and a request, as JSON-ready dicts.

The app (``trendcast.service.app``) only parses, authorizes and maps errors;
the answers are computed here with the library's own functions
(``TrendForecaster.predict`` and ``sample_paths``, ``supply_gaps``,
``summarize_gaps``, ``hotspots``), so the service says what the library says.
Every deliberate refusal is a ``TrendcastError`` whose message says what is
wrong: ``ParameterError`` for a value out of range, ``DataValidationError``
for rows that do not line up, ``NotAvailableError`` for a question the source
cannot answer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trendcast._validation import format_items
from trendcast.adaptation import summarize_gaps, supply_gaps
from trendcast.exceptions import DataValidationError, ParameterError
from trendcast.hotspots import hotspots as rank_hotspots
from trendcast.service.snapshot import Snapshot

__all__ = [
    "Limits",
    "accuracy",
    "categories",
    "flags",
    "gaps",
    "hotspots",
    "predict",
    "predict_cached",
    "records",
]


@dataclass(frozen=True)
class Limits:
    """What one request may ask for.

    Attributes
    ----------
    max_body_bytes : int
        Largest request body (HTTP 413 beyond).
    max_horizon : int
        Most periods forecast or scored at once.
    max_categories : int
        Most categories in one predict or gaps request (predict without
        ``categories`` asks for all of them).
    max_path_values : int
        Most sample-path values one gaps request draws (categories x paths x
        periods; 8 bytes each).
    """

    max_body_bytes: int = 2_000_000
    max_horizon: int = 120
    max_categories: int = 1000
    max_path_values: int = 20_000_000


# ---------------------------------------------------------------------------- JSON values
def _plain(value: Any) -> Any:
    """A JSON value: None for missing or non-finite, ISO text for dates, Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return _date_text(pd.Timestamp(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _date_text(stamp: pd.Timestamp) -> str:
    if stamp.tz is None and stamp == stamp.normalize():
        return stamp.strftime("%Y-%m-%d")
    return stamp.isoformat()


def _column(values: pd.Series) -> list[Any]:
    """A column as JSON values (vectorised for dates and numbers, the common cases)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":
        arr = values.to_numpy()
        days = arr.astype("datetime64[D]")
        if (arr == days).all():
            text = np.datetime_as_string(days, unit="D").tolist()
            return [None if t == "NaT" else t for t in text]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        arr = values.to_numpy()
        out = arr.tolist()
        if not np.isfinite(arr).all():
            out = [v if math.isfinite(v) else None for v in out]
        return out
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub":
        return values.to_numpy().tolist()
    return [_plain(v) for v in values.tolist()]


def records(frame: pd.DataFrame, rename: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of JSON values, columns renamed by ``rename``."""
    names = [str((rename or {}).get(c, c)) for c in frame.columns]
    columns = [_column(frame[c]) for c in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _to_api(info: Mapping[str, Any]) -> dict[str, str]:
    return {info["id_col"]: "unique_id", info["time_col"]: "ds"}


def _columns(info: Mapping[str, Any]) -> dict[str, str]:
    return {"id": info["id_col"], "time": info["time_col"], "target": info["target_col"]}


# ---------------------------------------------------------------------------- inputs
def _check_horizon(h: int, limits: Limits, what: str = "horizon") -> int:
    if h > limits.max_horizon:
        raise ParameterError(
            f"{what}={h} is more periods than this server forecasts at once (at most "
            f"{limits.max_horizon}); ask for a shorter horizon"
        )
    return int(h)


def _dates(values: pd.Series, what: str, tz: str | None = None) -> pd.Series:
    """``values`` as dates in the served forecast's time zone (``tz``; None: none), or a
    DataValidationError naming the first row that is not one."""
    try:
        dates = pd.to_datetime(values, format="ISO8601")
    except (ValueError, TypeError, OverflowError) as exc:
        for i, v in enumerate(values):
            try:
                pd.to_datetime(v, format="ISO8601")
            except (ValueError, TypeError, OverflowError):
                raise DataValidationError(
                    f"{what} row {i}: ds {str(v)[:40]!r} is not a date; write ISO 8601 "
                    "(e.g. '2025-01-01')"
                ) from exc
        raise DataValidationError(f"{what}: ds is not a date column ({exc})") from exc
    found = None if dates.dt.tz is None else str(dates.dt.tz)
    if found != tz:
        raise DataValidationError(
            f"{what}: ds is in time zone {found or 'none'}, the forecast's periods in "
            f"{tz or 'none'}; write the dates as the forecast does (e.g. "
            f"{'2025-01-01' if tz is None else '2025-01-01T00:00:00+00:00'})"
        )
    return dates


def _ids(values: Sequence[Any], snap: Snapshot, what: str) -> list[Any]:
    """The served category of each value (text or number), or a DataValidationError."""
    known = {str(k): k for k in snap.keys}
    out, unknown = [], []
    for v in values:
        key = known.get(str(v))
        if key is None:
            unknown.append(v)
        out.append(key)
    if unknown:
        shown = format_items(list(dict.fromkeys(unknown)))
        raise DataValidationError(
            f"{what}: {len(set(map(str, unknown)))} categories not served: {shown}; "
            "GET /v1/categories lists the served ones"
        )
    return out


def covariates_frame(
    rows: list[dict[str, Any]] | None, snap: Snapshot, keys: Sequence[Any]
) -> pd.DataFrame | None:
    """The covariate rows as the ``X_df`` of ``predict`` (served column names), checked."""
    info = snap.describe()
    if rows is None:
        if info["covariates"]:
            raise DataValidationError(
                f"covariates: the models were fitted with future covariates "
                f"{format_items(info['covariates'])}; pass their values for every category "
                "and forecast period (unique_id, ds and one field per covariate)"
            )
        return None
    if not info["covariates"]:
        raise DataValidationError(
            "covariates: the models were fitted without future covariates; leave covariates out"
        )
    for i, row in enumerate(rows):
        lacking = [c for c in ("unique_id", "ds", *info["covariates"]) if c not in row]
        if lacking:
            raise DataValidationError(
                f"covariates row {i} lacks {format_items(lacking)}; every row needs unique_id, "
                f"ds and {format_items(info['covariates'])}"
            )
    frame = pd.DataFrame(rows)
    frame["unique_id"] = _ids(frame["unique_id"].tolist(), snap, "covariates")
    frame["ds"] = _dates(frame["ds"], "covariates", info["tz"])
    frame = frame[frame["unique_id"].isin(set(keys))]
    return frame.rename(columns={"unique_id": info["id_col"], "ds": info["time_col"]})


# ---------------------------------------------------------------------------- predict
def predict(snap: Snapshot, body: Any, limits: Limits) -> dict[str, Any]:
    """``POST /v1/predict``: stored rows when the run stored them, else the models' forecast."""
    h = _check_horizon(body.horizon, limits)
    levels = sorted(set(body.levels))
    keys = snap.resolve(body.categories, limit=limits.max_categories)
    info = snap.describe()
    if body.covariates is None and not info["covariates"]:
        rows, stored = snap.forecast_rows(keys, h, levels)  # cached rows, no pandas
    else:
        X = covariates_frame(body.covariates, snap, keys)
        rows, stored = records(snap.predict(keys, h, levels, X), _to_api(info)), False
    return {
        "run": snap.run.id,
        "horizon": h,
        "levels": levels,
        "forecast_source": "stored" if stored else "models",
        "columns": _columns(info),
        "rows": rows,
    }


def predict_cached(snap: Snapshot, body: Any, limits: Limits) -> dict[str, Any] | None:
    """``predict``'s answer when it is all in the cache, else None (then call ``predict``)."""
    if body.covariates is not None or body.horizon > limits.max_horizon:
        return None
    try:
        keys = snap.resolve(body.categories, limit=limits.max_categories)
    except ParameterError:
        return None  # predict says what is wrong
    levels = sorted(set(body.levels))
    found = snap.cached_rows(keys, body.horizon, levels)
    if found is None:
        return None
    rows, stored = found
    return {
        "run": snap.run.id,
        "horizon": int(body.horizon),
        "levels": levels,
        "forecast_source": "stored" if stored else "models",
        "columns": _columns(snap.describe()),
        "rows": rows,
    }


# ---------------------------------------------------------------------------- gaps
def _supply_frame(body: Any, snap: Snapshot) -> pd.DataFrame:
    rows = [r.model_dump() for r in body.supply]
    frame = pd.DataFrame(rows)
    frame["unique_id"] = _ids(frame["unique_id"].tolist(), snap, "supply")
    frame["ds"] = _dates(frame["ds"], "supply", snap.describe()["tz"])
    for col in ("scenario", "unit_price"):
        given = frame[col].notna()
        if given.all():
            continue
        if given.any():
            raise DataValidationError(
                f"supply: {col} is given on {int(given.sum())} of {len(frame)} rows; give it "
                "on every row or on none"
            )
        frame = frame.drop(columns=col)
    return frame


def _gaps_horizon(
    body: Any, snap: Snapshot, keys: Sequence[Any], supply: pd.DataFrame, freq: str
) -> int:
    """Periods from each category's origin to its last supply date (the most of them)."""
    if body.horizon is not None:
        return int(body.horizon)
    last = snap.last_dates(keys)
    h = 0
    for key, ds in supply.groupby("unique_id", sort=False)["ds"].max().items():
        try:
            steps = pd.date_range(start=last[key], end=ds, freq=freq)
        except (ValueError, OverflowError) as exc:
            raise DataValidationError(
                f"supply: the dates of {key!r} do not line up: {exc}"
            ) from exc
        h = max(h, len(steps) - 1)
    if h < 1:
        what = "inventory has no receipts" if body.kind == "stock" else "plan has no period"
        raise ParameterError(
            f"horizon: the {what} after the forecast origin (the last observed period, e.g. "
            f"{last[keys[0]]:%Y-%m-%d} for {keys[0]!r}), so the periods to score are not "
            "known; pass horizon"
        )
    return h


def gaps(snap: Snapshot, body: Any, limits: Limits) -> dict[str, Any]:
    """``POST /v1/gaps``: ``supply_gaps`` on the models' sample paths, and its summary."""
    supply = _supply_frame(body, snap)
    keys = snap.resolve(list(dict.fromkeys(supply["unique_id"])), limit=limits.max_categories)
    info = snap.describe()
    h = _check_horizon(_gaps_horizon(body, snap, keys, supply, info["freq"]), limits)
    drawn = len(keys) * body.n_paths * h
    if drawn > limits.max_path_values:
        raise ParameterError(
            f"n_paths={body.n_paths} for {len(keys)} categories and {h} periods is {drawn:,} "
            f"values, more than the {limits.max_path_values:,} one request draws; pass fewer "
            "paths, fewer categories or a shorter horizon"
        )
    X = covariates_frame(body.covariates, snap, keys)
    forecast = snap.predict(keys, h, (80, 95), X)
    paths = snap.paths(keys, h, body.n_paths, body.seed, X)
    scenario = "scenario" if "scenario" in supply.columns else None
    names = {"id_col": info["id_col"], "time_col": info["time_col"]}
    found = supply_gaps(
        forecast,
        supply.rename(columns={"unique_id": info["id_col"], "ds": info["time_col"]}),
        kind=body.kind,
        paths=paths,
        window=body.window,
        threshold=body.threshold,
        persistence=body.persistence,
        unit_price="unit_price" if "unit_price" in supply.columns else None,
        scenario_col=scenario,
        min_cover=body.min_cover,
        max_cover=body.max_cover,
        freq=info["freq"],
        **names,
    )
    history = snap.history(keys, periods=h + 2 * max(int(info["season_length"]), 1))
    summary = summarize_gaps(found, history=history, scenario_col=scenario, **names)
    return {
        "run": snap.run.id,
        "kind": body.kind,
        "horizon": h,
        "n_paths": body.n_paths,
        "distribution": "paths",
        "columns": _columns(info),
        "gaps": records(found, _to_api(info)),
        "flags": records(summary, _to_api(info)),
    }


# ---------------------------------------------------------------------------- the GETs
def flags(snap: Snapshot, supply: str | None, flag: str | None, limit: int) -> dict[str, Any]:
    """``GET /v1/flags``: the flags the run stored, filtered by plan and flag."""
    snap.require_stored(
        "Stored flags",
        "POST /v1/gaps scores a plan or an inventory you send against the forecast.",
    )
    table = snap.stored("flags")
    assert table is not None
    table = table.drop(columns=["id", "run_id"], errors="ignore")
    if supply is not None:
        table = table[table["supply"] == supply]
    if flag is not None:
        table = table[table["flag"] == flag]
    return {"run": snap.run.id, "rows": records(table.head(limit))}


def hotspots(snap: Snapshot, period: int | None, level: int, limit: int, max_h: int) -> dict:
    """``GET /v1/hotspots``: categories ranked by forecast demand over ``period`` periods."""
    stored = snap.stored("hotspots")
    if stored is not None and not stored.empty and period is None and level == 80:
        table = stored.drop(columns=["id", "run_id"], errors="ignore")
        return {
            "run": snap.run.id,
            "period": None,
            "level": level,
            "rows": records(table.head(limit)),
        }

    periods = int(period or 12)
    if periods > max_h:
        raise ParameterError(f"period={periods} is more than the {max_h} periods forecast at once")

    def make() -> pd.DataFrame:
        keys = snap.keys
        info = snap.describe()
        forecast = snap.predict(keys, periods, (level,))
        history = snap.history(keys, periods=periods + 2 * max(int(info["season_length"]), 1))
        return rank_hotspots(
            forecast, history=history, period=periods, level=level,
            id_col=info["id_col"], time_col=info["time_col"], target_col="y",
        )  # fmt: skip

    table = snap.derived(("hotspots", periods, level), make)
    info = snap.describe()
    rows = records(table.head(limit), _to_api(info))
    return {"run": snap.run.id, "period": periods, "level": level, "rows": rows}


def categories(snap: Snapshot, offset: int, limit: int) -> dict[str, Any]:
    """``GET /v1/categories``: every served category, its model, status and history."""
    info = snap.describe()
    keys = snap.keys[offset : offset + limit]
    rows = []
    for index, some in snap.by_part(keys).items():
        fc = snap.forecaster(index)
        report = fc.fit_report_.set_index(info["id_col"])
        state = fc.state_
        for key in some:
            entry = report.loc[key] if key in report.index else None
            rows.append(
                {
                    "unique_id": _plain(key),
                    "model": None if entry is None else _plain(entry["model_used"]),
                    "status": None if entry is None else _plain(entry["status"]),
                    "last_date": _plain(state.last_dates[key]),
                    "n_obs": int(np.asarray(state.y[key]).size),
                }
            )
    return {
        "run": snap.run.id,
        "total": len(snap.keys),
        "freq": info["freq"],
        "columns": _columns(info),
        "covariates": info["covariates"],
        "rows": rows,
    }


def accuracy(snap: Snapshot, ids: list[str] | None, limit: int) -> dict[str, Any]:
    """``GET /v1/accuracy``: realized accuracy (store) or the backtest of the selection."""
    stored = snap.stored("accuracy")
    info = snap.describe()
    if stored is not None:
        table = stored.drop(columns=["id", "run_id"], errors="ignore").assign(basis="realized")
        basis = "realized"
        id_col = "unique_id"
    else:
        frames = [snap.forecaster(i).selection_report_ for i in range(len(snap.parts))]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        table = table.assign(basis="backtest")
        basis = "backtest"
        id_col = info["id_col"]
    if ids is not None and not table.empty:
        wanted = {str(k) for k in snap.resolve(ids)}
        table = table[table[id_col].astype(str).isin(wanted)]
    rename = {id_col: "unique_id"}
    return {"run": snap.run.id, "basis": basis, "rows": records(table.head(limit), rename)}
