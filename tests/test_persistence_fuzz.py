"""The fuzz layer for saved archives (issue 19, "How to test it").

Exhaustive over the smallest real save (Naive on two categories of 24 months,
``tests/persistence_tools.py``): every single-bit flip of its ``.zip`` and of
its ``.tar``, every truncation of both, and every single-bit flip of the
``manifest.json`` and ``forecaster.json`` of its directory form. Each case
must end in a ``PersistenceError`` or read back exactly the members that were
saved (and so the identical forecaster: loading is a function of the members;
the first successes of each kind are also loaded and predicted to check it).
For the JSON members, a flip that loads must leave a document that parses to
the same value (none of this writer's bytes can: JSON whitespace here is
``" "`` and ``"\\n"``, which no single bit turns into other whitespace).

Hand-edited files (a member changed and the checksums recomputed, as the
checksums are no signature) are covered by a hypothesis test: any byte edits
of ``forecaster.json`` or ``categories.json`` end in a ``TrendcastError``, at
load or at predict, or in a forecast.

Bombs are in ``tests/test_persistence_archive.py`` (they need a child process
with a memory limit). Counts and times are in ``docs/persistence.md``.
"""

from __future__ import annotations

import json
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trendcast as tc
from tests.persistence_tools import resign_files, smallest_forecaster
from trendcast.persistence._archive import _read_files

#: the most one case may take (a flip must not make a load slow, let alone hang)
CASE_SECONDS = 5.0
#: successes of each kind that are also loaded and predicted
CHECKED_LOADS = 5


@pytest.fixture(scope="module")
def fc() -> tc.TrendForecaster:
    return smallest_forecaster()


@pytest.fixture(scope="module")
def saves(fc, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    return {form: fc.save(root / f"m{form}") for form in (".zip", ".tar", "")}


@pytest.fixture(scope="module")
def expected(saves) -> dict[str, bytes]:
    return _read_files(saves[""])


def flips(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Every single-bit flip of ``data``: (bit index, flipped bytes)."""
    buffer = bytearray(data)
    for i in range(len(data) * 8):
        buffer[i // 8] ^= 1 << (i % 8)
        yield i, bytes(buffer)
        buffer[i // 8] ^= 1 << (i % 8)


class Tally:
    """Runs cases against the reader and counts how each ended."""

    def __init__(self, fc: tc.TrendForecaster, expected: dict[str, bytes]) -> None:
        self.fc = fc
        self.expected = expected
        self.refused = 0
        self.loaded = 0
        self.slowest = 0.0

    def case(self, path: Path, data: bytes, what: str) -> bool:
        """Write ``data`` at ``path`` and read it: refused, or the saved members exactly.
        Returns whether it loaded."""
        path.write_bytes(data)
        start = time.perf_counter()
        try:
            got = _read_files(path)
        except tc.PersistenceError:
            self.refused += 1
            loaded = False
        else:
            assert got == self.expected, f"{what}: read members that were not saved"
            self.loaded += 1
            loaded = True
            if self.loaded <= CHECKED_LOADS:
                pd.testing.assert_frame_equal(tc.load(path).predict(3), self.fc.predict(3))
        took = time.perf_counter() - start
        self.slowest = max(self.slowest, took)
        assert took < CASE_SECONDS, f"{what} took {took:.1f} s"
        return loaded


def test_every_single_bit_flip_of_a_zip(fc, saves, expected, tmp_path):
    data = saves[".zip"].read_bytes()
    tally = Tally(fc, expected)
    for bit, flipped in flips(data):
        tally.case(tmp_path / "f.zip", flipped, f"zip bit {bit}")
    assert tally.refused + tally.loaded == 8 * len(data)
    assert tally.refused > 0.8 * 8 * len(data)  # what loads are flips in unused fields
    print(f"zip: {8 * len(data)} flips, {tally.refused} refused, {tally.loaded} loaded")


def test_every_truncation_of_a_zip(fc, saves, expected, tmp_path):
    data = saves[".zip"].read_bytes()
    tally = Tally(fc, expected)
    for n in range(len(data)):
        assert not tally.case(tmp_path / "t.zip", data[:n], f"zip cut at {n}")
    print(f"zip: {len(data)} truncations, all refused")


def tar_layout(path: Path) -> tuple[list[range], int]:
    """The byte ranges of a tar's member headers, and where its content ends (after the
    two zero blocks that close it; zero padding follows)."""
    with tarfile.open(path) as tf:
        headers = [range(m.offset, m.offset_data) for m in tf.getmembers()]
    end = len(path.read_bytes().rstrip(b"\0"))
    return headers, -(-end // 512) * 512 + 1024


def test_single_bit_flips_of_a_tar(fc, saves, expected, tmp_path):
    """Every bit of every member header (what tarfile parses); in the member data and the
    closing blocks one bit a byte (a changed byte of a member is a changed SHA-256,
    whichever bit); one byte a block of the trailing zero padding (never read)."""
    data = saves[".tar"].read_bytes()
    headers, end = tar_layout(saves[".tar"])
    in_header = {i for r in headers for i in r}
    bits = [
        bit
        for byte in range(len(data))
        for bit in range(8 * byte, 8 * byte + 8)
        if byte in in_header
        or (byte < end and bit % 8 == byte % 8)
        or (byte >= end and byte % 512 == 0 and bit % 8 == 0)
    ]
    tally = Tally(fc, expected)
    buffer = bytearray(data)
    for bit in bits:
        buffer[bit // 8] ^= 1 << (bit % 8)
        tally.case(tmp_path / "f.tar", bytes(buffer), f"tar bit {bit}")
        buffer[bit // 8] ^= 1 << (bit % 8)
    print(f"tar: {len(bits)} flips, {tally.refused} refused, {tally.loaded} loaded")


def test_truncations_of_a_tar(fc, saves, expected, tmp_path):
    """Every length within the first header and around every block boundary; every 7th
    length elsewhere (a cut inside member data is a cut-short member wherever it falls)."""
    data = saves[".tar"].read_bytes()
    _, end = tar_layout(saves[".tar"])
    lengths = [n for n in range(end) if n < 512 or n % 512 in (0, 1, 511) or n % 7 == 0]
    tally = Tally(fc, expected)
    for n in lengths:
        loaded = tally.case(tmp_path / "t.tar", data[:n], f"tar cut at {n}")
        assert not loaded or n >= end - 1024, f"tar cut at {n} of {end} bytes loaded"
    print(f"tar: {len(lengths)} truncations, {tally.refused} refused, {tally.loaded} loaded")


@pytest.mark.parametrize("name", ["manifest.json", "forecaster.json"])
def test_every_single_bit_flip_of_a_json_member(fc, saves, expected, tmp_path, name):
    path = tmp_path / "m"
    path.mkdir()
    for member, data in expected.items():
        (path / member).parent.mkdir(exist_ok=True)
        (path / member).write_bytes(data)
    original = expected[name]
    tally = Tally(fc, expected)
    same = json.loads(original)
    for bit, flipped in flips(original):
        (path / name).write_bytes(flipped)
        start = time.perf_counter()
        try:
            _read_files(path)
        except tc.PersistenceError:
            tally.refused += 1
        else:  # loads only if it is the same document
            assert json.loads(flipped) == same, f"{name} bit {bit} loaded a changed manifest"
            tally.loaded += 1
        assert time.perf_counter() - start < CASE_SECONDS
    assert tally.refused + tally.loaded == 8 * len(original)
    print(f"{name}: {8 * len(original)} flips, {tally.refused} refused, {tally.loaded} loaded")


def _nodes(node: object, path: tuple = ()) -> Iterator[tuple]:
    """The path of every node of a JSON document."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, (*path, i))


def _replace(doc: object, path: tuple, value: object) -> object:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]  # type: ignore[index]
    parent[path[-1]] = value  # type: ignore[index]
    return doc


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["$array", "$model", "$dict", "$tuple", "trendcast.Naive", "float64"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["$array", "$model", "$dict", "$float", "$timestamp", "type", "x"]),
            inner,
            max_size=2,
        )
    ),
    max_leaves=6,
)


def _edited_save(expected: dict[str, bytes], name: str, data: bytes, path: Path) -> Path:
    files = resign_files({**expected, name: data})
    for member, content in files.items():
        (path / member).parent.mkdir(parents=True, exist_ok=True)
        (path / member).write_bytes(content)
    return path


def _load_and_predict(path: Path) -> None:
    try:
        tc.load(path).predict(2)
    except tc.TrendcastError:
        pass


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    name=st.sampled_from(["forecaster.json", "categories.json"]),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=3)), min_size=1, max_size=3),
)
def test_byte_edits_of_a_member_end_in_a_trendcast_error_or_a_forecast(
    expected, tmp_path, name, edits
):
    """A member's bytes changed and re-signed (the checksums are no signature): refused,
    or loaded and forecasting, or a TrendcastError when forecasting; never raw."""
    data = bytearray(expected[name])
    for at, new in edits:
        at %= len(data)
        data[at : at + len(new)] = new
    _load_and_predict(_edited_save(expected, name, bytes(data), tmp_path / "edited"))


@FUZZ
@given(
    name=st.sampled_from(["forecaster.json", "categories.json"]),
    where=st.integers(0, 10**6),
    value=JSON,
)
def test_value_edits_of_a_member_end_in_a_trendcast_error_or_a_forecast(
    expected, tmp_path, name, where, value
):
    """One value anywhere in a member replaced by any JSON value, and re-signed."""
    doc = json.loads(expected[name])
    paths = list(_nodes(doc))
    doc = _replace(doc, paths[where % len(paths)], value)
    data = json.dumps(doc).encode()
    _load_and_predict(_edited_save(expected, name, data, tmp_path / "edited"))
