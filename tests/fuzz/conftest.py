"""What every fuzz case must end in: a correct result or a TrendcastError, in time.

``FUZZ`` caps each example at ``DEADLINE`` (hypothesis' deadline) and sizes
the runs so that the whole layer takes about a minute with ``-n 1``;
``TRENDCAST_FUZZ_SCALE`` multiplies the number of examples (``=10`` for a
long hunt). ``attempt`` runs one call: a TrendcastError is a fine answer, any
other exception fails the case, and a result is returned for the test to
check.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from hypothesis import HealthCheck, event, settings

import trendcast as tc

T = TypeVar("T")

#: the time cap of one example: a fit of a few small series takes well under a second
DEADLINE = timedelta(seconds=10)
SCALE = float(os.environ.get("TRENDCAST_FUZZ_SCALE", "1"))


def fuzz(max_examples: int) -> settings:
    """Hypothesis settings of one fuzz test: its share of the layer's time."""
    return settings(
        max_examples=max(1, int(max_examples * SCALE)),
        deadline=DEADLINE,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def attempt(call: Callable[[], T], label: str = "call") -> T | None:
    """``call()``, or None when it raised a TrendcastError (any other exception propagates).

    The outcome is a hypothesis event (``label: result`` or ``label: <error class>``),
    counted by ``--hypothesis-show-statistics``.
    """
    with warnings.catch_warnings():
        for category in (tc.DataWarning, tc.FallbackWarning, tc.ConvergenceWarning):
            warnings.simplefilter("ignore", category)
        try:
            out = call()
        except tc.TrendcastError as exc:
            assert str(exc).strip(), f"{type(exc).__name__} without a message"
            event(f"{label}: {type(exc).__name__}")
            return None
    event(f"{label}: result")
    return out
