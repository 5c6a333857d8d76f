"""Everything a fitted forecaster holds, in one object."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trendcast._calibration import Calibration
from trendcast._engine.fitting import SeriesFit
from trendcast._engine.plan import Plan, SearchSetup
from trendcast._engine.spec import Spec
from trendcast._validation import count, format_items
from trendcast.exceptions import NotFittedError, ParameterError
from trendcast.models import LocalModel


class ModelsView(Mapping[Any, LocalModel]):
    """Category -> fitted model, read through the fits (built on first use after a load)."""

    def __init__(self, fits: Mapping[Any, SeriesFit]) -> None:
        self._fits = fits

    def __getitem__(self, key: Any) -> LocalModel:
        model = self._fits[key].model
        assert model is not None  # a stored fit always has a model
        return model

    def __iter__(self) -> Iterator[Any]:
        return iter(self._fits)

    def __len__(self) -> int:
        return len(self._fits)

    def __contains__(self, key: object) -> bool:
        return key in self._fits

    def __repr__(self) -> str:
        # a loaded forecaster's fits say how many were rebuilt so far; a fitted one's are a dict
        return repr(dict(self.items())) if isinstance(self._fits, dict) else repr(self._fits)


class Deferred:
    """A value computed when first read: ``func(*args)`` (module-level, so it pickles).

    A load hands ``ForecasterState`` its report tables so: a service that loads a
    save to forecast one category never builds the 1,000-row tables it does not read.
    """

    __slots__ = ("args", "func")

    def __init__(self, func: Any, *args: Any) -> None:
        self.func = func
        self.args = args

    def __call__(self) -> Any:
        return self.func(*self.args)


class _DeferrableField:
    """A dataclass field that may hold a ``Deferred``, computed and kept at first read."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        self._slot = "_deferred_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:  # the dataclass asking for a default: there is none
            raise AttributeError(self._name)
        value = obj.__dict__[self._slot]
        if isinstance(value, Deferred):
            value = obj.__dict__[self._slot] = value()
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self._slot] = value


@dataclass
class ForecasterState:
    """The fitted state of a ``TrendForecaster``.

    One object holds it all, so a fitted forecaster is its parameters plus
    this: persistence saves and loads it, ``update`` and a fallback at
    predict time change it in place, and a nightly job can checkpoint it. A
    category's record is its fit (model, chain, reasons, scores), its history
    ``y`` and covariates ``X`` and its last date.

    Attributes
    ----------
    spec : Spec
        The settings resolved at fit (columns, frequency, season length,
        covariates and lags, calendar).
    plan : Plan
        Candidates, fallbacks and backtest of the categories without search,
        with their pools trained.
    search : SearchSetup or None
        With past covariates: the categories with search and their plan.
    fits, y, X, last_dates : mappings by category
        The per-category records (``fits`` may build each fit on first use).
    fit_report, selection_report : DataFrame
        As ``TrendForecaster.fit_report_`` and ``selection_report_`` (a load
        may pass a ``Deferred`` instead, built when first read).
    calibration : Calibration or None
        The conformal calibration pooled across categories.
    search_report : DataFrame or None
        With past covariates, ``TrendForecaster.search_report_``.
    fitted_at : Timestamp or None
        When ``fit`` ran (UTC, whole seconds).
    """

    spec: Spec
    plan: Plan
    fits: MutableMapping[Any, SeriesFit]
    y: MutableMapping[Any, np.ndarray]
    X: MutableMapping[Any, np.ndarray | None]
    last_dates: dict[Any, pd.Timestamp]
    fit_report: pd.DataFrame = _DeferrableField()  # type: ignore[assignment]
    selection_report: pd.DataFrame = _DeferrableField()  # type: ignore[assignment]
    search: SearchSetup | None = None
    calibration: Calibration | None = None
    search_report: pd.DataFrame | None = None
    fitted_at: pd.Timestamp | None = None

    @property
    def models(self) -> ModelsView:
        """Category -> fitted model."""
        return ModelsView(self.fits)

    @property
    def keys(self) -> list[Any]:
        """The fitted categories, in fit order."""
        return list(self.fits)

    def select(self, ids: Any = None) -> list[Any]:
        """The fitted categories among ``ids`` (all when None), in fit order.

        Raises
        ------
        ParameterError
            When an id was not fitted (the message names up to five).
        """
        if ids is None:
            return self.keys
        wanted = [ids] if isinstance(ids, str | int | np.integer) else list(ids)
        unknown = [k for k in dict.fromkeys(wanted) if k not in self.fits]
        if unknown:
            raise ParameterError(
                f"ids: {count(len(unknown), 'category', 'categories')} not fitted: "
                f"{format_items(unknown)}; fitted categories start "
                f"{format_items(list(self.fits)[:5])}"
            )
        chosen = set(wanted)
        return [k for k in self.fits if k in chosen]

    def plan_of(self, key: Any) -> tuple[Plan, frozenset[int]]:
        """The plan of one category and the positions of its search candidates."""
        if self.search is not None and key in self.search.keys:
            return self.search.plan, self.search.positions
        return self.plan, frozenset()

    def calibration_plan(self) -> Plan:
        """Calibration pools by candidate position: the longest candidate list."""
        return calibration_plan(self.plan, self.search)

    def calibration_report(self) -> pd.DataFrame:
        """``TrendForecaster.calibration_report_``."""
        return (self.calibration or Calibration({})).report()

    def search_keys(self) -> frozenset[Any]:
        """The categories fitted with search (empty without past covariates)."""
        return frozenset() if self.search is None else self.search.keys


def calibration_plan(plan: Plan, search: SearchSetup | None) -> Plan:
    """The plan whose candidate positions key the calibration pools."""
    return search.plan if search is not None else plan


class FittedAttributes:
    """The fitted attributes of a forecaster, read from its ``state_``.

    Before ``fit`` each raises ``NotFittedError`` (an ``AttributeError``, so
    ``hasattr`` is False).
    """

    def _fitted(self) -> ForecasterState:
        state = self.__dict__.get("state_")
        if state is None:
            raise NotFittedError("This TrendForecaster is not fitted yet; call fit(df) first.")
        return state

    def _map(self, func: Any, items: list[Any], *args: Any, desc: str) -> list[Any]:
        """Run ``func`` over ``items`` as the forecaster's ``n_jobs``/``backend`` say
        (``TrendForecaster._map``; the engine's mixins run their work through it)."""
        raise NotImplementedError  # pragma: no cover - TrendForecaster runs it

    @property
    def models_(self) -> ModelsView:
        """Category -> fitted model."""
        return self._fitted().models

    @property
    def fit_report_(self) -> pd.DataFrame:
        """One row per category: model tried, reason, model used, status."""
        return self._fitted().fit_report

    @property
    def selection_report_(self) -> pd.DataFrame:
        """Backtest MASE of every candidate for every category."""
        return self._fitted().selection_report

    @property
    def calibration_report_(self) -> pd.DataFrame:
        """Per model, level and step: the calibration factor and coverage."""
        return self._fitted().calibration_report()

    @property
    def search_report_(self) -> pd.DataFrame:
        """With past covariates: per category, whether search was kept and why."""
        report = self._fitted().search_report
        if report is None:
            raise AttributeError("search_report_: this forecaster has no past_covariates")
        return report

    @property
    def freq_(self) -> str:
        """The frequency used."""
        return self._fitted().spec.freq

    @property
    def season_length_(self) -> int:
        """The season length used."""
        return self._fitted().spec.season_length

    @property
    def last_dates_(self) -> dict[Any, pd.Timestamp]:
        """Category -> last date of its history."""
        return self._fitted().last_dates

    @property
    def fitted_at_(self) -> pd.Timestamp | None:
        """When ``fit`` ran (UTC)."""
        return self._fitted().fitted_at
