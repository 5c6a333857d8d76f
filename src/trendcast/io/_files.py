"""Read a table from a CSV, Excel or Parquet file the way it was written.

CSV files come with ``,``, ``;`` or tab between fields (``;`` where the
decimal mark is a comma), thousands separators and decimal commas; the field
separator is detected from the header line when ``sep=`` is not given (the
most frequent of the three outside quotes). Excel workbooks (``.xlsx``,
``.xlsm``) need openpyxl (``pip install "trendcast[excel]"``); a workbook
saved under another extension is recognised by its first bytes and named as
such instead of failing with a decoding error.
"""

from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trendcast._validation import format_items
from trendcast.exceptions import DataValidationError, MissingDependencyError, ParameterError

_EXCEL = {".xlsx", ".xlsm"}
_PARQUET = {".parquet", ".pq"}
_SEPARATORS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls


@dataclass(frozen=True)
class FileOptions:
    """How a file is written: field separator, number marks and the Excel sheet."""

    sep: str | None = None
    thousands: str | None = None
    decimal: str = "."
    sheet: str | int | None = None

    def check(self) -> FileOptions:
        """Fail with a ParameterError on options that cannot describe a file."""
        for name, value in (("sep", self.sep), ("thousands", self.thousands)):
            if value is not None and (not isinstance(value, str) or len(value) != 1):
                raise ParameterError(
                    f"{name} must be one character (e.g. ',' ';' '\\t') or None, got {value!r}"
                )
        if not isinstance(self.decimal, str) or len(self.decimal) != 1:
            raise ParameterError(
                f"decimal must be one character ('.' or ','), got {self.decimal!r}"
            )
        if self.thousands is not None and self.thousands == self.decimal:
            raise ParameterError(
                f"thousands={self.thousands!r} and decimal={self.decimal!r} are the same mark; "
                "European files use thousands='.', decimal=','"
            )
        if self.sheet is not None and (
            isinstance(self.sheet, bool) or not isinstance(self.sheet, str | int)
        ):
            raise ParameterError(
                f"sheet must be a sheet name or a 0-based position, got {self.sheet!r}"
            )
        return self


def read_file(path: Path, options: FileOptions, text_columns: tuple[str, ...]) -> pd.DataFrame:
    """The table in ``path`` (CSV, Excel or Parquet by extension and content)."""
    suffix = path.suffix.lower()
    name = str(path)
    head = path.read_bytes()[:8]
    if suffix in _EXCEL or (suffix not in _PARQUET and head.startswith(_ZIP_MAGIC)):
        if suffix not in _EXCEL:
            raise DataValidationError(
                f"In file '{name}': the file is an Excel workbook (or another zip archive), "
                "not text. Fix: rename it to .xlsx so that trendcast reads it as Excel, or "
                "save it as CSV."
            )
        return _read_excel(path, options, text_columns)
    if head.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise DataValidationError(
            f"In file '{name}': the file is a legacy Excel .xls workbook, which trendcast "
            "does not read. Fix: save it as .xlsx or CSV in Excel."
        )
    if suffix in _PARQUET:
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise MissingDependencyError(
                'Reading Parquet needs pyarrow. Fix: pip install "trendcast[parquet]"'
            ) from exc
    return _read_csv(path, options, text_columns, suffix)


def _read_excel(path: Path, options: FileOptions, text_columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"Reading the Excel file '{path}' needs openpyxl. "
            'Fix: pip install "trendcast[excel]" (or save the sheet as CSV).'
        ) from exc
    sheet = 0 if options.sheet is None else options.sheet
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names = list(book.sheet_names)
            if isinstance(sheet, str) and sheet not in names:
                raise DataValidationError(
                    f"In file '{path}': there is no sheet {sheet!r}. Expected one of the "
                    f"workbook's sheets; found {format_items(names)}. Fix: pass sheet= one of "
                    "those names (or its 0-based position)."
                )
            if isinstance(sheet, int) and not 0 <= sheet < len(names):
                raise DataValidationError(
                    f"In file '{path}': sheet={sheet} is past the last sheet. Expected a "
                    f"position from 0 to {len(names) - 1}; found sheets {format_items(names)}. "
                    "Fix: pass sheet= a name or a position in that range."
                )
            if options.sheet is None and len(names) > 1:
                import logging

                logging.getLogger(__name__).info(
                    "%s: read the first of %d sheets (%r); pass sheet= for another",
                    path,
                    len(names),
                    names[0],
                )
            frame = pd.read_excel(
                book, sheet_name=sheet, dtype=dict.fromkeys(text_columns, "string") or None
            )
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataValidationError):
            raise
        raise DataValidationError(
            f"In file '{path}': the file could not be read as an Excel workbook ({exc}). "
            "Fix: open and save it again in Excel as .xlsx, or save the sheet as CSV."
        ) from exc
    return frame


def _read_csv(
    path: Path, options: FileOptions, text_columns: tuple[str, ...], suffix: str
) -> pd.DataFrame:
    sep = options.sep
    if sep is None:
        sep = detect_separator(path) if suffix in {".csv", ".txt", ".tsv", ""} else None
    dtype = dict.fromkeys(text_columns, "string")
    thousands, decimal = options.thousands, options.decimal
    if sep is None:
        return pd.read_csv(
            path, sep=None, engine="python", dtype=dtype, thousands=thousands, decimal=decimal
        )
    frame = pd.read_csv(
        path, sep=sep, encoding="utf-8-sig", dtype=dtype, thousands=thousands, decimal=decimal
    )
    check_header(path, str(path), sep)
    return frame


def detect_separator(path: Path) -> str:
    """The field separator of a CSV: the most frequent of ``,`` ``;`` tab in its header line.

    Quoted text is skipped. A header with none of them (one column) reads as ``,``.
    """
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    outside = []
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    counts = {s: outside.count(s) for s in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def check_header(path: Path, name: str, sep: str = ",") -> None:
    """Fail on a CSV header that names a column twice (pandas would rename the second 'a.1')."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle, delimiter=sep), [])
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataValidationError(
            f"In file '{name}': the header names {format_items(repeated)} more than once. "
            "Fix: give every column a distinct name."
        )


def source_path(source: object) -> Path | None:
    """The path of a file source, None for anything else."""
    if isinstance(source, str | os.PathLike):
        return Path(source)
    return None
