"""The per-call settings of a forecaster, resolved and checked once."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import trendcast._frequency as freqs
from trendcast._validation import format_items, real_number, verb
from trendcast.calendar import ShoppingCalendar
from trendcast.exceptions import ParameterError

#: columns of the output frames (besides the caller's id, time and target columns)
OUTPUT_COLUMNS = ("model", "mean", "cutoff", "path")
#: the longest horizon a call may ask for (10,000 weeks are 190 years)
MAX_HORIZON = 10_000
#: the most values one ``sample_paths`` call may draw (categories x paths x periods, 8 bytes
#: each: 0.8 GB); more is asked for in chunks of categories
MAX_PATH_VALUES = 100_000_000


def check_columns(params: Mapping[str, Any]) -> None:
    """The id, time and target columns are three names that no output column takes.

    Raises
    ------
    ParameterError
        When two of them are the same name, or one is ``model``, ``mean``,
        ``cutoff``, ``path`` or an interval column (``lo-80``, ``hi-95``...).
    """
    names = {k: params[k] for k in ("id_col", "time_col", "target_col")}
    if len(set(names.values())) < 3:
        shown = ", ".join(f"{k}={v!r}" for k, v in names.items())
        raise ParameterError(
            f"id_col, time_col and target_col must name three different columns; got {shown}"
        )
    for key, name in names.items():
        if isinstance(name, str) and (
            name in OUTPUT_COLUMNS or re.fullmatch(r"(lo|hi)-\d+", name)
        ):
            raise ParameterError(
                f"{key}={name!r} is also a column of trendcast's output frames "
                f"({', '.join(OUTPUT_COLUMNS)}, lo-<level>, hi-<level>), so a forecast would "
                f"hold two columns of that name; rename the column in your frame (e.g. "
                f"df.rename(columns={{{name!r}: 'category'}})) and pass {key} the new name"
            )


#: the layouts of the forecast frames (``predict``/``cross_validation(output=...)``)
OUTPUTS = ("frame", "nixtla")


def check_output(output: Any) -> None:
    """``output`` is one of ``OUTPUTS``, else a ParameterError."""
    if output not in OUTPUTS:
        raise ParameterError(f"output={output!r} is not understood; pass 'frame' or 'nixtla'")


def check_positive(name: str, value: Any) -> int:
    """``value`` as a positive int, or a ParameterError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_horizon_size(h: Any, what: str = "") -> int:
    """``h`` as a positive int no larger than ``MAX_HORIZON``, or a ParameterError."""
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
        raise ParameterError(f"{what}h must be a positive integer, got {h!r}")
    if h > MAX_HORIZON:
        raise ParameterError(
            f"{what}h={h} is more periods than trendcast forecasts at once (at most "
            f"{MAX_HORIZON}); ask for a shorter horizon"
        )
    return int(h)


@dataclass(frozen=True)
class Spec:
    """What one ``fit``/``predict``/``update``/``cross_validation`` call works with.

    Built by [`resolve_spec`][trendcast._engine.spec.resolve_spec] from the
    forecaster's parameters and the frequency of the data; every setting is
    checked there, so nothing downstream re-derives or re-checks it.
    """

    id_col: str
    time_col: str
    target_col: str
    freq: str
    season_length: int
    #: future-known covariate columns, in the order models receive them
    covariates: tuple[str, ...] = ()
    #: past-only covariate columns and the lag at which each enters
    past_lags: Mapping[str, int] = field(default_factory=dict)
    calendar: ShoppingCalendar | None = None
    allow_negative: bool = False
    beyond_lag: str = "refuse"
    search_margin: float = 0.1
    #: "late": a category's past covariates may start after its sales
    search_start: str = "refuse"
    #: categories too short for the candidates get ColdStart
    cold_start: bool = False

    @property
    def has_search(self) -> bool:
        """Past-only covariates (search) are declared."""
        return bool(self.past_lags)

    def calendar_features(self, dates: Any) -> Any:
        """Calendar columns for each date (None without a calendar)."""
        if self.calendar is None:
            return None
        return self.calendar.features(dates, self.freq)


def resolve_spec(params: Mapping[str, Any], freq: str, season_length: int | None = None) -> Spec:
    """Check a forecaster's parameters and resolve them for data of frequency ``freq``.

    Parameters
    ----------
    params : mapping
        ``TrendForecaster.get_params(deep=False)``.
    freq : str
        The frequency of the data (validated or fitted).
    season_length : int, optional
        A season length already resolved (a fitted forecaster's); by default
        ``params["season_length"]`` or the frequency's.

    Raises
    ------
    ParameterError
        Naming the parameter, the value and what is accepted.
    """
    m = season_length
    if m is None:
        given = params.get("season_length")
        m = given if given is not None else freqs.season_length_of(freq)
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise ParameterError(f"season_length must be a positive integer, got {m!r}")
    columns = (params["id_col"], params["time_col"], params["target_col"])
    covariates = _covariate_names(params.get("future_covariates"), columns)
    lags = _past_lags(params, columns, covariates)
    n_jobs = params.get("n_jobs", 1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer):
        raise ParameterError(
            f"n_jobs must be a whole number (-1: every core), got {n_jobs!r} "
            f"({type(n_jobs).__name__})"
        )
    calendar = params.get("calendar")
    if calendar is not None and not isinstance(calendar, ShoppingCalendar):
        raise ParameterError(
            f"calendar must be a trendcast.ShoppingCalendar, got {type(calendar).__name__}"
        )
    return Spec(
        id_col=params["id_col"],
        time_col=params["time_col"],
        target_col=params["target_col"],
        freq=freq,
        season_length=int(m),
        covariates=tuple(covariates),
        past_lags=lags,
        calendar=calendar,
        allow_negative=bool(params.get("allow_negative", False)),
        beyond_lag=str(params.get("beyond_lag", "refuse")),
        search_start=str(params.get("search_start", "refuse")),
        cold_start=_flag("cold_start", params.get("cold_start", False)),
        search_margin=float(
            real_number(  # type: ignore[arg-type]
                "search_margin", params.get("search_margin", 0.1), low=0, high=1, open_high=True
            )
        ),
    )


def _flag(name: str, value: Any) -> bool:
    """A True/False setting, or a ParameterError naming it."""
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name}={value!r} must be True or False")
    return bool(value)


def _covariate_names(names: Sequence[str] | str | None, columns: tuple[str, ...]) -> list[str]:
    """The declared future-known covariates, checked against the data columns."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    out = [str(c) for c in names]
    clash = [c for c in out if c in columns]
    if clash:
        raise ParameterError(
            f"future_covariates names the id, time or target column: {clash}; "
            "list only the covariate columns"
        )
    return out


def _past_lags(
    params: Mapping[str, Any], columns: tuple[str, ...], covariates: list[str]
) -> dict[str, int]:
    """The declared past-only covariates and their lags, checked."""
    spec = params.get("past_covariates")
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise ParameterError(
            "past_covariates must map each column to its lag, e.g. {'search': 2}; "
            f"got {type(spec).__name__}"
        )
    beyond = params.get("beyond_lag", "refuse")
    if beyond not in ("refuse", "forecast"):
        raise ParameterError(
            f"beyond_lag={beyond!r} is not understood; pass 'refuse' or 'forecast'"
        )
    real_number("search_margin", params.get("search_margin", 0.1), low=0, high=1, open_high=True)
    start = params.get("search_start", "refuse")
    if start not in ("refuse", "late"):
        raise ParameterError(
            f"search_start={start!r} is not understood; pass 'refuse' or 'late' (search "
            "that starts after the sales: its models are fitted on the span it covers)"
        )
    out: dict[str, int] = {}
    for col, lag in spec.items():
        col = str(col)
        if isinstance(lag, bool) or not isinstance(lag, int | np.integer):
            raise ParameterError(
                f"past_covariates[{col!r}] = {lag!r}: the lag must be a whole number of "
                "periods (1 or more)"
            )
        if lag < 1:
            raise ParameterError(
                f"past_covariates[{col!r}] = {lag}: a past-only covariate enters at lag 1 or "
                "more (its value at the forecast period is not known when forecasting); "
                "for the current period's value from same-period search use "
                "trendcast.nowcast"
            )
        if col in columns:
            raise ParameterError(
                f"past_covariates names the id, time or target column {col!r}; "
                "list only covariate columns"
            )
        out[col] = int(lag)
    both = [c for c in out if c in covariates]
    if both:
        raise ParameterError(
            f"{format_items(both)} {verb(len(both), 'is', 'are')} declared both past-only "
            "(past_covariates) and future-known (future_covariates). A value known only "
            "up to the forecast origin, like search interest, is past-only; drop it from "
            "future_covariates. A value planned for the horizon is future-known; drop it "
            "from past_covariates"
        )
    return out
