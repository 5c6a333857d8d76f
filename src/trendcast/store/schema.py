"""The store's tables: one place that names every table and column of the current schema.

The schema has a version (:data:`SCHEMA_VERSION`, also the Alembic revision of
``trendcast/store/migrations/versions``). Version 1 held runs, forecasts, fit
and selection reports, gaps, flags, sectors, hotspots, emerging categories,
failures, model artifacts and checkpoints; version 2 adds ``accuracy`` (earlier
runs' forecasts scored against the actuals that arrived since) and ``drift``
(categories whose recent errors exceed their backtest errors), and the run
count ``n_drift``; version 3 adds ``fit_reports.label`` (the model's short
name) and ``selection.rmsse`` (the score sparse categories are selected by).
The migrations are frozen copies: a change to this module
needs a new migration (``tests/test_store.py`` compares the two).

Every result table has ``run_id`` (the ``runs.id`` it belongs to); a run's
rows are replaced together, in one transaction, when the same night runs again.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["COLUMNS", "RESULT_TABLES", "SCHEMA_VERSION", "metadata", "tables"]

#: the schema version this code writes and reads (the Alembic head revision)
SCHEMA_VERSION = 3

_TYPES: dict[str, Any] = {
    "int": sa.Integer,
    "float": sa.Float,
    "str": lambda: sa.String(200),
    "hash": lambda: sa.String(64),
    "text": sa.Text,
    "bool": sa.Boolean,
    "datetime": sa.DateTime,
    "date": sa.Date,
    "blob": sa.LargeBinary,
}

_BOUNDS = {"mean": "float", "lo_80": "float", "hi_80": "float", "lo_95": "float", "hi_95": "float"}

#: table -> column -> type name; every result table also has ``run_id``
COLUMNS: dict[str, dict[str, str]] = {
    "forecasts": {
        "unique_id": "str", "ds": "datetime", "step": "int", "model": "str", **_BOUNDS,
        "chunk": "int",
    },
    "fit_reports": {
        "unique_id": "str", "model_tried": "str", "reason": "text", "model_used": "str",
        "status": "str", "action": "text", "chunk": "int", "label": "str",
    },
    "selection": {
        "unique_id": "str", "model": "str", "mase": "float", "error": "text", "selected": "bool",
        "rmsse": "float",
    },
    "gaps": {
        "supply": "str", "kind": "str", "unique_id": "str", "ds": "datetime", "model": "str",
        "mean": "float", "supply_value": "float", "p_short": "float",
        "p_short_window": "float", "expected_shortfall": "float", "expected_excess": "float",
        "shortfall_share": "float", "p_long": "float", "short": "bool", "flag": "str",
    },
    "flags": {
        "supply": "str", "kind": "str", "rank": "int", "unique_id": "str", "flag": "str",
        "first_short": "datetime", "periods_short": "int", "max_p_short": "float",
        "p_short_window": "float", "expected_shortfall": "float", "expected_excess": "float",
        "shortfall_share": "float", "forecast_growth": "float", "supply_growth": "float",
        "periods": "int", "periods_long": "int", "first_long": "datetime",
        "max_p_long": "float", "cover": "float", "next_demand": "float", "reason": "text",
    },
    "sectors": {"unique_id": "str", "level": "str", "ds": "datetime", **_BOUNDS},
    "hotspots": {
        "rank": "int", "unique_id": "str", "level": "str", "total": "float",
        "total_lo": "float", "total_hi": "float", "tier": "str", "growth": "float",
        "growth_lo": "float", "growth_hi": "float", "period_start": "datetime",
        "period_end": "datetime", "periods": "int", "baseline": "float",
    },
    "emerging": {
        "rank": "int", "unique_id": "str", "score": "float", "sales_acceleration": "float",
        "search_trend": "float", "search_p": "float", "forecast_growth": "float",
        "emerging": "bool", "growth_recent": "float", "growth_earlier": "float",
        "basis": "str",
    },
    "failures": {
        "unique_id": "str", "stage": "str", "error": "text", "fallback": "str",
    },
    "artifacts": {
        "chunk": "int", "categories_hash": "hash", "n_categories": "int",
        "categories": "text", "sha256": "hash", "size": "int", "fitted_as_of": "date",
        "updates_since_fit": "int", "action": "text", "blob": "blob",
    },
    "accuracy": {
        "unique_id": "str", "model": "str", "horizon": "int", "n": "int", "mase": "float",
        "wape": "float", "bias": "float", "coverage_80": "float", "coverage_95": "float",
        "first_origin": "date", "last_origin": "date",
    },
    "drift": {
        "unique_id": "str", "n": "int", "recent_mase": "float", "backtest_mase": "float",
        "ratio": "float", "drift": "bool",
    },
}  # fmt: skip

#: the tables a run's results live in (replaced together when the night runs again)
RESULT_TABLES = tuple(COLUMNS)

RUN_COLUMNS: dict[str, str] = {
    "as_of": "date", "config_hash": "hash", "model_key": "hash", "data_fingerprint": "hash",
    "library_version": "str", "status": "str", "attempt": "int", "started_at": "datetime",
    "finished_at": "datetime", "seconds": "float", "timings": "text", "n_categories": "int",
    "n_fitted": "int", "n_updated": "int", "n_failed": "int", "n_flags": "int",
    "n_drift": "int", "message": "text", "config_path": "text",
}  # fmt: skip

CHECKPOINT_COLUMNS: dict[str, str] = {
    "as_of": "date", "config_hash": "hash", "chunk": "int", "categories_hash": "hash",
    "data_hash": "hash", "n_categories": "int", "categories": "text", "sha256": "hash",
    "size": "int", "fitted_as_of": "date", "updates_since_fit": "int", "action": "text",
    "created_at": "datetime", "blob": "blob",
}  # fmt: skip

metadata = sa.MetaData()


def _column(name: str, kind: str) -> sa.Column:
    return sa.Column(name, _TYPES[kind](), nullable=True)


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *(_column(n, k) for n, k in RUN_COLUMNS.items()),
    sa.UniqueConstraint("as_of", "config_hash", name="uq_runs_as_of_config"),
)

checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *(_column(n, k) for n, k in CHECKPOINT_COLUMNS.items()),
    sa.UniqueConstraint("as_of", "config_hash", "chunk", name="uq_checkpoints_chunk"),
)

tables: dict[str, sa.Table] = {"runs": runs, "checkpoints": checkpoints}
for _name, _cols in COLUMNS.items():
    tables[_name] = sa.Table(
        _name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        *(_column(n, k) for n, k in _cols.items()),
    )
