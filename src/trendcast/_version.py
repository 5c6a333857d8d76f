"""The installed trendcast's version, for modules that record it (no package-root import)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("trendcast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
