"""``trendcast export``: what a planner opens, from a stored run.

Excel: one sheet per table (run, flags, gaps, forecasts, failures, accuracy,
drift, sectors, hotspots, emerging), frozen header row, number formats
(probabilities as percentages, amounts with thousands separators, dates as
dates) and the flags' reasons in full in a wide, wrapped column. CSV and
Parquet: one table (the flags by default).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trendcast.job.errors import ConfigError
from trendcast.store import COLUMNS, Store

__all__ = ["SHEETS", "export_run", "run_tables"]

SHEETS = ("flags", "gaps", "forecasts", "failures", "accuracy", "drift", "sectors", "hotspots",
          "emerging", "fit_reports")  # fmt: skip
SHARES = ("p_short", "p_long", "p_short_window", "max_p_short", "max_p_long", "shortfall_share",
          "coverage_80", "coverage_95", "wape", "bias", "forecast_growth", "supply_growth",
          "growth", "growth_lo", "growth_hi")  # fmt: skip


def run_tables(store: Store, run_id: int) -> dict[str, pd.DataFrame]:
    """The run's tables without store bookkeeping columns (``id``, ``run_id``)."""
    out = {}
    for name in SHEETS:
        frame = store.read(name, run_id).drop(columns=["id", "run_id"])
        if name == "flags" and len(frame):
            frame = frame.sort_values(["supply", "rank"], kind="stable")
        out[name] = frame
    return out


def _excel(path: Path, run: dict, tables: dict[str, pd.DataFrame]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    summary = pd.DataFrame({"field": list(run), "value": [str(v) for v in run.values()]})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in {"run": summary, **tables}.items():
            frame.to_excel(writer, sheet_name=name, index=False, freeze_panes=(1, 0))
            sheet = writer.sheets[name]
            for i, col in enumerate(frame.columns, start=1):
                letter = get_column_letter(i)
                sheet.cell(row=1, column=i).font = Font(bold=True)
                kind = COLUMNS.get(name, {}).get(str(col))
                fmt, width = None, max(10, min(40, len(str(col)) + 2))
                if col in SHARES:
                    fmt = "0.0%"
                elif kind == "float":
                    fmt = "#,##0.00"
                elif kind in ("datetime", "date"):
                    fmt, width = "yyyy-mm-dd", 12
                elif col in ("reason", "error", "action", "value"):
                    width = 100
                sheet.column_dimensions[letter].width = width
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    if fmt:
                        cell.number_format = fmt
                    if width == 100:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")


def export_run(store: Store, ref: str, target: Path, table: str = "flags") -> Path:
    """Write a run's tables to ``target`` (``.xlsx``, ``.csv`` or ``.parquet``).

    Raises
    ------
    ConfigError
        When the suffix or the table name is not one of those listed.
    """
    run = store.get_run(ref)
    tables = run_tables(store, int(run["id"]))
    suffix = target.suffix.lower()
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        _excel(target, run, tables)
        return target
    if table not in tables:
        raise ConfigError(f"--table {table!r} is not a table; use one of {', '.join(SHEETS)}")
    if suffix == ".csv":
        tables[table].to_csv(target, index=False)
    elif suffix in (".parquet", ".pq"):
        tables[table].to_parquet(target, index=False)
    else:
        raise ConfigError(
            f"--to {target}: suffix {suffix!r} is not one of .xlsx, .csv, .parquet; "
            "name the file flags.xlsx, flags.csv or flags.parquet"
        )
    return target
