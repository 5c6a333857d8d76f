"""Forecasters saved by earlier format versions still load and forecast the same numbers.

``tests/data/saved/<format version>/<name>/`` holds a forecaster saved by that
format (one per model class, written by ``tools/make_saved_examples.py``) and
``<name>.expected.csv`` the forecast it made when it was saved. Every version
ever written stays here: a new format version adds a folder, it never replaces
one, and the current code must load them all (or the format's documentation
must say that it cannot, and this test must then expect that refusal).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import trendcast as tc
from trendcast.persistence import FORMAT_VERSION

SAVED = Path(__file__).parent / "data" / "saved"
EXAMPLES = sorted(p for p in SAVED.glob("*/*") if p.is_dir())


def test_every_format_version_and_model_has_an_example():
    versions = sorted(int(p.name) for p in SAVED.iterdir() if p.is_dir())
    assert versions == list(range(1, FORMAT_VERSION + 1))
    latest = {p.name for p in (SAVED / str(FORMAT_VERSION)).iterdir() if p.is_dir()}
    assert {cls.__name__ for cls in tc.models.REGISTRY} | {"auto"} <= latest


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in EXAMPLES])
def test_saved_example_loads_and_predicts_the_recorded_numbers(path):
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format_version"] == int(path.parent.name)
    fc = tc.load(path)
    if path.name != "auto":  # each example really holds the model class it is named after
        assert {type(m).__name__ for m in fc.models_.values()} == {path.name}
    expected = pd.read_csv(path.parent / f"{path.name}.expected.csv", parse_dates=["ds"])
    got = fc.predict(6, level=(80, 95))
    assert got["model"].tolist() == expected["model"].tolist()
    pd.testing.assert_frame_equal(
        got.drop(columns="model"),
        expected.drop(columns="model"),
        check_dtype=False,
        rtol=0,
        atol=1e-9,
    )
    # and it still takes new data
    panel = pd.read_csv(path.parent / "panel.csv", parse_dates=["ds"])
    new = panel.groupby("unique_id").tail(1).assign(ds=lambda d: d["ds"] + pd.DateOffset(months=1))
    assert len(fc.update(new).predict(2)) == 2 * panel["unique_id"].nunique()
