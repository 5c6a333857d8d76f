"""Alembic migrations of the store schema (run through ``trendcast.store.migrate``)."""
