"""Helpers of the nightly-job tests: a small job folder, the real command, real stores.

PostgreSQL: the tests use the server at ``TRENDCAST_TEST_POSTGRES_URL`` (or, when
unset, the one ``tools/start_postgres.sh`` starts by default, on 127.0.0.1:55432),
and create a fresh database per test. When none is reachable the PostgreSQL
cases skip, saying how to start one; under CI (``CI=true``) they fail instead,
since ``.ci/run`` starts a server.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nightly"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:55432/trendcast_test"
HOW = (
    "no PostgreSQL server reachable; start one with "
    '`eval "$(bash tools/start_postgres.sh)"` (it exports TRENDCAST_TEST_POSTGRES_URL) '
    "or point TRENDCAST_TEST_POSTGRES_URL at a server where the user may create databases"
)


@functools.cache
def postgres_admin_url() -> str | None:
    """The URL of a reachable PostgreSQL server, or None."""
    url = os.environ.get("TRENDCAST_TEST_POSTGRES_URL", DEFAULT_PG)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception:
        return None
    finally:
        engine.dispose()
    return url


def postgres_database() -> tuple[str, Any]:
    """A fresh database on the test server: (its URL, a function that drops it)."""
    admin = postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail(HOW)
        pytest.skip(HOW)
    name = f"tc_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", "postgres"], name="store_url")
def store_url_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A store URL on each backend: a SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    url, drop = postgres_database()
    yield url
    drop()


CONFIG = """\
[store]
url = "{url}"

[sales]
path = "data/sales.csv"

[[supply]]
name = "plan"
kind = "flow"
path = "data/plan.csv"

[[supply]]
name = "inventory"
kind = "stock"
path = "data/inventories.csv"
value_col = "inventory"
receipts = "plan"

[hierarchy]
path = "data/sectors.csv"
levels = ["total", "sector", "category"]

[model]
models = {models}
horizon = 6
n_paths = 100
chunk_size = {chunk_size}
refit = {refit}

[accuracy]
min_points = {min_points}
drift_margin = {drift_margin}

[report]
path = {report}

[run]
max_failure_share = {max_failure_share}
"""


def make_job(folder: Path, url: str, **options: Any) -> Path:
    """A job folder with the example's data and a config; return the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLE / "data", folder / "data", dirs_exist_ok=True)
    settings = {
        "url": url,
        "models": '["Theta", "SeasonalNaive"]',
        "chunk_size": 5,
        "refit": 10,
        "report": '""',
        "max_failure_share": 0.2,
        "min_points": 1,
        "drift_margin": 0.5,
    }
    settings.update(options)
    path = folder / "trendcast.toml"
    path.write_text(CONFIG.format(**settings), encoding="utf-8")
    return path


def job_env(extra: dict | None = None) -> dict[str, str]:
    """The environment, with the tested package first on the path (whatever the cwd)."""
    import trendcast

    source = str(Path(trendcast.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([source, path]), **(extra or {})}


def trendcast(*args: str, cwd: Path | None = None, env: dict | None = None,
              timeout: float = 600) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run the real ``trendcast`` command (``python -m trendcast.cli``)."""
    full_env = job_env(env)
    return subprocess.run(
        [sys.executable, "-m", "trendcast.cli", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def start_paused(config: Path, point: str, *args: str) -> subprocess.Popen[str]:
    """Start ``trendcast run`` and wait until it stops at ``point`` (``TRENDCAST_PAUSE_AT``)."""
    env = job_env({"TRENDCAST_PAUSE_AT": point})
    proc = subprocess.Popen(
        [sys.executable, "-m", "trendcast.cli", "run", str(config), *args],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + 300
    for line in proc.stderr:
        seen.append(line)
        if line.strip() == f"paused at {point}":
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise AssertionError(f"the run never paused at {point}:\n{''.join(seen)}")


def kill(proc: subprocess.Popen[str]) -> None:
    """SIGKILL a run and reap it."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def read_table(url: str, query: str) -> list[tuple]:
    """Rows of a query on a store."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(query))]
    finally:
        engine.dispose()
