"""The pydantic models of every request and response of the service.

Rows carry the library's columns under the library's names (``lo-80``,
``p_short``, ``reason``...), with the category under ``unique_id`` and the
period under ``ds`` whatever the forecaster's own column names (``columns`` in
a response gives those, and the client renames them back). Dates are ISO
8601 text (``2025-01-01``; a time only when there is one); a missing number
is ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccuracyResponse",
    "CategoriesResponse",
    "ErrorResponse",
    "FlagsResponse",
    "GapsRequest",
    "GapsResponse",
    "Health",
    "HotspotsResponse",
    "PredictRequest",
    "PredictResponse",
    "Readiness",
    "RunsResponse",
]

CategoryId = Annotated[
    str | int, Field(description="A category id as fitted (text, or a whole number)")
]
Level = Annotated[int, Field(gt=0, lt=100, description="An interval level in percent")]
Scalar = float | int | str | bool | None
CovariateRow = dict[str, Scalar]
RunRef = Annotated[
    str | None,
    Field(
        default=None,
        max_length=40,
        description="Store only: a run id, an as-of date (YYYY-MM-DD) or 'latest' (default: "
        "the latest finished run). A saved forecaster is one run: its id, or nothing.",
    ),
]

_COVARIATES = (
    "Future values of the forecaster's future covariates: one row per category and "
    "forecast period, with `unique_id`, `ds` and one field per covariate. Needed only when "
    "the models were fitted with `future_covariates`."
)


class _Strict(BaseModel):
    """A request: unknown fields, NaN and infinities are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Columns(BaseModel):
    """The forecaster's own names of the columns sent as ``unique_id``, ``ds`` and ``y``."""

    id: str = "unique_id"
    time: str = "ds"
    target: str = "y"


class PredictRequest(_Strict):
    """Forecast some categories (all when ``categories`` is left out)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"categories": ["c0001"], "horizon": 3, "levels": [80, 95]}]
        },
    )
    categories: list[CategoryId] | None = Field(
        None,
        description="Categories to forecast; all served ones when left out (then the limit "
        "of categories per request applies to all of them).",
    )
    horizon: int = Field(12, ge=1, description="Periods ahead (at most the server's limit).")
    levels: list[Level] = Field(
        [80, 95], max_length=10, description="Interval levels in percent, each in (0, 100)."
    )
    covariates: list[CovariateRow] | None = Field(None, description=_COVARIATES)
    run: RunRef = None


class ForecastRow(BaseModel):
    """One category and period of a forecast, with a ``lo-<l>``/``hi-<l>`` pair per level."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "additionalProperties": {"type": ["number", "null"]},
            "examples": [
                {
                    "unique_id": "c0001", "ds": "2025-01-01", "model": "ETS",
                    "mean": 5210.4, "lo-80": 4893.2, "hi-80": 5527.6,
                }
            ],
        },
    )  # fmt: skip
    unique_id: CategoryId
    ds: str = Field(description="The forecast period (ISO 8601)")
    model: str = Field(description="The model that made the forecast")
    mean: float | None


class PredictResponse(BaseModel):
    """Forecast rows, sorted by category (in fit order) and period."""

    run: str = Field(description="The run (or save) the forecast comes from")
    horizon: int
    levels: list[int]
    forecast_source: Literal["models", "stored"] = Field(
        description="`stored`: the rows the run stored; `models`: forecast now by its models "
        "(a horizon beyond the stored one, other levels, covariates, or a saved forecaster)"
    )
    columns: Columns
    rows: list[ForecastRow]


class SupplyRow(_Strict):
    """Supply of one category: a plan of one period (flow) or the stock and receipts (stock)."""

    unique_id: CategoryId
    ds: str = Field(
        max_length=40,
        description="flow: the period planned; stock: the forecast origin (the stock on "
        "hand at its end) or a forecast period (the receipts arriving in it)",
    )
    supply: float = Field(ge=0, description="Units planned, on hand or arriving")
    scenario: str | None = Field(
        None, max_length=200, description="Names one of several plans compared side by side"
    )
    unit_price: float | None = Field(
        None, ge=0, description="Price (or cost) per unit; gives shortfall_value, excess_value"
    )


class GapsRequest(_Strict):
    """A supply plan or an inventory, scored against the forecast distribution."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "flow",
                    "supply": [
                        {"unique_id": "c0001", "ds": "2025-01-01", "supply": 5000.0},
                        {"unique_id": "c0001", "ds": "2025-02-01", "supply": 5000.0},
                        {"unique_id": "c0001", "ds": "2025-03-01", "supply": 5000.0},
                    ],
                    "n_paths": 1000,
                }
            ]
        },
    )
    supply: list[SupplyRow] = Field(min_length=1, description="Long table of supply")
    kind: Literal["flow", "stock"] = Field(
        "flow", description="`flow`: supply per period; `stock`: inventory plus receipts"
    )
    horizon: int | None = Field(
        None,
        ge=1,
        description="Periods scored; default: up to the last supply date (required for "
        "stock given only at the origin)",
    )
    threshold: float = Field(0.8, gt=0, le=1, description="p_short at which a period is short")
    persistence: int = Field(2, ge=1, le=1000, description="Consecutive periods to flag")
    window: int | None = Field(
        None, ge=1, description="Periods of p_short_window (default: the rest of the horizon)"
    )
    min_cover: float | None = Field(None, ge=0, description="Stock: short below this cover")
    max_cover: float | None = Field(None, ge=0, description="Stock: long above this cover")
    n_paths: int = Field(1000, ge=100, le=10_000, description="Sample paths per category")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the sample paths")
    covariates: list[CovariateRow] | None = Field(None, description=_COVARIATES)
    run: RunRef = None


class GapRow(BaseModel):
    """One category (and plan) and period of ``trendcast.supply_gaps``."""

    model_config = ConfigDict(extra="allow")
    unique_id: CategoryId
    ds: str
    mean: float | None = None
    supply: float | None = None
    p_short: float | None = None
    p_short_window: float | None = None
    expected_shortfall: float | None = None
    expected_excess: float | None = None
    p_long: float | None = None
    short: bool | None = None
    flag: str | None = None


class FlagRow(BaseModel):
    """One category (and plan) of ``trendcast.summarize_gaps``: its flag and the reason."""

    model_config = ConfigDict(extra="allow")
    rank: int | None = None
    unique_id: CategoryId
    flag: str | None = None
    first_short: str | None = None
    periods_short: int | None = None
    max_p_short: float | None = None
    p_short_window: float | None = None
    expected_shortfall: float | None = None
    reason: str | None = None


class GapsResponse(BaseModel):
    """Per period (``gaps``) and per category, ranked worst first (``flags``)."""

    run: str
    kind: str
    horizon: int
    n_paths: int
    distribution: str = Field(description="`paths`: every number from the sample paths")
    columns: Columns
    gaps: list[GapRow]
    flags: list[FlagRow]


class FlagsResponse(BaseModel):
    """The flags the run stored (its supply plans and inventories), ranked within each."""

    run: str
    rows: list[FlagRow]


class HotspotRow(BaseModel):
    """One category of ``trendcast.hotspots``: forecast total over the period and growth."""

    model_config = ConfigDict(extra="allow")
    rank: int | None = None
    unique_id: CategoryId
    total: float | None = None
    growth: float | None = None


class HotspotsResponse(BaseModel):
    """Categories ranked by forecast demand over the period, largest first."""

    run: str
    period: int | None
    level: int
    rows: list[HotspotRow]


class CategoryRow(BaseModel):
    """A served category: the model that forecasts it and its history's last period."""

    model_config = ConfigDict(extra="allow")
    unique_id: CategoryId
    model: str | None = None
    status: str | None = None
    last_date: str | None = None
    n_obs: int | None = None


class CategoriesResponse(BaseModel):
    """The categories served, in fit order."""

    run: str
    total: int
    freq: str | None
    columns: Columns
    covariates: list[str]
    rows: list[CategoryRow]


class RunRow(BaseModel):
    """A run: a stored night of the job, or the saved forecaster itself."""

    model_config = ConfigDict(extra="allow")
    id: str
    source: str
    status: str | None = None
    as_of: str | None = None
    fitted_at: str | None = None
    finished_at: str | None = None
    n_categories: int | None = None
    library_version: str | None = None
    served: bool = False


class RunsResponse(BaseModel):
    """Runs, newest first; ``served`` marks the one requests are answered from."""

    rows: list[RunRow]


class AccuracyRow(BaseModel):
    """Accuracy of a category's model: backtest (a saved forecaster) or realized (store)."""

    model_config = ConfigDict(extra="allow")
    unique_id: CategoryId
    model: str | None = None
    basis: Literal["backtest", "realized"]
    mase: float | None = None


class AccuracyResponse(BaseModel):
    """Backtest MASE of every candidate (``--model``), or earlier runs' forecasts scored
    against the actuals since (``--store``: MASE, WAPE, bias, coverage)."""

    run: str
    basis: Literal["backtest", "realized"]
    rows: list[AccuracyRow]


class Health(BaseModel):
    """The process answers."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Whether the models load and the source answers, with what is wrong if not."""

    ready: bool
    source: str
    run: str | None
    categories: int
    checks: dict[str, str]


class ErrorResponse(BaseModel):
    """What went wrong: the error's type and a message that says what to change."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "ParameterError",
                    "detail": "categories: 1 category not served: 'NOPE'; this run serves "
                    "1000 categories (GET /v1/categories lists them), starting 'c0000', ...",
                }
            ]
        }
    )
    error: str
    detail: str
    errors: list[dict[str, Any]] | None = None
