"""The planner's workbook: gaps, forecast and summary in one Excel file.

One sheet per table, in the order given; the header row frozen and bold;
probabilities and shares as percentages, quantities with thousands
separators, dates as dates; the reasons in full in a wide wrapped column; and
the rows flagged short filled red, flagged long filled amber, so the sheet
reads like the report. The formats follow the nightly job's export
(``trendcast export``), which writes a stored run the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import format_items
from trendcast.exceptions import MissingDependencyError, ParameterError

__all__ = ["to_excel"]

#: columns read as probabilities or shares (shown as percentages)
SHARES = frozenset(
    {
        "p_short",
        "p_long",
        "p_short_window",
        "max_p_short",
        "max_p_long",
        "shortfall_share",
        "forecast_growth",
        "supply_growth",
        "search_change",
        "coverage_80",
        "coverage_95",
        "wape",
    }
)
#: columns whose text is kept in full (wide, wrapped)
LONG_TEXT = frozenset({"reason", "distribution", "error", "action"})
#: fill colours of flagged rows (light red for short, light amber for long)
FLAG_FILLS = {"short": "FFC7CE", "long": "FFEB9C"}
_SHEET_NAME = 31  # Excel's limit on a sheet name's length


@accepts_frames
def to_excel(
    path: str | os.PathLike[str],
    *,
    gaps: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    **tables: pd.DataFrame,
) -> Path:
    """Write the planner's workbook: one formatted sheet per table.

    Parameters
    ----------
    path : str or path
        The ``.xlsx`` file to write (replaced if it exists; its folder is made).
    gaps : DataFrame, optional
        The output of [`supply_gaps`][trendcast.supply_gaps]: sheet "gaps".
    forecast : DataFrame, optional
        The output of [`TrendForecaster.predict`][trendcast.TrendForecaster.predict]:
        sheet "forecast".
    summary : DataFrame, optional
        The output of [`summarize_gaps`][trendcast.summarize_gaps]: sheet "summary",
        written first.
    **tables : DataFrame
        Other tables, one sheet each, named by the keyword (e.g.
        ``history=sales``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ParameterError
        No table, a table that is not a DataFrame, a path that does not end in
        ``.xlsx``, or a sheet name longer than Excel's 31 characters.
    MissingDependencyError
        Without openpyxl (``pip install "trendcast[excel]"``).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> import trendcast as tc
    >>> months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    >>> fc = pd.DataFrame({"unique_id": "a", "ds": months, "model": "ETS",
    ...                    "mean": 100.0, "lo-80": 80.0, "hi-80": 120.0})
    >>> gaps = tc.supply_gaps(fc, pd.DataFrame({"unique_id": "a", "ds": months,
    ...                                         "supply": [70.0, 75.0]}))
    >>> out = tc.to_excel(pathlib.Path(tempfile.mkdtemp()) / "plan.xlsx", gaps=gaps,
    ...                   forecast=fc, summary=tc.summarize_gaps(gaps))
    >>> pd.ExcelFile(out).sheet_names
    ['summary', 'gaps', 'forecast']
    """
    named = {"summary": summary, "gaps": gaps, "forecast": forecast, **tables}
    sheets = {k: v for k, v in named.items() if v is not None}
    target = Path(path)
    _check(target, sheets)
    try:
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
    except ImportError as exc:
        raise MissingDependencyError(
            'Writing an Excel workbook needs openpyxl. Fix: pip install "trendcast[excel]"'
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            table = _plain(frame)
            table.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name]
            for i, col in enumerate(table.columns, start=1):
                sheet.cell(row=1, column=i).font = Font(bold=True)
                fmt, width = _format(table[col], str(col))
                sheet.column_dimensions[get_column_letter(i)].width = width
                wrap = str(col) in LONG_TEXT
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    if fmt:
                        cell.number_format = fmt
                    if wrap:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
            if "flag" in table.columns:
                fills = {k: PatternFill("solid", fgColor=c) for k, c in FLAG_FILLS.items()}
                for r, flag in enumerate(table["flag"], start=2):
                    fill = fills.get(str(flag))
                    if fill is None:
                        continue
                    for (cell,) in sheet.iter_cols(min_row=r, max_row=r):
                        cell.fill = fill
    return target


def _check(target: Path, sheets: Mapping[str, object]) -> None:
    if target.suffix.lower() != ".xlsx":
        raise ParameterError(f"path must name an .xlsx file, got {str(target)!r}; e.g. 'plan.xlsx'")
    if not sheets:
        raise ParameterError(
            "to_excel needs at least one table: gaps=, forecast=, summary= or another name=frame"
        )
    for name, frame in sheets.items():
        if not isinstance(frame, pd.DataFrame):
            raise ParameterError(f"{name}= must be a DataFrame, got {type(frame).__name__}")
    too_long = [n for n in sheets if len(n) > _SHEET_NAME]
    if too_long:
        raise ParameterError(
            f"sheet names are at most {_SHEET_NAME} characters in Excel: "
            f"{format_items(too_long)}; pass those tables under shorter names"
        )


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy Excel can hold: time-zone-free dates, nullable types as objects."""
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_localize(None)
        elif isinstance(dtype, pd.BooleanDtype | pd.Int64Dtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _format(values: pd.Series, col: str) -> tuple[str | None, float]:
    """The number format and width of a column."""
    width = float(max(10, min(40, len(col) + 2)))
    if col in LONG_TEXT:
        return None, 100.0
    if pd.api.types.is_datetime64_any_dtype(values):
        return "yyyy-mm-dd", 12.0
    if col in SHARES:
        return "0.0%", width
    if pd.api.types.is_bool_dtype(values):
        return None, width
    if pd.api.types.is_integer_dtype(values):
        return "#,##0", width
    if pd.api.types.is_float_dtype(values):
        return "#,##0.00", max(width, 12.0)
    return None, width
