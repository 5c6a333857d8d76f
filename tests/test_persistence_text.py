"""A save round-trips whatever text the user's data holds (issue 19, "a save that always loads").

Text fields of a save (category ids, column names, reasons, model names) are
data: they are never sniffed as code, so an id that happens to decode as a
pickle (``"622ef32c"`` is ``b'b.\\xf3,'``: BUILD, STOP) saves and loads like
any other. Pickled data can only enter a save through ``$pickle`` members,
which ``allow_pickle`` gates (``tests/test_persistence.py``).
"""

from __future__ import annotations

import hashlib
import json
import pickletools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import trendcast as tc

N = 24


def sales(ids: list, columns: tuple[str, str, str] = ("unique_id", "ds", "y")) -> pd.DataFrame:
    """``len(ids)`` monthly series of 24 months, in the given column names."""
    id_col, time_col, target_col = columns
    dates = pd.date_range("2020-01-01", periods=N, freq="MS")
    return pd.concat(
        [
            pd.DataFrame({id_col: i, time_col: dates, target_col: np.arange(N) + 10.0 * k})
            for k, i in enumerate(ids)
        ],
        ignore_index=True,
    )


def round_trip(fc: tc.TrendForecaster, name: str) -> tc.TrendForecaster:
    with tempfile.TemporaryDirectory() as tmp:
        return tc.load(fc.save(Path(tmp) / name))


def assert_same(fc: tc.TrendForecaster, again: tc.TrendForecaster) -> None:
    pd.testing.assert_frame_equal(again.predict(3), fc.predict(3))
    pd.testing.assert_frame_equal(again.fit_report_, fc.fit_report_)
    assert list(again.models_) == list(fc.models_)


def test_the_issue_example_ids_decode_as_pickles():
    """The ids of the issue are pickles when read as hex; they are data all the same."""
    assert "BUILD" in {op.name for op, _, _ in pickletools.genops(bytes.fromhex("622ef32c"))}
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales(["622ef32c", "c0ffee12"]))
    for name in ("m.zip", "m.tar", "m"):
        assert_same(fc, round_trip(fc, name))


def test_column_names_and_model_names_that_decode_as_pickles_round_trip():
    columns = ("622ef32c", "c0ffee12", "gASVAAAA.")  # hex, hex, base64 of a pickle header
    fc = tc.TrendForecaster(
        models=tc.models.Naive(),
        id_col=columns[0],
        time_col=columns[1],
        target_col=columns[2],
    ).fit(sales(["a", "b"], columns))
    assert_same(fc, round_trip(fc, "m.zip"))


def test_a_pickle_payload_as_an_id_is_kept_as_text_and_never_run(tmp_path):
    """Raw pickle bytes as an id (latin-1 text ending in STOP) are text, not code."""
    payload = "cos\nsystem\n(S'touch " + str(tmp_path / "ran") + "'\ntR."
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales([payload, "plain"]))
    again = round_trip(fc, "m.zip")
    assert list(again.models_) == [payload, "plain"]
    assert_same(fc, again)
    assert not (tmp_path / "ran").exists()


# ids: any text without surrogates (which no UTF-8 file can hold, and which the sales
# reader refuses before persistence sees them)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
OUTPUT_COLUMNS = {"model", "mean", "lo-80", "hi-80", "lo-95", "hi-95", "lo-50", "hi-50"}


def _fit_or_none(df: pd.DataFrame, **params) -> tc.TrendForecaster | None:
    """The fitted forecaster, or None when the data or names are refused before any save."""
    try:
        fc = tc.TrendForecaster(models=tc.models.Naive(), **params).fit(df)
        fc.predict(3)
    except Exception:  # validation is not persistence's concern
        return None
    return fc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(TEXT, min_size=2, max_size=3, unique=True), archive=st.booleans())
def test_any_text_ids_round_trip(ids, archive):
    fc = _fit_or_none(sales(ids))
    assume(fc is not None)
    assert_same(fc, round_trip(fc, "m.zip" if archive else "m"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    columns=st.lists(TEXT, min_size=3, max_size=3, unique=True).filter(
        lambda c: not set(c) & OUTPUT_COLUMNS
    ),
    ids=st.lists(TEXT, min_size=2, max_size=2, unique=True),
)
def test_any_text_column_names_round_trip(columns, ids):
    id_col, time_col, target_col = columns
    fc = _fit_or_none(
        sales(ids, (id_col, time_col, target_col)),
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
    )
    assume(fc is not None)
    assert_same(fc, round_trip(fc, "m.zip"))


@pytest.mark.parametrize("field", ["reasons", "tried", "used"])
def test_reasons_and_model_names_are_text_whatever_they_spell(tmp_path, field):
    """A fit record's free text that decodes as a pickle (as a fallback reason may quote
    the data) loads as the same text."""
    fc = tc.TrendForecaster(models=tc.models.Naive()).fit(sales(["a", "b"]))
    path = fc.save(tmp_path / "m")
    cats = json.loads((path / "categories.json").read_text())
    value = "622ef32c"
    cats["categories"][0][field] = [value] if field == "reasons" else value
    (path / "categories.json").write_text(json.dumps(cats))
    _resign(path)
    again = tc.load(path)
    fit = again.state_.fits["a"]
    assert getattr(fit, field) == ([value] if field == "reasons" else value)


def _resign(path: Path) -> None:
    """Recompute the manifest's file checksums after an edit, as an editor of the file would."""
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"] = {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    (path / "manifest.json").write_text(json.dumps(manifest))
