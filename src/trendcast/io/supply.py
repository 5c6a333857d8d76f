"""Read a supply plan (planned production, inventory, receipts) from a frame or a file.

A plan is read with the rules of [`read_sales`][trendcast.read_sales] (CSV,
Excel or Parquet; day-first dates, ISO weeks and month labels; thousands
separators; wide sheets; duplicates; several problems at once), but it is not
a history: its dates need not be regular (stock receipts are sparse), so no
frequency is inferred and no gap is filled. ``supply_gaps`` lines the plan up
with the forecast and says what does not match.
"""

from __future__ import annotations

import os

import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import Problems, describe_source
from trendcast.io._checks import (
    Wording,
    check_table,
    distinct_roles,
    load_frame,
    parse_dates,
    parse_values,
)
from trendcast.io._dates import DateOptions
from trendcast.io._files import FileOptions
from trendcast.io._shapes import check_ids, handle_duplicates, to_long
from trendcast.io.sales import ReadOptions, rows_without_id

__all__ = ["read_supply"]

SUPPLY = Wording("supply", "supply value", "units", "0 if nothing is planned")


@accepts_frames
def read_supply(
    source: pd.DataFrame | str | os.PathLike[str],
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    supply_col: str = "supply",
    scenario_col: str | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    sep: str | None = None,
    thousands: str | None = None,
    decimal: str = ".",
    sheet: str | int | None = None,
    layout: str = "auto",
    duplicates: str = "error",
    normalize_ids: bool = False,
) -> pd.DataFrame:
    """Read a supply plan and return it checked, in long format.

    Parameters
    ----------
    source : DataFrame, or path to a CSV, Excel (.xlsx) or Parquet file
        One row per (category, period) with the supply planned, or (wide) one
        period column and one column of supply per category. Other columns
        (a scenario, a price) are kept.
    id_col, time_col, supply_col : str
        Names of the category, period and supply columns.
    scenario_col : str, optional
        Column naming alternative plans: rows may then share a (category,
        period) across scenarios.
    dayfirst, date_format, sep, thousands, decimal, sheet, layout, duplicates, normalize_ids
        As in [`read_sales`][trendcast.read_sales].

    Returns
    -------
    DataFrame
        Sorted by category and period, index reset, dates as ``datetime64``
        and supply as floats, with the caller's column names.

    Raises
    ------
    DataValidationError
        Missing columns, unreadable or ambiguous dates, supply that is not a
        number or is missing, infinite or negative, rows sharing a (category,
        period), all in one message.

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> raw = pd.DataFrame({"Month": ["2025-01", "2025-02"], "Shoes": ["1,200", "1,250"]})
    >>> tc.read_supply(raw, layout="wide", thousands=",")
      unique_id         ds  supply
    0     Shoes 2025-01-01  1200.0
    1     Shoes 2025-02-01  1250.0
    """
    options = ReadOptions(
        dates=DateOptions(dayfirst=dayfirst, date_format=date_format),
        file=FileOptions(sep=sep, thousands=thousands, decimal=decimal, sheet=sheet),
        layout=layout,
        duplicates=duplicates,
        normalize_ids=normalize_ids,
    ).check()
    name = describe_source(source)
    distinct_roles(
        id_col=id_col, time_col=time_col, supply_col=supply_col, scenario_col=scenario_col
    )
    df = load_frame(source, text_columns=(id_col, time_col), options=options.file)
    df.columns = [str(c) for c in df.columns]
    df = to_long(df, options.layout, id_col, time_col, supply_col, name, options.dates)
    df = check_table(
        df,
        [id_col, time_col, supply_col],
        source=name,
        expected=f"columns for the category ({id_col!r}), period ({time_col!r}) and "
        f"supply ({supply_col!r})",
        fix="rename your columns, or name them with id_col=, time_col=, supply_col=; a sheet "
        "with one date column and one column per category is read with layout='wide'",
        unit="category",
    )
    problems = Problems(name)
    rows_without_id(df, id_col, time_col, name, problems)
    df[id_col] = check_ids(df[id_col], options.normalize_ids, source=name, column=id_col)
    dates_ok = False
    with problems.check():
        df[time_col] = parse_dates(df, time_col, id_col, name, options.dates)
        dates_ok = True
    with problems.check():
        df[supply_col] = parse_values(
            df,
            supply_col,
            id_col,
            time_col,
            name,
            allow_negative=False,
            words=SUPPLY,
            marks=(options.file.thousands, options.file.decimal),
        )
    if dates_ok:
        with problems.check():
            df = handle_duplicates(
                df,
                id_col,
                time_col,
                supply_col,
                options.duplicates,
                name,
                extra_keys=(scenario_col,) if scenario_col else (),
            )
    problems.raise_any()
    keys = ([scenario_col] if scenario_col and scenario_col in df.columns else []) + [
        id_col,
        time_col,
    ]
    return df.sort_values(keys, kind="stable").reset_index(drop=True)
