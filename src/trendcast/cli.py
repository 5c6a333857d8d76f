"""The ``trendcast`` command line.

Every error ends the command with one line on stderr and an exit code: 2 for
bad input (a ``TrendcastError``, or an argument click refuses), 1 for anything
else. Outputs and arguments are checked before any work starts. The global
``--debug`` option shows the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from typer.core import TyperGroup

from trendcast._engine.spec import MAX_HORIZON
from trendcast._version import __version__
from trendcast.exceptions import TrendcastError
from trendcast.job.cli import app as job_app
from trendcast.service.command import serve

try:  # typer vendors click from 0.2x on; before, click's own errors
    from typer import TyperException as _ClickError
except ImportError:  # pragma: no cover
    from click import ClickException as _ClickError  # type: ignore[assignment]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class _Cli(TyperGroup):
    """The command group: every error one line on stderr, unless ``--debug``."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (_ClickError, typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            if isinstance(exc, TrendcastError):
                typer.echo(f"error: {_one_line(str(exc))}", err=True)
                raise typer.Exit(2) from exc
            typer.echo(
                f"error ({type(exc).__name__}): {_one_line(str(exc))} "
                "(run `trendcast --debug ...` for the traceback)",
                err=True,
            )
            raise typer.Exit(1) from exc

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = (args, prog_name, complete_var, False, windows_expand_args)
        if not standalone_mode:
            return super().main(*run, **extra)
        try:
            code = super().main(*run, **extra)
        except _ClickError as exc:
            error: Any = exc
            if type(exc).__name__ == "NoArgsIsHelpError":
                error.show()  # the help itself
            else:
                where = getattr(getattr(exc, "ctx", None), "command_path", "")
                hint = f" (see `{where} --help`)" if where else ""
                typer.echo(f"error: {_one_line(error.format_message())}{hint}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Cli,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Forecast demand per category and flag where supply lags it.",
)
# the nightly job: init, check, run, runs, show, export, accuracy
app.add_typer(job_app)


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the full traceback.")
    ] = False,
) -> None:
    """Forecast demand per category and flag where supply lags it."""


def _nearest_folder(path: Path) -> Path:
    """The closest folder that exists on the way up from ``path``."""
    for parent in [path, *path.parents]:
        if parent.exists():
            return parent
    return Path.cwd()


def _check_out_file(path: Path, option: str, *, make_parents: bool) -> None:
    """Fail before any work when ``path`` cannot be written as a file."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a folder; give a file name", param_hint=option)
    parent = path.parent if path.parent != Path("") else Path(".")
    if not make_parents and not parent.is_dir():
        raise typer.BadParameter(
            f"the folder {parent} does not exist; create it or write elsewhere", param_hint=option
        )
    folder = _nearest_folder(parent)
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is a file, not a folder", param_hint=option)
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise typer.BadParameter(f"{path} cannot be written (no permission)", param_hint=option)


def _check_out_folder(path: Path, option: str) -> None:
    """Fail before any work when ``path`` cannot be (made) a folder to write into."""
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} is a file; give a folder", param_hint=option)
    folder = _nearest_folder(path)
    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is a file, not a folder", param_hint=option)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"{path} cannot be written (no permission)", param_hint=option)
# the HTTP service (imports FastAPI only when it runs)
app.command()(serve)


@app.command()
def version() -> None:
    """Print the trendcast version."""
    typer.echo(__version__)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the CSV files, chart and report.")] = Path(
        "trendcast-output"
    ),
    horizon: Annotated[int, typer.Option(min=1, max=24, help="Months to forecast.")] = 12,
    n_jobs: Annotated[int, typer.Option(help="Parallel processes (-1: all cores).")] = 2,
    top: Annotated[int, typer.Option(min=1, help="Rows in the printed tables.")] = 10,
    growth: Annotated[
        float, typer.Option(help="Growth in the naive plan: last year's month x (1+g).")
    ] = 0.02,
    threshold: Annotated[
        float, typer.Option(help="p_short at which a month is flagged short.")
    ] = 0.8,
    category: Annotated[
        list[str] | None,
        typer.Option(help="Census category code to include (repeat; default: all)."),
    ] = None,
) -> None:
    """Forecast US retail sales by kind of business and flag supply gaps.

    Uses the bundled US Census data: forecasts every category still reported
    in the latest month, compares the forecast with (a) the naive plan
    "same month last year plus 2%" and (b) end-of-month inventories, prints
    the ranked gaps and writes CSV files, a chart and an HTML report
    (report.html) to --out.
    """
    from trendcast.datasets import load_us_retail_categories
    from trendcast.demo import run_demo

    _check_out_folder(out, "--out")
    if not 0.5 < threshold < 1:
        raise typer.BadParameter(f"{threshold} is not between 0.5 and 1", param_hint="--threshold")
    if not growth > -1:
        raise typer.BadParameter(
            f"{growth} would plan negative supply; pass more than -1", param_hint="--growth"
        )
    known = set(load_us_retail_categories()["unique_id"])
    unknown = [c for c in category or [] if c not in known]
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(map(repr, unknown))} "
            f"{'is not a code' if len(unknown) == 1 else 'are not codes'} of the bundled "
            "data; see tc.datasets.load_us_retail_categories()",
            param_hint="--category",
        )
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    result = run_demo(
        out=out,
        horizon=horizon,
        n_jobs=n_jobs,
        growth=growth,
        threshold=threshold,
        categories=category or None,
        progress="auto",
    )
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    typer.echo("")
    typer.echo(result.describe(top=top))
    typer.echo(f"\nWrote {', '.join(sorted(p.name for p in result.files))} to {out}/")
    if result.report is not None:
        typer.echo(f"Report: {result.report.resolve()}")
    typer.echo(f"Done in {time.perf_counter() - start:.1f} s.")


@app.command()
def forecast(
    sales: Annotated[Path, typer.Argument(help="CSV or Parquet file of sales in long format.")],
    horizon: Annotated[int, typer.Option(min=1, max=MAX_HORIZON, help="Periods to forecast.")] = 12,
    out: Annotated[Path, typer.Option(help="Where to write the forecast CSV.")] = Path(
        "forecast.csv"
    ),
    id_col: Annotated[str, typer.Option(help="Category column.")] = "unique_id",
    time_col: Annotated[str, typer.Option(help="Period column.")] = "ds",
    target_col: Annotated[str, typer.Option(help="Demand column.")] = "y",
    freq: Annotated[str | None, typer.Option(help="Frequency alias (inferred if omitted).")] = None,
    n_jobs: Annotated[int, typer.Option(help="Parallel processes.")] = 1,
) -> None:
    """Fit models="auto" to a sales file and write the forecast with intervals."""
    from trendcast.forecaster import TrendForecaster

    _check_out_file(out, "--out", make_parents=False)
    fc = TrendForecaster(
        freq=freq,
        n_jobs=n_jobs,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        progress="auto",
    )
    result = fc.fit(sales).predict(horizon)
    result.to_csv(out, index=False)
    fell = fc.fit_report_[fc.fit_report_["status"] != "ok"]
    typer.echo(
        f"Wrote {len(result)} rows for {result[id_col].nunique()} categories to {out}"
        + (f"; {len(fell)} fell back (see the log)" if len(fell) else "")
    )


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="Folder of CSV files a run wrote.")],
    out: Annotated[
        Path | None, typer.Option(help="HTML file to write (default: RUN_DIR/report.html).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Page title.")] = None,
    unit: Annotated[
        str | None, typer.Option(help='Unit of demand for labels, e.g. "$ millions".')
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="p_short threshold the gaps used, drawn on the charts.")
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Category left out of the ranking, e.g. a total (repeat)."),
    ] = None,
    id_col: Annotated[str, typer.Option(help="Category column.")] = "unique_id",
    time_col: Annotated[str, typer.Option(help="Period column.")] = "ds",
    target_col: Annotated[str, typer.Option(help="Demand column of history.csv.")] = "y",
) -> None:
    """Build one self-contained HTML report from the CSV files of a run.

    Reads history.csv, forecast.csv and gaps_summary.csv (required) and, when
    present, gaps.csv (or gaps_plan.csv), hotspots.csv, emerging.csv,
    sectors.csv, fit_report.csv, selection_report.csv and inventory_cover.csv.
    Options not given are taken from RUN_DIR/report.json when there is one
    (the demo writes it).
    """
    import matplotlib

    matplotlib.use("Agg")
    from trendcast.report import report_from_run

    _check_out_file(out if out is not None else run_dir / "report.html", "--out", make_parents=True)
    path = report_from_run(
        run_dir,
        out,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        title=title,
        unit=unit,
        threshold=threshold,
        exclude=exclude or None,
    )
    typer.echo(f"Wrote {path}")


def main() -> None:
    """Entry point of the ``trendcast`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
