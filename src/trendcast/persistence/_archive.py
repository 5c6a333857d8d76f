"""The files of a saved forecaster, as a directory, ``.zip`` or ``.tar``; the manifest.

A save is a set of named members (bytes). This module writes them to the
target in one step (a staged copy replaces the old one), and writes and
checks the manifest: the format version, the SHA-256 and size of every other
member and the manifest's own SHA-256. It reads a save back through one open
descriptor, refusing anything but a regular file or directory, links, paths
outside the archive, duplicates, encrypted or exotically compressed members,
and any member the manifest does not list (by name, before reading it); each
member is read in bounded chunks, never past the size its header gives, the
manifest lists, or the load limit (``MAX_LOAD_BYTES``) leaves. It knows nothing
of what the members hold.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import io
import json
import os
import shutil
import stat
import struct
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trendcast._version import __version__
from trendcast.exceptions import ParameterError, PersistenceError, TrendcastError

FORMAT_VERSION = 1
"""The layout version this trendcast writes; it reads every version up to this one."""

MANIFEST = "manifest.json"
_FORMATS = ("dir", "zip", "tar")

MAX_LOAD_BYTES = 1 << 30
"""The most bytes one load reads, all members together and uncompressed (1 GiB).

The environment variable ``TRENDCAST_MAX_LOAD_BYTES`` overrides it; a JSON
member may take at most a quarter of it, since parsing JSON takes several
times its size in memory. A save larger than this is refused, before its
members are inflated.
"""

#: The manifest key of the manifest's own SHA-256 (see ``_manifest_digest``), and the
#: key of every member's size (by the member's SHA-256). Both are added in files of
#: trendcast 0.x from this release on; older format-1 readers ignore them, and format-1
#: files without them still load (their members bounded by ``MAX_LOAD_BYTES`` only).
_SELF_DIGEST = "manifest_sha256"
_SIZES = "sizes"
_JSON_SHARE = 4  # a JSON member may be a quarter of the load limit
_CHUNK = 1 << 16  # bytes read (and inflated) at a time from an archive
#: reads of a directory replaced by a concurrent save while being read: each retry
#: follows a save that completed meanwhile, so readers make progress however many
#: writers there are; three were too few under eight writers (CI, issue 19)
_RETRIES = 50
_MAX_DEPTH = 8  # folders within a directory save (it has one level: arrays/, ...)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a pipe must not wait for a writer
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_FD_RELATIVE = os.open in os.supports_dir_fd and os.scandir in os.supports_fd
_MAX_MEMBERS = 1_000_000  # members of a save (one per estimator or Prophet model at most)
_SWAP_TRIES = 100  # writers racing to replace one save: each try is a rename


def _libc() -> ctypes.CDLL | None:
    """The C library (for Linux's ``renameat2``), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


_LIBC = _libc()


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
    except RecursionError as exc:
        raise PersistenceError(f"{name} is nested too deep to be a trendcast file") from exc


def _manifest_digest(manifest: dict[str, Any]) -> str:
    """The manifest's own SHA-256: of its canonical JSON without ``files`` and itself.

    ``files`` is left out because each of its entries is checked against the
    member it names (a changed name is a missing and an extra member, a
    changed digest a mismatch); everything else is covered here, so no byte
    of a manifest changes unnoticed, and a tool that rewrites only ``files``
    after editing a member (as the tests do) keeps a valid manifest.
    """
    body = {k: v for k, v in manifest.items() if k not in ("files", _SELF_DIGEST)}
    text = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return _sha256(text.encode("ascii"))


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
    digests = {name: _sha256(files[name]) for name in sorted(files)}
    manifest = {
        "format": "trendcast-forecaster",
        "format_version": FORMAT_VERSION,
        "trendcast_version": __version__,
        "freq": facts["freq"],
        "columns": facts["columns"],
        "fit_date": facts["fit_date"],
        "categories": facts["categories"],
        "files": digests,
        _SIZES: {digests[name]: len(files[name]) for name in sorted(files)},
    }
    manifest[_SELF_DIGEST] = _manifest_digest(manifest)
    return json.dumps(manifest, indent=1, ensure_ascii=False).encode()


def _check_manifest(manifest: Any, source: str) -> tuple[dict[str, str], dict[str, int]]:
    """The members a manifest lists (name -> SHA-256) and their sizes (SHA-256 -> bytes).

    Refuses a manifest of another format or newer version, one that does not
    match its own SHA-256, and malformed listings. A manifest without its own
    digest (written before it had one) must not have sizes either; its
    members' sizes are then unknown (an empty mapping).
    """
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
    if _SELF_DIGEST in manifest:
        if manifest[_SELF_DIGEST] != _manifest_digest(manifest):
            raise PersistenceError(
                f"{source}: {MANIFEST} does not match its own SHA-256 ({_SELF_DIGEST}): the "
                "manifest was changed or damaged after saving"
            )
    elif _SIZES in manifest:
        raise PersistenceError(
            f"{source}: {MANIFEST} lists sizes but not its own SHA-256 ({_SELF_DIGEST}): the "
            "manifest was changed or damaged after saving"
        )
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        raise PersistenceError(f"{source}: {MANIFEST} has no file checksums")
    for name in listed:
        _check_member(source, name)
    sizes = manifest.get(_SIZES, {})
    if not isinstance(sizes, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in sizes.values()
    ):
        raise PersistenceError(f"{source}: {MANIFEST} has malformed {_SIZES}")
    return listed, sizes


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
    if kind == "dir":
        for name in sorted(files):
            out = path / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(files[name])
    else:
        with open(path, "wb") as out_file:
            _write_archive(files, out_file, kind)


def _write_archive(files: dict[str, bytes], out: Any, kind: str) -> None:
    """Write ``files`` to the binary file ``out`` as a zip or tar with fixed metadata."""
    names = sorted(files)
    if kind == "zip":
        with zipfile.ZipFile(out, "w") as zf:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name])
    else:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for name in names:
                member = tarfile.TarInfo(name)
                member.size = len(files[name])
                member.mode = 0o644
                tf.addfile(member, io.BytesIO(files[name]))


def _archive_bytes(files: dict[str, bytes], kind: str) -> bytes:
    """The bytes of the ``.zip`` or ``.tar`` holding ``files`` (a save written in one put)."""
    buffer = io.BytesIO()
    _write_archive(files, buffer, kind)
    return buffer.getvalue()


def _store(files: dict[str, bytes], target: Path, kind: str, overwrite: bool) -> None:
    """Write ``files`` to ``target`` as a ``kind`` save, in place only when complete.

    Each call stages its save in its own hidden folder beside ``target`` and
    moves it there in one step (see "Concurrent saves" in the persistence
    guide): a reader sees the old save or the new one, never half of one, and
    of concurrent writers without ``overwrite`` exactly one succeeds.

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
        When ``target`` exists and may not be replaced, or cannot be written.
    """
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise _exists(target)
        if _holds_something_else(target):
            raise PersistenceError(
                f"{target} is a directory that does not hold a saved forecaster; "
                "refusing to replace it"
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise PersistenceError(f"{target} cannot be written: {exc}") from exc
    try:
        staged = tmp / "out"
        _write(files, staged, kind)
        if overwrite:
            _swap_in(staged, target, tmp)
        else:
            _move_new(staged, target)
    finally:  # the staged copy, or the save it replaced
        shutil.rmtree(tmp, ignore_errors=True)


def _holds_something_else(target: Path) -> bool:
    """Whether ``target`` is a non-empty directory without a manifest (never replaced).

    A save moved aside by a concurrent writer meanwhile (where the system has no
    atomic exchange) holds nothing else: the writer's own move decides.
    """
    if not target.is_dir():
        return False
    try:
        before = os.stat(target, follow_symlinks=False)
        names = os.listdir(target)
        after = os.stat(target, follow_symlinks=False)
        if (before.st_dev, before.st_ino) != (after.st_dev, after.st_ino):
            return False  # replaced while listed (a save being deleted lists half): a save
        return bool(names) and MANIFEST not in names
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise PersistenceError(f"{target} cannot be written: {exc}") from exc


def _exists(target: Path | str) -> PersistenceError:
    return PersistenceError(f"{target} already exists; pass overwrite=True to replace it")


_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _renameat2(src: Path, dst: Path, flag: int) -> bool:
    """Linux ``renameat2(src, dst, flag)``; False where the system or file system lacks it.

    Raises the ``OSError`` of any other failure (``FileExistsError`` for an
    existing ``dst`` with ``RENAME_NOREPLACE``, ``FileNotFoundError`` for a
    missing one with ``RENAME_EXCHANGE``).
    """
    call = getattr(_LIBC, "renameat2", None) if _LIBC is not None else None
    if call is None:
        return False
    at_cwd = -100
    if call(at_cwd, os.fsencode(src), at_cwd, os.fsencode(dst), flag) == 0:
        return True
    errno_ = ctypes.get_errno()
    if errno_ in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(errno_, os.strerror(errno_), str(src), None, str(dst))


def _move_new(staged: Path, target: Path) -> None:
    """Move ``staged`` to ``target`` unless something is there: one writer of many wins."""
    try:
        if _renameat2(staged, target, _RENAME_NOREPLACE):
            return
        if staged.is_dir():
            os.rename(staged, target)  # fails on anything but an empty directory
        else:
            os.link(staged, target)  # fails on anything that exists
    except (FileExistsError, IsADirectoryError, NotADirectoryError) as exc:
        raise _exists(target) from exc
    except OSError as exc:
        if exc.errno == errno.ENOTEMPTY:
            raise _exists(target) from exc
        raise PersistenceError(f"{target} cannot be written: {exc}") from exc


def _swap_in(staged: Path, target: Path, tmp: Path) -> None:
    """Put ``staged`` at ``target``, the save there (if any) moved into ``tmp``.

    Atomic on Linux (``renameat2``: exchanged, or moved where nothing is),
    and for files everywhere (``os.replace``); elsewhere a directory is moved
    aside and the new one moved in, and a reader in between finds no save.
    """
    try:
        for attempt in range(_SWAP_TRIES):
            try:
                if _renameat2(staged, target, _RENAME_EXCHANGE):
                    return  # the old save is now at ``staged``, removed with tmp
            except FileNotFoundError:  # nothing to exchange with: move in where nothing is
                try:
                    if _renameat2(staged, target, _RENAME_NOREPLACE):
                        return
                except FileExistsError:
                    continue  # another writer was faster: exchange with its save
            if not staged.is_dir() and not target.is_dir():
                os.replace(staged, target)
                return
            with contextlib.suppress(FileNotFoundError):
                os.replace(target, tmp / f"old-{attempt}")
            try:
                os.replace(staged, target)
                return
            except OSError as exc:  # another writer moved its save in meanwhile
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR):
                    raise
    except OSError as exc:
        raise PersistenceError(f"{target} cannot be written: {exc}") from exc
    raise PersistenceError(f"{target} is being replaced by other writers; try again")


# ---------------------------------------------------------------------------- reading
#: Reading errors of zipfile, tarfile and zlib on a damaged archive; each becomes a
#: PersistenceError (``RuntimeError`` covers an encrypted member and RecursionError,
#: ``ValueError`` a UnicodeDecodeError of a member name).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    IndexError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
)


def _read_files(path: Path) -> dict[str, bytes]:
    """Every member of the save at ``path``, the manifest verified and every other member
    checked against it: by name before it is read, by size before and while it is read,
    by SHA-256 once read.

    A directory replaced by a concurrent ``save(..., overwrite=True)`` while it was read
    is read again (the files of one save, never half of two).

    Raises
    ------
    PersistenceError
        When ``path`` is not a regular file or directory, or holds anything but the
        members its manifest lists, as it lists them and within the size limit.
    """
    for attempt in range(_RETRIES):
        with _Source.open(path) as source:
            try:
                return _read_verified(source)
            except PersistenceError:
                if attempt + 1 == _RETRIES or not source.replaced():
                    raise
        time.sleep(min(0.001 * 2**attempt, 0.05))  # let the replacing writers finish
    raise AssertionError("unreachable")  # pragma: no cover


def _read_archive_bytes(data: bytes, where: str) -> dict[str, bytes]:
    """Every member of the ``.zip`` or ``.tar`` whose bytes are ``data`` (a save fetched
    whole from remote storage), verified as ``_read_files`` verifies a local one."""
    _check_archive_size(where, len(data))
    with _ArchiveSource(where, io.BytesIO(data)) as source:
        return _read_verified(source)


def _read_verified(source: _Source) -> dict[str, bytes]:
    """The members of ``source``: the manifest first, then each one it lists."""
    where = source.name
    sizes = source.members()
    limit = _load_limit()
    if MANIFEST not in sizes:
        raise PersistenceError(f"{where}: no {MANIFEST}; this is not a saved trendcast forecaster")
    budget = _Budget(where, limit)
    raw = budget.read(source, MANIFEST, sizes[MANIFEST], None)
    manifest = _parse_json(raw, f"{where}: {MANIFEST}")
    listed, expected = _check_manifest(manifest, where)
    extra = sorted(set(sizes) - set(listed) - {MANIFEST})
    if extra:
        raise PersistenceError(
            f"{where}: file(s) not listed in the manifest: {extra}; a saved forecaster holds "
            "only the files it lists"
        )
    missing = sorted(set(listed) - set(sizes))
    if missing:
        raise PersistenceError(f"{where}: file(s) listed in the manifest are missing: {missing}")
    out = {MANIFEST: raw}
    for name in sorted(listed):
        data = budget.read(source, name, sizes[name], expected.get(listed[name]))
        if _sha256(data) != listed[name]:
            raise PersistenceError(
                f"{where}: {name} does not match its SHA-256 in the manifest: the file was "
                "changed or damaged after saving"
            )
        out[name] = data
    return out


def _load_limit() -> int:
    """The most bytes one load reads, all members together: ``MAX_LOAD_BYTES`` or the
    environment variable ``TRENDCAST_MAX_LOAD_BYTES``."""
    text = os.environ.get("TRENDCAST_MAX_LOAD_BYTES")
    if text is None:
        return MAX_LOAD_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ParameterError(
            f"TRENDCAST_MAX_LOAD_BYTES={text!r}; set it to a positive number of bytes"
        )
    return value


class _Budget:
    """The bytes a load may still read, and the bounded, streaming read of one member."""

    def __init__(self, where: str, limit: int) -> None:
        self.where = where
        self.limit = limit
        self.left = limit

    def read(self, source: _Source, name: str, declared: int, expected: int | None) -> bytes:
        """Member ``name``'s bytes: ``declared`` is the size its archive header (or the file
        system) gives, ``expected`` the size the manifest lists (None in older saves)."""
        bound = self.left
        if name.endswith(".json"):  # parsing JSON takes many times its size in memory
            bound = min(bound, self.limit // _JSON_SHARE)
        if expected is not None and declared != expected:
            raise PersistenceError(
                f"{self.where}: {name} is {declared} bytes, but the manifest lists "
                f"{expected}: the file was changed or damaged after saving"
            )
        if declared > bound:
            raise PersistenceError(
                f"{self.where}: {name} is {declared} bytes, more than this load may read "
                f"({bound} of TRENDCAST_MAX_LOAD_BYTES={self.limit} left); raise the limit "
                "only for a file you trust to be that large"
            )
        chunks = []
        got = 0
        with source.stream(name) as stream:
            while True:
                # a directory's file sizes are the file system's: one read of at most a
                # byte more, kept as read (no join); an archive's header may lie, so its
                # members are inflated a chunk at a time
                step = declared + 1 - got
                chunk = stream.read(step if source.exact_sizes else min(_CHUNK, step))
                if not chunk:
                    break
                got += len(chunk)
                if got > declared:
                    raise PersistenceError(
                        f"{self.where}: {name} holds more than the {declared} bytes its "
                        "header gives (damaged, or built to exhaust memory)"
                    )
                chunks.append(chunk)
        if got != declared:
            raise PersistenceError(f"{self.where}: {name} is cut short ({got} of {declared} bytes)")
        self.left -= got
        return b"".join(chunks)


def _check_member(where: str, name: str) -> None:
    """Refuse an archive member whose name points outside the archive."""
    if name.startswith(("/", "\\")) or ".." in Path(name).parts or "\\" in name:
        raise PersistenceError(f"{where}: member {name!r} points outside the archive")


class _Source:
    """A save opened for reading: its members, their sizes and a stream of each.

    One file descriptor is opened on the path and everything is read through it,
    so a save replaced at the same path meanwhile is never mixed into it.
    """

    name: str
    #: whether ``members`` gives sizes the file system measured (not an archive's header)
    exact_sizes = False

    @staticmethod
    def open(path: Path) -> _Source:
        """The source at ``path``: a directory, a zip or a tar; nothing else is opened."""
        where = str(path)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            raise PersistenceError(f"{where} does not exist") from None
        except OSError as exc:
            raise PersistenceError(f"{where} cannot be read: {exc}") from exc
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            raise PersistenceError(
                f"{where} is not a regular file or directory (a device, pipe or socket); "
                "a saved forecaster is a directory, .zip or .tar"
            )
        if stat.S_ISDIR(st.st_mode) and not _FD_RELATIVE:
            return _DirSource(path, None, st)
        try:
            fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise PersistenceError(f"{where} cannot be read: {exc}") from exc
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                return _DirSource(path, fd, st)
            if not stat.S_ISREG(st.st_mode):
                raise PersistenceError(f"{where} is not a regular file or directory")
            _check_archive_size(where, st.st_size)
        except BaseException:
            os.close(fd)
            raise
        return _ArchiveSource(where, os.fdopen(fd, "rb"))  # owns the descriptor from here on

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def members(self) -> dict[str, int]:
        """Every member's name and size, refusing links, devices, unsafe names and duplicates."""
        raise NotImplementedError

    def stream(self, name: str) -> Any:
        """A binary stream of member ``name`` (a context manager)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the open file descriptor."""
        raise NotImplementedError

    def replaced(self) -> bool:
        """Whether the path now names another file or directory than the one read."""
        return False


def _archive_limit() -> int:
    """The most bytes an archive within the load limit can take (members, headers, padding)."""
    limit = _load_limit()
    return limit + limit // 8 + (1 << 20)


def _check_archive_size(where: str, size: int) -> None:
    """Refuse an archive of ``size`` bytes that cannot be within the load limit."""
    if size > _archive_limit():
        raise PersistenceError(
            f"{where} is {size} bytes, more than a load may read "
            f"(TRENDCAST_MAX_LOAD_BYTES={_load_limit()}); raise the limit only for a file you "
            "trust to be that large"
        )


class _ArchiveSource(_Source):
    """A ``.zip`` or ``.tar`` read through one open file (or the bytes of one)."""

    def __init__(self, name: str, file: Any) -> None:
        self.name = name
        self.file = file  # a binary file, closed with the source
        self.zip: zipfile.ZipFile | None = None
        self.tar: tarfile.TarFile | None = None
        self.entries: dict[str, Any] = {}

    def _damaged(self, exc: BaseException) -> PersistenceError:
        return PersistenceError(
            f"{self.name} is not a readable trendcast archive (truncated or damaged: "
            f"{type(exc).__name__}: {exc}); save it again or copy it completely"
        )

    def members(self) -> dict[str, int]:
        try:
            if self.file.read(2) == b"PK":
                self.file.seek(0)
                return self._zip_members()
            self.file.seek(0)
            return self._tar_members()
        except TrendcastError:
            raise
        except _ARCHIVE_ERRORS as exc:
            raise self._damaged(exc) from exc

    def _zip_members(self) -> dict[str, int]:
        end = zipfile._EndRecData(self.file)  # type: ignore[attr-defined]
        if end and end[4] > _MAX_MEMBERS:  # before zipfile builds an object for each
            raise PersistenceError(
                f"{self.name} lists {end[4]} members; a saved forecaster has far fewer "
                f"(at most {_MAX_MEMBERS} are read)"
            )
        zf = self.zip = zipfile.ZipFile(self.file)
        out: dict[str, int] = {}
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            _check_member(self.name, name)
            if name in out:
                raise PersistenceError(f"{self.name}: {name} appears twice")
            if info.flag_bits & 0x1:
                raise PersistenceError(
                    f"{self.name}: {name} is encrypted; trendcast writes and reads only "
                    "unencrypted archives"
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise PersistenceError(
                    f"{self.name}: {name} is compressed with method {info.compress_type}; "
                    "trendcast reads only stored and deflated members"
                )
            out[name] = info.file_size
            self.entries[name] = info
        return out

    def _tar_members(self) -> dict[str, int]:
        tf = self.tar = tarfile.open(fileobj=self.file, mode="r:")
        out: dict[str, int] = {}
        for member in tf.getmembers():
            if member.isdir():
                continue
            if not member.isfile() or member.issparse():
                raise PersistenceError(
                    f"{self.name}: {member.name} is not a regular file (link, device or "
                    "sparse file)"
                )
            _check_member(self.name, member.name)
            if member.name in out:
                raise PersistenceError(f"{self.name}: {member.name} appears twice")
            out[member.name] = member.size
            self.entries[member.name] = member
        return out

    @contextlib.contextmanager
    def stream(self, name: str) -> Iterator[Any]:
        try:
            if self.zip is not None:
                with self.zip.open(self.entries[name]) as stream:
                    yield stream
            else:
                assert self.tar is not None
                extracted = self.tar.extractfile(self.entries[name])
                assert extracted is not None
                yield extracted
        except TrendcastError:
            raise
        except _ARCHIVE_ERRORS as exc:
            raise self._damaged(exc) from exc

    def close(self) -> None:
        for opened in (self.zip, self.tar, self.file):
            if opened is not None:
                with contextlib.suppress(Exception):
                    opened.close()


class _DirSource(_Source):
    """A directory save, read through a descriptor of the directory itself (where the
    platform opens files relative to one; by path elsewhere)."""

    exact_sizes = True

    def __init__(self, path: Path, fd: int | None, st: os.stat_result) -> None:
        self.name = str(path)
        self.path = path
        self.fd = fd
        self.identity = (st.st_dev, st.st_ino)
        self.dirs: list[int] = []
        self.entries: dict[str, tuple[int | Path, str]] = {}  # name -> (its directory, entry)

    def members(self) -> dict[str, int]:
        out: dict[str, int] = {}
        self._walk(self.path if self.fd is None else self.fd, "", out, 0)
        return out

    def _walk(self, parent: int | Path, prefix: str, out: dict[str, int], depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise PersistenceError(f"{self.name}: {prefix} is nested too deep for a save")
        try:
            entries = sorted(os.scandir(parent), key=lambda e: e.name)
        except OSError as exc:
            raise PersistenceError(f"{self.name}: {prefix or '.'} cannot be listed: {exc}") from exc
        if len(self.entries) + len(entries) > _MAX_MEMBERS:
            raise PersistenceError(
                f"{self.name} holds more than {_MAX_MEMBERS} files; a saved forecaster has "
                "far fewer"
            )
        for entry in entries:
            name = prefix + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:  # removed since listed: a concurrent save replaced it
                raise PersistenceError(f"{self.name}: {name} cannot be read: {exc}") from exc
            if stat.S_ISLNK(st.st_mode):
                raise PersistenceError(
                    f"{self.name}: {name} is a symbolic link; refusing to follow it"
                )
            if stat.S_ISDIR(st.st_mode):
                if isinstance(parent, Path):
                    self._walk(parent / entry.name, name + "/", out, depth + 1)
                    continue
                sub = self._open(parent, entry.name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW)
                self.dirs.append(sub)
                self._walk(sub, name + "/", out, depth + 1)
            elif stat.S_ISREG(st.st_mode):
                out[name] = st.st_size
                self.entries[name] = (parent, entry.name)
            else:
                raise PersistenceError(
                    f"{self.name}: {name} is not a regular file (a device, pipe or socket)"
                )

    def _open(self, parent: int | Path, entry: str, flags: int) -> int:
        try:
            if isinstance(parent, Path):
                return os.open(parent / entry, flags | getattr(os, "O_BINARY", 0))
            return os.open(entry, flags, dir_fd=parent)
        except OSError as exc:
            raise PersistenceError(f"{self.name}: {entry} cannot be read: {exc}") from exc

    @contextlib.contextmanager
    def stream(self, name: str) -> Iterator[Any]:
        parent, entry = self.entries[name]
        member = self._open(parent, entry, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK)
        try:
            with os.fdopen(member, "rb") as stream:
                if not stat.S_ISREG(os.fstat(member).st_mode):
                    raise PersistenceError(f"{self.name}: {name} is not a regular file")
                yield stream
        except OSError as exc:
            raise PersistenceError(f"{self.name}: {name} cannot be read: {exc}") from exc

    def close(self) -> None:
        for fd in [*self.dirs, *([] if self.fd is None else [self.fd])]:
            with contextlib.suppress(OSError):
                os.close(fd)

    def replaced(self) -> bool:
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self.identity
