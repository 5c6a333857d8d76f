"""Archives that cannot exhaust memory, and a PersistenceError for every bad file (issue 19).

Zip bombs are built small (1 GiB of zeros deflates to about 1 MB, see
``tests/persistence_tools.py``) and loaded in a child process whose address
space may grow by only 400 MB after importing trendcast: a load that inflated
a member whole would die there of MemoryError, and the test would fail, never
the test runner. The other cases (an encrypted member, an unknown compression
method, a manifest nested 100,000 deep, a device, a pipe) must each end in a
``PersistenceError`` naming the file.
"""

from __future__ import annotations

import io
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import trendcast as tc
from tests.persistence_tools import (
    Entry,
    entries_of,
    members,
    old_style_manifest,
    raw_zip,
    resign_files,
    run_limited,
    smallest_forecaster,
    zeros_bomb,
)

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="uses /proc and rlimits")

GIB = 1024  # MiB


@pytest.fixture(scope="module")
def fc() -> tc.TrendForecaster:
    return smallest_forecaster()


@pytest.fixture(scope="module")
def saved_zip(fc, tmp_path_factory) -> Path:
    return fc.save(tmp_path_factory.mktemp("saved") / "m.zip")


@pytest.fixture(scope="module")
def bomb() -> tuple[bytes, int]:
    return zeros_bomb(GIB)


def _load(path: Path) -> str:
    return f"tc.load({str(path)!r})"


def test_a_normal_load_fits_in_the_child_limit(saved_zip):
    """The control: the limit leaves room for a real load."""
    assert run_limited(_load(saved_zip)) == "loaded"


def test_a_member_not_in_the_manifest_is_refused_by_name_before_inflating(
    saved_zip, bomb, tmp_path
):
    raw, crc = bomb
    path = tmp_path / "bomb.zip"
    path.write_bytes(
        raw_zip([*entries_of(saved_zip), Entry("zz.bin", raw=raw, size=GIB << 20, crc=crc)])
    )
    out = run_limited(_load(path))
    assert out.startswith("refused PersistenceError"), out
    assert "not listed in the manifest: ['zz.bin']" in out


def test_a_listed_member_larger_than_the_manifest_says_is_refused_before_inflating(
    saved_zip, bomb, tmp_path
):
    raw, crc = bomb
    entries = [
        Entry(e.name, raw=raw, size=GIB << 20, crc=crc) if e.name == "categories.json" else e
        for e in entries_of(saved_zip)
    ]
    path = tmp_path / "bomb.zip"
    path.write_bytes(raw_zip(entries))
    out = run_limited(_load(path))
    assert out.startswith("refused PersistenceError"), out
    assert f"categories.json is {GIB << 20} bytes, but the manifest lists" in out


def test_a_member_whose_header_lies_about_its_size_is_read_only_that_far(saved_zip, bomb, tmp_path):
    """The header gives the real member's size and CRC; the data inflates to 1 GiB."""
    raw, _ = bomb
    real = members(saved_zip)["categories.json"]
    entries = [
        Entry(e.name, raw=raw, size=len(real), crc=e.crc) if e.name == "categories.json" else e
        for e in entries_of(saved_zip)
    ]
    path = tmp_path / "liar.zip"
    path.write_bytes(raw_zip(entries))
    out = run_limited(_load(path))
    assert out.startswith("refused PersistenceError"), out


def test_an_old_save_without_sizes_is_bounded_by_the_load_limit(saved_zip, bomb, tmp_path):
    """Files saved before the manifest had sizes: the load limit bounds every member."""
    raw, crc = bomb
    entries = []
    for e in entries_of(saved_zip):
        if e.name == "manifest.json":
            e = Entry(e.name, old_style_manifest(members(saved_zip)[e.name]))
        if e.name == "categories.json":
            e = Entry(e.name, raw=raw, size=GIB << 20, crc=crc)
        entries.append(e)
    path = tmp_path / "old-bomb.zip"
    path.write_bytes(raw_zip(entries))
    out = run_limited(_load(path), env={"TRENDCAST_MAX_LOAD_BYTES": str(10 << 20)})
    assert out.startswith("refused PersistenceError"), out
    assert "more than this load may read" in out and "TRENDCAST_MAX_LOAD_BYTES" in out
    # the same limit by default: 1 GiB of categories.json is more than a quarter of it
    out = run_limited(_load(path))
    assert out.startswith("refused PersistenceError"), out


def test_an_old_save_without_sizes_still_loads(fc, saved_zip, tmp_path):
    files = members(saved_zip)
    files["manifest.json"] = old_style_manifest(files["manifest.json"])
    path = tmp_path / "old.zip"
    path.write_bytes(raw_zip([Entry(n, d) for n, d in files.items()]))
    assert tc.load(path).predict(3).equals(fc.predict(3))


def test_the_load_limit_refuses_a_save_larger_than_it(saved_zip, monkeypatch):
    monkeypatch.setenv("TRENDCAST_MAX_LOAD_BYTES", "1000")
    with pytest.raises(tc.PersistenceError, match="TRENDCAST_MAX_LOAD_BYTES=1000"):
        tc.load(saved_zip)
    monkeypatch.setenv("TRENDCAST_MAX_LOAD_BYTES", "lots")
    with pytest.raises(tc.ParameterError, match="TRENDCAST_MAX_LOAD_BYTES='lots'"):
        tc.load(saved_zip)


def test_a_bomb_inside_an_estimator_member_is_not_inflated(bomb, tmp_path):
    """skops reads its members whole: trendcast inflates them first, in bounded reads."""
    raw, _ = bomb
    inner = raw_zip([Entry("schema.json", raw=raw, size=100, crc=0)])
    path = tmp_path / "inner.skops"
    path.write_bytes(inner)
    code = (
        f"data = open({str(path)!r}, 'rb').read()\n"
        "_Reader({'estimators/0.skops': data}, 'test', False).sklearn('estimators/0.skops', 'w')"
    )
    out = run_limited(code)
    assert out.startswith("refused PersistenceError"), out
    assert "is not a readable skops file" in out


@pytest.mark.parametrize("shape", [(1 << 34,), (100_000_000,)])
def test_an_array_header_promising_more_values_than_it_holds_is_refused(shape, tmp_path):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    path = tmp_path / "float64.npy"
    path.write_bytes(buffer.getvalue() + bytes(80))
    code = f"_Reader({{'arrays/float64.npy': open({str(path)!r}, 'rb').read()}}, 'test', False)"
    out = run_limited(code)
    assert out.startswith("refused PersistenceError"), out
    assert "header describes" in out


def test_dev_zero_is_refused_without_reading_it():
    out = run_limited("tc.load('/dev/zero')")
    assert out.startswith("refused PersistenceError"), out
    assert "not a regular file or directory" in out


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    out = run_limited(_load(fifo))  # the old code waited here for ever (120 s timeout)
    assert out.startswith("refused PersistenceError"), out
    assert "not a regular file or directory" in out


def test_a_pipe_inside_a_directory_save_is_refused(fc, tmp_path):
    path = fc.save(tmp_path / "m")
    os.mkfifo(path / "arrays" / "pipe")
    with pytest.raises(tc.PersistenceError, match="arrays/pipe is not a regular file"):
        tc.load(path)


def test_an_encrypted_member_is_refused(saved_zip, tmp_path):
    entries = entries_of(saved_zip)
    for e in entries:
        if e.name == "categories.json":
            e.flags |= 0x1
    path = tmp_path / "encrypted.zip"
    path.write_bytes(raw_zip(entries))
    with pytest.raises(tc.PersistenceError, match="categories.json is encrypted"):
        tc.load(path)


@pytest.mark.parametrize("method", [9, 12, 14, 99])  # deflate64, bzip2, lzma, unknown
def test_a_member_compressed_another_way_is_refused(saved_zip, tmp_path, method):
    entries = entries_of(saved_zip)
    for e in entries:
        if e.name == "categories.json":
            e.method = method
    path = tmp_path / "method.zip"
    path.write_bytes(raw_zip(entries))
    with pytest.raises(tc.PersistenceError, match=f"compressed with method {method}"):
        tc.load(path)


@pytest.mark.parametrize("form", ["m", "m.zip"])
def test_a_manifest_nested_100000_deep_is_refused(fc, tmp_path, form):
    path = fc.save(tmp_path / "m")
    (path / "manifest.json").write_text("[" * 100_000)
    if form == "m.zip":
        files = {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*.*")}
        path = tmp_path / form
        path.write_bytes(raw_zip([Entry(n, d) for n, d in files.items()]))
    with pytest.raises(tc.PersistenceError, match="manifest.json is nested too deep"):
        tc.load(path)


def test_json_nested_deeper_than_the_reader_recurses_is_refused(fc, tmp_path):
    """Nesting the parser accepts but the reader's recursion does not (an edited file)."""
    path = fc.save(tmp_path / "m.zip")
    files = members(path)
    state = json.loads(files["forecaster.json"])
    node: object = 1
    for _ in range(900):
        node = [node]
    state["params"]["season_length"] = node
    files["forecaster.json"] = json.dumps(state).encode()
    path.write_bytes(raw_zip([Entry(n, d) for n, d in resign_files(files).items()]))
    with pytest.raises(tc.PersistenceError):
        tc.load(path)


def test_an_array_reference_with_a_huge_shape_is_refused(fc, tmp_path):
    """numpy's product of (2**62, 4) wraps around to 0; the reader's must not."""
    path = fc.save(tmp_path / "m.zip")
    files = members(path)
    state = json.loads(files["forecaster.json"])
    state["last_dates"] = {"$array": ["int64", 0, [2**62, 4]]}
    files["forecaster.json"] = json.dumps(state).encode()
    path.write_bytes(raw_zip([Entry(n, d) for n, d in resign_files(files).items()]))
    with pytest.raises(tc.PersistenceError, match="lies outside arrays/int64.npy"):
        tc.load(path)


def test_a_zip_written_by_another_tool_with_stored_members_loads(fc, tmp_path):
    path = fc.save(tmp_path / "m")
    other = tmp_path / "stored.zip"
    with zipfile.ZipFile(other, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(path.rglob("*")):
            zf.write(p, p.relative_to(path).as_posix())  # directories too
    assert tc.load(other).predict(2).equals(fc.predict(2))


DATA = Path(__file__).parent / "data" / "persistence"


def test_a_save_with_sizes_and_the_manifest_digest_keeps_loading():
    """The manifest as this release writes it (format 1 with ``sizes`` and
    ``manifest_sha256``), saved once: later code must keep reading it."""
    import pandas as pd

    path = DATA / "manifest-digest.zip"
    manifest = json.loads(members(path)["manifest.json"])
    assert manifest["format_version"] == 1
    assert {"sizes", "manifest_sha256"} <= set(manifest)
    expected = pd.read_csv(DATA / "manifest-digest.expected.csv", parse_dates=["ds"])
    got = tc.load(path).predict(6, level=(80, 95))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("field", "value"),
    [("categories", ["a", "c"]), ("freq", "QS"), ("trendcast_version", "0.1.1"), ("sizes", {})],
)
def test_an_edited_manifest_is_refused(fc, tmp_path, field, value):
    """Fields load does not otherwise use were changed silently before (115 of 1,206
    single-bit flips of a manifest loaded); the manifest's own SHA-256 covers them."""
    path = fc.save(tmp_path / "m")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest[field] = value
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(tc.PersistenceError, match="does not match its own SHA-256"):
        tc.load(path)


def test_a_manifest_with_sizes_but_without_its_digest_is_refused(fc, tmp_path):
    path = fc.save(tmp_path / "m")
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["manifest_sha256"]
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(tc.PersistenceError, match="lists sizes but not its own SHA-256"):
        tc.load(path)


@pytest.mark.parametrize("form", ["m.zip", "m"])
def test_a_save_of_more_members_than_the_cap_is_refused_before_listing_them(
    fc, tmp_path, monkeypatch, form
):
    """zipfile builds an object per member of the central directory: the count is read
    from the end record first (the cap is a million; set to 8 here)."""
    from trendcast.persistence import _archive

    monkeypatch.setattr(_archive, "_MAX_MEMBERS", 8)
    path = fc.save(tmp_path / "m")
    for i in range(8):
        (path / f"x{i}").write_bytes(b"")
    if form == "m.zip":
        files = {
            p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()
        }
        path = tmp_path / form
        path.write_bytes(raw_zip([Entry(n, d) for n, d in files.items()]))
    with pytest.raises(tc.PersistenceError, match="more than 8 files|lists 13 members"):
        tc.load(path)
