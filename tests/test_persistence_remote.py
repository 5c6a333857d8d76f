"""Saves at URLs (issue 25): fsspec's in-memory file system stands in for object storage.

A save at a URL is one archive written in one put and read with one bounded
read, checked like a local archive; a scheme whose fsspec package is missing
is a ``MissingDependencyError`` naming the package, and nothing is written
locally (no folder named ``s3:``).
"""

from __future__ import annotations

import io
import sys
import threading
import uuid
import zipfile
from pathlib import Path

import fsspec
import pytest

import trendcast as tc
from tests.persistence_tools import smallest_forecaster


@pytest.fixture
def url():
    """A fresh prefix on the in-memory file system, removed afterwards."""
    prefix = f"memory://trendcast-tests/{uuid.uuid4().hex}"
    yield prefix
    fs = fsspec.filesystem("memory")
    if fs.exists(prefix):
        fs.rm(prefix, recursive=True)


@pytest.fixture(scope="module")
def fc():
    return smallest_forecaster()


def test_save_and_load_round_trip_on_memory_filesystem(fc, url):
    target = f"{url}/models/retail.zip"
    assert fc.save(target) == target
    fs = fsspec.filesystem("memory")
    data = fs.cat_file(target)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "manifest.json" in names and "categories.json" in names
    again = tc.load(target)
    assert again.predict(3).equals(fc.predict(3))
    assert tc.TrendForecaster.load(target, categories=["b"]).predict(2)[
        "unique_id"
    ].unique().tolist() == ["b"]


def test_a_url_without_suffix_is_a_zip_and_tar_suffix_a_tar(fc, url):
    fs = fsspec.filesystem("memory")
    fc.save(f"{url}/plain")
    assert fs.cat_file(f"{url}/plain")[:2] == b"PK"
    fc.save(f"{url}/m.tar")
    assert fs.cat_file(f"{url}/m.tar")[:2] != b"PK"
    assert tc.load(f"{url}/m.tar").predict(2).equals(fc.predict(2))
    assert tc.load(f"{url}/plain").predict(2).equals(fc.predict(2))


def test_existing_object_needs_overwrite(fc, url):
    target = f"{url}/m.zip"
    fc.save(target)
    with pytest.raises(tc.PersistenceError, match="already exists; pass overwrite=True"):
        fc.save(target)
    fc.save(target, overwrite=True)
    assert tc.load(target).predict(1).equals(fc.predict(1))


def test_dir_format_and_folders_are_refused_at_a_url(fc, url):
    with pytest.raises(tc.ParameterError, match="one object"):
        fc.save(f"{url}/m", format="dir")
    fc.save(f"{url}/folder/inner.zip")
    with pytest.raises(tc.PersistenceError, match="is a folder"):
        fc.save(f"{url}/folder", overwrite=True)
    with pytest.raises(tc.PersistenceError, match="is a folder"):
        tc.load(f"{url}/folder")


def test_missing_object_and_damaged_object_are_persistence_errors(fc, url):
    with pytest.raises(tc.PersistenceError, match="does not exist"):
        tc.load(f"{url}/nothing.zip")
    target = f"{url}/m.zip"
    fc.save(target)
    fs = fsspec.filesystem("memory")
    data = bytearray(fs.cat_file(target))
    # change a byte inside categories.json's text: the member no longer matches its SHA-256
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members["categories.json"] = members["categories.json"].replace(b'"a"', b'"z"', 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    fs.pipe_file(fs._strip_protocol(target), out.getvalue())
    with pytest.raises(tc.PersistenceError, match="categories.json does not match its SHA-256"):
        tc.load(target)
    fs.pipe_file(fs._strip_protocol(target), bytes(data[: len(data) // 2]))
    with pytest.raises(tc.PersistenceError, match="not a readable trendcast archive"):
        tc.load(target)


def test_load_limit_applies_to_remote_saves(fc, url, monkeypatch):
    target = f"{url}/m.zip"
    fc.save(target)
    monkeypatch.setenv("TRENDCAST_MAX_LOAD_BYTES", "200")
    with pytest.raises(tc.PersistenceError, match="TRENDCAST_MAX_LOAD_BYTES"):
        tc.load(target)


def test_s3_without_s3fs_names_the_package_and_writes_nothing(fc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if s3fs were not installed
    with pytest.raises(tc.MissingDependencyError, match="pip install s3fs") as info:
        fc.save("s3://bucket/model")
    assert "trendcast[cloud]" in str(info.value)
    with pytest.raises(tc.MissingDependencyError, match="pip install s3fs"):
        tc.load("s3://bucket/model")
    assert list(tmp_path.iterdir()) == []  # no local folder named s3:


def test_without_fsspec_a_url_names_the_cloud_extra(fc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(tc.MissingDependencyError, match=r"trendcast\[cloud\]"):
        fc.save("gs://bucket/model.zip")
    assert list(tmp_path.iterdir()) == []


def test_unknown_scheme_is_a_parameter_error(fc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(tc.ParameterError, match="no file system for nosuchstore://"):
        fc.save("nosuchstore://bucket/model")
    assert list(tmp_path.iterdir()) == []


def test_a_path_made_from_a_url_is_refused(fc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(tc.ParameterError, match="pass the URL as a string"):
        fc.save(Path("s3://bucket/model"))
    assert list(tmp_path.iterdir()) == []


def test_file_url_is_a_local_save_with_every_local_form(fc, tmp_path):
    folder = tmp_path / "dir save"
    returned = fc.save(folder.as_uri())
    assert returned == folder and (folder / "manifest.json").is_file()
    assert tc.load(folder.as_uri()).predict(2).equals(fc.predict(2))
    fc.save((tmp_path / "m.zip").as_uri())
    assert tc.load(str(tmp_path / "m.zip")).predict(2).equals(fc.predict(2))


def test_readers_looping_during_overwrites_see_a_whole_save(url):
    """A reader loading while another thread overwrites the object: the old save or the
    new one each time, never an error or a mix (one put replaces the object whole)."""
    target = f"{url}/m.zip"
    first = smallest_forecaster()
    first.save(target)
    expected = first.predict(2)
    errors: list[str] = []
    done = threading.Event()

    def write() -> None:
        try:
            for _ in range(30):
                first.save(target, overwrite=True)
        finally:
            done.set()

    def read() -> None:
        loads = 0
        while not done.is_set() or loads == 0:
            try:
                got = tc.load(target).predict(2)
            except Exception as exc:  # any failure is a finding
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            if not got.equals(expected):
                errors.append("a load predicted other numbers")
                return
            loads += 1

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
