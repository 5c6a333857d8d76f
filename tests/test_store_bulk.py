"""The store's bulk insert writes exactly the rows the row-by-row SQLAlchemy insert wrote.

``Store.write_run`` sends a run's result rows in bulk (SQLite: one
``executemany`` of tuples; PostgreSQL: ``COPY``). The reference below is the
path it replaced: every row a dict of plain values (``records`` as it was),
inserted through SQLAlchemy's ``insert``. Both write the same frames, with the
odd values a run can hold (NaN, infinities, -0.0, NaT, missing strings,
nullable integers, object columns of mixed values, absent columns), and every
stored cell is compared, with its SQLite storage class.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.job_support import store_url_fixture  # noqa: F401
from trendcast.store import Store, core
from trendcast.store.schema import COLUMNS, tables


def _old_python(value: Any) -> Any:
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


def _old_records(frame: pd.DataFrame, columns: dict[str, str]) -> list[dict[str, Any]]:
    """``trendcast.store.core.records`` as it was at e7c5509 (value by value)."""
    out_cols = {}
    for name, kind in columns.items():
        if name not in frame.columns:
            out_cols[name] = [None] * len(frame)
            continue
        column = frame[name]
        if column.dtype == np.float64:
            values = [None if v != v else v for v in column.tolist()]
        else:
            values = [_old_python(v) for v in column.tolist()]
        if kind == "date":
            values = [v.date() if isinstance(v, dt.datetime) else v for v in values]
        if kind == "int":
            values = [None if v is None else int(v) for v in values]
        if kind in ("str", "text"):
            values = [None if v is None else str(v) for v in values]
        out_cols[name] = values
    names = list(out_cols)
    return [dict(zip(names, row, strict=True)) for row in zip(*out_cols.values(), strict=True)]


def _old_insert(conn: sa.Connection, name: str, frame: pd.DataFrame, run_id: int) -> None:
    rows = _old_records(frame, COLUMNS[name])
    for row in rows:
        row["run_id"] = run_id
    conn.execute(tables[name].insert(), rows)


def _results() -> dict[str, pd.DataFrame]:
    n = 7
    ds = pd.Series(pd.date_range("2024-01-07", periods=n, freq="W-SUN"))
    ds[3] = pd.NaT
    ids = pd.Series(["a", "b", None, "d", "e", "é", "g"], dtype="str")
    mean = [1.5, np.nan, np.inf, -np.inf, -0.0, 1e-300, 123456789.123456789]
    forecasts = pd.DataFrame({
        "unique_id": ids, "ds": ds, "step": np.arange(1, n + 1), "model": ["Theta"] * n,
        "mean": mean, "lo-80": mean, "lo_80": np.float32(mean), "hi_80": [None, 1, 2.5, "3",
        np.float64(4), np.int64(5), np.nan], "chunk": pd.array([0, 0, None, 1, 1, 1, 2],
        dtype="Int64"),
    })  # fmt: skip
    gaps = pd.DataFrame({
        "supply": "plan", "kind": "flow", "unique_id": ids.astype(object),
        "ds": ds.dt.tz_localize(None), "mean": mean, "supply_value": np.arange(n, dtype=float),
        "short": [True, False, True, False, True, True, False],
        "flag": ["short", None, np.nan, pd.NA, "ok", "", "x"],
    })  # fmt: skip
    accuracy = pd.DataFrame({
        "unique_id": list("abcdefg"), "model": "Naive", "horizon": np.arange(n, dtype=np.int32),
        "n": [1, 2, 3, 4, 5, 6, 7], "mase": mean, "first_origin": ds,
        "last_origin": [dt.date(2024, 1, 1), None, pd.Timestamp("2024-02-03"), pd.NaT,
                        dt.datetime(2024, 3, 4, 5, 6), dt.date(1999, 12, 31), np.nan],
    })  # fmt: skip
    selection = pd.DataFrame({
        "unique_id": list("abcdefg"), "model": "Theta", "mase": [1, None, 2.5, 3, np.nan, 0, 1],
        "selected": [True, False, None, np.True_, np.False_, True, False],
        "rmsse": pd.array([0.5, None, 1.5, 2, 3, 4, 5], dtype="Float64"),
    })  # fmt: skip
    drift = pd.DataFrame({
        "unique_id": list("abcdefg"), "n": np.arange(n, dtype=np.uint8), "drift": np.zeros(n,
        dtype=bool), "ratio": np.float16(1.25),
    })  # fmt: skip
    hotspots = pd.DataFrame({
        "rank": np.arange(1, n + 1), "unique_id": list("abcdefg"),
        "period_start": ds + pd.Timedelta(microseconds=7), "period_end": ds.astype("M8[s]"),
        "periods": [12] * n, "level": pd.Categorical(["x", "y", None, "x", "x", "y", "y"]),
        "total": mean,
    })  # fmt: skip
    fit_reports = pd.DataFrame({
        "unique_id": ids, "model_tried": "Theta", "reason": [None, "a", "b", "c", "d", "e", 3],
        "status": "ok", "action": "update", "chunk": np.arange(n), "label": pd.array(
            ["T", None, "T", "S", "N", "N", "T"], dtype="string"),
    })  # fmt: skip
    return {"forecasts": forecasts, "gaps": gaps, "accuracy": accuracy, "selection": selection,
            "drift": drift, "hotspots": hotspots, "fit_reports": fit_reports,
            "flags": pd.DataFrame(), "emerging": pd.DataFrame({"rank": [1]})}  # fmt: skip


def _run(day: int) -> dict[str, Any]:
    return {"as_of": dt.date(2024, 1, day), "config_hash": "c" * 64, "model_key": "k" * 64,
            "status": "ok"}  # fmt: skip


def _stored(store: Store, table: str, run_id: int) -> list[tuple]:
    cols = [c for c in COLUMNS[table]]
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":  # the storage class of every cell as well
            cols += [f"typeof({c})" for c in COLUMNS[table]]
        query = f"SELECT {', '.join(cols)} FROM {table} WHERE run_id = {run_id} ORDER BY id"
        return [tuple(r) for r in conn.exec_driver_sql(query).all()]


def test_the_bulk_insert_stores_what_the_row_by_row_insert_stored(store_url, monkeypatch):
    results = _results()
    with Store(store_url) as store:
        new = store.write_run(_run(1), results)
        with monkeypatch.context() as m:
            m.setattr(core, "_insert_frame", _old_insert)
            old = store.write_run(_run(2), results)
        assert new != old
        for table in COLUMNS:
            if table == "artifacts":
                continue
            got, want = _stored(store, table, new), _stored(store, table, old)
            assert len(got) == len(results.get(table, ()))
            # NaN != NaN: compare the text of the cells, which tells -0.0 and inf apart
            assert [tuple(map(repr, r)) for r in got] == [tuple(map(repr, r)) for r in want], table


def test_a_night_written_again_replaces_its_rows_in_bulk(store_url):
    results = _results()
    with Store(store_url) as store:
        first = store.write_run(_run(1), results)
        again = store.write_run(_run(1), {"forecasts": results["forecasts"].head(2)})
        assert again == first
        assert len(_stored(store, "forecasts", first)) == 2
        assert _stored(store, "gaps", first) == []


def test_a_value_that_cannot_be_converted_still_rolls_the_night_back(store_url):
    results = _results()
    with Store(store_url) as store:
        first = store.write_run(_run(1), {"forecasts": results["forecasts"]})
        broken = results["forecasts"].assign(step=["x"] * 7)
        with pytest.raises(ValueError):
            store.write_run(_run(1), {"gaps": results["gaps"], "forecasts": broken})
        assert len(_stored(store, "forecasts", first)) == 7
        assert _stored(store, "gaps", first) == []


def test_read_gives_the_frame_the_mappings_gave(store_url):
    results = _results()
    with Store(store_url) as store:
        run_id = store.write_run(_run(1), results)
        for table in COLUMNS:
            tab = tables[table]
            cols = [c for c in tab.c if c.name != "blob"]
            query = sa.select(*cols).where(tab.c.run_id.in_([run_id])).order_by(tab.c.id)
            with store.engine.connect() as conn:
                want = pd.DataFrame(conn.execute(query).mappings().all(),
                                    columns=[c.name for c in cols])  # fmt: skip
            pd.testing.assert_frame_equal(store.read(table, run_id), want, check_exact=True)
