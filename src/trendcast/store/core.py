"""The store: runs and their results in a SQL database, through SQLAlchemy 2 Core.

A SQLite file by default, PostgreSQL for deployments: the same code and the
same tables (see ``trendcast.store.schema``). Data frames go in and come out;
the store knows nothing of forecasting (model artifacts are bytes with their
SHA-256).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from trendcast.store import migrate
from trendcast.store.errors import StoreError
from trendcast.store.lock import run_lock
from trendcast.store.schema import COLUMNS, RESULT_TABLES, tables

__all__ = ["Store", "make_engine"]

FINISHED = ("ok", "partial")


def make_engine(url: str | sa.URL) -> sa.Engine:
    """An engine for ``url``; ``postgresql://`` uses psycopg 3, SQLite runs in WAL mode."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(
            f"store url {url!r} is not a SQLAlchemy URL ({exc}); write e.g. "
            "'sqlite:///trendcast.sqlite' or 'postgresql://user@host/db'"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=60000")
            cursor.close()

        return engine
    try:
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise StoreError(
            f"store {parsed.render_as_string(hide_password=True)}: no driver ({exc}); "
            "pip install 'trendcast[job]' (psycopg for PostgreSQL)"
        ) from exc


def _python(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if value is pd.NA:
        return None
    return value


def _column_values(column: pd.Series, kind: str) -> list[Any]:
    """One column as plain Python values (NULL as None), converted for its column ``kind``.

    The values ``records`` has always written, by whole columns: numbers and
    booleans by ``tolist``, strings with their missing cells as None, dates
    converted once per distinct value (a night's forecasts hold 13 dates in
    130,000 rows); any other column value by value.
    """
    dtype = column.dtype
    if dtype == np.float64:  # most cells of a run: plain floats, NaN as NULL
        return [None if v != v else v for v in column.tolist()]
    if dtype.kind in "iub" and isinstance(dtype, np.dtype):  # no missing values possible
        values = column.tolist()
        if kind in ("str", "text"):
            return [str(v) for v in values]
        if kind == "int":
            return [int(v) for v in values]
        return values
    if dtype.kind == "M":
        codes, uniques = pd.factorize(column)
        once = [_python(v) for v in uniques]
        if kind == "date":
            once = [v.date() if isinstance(v, dt.datetime) else v for v in once]
        if kind in ("str", "text"):
            once = [str(v) for v in once]
        table = np.array([*once, None], dtype=object)
        return table[codes].tolist()  # code -1 (NaT): the None at the end
    if isinstance(dtype, pd.StringDtype) and kind in ("str", "text"):
        values = column.tolist()
        missing = column.isna().to_numpy()
        return (
            [None if m else v for v, m in zip(values, missing, strict=True)]
            if missing.any()
            else values
        )
    values = [_python(v) for v in column.tolist()]
    if kind == "date":
        values = [v.date() if isinstance(v, dt.datetime) else v for v in values]
    if kind == "int":
        values = [None if v is None else int(v) for v in values]
    if kind in ("str", "text"):
        values = [None if v is None else str(v) for v in values]
    return values


def _columns(frame: pd.DataFrame, columns: Mapping[str, str]) -> dict[str, list[Any]]:
    """Column -> its plain Python values (see ``records``)."""
    return {
        name: _column_values(frame[name], kind) if name in frame.columns else [None] * len(frame)
        for name, kind in columns.items()
    }


def records(frame: pd.DataFrame, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts of plain Python values for the given columns.

    Columns the frame lacks are left empty (NULL); dates of ``date`` columns
    are written as dates.
    """
    out_cols = _columns(frame, columns)
    names = list(out_cols)
    return [dict(zip(names, row, strict=True)) for row in zip(*out_cols.values(), strict=True)]


def _bind(conn: sa.Connection, column: sa.Column, values: list[Any]) -> list[Any]:
    """``values`` as SQLAlchemy binds them for ``column`` on this connection's dialect.

    Its type's bind processor (SQLite: dates and times as ISO text, booleans
    as 0/1), applied once per distinct value for dates; a float column of
    floats is left as is (the processor is ``float``).
    """
    dialect = conn.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    if isinstance(column.type, sa.Float) and all(type(v) is float or v is None for v in values):
        return values
    if isinstance(column.type, sa.Date | sa.DateTime):
        once = {v: process(v) for v in set(values)}
        return [once[v] for v in values]
    return [process(v) for v in values]


def _insert_frame(
    conn: sa.Connection, name: str, frame: pd.DataFrame, run_id: int, chunk_rows: int = 20000
) -> None:
    """Insert a result frame's rows with ``run_id``, the fast way the backend has.

    The values are those SQLAlchemy's ``insert`` wrote row by row (the same
    conversion and bind processors), sent in bulk: SQLite by one
    ``executemany`` of tuples, PostgreSQL by ``COPY ... FROM STDIN``
    (psycopg), any other backend through ``insert`` as before. A night's
    330,000 result rows took 6.2 s row by row through SQLAlchemy's
    parameter handling (generated benchmark, e7c5509).
    """
    table = tables[name]
    cols = _columns(frame, COLUMNS[name])
    backend = conn.dialect.name
    if backend not in ("sqlite", "postgresql"):
        names = list(cols)
        dicts = [
            dict(zip(names, r, strict=True), run_id=run_id)
            for r in zip(*cols.values(), strict=True)
        ]
        for start in range(0, len(dicts), chunk_rows):
            conn.execute(table.insert(), dicts[start : start + chunk_rows])
        return
    bound = [_bind(conn, table.c[c], v) for c, v in cols.items()]
    rows = list(zip([run_id] * len(frame), *bound, strict=True))
    quote = conn.dialect.identifier_preparer.quote
    target = f"{quote(name)} ({', '.join(quote(c) for c in ['run_id', *cols])})"
    if backend == "sqlite":
        marks = ", ".join("?" * (len(cols) + 1))
        for start in range(0, len(rows), chunk_rows):
            conn.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})",
                                 rows[start : start + chunk_rows])  # fmt: skip
        return
    cursor = conn.connection.cursor()
    try:
        with cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


class Store:
    """A trendcast store at a SQLAlchemy URL.

    Parameters
    ----------
    url : str or URL
        ``sqlite:///path/to/file.sqlite`` or ``postgresql://user@host/db``
        (the password in the URL object, never in a file).
    upgrade : bool
        Create the tables in an empty store, or migrate an older schema to the
        current one (logged), when opening.
    """

    def __init__(self, url: str | sa.URL, *, upgrade: bool = True) -> None:
        self.engine = make_engine(url)
        self.where = self.engine.url.render_as_string(hide_password=True)
        self.migrated: tuple[int | None, int] | None = None
        try:
            version = migrate.current_version(self.engine, self.where)
            if upgrade and version != int(migrate.known_versions()[-1]):
                self.migrated = migrate.upgrade(self.engine, self.where)
            elif version is None:
                raise StoreError(f"store {self.where} is empty: run `trendcast run CONFIG` first")
        except sa.exc.OperationalError as exc:
            raise StoreError(
                f"store {self.where} cannot be opened ({exc.orig}); check [store] url, that "
                "the server is up and the password variable is set"
            ) from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ locking
    @contextmanager
    def lock(self, wait: float = 0.0) -> Iterator[None]:
        """Hold the run lock (see ``trendcast.store.lock``)."""
        with run_lock(self.engine, wait, self.where):
            yield

    # ------------------------------------------------------------------ runs
    def find_run(self, as_of: dt.date, config_hash: str) -> dict[str, Any] | None:
        """The run stored for (as-of date, config hash), or None."""
        runs = tables["runs"]
        query = sa.select(runs).where(runs.c.as_of == as_of, runs.c.config_hash == config_hash)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else dict(row)

    def previous_run(self, model_key: str, before: dt.date) -> dict[str, Any] | None:
        """The latest finished run with these model settings and an earlier as-of date."""
        runs = tables["runs"]
        query = (
            sa.select(runs)
            .where(
                runs.c.model_key == model_key,
                runs.c.as_of < before,
                runs.c.status.in_(FINISHED),
            )
            .order_by(runs.c.as_of.desc(), runs.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else dict(row)

    def runs(self, limit: int | None = None, model_key: str | None = None) -> pd.DataFrame:
        """Stored runs, newest as-of date first."""
        runs = tables["runs"]
        query = sa.select(runs).order_by(runs.c.as_of.desc(), runs.c.id.desc())
        if model_key is not None:
            query = query.where(runs.c.model_key == model_key)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return pd.DataFrame(conn.execute(query).mappings().all(), columns=list(runs.c.keys()))

    def get_run(self, ref: str | int) -> dict[str, Any]:
        """A run by id, by as-of date (``YYYY-MM-DD``, the latest of that date) or ``latest``.

        Raises
        ------
        StoreError
            When no run matches; the message lists the latest ones.
        """
        runs = tables["runs"]
        text = str(ref).strip()
        query = sa.select(runs).order_by(runs.c.as_of.desc(), runs.c.id.desc()).limit(1)
        if text == "latest":
            pass
        elif text.isdigit():
            query = query.where(runs.c.id == int(text))
        else:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError as exc:
                raise StoreError(
                    f"run {text!r} is neither a run id, an as-of date (YYYY-MM-DD) nor "
                    "'latest'; list the runs with `trendcast runs CONFIG`"
                ) from exc
            query = query.where(runs.c.as_of == day)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            known = self.runs(limit=5)
            listed = ", ".join(f"{r.id} ({r.as_of})" for r in known.itertuples()) or "none"
            raise StoreError(
                f"store {self.where} has no run {text!r}; latest runs: {listed}. "
                "List them with `trendcast runs CONFIG`"
            )
        return dict(row)

    # ------------------------------------------------------------------ results
    def read(self, table: str, run_ids: int | list[int], *, blobs: bool = False) -> pd.DataFrame:
        """The rows of ``table`` for one run or several (``artifacts`` without blobs by default)."""
        tab = tables[table]
        ids = [run_ids] if isinstance(run_ids, int) else list(run_ids)
        cols = [c for c in tab.c if blobs or c.name != "blob"]
        query = sa.select(*cols).where(tab.c.run_id.in_(ids)).order_by(tab.c.id)
        with self.engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(query)]  # tuples: faster than mappings
        return pd.DataFrame(rows, columns=[c.name for c in cols])

    def checkpoints(self, as_of: dt.date, config_hash: str) -> pd.DataFrame:
        """The chunk checkpoints of an unfinished run (with their blobs)."""
        tab = tables["checkpoints"]
        query = (
            sa.select(tab)
            .where(tab.c.as_of == as_of, tab.c.config_hash == config_hash)
            .order_by(tab.c.chunk)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return pd.DataFrame(rows, columns=list(tab.c.keys()))

    def save_checkpoint(self, row: Mapping[str, Any]) -> None:
        """Store one chunk's checkpoint (replacing an older one of the same chunk) and commit."""
        tab = tables["checkpoints"]
        with self.engine.begin() as conn:
            conn.execute(
                tab.delete().where(
                    tab.c.as_of == row["as_of"],
                    tab.c.config_hash == row["config_hash"],
                    tab.c.chunk == row["chunk"],
                )
            )
            conn.execute(tab.insert(), [dict(row)])

    def prune_checkpoints(self, as_of: dt.date, config_hash: str, n_chunks: int) -> None:
        """Drop checkpoints of chunks a run no longer has (its categories changed)."""
        tab = tables["checkpoints"]
        with self.engine.begin() as conn:
            conn.execute(
                tab.delete().where(
                    tab.c.as_of == as_of, tab.c.config_hash == config_hash, tab.c.chunk >= n_chunks
                )
            )

    def write_run(
        self,
        run: Mapping[str, Any],
        results: Mapping[str, pd.DataFrame | None],
        on_table: Callable[[str], None] | None = None,
    ) -> int:
        """Store a finished run and all its results in ONE transaction; return its id.

        When (``as_of``, ``config_hash``) was stored before, its row is kept
        (same id) and every result row of it replaced; readers see the old run
        or the new one, never a mix. The run's checkpoints become its
        ``artifacts`` and are removed in the same transaction. ``on_table`` is
        called with each table's name once its rows are inserted (inside the
        transaction).
        """
        runs, ckpt, arts = tables["runs"], tables["checkpoints"], tables["artifacts"]
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("SELECT 1")  # BEGIN is issued with the first write
            old = conn.execute(
                sa.select(runs.c.id).where(
                    runs.c.as_of == run["as_of"], runs.c.config_hash == run["config_hash"]
                )
            ).scalar()
            if old is None:
                key = conn.execute(runs.insert().values(**run)).inserted_primary_key
                assert key is not None
                run_id = int(key[0])
            else:
                run_id = int(old)
                conn.execute(runs.update().where(runs.c.id == run_id).values(**run))
                for name in RESULT_TABLES:
                    conn.execute(tables[name].delete().where(tables[name].c.run_id == run_id))
            for name, frame in results.items():
                if name not in COLUMNS or frame is None or frame.empty:
                    continue
                _insert_frame(conn, name, frame, run_id)
                if on_table is not None:
                    on_table(name)
            where = (ckpt.c.as_of == run["as_of"]) & (ckpt.c.config_hash == run["config_hash"])
            moved = [c for c in COLUMNS["artifacts"]]
            conn.execute(
                arts.insert().from_select(
                    ["run_id", *moved],
                    sa.select(sa.literal(run_id), *[ckpt.c[c] for c in moved]).where(where),
                )
            )
            conn.execute(ckpt.delete().where(where))
        return run_id

    def artifact_blobs(self, run_id: int) -> pd.DataFrame:
        """A run's model artifacts with their blobs, by chunk."""
        return self.read("artifacts", run_id, blobs=True).sort_values("chunk")

    def size_bytes(self) -> int | None:
        """The store's size on disk (SQLite file, or PostgreSQL database), if known."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                size = conn.execute(sa.text("SELECT pg_database_size(current_database())"))
                return int(size.scalar() or 0)
        database = self.engine.url.database
        if database and database != ":memory:":
            import os

            total = 0
            for suffix in ("", "-wal"):
                if os.path.exists(database + suffix):
                    total += os.path.getsize(database + suffix)
            return total
        return None
