"""The speed figures on docs/service.md are those of benchmarks/results/service.json.

The page quotes the load test's table and the cold starts; a re-run of
``benchmarks/service.py`` that changes them must change the page too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = json.loads((ROOT / "benchmarks" / "results" / "service.json").read_text())
PAGE = (ROOT / "docs" / "service.md").read_text()

LABELS = {
    "predict-1": "predict, one category",
    "predict-100": "predict, 100 categories",
    "gaps": "gaps, one category",
}


def speed_table(results: dict) -> str:
    """The page's table, written from the results."""
    lines = [
        "| request | concurrency | throughput | p50 | p99 | server CPU a request |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {LABELS[row['scenario']]} | {row['concurrency']} | {row['throughput']:,.0f}/s "
            f"| {row['p50_ms']:,.1f} ms | {row['p99_ms']:,.1f} ms | {row['server_cpu_ms']:.2f} ms |"
        )
    return "\n".join(lines)


def test_the_speed_table_is_the_benchmarks():
    assert speed_table(RESULTS) in PAGE


def test_the_cold_starts_quoted_are_the_benchmarks():
    import statistics

    server = RESULTS["server_cold_start"]
    runs = RESULTS["library_cold_start"]
    best = min(run["load_predict"] for run in runs)
    worst = max(run["load_predict"] for run in runs)
    first = statistics.median(RESULTS["first_touch_ms"])
    said = re.sub(r"\s+", " ", PAGE)
    assert f"first forecast: {server['first_predict_s']:.2f} s" in said
    assert f"took {best:.2f}-{worst:.2f} s in a fresh process" in said
    assert f"({first:.0f} ms median" in said
