"""``trendcast.load`` checks categories.json's model types with a scan of its bytes.

The scan (``_allowlists._tags_allowed``) stands in for walking the parsed tree
only when it proves the same thing; any file it cannot prove (other spacing, a
``\\u`` escape that could spell a tag, a repeated ``type`` key, an object or a
pickle) is walked as before, so a type off the allow-list is still refused at
load, before any category is built.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import trendcast as tc
from tests.conftest import make_panel
from trendcast.persistence._allowlists import _tags_allowed


def _resign(path: Path) -> None:
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"] = {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest.pop("sizes", None)
    manifest.pop("manifest_sha256", None)
    (path / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def fitted() -> tc.TrendForecaster:
    return tc.TrendForecaster(models=[tc.models.ETS(), tc.models.Theta()]).fit(
        make_panel(n_series=3, n=48)
    )


@pytest.fixture
def saved(fitted, tmp_path) -> Path:
    return fitted.save(tmp_path / "fc")


def _rewrite(saved: Path, old: str, new: str) -> None:
    text = (saved / "categories.json").read_text()
    assert old in text
    (saved / "categories.json").write_text(text.replace(old, new, 1))
    _resign(saved)


def test_a_save_as_written_passes_the_scan(saved):
    assert _tags_allowed((saved / "categories.json").read_bytes())


@pytest.mark.parametrize(
    "spelling",
    [
        '{"$model":{"type":"os.system"',  # off the allow-list
        '{"$model": {"type":"os.system"',  # other spacing
        '{"\\u0024model":{"type":"os.system"',  # the tag spelled with an escape
    ],
)
def test_a_type_off_the_allow_list_is_refused_at_load_however_spelled(saved, spelling):
    text = (saved / "categories.json").read_text()
    first = text.index('{"$model":{"type":"trendcast.')
    end = text.index('"', first + len('{"$model":{"type":"'))
    (saved / "categories.json").write_text(text[:first] + spelling + text[end + 1 :])
    _resign(saved)
    assert not _tags_allowed((saved / "categories.json").read_bytes())
    with pytest.raises(tc.PersistenceError, match="'os.system' is not on the allow-list"):
        tc.load(saved)


def test_a_repeated_type_key_is_walked_and_refused(saved):
    # JSON keeps the last of two equal keys: the scan, which reads the first, gives up
    text = (saved / "categories.json").read_text()
    text = text.replace(
        '{"$model":{"type":"trendcast.ETS"',
        '{"$model":{"type":"trendcast.ETS","type":"os.system"',
        1,
    ).replace(
        '{"$model":{"type":"trendcast.Theta"',
        '{"$model":{"type":"trendcast.Theta","type":"os.system"',
        1,
    )
    (saved / "categories.json").write_text(text)
    _resign(saved)
    assert not _tags_allowed((saved / "categories.json").read_bytes())
    with pytest.raises(tc.PersistenceError, match="'os.system' is not on the allow-list"):
        tc.load(saved)


def test_pickle_and_object_tags_are_left_to_the_walk():
    assert not _tags_allowed(b'{"categories":[{"model":{"$pickle":"pickled/0.joblib"}}]}')
    assert not _tags_allowed(b'{"categories":[{"x":{"$object":{"type":"a","params":{}}}}]}')
    assert _tags_allowed(b'{"categories":[{"model":{"$model":{"type":"trendcast.ETS"}}}]}')
    assert not _tags_allowed(b'{"categories":[{"model":{"$model":{"type":"trendcast.EVIL"}}}]}')
