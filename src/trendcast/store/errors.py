"""The store's errors: both are ``TrendcastError``, so the command line exits with code 2."""

from __future__ import annotations

from trendcast.exceptions import TrendcastError

__all__ = ["StoreError", "StoreLockedError"]


class StoreError(TrendcastError):
    """The store cannot be opened, migrated, read or written.

    The message names the store (its URL without the password), the table or
    run, and what to do.
    """


class StoreLockedError(StoreError):
    """Another run holds the store's run lock (runs never interleave)."""
