"""A save with per-category calibration scales cannot be misread by an older trendcast.

Before issue 23's scales, ``forecaster.json`` kept the calibration's pools of
errors under ``"pools"``, and a reader ignores keys it does not know. Scaled
pools written there would be read by an older trendcast as plain errors, without
their scales: intervals too narrow for every volatile category, silently. They
are written under ``"scaled_pools"`` instead, which an older reader lacks the
key for and refuses; this reader takes either and refuses a mix.
"""

from __future__ import annotations

import json

import pytest

import trendcast as tc


@pytest.fixture(scope="module")
def fitted():
    sales = tc.datasets.load_us_retail()
    ids = sales["unique_id"].unique()[:10]
    models = [tc.models.Theta(), tc.models.SeasonalNaive()]
    return tc.TrendForecaster(models=models).fit(sales[sales["unique_id"].isin(ids)])


def _node(path):
    return json.loads((path / "forecaster.json").read_text())


def _calibration(doc):
    found = []

    def walk(value):
        if isinstance(value, dict):
            if "skipped" in value and ("pools" in value or "scaled_pools" in value):
                found.append(value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc)
    assert len(found) == 1
    return found[0]


def test_scaled_pools_are_not_where_an_older_reader_looks(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    node = _calibration(_node(tmp_path / "m"))
    assert "pools" not in node and node["scaled_pools"] and node["scales"]
    again = tc.load(tmp_path / "m")
    assert again.predict(3).equals(fitted.predict(3))


def test_a_pooled_calibration_is_saved_as_before(tmp_path):
    sales = tc.datasets.load_us_retail()
    ids = sales["unique_id"].unique()[:10]
    fc = tc.TrendForecaster(models=tc.models.Theta(), calibration="pooled")
    fc.fit(sales[sales["unique_id"].isin(ids)]).save(tmp_path / "m")
    node = _calibration(_node(tmp_path / "m"))
    assert node["pools"] and "scaled_pools" not in node and "scales" not in node
    assert tc.load(tmp_path / "m").predict(2).equals(fc.predict(2))


@pytest.mark.parametrize("edit", ["scaled as plain", "scales dropped"])
def test_scaled_pools_and_scales_come_together(fitted, tmp_path, edit):
    from tests.test_persistence_text import _resign

    path = tmp_path / "m"
    fitted.save(path)
    text = (path / "forecaster.json").read_text()
    if edit == "scaled as plain":  # what an older reader would have taken for plain pools
        text = text.replace('"scaled_pools"', '"pools"')
    else:
        doc = json.loads(text)
        del _calibration(doc)["scales"]
        text = json.dumps(doc)
    (path / "forecaster.json").write_text(text)
    _resign(path)
    with pytest.raises(tc.PersistenceError, match="calibration is malformed"):
        tc.load(path)
