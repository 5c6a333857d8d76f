"""The outputs docs/integrations.md prints are what the code prints now (issue 25).

Runs the page's ```python blocks in order, as tests/test_docs_outputs_pages.py
does for the other pages (same rules: a ```text block after a block is what it
shows, ``code  # value`` lines are checked). The sktime block is ```py, since
sktime cannot be installed beside pandas 3.1: tests/test_sktime_adapter.py runs
it in sktime's own environment (``make test-sktime``).
"""

from __future__ import annotations

import sys

import fsspec
import pytest

from tests.test_docs_outputs_pages import _assert_none, blocks, check, console

pytest.importorskip("polars", reason="polars is in the dev extra")
pytest.importorskip("mlflow", reason="mlflow-skinny is in the dev extra")


@pytest.fixture
def clean_memory_store():
    fs = fsspec.filesystem("memory")
    if fs.exists("/models"):
        fs.rm("/models", recursive=True)
    yield
    if fs.exists("/models"):
        fs.rm("/models", recursive=True)


def test_integrations_page(tmp_path, monkeypatch, clean_memory_store):
    monkeypatch.chdir(tmp_path)  # the page writes nothing locally (checked below)
    monkeypatch.setitem(sys.modules, "s3fs", None)  # the page shows s3fs missing
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    ns: dict = {}
    try:
        with console():
            _assert_none(check("integrations.md", ns))
    finally:
        mlflow.set_tracking_uri(None)
    assert list(tmp_path.iterdir()) == []  # no folder named s3:
    assert ns["fitted"]["mean"].notna().any()


def test_the_page_keeps_the_sktime_example_in_a_py_block():
    kinds = [b.kind for b in blocks("integrations.md", "## sktime")]
    assert kinds == ["py", "text"]
