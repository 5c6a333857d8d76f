"""Concurrent saves to one path (issue 19): nothing lost, nothing raw, nothing half.

Eight writers save the smallest forecaster twenty times each to one path,
as threads and as processes, in each form, while readers load it: with
``overwrite=True`` no writer fails and every load reads a whole save; with
``overwrite=False`` exactly one writer of a fresh path wins and every other
gets a ``PersistenceError`` saying the path exists. The guarantee is written
in ``docs/persistence.md`` ("Concurrent saves").
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.persistence_tools import load_many, save_many

WRITERS = 8
SAVES = 20
FORMS = ["m.zip", "m.tar", "m"]


def _pool(kind: str, workers: int):
    if kind == "threads":
        return ThreadPoolExecutor(workers)
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


@pytest.mark.parametrize("kind", ["threads", "processes"])
@pytest.mark.parametrize("form", FORMS)
def test_concurrent_overwrites_never_fail_and_readers_see_whole_saves(tmp_path, kind, form):
    path = str(tmp_path / form)
    assert save_many((path, 1, False)) == []
    with _pool(kind, WRITERS + 2) as pool:
        writers = [pool.submit(save_many, (path, SAVES, True)) for _ in range(WRITERS)]
        readers = [pool.submit(load_many, (path, 3 * SAVES)) for _ in range(2)]
        errors = [e for f in writers + readers for e in f.result()]
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == [form]  # no staging folder left behind
    assert load_many((path, 1)) == []


@pytest.mark.parametrize("kind", ["threads", "processes"])
@pytest.mark.parametrize("form", FORMS)
def test_concurrent_first_saves_one_wins_the_others_are_told_it_exists(tmp_path, kind, form):
    with _pool(kind, WRITERS) as pool:
        for round in range(SAVES // 4):
            path = str(tmp_path / f"r{round}" / form)
            results = list(pool.map(save_many, [(path, 1, False)] * WRITERS))
            errors = [e for r in results for e in r]
            assert len(errors) == WRITERS - 1, errors
            assert all(
                e.startswith("PersistenceError") and "already exists" in e for e in errors
            ), errors
            assert load_many((path, 1)) == []
            assert [p.name for p in Path(path).parent.iterdir()] == [form]


@pytest.mark.parametrize("form", FORMS)
def test_without_renameat2_writers_still_never_fail_and_one_first_save_wins(
    tmp_path, monkeypatch, form
):
    """Where the system has no atomic exchange (not Linux, or a file system without it),
    files are still replaced atomically; a directory is moved aside and the new one
    moved in, so a reader in between may find no save: a PersistenceError, never half."""
    from trendcast.persistence import _archive

    monkeypatch.setattr(_archive, "_LIBC", None)
    path = str(tmp_path / form)
    assert save_many((path, 1, False)) == []
    with ThreadPoolExecutor(WRITERS + 2) as pool:
        writers = [pool.submit(save_many, (path, SAVES // 2, True)) for _ in range(WRITERS)]
        readers = [pool.submit(load_many, (path, SAVES)) for _ in range(2)]
        assert [e for f in writers for e in f.result()] == []
        failed_loads = [e for f in readers for e in f.result()]
    if form == "m":
        assert all(e.startswith("PersistenceError") for e in failed_loads), failed_loads
    else:
        assert failed_loads == []
    assert load_many((path, 1)) == []
    first = str(tmp_path / "first" / form)
    with ThreadPoolExecutor(WRITERS) as pool:
        errors = [e for r in pool.map(save_many, [(first, 1, False)] * WRITERS) for e in r]
    assert len(errors) == WRITERS - 1 and all("already exists" in e for e in errors), errors
