"""The ``trendcast`` command line."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from trendcast._version import __version__
from trendcast.service.command import serve

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Forecast demand per category and flag where supply lags it.",
)
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
    from trendcast.demo import run_demo

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
        progress=True,
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
    horizon: Annotated[
        int, typer.Option("--horizon", "-h", min=1, help="Periods to forecast.")
    ] = 12,
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
    from trendcast.exceptions import TrendcastError
    from trendcast.forecaster import TrendForecaster

    try:
        fc = TrendForecaster(
            freq=freq,
            n_jobs=n_jobs,
            id_col=id_col,
            time_col=time_col,
            target_col=target_col,
            progress=True,
        )
        result = fc.fit(sales).predict(horizon)
    except TrendcastError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
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
    from trendcast.exceptions import TrendcastError
    from trendcast.report import report_from_run

    try:
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
    except TrendcastError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"Wrote {path}")


def main() -> None:
    """Entry point of the ``trendcast`` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
