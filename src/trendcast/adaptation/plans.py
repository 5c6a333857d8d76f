"""A planner's naive supply plan: the same period a year earlier, grown.

"Same period a year earlier" depends on the frequency: the same month or
quarter (or year) one year back; for weekly data the same ISO week of the
previous year (week 53 falls back to week 52 in a 52-week year), on the same
weekday as the plan's dates, so a Saturday-dated week is planned from a
Saturday-dated week (adding a year to a Saturday gives no Saturday, which
made the earlier helper return no rows on weekly data); for daily data the
day 364 days back (the same weekday). A period whose year-earlier period lies
in the plan itself (a horizon past one year) uses the plan's own value for
it, grown again; a period with neither is left out, and
[`supply_gaps`][trendcast.supply_gaps] names it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import real_number, require_columns, whole_number
from trendcast.exceptions import DataValidationError, ParameterError

__all__ = ["naive_supply_plan"]


@accepts_frames
def naive_supply_plan(
    sales: pd.DataFrame,
    forecast: pd.DataFrame | None = None,
    *,
    growth: float = 0.02,
    horizon: int | None = None,
    freq: str | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    supply_col: str = "supply",
) -> pd.DataFrame:
    """A naive plan: each period's supply is the same period a year earlier times ``1 + growth``.

    Parameters
    ----------
    sales : DataFrame
        The sales history, long: ``id_col, time_col, target_col`` (as
        [`read_sales`][trendcast.read_sales] returns it).
    forecast : DataFrame, optional
        The forecast to plan for: a plan row for each of its (category,
        period). Without it, ``horizon`` periods after each category's last
        sale.
    growth : float
        Growth over last year (0.02: 2% more; -0.1: 10% less). Above -1.
    horizon : int, optional
        Periods to plan without a forecast (default: one season, e.g. 12
        months or 52 weeks).
    freq : str, optional
        The frequency; inferred from the sales by default.
    id_col, time_col, target_col : str
        Column names of the sales (and of the forecast).
    supply_col : str
        Name of the plan's supply column.

    Returns
    -------
    DataFrame
        ``id_col, time_col, supply_col``: one row per planned period, sorted.

    Raises
    ------
    DataValidationError
        Sales or forecast without the columns, or dates that give no frequency.
    ParameterError
        ``growth`` at or below -1, a bad ``horizon`` or ``freq``.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> weeks = pd.date_range("2023-01-07", periods=60, freq="W-SAT")
    >>> sales = pd.DataFrame({"unique_id": "tents", "ds": weeks, "y": range(60)})
    >>> plan = tc.naive_supply_plan(sales, growth=0.1, horizon=3)
    >>> plan
      unique_id         ds  supply
    0     tents 2024-03-02     8.8
    1     tents 2024-03-09     9.9
    2     tents 2024-03-16    11.0
    """
    require_columns(
        sales,
        [id_col, time_col, target_col],
        "the sales",
        "pass the sales history (e.g. from tc.read_sales) with id_col=, time_col=, target_col=",
    )
    rate = 1.0 + float(real_number("growth", growth, low=-1.0, open_low=True) or 0.0)
    history = sales[[id_col, time_col, target_col]].copy()
    history[time_col] = pd.to_datetime(history[time_col])
    history = history.sort_values([id_col, time_col], kind="stable")
    freq = _frequency(history, freq, id_col, time_col)
    wanted = _wanted(history, forecast, horizon, freq, id_col, time_col)
    known = {
        (k, pd.Timestamp(d)): float(v)
        for k, d, v in zip(history[id_col], history[time_col], history[target_col], strict=True)
    }
    rows = []
    for key, date in zip(wanted[id_col], wanted[time_col], strict=True):
        earlier = year_earlier(pd.Timestamp(date), freq)
        value = known.get((key, earlier))
        if value is None or not np.isfinite(value):
            continue
        known[(key, pd.Timestamp(date))] = value * rate  # later years chain on the plan
        rows.append((key, pd.Timestamp(date), value * rate))
    plan = pd.DataFrame(rows, columns=[id_col, time_col, supply_col])
    plan[time_col] = pd.to_datetime(plan[time_col])
    return plan.sort_values([id_col, time_col], kind="stable").reset_index(drop=True)


def year_earlier(date: pd.Timestamp, freq: str) -> pd.Timestamp:
    """The same period one year before ``date`` at frequency ``freq`` (see the module notes)."""
    kind = freqs.kind_of(freq)
    if kind == "W":
        year, week, weekday = date.isocalendar()
        weeks_before = dt.date(year - 1, 12, 28).isocalendar()[1]  # 52 or 53
        return pd.Timestamp(dt.date.fromisocalendar(year - 1, min(week, weeks_before), weekday))
    if kind == "D":
        return date - pd.Timedelta(days=364)
    earlier = date - pd.DateOffset(years=1)
    if freq.upper().endswith("E") or "E-" in freq.upper():  # period ends: keep month ends
        earlier = earlier + pd.offsets.MonthEnd(0)
    return pd.Timestamp(earlier)


def _frequency(history: pd.DataFrame, freq: str | None, id_col: str, time_col: str) -> str:
    if freq is not None:
        try:
            return freqs.normalize_freq(freq)
        except ValueError as exc:
            raise ParameterError(
                f"freq={freq!r} is not a frequency trendcast supports ({exc}); pass one of "
                f"{freqs.SUPPORTED}"
            ) from exc
    inferred = freqs.infer_freq(history[time_col], history[id_col])
    if inferred is None:
        raise DataValidationError(
            "The sales' frequency cannot be inferred (each category has one date, or the "
            f"spacing matches none of {freqs.SUPPORTED}). Fix: pass freq=..."
        )
    return inferred


def _wanted(
    history: pd.DataFrame,
    forecast: pd.DataFrame | None,
    horizon: int | None,
    freq: str,
    id_col: str,
    time_col: str,
) -> pd.DataFrame:
    """The (category, period) pairs to plan: the forecast's, or ``horizon`` after the sales."""
    if forecast is not None:
        require_columns(
            forecast,
            [id_col, time_col],
            "the forecast",
            "pass the output of TrendForecaster.predict, with the sales' id_col=, time_col=",
        )
        wanted = forecast[[id_col, time_col]].drop_duplicates().copy()
        wanted[time_col] = pd.to_datetime(wanted[time_col])
        return wanted.sort_values([id_col, time_col], kind="stable")
    h = whole_number("horizon", horizon, none=True) or freqs.season_length_of(freq)
    last = history.groupby(id_col, sort=True)[time_col].max()
    pieces = [
        pd.DataFrame({id_col: key, time_col: freqs.future_dates(pd.Timestamp(end), h, freq)})
        for key, end in last.items()
    ]
    return pd.concat(pieces, ignore_index=True)
