"""``trendcast serve``: the HTTP service on uvicorn (FastAPI is imported only when it runs)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["TOKEN_VARIABLE", "serve"]

#: the environment variable holding the bearer token (never a command-line option: it
#: would show in the process list)
TOKEN_VARIABLE = "TRENDCAST_API_TOKEN"


def serve(
    model: Annotated[
        Path | None,
        typer.Option(help="A saved forecaster (directory, .zip or .tar written by save)."),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            help="The nightly job's store (SQLAlchemy URL): serve its latest finished run.",
            envvar="TRENDCAST_STORE_URL",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    max_horizon: Annotated[int, typer.Option(min=1, help="Most periods a request asks for.")] = 120,
    max_categories: Annotated[
        int, typer.Option(min=1, help="Most categories a request asks for.")
    ] = 1000,
    max_body_bytes: Annotated[
        int, typer.Option(min=1024, help="Largest request body, in bytes.")
    ] = 2_000_000,
    refresh_seconds: Annotated[
        float, typer.Option(min=0.1, help="How often a new save or run is looked for.")
    ] = 2.0,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve forecasts, supply gaps and flags over HTTP (needs the service extra).

    Every endpoint but /healthz and /readyz needs "Authorization: Bearer
    <token>" when the environment variable TRENDCAST_API_TOKEN is set. A new
    save at --model (save(..., overwrite=True)), or a new run in the store, is
    picked up within --refresh-seconds without dropping requests. See
    docs/service.md.
    """
    from trendcast.exceptions import TrendcastError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    start = time.perf_counter()
    try:
        import uvicorn

        from trendcast.service.app import Limits, create_app
        from trendcast.service.sources import open_source

        source = open_source(model, store)
        limits = Limits(
            max_body_bytes=max_body_bytes,
            max_horizon=max_horizon,
            max_categories=max_categories,
        )
        token = os.environ.get(TOKEN_VARIABLE) or None
        app = create_app(source, token=token, limits=limits, refresh_seconds=refresh_seconds)
    except TrendcastError as exc:  # MissingDependencyError too (an ImportError)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    except ImportError as exc:
        typer.echo(
            f"error: the service needs FastAPI and uvicorn ({exc.name} is missing): "
            "pip install 'trendcast[service]'",
            err=True,
        )
        raise typer.Exit(code=2) from exc
    snap = source.snapshot()
    typer.echo(
        f"serving {source.kind} run {snap.run.id} ({snap.run.n_categories} categories) on "
        f"http://{host}:{port}, loaded in {time.perf_counter() - start:.2f} s; "
        f"bearer token {'required' if token else 'not set'}"
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
