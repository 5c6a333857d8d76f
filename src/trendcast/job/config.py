"""``trendcast.toml``: the nightly job's configuration, validated with pydantic.

Every error names the file, the key, the value given and the fix (see
``docs/nightly.md`` for every key). Relative paths are relative to the
config file's folder; secrets (database passwords) come from environment
variables named in the file (``password_env``), never from the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trendcast.job.errors import ConfigError

__all__ = ["JobConfig", "load_config", "MODEL_NAMES"]

#: model names accepted in ``[model] models``
MODEL_NAMES = (
    "ARIMA", "CES", "Croston", "Drift", "DynamicTheta", "ETS", "IntermittentDemand", "Naive",
    "PooledRegression", "SBA", "SeasonalNaive", "TSB", "Theta", "WindowAverage",
)  # fmt: skip


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Section):
    """Where a table comes from: a file (CSV, Parquet, Excel) or an SQL query."""

    path: str | None = Field(default=None, description="CSV, Parquet or Excel file")
    sheet: str | int | None = Field(default=None, description="Excel sheet (default: the first)")
    query: str | None = Field(default=None, description="SQL query, with url")
    url: str | None = Field(default=None, description="SQLAlchemy URL of the database to query")
    password_env: str | None = Field(
        default=None, description="environment variable of the password"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        if (self.path is None) == (self.query is None):
            raise ValueError(
                "give either path = 'file.csv' (CSV, Parquet or Excel) or query = 'SELECT ...' "
                "with url = 'postgresql://...', not both and not neither"
            )
        if self.query is not None and self.url is None:
            raise ValueError("query needs url = '<SQLAlchemy URL>' of the database to query")
        if self.path is not None and Path(self.path).suffix.lower() not in SUFFIXES:
            raise ValueError(
                f"path {self.path!r} has suffix {Path(self.path).suffix!r}; use one of "
                f"{', '.join(SUFFIXES)}"
            )
        return self


SUFFIXES = (".csv", ".parquet", ".pq", ".xlsx", ".xls")


class Sales(Source):
    """``[sales]``: demand history, one row per category and period."""

    id_col: str = "unique_id"
    time_col: str = "ds"
    target_col: str = "y"
    drop_stale: bool = True


class Search(Source):
    """``[search]``: search interest per category and period (used by ``emerging``)."""

    id_col: str = "unique_id"
    time_col: str = "ds"
    value_col: str = "search"


class Supply(Source):
    """``[[supply]]``: a supply plan (``kind = "flow"``) or inventory (``kind = "stock"``)."""

    name: str
    kind: Literal["flow", "stock"] = "flow"
    id_col: str = "unique_id"
    time_col: str = "ds"
    value_col: str = "supply"
    receipts: str | None = None


class HierarchySource(Source):
    """``[hierarchy]``: category -> sector mapping, one column per level, top first."""

    levels: list[str] | None = None


class Model(_Section):
    """``[model]``: how categories are forecast and how often models are refit."""

    models: str | list[str] = "auto"
    freq: str | None = None
    season_length: int | None = Field(default=None, ge=1)
    fill: Literal["error", "zero", "ffill", "interpolate"] = "error"
    horizon: int = Field(default=12, ge=1, le=520)
    n_paths: int = Field(default=500, ge=10, le=100_000)
    seed: int = 0
    chunk_size: int = Field(default=50, ge=1)
    refit: Literal["weekly", "monthly"] | int = "weekly"
    backtest_windows: int = Field(default=3, ge=1)
    #: a category too short for every model (a new product, down to one
    #: observation) is forecast by ``ColdStart``; ``false``: it gets no forecast
    cold_start: bool = True

    @field_validator("models")
    @classmethod
    def _models(cls, value: str | list[str]) -> str | list[str]:
        names = [value] if isinstance(value, str) else value
        if value in ("auto", "fast"):
            return value
        bad = [n for n in names if n not in MODEL_NAMES]
        if bad or not names:
            raise ValueError(
                f"unknown model name(s) {bad or names}; use 'auto' or a list of "
                f"{', '.join(MODEL_NAMES)} (or 'fast', the quick preset)"
            )
        return value

    @field_validator("refit")
    @classmethod
    def _refit(cls, value: Any) -> Any:
        if isinstance(value, int) and value < 1:
            raise ValueError('refit must be "weekly", "monthly" or a number of runs >= 1')
        return value


class Gaps(_Section):
    """``[gaps]``: when a category is flagged short or long."""

    threshold: float = Field(default=0.8, gt=0, lt=1)
    persistence: int = Field(default=2, ge=1)
    min_cover: float | None = Field(default=1.0, ge=0)


class Hotspots(_Section):
    """``[hotspots]``: size thresholds (tier name -> total over the horizon)."""

    thresholds: dict[str, float] | None = None


class Accuracy(_Section):
    """``[accuracy]``: scoring earlier forecasts and flagging drift."""

    window: int = Field(default=12, ge=1)
    drift_margin: float = Field(default=0.5, ge=0)
    min_points: int = Field(default=3, ge=1)


class Report(_Section):
    """``[report]``: the HTML report written after each run."""

    path: str | None = "report-{as_of}.html"
    title: str = "trendcast nightly run"
    unit: str | None = None
    exclude: list[str] = []


class Run(_Section):
    """``[run]``: failure tolerance."""

    max_failure_share: float = Field(default=0.2, ge=0, le=1)


class Execution(_Section):
    """``[execution]``: where the work runs."""

    backend: str = "loky"
    n_jobs: int = Field(default=1, ge=-1)

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value not in ("loky", "dask") and "://" not in value:
            raise ValueError(
                f"backend {value!r} is not understood; write 'loky' (processes on this "
                "machine), 'dask' (a dask.distributed cluster started from this process: "
                "the job starts a LocalCluster of n_jobs workers) or the address of a "
                "Dask scheduler, e.g. 'tcp://scheduler:8786'"
            )
        return value

    @field_validator("n_jobs")
    @classmethod
    def _n_jobs(cls, value: int) -> int:
        if value == 0:
            raise ValueError("n_jobs must be -1 (all cores) or a positive number of processes")
        return value


class Store(_Section):
    """``[store]``: where runs and results are kept."""

    url: str = "sqlite:///trendcast.sqlite"
    password_env: str | None = None


class JobConfig(_Section):
    """The whole ``trendcast.toml``."""

    store: Store = Store()
    sales: Sales
    search: Search | None = None
    supply: list[Supply] = []
    hierarchy: HierarchySource | None = None
    model: Model = Model()
    gaps: Gaps = Gaps()
    hotspots: Hotspots = Hotspots()
    accuracy: Accuracy = Accuracy()
    report: Report = Report()
    run: Run = Run()
    execution: Execution = Execution()

    @model_validator(mode="after")
    def _names(self) -> JobConfig:
        names = [s.name for s in self.supply]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"supply names must differ; {dup} appear more than once")
        for s in self.supply:
            if s.receipts is not None and s.receipts not in names:
                raise ValueError(
                    f"supply {s.name!r}: receipts = {s.receipts!r} names no [[supply]]; "
                    f"use one of {names}"
                )
        return self

    # -------------------------------------------------------------- derived values
    def hash(self) -> str:
        """SHA-256 of the canonical config: with the as-of date, the key of a run."""
        dump = self.model_dump(mode="json")
        dump["model"] = _canonical_model(dump["model"])
        return _digest(dump)

    def model_key(self) -> str:
        """SHA-256 of what shapes the models: runs with the same key share artifacts."""
        sales = self.sales.model_dump(mode="json")
        keep = {k: sales[k] for k in ("id_col", "time_col", "target_col", "drop_stale")}
        model = _canonical_model(self.model.model_dump(mode="json"))
        return _digest({"model": model, "sales": keep})


#: ``[model]`` keys added after the store's first release, with their defaults:
#: they enter the hashes only when set to something else, so that upgrading
#: trendcast does not re-key the runs and models of an existing store (a new
#: default takes effect at the next refit)
_ADDED_MODEL_KEYS: dict[str, Any] = {"cold_start": True}
_UNSET = object()


def _canonical_model(dump: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in dump.items() if _ADDED_MODEL_KEYS.get(k, _UNSET) != v}


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _where(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{p}]"]
        elif p not in ("function-after[_one_kind(), Sales]",):
            parts.append(str(p))
    return ".".join(q for q in parts if not q.startswith(("function-", "literal[")))


def _explain(exc: ValidationError, path: Path) -> ConfigError:
    lines = []
    for err in exc.errors():
        key = _where(err["loc"]) or "(top level)"
        given = err.get("input")
        shown = "" if isinstance(given, dict) else f" = {given!r}"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key; remove it or fix its spelling (docs/nightly.md lists every key)"
        if err["type"] == "missing":
            message = "required; add it (see the commented file `trendcast init` writes)"
            shown = ""
        lines.append(f"  {key}{shown}: {message}")
    return ConfigError(f"{path}: {len(lines)} problem(s) in the config:\n" + "\n".join(lines))


def load_config(path: str | os.PathLike[str]) -> tuple[JobConfig, Path]:
    """Read and validate ``trendcast.toml``; return the config and its folder.

    Raises
    ------
    ConfigError
        When the file is missing, is not TOML, or a key is unknown, missing
        or has a value the job cannot use (every problem listed with its key).
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            f"config file {file} does not exist; write one with `trendcast init {file.parent}`"
        )
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc}); fix the line named") from exc
    try:
        config = JobConfig.model_validate(raw)
    except ValidationError as exc:
        raise _explain(exc, file) from exc
    return config, file.resolve().parent


def resolve_path(value: str, base: Path) -> Path:
    """``value`` relative to the config folder (``~`` expanded)."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def database_url(url: str, password_env: str | None, base: Path, key: str) -> sa.URL:
    """A SQLAlchemy URL with SQLite paths made relative to ``base`` and the password from env.

    Raises
    ------
    ConfigError
        When the URL does not parse, holds a password (secrets belong in the
        environment), or ``password_env`` names an unset variable.
    """
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(
            f"{key} = {url!r} is not a SQLAlchemy URL; write e.g. 'sqlite:///trendcast.sqlite' "
            "or 'postgresql://user@host:5432/db'"
        ) from exc
    if parsed.password is not None:
        raise ConfigError(
            f"{key} holds a password; remove it from the file and set password_env = "
            "'TRENDCAST_DB_PASSWORD' (an environment variable holding it) instead"
        )
    if password_env is not None:
        secret = os.environ.get(password_env)
        if secret is None:
            raise ConfigError(
                f"{key}: password_env = {password_env!r} but that environment variable is not "
                f"set; export {password_env}=... before running"
            )
        parsed = parsed.set(password=secret)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(resolve_path(parsed.database, base)))
    return parsed
