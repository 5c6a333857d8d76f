"""The store on SQLite and PostgreSQL: schema and migrations, one-transaction writes, the lock."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.job_support import make_job, read_table, store_url_fixture, trendcast  # noqa: F401
from trendcast.store import SCHEMA_VERSION, Store, StoreError, StoreLockedError, migrate
from trendcast.store.schema import metadata


def _run(day: str = "2024-08-01") -> dict:
    return {"as_of": dt.date.fromisoformat(day), "config_hash": "c" * 64, "model_key": "m" * 64,
            "status": "ok", "attempt": 1, "n_categories": 2}  # fmt: skip


def _forecasts(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({
        "unique_id": ["a"] * len(values), "ds": pd.date_range("2024-09-01", periods=len(values),
        freq="MS"), "step": range(1, len(values) + 1), "model": "Theta", "mean": values,
    })  # fmt: skip


def test_the_migrations_build_exactly_the_schema_the_code_uses(store_url):
    with Store(store_url) as store:
        assert store.migrated == (None, SCHEMA_VERSION)
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_a_store_written_by_schema_1_is_upgraded_and_read(store_url, tmp_path):
    engine = sa.create_engine(store_url)
    migrate.upgrade(engine, "test", "1")
    assert migrate.current_version(engine, "test") == 1
    with engine.begin() as conn:  # a run as version 1 wrote it: no n_drift, no accuracy
        conn.execute(sa.text(
            "INSERT INTO runs (as_of, config_hash, model_key, status, attempt, n_categories, "
            "n_fitted, n_updated, n_failed, n_flags, seconds, timings, library_version, "
            "data_fingerprint) VALUES ('2024-08-01', :h, :h, 'ok', 1, 1, 1, 0, 0, 0, 1.5, '{}', "
            "'0.0.9', :h)"), {"h": "a" * 64})  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO forecasts (run_id, unique_id, ds, step, model, mean) VALUES "
            "(1, '441', '2024-09-01 00:00:00.000000', 1, 'Theta', 123.5)"))  # fmt: skip
    engine.dispose()
    config = make_job(tmp_path / "job", store_url)
    shown = trendcast("show", "1", "-c", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "run 1: as of 2024-08-01, status ok" in shown.stdout
    assert "-" in shown.stdout.split("drifting")[0]  # n_drift is empty for a version-1 run
    listed = trendcast("runs", "-c", str(config))
    assert "2024-08-01" in listed.stdout
    assert read_table(store_url, "SELECT mean FROM forecasts WHERE run_id = 1") == [(123.5,)]
    assert read_table(store_url, "SELECT count(*) FROM accuracy") == [(0,)]
    head = [(str(SCHEMA_VERSION),)]  # upgraded to the newest version
    assert read_table(store_url, "SELECT version_num FROM alembic_version") == head


def test_rewriting_a_night_is_one_transaction(store_url):
    with Store(store_url) as store:
        first = store.write_run(_run(), {"forecasts": _forecasts([1.0, 2.0, 3.0])})
        broken = _forecasts([4.0, 5.0, 6.0])
        broken["step"] = ["x", "y", "z"]  # fails while the rows are converted, mid-transaction
        results = {"fit_reports": pd.DataFrame({"unique_id": ["a"]}), "forecasts": broken}
        with pytest.raises(ValueError):
            store.write_run(_run(), results)
        kept = store.read("forecasts", first)
        assert kept["mean"].tolist() == [1.0, 2.0, 3.0]
        assert store.read("fit_reports", first).empty
        again = store.write_run(_run(), {"forecasts": _forecasts([7.0, 8.0, 9.0])})
        assert again == first
        assert store.read("forecasts", first)["mean"].tolist() == [7.0, 8.0, 9.0]
        assert len(store.runs()) == 1


def test_the_run_lock_admits_one_holder(store_url):
    with Store(store_url) as store, Store(store_url) as other:
        with store.lock():
            with pytest.raises(StoreLockedError, match="another trendcast run holds the run lock"):
                with other.lock(wait=0.0):
                    pass
            got = []
            waiter = threading.Thread(target=lambda: got.append(_take(other)))
            waiter.start()
            waiter.join(1.0)
            assert waiter.is_alive()  # waiting behind the holder
        waiter.join(30)
        assert got == ["taken"]


def _take(store: Store) -> str:
    with store.lock(wait=60):
        return "taken"


def test_a_newer_schema_is_refused(store_url):
    with Store(store_url) as store:
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '99'"))
    with pytest.raises(StoreError, match="schema version 99 is newer"):
        Store(store_url)


def test_an_unknown_run_names_the_runs_there_are(store_url):
    with Store(store_url) as store:
        store.write_run(_run(), {})
        with pytest.raises(StoreError, match=r"no run '7'; latest runs: 1 \(2024-08-01\)"):
            store.get_run("7")
        assert store.get_run("2024-08-01")["id"] == 1
