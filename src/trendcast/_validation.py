"""One place that builds validation messages, so every error reads the same.

Messages follow one shape::

    <where>: <problem>. Expected <expected>; found <found>: <examples>. Fix: <fix>

where ``<where>`` names the file (if any) and the column, and ``<examples>``
lists at most five offending rows or categories.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trendcast.exceptions import DataValidationError, ParameterError

MAX_EXAMPLES = 5


def describe_source(source: object) -> str | None:
    """Return a printable name for a data source, or None for in-memory frames."""
    if isinstance(source, pd.DataFrame) or source is None:
        return None
    return str(source)


def where(source: str | None, column: str | None = None) -> str:
    """Return the '<file>, column <c>' prefix of a message."""
    parts = []
    if source:
        parts.append(f"in file '{source}'")
    if column is not None:
        parts.append(f"column '{column}'")
    text = ", ".join(parts) if parts else "in the input frame"
    return text[0].upper() + text[1:]


def format_rows(
    frame: pd.DataFrame,
    positions: Sequence[int] | np.ndarray,
    columns: Sequence[str],
    *,
    source: str | None = None,
    header_lines: int = 1,
    labels: Sequence[int] | np.ndarray | None = None,
) -> str:
    """Describe up to five rows by position, with the values of ``columns``.

    ``positions`` index ``frame``. ``labels`` are the matching 0-based row
    numbers in the caller's frame when ``frame`` was reordered (default: the
    positions themselves); rows are listed in that order. For a CSV file the
    line number (1-based, counting the header) is added.
    """
    positions = np.asarray(positions, dtype=int)
    labels = positions if labels is None else np.asarray(labels, dtype=int)
    shown = []
    for k in np.argsort(labels, kind="stable")[:MAX_EXAMPLES]:
        values = ", ".join(
            f"{c}={show(frame[c].iloc[positions[k]])}" for c in columns if c in frame.columns
        )
        row = labels[k]
        line = f" (line {row + 1 + header_lines})" if source and source.endswith(".csv") else ""
        shown.append(f"row {row}{line}: {values}")
    more = len(positions) - len(shown)
    tail = f"; and {more} more" if more > 0 else ""
    return "; ".join(shown) + tail


def format_items(items: Iterable[Any]) -> str:
    """List up to five items (categories, dates...) and say how many more."""
    items = list(items)
    shown = ", ".join(repr(_plain(i)) for i in items[:MAX_EXAMPLES])
    more = len(items) - MAX_EXAMPLES
    return shown + (f" and {more} more" if more > 0 else "")


def fail(
    problem: str,
    *,
    source: str | None = None,
    column: str | None = None,
    expected: str | None = None,
    found: str | None = None,
    fix: str,
) -> DataValidationError:
    """Build (not raise) a :class:`DataValidationError` with the standard message."""
    text = f"{where(source, column)}: {problem}."
    if expected:
        text += f" Expected {expected}"
        text += f"; found {found}." if found else "."
    elif found:
        text += f" Found {found}."
    text += f" Fix: {fix}"
    return DataValidationError(text)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2 rows' (or the given plural)."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def verb(n: int, singular: str, plural: str) -> str:
    """Agree a verb with a count: verb(1, 'is', 'are') -> 'is'."""
    return singular if n == 1 else plural


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        try:
            return str(value.date()) if value == value.normalize() else str(value)
        except (NotImplementedError, ValueError, OverflowError):  # year 0 and other
            return str(value)  # dates outside Python's calendar
    return value


def show(value: Any) -> str:
    """A value as it appears in messages: repr, dates as 'YYYY-MM-DD', at most 40 chars."""
    text = repr(_plain(value))
    return text if len(text) <= 40 else text[:37] + "..."


def forecast_levels(columns: Iterable[Any]) -> list[int]:
    """Interval levels of a forecast frame with both bounds present, e.g. ``[80, 95]``."""
    cols = {str(c) for c in columns}
    return sorted(
        int(m.group(1))
        for c in cols
        if (m := re.fullmatch(r"lo-(\d+)", c)) and f"hi-{m.group(1)}" in cols
    )


def check_forecast_columns(forecast: Any, id_col: str, time_col: str) -> None:
    """Fail unless ``forecast`` is a DataFrame with the id, time and ``mean`` columns."""
    if not isinstance(forecast, pd.DataFrame):
        raise DataValidationError(
            f"forecast must be a DataFrame, got {type(forecast).__name__}. "
            "Fix: pass the output of TrendForecaster.predict."
        )
    for col in (id_col, time_col, "mean"):
        if col not in forecast.columns:
            raise fail(
                f"the forecast lacks column {col!r}",
                expected="the output of TrendForecaster.predict",
                found=f"columns {format_items(forecast.columns)}",
                fix="pass the forecast frame, with the same id_col/time_col names",
            )


def require_columns(
    frame: Any,
    columns: Sequence[str],
    what: str,
    fix: str,
    *,
    source: str | None = None,
    expected: str | None = None,
) -> None:
    """Fail unless ``frame`` is a DataFrame with ``columns``; ``what`` names it ("the history")."""
    if not isinstance(frame, pd.DataFrame):
        raise fail(
            f"{what} is not a DataFrame",
            source=source,
            expected=f"a long frame with columns {format_items(columns)}",
            found=type(frame).__name__,
            fix=fix,
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise fail(
            f"{what} lacks column(s) {format_items(missing)}",
            source=source,
            expected=expected or f"columns {format_items(columns)}",
            found=f"columns {format_items(frame.columns)}",
            fix=fix,
        )


def whole_number(
    name: str, value: Any, *, low: int = 1, high: int | None = None, none: bool = False
) -> int | None:
    """``value`` as an int from ``low`` to ``high``, or a ParameterError naming ``name``.

    Booleans, floats (even 2.0), text and other types are refused; ``None``
    only when ``none`` is true.
    """
    if value is None and none:
        return None
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise ParameterError(
            f"{name} must be a whole number{_range(low, high)}"
            f"{' or None' if none else ''}, got {show(value)} ({type(value).__name__})"
        )
    if value < low or (high is not None and value > high):
        raise ParameterError(f"{name} must be a whole number{_range(low, high)}, got {value!r}")
    return int(value)


def real_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    open_low: bool = False,
    open_high: bool = False,
    none: bool = False,
) -> float | None:
    """``value`` as a finite float within the bounds, or a ParameterError naming ``name``.

    ``open_low``/``open_high`` exclude the bound itself. Booleans, text and
    other types are refused; ``None`` only when ``none`` is true.
    """
    if value is None and none:
        return None
    lo = "" if low is None else f"{'above' if open_low else 'at least'} {low:g}"
    hi = "" if high is None else f"{'below' if open_high else 'at most'} {high:g}"
    wanted = " and ".join(x for x in (lo, hi) if x)
    accepted = f"a number{' ' + wanted if wanted else ''}{' or None' if none else ''}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise ParameterError(
            f"{name} must be {accepted}, got {show(value)} ({type(value).__name__})"
        )
    if isinstance(value, complex | np.complexfloating):
        raise ParameterError(f"{name} must be {accepted}, got the complex number {value!r}")
    number = float(value)
    outside = (
        not np.isfinite(number)
        or (low is not None and (number <= low if open_low else number < low))
        or (high is not None and (number >= high if open_high else number > high))
    )
    if outside:
        raise ParameterError(f"{name} must be {accepted}, got {value!r}")
    return number


def text_value(name: str, value: Any, *, none: bool = False) -> str | None:
    """``value`` if it is a string, or a ParameterError naming ``name``."""
    if value is None and none:
        return None
    if not isinstance(value, str):
        raise ParameterError(
            f"{name} must be text{' or None' if none else ''}, got {show(value)} "
            f"({type(value).__name__})"
        )
    return value


def _range(low: int, high: int | None) -> str:
    if high is None:
        return f" of {low} or more"
    return f" from {low} to {high}"


#: the most problems one combined message lists (the rest are counted)
MAX_PROBLEMS = 10


class Problems:
    """Collect the validation errors of independent checks and raise them as one.

    Each ``with problems.check():`` block runs a check; a
    ``DataValidationError`` it raises is kept and the next check runs. One
    problem is raised unchanged, several as one error that lists each in full
    (at most ``MAX_PROBLEMS``), so a file is fixed in one round, not one per
    problem.
    """

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.errors: list[DataValidationError] = []

    @property
    def ok(self) -> bool:
        """Whether no check failed so far."""
        return not self.errors

    def check(self) -> _Check:
        """A context manager that keeps the DataValidationError raised inside it."""
        return _Check(self)

    def raise_any(self) -> None:
        """Raise what was collected: nothing, the one error, or all of them combined."""
        if not self.errors:
            return
        if len(self.errors) == 1:
            raise self.errors[0]
        shown = self.errors[:MAX_PROBLEMS]
        lines = [f"  {i}. {err}" for i, err in enumerate(shown, start=1)]
        more = len(self.errors) - len(shown)
        if more:
            lines.append(f"  and {more} more problem{'s' if more > 1 else ''} (fix these first)")
        head = where(self.source)
        raise DataValidationError(
            f"{head}: {len(self.errors)} problems were found; each is listed with what was "
            "expected, what was found and the fix:\n" + "\n".join(lines)
        ) from self.errors[0]


class _Check:
    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, DataValidationError):
            self.problems.errors.append(exc)
            return True
        return False
