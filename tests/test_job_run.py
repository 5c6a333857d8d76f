"""``trendcast run`` and the commands that read the store, on SQLite and PostgreSQL.

Every test runs the real command in a subprocess against a real store; the job
is the example's 13 kinds of business with cheap models (``tests/job_support.py``).
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.job_support import make_job, read_table, store_url_fixture, trendcast  # noqa: F401
from trendcast.store import RESULT_TABLES


def _counts(url: str, run_id: int = 1) -> dict[str, int]:
    return {t: read_table(url, f"SELECT count(*) FROM {t} WHERE run_id = {run_id}")[0][0]
            for t in RESULT_TABLES}  # fmt: skip


def test_run_show_runs_rerun_drift_and_refit(tmp_path, store_url):
    # drift_margin 0: any category scored worse than its backtest drifts (and is refit)
    config = make_job(tmp_path / "job", store_url, drift_margin=0.0)
    first = trendcast("run", str(config), "--as-of", "2024-07-01")
    assert first.returncode == 0, first.stderr
    for name in ("read", "models", "forecast", "gaps", "markets", "accuracy", "store"):
        assert f"stage {name} done" in first.stderr
    assert "categories=13" in first.stderr and "fitted=3" in first.stderr
    counts = _counts(store_url)
    assert counts["forecasts"] == 13 * 6 and counts["artifacts"] == 3
    assert counts["gaps"] > 0 and counts["flags"] > 0 and counts["sectors"] > 0

    shown = trendcast("show", "latest", "-c", str(config))
    assert shown.returncode == 0, shown.stderr
    assert "run 1: as of 2024-07-01, status ok (attempt 1)" in shown.stdout
    assert "Top flags" in shown.stdout and "Failures (0)" in shown.stdout
    listed = trendcast("runs", "-c", str(config))
    assert "2024-07-01" in listed.stdout and " ok " in listed.stdout

    again = trendcast("run", str(config), "--as-of", "2024-07-01")
    assert again.returncode == 0, again.stderr
    assert _counts(store_url) == counts  # replaced, not added to
    assert read_table(store_url, "SELECT id, attempt FROM runs") == [(1, 2)]

    later = trendcast("run", str(config), "--as-of", "2024-08-01")
    assert later.returncode == 0, later.stderr
    drifted = [r[0] for r in read_table(store_url, "SELECT unique_id FROM drift WHERE run_id = 2 "
                                                   "AND drift")]  # fmt: skip
    assert drifted and f"drift: category {drifted[0]} recent MASE" in later.stderr
    report = trendcast("accuracy", "-c", str(config))
    assert f"Drift ({len(drifted)} flagged" in report.stdout
    last = trendcast("run", str(config), "--as-of", "2024-09-01")
    assert last.returncode == 0, last.stderr
    actions = dict(read_table(store_url, "SELECT unique_id, action FROM fit_reports WHERE "
                                         "run_id = 3"))  # fmt: skip
    assert all(actions[k] == "drift flagged last run" for k in drifted)


def test_update_nights_revisions_and_a_tampered_artifact(tmp_path, store_url):
    config = make_job(tmp_path / "job", store_url, min_points=100)  # no drift refits here
    assert trendcast("run", str(config), "--as-of", "2024-06-01").returncode == 0
    update = trendcast("run", str(config), "--as-of", "2024-07-01", "--log-format", "json")
    assert update.returncode == 0, update.stderr
    lines = [json.loads(line) for line in update.stderr.splitlines()]
    stages = {r.get("stage"): r for r in lines}
    assert {"read", "models", "forecast", "accuracy", "store", "summary"} <= set(stages)
    assert stages["models"]["updated"] == 3 and stages["models"]["refit"] == 0
    assert stages["models"]["seconds"] >= 0

    # tamper with chunk 0's artifact: the outer checksum is recomputed, the save's own fails
    engine = sa.create_engine(store_url)
    with engine.begin() as conn:
        blob = conn.execute(sa.text(
            "SELECT blob FROM artifacts WHERE run_id = 2 AND chunk = 0")).scalar_one()  # fmt: skip
        bad = bytes(blob[:-40]) + b"\0" * 40
        conn.execute(
            sa.text("UPDATE artifacts SET blob = :b, sha256 = :s WHERE run_id = 2 AND chunk = 0"),
            {"b": bad, "s": hashlib.sha256(bad).hexdigest()},
        )
    engine.dispose()
    # and revise a month of 454 (chunk 2) that the models were fitted on
    sales_path = config.parent / "data" / "sales.csv"
    sales = pd.read_csv(sales_path, dtype={"unique_id": str})
    sales.loc[(sales["unique_id"] == "454") & (sales["ds"] == "2024-03-01"), "y"] += 1000.0
    sales.to_csv(sales_path, index=False)
    night = trendcast("run", str(config), "--as-of", "2024-08-01")
    assert night.returncode == 0, night.stderr
    assert "artifact refused" in night.stderr
    assert "category 454 refit: history revised at 2024-03-01" in night.stderr
    actions = dict(read_table(store_url, "SELECT unique_id, action FROM fit_reports WHERE "
                                         "run_id = 3"))  # fmt: skip
    assert actions["454"] == "history revised at 2024-03-01"
    assert actions["441"].startswith("artifact refused: artifact of chunk 0 (run 2)")
    assert sum(a == "update" for a in actions.values()) == 13 - 5 - 3  # chunk 1 updated only
    acc = read_table(store_url, "SELECT run_id, sum(n) FROM accuracy GROUP BY run_id "
                                "ORDER BY run_id")  # fmt: skip
    assert acc == [(2, 13), (3, 13 * 3)]  # one month of actuals, then two more for run 1
    shown = trendcast("accuracy", "-c", str(config), "--category", "441", "--by", "horizon")
    assert shown.returncode == 0, shown.stderr
    assert "Accuracy over time" in shown.stdout and "2024-08-01" in shown.stdout
    assert "Run 3 (as of 2024-08-01) by horizon" in shown.stdout


def test_a_failing_category_is_recorded_and_the_run_marked_partial(tmp_path, store_url):
    config = make_job(tmp_path / "job", store_url, max_failure_share=0.0)
    sales_path = config.parent / "data" / "sales.csv"
    sales = pd.read_csv(sales_path, dtype={"unique_id": str})
    short = pd.DataFrame({"unique_id": "999", "ds": ["2024-07-01", "2024-08-01", "2024-09-01"],
                          "y": [5.0, 6.0, 7.0]})  # fmt: skip
    pd.concat([sales, short]).to_csv(sales_path, index=False)
    result = trendcast("run", str(config), "--as-of", "2024-09-01")
    assert result.returncode == 3, result.stderr
    assert read_table(store_url, "SELECT status, n_failed FROM runs") == [("partial", 1)]
    shown = trendcast("show", "latest", "-c", str(config))
    assert "status partial" in shown.stdout and "Failures (1):" in shown.stdout
    assert "999 [fit]" in shown.stdout
    # the failed category still has its fallback forecast
    assert read_table(store_url, "SELECT count(*) FROM forecasts WHERE unique_id = '999'")[0][0]


@pytest.fixture(scope="module")
def exported_job(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    config = make_job(folder / "job", f"sqlite:///{folder / 'store.sqlite'}")
    assert trendcast("run", str(config), "--as-of", "2024-09-01").returncode == 0
    return config


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".parquet"])
def test_export_what_a_planner_opens(tmp_path, exported_job, suffix):
    target = tmp_path / f"flags{suffix}"
    done = trendcast("export", "latest", "--to", str(target), "-c", str(exported_job))
    assert done.returncode == 0, done.stderr
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(target)
        assert book.sheetnames[:4] == ["run", "flags", "gaps", "forecasts"]
        flags = book["flags"]
        assert flags.freeze_panes == "A2"
        header = [c.value for c in flags[1]]
        reason = flags.cell(row=2, column=header.index("reason") + 1)
        assert len(reason.value) > 40 and reason.alignment.wrap_text  # in full, wrapped
        p = flags.cell(row=2, column=header.index("max_p_short") + 1)
        assert p.number_format == "0.0%"
    else:
        read = pd.read_csv if suffix == ".csv" else pd.read_parquet
        frame = read(target)
        assert {"supply", "unique_id", "flag", "reason", "expected_shortfall"} <= set(frame)
