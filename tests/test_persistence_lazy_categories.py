"""``categories.json`` holds one category a line; ``load`` parses a category when it is used.

A service that loads a save of 1,000 categories to answer for one should not
parse the 999 others: each entry is written on its own line (the file stays one
valid JSON document), ``load`` reads the ids, written first in each entry, and
parses an entry (model, history, covariates) the first time its category is
used. A file laid out otherwise (an older save, or one another tool rewrote) is
parsed whole as before. Either way the loaded forecaster forecasts exactly what
the fitted one did.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel
from tests.persistence_tools import resign_dir
from trendcast.persistence._forecaster import _category_lines


def _panel_with_ids(ids: list) -> pd.DataFrame:
    panel = make_panel(n_series=len(ids), n=40)
    mapping = dict(zip(panel["unique_id"].unique(), ids, strict=True))
    return panel.assign(unique_id=panel["unique_id"].map(mapping))


ODD_IDS = ["plain", "line\nbreak", 'quote " and , comma', "unicode é 中文 \u2028", "}{"]


@pytest.fixture(scope="module")
def fitted() -> tc.TrendForecaster:
    models = [tc.models.ETS(), tc.models.Theta(), tc.models.SeasonalNaive()]
    return tc.TrendForecaster(models=models).fit(_panel_with_ids(ODD_IDS))


@pytest.fixture
def saved(fitted, tmp_path) -> Path:
    return fitted.save(tmp_path / "fc")


def _entries(path: Path) -> list[str]:
    return (path / "categories.json").read_text(encoding="utf-8").split("\n")


def _line_of(lines: list[str], key: str) -> int:
    (i,) = [i for i, e in enumerate(lines[1:-1], 1) if json.loads(e.rstrip(","))["id"] == key]
    return i


def test_the_file_is_one_json_document_with_one_category_a_line(fitted, saved):
    data = (saved / "categories.json").read_bytes()
    parsed = json.loads(data)
    order = list(fitted.state_.fits)
    assert sorted(order) == sorted(ODD_IDS)
    assert [n["id"] for n in parsed["categories"]] == order
    lines = _entries(saved)
    assert lines[0] == '{"categories":[' and lines[-1] == "]}"
    assert len(lines) == len(ODD_IDS) + 2
    ids, entries = _category_lines(data)
    assert ids == order
    assert [json.loads(e.rstrip(b",")) for e in entries] == parsed["categories"]


def test_odd_ids_load_and_forecast_exactly_as_fitted(fitted, saved):
    loaded = tc.load(saved)
    assert list(loaded.state_.fits) == list(fitted.state_.fits)
    pd.testing.assert_frame_equal(loaded.predict(6, level=[80]), fitted.predict(6, level=[80]))


def test_integer_ids_too(tmp_path):
    fc = tc.TrendForecaster(models=tc.models.Theta()).fit(_panel_with_ids([7, 11, 2]))
    loaded = tc.load(fc.save(tmp_path / "ints"))
    assert sorted(loaded.state_.fits) == [2, 7, 11]
    assert list(loaded.state_.fits) == list(fc.state_.fits)
    pd.testing.assert_frame_equal(loaded.predict(3, ids=[11]), fc.predict(3, ids=[11]))


def test_one_category_is_used_without_parsing_the_others(fitted, saved):
    # another category's entry spoiled (and the checksums fixed, as a tool would):
    # the category asked for still forecasts; the spoiled one fails by name when used
    lines = _entries(saved)
    spoiled = _line_of(lines, "}{")
    lines[spoiled] = lines[spoiled].replace('"model":', '"model":[', 1)
    (saved / "categories.json").write_text("\n".join(lines), encoding="utf-8")
    resign_dir(saved)
    loaded = tc.load(saved)
    pd.testing.assert_frame_equal(
        loaded.predict(4, ids=["plain"]), fitted.predict(4, ids=["plain"])
    )
    assert loaded.state_.y["line\nbreak"].tolist() == fitted.state_.y["line\nbreak"].tolist()
    with pytest.raises(tc.PersistenceError, match=r"category '\}\{'.*not valid JSON"):
        loaded.predict(4, ids=["}{"])


def test_a_missing_history_is_refused_naming_the_category(saved):
    lines = _entries(saved)
    i = _line_of(lines, "plain")
    entry = json.loads(lines[i].rstrip(","))
    del entry["y"]
    comma = "," if lines[i].endswith(",") else ""
    lines[i] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + comma
    (saved / "categories.json").write_text("\n".join(lines), encoding="utf-8")
    resign_dir(saved)
    loaded = tc.load(saved)
    with pytest.raises(tc.PersistenceError, match="category 'plain'.*lacks or misstates"):
        loaded.predict(2, ids=["plain"])


def test_a_file_rewritten_by_another_tool_is_parsed_whole(fitted, saved):
    data = json.loads((saved / "categories.json").read_bytes())
    (saved / "categories.json").write_text(json.dumps(data, indent=2))
    resign_dir(saved)
    assert _category_lines((saved / "categories.json").read_bytes()) is None
    loaded = tc.load(saved)
    assert isinstance(loaded.state_.y, dict)  # parsed whole: histories decoded at load
    pd.testing.assert_frame_equal(loaded.predict(5), fitted.predict(5))


def test_a_save_of_a_lazily_loaded_forecaster_is_the_same_save(saved, tmp_path):
    again = tc.load(saved).save(tmp_path / "again")
    assert (again / "categories.json").read_bytes() == (saved / "categories.json").read_bytes()


def test_a_loaded_forecaster_updates_and_saves_every_category(fitted, saved, tmp_path):
    loaded = tc.load(saved)
    panel = _panel_with_ids(ODD_IDS)
    last = panel["ds"].max()
    nxt = pd.date_range(last, periods=2, freq=fitted.state_.spec.freq)[1]
    new = pd.DataFrame({"unique_id": ODD_IDS, "ds": nxt, "y": np.arange(len(ODD_IDS)) + 50.0})
    loaded.update(new)
    fitted_copy = tc.load(fitted.save(tmp_path / "copy")).update(new)
    pd.testing.assert_frame_equal(loaded.predict(3), fitted_copy.predict(3))
    assert all(loaded.state_.y[k][-1] == v for k, v in zip(ODD_IDS, new["y"], strict=True))
    back = tc.load(loaded.save(tmp_path / "updated"))
    pd.testing.assert_frame_equal(back.predict(3), loaded.predict(3))


def test_empty_lines_or_a_changed_head_fall_back_to_the_whole_parse():
    assert _category_lines(b'{"categories":[]}') is None
    assert _category_lines(b'{"categories":[\n{"id":"a"}\n]}') == (["a"], [b'{"id":"a"}'])
    assert _category_lines('{"categories":[\n{"id":"é\\"x"}\n]}'.encode()) == (
        ['é"x'],
        ['{"id":"é\\"x"}'.encode()],
    )
    assert _category_lines(b'{"categories":[\n{"id":"a"}\n{"id":"b"}\n]}') is None  # no comma
    assert _category_lines(b'{"categories":[\n{"y":1,"id":"a"}\n]}') is None  # id not first
    assert _category_lines(b'{"categories":[\n{"id":NaN}\n]}') is None
    assert _category_lines(b'{"categories":[\n{"id":"a"} \n]}') is None


def test_the_report_tables_are_built_when_first_read(fitted, saved):
    from trendcast._engine.state import Deferred

    loaded = tc.load(saved)
    assert isinstance(loaded.state_.__dict__["_deferred_fit_report"], Deferred)
    loaded.predict(2, ids=["plain"])  # a forecast does not need them
    assert isinstance(loaded.state_.__dict__["_deferred_selection_report"], Deferred)
    pd.testing.assert_frame_equal(loaded.fit_report_, fitted.fit_report_)
    pd.testing.assert_frame_equal(loaded.selection_report_, fitted.selection_report_)
    assert loaded.state_.__dict__["_deferred_fit_report"] is loaded.fit_report_  # kept


def test_a_malformed_report_fails_by_name_when_read(fitted, saved):
    state = json.loads((saved / "forecaster.json").read_bytes())
    state["fit_report"]["data"] = state["fit_report"]["data"][:-1]  # a column short
    (saved / "forecaster.json").write_text(json.dumps(state))
    resign_dir(saved)
    loaded = tc.load(saved)
    pd.testing.assert_frame_equal(loaded.predict(3), fitted.predict(3))
    with pytest.raises(tc.PersistenceError, match="fit_report.*differ in length"):
        _ = loaded.fit_report_


@pytest.mark.parametrize("copy_of", ["pickle", "deepcopy"])
def test_a_loaded_forecaster_copies_before_anything_is_built(fitted, saved, copy_of):
    import copy
    import pickle

    loaded = tc.load(saved)
    other = pickle.loads(pickle.dumps(loaded)) if copy_of == "pickle" else copy.deepcopy(loaded)
    pd.testing.assert_frame_equal(other.predict(4, level=[80]), fitted.predict(4, level=[80]))
    pd.testing.assert_frame_equal(other.fit_report_, fitted.fit_report_)


def test_the_quick_scan_gives_up_on_bytes_that_are_not_utf8():
    from trendcast.persistence._allowlists import _tags_allowed

    assert not _tags_allowed(b'{"$model":{"type":"\x80\x81"}}')


def _zip(names: list[str], comment: bytes = b"") -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"{}")
        archive.comment = comment
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        (_zip(["schema.json", "a.npy"]), True),
        (_zip(["a.npy", "schema.json"], comment=b"PK\x05\x06 in a comment"), True),
        (_zip(["a.npy"]), False),
        (_zip(["x/schema.json"]), False),
        (_zip(["schema.json.bak"]), False),
        (_zip(["schema.json"])[:-10], False),
        (b"not a zip", False),
        (b"", False),
    ],
)
def test_the_regressors_layout_check_agrees_with_zipfile(data, ok):
    # read without zipfile (30 ms of a load): the same verdict as listing the members
    from trendcast.persistence._codec import _Reader

    reader = _Reader({"estimators/1.skops": data}, "src", False)
    if ok:
        reader.skops_layout("estimators/1.skops", "pool")
    else:
        with pytest.raises(tc.PersistenceError, match="is not a skops file"):
            reader.skops_layout("estimators/1.skops", "pool")
