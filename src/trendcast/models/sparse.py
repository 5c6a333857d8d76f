"""Which categories are sparse, their demand class, and the model that picks a method.

- [`classify_demand`][trendcast.models.classify_demand] gives the
  Syntetos-Boylan-Croston class of a series (smooth, erratic, intermittent,
  lumpy) with the numbers behind it.
- [`is_sparse`][trendcast.models.is_sparse] is the rule ``TrendForecaster``
  uses to send a category to the intermittent-demand models.
- [`IntermittentDemand`][trendcast.models.IntermittentDemand] picks Croston,
  SBA or TSB (see [`trendcast.models.intermittent`][trendcast.models.intermittent])
  for a series and forecasts with it. Use it for sparse categories.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trendcast.exceptions import DataValidationError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags
from trendcast.models.intermittent import SBA, TSB, Croston, _check_demand

__all__ = [
    "DemandClass",
    "IntermittentDemand",
    "classify_demand",
    "demand_probability_change",
    "is_sparse",
]

#: Syntetos-Boylan-Croston cut-offs
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


@dataclass(frozen=True)
class DemandClass:
    """The Syntetos-Boylan-Croston class of a series, with the numbers behind it.

    Attributes
    ----------
    demand_class : str
        ``"smooth"`` (ADI < 1.32, CV² < 0.49), ``"erratic"`` (ADI < 1.32,
        CV² >= 0.49), ``"intermittent"`` (ADI >= 1.32, CV² < 0.49) or
        ``"lumpy"`` (ADI >= 1.32, CV² >= 0.49).
    adi : float
        Average inter-demand interval: periods per period with demand.
    cv2 : float
        Squared coefficient of variation of the non-zero demand sizes.
    n_periods : int
        Length of the series.
    n_demands : int
        Periods with demand (non-zero values).
    """

    demand_class: str
    adi: float
    cv2: float
    n_periods: int
    n_demands: int


def _as_demand(y: np.ndarray) -> np.ndarray:
    try:
        arr = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError(f"y must be numeric demand: {exc}") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise DataValidationError(f"y must be a non-empty 1-D series, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise DataValidationError(
            "y contains missing or infinite values; fill or drop them before classifying"
        )
    if np.any(arr < 0):
        raise DataValidationError(
            f"y contains {int(np.sum(arr < 0))} negative value(s); demand cannot be negative"
        )
    return arr


def classify_demand(y: np.ndarray) -> DemandClass:
    """Syntetos-Boylan-Croston class of a demand series (Syntetos et al., 2005).

    ADI, the average inter-demand interval, is the number of periods divided
    by the number of periods with demand, over the whole history (so a run of
    zeros at the end raises it). CV² is the squared coefficient of variation
    of the non-zero sizes (sample standard deviation over mean; 0 with a
    single demand). The cut-offs are ADI 1.32 and CV² 0.49.

    Parameters
    ----------
    y : array of shape (n,)
        Demand per period, non-negative, in time order.

    Returns
    -------
    DemandClass

    Raises
    ------
    DataValidationError
        When ``y`` is empty, not finite, negative, or has no demand at all
        (ADI and CV² are then undefined).

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import classify_demand
    >>> c = classify_demand(np.array([0.0, 5, 0, 0, 6, 0, 5, 0]))
    >>> c.demand_class, c.adi, round(c.cv2, 3)
    ('intermittent', 2.6666666666666665, 0.012)
    """
    arr = _as_demand(y)
    sizes = arr[arr > 0]
    if sizes.size == 0:
        raise DataValidationError(
            f"y has no period with demand in {arr.size} periods; ADI and CV² are undefined"
        )
    adi = arr.size / sizes.size
    cv2 = float((np.std(sizes, ddof=1) / np.mean(sizes)) ** 2) if sizes.size > 1 else 0.0
    if adi < ADI_CUTOFF:
        kind = "smooth" if cv2 < CV2_CUTOFF else "erratic"
    else:
        kind = "intermittent" if cv2 < CV2_CUTOFF else "lumpy"
    return DemandClass(kind, float(adi), cv2, int(arr.size), int(sizes.size))


def is_sparse(y: np.ndarray) -> bool:
    """Whether a category should be forecast with the intermittent-demand models.

    A category is sparse when it has no demand in at least a quarter of its
    periods: ADI >= 1.32, the Syntetos-Boylan-Croston cut-off (classes
    ``intermittent`` and ``lumpy``; 1 / 1.32 means demand in at most 75.8% of
    periods). A series with no demand at all is sparse too. A series with
    demand in almost every period is not, however variable its sizes
    (``erratic``): smoothing methods such as ETS forecast it better.

    Parameters
    ----------
    y : array of shape (n,)
        Demand per period, non-negative, in time order.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import is_sparse
    >>> is_sparse(np.array([0.0, 5, 0, 0, 6, 0, 5, 0])), is_sparse(np.array([4.0, 5, 3, 6]))
    (True, False)
    """
    arr = _as_demand(y)
    n_demands = int(np.sum(arr > 0))
    return n_demands == 0 or arr.size / n_demands >= ADI_CUTOFF


def demand_probability_change(y: np.ndarray, recent: int | None = None) -> tuple[str, float]:
    """Whether demand occurs more or less often in the most recent stretch than before.

    Two-sided binomial test: the number of periods with demand in the last
    ``recent`` periods against the rate of the periods before (with one
    demand and one non-demand period added to those, so that a history with
    demand in every period, or in none, still allows a change). A change when
    the p-value is below 0.05.

    Parameters
    ----------
    y : array of shape (n,)
        Demand per period.
    recent : int, optional
        Length of the recent stretch; ``None`` takes a quarter of the history,
        at least 4 periods (at most half of it).

    Returns
    -------
    (change, p_value)
        ``change`` is ``"falling"``, ``"rising"`` or ``"steady"``.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models.sparse import demand_probability_change
    >>> y = np.tile([0.0, 5, 6, 0], 6)   # demand in half the periods
    >>> demand_probability_change(y)[0]
    'steady'
    >>> y[18:] = 0   # none in the last 6
    >>> demand_probability_change(y)
    ('falling', 0.03125)
    """
    arr = np.asarray(y, dtype=float)
    n = arr.size
    r = max(4, math.ceil(n / 4)) if recent is None else int(recent)
    r = min(r, n // 2)
    if r < 1:
        return "steady", 1.0
    before, last = arr[:-r] > 0, arr[-r:] > 0
    rate = (before.sum() + 1.0) / (before.size + 2.0)
    k = int(last.sum())
    from scipy.stats import binomtest

    p_value = float(binomtest(k, r, rate, alternative="two-sided").pvalue)
    if p_value >= 0.05:
        return "steady", p_value
    return ("falling" if k < r * rate else "rising"), p_value


class IntermittentDemand(LocalModel):
    """Picks Croston, SBA or TSB for a sparse series, and forecasts with it.

    The rule, applied once at ``fit``:

    1. TSB when demand occurs less often, or more often, in the most recent
       stretch than before it (a two-sided binomial test at 5%, see
       [`demand_probability_change`][trendcast.models.sparse.demand_probability_change]):
       TSB updates the probability of a demand every period, so a run of
       zeros pulls its forecast down (obsolescence) and a run of sales pulls
       it up; Croston and SBA assume demand keeps occurring at the same rate
       and only move at a demand.
    2. Otherwise, by the Syntetos-Boylan-Croston class
       ([`classify_demand`][trendcast.models.classify_demand]): SBA for
       ``intermittent``, ``lumpy`` and ``erratic`` series, Croston for
       ``smooth`` ones (where Croston's bias is small and the correction
       would bias it downwards), as in Syntetos, Boylan and Croston (2005).

    ``update`` keeps the method and its parameters. The chosen method shows
    in the name, e.g. ``IntermittentDemand(SBA)``, and in ``reason_``.

    Parameters
    ----------
    recent : int, optional
        Length of the recent stretch for rule 1; ``None`` takes a quarter of
        the history (at least 4 periods).
    loss, n_simulations, random_state
        Passed to the chosen method (its smoothing parameters are chosen).
    discrete : bool or "auto", default False
        Simulated demand (sample paths, hence the bounds) in whole units:
        ``True``, or ``"auto"`` when the history holds whole numbers only
        (counts). Each simulated size is rounded down or up at random, keeping
        its mean, and the bounds are counts. ``TrendForecaster(models="auto")``
        fits sparse categories with ``"auto"``.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import IntermittentDemand
    >>> y = np.tile([0.0, 5, 6, 0], 6)   # demand every other period
    >>> IntermittentDemand().fit(y).name
    'IntermittentDemand(SBA)'
    >>> y[16:] = 0   # none in the last 8 periods: a product going out of use
    >>> IntermittentDemand().fit(y).name
    'IntermittentDemand(TSB)'
    """

    family = "IntermittentDemand"
    _saved_name = "trendcast.IntermittentDemand"
    _saved_state = {"demand_class_": "tuple", "reason_": "str", "model_": "model"}

    def __init__(
        self,
        recent: int | None = None,
        loss: str = "mse",
        n_simulations: int = 1000,
        random_state: int = 0,
        discrete: bool | str = False,
    ) -> None:
        self.recent = recent
        self.loss = loss
        self.n_simulations = n_simulations
        self.random_state = random_state
        self.discrete = discrete

    def tags(self) -> ModelTags:
        return ModelTags(min_length=2, supports_update=True, produces_samples=True)

    @property
    def name(self) -> str:
        if not hasattr(self, "model_"):
            return self.family
        return f"{self.family}({self.model_.family})"

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        _check_demand(y, self.family)
        kind = classify_demand(y)
        change, p_value = demand_probability_change(y, self.recent)
        kw: dict[str, Any] = {
            "n_simulations": self.n_simulations,
            "random_state": self.random_state,
            "discrete": self.discrete,
        }
        model: LocalModel
        if change != "steady":
            model = TSB(loss=self.loss, **kw)
            reason = f"demand probability {change} in the recent stretch (p = {p_value:.3g})"
        elif kind.demand_class == "smooth":
            model = Croston(loss=self.loss, **kw)
            reason = "smooth demand (ADI < 1.32, CV² < 0.49)"
        else:
            model = SBA(loss=self.loss, **kw)
            reason = f"{kind.demand_class} demand (ADI {kind.adi:.2f}, CV² {kind.cv2:.2f})"
        self.demand_class_ = kind
        self.reason_ = reason
        self.model_ = model.fit(y)

    def _state_to_save(self, names: Sequence[str]) -> dict[str, Any]:
        """The fitted state, with the demand class as a plain tuple."""
        state = super()._state_to_save(names)
        state["demand_class_"] = dataclasses.astuple(self.demand_class_)
        return state

    def _restore_state(self, state: dict[str, Any]) -> None:
        """Set the saved state; the demand class comes back as a ``DemandClass``."""
        kind, adi, cv2, n_periods, n_demands = state["demand_class_"]
        super()._restore_state(
            {
                **state,
                "demand_class_": DemandClass(
                    str(kind), float(adi), float(cv2), int(n_periods), int(n_demands)
                ),
            }
        )

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Keep the chosen method and its parameters; move its state forward."""
        self.model_.update(y_all[self.model_.n_obs_ :])

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        return self.model_.predict(h, level=levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        return self.model_.sample_paths(h, n_paths, random_state=rng)
