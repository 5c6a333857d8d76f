"""The coverage table quoted in docs/models.md is the one benchmarks/coverage.py wrote.

``benchmarks/results/coverage.json`` holds the run (with its provenance);
every row of the table under "Per-category scale" in the docs must be that
run's figures, so the page cannot drift from the measurement.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULT = REPO / "benchmarks" / "results" / "coverage.json"
PAGE = REPO / "docs" / "models.md"
VARIANTS = ("own", "pooled", "conformal")


def expected_rows() -> list[str]:
    rows = []
    for r in json.loads(RESULT.read_text())["results"]:
        for variant in VARIANTS:
            s = r["scores"][variant]
            rows.append(
                f"| {r['dataset']} | {r['n_series']} | {'yes' if r['tuned_on'] else 'no'} "
                f"| {variant} | {100 * s['cov80']:.1f} | {100 * s['cov95']:.1f} "
                f"| {s['mis80']:.2f} | {s['mis95']:.2f} |"
            )
    return rows


def quoted_rows() -> list[str]:
    text = PAGE.read_text()
    start = text.index("<!-- coverage table: benchmarks/results/coverage.json -->")
    block = text[start:].split("\n\n", 2)[1]
    return [line for line in block.splitlines() if re.match(r"\| [A-Z]", line)]


def test_the_docs_quote_the_coverage_run():
    expected = expected_rows()
    assert len(expected) >= 9  # M3 and at least two other datasets, three interval sets each
    assert quoted_rows() == expected


def test_the_run_kept_the_point_forecasts_and_names_its_commit():
    payload = json.loads(RESULT.read_text())
    assert payload["provenance"]["commit"]
    names = [r["dataset"] for r in payload["results"]]
    assert "M3 monthly" in names
    assert any(not r["tuned_on"] for r in payload["results"])
    assert all(r["means_identical"] for r in payload["results"])
