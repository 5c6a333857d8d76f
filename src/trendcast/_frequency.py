"""Frequency inference, conformity checks and period arithmetic.

trendcast supports daily, weekly (any anchor), monthly, quarterly and yearly
data, dated by the start or the end of the period. Frequencies are pandas
offset aliases: ``"D"``, ``"W-SUN"``, ``"MS"``, ``"ME"``, ``"QS-JAN"``,
``"QE-DEC"``, ``"YS-JAN"``, ``"YE-DEC"``.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from trendcast.exceptions import ParameterError

_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

SUPPORTED = (
    "daily 'D', weekly 'W-SUN'..'W-SAT', monthly 'MS'/'ME', quarterly 'QS-JAN'/'QE-DEC', "
    "yearly 'YS'/'YE'"
)


def kind_of(freq: str) -> str:
    """Return the family of a frequency alias: 'D', 'W', 'M', 'Q' or 'Y'."""
    code = freq.upper()
    if code.startswith("W"):
        return "W"
    if code.startswith("Q"):
        return "Q"
    if code.startswith(("Y", "A")):
        return "Y"
    if code.startswith("M"):
        return "M"
    if code in {"D", "1D"}:
        return "D"
    raise ParameterError(f"unsupported frequency {freq!r}; use one of {SUPPORTED}")


def season_length_of(freq: str) -> int:
    """Default season length of a frequency: 7 (daily), 52, 12, 4, 1 (yearly)."""
    return {"D": 7, "W": 52, "M": 12, "Q": 4, "Y": 1}[kind_of(freq)]


def normalize_freq(freq: str) -> str:
    """Turn a user alias into the canonical alias trendcast uses.

    Raises ``ParameterError`` (a ``ValueError``, wrapped by callers) for an unknown
    or unsupported alias, or a value that is not text; pandas raises
    ``ValueError`` for one it cannot read.
    """
    if not isinstance(freq, str):
        raise ValueError(f"a frequency is a text alias such as 'MS', not {type(freq).__name__}")
    offset = to_offset(freq)
    name = offset.freqstr
    # pandas may render 'W' as 'W-SUN', 'Q' as 'QE-DEC', 'M' as 'ME'.
    if getattr(offset, "n", 1) != 1:
        raise ParameterError(f"multiples of a period ({freq!r}) are not supported")
    kind_of(name)
    return name


def infer_freq(dates: pd.Series, ids: pd.Series) -> str | None:
    """Guess the frequency of a panel from the spacing and anchoring of its dates.

    ``dates`` and ``ids`` are aligned and sorted by (id, date), without
    duplicates. Returns None when the spacing matches no supported frequency
    (e.g. every series has a single date).
    """
    values = dates.to_numpy(dtype="datetime64[ns]")
    same = ids.to_numpy()[1:] == ids.to_numpy()[:-1]
    steps = np.diff(values)[same].astype("timedelta64[s]").astype(np.int64) / 86400.0
    if steps.size == 0:
        return None
    step = float(np.median(steps))
    idx = pd.DatetimeIndex(dates)
    if step <= 1.5:
        return "D"
    if 6 <= step <= 8:
        weekday = int(pd.Series(idx.day_of_week).mode().iloc[0])
        return f"W-{_WEEKDAYS[weekday]}"
    start = int((idx.day == 1).sum())
    end = int(idx.is_month_end.sum())
    suffix = "S" if start >= end else "E"
    if 27 <= step <= 32:
        return "M" + suffix
    if 88 <= step <= 93:
        phase = int(pd.Series(idx.month % 3).mode().iloc[0])
        if suffix == "S":  # QS-JAN starts in months 1,4,7,10 (month % 3 == 1)
            anchor = {1: "JAN", 2: "FEB", 0: "MAR"}[phase]
        else:  # QE-DEC ends in months 3,6,9,12 (month % 3 == 0)
            anchor = {0: "DEC", 1: "JAN", 2: "FEB"}[phase]
        return f"Q{suffix}-{anchor}"
    if 360 <= step <= 370:
        month = int(pd.Series(idx.month).mode().iloc[0])
        return f"Y{suffix}-{_MONTHS[month - 1]}"
    return None


def on_offset(dates: pd.Series, freq: str) -> np.ndarray:
    """Boolean mask: which dates sit on the anchor of ``freq``."""
    offset = to_offset(freq)
    uniques = pd.unique(dates)
    ok = {d: bool(offset.is_on_offset(pd.Timestamp(d))) for d in uniques}
    return dates.map(ok).to_numpy(dtype=bool)


def period_number(dates: pd.Series | pd.DatetimeIndex | np.ndarray, freq: str) -> np.ndarray:
    """An integer per date that increases by exactly one per period.

    Dates must already sit on ``freq``; differences between these numbers
    count periods, so a step above one is a gap.
    """
    kind = kind_of(freq)
    if kind in ("D", "W") and isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
        # tz-naive dates as NumPy already hold (a category's dates at update): the
        # same numbers without building an index, which cost most of the update's
        # per-category bookkeeping on a nightly run
        days = dates.astype("datetime64[D]").astype(np.int64)
        return days if kind == "D" else days // 7
    idx = pd.DatetimeIndex(dates)
    if kind == "D":
        return idx.to_numpy(dtype="datetime64[D]").astype(np.int64)
    if kind == "W":
        return idx.to_numpy(dtype="datetime64[D]").astype(np.int64) // 7
    months = idx.year.to_numpy().astype(np.int64) * 12 + idx.month.to_numpy() - 1
    if kind == "M":
        return months
    if kind == "Q":
        return months // 3
    return idx.year.to_numpy().astype(np.int64)


def future_dates(last: pd.Timestamp, h: int, freq: str) -> pd.DatetimeIndex:
    """The ``h`` period dates after ``last``.

    Categories mostly share their last date, and ``pd.date_range`` costs more
    than the rest of a category's forecast: the (immutable) index is cached by
    date, resolution, time zone, ``h`` and ``freq``.
    """
    last = pd.Timestamp(last)
    if last is pd.NaT:
        return pd.date_range(start=last, periods=h + 1, freq=freq)[1:]
    return _future_dates(last, str(last.unit), str(last.tz), int(h), freq)


@functools.lru_cache(maxsize=1024)
def _future_dates(
    last: pd.Timestamp, unit: str, tz: str, h: int, freq: Any
) -> pd.DatetimeIndex:  # fmt: skip
    return pd.date_range(start=last, periods=h + 1, freq=freq)[1:]
