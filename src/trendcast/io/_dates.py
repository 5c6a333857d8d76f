"""Read period labels as analysts write them: day-first dates, ISO weeks, month labels.

pandas guesses a date's field order from the first value and reads
``01/06/2009`` as 6 January; for a column of first-of-month dates written day
first every value then reads as a January day, the frequency comes out daily
and filling the "gaps" invents years of rows. Here a column of numeric dates
(``dd/mm/yyyy`` or ``mm/dd/yyyy``, any of ``/ . -``) is read by the one order
that fits every value; when both orders fit and give different dates, nothing
is guessed: the caller chooses with ``dayfirst=`` or ``date_format=``.

Labels pandas does not read are recognised when every value of the column has
the same shape:

- ISO weeks ``2024-W05`` (also ``2024W05``, ``2024-W05-1``): the Monday that
  starts the week, so the frequency is ``W-MON``;
- week ranges ``2024-01-29 - 2024-02-04`` (or ``to``, an en dash): the first day;
- months ``2019M03``, ``201903``, ``2019-03`` and ``2019年3月``: the first of the
  month (``Mar 2019`` pandas already reads).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._validation import fail
from trendcast.exceptions import ParameterError

logger = logging.getLogger(__name__)

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})(?:-?([1-7]))?$", re.IGNORECASE)
_MONTH_M = re.compile(r"^(\d{4})M(\d{1,2})$", re.IGNORECASE)
_MONTH_DIGITS = re.compile(r"^(\d{4})(\d{2})$")
_MONTH_DASH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_CN = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$")
_MONTHS = (_MONTH_M, _MONTH_CN, _MONTH_DASH, _MONTH_DIGITS)
_NUMERIC = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
_RANGE = re.compile(r"^(.+?)\s*(?:\s-\s|–|—|\bto\b)\s*(.+)$")


@dataclass(frozen=True)
class DateOptions:
    """How the caller said the dates are written (both None: detect)."""

    dayfirst: bool | None = None
    date_format: str | None = None

    def check(self) -> DateOptions:
        """Fail with a ParameterError on a value of the wrong type."""
        if self.dayfirst is not None and not isinstance(self.dayfirst, bool):
            raise ParameterError(f"dayfirst must be True, False or None, got {self.dayfirst!r}")
        if self.date_format is not None and not isinstance(self.date_format, str):
            raise ParameterError(
                f"date_format must be text such as '%d/%m/%Y' or None, got {self.date_format!r}"
            )
        return self


@dataclass(frozen=True)
class Reading:
    """Dates read from labels (NaT where unreadable) and what was done, for the log."""

    dates: pd.Series
    note: str | None = None


def read_labels(
    col: pd.Series, options: DateOptions, *, source: str | None, column: str
) -> Reading | None:
    """Dates of a text column by the rules above, or None to let pandas read them.

    Raises a DataValidationError when numeric dates read both day first and
    month first and nothing says which.
    """
    text = col.astype("string").str.strip()
    values: list[str] = [str(v) for v in pd.unique(text.dropna())]
    if not values:
        return None
    if options.date_format is not None:
        return Reading(_with_format(text, options.date_format))
    if _mostly(values, lambda v: bool(_ISO_WEEK.match(v))):
        note = "read ISO week labels (e.g. '2024-W05') as the Monday that starts each week"
        return Reading(_map(text, values, _iso_week), note)
    if _mostly(values, lambda v: any(p.match(v) for p in _MONTHS)):
        parsed = _map(text, values, _month_label)
        if parsed.notna().all() or not all(_MONTH_DIGITS.match(v) for v in values):
            return Reading(parsed, "read month labels as the first day of each month")
    if all(_NUMERIC.match(v) for v in values):
        return Reading(_numeric(text, values, options.dayfirst, source=source, column=column))
    ranges = [_RANGE.match(v) for v in values]
    if all(ranges) and all(_looks_dated(m.group(1)) for m in ranges if m):
        starts = {v: m.group(1).strip() for v, m in zip(values, ranges, strict=True) if m}
        inner = read_labels(pd.Series(list(starts.values())), options, source=source, column=column)
        start_dates = inner.dates if inner else _pandas(pd.Series(list(starts.values())), options)
        lookup = dict(zip(starts, start_dates, strict=True))
        note = "read week ranges (e.g. '2024-01-29 - 2024-02-04') as their first day"
        return Reading(pd.to_datetime(text.map(lookup)), note)
    if options.dayfirst is not None:
        return Reading(_pandas(text, options))
    return None


def _mostly(values: list[str], shape: Callable[[str], bool]) -> bool:
    """Whether at least 80% of the labels have a shape (the others are named as unreadable)."""
    hits = sum(shape(v) for v in values)
    return hits == len(values) or (hits >= 0.8 * len(values) and len(values) >= 5)


def _looks_dated(text: str) -> bool:
    return bool(re.search(r"\d", text)) and len(text) >= 6


def _pandas(text: pd.Series, options: DateOptions) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(
            text, errors="coerce", dayfirst=bool(options.dayfirst), format="mixed"
        )


def _map(text: pd.Series, values: list[str], one: Callable[[str], Any]) -> pd.Series:
    lookup = {v: one(v) for v in values}
    return pd.to_datetime(text.map(lookup), errors="coerce")


def _iso_week(value: str) -> pd.Timestamp | None:
    m = _ISO_WEEK.match(value)
    if m is None:
        return None
    try:
        day = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None
    return pd.Timestamp(day)


def _month_label(value: str) -> pd.Timestamp | None:
    m = next((m for p in _MONTHS if (m := p.match(value))), None)
    if m is None:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return None
    try:
        return pd.Timestamp(year=year, month=month, day=1)
    except (ValueError, OverflowError):
        return None


def _with_format(text: pd.Series, date_format: str) -> pd.Series:
    """Dates by an explicit format; ISO weeks (``%G``/``%V``) without a weekday mean Monday."""
    if "%V" in date_format or "%G" in date_format:
        fmt = date_format if "%u" in date_format else date_format + " %u"
        suffix = "" if "%u" in date_format else " 1"

        def one(value: str) -> pd.Timestamp | None:
            try:
                return pd.Timestamp(dt.datetime.strptime(value + suffix, fmt))
            except ValueError:
                return None

        return _map(text, [str(v) for v in pd.unique(text.dropna())], one)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(text, format=date_format, errors="coerce")
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"date_format={date_format!r} is not a format pandas can use ({exc}); "
                "write it with strftime codes, e.g. '%d/%m/%Y' or '%G-W%V'"
            ) from exc


def _numeric(
    text: pd.Series,
    values: list[str],
    dayfirst: bool | None,
    *,
    source: str | None,
    column: str,
) -> pd.Series:
    """``dd/mm/yyyy`` or ``mm/dd/yyyy`` by the order that fits, or an error when both do."""
    sep = _NUMERIC.match(values[0]).group(2)  # type: ignore[union-attr]
    year = "%Y" if len(_NUMERIC.match(values[0]).group(4)) == 4 else "%y"  # type: ignore[union-attr]
    day_first = f"%d{sep}%m{sep}{year}"
    month_first = f"%m{sep}%d{sep}{year}"
    if dayfirst is not None:
        return _with_format(text, day_first if dayfirst else month_first)
    as_day = _with_format(text, day_first)
    as_month = _with_format(text, month_first)
    day_ok, month_ok = bool(as_day.notna().all()), bool(as_month.notna().all())
    if day_ok and month_ok and not as_day.equals(as_month):
        raise _ambiguous(text, as_day, as_month, day_first, month_first, source, column)
    if day_ok and not month_ok:
        logger.info(
            "column %r: dates read day first (%s), the only order that fits", column, day_first
        )
        return as_day
    if month_ok:
        return as_month
    # neither fits every value: the reading with fewer unreadable dates, whose errors name the rows
    return as_day if as_day.notna().sum() > as_month.notna().sum() else as_month


def _ambiguous(
    text: pd.Series,
    as_day: pd.Series,
    as_month: pd.Series,
    day_first: str,
    month_first: str,
    source: str | None,
    column: str,
) -> Exception:
    differs = np.flatnonzero((as_day != as_month).to_numpy())
    first = int(differs[0])
    label = text.iloc[first]
    day_freq = _spacing(as_day)
    month_freq = _spacing(as_month)
    return fail(
        "the dates read both day first and month first, and nothing says which",
        source=source,
        column=column,
        expected="dates whose field order is known (a day above 12 somewhere, or the order stated)",
        found=f"{label!r} (row {first}) is {as_day.iloc[first].date()} read day first "
        f"({day_first}: {day_freq}) and {as_month.iloc[first].date()} read month first "
        f"({month_first}: {month_freq})",
        fix=f"pass dayfirst=True (or date_format={day_first!r}) if {label!r} is "
        f"{as_day.iloc[first].strftime('%d %B %Y').lstrip('0')}, dayfirst=False (or "
        f"date_format={month_first!r}) if it is "
        f"{as_month.iloc[first].strftime('%d %B %Y').lstrip('0')}",
    )


def _spacing(dates: pd.Series) -> str:
    """How a reading's distinct dates are spaced, in words (for the ambiguity message)."""
    unique = pd.Series(pd.DatetimeIndex(dates.dropna()).unique().sort_values())
    if len(unique) < 2:
        return "one date"
    freq = freqs.infer_freq(unique, pd.Series(np.zeros(len(unique))))
    first, last = pd.Timestamp(unique.iloc[0]), pd.Timestamp(unique.iloc[-1])
    span = f"{first.date()} to {last.date()}"
    if freq is None:
        return f"irregular dates from {span}"
    missing = len(pd.date_range(first, last, freq=freq)) - len(unique)
    holes = f", {missing} periods missing" if missing > 0 else ", no gaps"
    return f"{freq} from {span}{holes}"
