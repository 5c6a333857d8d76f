"""Every script in examples/ runs from a clean process and writes what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

# What each script must write to its output folder and print. A new example
# without an entry here fails test_every_example_is_declared.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "quickstart.py": {
        "files": ["forecast.csv", "gaps.csv", "gaps_summary.csv", "quickstart_forecast.png"],
        "stdout": [
            "Model per category:",
            "expected_shortfall",
            "shortfall_share",
            "max_p_short",
            "4541",
        ],
    },
    "sectors.py": {
        "files": ["reconciled.csv", "hotspots.csv", "sector_gaps.csv", "emerging.csv"],
        "stdout": [
            "Hierarchy(total: 1, sector: 7, category: 13)",
            "Coherence:",
            "Hotspots, next 12 months",
            "Nonstore retail",
            "Emerging categories",
            "basis: sales, forecast",
        ],
    },
    "supply_plans.py": {
        "files": ["gaps.csv", "gaps_summary.csv", "stock_summary.csv", "report.html"],
        "stdout": [
            "Plans side by side",
            "last year +6%",
            "p_short_window",
            "shortfall_value",
            "454: short from",
            "Inventory plus the +2% plan as receipts",
            "Report:",
        ],
    },
    "search_signals.py": {
        "files": [
            "search_by_category.csv",
            "lead_lag.csv",
            "stitch_joins.csv",
            "search_lead_lag.png",
            "nowcast.csv",
        ],
        "stdout": [
            "Read 40 exports",
            "Stitch report:",
            "Lead-lag per category:",
            "food_and_drugstore_items",
            "granger_p",
            "Nowcast of 2025-03",
            "Search report",
            "mase_without_search",
        ],
    },
}


def test_every_example_is_declared() -> None:
    assert SCRIPTS, f"no example scripts found in {EXAMPLES}"
    assert sorted(p.name for p in SCRIPTS) == sorted(EXPECTED)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(script: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(script), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{script.name} exited with {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )
    expected = EXPECTED[script.name]
    for name in expected["files"]:
        path = out / name
        assert path.is_file(), f"{script.name} did not write {name}; stdout:\n{proc.stdout}"
        assert path.stat().st_size > 0, f"{script.name} wrote an empty {name}"
    for text in expected["stdout"]:
        assert text in proc.stdout, f"{script.name} did not print {text!r}:\n{proc.stdout}"
