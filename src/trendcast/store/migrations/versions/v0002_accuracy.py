"""Schema version 2: forecast accuracy and drift.

Revision ID: 2
Revises: 1

Adds ``accuracy`` (per scoring run: category, model and horizon; MASE, WAPE,
bias and interval coverage of earlier runs' forecasts against the actuals that
arrived since), ``drift`` (per category: recent against backtest MASE) and the
run count ``runs.n_drift``. Runs written by version 1 keep their rows; their
``n_drift`` is empty.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "2"
down_revision = "1"
branch_labels = None
depends_on = None

_T: dict[str, Any] = {
    "int": sa.Integer, "float": sa.Float, "str": lambda: sa.String(200), "bool": sa.Boolean,
    "date": sa.Date,
}  # fmt: skip
NEW = {
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


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("n_drift", sa.Integer, nullable=True))
    for name, spec in NEW.items():
        op.create_table(
            name,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(
                "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
            ),
            *[sa.Column(n, _T[k](), nullable=True) for n, k in spec.items()],
        )
        op.create_index(f"ix_{name}_run_id", name, ["run_id"])


def downgrade() -> None:
    for name in reversed(list(NEW)):
        op.drop_table(name)
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("n_drift")
