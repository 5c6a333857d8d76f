"""The store: runs, forecasts, gaps, flags, accuracy and model artifacts in a SQL database.

SQLAlchemy 2 Core on a SQLite file by default, PostgreSQL for deployments, the
same code for both. The schema has a version and Alembic migrations shipped in
the package (``trendcast.store.migrations``); opening a store creates or
upgrades it. See ``docs/nightly.md`` for the tables.

Examples
--------
>>> import tempfile, pathlib
>>> from trendcast.store import Store, SCHEMA_VERSION
>>> url = "sqlite:///" + str(pathlib.Path(tempfile.mkdtemp()) / "store.sqlite")
>>> with Store(url) as store:
...     store.migrated == (None, SCHEMA_VERSION), len(store.runs())
(True, 0)
"""

from __future__ import annotations

from trendcast.store.core import Store, make_engine, records
from trendcast.store.errors import StoreError, StoreLockedError
from trendcast.store.schema import COLUMNS, RESULT_TABLES, SCHEMA_VERSION, tables

__all__ = [
    "COLUMNS",
    "RESULT_TABLES",
    "SCHEMA_VERSION",
    "Store",
    "StoreError",
    "StoreLockedError",
    "make_engine",
    "records",
    "tables",
]
