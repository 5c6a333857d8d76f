"""Warnings that point at the caller's line, however deep inside trendcast they start.

One reporting channel: the library reports what the caller should know (data
filled, a category that fell back to another model, intervals moved) as a
warning (``DataWarning``, ``FallbackWarning``...) and never also logs it, so
each finding appears once. The nightly job and the service turn the warnings
of the calls they make into log records (``logged_warnings``); a script that
wants them in its log does the same, or calls ``logging.captureWarnings(True)``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent)


def caller_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside trendcast (2 when called directly)."""
    level = 1
    frame = sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


def warn(message: str, category: type[Warning]) -> None:
    """Warn at the caller's line (the first frame outside trendcast); the one channel."""
    warnings.warn(message, category, stacklevel=caller_stacklevel())


@contextlib.contextmanager
def logged_warnings(logger: logging.Logger) -> Iterator[None]:
    """Inside: every warning is recorded, not shown; each is logged at WARNING afterwards.

    For jobs (no one reads their warnings): ``with logged_warnings(logger): fc.fit(df)``
    puts each ``FallbackWarning`` or ``DataWarning`` in the job's log, once.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for record in caught:
                logger.warning("%s: %s", record.category.__name__, record.message)
