"""Saves at URLs: object storage (``s3://``, ``gs://``, ``az://``...) through fsspec.

A save at a URL is one ``.zip`` (or ``.tar``, for a URL ending in ``.tar``)
written with one put of its bytes: object stores replace an object in one
step, so a reader gets the old save or the new one, never half of one, and
never finds the path missing while it is overwritten. Loading reads the
object with one bounded ranged read (at most what the load limit allows) and
checks it exactly as a local archive: manifest, SHA-256 and size of every
member. ``file://`` URLs are local paths and go through the local code
(staged beside the target, renamed over it). fsspec is the optional extra
``trendcast[cloud]``; each store's own package (``s3fs``, ``gcsfs``,
``adlfs``) is installed beside it, and a scheme whose package is missing is a
``MissingDependencyError`` naming it, never a local folder named ``s3:``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import unquote, urlparse

from trendcast.exceptions import MissingDependencyError, ParameterError, PersistenceError
from trendcast.persistence._archive import (
    _archive_bytes,
    _archive_limit,
    _exists,
    _read_archive_bytes,
)

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: schemes a ``Path`` turns into a first folder (``Path("s3://b/m")`` is ``s3:/b/m``)
_MANGLED = (
    "s3:",
    "s3a:",
    "gs:",
    "gcs:",
    "az:",
    "abfs:",
    "abfss:",
    "adl:",
    "memory:",
    "http:",
    "https:",
    "hdfs:",
    "oci:",
    "oss:",
    "r2:",
)
_CLOUD = 'pip install "trendcast[cloud]"'
#: the errors an fsspec file system raises for a store that cannot be reached or written
_STORE_ERRORS = (OSError, ValueError, RuntimeError, TimeoutError, KeyError)


def is_url(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a URL (``scheme://...``) rather than a local path.

    A ``Path`` built from a URL (``Path("s3://bucket/m")`` is ``s3:/bucket/m``)
    is refused: it would otherwise write a local folder named ``s3:``.
    """
    if isinstance(path, str):
        return bool(_URL.match(path))
    if isinstance(path, PurePath) and path.parts and path.parts[0].lower() in _MANGLED:
        raise ParameterError(
            f"path={str(path)!r} looks like a URL turned into a local path by pathlib "
            "(which drops one '/'); pass the URL as a string, e.g. 's3://bucket/model'"
        )
    return False


def resolve(path: str | os.PathLike[str]) -> Path | str:
    """Where a save goes: a local ``Path`` (``file://`` URLs included), or a remote URL."""
    if not is_url(path):
        return Path(path)
    url = str(path)
    local = local_path(url)
    return url if local is None else local


def local_path(url: str) -> Path | None:
    """The local path of a ``file://`` URL, or None for any other scheme."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("file", "local"):
        return None
    if parsed.netloc not in ("", "localhost"):
        raise ParameterError(
            f"path={url!r}: a file:// URL names a path on this machine (file:///dir/model), "
            f"not on host {parsed.netloc!r}"
        )
    return Path(unquote(parsed.path))


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec file system of ``url`` and the path on it."""
    try:
        import fsspec
        from fsspec.registry import get_filesystem_class, known_implementations, registry
    except ImportError as exc:
        raise MissingDependencyError(
            f"saving to or loading from a URL ({url}) needs fsspec: {_CLOUD}"
        ) from exc
    protocol = urlparse(url).scheme.lower()
    if protocol not in known_implementations and protocol not in registry:
        raise ParameterError(
            f"path={url!r}: fsspec knows no file system for {protocol}://; use a local "
            "path or a URL of a store fsspec supports (s3://, gs://, az://, memory://, file://)"
        )
    try:
        get_filesystem_class(protocol)
    except ImportError as exc:
        package = known_implementations.get(protocol, {}).get("class", "").split(".")[0]
        what = f"pip install {package}" if package else str(exc)
        raise MissingDependencyError(
            f"path={url!r}: {protocol}:// needs the package {package or '?'}, which is not "
            f"installed: {what} (fsspec's file system for it; fsspec itself comes with "
            f"{_CLOUD}). Nothing was written."
        ) from exc
    try:
        fs, where = fsspec.core.url_to_fs(url)
    except ImportError as exc:  # a dependency of the store's package
        raise MissingDependencyError(f"path={url!r}: {exc}") from exc
    except _STORE_ERRORS as exc:
        raise PersistenceError(f"{url} cannot be opened: {exc}") from exc
    return fs, where


def remote_format(url: str, format: str | None) -> str:
    """The archive kind of a save at ``url``: ``format``, else tar for ``.tar``, else zip."""
    if format is None:
        return "tar" if url.lower().endswith(".tar") else "zip"
    if format == "dir":
        raise ParameterError(
            f"format='dir' with path={url!r}: a save at a URL is one object, written in one "
            "put so that readers never see half of it; use format='zip' (the default) or 'tar'"
        )
    if format not in ("zip", "tar"):
        raise ParameterError(f"format={format!r}; use one of ('dir', 'zip', 'tar')")
    return format


def write_remote(files: dict[str, bytes], url: str, kind: str, overwrite: bool) -> None:
    """Put the save ``files`` at ``url`` as one ``kind`` archive, in one write.

    Raises
    ------
    PersistenceError
        When something is at ``url`` and ``overwrite`` is False, ``url`` is a
        folder, or the store refuses the write.
    MissingDependencyError
        When fsspec, or the package of the URL's scheme, is not installed.
    """
    fs, where = _filesystem(url)
    data = _archive_bytes(files, kind)
    try:
        if fs.isdir(where):
            raise PersistenceError(
                f"{url} is a folder; a save at a URL is one object: name the object "
                "(e.g. .../model.zip), refusing to write over a folder"
            )
        if fs.exists(where) and not overwrite:
            raise _exists(url)
        parent = fs._parent(where)
        if parent and not fs.exists(parent):
            fs.makedirs(parent, exist_ok=True)
        fs.pipe_file(where, data)  # one put: the old object or the new one, never half
    except PersistenceError:
        raise
    except _STORE_ERRORS as exc:
        raise PersistenceError(f"{url} cannot be written: {exc}") from exc


def read_remote(url: str) -> dict[str, bytes]:
    """Every member of the save at ``url``, verified (manifest, sizes, SHA-256).

    Raises
    ------
    PersistenceError
        When nothing is at ``url``, it is a folder, larger than the load limit
        allows, or not a valid trendcast archive.
    MissingDependencyError
        When fsspec, or the package of the URL's scheme, is not installed.
    """
    fs, where = _filesystem(url)
    limit = _archive_limit()
    try:
        info = fs.info(where)
        if info.get("type") == "directory":
            raise PersistenceError(
                f"{url} is a folder; a save at a URL is one .zip or .tar object (save with "
                "fc.save(url), or upload the .zip that save wrote)"
            )
        data = fs.cat_file(where, start=0, end=limit + 1)  # one bounded ranged read
    except FileNotFoundError:
        raise PersistenceError(f"{url} does not exist") from None
    except PersistenceError:
        raise
    except _STORE_ERRORS as exc:
        raise PersistenceError(f"{url} cannot be read: {exc}") from exc
    return _read_archive_bytes(bytes(data), url)
