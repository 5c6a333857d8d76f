"""Logs of the job: to stderr, plain or JSON lines, one line per stage with counts and seconds."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Stage", "setup_logging", "stage"]

logger = logging.getLogger("trendcast.job")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        out.update(getattr(record, "fields", {}))
        return json.dumps(out, default=str)


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        extra = " ".join(f"{k}={v}" for k, v in fields.items() if k != "stage")
        head = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname.lower():7s}"
        return f"{head} {record.getMessage()}" + (f" ({extra})" if extra else "")


def setup_logging(fmt: str = "plain", level: int = logging.INFO) -> None:
    """Send the job's log to stderr, plain or as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _PlainFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


class Stage:
    """Counts of a stage, logged with its seconds when it ends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: dict[str, Any] = {}
        self.seconds = 0.0


@contextmanager
def stage(name: str, timings: dict[str, float]) -> Iterator[Stage]:
    """Time a stage and log one line with its counts when it ends."""
    current = Stage(name)
    start = time.perf_counter()
    yield current
    current.seconds = round(time.perf_counter() - start, 3)
    timings[name] = current.seconds
    fields = {"stage": name, **current.counts, "seconds": current.seconds}
    logger.info("stage %s done", name, extra={"fields": fields})
