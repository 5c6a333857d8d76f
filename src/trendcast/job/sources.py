"""Read the job's sources (files or SQL queries) into the library's long frames.

Sales come out as ``unique_id, ds, y``, search as ``unique_id, ds, search``,
supply as ``unique_id, ds, supply``, whatever the source's column names; every
problem names the source, the file or query and the column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from trendcast.exceptions import TrendcastError
from trendcast.hierarchy import Hierarchy
from trendcast.io import read_sales
from trendcast.job.config import JobConfig, Source, database_url, resolve_path
from trendcast.job.errors import SourceError

__all__ = ["Inputs", "read_inputs", "read_source"]


@dataclass
class Inputs:
    """Every source of a run, read, renamed and cut at the as-of date."""

    sales: pd.DataFrame
    dropped: list[str]
    supply: dict[str, pd.DataFrame] = field(default_factory=dict)
    search: pd.DataFrame | None = None
    hierarchy: Hierarchy | None = None
    described: dict[str, str] = field(default_factory=dict)


def describe(source: Source, base: Path) -> str:
    """The file or the query of a source, for messages and the report."""
    if source.path is not None:
        return str(resolve_path(source.path, base))
    where = sa.make_url(source.url or "").render_as_string(hide_password=True)
    return f"query {source.query!r} on {where}"


def read_source(source: Source, base: Path, name: str) -> pd.DataFrame:
    """The raw table of one source.

    Raises
    ------
    SourceError
        When the file is missing or unreadable, or the query fails.
    """
    if source.query is not None:
        url = database_url(source.url or "", source.password_env, base, f"[{name}] url")
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                return pd.read_sql(sa.text(source.query), conn)
        except sa.exc.SQLAlchemyError as exc:
            raise SourceError(
                f"[{name}]: the query failed ({exc.__class__.__name__}: "
                f"{str(getattr(exc, 'orig', exc)).strip()}); check query and url in the config"
            ) from exc
        finally:
            engine.dispose()
    path = resolve_path(source.path or "", base)
    if not path.is_file():
        raise SourceError(f"[{name}] path: file {path} does not exist; fix path in the config")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_excel(path, sheet_name=source.sheet or 0)
    except (OSError, ValueError, ImportError) as exc:
        raise SourceError(
            f"[{name}] path: {path} cannot be read as {suffix[1:]} ({exc}); check the file"
        ) from exc


def _columns(
    frame: pd.DataFrame, wanted: dict[str, tuple[str, str]], name: str, where: str
) -> pd.DataFrame:
    """Keep and rename the columns ``{source column: (standard name, config key)}``."""
    missing = [col for col in wanted if col not in frame.columns]
    if missing:
        hints = ", ".join(f"{wanted[c][1]} = {c!r}" for c in missing)
        raise SourceError(
            f"{name} {where}: no column {missing} (it has {list(frame.columns)[:12]}); "
            f"rename the column in the source or change {hints} to the source's column name"
        )
    return frame[list(wanted)].rename(columns={c: v[0] for c, v in wanted.items()})


def _dates(frame: pd.DataFrame, name: str, where: str) -> pd.DataFrame:
    try:
        frame["ds"] = pd.to_datetime(frame["ds"])
    except (ValueError, TypeError) as exc:
        raise SourceError(
            f"[{name}] {where}: the time column has values that are not dates ({exc}); "
            "write them as YYYY-MM-DD"
        ) from exc
    frame["unique_id"] = frame["unique_id"].astype(str)
    return frame


def _sales(config: JobConfig, base: Path, as_of: dt.date) -> tuple[pd.DataFrame, list[str]]:
    src = config.sales
    where = describe(src, base)
    raw = read_source(src, base, "sales")
    frame = _columns(
        raw,
        {
            src.id_col: ("unique_id", "id_col"),
            src.time_col: ("ds", "time_col"),
            src.target_col: ("y", "target_col"),
        },
        "[sales]",
        where,
    )
    frame = _dates(frame, "sales", where)
    frame = frame[frame["ds"] <= pd.Timestamp(as_of)]
    if frame.empty:
        raise SourceError(
            f"[sales] {where}: no rows on or before the as-of date {as_of}; pass a later "
            "--as-of or check the time column"
        )
    try:
        frame = read_sales(frame, freq=config.model.freq, fill=config.model.fill)
    except TrendcastError as exc:
        raise SourceError(f"[sales] {where}: {exc}") from exc
    dropped: list[str] = []
    if src.drop_stale:
        ends = frame.groupby("unique_id")["ds"].max()
        dropped = sorted(ends[ends < ends.max()].index.astype(str))
        frame = frame[~frame["unique_id"].isin(dropped)].reset_index(drop=True)
    return frame[["unique_id", "ds", "y"]], dropped


def read_inputs(config: JobConfig, base: Path, as_of: dt.date) -> Inputs:
    """Read and check every source of ``config`` (sales cut at ``as_of``).

    Raises
    ------
    SourceError
        When a source cannot be read or lacks a column; sales that fail the
        library's checks (gaps, duplicates, negative demand) too.
    """
    sales, dropped = _sales(config, base, as_of)
    inputs = Inputs(sales, dropped, described={"sales": describe(config.sales, base)})
    for s in config.supply:
        key = f"supply {s.name}"
        where = describe(s, base)
        raw = read_source(s, base, f"[supply] {s.name}")
        frame = _columns(
            raw, {s.id_col: ("unique_id", "id_col"), s.time_col: ("ds", "time_col"),
                  s.value_col: ("supply", "value_col")},
            f"[[supply]] {s.name}", where,
        )  # fmt: skip
        frame = _dates(frame, f"[supply] {s.name}", where)
        frame["supply"] = pd.to_numeric(frame["supply"], errors="coerce")
        frame = frame.dropna(subset=["supply"])
        if frame.duplicated(["unique_id", "ds"]).any():
            raise SourceError(
                f"[[supply]] {s.name} {where}: more than one row for a category and period; "
                "sum or de-duplicate them in the source"
            )
        inputs.supply[s.name] = frame
        inputs.described[key] = where
    if config.search is not None:
        q = config.search
        where = describe(q, base)
        raw = read_source(q, base, "search")
        frame = _columns(
            raw, {q.id_col: ("unique_id", "id_col"), q.time_col: ("ds", "time_col"),
                  q.value_col: ("search", "value_col")},
            "[search]", where,
        )  # fmt: skip
        frame = _dates(frame, "search", where)
        inputs.search = frame[frame["ds"] <= pd.Timestamp(as_of)]
        inputs.described["search"] = where
    if config.hierarchy is not None:
        h = config.hierarchy
        where = describe(h, base)
        raw = read_source(h, base, "hierarchy")
        try:
            inputs.hierarchy = Hierarchy.from_frame(raw.astype(str), levels=h.levels)
        except TrendcastError as exc:
            raise SourceError(f"[hierarchy] {where}: {exc}") from exc
        inputs.described["hierarchy"] = where
    return inputs
