"""examples/own_data/own_data.py runs from a clean process and shows each step (issue 22).

tests/test_examples.py runs the scripts directly in examples/ and requires each
to be declared there; this example lives in its own folder with its input
files, so this file runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "own_data" / "own_data.py"


def test_the_own_data_example_runs_and_writes_the_report_and_the_workbook(tmp_path):
    out = tmp_path / "out"
    src = str(SCRIPT.parents[2] / "src")  # this checkout's trendcast, installed or not
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": path}
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    # step 1: every problem of the export in one message, each with its option
    assert "In file 'sales_export.csv': 3 problems were found" in text
    assert "dayfirst=True" in text and "thousands=','" in text
    assert "duplicates='drop_identical'" in text
    assert "'Online retail' = 'Online retail '" in text
    # step 2: read with the options
    assert "315 rows, 3 categories, freq MS" in text
    # steps 4-6
    assert "Online retail short" in text.replace("  ", " ")
    assert "6. Report: report.html; workbook: plan_review.xlsx" in text
    assert (out / "report.html").stat().st_size > 10_000
    book = load_workbook(out / "plan_review.xlsx")
    assert book.sheetnames == ["summary", "gaps", "forecast"]
    gaps = pd.read_excel(out / "plan_review.xlsx", sheet_name="gaps")
    assert set(gaps["Category"]) == {"Clothing", "Motor vehicles", "Online retail"}
    assert len(gaps) == 36
