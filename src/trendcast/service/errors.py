"""The service's own errors; the app answers each with its HTTP status and message."""

from __future__ import annotations

from trendcast.exceptions import TrendcastError

__all__ = ["NotAvailableError", "SourceUnavailableError"]


class NotAvailableError(TrendcastError):
    """The source cannot answer this question (HTTP 404).

    A saved forecaster (``--model``) holds no supply plan, so it has no stored
    flags; those come from the nightly job's store (``--store``). The message
    says what to call instead.
    """


class SourceUnavailableError(TrendcastError):
    """The source cannot be read right now (HTTP 503): the store is down, or no
    finished run is in it yet."""
