"""Helpers of the persistence hardening tests: the smallest save, raw zips, zip bombs and a
child process with a memory limit.

Not a test module: ``tests/test_persistence_archive.py`` and
``tests/test_persistence_fuzz.py`` import it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

import trendcast as tc

#: The limit a child process gets on top of the address space it has after importing
#: trendcast: a load that inflated a bomb (1 GiB) whole would exceed it.
HEADROOM = 400 << 20


def smallest_forecaster() -> tc.TrendForecaster:
    """Naive on two categories of 24 months: the smallest real save (about 2 KB zipped)."""
    dates = pd.date_range("2020-01-01", periods=24, freq="MS")
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": i, "ds": dates, "y": np.arange(24) + 10.0 * k})
            for k, i in enumerate(["a", "b"])
        ],
        ignore_index=True,
    )
    return tc.TrendForecaster(models=tc.models.Naive()).fit(df)


def members(path: Path) -> dict[str, bytes]:
    """The members of a saved ``.zip``, by name."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def deflate(data: bytes) -> bytes:
    """Raw deflate (no zlib header), as a zip member holds it."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zeros_bomb(mib: int) -> tuple[bytes, int]:
    """Raw deflate of ``mib`` MiB of zeros (about 1 KB per MiB), and its CRC-32.

    Each MiB is compressed after a full flush, so every block but the first is the
    same bytes: a 1 GiB bomb is built in half a second.
    """
    chunk = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    raw = first + again * (mib - 1) + c.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return raw, crc


class Entry:
    """One member of a hand-built zip: its raw (compressed) bytes and what its headers say."""

    def __init__(
        self,
        name: str,
        data: bytes | None = None,
        *,
        raw: bytes | None = None,
        size: int | None = None,
        crc: int | None = None,
        method: int = zipfile.ZIP_DEFLATED,
        flags: int = 0,
    ) -> None:
        self.name = name
        if raw is None:
            assert data is not None
            raw = deflate(data) if method == zipfile.ZIP_DEFLATED else data
        self.raw = raw
        self.size = len(data) if size is None and data is not None else size
        self.crc = zlib.crc32(data) if crc is None and data is not None else crc
        self.method = method
        self.flags = flags


def raw_zip(entries: list[Entry]) -> bytes:
    """A zip of ``entries`` exactly as given: headers may lie, methods may be unknown."""
    out = io.BytesIO()
    central = []
    for e in entries:
        offset = out.tell()
        name = e.name.encode()
        head = (e.flags, e.method, 0, 0x21, e.crc, len(e.raw), e.size, len(name))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *head, 0) + name + e.raw)
        central.append(
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *head, 0, 0, 0, 0, 0, offset) + name
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    n = len(entries)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(directory), start, 0))
    return out.getvalue()


def entries_of(path: Path) -> list[Entry]:
    """The members of a saved ``.zip`` as entries to rebuild it with."""
    return [Entry(name, data) for name, data in members(path).items()]


def old_style_manifest(manifest: bytes) -> bytes:
    """The manifest as releases before the manifest checksum wrote it (no sizes)."""
    data = json.loads(manifest)
    data.pop("sizes", None)
    data.pop("manifest_sha256", None)
    return json.dumps(data, indent=1).encode()


def resign_dir(path: Path) -> None:
    """The manifest of the directory save at ``path`` with its checksums recomputed (and
    its sizes and own SHA-256 dropped), after a test edited a member in place."""
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"] = {
        p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest.pop("sizes", None)
    manifest.pop("manifest_sha256", None)
    (path / "manifest.json").write_text(json.dumps(manifest))


def resign_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with the manifest's checksums recomputed (and its sizes and own SHA-256
    dropped): what someone who edits a member and fixes the checksums writes."""
    manifest = json.loads(files["manifest.json"])
    manifest.pop("sizes", None)
    manifest.pop("manifest_sha256", None)
    manifest["files"] = {
        name: hashlib.sha256(data).hexdigest()
        for name, data in sorted(files.items())
        if name != "manifest.json"
    }
    return {**files, "manifest.json": json.dumps(manifest).encode()}


CHILD = r"""
import resource, sys
import trendcast as tc
from trendcast.persistence._codec import _Reader

status = open("/proc/self/status").read()
vm = int(status.split("VmSize:")[1].split()[0]) * 1024
limit = vm + int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    exec(sys.argv[2])
except tc.TrendcastError as exc:
    print("refused", type(exc).__name__, exc)
except BaseException as exc:
    print("raw", type(exc).__name__, exc)
else:
    print("loaded")
"""


def run_limited(code: str, headroom: int = HEADROOM, env: dict | None = None) -> str:
    """Run ``code`` in a child process whose address space may grow by ``headroom`` bytes
    after importing trendcast; its first line of output (refused/raw/loaded ...)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(headroom), code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    return (done.stdout.strip() or done.stderr.strip()[-2000:]).splitlines()[0]


def save_many(args: tuple[str, int, bool]) -> list[str]:
    """Save the smallest forecaster ``n`` times to ``path`` (in a worker process); the
    name of each error raised (PersistenceError is expected only without overwrite)."""
    path, n, overwrite = args
    fc = _forecaster()
    errors = []
    for _ in range(n):
        try:
            fc.save(path, overwrite=overwrite)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return errors


def load_many(args: tuple[str, int]) -> list[str]:
    """Load ``path`` ``n`` times and predict; the name of each error raised."""
    path, n = args
    expected = _forecaster().predict(2)
    errors = []
    for _ in range(n):
        try:
            if not tc.load(path).predict(2).equals(expected):
                errors.append("loaded a different forecaster")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    return errors


_CACHE: dict[str, tc.TrendForecaster] = {}


def _forecaster() -> tc.TrendForecaster:
    if "fc" not in _CACHE:
        _CACHE["fc"] = smallest_forecaster()
    return _CACHE["fc"]
