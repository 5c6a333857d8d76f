"""Schema version 1: runs, results, model artifacts and checkpoints.

Revision ID: 1
Revises:

A frozen copy of the tables as version 1 defined them (never import the
current schema here: a later change to it must not change what this step does).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "1"
down_revision = None
branch_labels = None
depends_on = None

_T: dict[str, Any] = {
    "int": sa.Integer, "float": sa.Float, "str": lambda: sa.String(200),
    "hash": lambda: sa.String(64), "text": sa.Text, "bool": sa.Boolean,
    "datetime": sa.DateTime, "date": sa.Date, "blob": sa.LargeBinary,
}
_B = {"mean": "float", "lo_80": "float", "hi_80": "float", "lo_95": "float", "hi_95": "float"}

RUNS = {
    "as_of": "date", "config_hash": "hash", "model_key": "hash", "data_fingerprint": "hash",
    "library_version": "str", "status": "str", "attempt": "int", "started_at": "datetime",
    "finished_at": "datetime", "seconds": "float", "timings": "text", "n_categories": "int",
    "n_fitted": "int", "n_updated": "int", "n_failed": "int", "n_flags": "int",
    "message": "text", "config_path": "text",
}
CHECKPOINTS = {
    "as_of": "date", "config_hash": "hash", "chunk": "int", "categories_hash": "hash",
    "data_hash": "hash", "n_categories": "int", "categories": "text", "sha256": "hash",
    "size": "int", "fitted_as_of": "date", "updates_since_fit": "int", "action": "text",
    "created_at": "datetime", "blob": "blob",
}
RESULTS = {
    "forecasts": {
        "unique_id": "str", "ds": "datetime", "step": "int", "model": "str", **_B,
        "chunk": "int",
    },
    "fit_reports": {
        "unique_id": "str", "model_tried": "str", "reason": "text", "model_used": "str",
        "status": "str", "action": "text", "chunk": "int",
    },
    "selection": {
        "unique_id": "str", "model": "str", "mase": "float", "error": "text", "selected": "bool",
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
    "sectors": {"unique_id": "str", "level": "str", "ds": "datetime", **_B},
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
    "failures": {"unique_id": "str", "stage": "str", "error": "text", "fallback": "str"},
    "artifacts": {
        "chunk": "int", "categories_hash": "hash", "n_categories": "int",
        "categories": "text", "sha256": "hash", "size": "int", "fitted_as_of": "date",
        "updates_since_fit": "int", "action": "text", "blob": "blob",
    },
}  # fmt: skip


def _cols(spec: dict[str, str]) -> list[sa.Column]:
    return [sa.Column(n, _T[k](), nullable=True) for n, k in spec.items()]


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_cols(RUNS),
        sa.UniqueConstraint("as_of", "config_hash", name="uq_runs_as_of_config"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        *_cols(CHECKPOINTS),
        sa.UniqueConstraint("as_of", "config_hash", "chunk", name="uq_checkpoints_chunk"),
    )
    for name, spec in RESULTS.items():
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(
                "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
            ),
            *_cols(spec),
        )
        op.create_index(f"ix_{name}_run_id", name, ["run_id"])


def downgrade() -> None:
    for name in reversed(list(RESULTS)):
        op.drop_table(name)
    op.drop_table("checkpoints")
    op.drop_table("runs")
