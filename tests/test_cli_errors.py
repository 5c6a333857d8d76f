"""The command line fails early, in one line, with an exit code (issue 19).

Each test runs the real command in a subprocess (``python -m trendcast.cli``,
this checkout's package first on the path), as a user's shell would: outputs
and arguments are checked before any work starts, every error is one line on
stderr with exit code 2 for bad input (1 for anything unexpected), and only
``--debug`` shows a traceback. ``-h`` and ``--help`` give help on every command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import trendcast as tc
from tests.conftest import make_panel
from trendcast.cli import _Cli

SRC = str(Path(tc.__file__).resolve().parents[1])


def trendcast(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "trendcast.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line_error(res: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error"), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    return lines[0]


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    make_panel(n_series=2, n=36).to_csv(path, index=False)
    return path


def test_forecast_to_a_missing_folder_fails_before_the_fit(tmp_path, sales_csv):
    line = one_line_error(
        trendcast("forecast", str(sales_csv), "--out", "/no/dir/x.csv", cwd=tmp_path)
    )
    assert "--out" in line and "/no/dir" in line and "does not exist" in line


def test_forecast_to_a_folder_fails_before_the_fit(tmp_path, sales_csv):
    line = one_line_error(
        trendcast("forecast", str(sales_csv), "--out", str(tmp_path), cwd=tmp_path)
    )
    assert "--out" in line and "is a folder" in line


def test_a_horizon_past_the_limit_fails_before_the_fit(tmp_path, sales_csv):
    res = trendcast("forecast", str(sales_csv), "--horizon", "100000", cwd=tmp_path)
    line = one_line_error(res)
    assert "--horizon" in line and "10000" in line
    assert not (tmp_path / "forecast.csv").exists()


def test_a_bad_sales_file_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "sales.csv").write_text("unique_id,ds,y\na,2020-01-01,1\na,2020-02-01,-5\n")
    line = one_line_error(trendcast("forecast", "sales.csv", cwd=tmp_path))
    assert "sales.csv" in line and "negative" in line


def test_demo_with_an_unknown_category_fails_before_any_work(tmp_path):
    res = trendcast("demo", "--category", "NOPE", "--out", "out", cwd=tmp_path)
    line = one_line_error(res)
    assert "--category" in line and "'NOPE'" in line
    assert not (tmp_path / "out").exists()


def test_demo_into_a_file_fails_before_any_work(tmp_path):
    (tmp_path / "taken").write_text("x")
    line = one_line_error(trendcast("demo", "--out", "taken", cwd=tmp_path))
    assert "--out" in line and "is a file" in line


def _run_folder(folder: Path, settings: object) -> None:
    folder.mkdir()
    months = pd.date_range("2024-01-01", periods=3, freq="MS")
    pd.DataFrame({"unique_id": "a", "ds": months, "y": 1.0}).to_csv(folder / "history.csv")
    pd.DataFrame({"unique_id": "a", "ds": months, "mean": 1.0}).to_csv(folder / "forecast.csv")
    pd.DataFrame({"unique_id": ["a"], "flag": ["ok"]}).to_csv(folder / "gaps_summary.csv")
    (folder / "report.json").write_text(json.dumps(settings))


def _in_process(*args: str) -> tuple[int, str]:
    """The same command in this process (CliRunner): exit code and stderr."""
    from trendcast.cli import app

    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stderr


def test_a_hand_edited_report_json_of_the_wrong_type_is_one_line(tmp_path):
    _run_folder(tmp_path / "run", {"top": "x"})
    line = one_line_error(trendcast("report", "run", cwd=tmp_path))
    assert "report.json" in line and "'top'" in line and "Fix:" in line


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"threshold": "high"}, "'threshold'"),
        ({"title": 3}, "'title'"),
        ({"exclude": "44Y72"}, "'exclude'"),
        ({"exclude": [["a"]]}, "'exclude'"),
        ({"top": 0}, "'top'"),
        ([1, 2], "list"),
    ],
)
def test_every_report_json_of_the_wrong_type_is_named(tmp_path, settings, named):
    _run_folder(tmp_path / "run", settings)
    code, err = _in_process("report", str(tmp_path / "run"))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "report.json" in err and named in err


def test_report_options_of_the_wrong_type_are_a_parameter_error(tmp_path):
    from trendcast.report import report_from_run

    _run_folder(tmp_path / "run", {})
    with pytest.raises(tc.ParameterError, match="top"):
        report_from_run(tmp_path / "run", top=0)
    code, err = _in_process("report", str(tmp_path / "run"), "--threshold", "5")
    assert code == 2 and "threshold" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_h_and_help_give_help(tmp_path, flag):
    # forecast's -h used to be --horizon: "Option '-h' requires an argument"
    res = trendcast("forecast", flag, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "Usage" in res.stdout and "--horizon" in res.stdout and res.stderr == ""


@pytest.mark.parametrize("command", [[], ["forecast"], ["demo"], ["report"], ["version"]])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_h_and_help_give_help_on_every_command(command, flag):
    from trendcast.cli import app

    res = CliRunner().invoke(app, [*command, flag])
    assert res.exit_code == 0 and "Usage" in res.stdout


def test_debug_shows_the_traceback(tmp_path):
    res = trendcast("--debug", "forecast", "missing.csv", cwd=tmp_path)
    assert res.returncode != 0
    assert "Traceback" in res.stderr or "DataValidationError" in res.stderr
    assert "missing.csv" in res.stderr


def test_an_unexpected_error_is_one_line_with_exit_code_1():
    app = typer.Typer(cls=_Cli)

    @app.callback()
    def options(debug: bool = typer.Option(False, "--debug")) -> None:
        """Options."""

    @app.command()
    def broken() -> None:
        """A bug."""
        raise RuntimeError("something\nbroke")

    res = CliRunner().invoke(app, ["broken"])
    assert res.exit_code == 1
    assert res.output.strip() == (
        "error (RuntimeError): something broke (run `trendcast --debug ...` for the traceback)"
    )
    debug = CliRunner().invoke(app, ["--debug", "broken"])
    assert isinstance(debug.exception, RuntimeError)
