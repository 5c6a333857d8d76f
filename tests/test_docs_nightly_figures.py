"""docs/nightly.md quotes the nightly benchmark's current results, figure for figure.

The table of the "Measured" section and the update night's share of the fit
night are read back from ``benchmarks/results/nightly.json`` (written by
``benchmarks/nightly.py``), with the commit it was measured at: a new run of
the benchmark fails this test until the page quotes it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT = json.loads((ROOT / "benchmarks" / "results" / "nightly.json").read_text())
PAGE = (ROOT / "docs" / "nightly.md").read_text()
STAGES = ("models", "forecast", "gaps", "markets", "accuracy", "store")


def figure(x: float) -> str:
    """How the page writes a number of seconds: whole from 10, else one decimal."""
    return f"{x:.0f}" if x >= 10 else f"{x:.1f}"


def _measured() -> str:
    return PAGE.split("## Measured", 1)[1].split("\n## ", 1)[0]


def test_the_table_is_the_current_result():
    text = _measured()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    body = {tuple(c.strip() for c in r.strip("|").split("|"))[1:] for r in rows[1:]}
    for panel in ("generated", "bundled"):
        for night in ("fit", "update"):
            n = RESULT["result"][panel][night]
            want = (night, figure(n["seconds"]), *(figure(n["stages"][s]) for s in STAGES),
                    str(n["peak_mb"]))  # fmt: skip
            assert want in body, (panel, night, want, body)


def test_the_commit_and_the_share_are_the_current_result():
    text = _measured()
    commit = RESULT["provenance"]["commit"][:7]
    assert f"at commit {commit}" in text
    share = 100 * RESULT["result"]["generated"]["update_share"]
    assert re.search(rf"takes {share:.0f}% of the fit night", text), share
