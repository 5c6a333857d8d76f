"""The nightly job's commands, a typer app mounted on ``trendcast`` (see ``trendcast.cli``).

Exit codes: 0 success; 2 config, data or store error (nothing stored); 3
partial (more than ``max_failure_share`` of the categories failed: stored and
marked partial); 1 unexpected failure. Logs go to stderr.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["app"]

CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(add_completion=False, context_settings=CONTEXT)
logger = logging.getLogger("trendcast.job")

ConfigArg = Annotated[Path, typer.Argument(help="The job's trendcast.toml.")]
ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The job's trendcast.toml (for its store).")
]
#: the packages of the ``job`` extra
JOB_PACKAGES = ("pydantic", "sqlalchemy", "alembic", "openpyxl", "psycopg")
LogFormat = Annotated[str, typer.Option(help="Log lines: plain or json.")]


def _guard(func: Callable[[], int | None], log_format: str = "plain") -> None:
    """Run a command: TrendcastError -> exit 2 with its message; anything else -> exit 1."""
    from trendcast.exceptions import TrendcastError
    from trendcast.job.logs import setup_logging

    if log_format not in ("plain", "json"):
        typer.echo(f"error: --log-format {log_format!r}: use plain or json", err=True)
        raise typer.Exit(2)
    setup_logging(log_format)
    try:
        code = func() or 0
    except TrendcastError as exc:
        logger.error("%s", exc, extra={"fields": {"error": type(exc).__name__, "exit": 2}})
        raise typer.Exit(2) from exc
    except typer.Exit:
        raise
    except ImportError as exc:
        if exc.name not in JOB_PACKAGES:
            raise
        logger.error(
            "the nightly job needs %s, which is not installed: pip install 'trendcast[job]'",
            exc.name, extra={"fields": {"error": "MissingDependencyError", "exit": 2}},
        )  # fmt: skip
        raise typer.Exit(2) from exc
    except Exception as exc:
        logger.exception("unexpected failure: %s", exc, extra={"fields": {"exit": 1}})
        raise typer.Exit(1) from exc
    if code:
        raise typer.Exit(code)


def _store(config: Path) -> Any:
    from trendcast.job.config import database_url, load_config
    from trendcast.store import Store

    cfg, base = load_config(config)
    return Store(database_url(cfg.store.url, cfg.store.password_env, base, "[store] url"))


def _date(text: str | None) -> dt.date | None:
    from trendcast.job.errors import ConfigError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--as-of {text!r} is not a date; write YYYY-MM-DD") from exc


@app.command(context_settings=CONTEXT)
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for trendcast.toml and data/.")] = Path(
        "."
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing trendcast.toml.")] = False,
) -> None:
    """Write a commented trendcast.toml that runs as is on the bundled US retail data."""

    def go() -> int:
        from trendcast.job.init import write_init

        files = write_init(directory, force=force)
        typer.echo(f"Wrote {', '.join(str(p) for p in files)}")
        typer.echo(f"Next: trendcast run {files[0]}")
        return 0

    _guard(go)


@app.command(context_settings=CONTEXT)
def check(config: ConfigArg, log_format: LogFormat = "plain") -> None:
    """Validate a config and read its sources, without fitting or writing anything."""

    def go() -> int:
        from trendcast.job.config import load_config
        from trendcast.job.sources import read_inputs

        cfg, base = load_config(config)
        inputs = read_inputs(cfg, base, dt.date.today())
        s = inputs.sales
        typer.echo(
            f"{config}: OK. sales: {s['unique_id'].nunique()} categories, {len(s)} rows, "
            f"{s['ds'].min():%Y-%m-%d} to {s['ds'].max():%Y-%m-%d}"
            + (f" ({len(inputs.dropped)} stale left out)" if inputs.dropped else "")
        )
        for name, frame in inputs.supply.items():
            n = frame["unique_id"].nunique()
            typer.echo(f"supply {name}: {n} categories, {len(frame)} rows")
        if inputs.hierarchy is not None:
            typer.echo(f"hierarchy: levels {inputs.hierarchy.levels}")
        return 0

    _guard(go, log_format)


@app.command(context_settings=CONTEXT)
def run(
    config: ConfigArg,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The night's date (YYYY-MM-DD; default today).")
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for another run's lock (default: exit 2).")
    ] = 0.0,
    log_format: LogFormat = "plain",
) -> None:
    """Read, fit or update, forecast, compare with supply, store everything, write the report."""

    def go() -> int:
        from trendcast.job.run import run_job

        outcome = run_job(config, _date(as_of), wait=wait)
        c = outcome.counts
        logger.info(
            "run %s %s: as of %s, %s categories (%s fitted, %s updated, %s failed), %s flagged "
            "short, %s drifting, %.1f s; report %s", outcome.run_id, outcome.status, c["as_of"],
            c["n_categories"], c["n_fitted"], c["n_updated"], c["n_failed"], c["n_flags"],
            c["n_drift"], c["seconds"], outcome.report,
            extra={"fields": {"stage": "summary", "run": outcome.run_id, "status": outcome.status,
                              "exit": outcome.code}},
        )  # fmt: skip
        return outcome.code

    _guard(go, log_format)


@app.command(context_settings=CONTEXT)
def runs(config: ConfigOpt = Path("trendcast.toml"), limit: int = 20) -> None:
    """List the stored runs, newest first."""

    def go() -> int:
        from trendcast.job.show import runs_table

        with _store(config) as store:
            typer.echo(runs_table(store, limit))
        return 0

    _guard(go)


@app.command(context_settings=CONTEXT)
def show(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id, as-of date or latest.")],
    config: ConfigOpt = Path("trendcast.toml"),
    top: Annotated[int, typer.Option(help="Flags and failures listed.")] = 10,
) -> None:
    """Print a run's summary, its top flags and its failures."""

    def go() -> int:
        from trendcast.job.show import show_run

        with _store(config) as store:
            typer.echo(show_run(store, run_ref, top))
        return 0

    _guard(go)


@app.command(context_settings=CONTEXT)
def export(
    run_ref: Annotated[str, typer.Argument(metavar="RUN", help="Run id, as-of date or latest.")],
    to: Annotated[Path, typer.Option("--to", help="flags.xlsx, flags.csv or flags.parquet.")],
    config: ConfigOpt = Path("trendcast.toml"),
    table: Annotated[str, typer.Option(help="For .csv/.parquet: the table written.")] = "flags",
) -> None:
    """Write a run's tables for a planner: Excel (a sheet per table), CSV or Parquet."""

    def go() -> int:
        from trendcast.job.export import export_run

        with _store(config) as store:
            typer.echo(f"Wrote {export_run(store, run_ref, to, table)}")
        return 0

    _guard(go)


@app.command(context_settings=CONTEXT)
def accuracy(
    config: ConfigOpt = Path("trendcast.toml"),
    category: Annotated[
        list[str] | None, typer.Option(help="Only this category (repeat).")
    ] = None,
    run_ref: Annotated[str, typer.Option("--run", help="Run id, as-of date or latest.")] = "latest",
    by: Annotated[str, typer.Option(help="Break down by category, horizon or model.")] = "category",
) -> None:
    """Earlier forecasts scored against actuals: over time, by category, and drift."""

    def go() -> int:
        from trendcast.job.show import accuracy_text

        with _store(config) as store:
            typer.echo(accuracy_text(store, run_ref, category or [], by))
        return 0

    _guard(go)
