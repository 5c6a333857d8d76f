"""The files of a saved forecaster, as a directory, ``.zip`` or ``.tar``; the manifest.

A save is a set of named members (bytes). This module writes them to the
target in one step (a staged copy replaces the old one), reads them back
refusing links, paths outside the archive, duplicates and truncation, and
writes and checks the manifest: the format version and the SHA-256 of every
other member. It knows nothing of what the members hold.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from trendcast._version import __version__
from trendcast.exceptions import ParameterError, PersistenceError

FORMAT_VERSION = 1
"""The layout version this trendcast writes; it reads every version up to this one."""

MANIFEST = "manifest.json"
_FORMATS = ("dir", "zip", "tar")


def _sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data``, as the manifest lists it."""
    return hashlib.sha256(data).hexdigest()


def _json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON of ``obj``; NaN and infinity are refused (the codec tags them)."""
    return json.dumps(obj, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


def _parse_json(data: bytes, name: str) -> Any:
    """Parse the JSON member ``name``, refusing NaN and infinity constants."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not valid JSON")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PersistenceError(f"{name} is not valid JSON: {exc}") from exc


def _manifest(files: dict[str, bytes], facts: dict[str, Any]) -> bytes:
    """The manifest of a save whose other members are ``files``.

    Parameters
    ----------
    files : dict of str to bytes
        Every member but the manifest, by name.
    facts : dict
        What the manifest tells about the forecaster without reading the
        other files: ``freq``, ``columns``, ``fit_date`` and ``categories``.

    Returns
    -------
    bytes
        The manifest as indented JSON.
    """
    manifest = {
        "format": "trendcast-forecaster",
        "format_version": FORMAT_VERSION,
        "trendcast_version": __version__,
        "freq": facts["freq"],
        "columns": facts["columns"],
        "fit_date": facts["fit_date"],
        "categories": facts["categories"],
        "files": {name: _sha256(files[name]) for name in sorted(files)},
    }
    return json.dumps(manifest, indent=1, ensure_ascii=False).encode()


def _check_manifest(manifest: Any, files: dict[str, bytes], source: str) -> None:
    """Refuse a manifest of another format or newer version, and files missing, extra or changed."""
    if not isinstance(manifest, dict) or manifest.get("format") != "trendcast-forecaster":
        raise PersistenceError(f"{source}: {MANIFEST} does not describe a trendcast forecaster")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise PersistenceError(f"{source}: {MANIFEST} has no valid format_version ({version!r})")
    if version > FORMAT_VERSION:
        raise PersistenceError(
            f"{source} was saved by trendcast {manifest.get('trendcast_version', '?')} with "
            f"format {version}; this trendcast ({__version__}) reads up to format "
            f"{FORMAT_VERSION}: upgrade trendcast"
        )
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise PersistenceError(f"{source}: {MANIFEST} has no file checksums")
    present = set(files) - {MANIFEST}
    missing = sorted(set(listed) - present)
    if missing:
        raise PersistenceError(f"{source}: file(s) listed in the manifest are missing: {missing}")
    extra = sorted(present - set(listed))
    if extra:
        raise PersistenceError(
            f"{source}: file(s) not listed in the manifest: {extra}; a saved forecaster holds "
            "only the files it lists"
        )
    for name in sorted(listed):
        if _sha256(files[name]) != listed[name]:
            raise PersistenceError(
                f"{source}: {name} does not match its SHA-256 in the manifest: the file was "
                "changed or damaged after saving"
            )


# ---------------------------------------------------------------------------- writing
def _format_of(path: Path, format: str | None) -> str:
    """The layout to write: ``format`` if given, else from the suffix of ``path``."""
    if format is not None:
        if format not in _FORMATS:
            raise ParameterError(f"format={format!r}; use one of {_FORMATS}")
        return format
    suffix = path.suffix.lower()
    return {".zip": "zip", ".tar": "tar"}.get(suffix, "dir")


def _write(files: dict[str, bytes], path: Path, kind: str) -> None:
    """Write ``files`` at ``path`` as a directory, or a zip or tar with fixed metadata."""
    names = sorted(files)
    if kind == "dir":
        for name in names:
            out = path / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(files[name])
    elif kind == "zip":
        with zipfile.ZipFile(path, "w") as zf:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name])
    else:
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
            for name in names:
                member = tarfile.TarInfo(name)
                member.size = len(files[name])
                member.mode = 0o644
                tf.addfile(member, io.BytesIO(files[name]))


def _store(files: dict[str, bytes], target: Path, kind: str, overwrite: bool) -> None:
    """Write ``files`` to ``target`` as a ``kind`` save, replacing it only when complete.

    Parameters
    ----------
    files : dict of str to bytes
        Every member, the manifest included.
    target : Path
        Where the save goes.
    kind : {"dir", "zip", "tar"}
        The layout, from ``_format_of``.
    overwrite : bool
        Replace an existing save (never a directory that holds something else).

    Raises
    ------
    PersistenceError
        When ``target`` exists and may not be replaced.
    """
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise PersistenceError(f"{target} already exists; pass overwrite=True to replace it")
        if target.is_dir() and not (target / MANIFEST).is_file() and any(target.iterdir()):
            raise PersistenceError(
                f"{target} is a directory that does not hold a saved forecaster; "
                "refusing to replace it"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staged = tmp / "out"
        _write(files, staged, kind)
        if target.exists() or target.is_symlink():
            os.replace(target, tmp / "old")  # removed with tmp once the new one is in place
        os.replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------- reading
def _read_files(path: Path) -> dict[str, bytes]:
    """Every member of a saved forecaster as bytes, refusing anything but plain files."""
    if path.is_dir():
        out = {}
        for item in sorted(path.rglob("*")):
            name = item.relative_to(path).as_posix()
            if item.is_symlink():
                raise PersistenceError(f"{path}: {name} is a symbolic link; refusing to follow it")
            if item.is_file():
                out[name] = item.read_bytes()
        return out
    if not path.exists():
        raise PersistenceError(f"{path} does not exist")
    head = path.read_bytes()[:512]
    try:
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as zf:
                out = {}
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    _check_member(path, info.filename)
                    if info.filename in out:
                        raise PersistenceError(f"{path}: {info.filename} appears twice")
                    out[info.filename] = zf.read(info)
                return out
        with tarfile.open(path, "r:") as tf:
            out = {}
            for member in tf:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise PersistenceError(
                        f"{path}: {member.name} is not a regular file (link or device)"
                    )
                _check_member(path, member.name)
                if member.name in out:
                    raise PersistenceError(f"{path}: {member.name} appears twice")
                extracted = tf.extractfile(member)
                assert extracted is not None
                data = extracted.read()
                if len(data) != member.size:
                    raise PersistenceError(f"{path}: {member.name} is cut short")
                out[member.name] = data
            return out
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise PersistenceError(
            f"{path} is not a readable trendcast archive (truncated or damaged: {exc}); "
            "save it again or copy it completely"
        ) from exc


def _check_member(path: Path, name: str) -> None:
    """Refuse an archive member whose name points outside the archive."""
    if name.startswith(("/", "\\")) or ".." in Path(name).parts:
        raise PersistenceError(f"{path}: member {name!r} points outside the archive")
