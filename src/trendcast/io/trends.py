"""Read Google Trends exports (website CSV downloads and pytrends frames).

Every layout seen in real downloads is recognised by its structure, not by the
words of one interface language: the header is the line just above the first
line that starts with a date, and a ``term: (geo)`` header names the term and
the place. Layouts read:

1. the classic web export: an optional ``Category: ...`` line (any language,
   ASCII or full-width colon, no-break spaces), a blank line, then
   ``Week,term: (Geo)`` (or ``Month``, ``Day``, ``Mois``, ``semaine``,
   ``Maand``, ``Hafta``, ``Ay``, ``월``...), one or several terms;
2. a category-only query, whose column is ``Geo: <place>``: the term is the
   category named in the ``Category`` line (or the file name when that line
   was deleted);
3. the newer quoted layout ``"Time","term",...`` with no category line and no
   place in the header (pass ``geo=`` to name it);
4. the 2011 Google Insights for Search file: preamble lines, week ranges
   ``"2004-01-04 - 2004-01-10"`` dated by their first day, values relative to
   the first week (decimals, negative), empty future weeks (dropped) and the
   ``Top searches`` / ``Rising searches`` tables after the series (ignored);
5. pytrends ``interest_over_time()``: a ``date`` column (or the date index of
   a DataFrame) with an optional ``isPartial`` column.

Files re-saved by spreadsheets (trailing commas, ``,`` lines, no final
newline, semicolons or tabs), CRLF line ends, a byte-order mark, UTF-16 and
legacy Windows code pages are read too.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import count, format_items, show, text_value
from trendcast._warnings import warn
from trendcast.exceptions import DataValidationError, DataWarning, ParameterError

__all__ = ["read_google_trends"]

logger = logging.getLogger(__name__)

#: Columns of the frame the search readers return, in order.
SEARCH_COLUMNS = ["ds", "term", "geo", "value", "below_one", "is_partial", "source"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+-\s+(\d{4}-\d{2}-\d{2})$")
_BELOW_ONE = re.compile(r"^<\s*1$")
_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}")
_TERM_GEO = re.compile(r"^(?P<term>.*?):\s*\((?P<geo>[^()]*)\)\s*$")
_GEO_ONLY = re.compile(r"^Geo:\s*(?P<geo>.+?)\s*$", re.IGNORECASE)
_LABEL = re.compile(r"^(?P<label>[^:：]{1,40}?)[\s\u00a0]*[:：][\s\u00a0]*(?P<value>.+?)\s*$")
_INSIGHTS_GEO = re.compile(r"^(?P<geo>[^;]+);\s*(?:\d{4}|[A-Za-z]{3}\s+\d{4})")
# bytes that make cp1252 text look Icelandic but are common Turkish letters in cp1254
_CP1254_HINT = set("ÐÝÞðýþ")

_Source = str | os.PathLike[str] | pd.DataFrame


@dataclass
class _Parsed:
    """One export, parsed: the long rows and what was learned about the file."""

    frame: pd.DataFrame
    layout: str
    category: str | None
    freq: str | None
    encoding: str | None
    notes: list[str] = field(default_factory=list)


@accepts_frames
def read_google_trends(
    source: str | os.PathLike[str] | pd.DataFrame | Sequence[str | os.PathLike[str] | pd.DataFrame],
    *,
    geo: str | None = None,
    encoding: str | None = None,
    below_one: float = 0.5,
) -> pd.DataFrame:
    """Read Google Trends exports into one long frame.

    Parameters
    ----------
    source : path, DataFrame, or a list of them
        CSV files downloaded from trends.google.com (any interface language,
        weekly, monthly or daily, one or several terms), files written by
        pytrends, or the DataFrame pytrends' ``interest_over_time()`` returns.
        Several sources are stacked; the ``source`` column tells them apart
        (overlapping windows of one term are put on one scale by
        [`stitch_trends`][trendcast.stitch_trends]).
    geo : str, optional
        The place, for layouts that do not name it (the quoted ``"Time"``
        layout and pytrends). Ignored where the header says it.
    encoding : str, optional
        Text encoding of the files. By default UTF-8 (with or without a
        byte-order mark) or UTF-16 (with one); otherwise a Windows code page
        is guessed (1252, or 1254 for Turkish letters) with a ``DataWarning``.
    below_one : float
        The number that stands for Google's ``<1`` ("more than zero but less
        than 1"). The ``below_one`` column flags those cells.

    Returns
    -------
    DataFrame
        Columns ``ds`` (period start), ``term``, ``geo`` (empty when the
        export does not say), ``value`` (float; 0-100 for web and pytrends
        exports, relative to the first week for 2011 Google Insights files),
        ``below_one`` (the cell read ``<1``), ``is_partial`` (pytrends'
        ``isPartial``; web exports do not mark the last, usually incomplete,
        period) and ``source`` (file name, or ``frame-<i>`` for DataFrames).
        Sorted by source, term, geo and date. ``attrs["freq"]`` holds the
        frequency when all sources share one; ``attrs["sources"]`` describes
        each source (layout, category, frequency, encoding).

    Raises
    ------
    DataValidationError
        When a file is not a Google Trends export or is damaged. The message
        names the file, the line (1-based, as an editor shows it), what was
        expected and found, and the fix.
    ParameterError
        For ``below_one`` outside 0..1, or ``encoding``/``geo`` that are not text.

    Examples
    --------
    >>> import trendcast as tc
    >>> from trendcast.datasets import nl_google_trends_files
    >>> trends = tc.read_google_trends(nl_google_trends_files()[0])
    >>> trends[["ds", "term", "geo", "value"]].head(2)
              ds    term        geo  value
    0 2019-01-01  Adidas  Nederland   49.0
    1 2019-02-01  Adidas  Nederland   49.0
    >>> trends.attrs["freq"]
    'MS'
    """
    items = _source_items(source)
    text_value("encoding", encoding, none=True)
    text_value("geo", geo, none=True)
    if not _is_real(below_one) or not 0 <= below_one <= 1:
        raise ParameterError(
            f"below_one={below_one!r} is not a valid stand-in for '<1'. Expected a number from "
            "0 to 1. Fix: pass below_one=0.5 (the default) or 0."
        )
    parsed = [_parse_item(item, i, geo, encoding, below_one) for i, item in enumerate(items)]
    _name_sources_apart(parsed)
    return _stack(parsed)


def _source_items(source: _Source | Sequence[_Source]) -> list[_Source]:
    """The sources as a list, at least one."""
    items: list[_Source]
    if isinstance(source, str | os.PathLike | pd.DataFrame):
        items = [source]
    else:
        items = list(source)
    if not items:
        raise DataValidationError(
            "No Google Trends source was given. Expected a path, a DataFrame or a list of them; "
            "found an empty list. Fix: pass at least one export."
        )
    return items


def _parse_item(
    item: object, i: int, geo: str | None, encoding: str | None, below_one: float
) -> _Parsed:
    """Parse source number ``i``: a pytrends frame or an export file."""
    if isinstance(item, pd.DataFrame):
        return _parse_frame(item, f"frame-{i}", geo=geo, below_one=below_one)
    if isinstance(item, str | os.PathLike):
        return _parse_file(Path(item), geo=geo, encoding=encoding, below_one=below_one)
    raise DataValidationError(
        f"Cannot read Google Trends data from a {type(item).__name__} (item {i}). "
        "Expected a file path or a pytrends DataFrame. Fix: pass paths or DataFrames."
    )


def _name_sources_apart(parsed: list[_Parsed]) -> None:
    """Suffix ``#<i>`` to the source of a file whose name an earlier source has."""
    names: set[str] = set()
    for i, one in enumerate(parsed):
        name = str(one.frame["source"].iloc[0]) if len(one.frame) else f"item-{i}"
        if name in names:  # two files with one name in different folders
            one.frame["source"] = f"{name}#{i}"
        names.add(str(one.frame["source"].iloc[0]) if len(one.frame) else name)


def _stack(parsed: list[_Parsed]) -> pd.DataFrame:
    """All sources in one sorted frame, with the frequency and each source described."""
    out = pd.concat([p.frame for p in parsed], ignore_index=True)
    out = out.sort_values(["source", "term", "geo", "ds"], kind="stable").reset_index(drop=True)
    found = {p.freq for p in parsed}
    if len(found) == 1:
        out.attrs["freq"] = found.pop()
    out.attrs["sources"] = [
        {
            "source": str(p.frame["source"].iloc[0]) if len(p.frame) else "",
            "layout": p.layout,
            "category": p.category,
            "freq": p.freq,
            "encoding": p.encoding,
        }
        for p in parsed
    ]
    return out


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


# ---------------------------------------------------------------------------
# files


def _decode(raw: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Decode the bytes of an export; return the text and the encoding used."""
    if encoding is not None:
        try:
            return raw.decode(encoding).lstrip("\ufeff"), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataValidationError(
                f"In file '{path}': the file cannot be decoded as {encoding!r} ({exc}). "
                "Fix: pass the encoding the file was saved in, or encoding=None to detect it."
            ) from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16").lstrip("\ufeff"), "utf-16"
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    chosen = "cp1252"
    if _CP1254_HINT & set(text):
        text, chosen = raw.decode("cp1254", errors="replace"), "cp1254"
    message = (
        f"{path}: the file is not UTF-8; read it as {chosen} (Windows code page). "
        "If names look wrong, pass encoding=... (e.g. 'cp1254' Turkish, 'cp1250' "
        "Central European, 'cp1251' Cyrillic, 'gbk' Chinese)."
    )
    warn(message, DataWarning)
    return text, chosen


def _delimiter(lines: list[str]) -> str:
    """The field separator: the one that splits the lines that start with a date."""
    for line in lines:
        stripped = line.strip().lstrip('"')
        if _DAY.match(stripped[:10]) or _MONTH.match(stripped[:7]):
            rest = stripped[7:]
            for sep in (",", ";", "\t"):
                if sep in rest:
                    return sep
    return ","


def _is_date(cell: str) -> bool:
    cell = cell.strip()
    return bool(_DAY.match(cell) or _MONTH.match(cell) or _RANGE.match(cell) or _HOUR.match(cell))


def _parse_file(path: Path, *, geo: str | None, encoding: str | None, below_one: float) -> _Parsed:
    if not path.is_file():
        raise DataValidationError(
            f"In file '{path}': the file does not exist or is not a file. "
            f"Fix: check the path (relative paths start from {Path.cwd()})."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataValidationError(
            f"In file '{path}': the file cannot be opened ({exc}). Fix: check its permissions."
        ) from exc
    text, used = _decode(raw, path, encoding)
    if not text.strip():
        raise DataValidationError(
            f"In file '{path}': the file is empty. Expected a Google Trends export "
            "(a header line such as 'Week,term: (Geo)' followed by dated rows). "
            "Fix: download the export again."
        )
    sep = _delimiter(text.splitlines()[:50])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[tuple[int, list[str]]] = []  # (1-based line where the row ends, cells)
    try:
        for cells in reader:
            rows.append((reader.line_num, [c.replace("\u00a0", " ").strip() for c in cells]))
    except csv.Error as exc:
        raise DataValidationError(
            f"In file '{path}', line {reader.line_num}: the line cannot be split into fields "
            f"({exc}). Fix: download the export again, or repair the quotes on that line."
        ) from exc
    return _parse_rows(rows, path, geo=geo, below_one=below_one, encoding=used)


def _not_export(path: Path, rows: list[tuple[int, list[str]]]) -> DataValidationError:
    """Explain why a file with no dated lines is not a Google Trends time series."""
    first = [(n, cells) for n, cells in rows if any(cells)][:3]
    seen = "; ".join(f"line {n}: {show(','.join(cells))}" for n, cells in first)
    header = first[0][1] if first else []
    lower = [c.lower() for c in header]
    if any("ispartial" == c for c in lower) and not any(c in {"date", "time"} for c in lower):
        why = (
            "it is a pytrends frame saved without its date index (an 'isPartial' column but no "
            "'date' column), so the dates of the rows are lost"
        )
        fix = (
            "save it again with the index, df.to_csv(path) (not index=False), or pass the "
            "DataFrame from interest_over_time() itself"
        )
    elif any(
        cells and re.search(r"\d%$", cells[-1] if cells[-1] else "") for _, cells in rows[:10]
    ) or (
        header and header[0].lower() in {"region", "country", "city", "metro", "dma", "subregion"}
    ):
        why = (
            "it is an 'Interest by region' export (places and percentages), not interest over time"
        )
        fix = "download the 'Interest over time' chart instead (the first chart on the page)"
    elif (
        header
        and not any(_is_date(c) for c in header)
        and len(first) > 1
        and first[1][1]
        and (_is_date(first[1][1][0]) is False)
    ):
        why = (
            "no line starts with a date as Google writes it (YYYY-MM-DD, YYYY-MM or a week "
            "range 'YYYY-MM-DD - YYYY-MM-DD'); it does not look like a Google Trends export"
        )
        fix = (
            "for a table assembled by hand or another source, reshape it to long format "
            "(date, term, value) and use trendcast.read_search"
        )
    else:
        why = "no line starts with a date (YYYY-MM-DD, YYYY-MM or 'YYYY-MM-DD - YYYY-MM-DD')"
        fix = (
            "download the export again; for other sources use trendcast.read_search with a "
            "long frame (date, term, value)"
        )
    return DataValidationError(
        f"In file '{path}': {why}. Expected a Google Trends export such as 'Week,term: (Geo)' "
        f"followed by lines like '2024-01-07,42'; found {seen or 'no text'}. Fix: {fix}."
    )


@dataclass
class _Header:
    """The header line of an export and what it says about the series below it."""

    line: int  # 1-based line number
    cells: list[str]  # trailing empty cells removed
    series: list[tuple[int, str, str]]  # (column, term, geo)
    partial_at: int | None  # the isPartial column of pytrends files
    layout: str
    category: str | None


def _parse_rows(
    rows: list[tuple[int, list[str]]],
    path: Path,
    *,
    geo: str | None,
    below_one: float,
    encoding: str | None,
) -> _Parsed:
    """Parse the cells of an export (a file, or a pytrends frame written out as cells)."""
    start = _first_dated(rows, path)
    head = _read_header(rows, start, path, geo)
    data = _dated_block(rows, start, path)
    ds = _read_dates(data, head, path)
    pieces = _read_series(data, head, ds, path, below_one)
    _check_increasing(ds, data, path)
    freq = _infer(ds, path, data)
    frame = pd.concat(pieces, ignore_index=True)
    frame["term"] = frame["term"].astype(object)
    frame["geo"] = frame["geo"].astype(object)
    frame["source"] = frame["source"].astype(object)
    return _Parsed(
        frame=frame, layout=head.layout, category=head.category, freq=freq, encoding=encoding
    )


def _first_dated(rows: list[tuple[int, list[str]]], path: Path) -> int:
    """Index of the first dated row, which must have a header line just above it."""
    start = next(
        (i for i, (_, cells) in enumerate(rows) if cells and _is_date(cells[0])),
        None,
    )
    if start is None:
        raise _not_export(path, rows)
    if start == 0 or not any(rows[start - 1][1]):
        line = rows[start][0]
        raise DataValidationError(
            f"In file '{path}', line {line}: the dated lines have no header line above them "
            f"naming the terms. Expected a header such as 'Week,term: (Geo)' just above; "
            f"found {show(','.join(rows[start][1]))} "
            f"{'as the first line' if start == 0 else 'after a blank line'}. Fix: this is not "
            "an unmodified export; add the header line back, or use trendcast.read_search."
        )
    return start


def _read_header(
    rows: list[tuple[int, list[str]]], start: int, path: Path, geo: str | None
) -> _Header:
    """The layout, category and series named by the preamble and the header line."""
    header_line, header = rows[start - 1]
    preamble = [cells for _, cells in rows[: start - 1] if any(cells)]
    category, insights_geo = _read_preamble(preamble)
    layout = "classic" if category is not None else "new"
    if insights_geo is not None or any(
        "interest over time" in " ".join(c).lower() for c in preamble
    ):
        layout = "insights-2011"
    # trailing empty header cells come from spreadsheet re-saves
    while len(header) > 1 and header[-1] == "":
        header = header[:-1]
    if len(header) < 2:
        raise DataValidationError(
            f"In file '{path}', line {header_line}: the header names no term. Expected the date "
            f"column and at least one term, e.g. 'Week,term: (Geo)'; found "
            f"{show(','.join(header))}. Fix: download the export again."
        )
    lower = [h.lower() for h in header]
    if lower[0] in {"date", "time"} and "ispartial" in lower:
        layout = "pytrends"
    elif lower[0] == "date" and layout == "new":
        layout = "pytrends"
    head = _Header(
        line=header_line,
        cells=header,
        series=[],
        partial_at=lower.index("ispartial") if "ispartial" in lower else None,
        layout=layout,
        category=category,
    )
    _read_terms(head, path, category if category else path.stem, insights_geo or geo or "")
    return head


def _read_terms(head: _Header, path: Path, category_term: str, default_geo: str) -> None:
    """Fill ``head.series`` from the term columns (a category-only query names a place only)."""
    for j, name in enumerate(head.cells[1:], start=1):
        if j == head.partial_at:
            continue
        if name == "":
            raise DataValidationError(
                f"In file '{path}', line {head.line}, column {j + 1}: the column has no name. "
                "Expected a term such as 'walmart: (United States)'. Fix: name the column or "
                "delete it."
            )
        m_geo = _GEO_ONLY.match(name)
        m_term = _TERM_GEO.match(name)
        if m_geo:  # category-only query: the category is the series
            head.series.append((j, category_term, m_geo.group("geo")))
            head.layout = "classic-category"
        elif m_term:
            head.series.append((j, m_term.group("term").strip(), m_term.group("geo").strip()))
            if head.layout == "new":
                head.layout = "classic"
        else:
            head.series.append((j, name, default_geo))
    if not head.series:  # the date column and isPartial only
        raise DataValidationError(
            f"In file '{path}', line {head.line}: the header names no term, only "
            f"{show(','.join(head.cells))}. Expected the date column and at least one term, e.g. "
            "'Week,term: (Geo)'. Fix: download the export again."
        )
    dup = pd.Series([(t, g) for _, t, g in head.series]).duplicated()
    if dup.any():
        twice = [
            f"{t} ({g})" if g else t for (_, t, g), d in zip(head.series, dup, strict=True) if d
        ]
        raise DataValidationError(
            f"In file '{path}', line {head.line}: the term {format_items(twice)} appears in "
            "two columns. Expected each term once per export. Fix: delete the repeated column."
        )


def _dated_block(
    rows: list[tuple[int, list[str]]], start: int, path: Path
) -> list[tuple[int, list[str]]]:
    """The dated lines from ``start`` on; no dated line may follow a break."""
    data: list[tuple[int, list[str]]] = []
    for line, cells in rows[start:]:
        if not cells or not _is_date(cells[0]):
            break  # a blank line or the next table (Google Insights) ends the series
        data.append((line, cells))
    for line, cells in rows[start + len(data) :]:
        if cells and _is_date(cells[0]):
            raise DataValidationError(
                f"In file '{path}', line {line}: a dated line follows a break after line "
                f"{data[-1][0]}. Expected one block of dated lines; found "
                f"{show(','.join(cells))}. Fix: remove the blank line(s) inside the series, "
                "or split the file."
            )
    return data


def _read_dates(data: list[tuple[int, list[str]]], head: _Header, path: Path) -> pd.DatetimeIndex:
    """The date of each dated line, checking that no line has more fields than the header."""
    dates: list[pd.Timestamp] = []
    for line, cells in data:
        dates.append(_parse_date(cells[0], path, line))
        extra = [c for c in cells[len(head.cells) :] if c != ""]
        if extra:
            raise DataValidationError(
                f"In file '{path}', line {line}: the line has {len(cells)} fields but the "
                f"header (line {head.line}) names {len(head.cells)}. Expected one value per "
                f"term; found {show(','.join(cells))}. Fix: repair the line or download again."
            )
    return pd.DatetimeIndex(dates)


def _read_series(
    data: list[tuple[int, list[str]]],
    head: _Header,
    ds: pd.DatetimeIndex,
    path: Path,
    below_one: float,
) -> list[pd.DataFrame]:
    """One long frame per term: its values, ``<1`` cells and pytrends' partial flags."""
    relative = head.layout == "insights-2011"
    pieces = []
    partial = np.zeros(len(data), dtype=bool)
    if head.partial_at is not None:
        at = head.partial_at
        partial = np.array([_parse_flag(c[at] if at < len(c) else "", path, ln) for ln, c in data])
    for j, term, place in head.series:
        values = np.empty(len(data))
        low = np.zeros(len(data), dtype=bool)
        for k, (line, cells) in enumerate(data):
            cell = cells[j] if j < len(cells) else ""
            values[k], low[k] = _parse_value(
                cell, path, line, head.cells[j], relative=relative, below_one=below_one
            )
        keep = ~np.isnan(values)  # Insights leaves future weeks empty
        if not relative and (~keep).any():
            k = int(np.flatnonzero(~keep)[0])
            raise DataValidationError(
                f"In file '{path}', line {data[k][0]}, column {show(head.cells[j])}: the value "
                f"is empty. Expected a number from 0 to 100 or '<1'; found an empty cell "
                f"({count(int((~keep).sum()), 'empty cell')} in that column). Fix: download the "
                "export again; Google writes 0 for no searches."
            )
        pieces.append(
            pd.DataFrame(
                {
                    "ds": ds[keep],
                    "term": term,
                    "geo": place,
                    "value": values[keep],
                    "below_one": low[keep],
                    "is_partial": partial[keep],
                    "source": path.name,
                }
            )
        )
    return pieces


def _check_increasing(ds: pd.DatetimeIndex, data: list[tuple[int, list[str]]], path: Path) -> None:
    """Fail unless the dates increase, one line per period."""
    if ds.has_duplicates or not ds.is_monotonic_increasing:
        k = next(i for i in range(1, len(ds)) if ds[i] <= ds[i - 1])
        raise DataValidationError(
            f"In file '{path}', line {data[k][0]}: the date {show(ds[k])} does not come after "
            f"{show(ds[k - 1])} (line {data[k - 1][0]}). Expected increasing dates, one line per "
            "period. Fix: sort the lines and remove repeated dates, or download again."
        )


def _read_preamble(preamble: list[list[str]]) -> tuple[str | None, str | None]:
    """The category named in a classic preamble, and the place of a 2011 Insights file."""
    category = None
    insights_geo = None
    for cells in preamble:
        text = ",".join(c for c in cells if c)
        if not text:
            continue
        m_geo = _INSIGHTS_GEO.match(text)
        if m_geo:
            insights_geo = m_geo.group("geo").strip()
            continue
        m = _LABEL.match(text)
        if m and category is None:
            category = m.group("value").strip()
    return category, insights_geo


def _parse_date(cell: str, path: Path, line: int) -> pd.Timestamp:
    cell = cell.strip()
    if _HOUR.match(cell):
        raise DataValidationError(
            f"In file '{path}', line {line}: the export is hourly ({show(cell)}). Expected daily, "
            "weekly or monthly periods; trendcast works with days or longer. Fix: download a "
            "range of at least 9 months (weekly) or up to 9 months (daily)."
        )
    m = _RANGE.match(cell)
    text = m.group(1) if m else cell
    try:
        return pd.Timestamp(text + ("-01" if _MONTH.match(text) else ""))
    except ValueError as exc:
        raise DataValidationError(
            f"In file '{path}', line {line}: {show(cell)} is not a calendar date. Expected "
            "YYYY-MM-DD or YYYY-MM. Fix: correct the date or download the export again."
        ) from exc


def _infer(ds: pd.DatetimeIndex, path: Path, data: list[tuple[int, list[str]]]) -> str | None:
    if len(ds) < 2:
        return None
    found = freqs.infer_freq(pd.Series(ds), pd.Series(np.zeros(len(ds))))
    if found is not None and freqs.kind_of(found) in {"D", "W", "M"}:
        steps = np.diff(freqs.period_number(ds, found))
        if (steps == 1).all():
            return found
        k = int(np.flatnonzero(steps != 1)[0]) + 1
        problem = f"{count(int(steps[k - 1]) - 1, 'period')} missing before it"
    else:
        k = 1
        problem = "the spacing of the dates matches no daily, weekly or monthly frequency"
    raise DataValidationError(
        f"In file '{path}', line {data[k][0]}: the dates are not regular at {show(ds[k])} "
        f"({problem}). Expected one line per day, week or month without gaps. Fix: download the "
        "export again (Google writes every period, with 0 for no searches)."
    )


def _parse_value(
    cell: str, path: Path, line: int, column: str, *, relative: bool, below_one: float
) -> tuple[float, bool]:
    text = cell.strip().strip('"')
    if text == "":
        return float("nan"), False
    if _BELOW_ONE.match(text):  # '<1'; the French interface writes '< 1'
        return below_one, True
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if np.isnan(value) or not np.isfinite(value) or (not relative and not 0 <= value <= 100):
        raise DataValidationError(
            f"In file '{path}', line {line}, column {show(column)}: {show(cell)} is not a "
            "search-interest value. Expected a number from 0 to 100 or '<1' (Google Trends "
            "rescales every export to 0-100). Fix: if this file is not an unmodified Google "
            "Trends export, reshape it to long format and use trendcast.read_search."
        )
    return value, False


def _parse_flag(cell: str, path: Path, line: int) -> bool:
    text = cell.strip().lower()
    if text in {"true", "1"}:
        return True
    if text in {"false", "0", ""}:
        return False
    raise DataValidationError(
        f"In file '{path}', line {line}, column 'isPartial': {show(cell)} is not True/False. "
        "Expected True or False as pytrends writes them. Fix: correct the value."
    )


# ---------------------------------------------------------------------------
# pytrends DataFrames


def _parse_frame(df: pd.DataFrame, name: str, *, geo: str | None, below_one: float) -> _Parsed:
    frame = df.copy()
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.reset_index(names="date" if frame.index.name is None else None)
    frame.columns = [str(c) for c in frame.columns]
    lower = {c.lower(): c for c in frame.columns}
    time_col = lower.get("date") or lower.get("time") or lower.get("ds")
    if time_col is None:
        raise DataValidationError(
            f"In the input frame ({name}): no date column or date index. Expected the frame "
            "pytrends' interest_over_time() returns (a DatetimeIndex named 'date', one column "
            f"per term, 'isPartial'); found columns {format_items(frame.columns)}. Fix: pass "
            "that frame unchanged, or use trendcast.read_search for other frames."
        )
    header = [time_col, *[c for c in frame.columns if c != time_col]]
    rows: list[tuple[int, list[str]]] = [(1, header)]
    for k, (_, rec) in enumerate(frame[header].iterrows()):
        cells = [_cell_text(v) for v in rec.tolist()]
        rows.append((k + 2, cells))
    parsed = _parse_rows(rows, Path(name), geo=geo, below_one=below_one, encoding=None)
    parsed.layout = "pytrends"
    return parsed


def _cell_text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else value.isoformat()
    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)
