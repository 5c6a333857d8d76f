"""The run lock: one run at a time per store, released by the system if the run dies.

On PostgreSQL it is a session advisory lock held on a connection of its own;
on SQLite an exclusive ``flock`` on a file beside the database
(``<store>.lock``). Either way a process killed with SIGKILL releases it (its
connection or file descriptor closes), so a killed run never leaves a stale
lock behind for the resume, and two live runs can never both hold it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from trendcast.store.errors import StoreLockedError

__all__ = ["run_lock"]

logger = logging.getLogger("trendcast.job")

#: the advisory lock key on PostgreSQL ("trendcst" as an int64)
ADVISORY_KEY = int.from_bytes(b"trendcst", "big") & 0x7FFF_FFFF_FFFF_FFFF


def _poll(try_once: Callable[[], bool], wait: float, holder: Callable[[], str], where: str) -> None:
    deadline = time.monotonic() + max(wait, 0.0)
    told = False
    while not try_once():
        if time.monotonic() >= deadline:
            raise StoreLockedError(
                f"store {where}: another trendcast run holds the run lock ({holder()}); runs "
                "never interleave. Wait for it to finish, or pass --wait SECONDS to queue "
                "behind it"
            )
        if not told:
            logger.info("waiting up to %.0f s for the run lock of %s (%s)", wait, where, holder())
            told = True
        time.sleep(0.5)


@contextmanager
def _file_lock(path: Path, wait: float, where: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def try_once() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def holder() -> str:
        try:
            info = json.loads(path.read_text() or "{}")
        except (OSError, ValueError):
            return "lock file " + str(path)
        return f"pid {info.get('pid')} on {info.get('host')} since {info.get('since')}"

    try:
        _poll(try_once, wait, holder, where)
        os.ftruncate(fd, 0)
        info = {"pid": os.getpid(), "host": os.uname().nodename, "since": time.ctime()}
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def _advisory_lock(engine: sa.Engine, wait: float, where: str) -> Iterator[None]:
    conn = engine.connect()

    def try_once() -> bool:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        ok = bool(got.scalar())
        conn.commit()
        return ok

    def holder() -> str:
        row = conn.execute(
            sa.text(
                "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l JOIN "
                "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND "
                "l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = :k"
            ),
            {"k": ADVISORY_KEY},
        ).first()
        conn.commit()
        return "unknown holder" if row is None else f"server pid {row[0]} since {row[2]}"

    try:
        _poll(try_once, wait, holder, where)
        yield
    finally:
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()
        finally:
            conn.close()


@contextmanager
def run_lock(engine: sa.Engine, wait: float, where: str) -> Iterator[None]:
    """Hold the store's run lock; wait up to ``wait`` seconds for it.

    Raises
    ------
    StoreLockedError
        When another run still holds it after ``wait`` seconds.
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, wait, where):
            yield
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with _file_lock(Path(database + ".lock"), wait, where):
        yield
