"""A Python client of the trendcast HTTP service (``trendcast serve``).

``Client(url, token=None)`` calls the service and returns DataFrames in the
library's own columns: ``predict`` as ``TrendForecaster.predict``, ``gaps`` as
``trendcast.supply_gaps``, ``flags`` as ``trendcast.summarize_gaps``. It needs
httpx only (the extra ``trendcast[service]``), imported when a client is made;
it never imports FastAPI. A refusal of the service is raised as the error the
library would raise (``ParameterError``, ``DataValidationError``); any other
failure as ``ServiceError`` with the HTTP status.

Examples
--------
>>> import trendcast as tc
>>> client = tc.Client("http://127.0.0.1:8000")  # doctest: +SKIP
>>> client.predict(3, ids=["445"])  # doctest: +SKIP
  unique_id         ds           model     mean     lo-80     hi-80     lo-95     hi-95
0       445 2024-10-01  SeasonalNaive  81437.0  78345.97  84528.03  76709.67  86164.33
...
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from trendcast.exceptions import (
    DataValidationError,
    MissingDependencyError,
    ParameterError,
    TrendcastError,
)

__all__ = ["Client", "ServiceError"]

#: columns the service sends as ISO text that the library holds as dates
_DATE_COLUMNS = (
    "ds", "first_short", "first_long", "start", "end", "period_start", "period_end",
    "last_date", "first_origin", "last_origin",
)  # fmt: skip

_LIBRARY_ERRORS: dict[str, type[TrendcastError]] = {
    "ParameterError": ParameterError,
    "RequestValidationError": ParameterError,
    "DataValidationError": DataValidationError,
}


class ServiceError(TrendcastError):
    """The service could not be reached, or refused a request for another reason than its
    arguments: no or a wrong token (401), a question its source cannot answer (404), a
    body too large (413), a source it cannot read (503), a failure of its own (500).

    Attributes
    ----------
    status : int or None
        The HTTP status; None when the service did not answer.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _json_value(value: Any) -> Any:
    """A cell of a frame as JSON: ISO dates, Python numbers, None for missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        if stamp.tz is None and stamp == stamp.normalize():
            return stamp.strftime("%Y-%m-%d")
        return stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def _rows(frame: pd.DataFrame, rename: Mapping[str, str]) -> list[dict[str, Any]]:
    names = [rename.get(str(c), str(c)) for c in frame.columns]
    return [
        {n: _json_value(v) for n, v in zip(names, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _frame(
    rows: list[dict[str, Any]],
    columns: Mapping[str, str] | None = None,
    empty: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows of the service as a frame: dates parsed, ``unique_id``/``ds`` renamed back."""
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(empty))
    for col in _DATE_COLUMNS:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col], format="ISO8601")
    if columns:
        frame = frame.rename(columns={"unique_id": columns["id"], "ds": columns["time"]})
    return frame


class Client:
    """Calls a trendcast service and returns the library's DataFrames.

    Parameters
    ----------
    url : str
        The service's address, e.g. ``"http://127.0.0.1:8000"``.
    token : str, optional
        The bearer token, when the service has one (``TRENDCAST_API_TOKEN``).
    timeout : float
        Seconds to wait for an answer.
    transport : httpx transport, optional
        For tests (e.g. ``httpx.ASGITransport(app)``); default: the network.

    Raises
    ------
    MissingDependencyError
        When httpx is not installed.
    """

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: float = 60.0,
        transport: Any = None,
    ) -> None:
        try:
            import httpx
        except ImportError as exc:
            raise MissingDependencyError(
                "trendcast.Client needs httpx: pip install 'trendcast[service]'"
            ) from exc
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._httpx = httpx
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport
    def _call(
        self, method: str, path: str, body: Any = None, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            answer = self._http.request(method, path, json=body, params=query)
        except self._httpx.HTTPError as exc:
            raise ServiceError(f"{self.url}{path}: no answer ({exc})") from exc
        if answer.status_code >= 400:
            raise self._error(answer, path)
        return answer.json()

    def _error(self, answer: Any, path: str) -> TrendcastError:
        try:
            body = answer.json()
            kind, detail = str(body.get("error")), str(body.get("detail"))
        except (ValueError, AttributeError):
            kind, detail = "HTTPError", answer.text[:300]
        library = _LIBRARY_ERRORS.get(kind)
        if library is not None and answer.status_code == 422:
            return library(detail)
        return ServiceError(
            f"{path}: HTTP {answer.status_code} {kind}: {detail}", answer.status_code
        )

    # ------------------------------------------------------------------ forecasts
    def predict(
        self,
        h: int = 12,
        level: Sequence[int] = (80, 95),
        X_df: pd.DataFrame | None = None,
        ids: Sequence[Any] | None = None,
        *,
        run: str | None = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
    ) -> pd.DataFrame:
        """The forecast of ``ids`` (all served categories when None), as the library's predict.

        Parameters
        ----------
        h : int
            Periods ahead.
        level : sequence of int
            Interval levels in percent.
        X_df : DataFrame, optional
            Future covariates (``id_col``, ``time_col`` and one column per covariate).
        ids : sequence, optional
            Categories to forecast.
        run : str, optional
            Store only: a run id or as-of date (default: the latest).
        id_col, time_col : str
            The category and period columns of ``X_df``.

        Returns
        -------
        DataFrame
            ``<id>, <time>, model, mean, lo-<l>, hi-<l>...``, in the forecaster's own
            column names.
        """
        body = {
            "horizon": int(h),
            "levels": [int(lv) for lv in ([level] if isinstance(level, int) else level)],
            "categories": None if ids is None else [_json_value(i) for i in ids],
            "run": run,
            "covariates": None
            if X_df is None
            else _rows(X_df, {id_col: "unique_id", time_col: "ds"}),
        }
        answer = self._call("POST", "/v1/predict", body)
        cols = answer["columns"]
        empty = [cols["id"], cols["time"], "model", "mean"]
        for lv in answer["levels"]:
            empty += [f"lo-{lv}", f"hi-{lv}"]
        frame = _frame(answer["rows"], cols, ["unique_id", "ds", *empty[2:]])
        return frame[empty]

    def _gaps(self, supply: pd.DataFrame, options: dict[str, Any]) -> dict[str, Any]:
        id_col, time_col = options.pop("id_col"), options.pop("time_col")
        supply_col, scenario_col = options.pop("supply_col"), options.pop("scenario_col")
        price = options.pop("unit_price")
        frame = supply.copy()
        rename = {id_col: "unique_id", time_col: "ds", supply_col: "supply"}
        if scenario_col is not None:
            rename[scenario_col] = "scenario"
        if isinstance(price, str):
            rename[price] = "unit_price"
        elif isinstance(price, Mapping | pd.Series):
            frame["unit_price"] = frame[id_col].map(dict(price))
        elif price is not None:
            frame["unit_price"] = float(price)
        keep = [c for c in frame.columns if c in rename or c == "unit_price"]
        body = {"supply": _rows(frame[keep], rename), **options}
        if body.get("covariates") is not None:
            body["covariates"] = _rows(body["covariates"], {id_col: "unique_id", time_col: "ds"})
        return self._call("POST", "/v1/gaps", body)

    def gaps(
        self,
        supply: pd.DataFrame,
        *,
        kind: str = "flow",
        horizon: int | None = None,
        window: int | None = None,
        threshold: float = 0.8,
        persistence: int = 2,
        unit_price: float | Mapping[Any, float] | pd.Series | str | None = None,
        scenario_col: str | None = None,
        min_cover: float | None = None,
        max_cover: float | None = None,
        n_paths: int = 1000,
        seed: int = 0,
        X_df: pd.DataFrame | None = None,
        run: str | None = None,
        id_col: str = "unique_id",
        time_col: str = "ds",
        supply_col: str = "supply",
    ) -> pd.DataFrame:
        """``supply`` scored against the served forecast, as ``trendcast.supply_gaps``.

        The service forecasts the categories of ``supply`` for ``horizon``
        periods (default: up to the last supply date) and draws ``n_paths``
        sample paths of each, so window probabilities are computed. The
        arguments are those of [`supply_gaps`][trendcast.supply_gaps].

        Returns
        -------
        DataFrame
            One row per category (and plan) and period: ``p_short``,
            ``p_short_window``, ``expected_shortfall``, ``flag``...
        """
        answer = self._gaps(supply, {
            "kind": kind, "horizon": horizon, "window": window, "threshold": threshold,
            "persistence": persistence, "unit_price": unit_price, "scenario_col": scenario_col,
            "min_cover": min_cover, "max_cover": max_cover, "n_paths": n_paths, "seed": seed,
            "covariates": X_df, "run": run, "id_col": id_col, "time_col": time_col,
            "supply_col": supply_col,
        })  # fmt: skip
        frame = _frame(answer["gaps"], answer["columns"])
        return frame.rename(columns={"scenario": scenario_col}) if scenario_col else frame

    def flags(
        self,
        supply: pd.DataFrame | None = None,
        *,
        flag: str | None = None,
        plan: str | None = None,
        run: str | None = None,
        limit: int = 1000,
        **gaps_options: Any,
    ) -> pd.DataFrame:
        """Flags ranked worst first with their reasons, as ``trendcast.summarize_gaps``.

        Parameters
        ----------
        supply : DataFrame, optional
            A plan or inventory to score (then the other keyword arguments
            are those of [`gaps`][trendcast.client.Client.gaps]). Without it,
            the flags the served run stored (the nightly job's store only).
        flag : {"short", "long", "ok"}, optional
            Only these.
        plan : str, optional
            Stored flags only: the supply plan's name (the job's ``supply``).
        run : str, optional
            Store only: a run id or as-of date.
        limit : int
            Most stored rows.

        Returns
        -------
        DataFrame
        """
        if supply is None:
            answer = self._call(
                "GET",
                "/v1/flags",
                params={"flag": flag, "supply": plan, "run": run, "limit": limit},
            )
            return _frame(answer["rows"])
        options = {
            "kind": "flow", "horizon": None, "window": None, "threshold": 0.8, "persistence": 2,
            "unit_price": None, "scenario_col": None, "min_cover": None, "max_cover": None,
            "n_paths": 1000, "seed": 0, "X_df": None, "id_col": "unique_id", "time_col": "ds",
            "supply_col": "supply",
        }  # fmt: skip
        unknown = sorted(set(gaps_options) - set(options))
        if unknown:
            raise ParameterError(f"flags() got unknown arguments {unknown}; see Client.gaps")
        options.update(gaps_options, run=run)
        options["covariates"] = options.pop("X_df")
        scenario_col = options["scenario_col"]
        answer = self._gaps(supply, options)
        frame = _frame(answer["flags"], answer["columns"])
        if scenario_col:
            frame = frame.rename(columns={"scenario": scenario_col})
        return frame if flag is None else frame[frame["flag"] == flag].reset_index(drop=True)

    # ------------------------------------------------------------------ the rest
    def hotspots(
        self, period: int | None = None, level: int = 80, limit: int = 50, run: str | None = None
    ) -> pd.DataFrame:
        """Categories ranked by forecast demand over ``period`` periods (``tc.hotspots``)."""
        answer = self._call(
            "GET", "/v1/hotspots", params={"period": period, "level": level, "limit": limit,
                                           "run": run},
        )  # fmt: skip
        return _frame(answer["rows"])

    def categories(self, limit: int = 10_000, offset: int = 0) -> pd.DataFrame:
        """The served categories: model, status, last observed period, observations."""
        answer = self._call("GET", "/v1/categories", params={"limit": limit, "offset": offset})
        return _frame(answer["rows"])

    def runs(self, limit: int = 20) -> pd.DataFrame:
        """Runs, newest first (``served`` marks the one answered from)."""
        return _frame(self._call("GET", "/v1/runs", params={"limit": limit})["rows"])

    def accuracy(self, ids: Sequence[Any] | None = None, limit: int = 10_000) -> pd.DataFrame:
        """Realized accuracy (store) or the backtest of the selection (saved forecaster)."""
        params: dict[str, Any] = {"limit": limit}
        if ids is not None:
            params["category"] = [str(i) for i in ids]
        return _frame(self._call("GET", "/v1/accuracy", params=params)["rows"])

    def ready(self) -> dict[str, Any]:
        """``/readyz``: whether the models load and the source answers (never raises 503)."""
        try:
            answer = self._http.get("/readyz")
        except self._httpx.HTTPError as exc:
            raise ServiceError(f"{self.url}/readyz: no answer ({exc})") from exc
        return answer.json()
