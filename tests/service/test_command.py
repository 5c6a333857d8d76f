"""``trendcast serve``'s arguments, and what importing trendcast does not import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from trendcast.cli import app


def _serve(*args: str):
    return CliRunner().invoke(app, ["serve", *args])


def test_one_source_is_needed(tmp_path):
    assert "exactly one of --model DIR and --store URL" in _serve().output
    both = _serve("--model", str(tmp_path), "--store", "sqlite:///x.sqlite")
    assert both.exit_code == 2 and "exactly one" in both.output


def test_a_missing_save_is_refused(tmp_path):
    result = _serve("--model", str(tmp_path / "nothing"))
    assert result.exit_code == 2 and "no saved forecaster there" in result.output


def test_store_without_the_nightly_job(tmp_path):
    result = _serve("--store", f"sqlite:///{tmp_path / 'store.sqlite'}")
    assert result.exit_code == 2
    if importlib.util.find_spec("trendcast.store") is None:
        assert "--store needs the nightly job's store (trendcast.store)" in result.output
    else:  # an empty store: nothing to serve yet
        assert "store" in result.output and "run" in result.output


def test_import_trendcast_loads_no_service_library():
    heavy = ["fastapi", "uvicorn", "starlette", "httpx"]
    code = (
        "import sys, trendcast, trendcast.cli; trendcast.Client; "
        f"print(*[m in sys.modules for m in {heavy!r}])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert dict(zip(heavy, out.stdout.split(), strict=True)) == dict.fromkeys(heavy, "False")


def test_the_client_needs_httpx_only(monkeypatch):
    pytest.importorskip("httpx")
    code = (
        "import sys, trendcast as tc; c = tc.Client('http://127.0.0.1:9'); "
        "print('fastapi' in sys.modules, 'httpx' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
