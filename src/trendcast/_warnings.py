"""Warnings that point at the caller's line, however deep inside trendcast they start."""

from __future__ import annotations

import logging
import sys
import warnings
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


def warn(message: str, category: type[Warning], logger: logging.Logger | None = None) -> None:
    """Warn at the caller's line (the first frame outside trendcast); log it too if asked."""
    if logger is not None:
        logger.warning(message)
    warnings.warn(message, category, stacklevel=caller_stacklevel())
