"""benchmarks/compare.py: the paired comparison of two per-series accuracy files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("bench_compare", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(path, method, smape, mase, ids):
    pd.DataFrame({"method": method, "unique_id": ids, "smape": smape, "mase": mase}).to_csv(
        path, index=False
    )


def test_pairs_series_and_reports_the_standard_error(compare, tmp_path):
    rng = np.random.default_rng(0)
    ids = [f"N{i}" for i in range(200)]
    before = rng.uniform(5, 20, 200)
    delta = rng.normal(-0.5, 2.0, 200)
    _write(tmp_path / "b.csv", "tc-auto", before, before / 10, ids)
    # the after file lists the series in another order and has one extra series
    order = rng.permutation(200)
    _write(
        tmp_path / "a.csv",
        "tc-auto",
        np.append((before + delta)[order], 99.0),
        np.append((before / 10)[order], 9.0),
        [ids[i] for i in order] + ["extra"],
    )
    out = tmp_path / "cmp.md"
    assert compare.main([str(tmp_path / "b.csv"), str(tmp_path / "a.csv"), "--out", str(out)]) == 0
    text = out.read_text()
    se = delta.std(ddof=1) / np.sqrt(200)
    row = next(line for line in text.splitlines() if line.startswith("| smape |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "200"
    assert float(cells[4]) == pytest.approx(delta.mean(), abs=1e-4)
    assert float(cells[5]) == pytest.approx(se, abs=1e-4)
    assert float(cells[6]) == pytest.approx(delta.mean() / se, abs=0.05)
    mase_row = next(line for line in text.splitlines() if line.startswith("| mase |"))
    assert mase_row.strip("|").split("|")[-1].strip() == "0"  # no series changed


def test_a_file_with_several_methods_needs_method(compare, tmp_path):
    frame = pd.DataFrame(
        {"method": ["a", "b"], "unique_id": ["x", "x"], "smape": [1.0, 2.0], "mase": [1.0, 1.0]}
    )
    frame.to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(SystemExit, match="--method"):
        compare.main([str(tmp_path / "two.csv"), str(tmp_path / "two.csv")])
    with pytest.raises(SystemExit, match="columns"):
        frame.drop(columns="mase").to_csv(tmp_path / "bad.csv", index=False)
        compare.main([str(tmp_path / "bad.csv"), str(tmp_path / "two.csv"), "--method", "a"])
