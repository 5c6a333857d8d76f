"""``trendcast.__version__`` is a literal; the installed metadata must say the same.

``pyproject.toml`` reads the version from ``trendcast/_version.py`` at build
time; an install made before the literal changed (not reinstalled) or a
``pyproject.toml`` that spells the version again would disagree.
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import trendcast

ROOT = Path(__file__).resolve().parents[1]


def test_the_installed_metadata_has_the_module_version():
    assert importlib.metadata.version("trendcast") == trendcast.__version__


def test_pyproject_takes_the_version_from_the_module():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"]
    assert "version" not in project["project"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "trendcast._version.__version__"}
