"""Schema version 3: short model labels and the RMSSE of the selection.

Revision ID: 3
Revises: 2

Adds ``fit_reports.label`` (the short name of the model used, e.g.
``median(ETS,ARIMA,Theta,DOTM,CES,Pooled)``, beside its full spec in
``model_used``) and ``selection.rmsse`` (the backtest's scaled squared error,
the score sparse categories are selected by). Runs written by version 2 keep
their rows; the new columns are empty for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3"
down_revision = "2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fit_reports") as batch:
        batch.add_column(sa.Column("label", sa.String(200), nullable=True))
    with op.batch_alter_table("selection") as batch:
        batch.add_column(sa.Column("rmsse", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("selection") as batch:
        batch.drop_column("rmsse")
    with op.batch_alter_table("fit_reports") as batch:
        batch.drop_column("label")
