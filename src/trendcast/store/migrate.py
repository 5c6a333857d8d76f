"""Schema versions and Alembic migrations, run on a connection the store opens.

The migration scripts ship inside the package (``trendcast/store/migrations``),
so a store is created and upgraded by the installed library alone, without an
``alembic.ini``. The revision ids are the schema version numbers ("1", "2", "3").
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from trendcast.store.errors import StoreError
from trendcast.store.schema import SCHEMA_VERSION

__all__ = ["current_version", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def known_versions() -> list[str]:
    """The revision ids the installed library can migrate to, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_version(engine: sa.Engine, where: str) -> int | None:
    """The schema version of the store (None when it is empty).

    Raises
    ------
    StoreError
        When the database holds tables but no trendcast schema version, or a
        version newer than this library knows.
    """
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        names = set(sa.inspect(conn).get_table_names())
    if revision is None:
        if "runs" in names:
            raise StoreError(
                f"store {where}: it has a 'runs' table but no schema version (no "
                "alembic_version table); it was not written by trendcast. Point [store] url "
                "at an empty database or a trendcast store"
            )
        return None
    if revision not in known_versions():
        raise StoreError(
            f"store {where}: schema version {revision} is newer than this trendcast "
            f"knows ({SCHEMA_VERSION}); upgrade trendcast (pip install -U trendcast)"
        )
    return int(revision)


def upgrade(engine: sa.Engine, where: str, revision: str = "head") -> tuple[int | None, int]:
    """Bring the store to ``revision`` (default: the current schema); return (before, after)."""
    before = current_version(engine, where)
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)
    after = current_version(engine, where)
    assert after is not None
    return before, after
