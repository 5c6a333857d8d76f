"""Alembic environment: migrations run on the connection ``trendcast.store`` hands over."""

from __future__ import annotations

from alembic import context


def run() -> None:
    """Run the migrations on the connection passed in ``config.attributes``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # imported by Alembic; not when a test collector imports it
    run()
