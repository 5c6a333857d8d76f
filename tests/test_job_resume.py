"""A run killed with SIGKILL resumes and stores exactly what an uninterrupted run stores;
two runs at once never interleave. Real processes, real kills, SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

from tests.job_support import (  # noqa: F401
    job_env,
    kill,
    make_job,
    postgres_database,
    read_table,
    start_paused,
    store_url_fixture,
    trendcast,
)

FORECASTS = (
    "SELECT unique_id, ds, step, model, mean, lo_80, hi_80, lo_95, hi_95, chunk FROM forecasts "
    "ORDER BY unique_id, ds"
)
GAPS = "SELECT supply, unique_id, ds, p_short, expected_shortfall FROM gaps ORDER BY 1, 2, 3"


def _other_store(tmp_path, store_url: str, name: str) -> tuple[str, object]:
    if store_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / name}", lambda: None
    return postgres_database()


def test_a_killed_run_resumes_to_the_same_forecasts(tmp_path, store_url):
    # the reference: one uninterrupted run
    reference = make_job(tmp_path / "ref", store_url)
    assert trendcast("run", str(reference), "--as-of", "2024-09-01").returncode == 0
    expected, expected_gaps = read_table(store_url, FORECASTS), read_table(store_url, GAPS)

    other, drop = _other_store(tmp_path, store_url, "killed.sqlite")
    try:
        config = make_job(tmp_path / "killed", other)
        # killed while fitting: after chunk 1 of 3 is checkpointed
        kill(start_paused(config, "models:chunk-1", "--as-of", "2024-09-01"))
        assert read_table(other, "SELECT count(*) FROM checkpoints") == [(2,)]
        assert read_table(other, "SELECT count(*) FROM runs") == [(0,)]
        # killed again while storing: inside the results transaction, after the forecasts
        kill(start_paused(config, "store:forecasts", "--as-of", "2024-09-01"))
        assert read_table(other, "SELECT count(*) FROM runs") == [(0,)]
        assert read_table(other, "SELECT count(*) FROM forecasts") == [(0,)]
        assert read_table(other, "SELECT count(*) FROM checkpoints") == [(3,)]
        resumed = trendcast("run", str(config), "--as-of", "2024-09-01")
        assert resumed.returncode == 0, resumed.stderr
        assert "resumed=3" in resumed.stderr
        assert read_table(other, FORECASTS) == expected
        assert read_table(other, GAPS) == expected_gaps
        assert read_table(other, "SELECT count(*) FROM checkpoints") == [(0,)]

        # a re-run of that night killed while storing leaves the stored night whole
        before = read_table(other, "SELECT count(*) FROM forecasts")
        kill(start_paused(config, "store:gaps", "--as-of", "2024-09-01"))
        assert read_table(other, FORECASTS) == expected
        assert read_table(other, "SELECT count(*) FROM forecasts") == before
        assert read_table(other, "SELECT status, attempt FROM runs") == [("ok", 1)]
    finally:
        drop()


def test_two_runs_at_once_never_interleave(tmp_path, store_url):
    config = make_job(tmp_path / "job", store_url)
    holder = start_paused(config, "locked", "--as-of", "2024-09-01")
    try:
        second = trendcast("run", str(config), "--as-of", "2024-08-01")
        assert second.returncode == 2
        assert "another trendcast run holds the run lock" in second.stderr
        assert "--wait" in second.stderr
        assert read_table(store_url, "SELECT count(*) FROM runs") == [(0,)]
        waiting = subprocess.Popen(
            [sys.executable, "-m", "trendcast.cli", "run", str(config), "--as-of", "2024-08-01",
             "--wait", "300"], stderr=subprocess.PIPE, text=True, env=job_env(),
        )  # fmt: skip
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        while "waiting up to" not in line and line:
            line = waiting.stderr.readline()
        assert "waiting up to 300 s for the run lock" in line
    finally:
        kill(holder)  # the killed holder's lock goes with it
    rest = waiting.communicate(timeout=300)[1]
    assert waiting.returncode == 0, rest
    assert read_table(store_url, "SELECT as_of, status FROM runs")[0][1] == "ok"
