"""Shopping calendar: public holidays and retail events as future-known covariates.

Consumer demand moves with the calendar: Spring Festival (Chinese New Year),
the 618 and Singles' Day (11.11) sales, Black Friday and Cyber Monday, China's
Golden Week, and each country's public holidays. These dates are known years
ahead, so they are *future-known* covariates: the same function gives them for
the history and for the forecast horizon.

Two ways to get them, the same columns either way:

- [`shopping_calendar`][trendcast.calendar.shopping_calendar] is one call, pandas in,
  pandas out, like darts' ``holidays_timeseries`` or the feature functions of
  statsforecast's ``utilsforecast``: for a notebook or a one-off ``X_df``.
- [`ShoppingCalendar`][trendcast.calendar.ShoppingCalendar] holds the *specification*
  (country, events, windows), like an sktime transformer: a model such as
  [`Prophet`][trendcast.models.Prophet] (``calendar=``) or the forecaster keeps
  it and applies it to the training dates and to the future dates, so the
  columns can never differ between the two; it is a scikit-learn style object
  (``get_params``, ``clone``, ``repr``).

Daily data get one indicator (0/1) per event. Weekly, monthly and quarterly
data get the number of event days that fall in each period (or, with
``aggregate="share"``, that number divided by the days in the period). A
period is the one a pandas frequency alias names: ``W-SUN`` weeks end on
Sunday (a date labels the week that ends on it), ``MS``/``QS-JAN`` periods
start on their date, ``ME``/``QE-DEC`` periods end on it.

Dates come from the ``holidays`` package: public holidays of any country it
knows, and the Chinese lunar new year from its China calendar (1950-2100).
The Western dates are rules: Black Friday is the day after US Thanksgiving
(the fourth Thursday of November), Cyber Monday the Monday after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

import trendcast._frequency as freqs
from trendcast._params import Params
from trendcast.exceptions import DataValidationError, ParameterError

__all__ = ["EVENTS", "ShoppingCalendar", "event_dates", "shopping_calendar"]

DatesLike = pd.DatetimeIndex | pd.Series | Sequence[Any] | np.ndarray

#: the retail events shipped, in column order
EVENTS: tuple[str, ...] = (
    "spring_festival",
    "618",
    "singles_day",
    "black_friday",
    "cyber_monday",
    "golden_week",
)

_SPRING_FESTIVAL_YEARS = (1950, 2100)  # the range of the holidays package's China calendar


@lru_cache(maxsize=512)
def _spring_festival(year: int) -> dt.date:
    """First day of the Chinese lunar year, from the holidays package's China calendar."""
    import holidays

    china = holidays.country_holidays("CN", years=year, language="en_US")
    days = [d for d in china.get_named("Spring Festival") if d.year == year]
    if not days:  # pragma: no cover - only if the package renames the holiday
        raise DataValidationError(
            f"the holidays package has no Spring Festival for {year}; "
            "upgrade holidays or drop 'spring_festival' from events"
        )
    return min(days)


def _thanksgiving_us(year: int) -> dt.date:
    """US Thanksgiving: the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)


def _span(first: dt.date, days: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(days)]


#: each event's days in a given year (before any window)
_EVENT_DAYS: dict[str, Callable[[int], list[dt.date]]] = {
    "spring_festival": lambda y: [_spring_festival(y)],
    "618": lambda y: [dt.date(y, 6, 18)],
    "singles_day": lambda y: [dt.date(y, 11, 11)],
    "black_friday": lambda y: [_thanksgiving_us(y) + dt.timedelta(days=1)],
    "cyber_monday": lambda y: [_thanksgiving_us(y) + dt.timedelta(days=4)],
    "golden_week": lambda y: _span(dt.date(y, 10, 1), 7),
}


def event_dates(event: str, years: Sequence[int] | range) -> pd.DatetimeIndex:
    """The days of one retail event in the given years (no window).

    Parameters
    ----------
    event : str
        One of [`EVENTS`][trendcast.calendar.EVENTS].
    years : sequence of int
        Calendar years.

    Examples
    --------
    >>> from trendcast.calendar import event_dates
    >>> [str(d.date()) for d in event_dates("black_friday", [2024, 2025])]
    ['2024-11-29', '2025-11-28']
    """
    if event not in _EVENT_DAYS:
        raise ParameterError(f"unknown event {event!r}; choose from {', '.join(EVENTS)}")
    days = [d for y in years for d in _EVENT_DAYS[event](int(y))]
    return pd.DatetimeIndex(sorted(days))


class ShoppingCalendar(Params):
    """Holiday and retail-event features for any dates, at any frequency.

    The constructor only stores its arguments (scikit-learn style), so a model
    can keep a calendar as a parameter and ``clone`` copies it; the work is
    done by [`features`][trendcast.calendar.ShoppingCalendar.features].

    Parameters
    ----------
    country : str or None
        ISO 3166 code of the country whose public holidays are counted in the
        ``holiday_count`` column (``holidays`` package, e.g. ``"CN"``,
        ``"US"``, ``"DE"``); ``None`` leaves that column out.
    events : sequence of str, optional
        Retail events to include, from ``spring_festival``, ``618``,
        ``singles_day``, ``black_friday``, ``cyber_monday``, ``golden_week``
        (default: all of them). Each gives a column ``event_<name>``.
    windows : mapping of str to (int, int), optional
        Days before and after an event that count as part of it, e.g.
        ``{"spring_festival": (14, 6)}`` for the two-week run-up and the
        holiday week. Default: the event days alone.
    aggregate : {"count", "share"}
        For periods longer than a day: the number of event days in the period,
        or that number divided by the days in the period. Ignored for daily
        data (the value is then 0 or 1 either way).

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> cal = tc.ShoppingCalendar(country="CN", events=["spring_festival", "golden_week"])
    >>> months = pd.date_range("2025-01-01", periods=12, freq="MS")
    >>> X = cal.features(months, freq="MS")
    >>> X.loc["2025-01-01"].to_dict()
    {'event_spring_festival': 1, 'event_golden_week': 0, 'holiday_count': 5}
    >>> int(X.loc["2025-10-01", "event_golden_week"])
    7
    """

    def __init__(
        self,
        country: str | None = "CN",
        events: Sequence[str] | None = None,
        windows: Mapping[str, tuple[int, int]] | None = None,
        aggregate: Literal["count", "share"] = "count",
    ) -> None:
        self.country = country
        self.events = events
        self.windows = windows
        self.aggregate = aggregate

    @property
    def columns(self) -> list[str]:
        """Names of the feature columns, in order."""
        names = [f"event_{e}" for e in self._events()]
        return names + (["holiday_count"] if self.country is not None else [])

    def features(self, dates: DatesLike, freq: str | None = None) -> pd.DataFrame:
        """Feature columns for each date.

        Parameters
        ----------
        dates : DatetimeIndex, Series or array-like of dates
            Period dates, as in a sales frame's ``ds`` column; repeats are
            allowed (a long frame with many categories).
        freq : str, optional
            Pandas alias of the periods the dates stand for: ``"D"``,
            ``"W-SUN"`` (any anchor), ``"MS"``, ``"ME"``, ``"QS-JAN"``,
            ``"QE-DEC"``... Inferred from the dates when left out.

        Returns
        -------
        DataFrame
            One row per date, in the input order: indexed by the dates for a
            DatetimeIndex or array, by the Series' index for a Series (so it
            lines up with the frame the column came from). Counts are
            integers; shares (``aggregate="share"``) are floats.

        Raises
        ------
        DataValidationError
            Missing or unreadable dates, or a frequency that cannot be inferred.
        ParameterError
            An unknown event, country, window, aggregate or frequency (also a
            ``ValueError``).
        """
        events = self._events()
        windows = self._windows(events)
        if self.country is not None and not isinstance(self.country, str):
            raise ParameterError(
                f"country must be an ISO 3166 code such as 'US', or None, got {self.country!r}"
            )
        if self.aggregate not in ("count", "share"):
            raise ParameterError(f"aggregate must be 'count' or 'share', got {self.aggregate!r}")
        index, values = _read_dates(dates)
        uniq = pd.DatetimeIndex(np.unique(values.to_numpy(dtype="datetime64[D]")))
        freq = _resolve_freq(uniq, freq)
        start, end = _period_bounds(uniq, freq)
        first, last = int(start.min().year), int(end.max().year)

        columns: dict[str, np.ndarray] = {}
        for event in events:
            before, after = windows.get(event, (0, 0))
            lo, hi = first - 1, last + 1  # a window may reach into the next/previous year
            if event == "spring_festival":
                _check_spring_festival_years(first, last)
                lo = max(lo, _SPRING_FESTIVAL_YEARS[0])
                hi = min(hi, _SPRING_FESTIVAL_YEARS[1])
            days = event_dates(event, range(lo, hi + 1))
            columns[f"event_{event}"] = _count_days(_widen(days, before, after), start, end)
        if self.country is not None:
            columns["holiday_count"] = _count_days(
                _public_holidays(self.country, first, last), start, end
            )
        out = pd.DataFrame(columns, index=uniq)
        if self.aggregate == "share" and freqs.kind_of(freq) != "D":
            length = (end - start).days.to_numpy() + 1
            out = out.div(length, axis=0)
        out = out.reindex(pd.DatetimeIndex(values.to_numpy(dtype="datetime64[D]")))
        out.index = index
        return out

    # -- validation -------------------------------------------------------------------
    def _events(self) -> list[str]:
        if self.events is None:
            return list(EVENTS)
        if isinstance(self.events, str):
            chosen = [self.events]
        elif isinstance(self.events, bytes | Mapping) or not hasattr(self.events, "__iter__"):
            raise ParameterError(
                f"events must be a list of event names (or None for all), got {self.events!r}"
            )
        else:
            chosen = list(self.events)
        unknown = [e for e in chosen if not isinstance(e, str) or e not in EVENTS]
        if unknown:
            raise ParameterError(f"unknown event(s) {unknown!r}; choose from {', '.join(EVENTS)}")
        return list(dict.fromkeys(chosen))

    def _windows(self, events: list[str]) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        if self.windows is not None and not isinstance(self.windows, Mapping):
            raise ParameterError(
                "windows must map an event to (days_before, days_after), e.g. "
                f"{{'618': (14, 6)}}; got {self.windows!r}"
            )
        for name, window in (self.windows or {}).items():
            if name not in events:
                raise ParameterError(
                    f"windows names {name!r}, which is not among the events {events!r}"
                )
            try:
                before, after = (int(v) for v in window)
            except (TypeError, ValueError):
                before = after = -1
            if before < 0 or after < 0 or tuple(window) != (before, after):
                raise ParameterError(
                    f"window of {name!r} must be (days_before, days_after), two whole numbers "
                    f">= 0, e.g. (14, 6); got {window!r}"
                )
            out[name] = (before, after)
        return out


def shopping_calendar(
    dates: DatesLike,
    country: str | None = "CN",
    events: Sequence[str] | None = None,
    freq: str | None = None,
    *,
    windows: Mapping[str, tuple[int, int]] | None = None,
    aggregate: Literal["count", "share"] = "count",
) -> pd.DataFrame:
    """Holiday and retail-event features for ``dates``, in one call.

    Same as ``ShoppingCalendar(country, events, windows, aggregate).features(dates, freq)``;
    see [`ShoppingCalendar`][trendcast.calendar.ShoppingCalendar] for the parameters.

    Raises
    ------
    DataValidationError
        As ``ShoppingCalendar.features``.
    ParameterError
        As ``ShoppingCalendar.features``: an unknown event, country, window,
        aggregate or frequency, or one of another type.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> days = pd.date_range("2025-11-27", "2025-12-01", freq="D")
    >>> X = tc.shopping_calendar(days, country="US", events=["black_friday", "cyber_monday"])
    >>> X.astype(int).to_numpy().tolist()
    [[0, 0, 1], [1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 1, 0]]
    """
    calendar = ShoppingCalendar(
        country=country, events=events, windows=windows, aggregate=aggregate
    )
    return calendar.features(dates, freq=freq)


# -- helpers ----------------------------------------------------------------------------
def _read_dates(dates: DatesLike) -> tuple[pd.Index, pd.DatetimeIndex]:
    """The output index and the dates (tz-naive, midnight)."""
    try:
        if isinstance(dates, pd.Series):
            values = pd.DatetimeIndex(pd.to_datetime(dates))
            index: pd.Index = dates.index
        else:
            values = pd.DatetimeIndex(pd.to_datetime(pd.Index(dates)))
            index = values
    except (TypeError, ValueError) as exc:
        raise DataValidationError(
            f"Argument 'dates': could not read the values as dates ({exc}). "
            "Fix: pass a DatetimeIndex or a column of dates such as sales['ds']."
        ) from exc
    if values.size == 0:
        raise DataValidationError("Argument 'dates' is empty. Fix: pass at least one date.")
    if values.hasnans:
        raise DataValidationError(
            f"Argument 'dates': {int(np.sum(values.isna()))} missing date(s). "
            "Fix: drop or fill the rows without a date."
        )
    if values.tz is not None:
        values = values.tz_localize(None)
    return index, values.normalize()


def _resolve_freq(uniq: pd.DatetimeIndex, freq: str | None) -> str:
    if freq is None:
        guess = freqs.infer_freq(pd.Series(uniq), pd.Series(np.zeros(uniq.size)))
        if guess is None:
            raise DataValidationError(
                f"Argument 'dates': cannot infer the frequency from {uniq.size} distinct "
                "date(s). Fix: pass freq, e.g. freq='D', 'W-SUN' or 'MS'."
            )
        return guess
    try:
        return freqs.normalize_freq(freq)
    except ValueError as exc:
        raise ParameterError(f"freq={freq!r}: {exc}; use one of {freqs.SUPPORTED}") from exc


def _period_bounds(dates: pd.DatetimeIndex, freq: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """First and last day of the period each date labels (the period containing it)."""
    kind = freqs.kind_of(freq)
    if kind == "D":
        return dates, dates
    offset = to_offset(freq)
    name = offset.freqstr.upper()
    # weeks are labelled by their last day (pandas' W-SUN ends on Sunday); 'MS', 'QS-..',
    # 'YS-..' by their first, 'ME', 'QE-..', 'YE-..' by their last
    starts_on_label = kind != "W" and name[1:2] == "S"
    if starts_on_label:
        start = (dates + offset) - offset  # roll back to the period start (no-op on anchor)
        end = start + offset - pd.Timedelta(days=1)
    else:
        end = (dates - offset) + offset  # roll forward to the period end (no-op on anchor)
        start = end - offset + pd.Timedelta(days=1)
    return pd.DatetimeIndex(start), pd.DatetimeIndex(end)


def _widen(days: pd.DatetimeIndex, before: int, after: int) -> np.ndarray:
    base = days.to_numpy(dtype="datetime64[D]")
    if before == 0 and after == 0:
        return np.unique(base)
    shifts = np.arange(-before, after + 1).astype("timedelta64[D]")
    return np.unique((base[:, None] + shifts[None, :]).ravel())


def _count_days(days: np.ndarray, start: pd.DatetimeIndex, end: pd.DatetimeIndex) -> np.ndarray:
    """How many of the sorted unique ``days`` fall in each [start, end] period."""
    days = np.sort(np.asarray(days, dtype="datetime64[D]"))
    lo = np.searchsorted(days, start.to_numpy(dtype="datetime64[D]"), side="left")
    hi = np.searchsorted(days, end.to_numpy(dtype="datetime64[D]"), side="right")
    return (hi - lo).astype(np.int64)


def _check_spring_festival_years(first: int, last: int) -> None:
    lo, hi = _SPRING_FESTIVAL_YEARS
    if first < lo or last > hi:
        raise DataValidationError(
            f"Argument 'dates' spans {first}-{last}, but Spring Festival dates are known for "
            f"{lo}-{hi} (holidays package China calendar). Fix: drop 'spring_festival' from "
            "events, or restrict the dates to that range."
        )


@lru_cache(maxsize=64)
def _public_holidays(country: str, first: int, last: int) -> np.ndarray:
    import holidays

    try:
        calendar = holidays.country_holidays(country, years=range(first, last + 1))
    except NotImplementedError as exc:
        raise ParameterError(
            f"country={country!r} is not a country the holidays package knows; use an "
            "ISO 3166 code such as 'CN', 'US' or 'DE' (holidays.list_supported_countries() "
            "lists them), or country=None for no holidays"
        ) from exc
    return np.unique(np.array(sorted(calendar.keys()), dtype="datetime64[D]"))
