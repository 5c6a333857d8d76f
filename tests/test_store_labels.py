"""Issue 23: the store keeps the short model label and the selection's RMSSE (schema 3).

``fit_report_`` gained ``label`` (``median(ETS,ARIMA,Theta,DOTM,CES,Pooled)``
beside the full spec) and ``selection_report_`` gained ``rmsse`` (the score
sparse categories are selected by), but the nightly job's store dropped both:
its tables had no such columns. Schema version 3 adds them; a store written
by version 2 is upgraded and its runs read as before.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from tests.job_support import make_job, read_table, store_url_fixture, trendcast  # noqa: F401
from trendcast.store import SCHEMA_VERSION, Store, migrate


def test_a_store_written_by_schema_2_is_upgraded_and_its_runs_read(store_url):
    engine = sa.create_engine(store_url)
    migrate.upgrade(engine, "test", "2")
    with engine.begin() as conn:  # a run as version 2 wrote it: no label, no rmsse
        conn.execute(sa.text(
            "INSERT INTO runs (as_of, config_hash, model_key, status, attempt, n_categories) "
            "VALUES ('2024-08-01', :h, :h, 'ok', 1, 1)"), {"h": "a" * 64})  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO fit_reports (run_id, unique_id, model_used, status) "
            "VALUES (1, '441', 'Theta', 'ok')"))  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO selection (run_id, unique_id, model, mase, selected) "
            "VALUES (1, '441', 'Theta', 0.8, true)"))  # fmt: skip
    engine.dispose()
    assert SCHEMA_VERSION == 3
    with Store(store_url) as store:
        assert store.migrated == (2, 3)
        report = store.read("fit_reports", 1)
        selection = store.read("selection", 1)
        assert report["model_used"].tolist() == ["Theta"] and report["label"].isna().all()
        assert selection["mase"].tolist() == [0.8] and selection["rmsse"].isna().all()
        run = {"as_of": dt.date(2024, 8, 2), "config_hash": "c" * 64, "model_key": "m" * 64,
               "status": "ok", "attempt": 1, "n_categories": 1}  # fmt: skip
        new = store.write_run(
            run,
            {
                "fit_reports": pd.DataFrame(
                    {
                        "unique_id": ["441"],
                        "model_used": ["MedianCombination(...)"],
                        "label": ["median(ETS,Theta)"],
                        "status": ["ok"],
                    }
                ),  # fmt: skip
                "selection": pd.DataFrame(
                    {
                        "unique_id": ["441"],
                        "model": ["Theta"],
                        "mase": [0.8],
                        "rmsse": [0.7],
                        "selected": [True],
                    }
                ),  # fmt: skip
            },
        )
        assert store.read("fit_reports", new)["label"].tolist() == ["median(ETS,Theta)"]
        assert store.read("selection", new)["rmsse"].tolist() == [0.7]
    assert read_table(store_url, "SELECT version_num FROM alembic_version") == [("3",)]


def test_a_nightly_run_stores_the_labels(tmp_path):
    # (the RMSSE is reported, and so stored, where a chunk has sparse categories)
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    config = make_job(tmp_path / "job", url)
    ran = trendcast("run", str(config), "--as-of", "2024-09-01")
    assert ran.returncode == 0, ran.stderr
    labels = read_table(url, "SELECT model_used, label FROM fit_reports")
    assert labels and all(label for _, label in labels)
    assert {label for _, label in labels} <= {"Theta", "SeasonalNaive", "Naive"}
