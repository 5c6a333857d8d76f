"""The FastAPI app of ``trendcast serve``: routes, limits, the bearer token, errors as 4xx.

``create_app(source)`` builds it. Every route but ``/healthz`` and ``/readyz``
needs ``Authorization: Bearer <token>`` when a token is set (``token=``, or
the ``TRENDCAST_API_TOKEN`` environment variable for ``trendcast serve``).
A request body larger than ``limits.max_body_bytes`` is refused (413) before
it is read. Deliberate errors become JSON answers ``{"error", "detail"}``:
``ParameterError`` and ``DataValidationError`` 422, ``NotAvailableError``
404, a source that cannot be read 503; anything else is a bug (500, logged).
A thread checks the source for a new run every ``refresh_seconds``.
"""

# no ``from __future__ import annotations``: FastAPI reads the routes' annotations, which
# name types local to ``_routes`` and ``_auth``

import gc
import hmac
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from trendcast.exceptions import (
    DataValidationError,
    MissingDependencyError,
    ParameterError,
    PersistenceError,
    TrendcastError,
)

try:
    from fastapi import Depends, FastAPI, Query, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.exceptions import RequestValidationError
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse, JSONResponse
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
    from starlette.exceptions import HTTPException
except ImportError as exc:  # pragma: no cover - the extra is installed in the tests
    raise MissingDependencyError(
        f"the HTTP service needs FastAPI and uvicorn ({exc.name} is missing): "
        "pip install 'trendcast[service]'"
    ) from exc

from trendcast._version import __version__
from trendcast.service import answers, schemas
from trendcast.service.answers import Limits
from trendcast.service.errors import NotAvailableError, SourceUnavailableError
from trendcast.service.sources import Source

__all__ = ["Limits", "create_app"]

logger = logging.getLogger("trendcast.service")

HEALTH_PATHS = ("/healthz", "/readyz")

_STATUS: list[tuple[type[Exception], int]] = [
    (NotAvailableError, 404),
    (ParameterError, 422),
    (DataValidationError, 422),
    (SourceUnavailableError, 503),
    (PersistenceError, 503),
]

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorResponse, "description": "No or wrong bearer token"},
    404: {
        "model": schemas.ErrorResponse,
        "description": "The source cannot answer (stored flags need the store), or no such run",
    },
    413: {"model": schemas.ErrorResponse, "description": "Request body too large"},
    422: {"model": schemas.ErrorResponse, "description": "The request asks for something wrong"},
    503: {"model": schemas.ErrorResponse, "description": "The source cannot be read"},
}


class BodyLimit:
    """ASGI middleware: refuse a body over ``limit`` bytes (413) before the app reads it."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        async def watch(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Callable) -> None:
        response = JSONResponse(
            {
                "error": "RequestTooLarge",
                "detail": f"the request body is larger than the {self.limit:,} bytes this "
                "server accepts; send fewer categories or rows per request",
            },
            status_code=413,
        )
        await response({"type": "http"}, _no_receive, send)


class _TooLarge(Exception):
    pass


async def _no_receive() -> dict:  # pragma: no cover - JSONResponse does not read
    return {"type": "http.disconnect"}


def _answer(content: dict[str, Any]) -> JSONResponse:
    """An answer as computed: its rows keep the library's column order (a response model
    would put its declared fields first), and its values are already JSON (``answers``)."""
    return JSONResponse(content)


def _error(status: int, kind: str, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": kind, "detail": detail, **extra}, status, headers=headers)


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    """One line a problem: where (``body.horizon``) and what pydantic says of it."""
    lines, errors = [], []
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        given = err.get("input")
        shown = "" if isinstance(given, dict | list) else f" (got {repr(given)[:40]})"
        if err.get("type") == "json_invalid":
            where, shown = "body", f" at character {err.get('loc', ('', '?'))[-1]}"
        elif err.get("type") == "missing":
            shown = ""
        lines.append(f"{where}: {err.get('msg')}{shown}")
        errors.append({"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg"))})
    return "; ".join(lines) or "the request is malformed", errors


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(TrendcastError)
    async def trendcast_error(request: Request, exc: TrendcastError) -> JSONResponse:
        for kind, status in _STATUS:
            if isinstance(exc, kind):
                return _error(status, type(exc).__name__, str(exc))
        logger.exception("unexpected %s on %s", type(exc).__name__, request.url.path)
        return _error(500, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = _validation_message(exc)
        return _error(422, "RequestValidationError", detail, errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400:  # Starlette could not decode the body at all
            detail = "body: the request body is not JSON text (UTF-8 expected)"
            return _error(422, "RequestValidationError", detail)
        kind = {401: "Unauthorized", 404: "NotFound", 405: "MethodNotAllowed"}
        return _error(exc.status_code, kind.get(exc.status_code, "HTTPError"), str(exc.detail))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error on %s", request.url.path)
        return _error(500, "InternalError", f"{type(exc).__name__}: the server failed (logged)")


def _auth(token: str | None) -> Callable[..., None]:
    bearer = HTTPBearer(
        auto_error=False, description="TRENDCAST_API_TOKEN, when the server has one"
    )

    def check(
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if token is None:
            return
        given = "" if creds is None else creds.credentials
        if not hmac.compare_digest(given.encode(), token.encode()):
            what = "no bearer token" if creds is None else "a wrong bearer token"
            raise HTTPException(401, f"{what}: send Authorization: Bearer <token>")

    return check


def _settle(unfreeze: bool = False) -> None:
    """Take what is loaded out of the garbage collector's sight (``gc.freeze``).

    A loaded run is hundreds of thousands of long-lived objects (the parsed JSON its
    categories are built from, the models); a full collection walks them all (half a
    second on two busy cores), and one falls on some request now and then: the p99.
    Frozen, they are left alone; what they reference is freed by reference counting
    as before. After a new run is swapped in, the old objects are unfrozen and
    collected once.
    """
    if unfreeze:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


def _warm(source: Source) -> None:
    source.snapshot().warm()
    _settle()


def _refresher(source: Source, seconds: float) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(seconds):
            try:
                if source.refresh():
                    _settle(unfreeze=True)
            except Exception:  # never let the watcher die
                logger.exception("checking the source for a new run failed")

    thread = threading.Thread(target=loop, name="trendcast-refresh", daemon=True)
    return stop, thread


def create_app(
    source: Source,
    *,
    token: str | None = None,
    limits: Limits | None = None,
    refresh_seconds: float | None = 2.0,
) -> FastAPI:
    """The service's ASGI app, answering from ``source``.

    Parameters
    ----------
    source : ModelSource or StoreSource
        Where the forecasters come from (``trendcast.service.sources``).
    token : str, optional
        The bearer token every endpoint but the health checks requires.
    limits : Limits, optional
        What one request may ask for (defaults: ``Limits()``).
    refresh_seconds : float, optional
        How often a new run is looked for; None: never.

    Returns
    -------
    FastAPI
    """
    limits = limits or Limits()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the first forecast loads the save and rebuilds a model: done before /readyz says
        # ready, on a thread, so /healthz answers at once
        threading.Thread(target=_warm, args=(source,), name="trendcast-warm", daemon=True).start()
        watcher = None if not refresh_seconds else _refresher(source, refresh_seconds)
        if watcher is not None:
            watcher[1].start()
        try:
            yield
        finally:
            if watcher is not None:
                watcher[0].set()
            source.close()

    app = FastAPI(
        title="trendcast",
        version=__version__,
        summary="Demand forecasts per category, and where planned supply lags them.",
        description=(
            "Forecasts, supply gaps and flags from a saved forecaster (`--model`) or the "
            "nightly job's latest run (`--store`). Every endpoint but `/healthz` and "
            "`/readyz` needs `Authorization: Bearer <token>` when the server has a token. "
            f"Limits: a body of at most {limits.max_body_bytes:,} bytes, a horizon of at "
            f"most {limits.max_horizon}, at most {limits.max_categories} categories a request."
        ),
        lifespan=lifespan,
        openapi_url=None,  # mounted below, behind the token like every endpoint
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    _install_errors(app)
    auth = _auth(token)
    _health_routes(app, source)
    _routes(app, source, limits, auth)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(auth)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(auth)])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="trendcast API")

    return app


def _health_routes(app: FastAPI, source: Source) -> None:
    """``/healthz`` and ``/readyz``, the two endpoints without a token."""

    @app.get("/healthz", response_model=schemas.Health, tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up (no token needed)."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        response_model=schemas.Readiness,
        tags=["health"],
        responses={503: {"model": schemas.Readiness, "description": "Not ready"}},
    )
    def readyz() -> Any:
        """The served run's models load and the source answers (no token needed)."""
        checks = source.check()
        snap = source.snapshot()
        ready = all(v == "ok" for k, v in checks.items() if k != "reload")
        body = {"ready": ready, "source": source.kind, "run": snap.run.id,
                "categories": snap.run.n_categories, "checks": checks}  # fmt: skip
        return body if ready else JSONResponse(body, 503)


def _routes(app: FastAPI, source: Source, limits: Limits, auth: Callable[..., None]) -> None:
    """Mount every endpoint (one function a route, thin: the answers are in ``answers``)."""
    deps = [Depends(auth)]
    Limit = Annotated[int, Query(ge=1, le=10_000, description="Most rows returned")]
    RunQuery = Annotated[str | None, Query(max_length=40, description="Store: a run id or date")]

    @app.post(
        "/v1/predict",
        response_model=schemas.PredictResponse,
        tags=["forecasts"],
        dependencies=deps,
        responses=_ERRORS,
    )
    async def predict(body: schemas.PredictRequest) -> JSONResponse:
        """Forecast rows with model, mean and bounds, for some categories or all."""
        if body.run is None:  # a cached answer is sent from the event loop, without a thread
            snap = source.snapshot()
            quick = answers.predict_cached(snap, body, limits)
            if quick is not None:
                return _answer(quick)
        snap = await run_in_threadpool(source.snapshot, body.run)
        return _answer(await run_in_threadpool(answers.predict, snap, body, limits))

    @app.post(
        "/v1/gaps",
        response_model=schemas.GapsResponse,
        tags=["supply"],
        dependencies=deps,
        responses=_ERRORS,
    )
    def gaps(body: schemas.GapsRequest) -> JSONResponse:
        """Score a supply plan or an inventory against the forecast distribution."""
        return _answer(answers.gaps(source.snapshot(body.run), body, limits))

    @app.get(
        "/v1/flags",
        response_model=schemas.FlagsResponse,
        tags=["supply"],
        dependencies=deps,
        responses=_ERRORS,
    )
    def flags(
        limit: Limit = 1000,
        supply: Annotated[str | None, Query(max_length=200, description="A plan's name")] = None,
        flag: Annotated[Literal["short", "long", "ok"] | None, Query()] = None,
        run: RunQuery = None,
    ) -> JSONResponse:
        """The flags the served run stored for its plans and inventories (store only)."""
        return _answer(answers.flags(source.snapshot(run), supply, flag, limit))

    @app.get(
        "/v1/hotspots",
        response_model=schemas.HotspotsResponse,
        tags=["forecasts"],
        dependencies=deps,
        responses=_ERRORS,
    )
    def hotspots(
        limit: Limit = 50,
        period: Annotated[
            int | None, Query(ge=1, description="Periods summed (default 12)")
        ] = None,
        level: Annotated[int, Query(gt=0, lt=100, description="Interval level")] = 80,
        run: RunQuery = None,
    ) -> JSONResponse:
        """Categories ranked by forecast demand over the period, with growth."""
        snap = source.snapshot(run)
        return _answer(answers.hotspots(snap, period, level, limit, limits.max_horizon))

    @app.get(
        "/v1/categories",
        response_model=schemas.CategoriesResponse,
        tags=["runs"],
        dependencies=deps,
        responses=_ERRORS,
    )
    def categories(
        limit: Limit = 1000,
        offset: Annotated[int, Query(ge=0, description="Categories skipped")] = 0,
        run: RunQuery = None,
    ) -> JSONResponse:
        """The served categories with their model, status and last observed period."""
        return _answer(answers.categories(source.snapshot(run), offset, limit))

    @app.get(
        "/v1/runs",
        response_model=schemas.RunsResponse,
        tags=["runs"],
        dependencies=deps,
        responses=_ERRORS,
    )
    def runs(limit: Limit = 20) -> JSONResponse:
        """Runs, newest first; a saved forecaster is one run."""
        return _answer({"rows": answers.records(source.runs(limit))})

    @app.get(
        "/v1/accuracy",
        response_model=schemas.AccuracyResponse,
        tags=["runs"],
        dependencies=deps,
        responses=_ERRORS,
    )
    def accuracy(
        limit: Limit = 1000,
        category: Annotated[list[str] | None, Query(max_length=1000)] = None,
        run: RunQuery = None,
    ) -> JSONResponse:
        """Realized accuracy of earlier runs (store), or the backtest of the selection."""
        return _answer(answers.accuracy(source.snapshot(run), category, limit))
