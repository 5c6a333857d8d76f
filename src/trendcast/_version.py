"""trendcast's version, for modules that record it (no package-root import).

The one place it is written: ``pyproject.toml`` reads it from here at build time
(``[tool.setuptools.dynamic]``), so the installed metadata says the same. A
literal, not ``importlib.metadata.version``: that scans every installed
distribution, about a hundredth of a second of each process's start.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
