"""The job's errors: ``TrendcastError`` subclasses, so the command line exits with code 2."""

from __future__ import annotations

from trendcast.exceptions import TrendcastError

__all__ = ["ConfigError", "SourceError"]


class ConfigError(TrendcastError):
    """``trendcast.toml`` is missing, malformed or holds a value the job cannot use.

    The message names the file, the key (``section.key``), the bad value and the fix.
    """


class SourceError(TrendcastError):
    """A source (file or SQL query) cannot be read or lacks what the config says.

    The message names the source (``[sales]``, ``[[supply]] plan``...), the
    file or query, the column, and the fix.
    """
