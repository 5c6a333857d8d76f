"""Intermittent demand: Croston, SBA, TSB, and the rule that picks one.

Use these models for *sparse* categories, which have no demand in many
periods (slow movers, spare parts, niche products, daily sales of a single
item). Smoothing methods such as ETS treat the zeros as a level and chase
every sale; these methods instead smooth the size of the demands and how
often they occur, and forecast the mean demand per period.

- [`Croston`][trendcast.models.Croston] (Croston, 1972) smooths the non-zero
  demand sizes and the intervals between them, updating both only when a
  demand occurs. The forecast is smoothed size / smoothed interval.
- [`SBA`][trendcast.models.SBA] (Syntetos and Boylan, 2005) multiplies
  Croston's forecast by ``1 - alpha / 2``, removing most of its upward bias.
- [`TSB`][trendcast.models.TSB] (Teunter, Syntetos and Babai, 2011)
  smooths the probability of a demand *every* period, so a run of zeros
  pulls the forecast down: it shows a product going out of use, where
  Croston's forecast stays where the last sale left it.
- [`IntermittentDemand`][trendcast.models.IntermittentDemand] picks one of
  the three from the series (see its rule).
- [`classify_demand`][trendcast.models.classify_demand] gives the
  Syntetos-Boylan-Croston class of a series, and
  [`is_sparse`][trendcast.models.is_sparse] the rule for sending a category
  to these models.

Smoothing parameters are given, or chosen on a grid (0.02 to 0.30 in steps
of 0.01, as recommended for these methods) by the lowest in-sample mean
squared (or absolute, ``loss="mae"``) one-period-ahead error, counted from
the period after the first demand.

The methods give a mean demand per period only. The intervals and sample
paths come from simulating the fitted model forward: each period a demand
occurs with the model's probability (``1 / interval`` for Croston,
``(1 - alpha / 2) / interval`` for SBA, the smoothed probability for TSB),
its size is the current smoothed size times a ratio drawn from the history's
ratios of each demand to the smoothed size just before it (scaled to mean 1,
so that the mean of the simulated demand is the method's forecast), and the smoothed
states are updated with the simulated demand as they would be with real
data, so the spread widens with the horizon. Bounds are quantiles of the
simulated demand per period: never below zero, and, for a sparse series,
often zero at the lower end; the upper bound of a narrow interval can then
lie below the mean, because the mean demand per period is not a demand that
occurs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.stats import binomtest

from trendcast.exceptions import DataValidationError, ModelFitError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = [
    "SBA",
    "TSB",
    "Croston",
    "DemandClass",
    "IntermittentDemand",
    "classify_demand",
    "is_sparse",
]

#: grid of smoothing parameters tried when one is not given
GRID = np.round(np.arange(0.02, 0.3001, 0.01), 2)
#: Syntetos-Boylan-Croston cut-offs
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


def _ses(x: np.ndarray, alpha: float, init: float) -> np.ndarray:
    """Levels of simple exponential smoothing after each value of ``x``.

    ``level[k] = level[k-1] + alpha * (x[k] - level[k-1])`` with
    ``level[-1] = init``.
    """
    out, _ = lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * init])
    return np.asarray(out, dtype=float)


def _loss(errors: np.ndarray, loss: str) -> np.ndarray:
    return np.mean(errors**2, axis=-1) if loss == "mse" else np.mean(np.abs(errors), axis=-1)


def _check_alpha(value: float | None, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ModelFitError(f"{what}={value!r} is not a number; pass a value in (0, 1] or None")
    if not 0.0 < float(value) <= 1.0:
        raise ModelFitError(f"{what}={value!r} must be in (0, 1], or None to choose it")
    return float(value)


def _check_demand(y: np.ndarray, family: str) -> np.ndarray:
    if np.any(y < 0):
        raise ModelFitError(
            f"{family} needs non-negative demand; found {int(np.sum(y < 0))} negative value(s)"
        )
    where = np.flatnonzero(y > 0)
    if where.size == 0:
        raise ModelFitError(
            f"{family} needs at least one period with demand; the series is all zeros "
            "(forecast it with Naive, which repeats zero)"
        )
    return where


class _CrostonFamily(LocalModel):
    """Croston's recursion; subclasses set the bias correction."""

    family = "Croston"
    _debiased = False

    def __init__(
        self,
        alpha: float | None = None,
        loss: str = "mse",
        n_simulations: int = 1000,
        random_state: int = 0,
    ) -> None:
        self.alpha = alpha
        self.loss = loss
        self.n_simulations = n_simulations
        self.random_state = random_state

    def tags(self) -> ModelTags:
        return ModelTags(min_length=2, supports_update=True, produces_samples=True)

    def _factor(self, alpha: float | np.ndarray) -> float | np.ndarray:
        return 1.0 - alpha / 2.0 if self._debiased else 1.0

    def _states(self, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Demand positions and the smoothed sizes and intervals after each demand."""
        where = np.flatnonzero(y > 0)
        sizes = y[where]
        intervals = np.diff(np.concatenate([[-1], where])).astype(float)
        return where, _ses(sizes, alpha, sizes[0]), _ses(intervals, alpha, intervals[0])

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        if self.loss not in ("mse", "mae"):
            raise ModelFitError(f"loss={self.loss!r} is not known; use 'mse' or 'mae'")
        where = _check_demand(y, self.family)
        alpha = _check_alpha(self.alpha, "alpha")
        if alpha is None:
            alpha = self._optimise(y, where)
        self.alpha_ = alpha
        self._filter(y)

    def _optimise(self, y: np.ndarray, where: np.ndarray) -> float:
        # forecast for period t: smoothed size / interval after the last demand before t
        seg = np.append(where[1:], y.size - 1) - where
        target = y[where[0] + 1 :]
        if target.size == 0:
            return float(GRID[0])
        scores = []
        for a in GRID:
            _, z, p = self._states(y, float(a))
            f = np.repeat(self._factor(a) * z / p, seg)
            scores.append(_loss(target - f, self.loss))
        return float(GRID[int(np.argmin(scores))])

    def _filter(self, y: np.ndarray) -> None:
        where, z, p = self._states(y, self.alpha_)
        self.size_ = float(z[-1])
        self.interval_ = float(p[-1])
        self.since_demand_ = int(y.size - 1 - where[-1])
        self.size_ratios_ = _size_ratios(y[where], z)

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Run the recursion over the whole history with the fitted ``alpha_``."""
        self._filter(y_all)

    def _forecast(self) -> float:
        return float(self._factor(self.alpha_) * self.size_ / self.interval_)

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        rng = np.random.default_rng(self.random_state)
        paths = self._sample_paths(h, int(self.n_simulations), X_future, rng)
        return _from_paths(np.full(h, self._forecast()), paths, levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        a = self.alpha_
        z = np.full(n_paths, self.size_)
        p = np.full(n_paths, self.interval_)
        since = np.full(n_paths, float(self.since_demand_))
        out = np.empty((n_paths, h))
        factor = self._factor(a)
        for k in range(h):
            since += 1.0
            occurs = rng.random(n_paths) < factor / np.maximum(p, 1.0)
            size = z * rng.choice(self.size_ratios_, n_paths)
            out[:, k] = np.where(occurs, size, 0.0)
            z = np.where(occurs, z + a * (size - z), z)
            p = np.where(occurs, p + a * (since - p), p)
            since = np.where(occurs, 0.0, since)
        return out

    @property
    def name(self) -> str:
        return self.family


class Croston(_CrostonFamily):
    """Croston's method: smoothed demand size over smoothed demand interval.

    At each period with demand, the size ``z`` and the interval since the
    previous demand ``p`` are smoothed with the same ``alpha``; periods without
    demand change nothing. Both start at the first demand (the first interval
    counts from the start of the series). The forecast of every future period
    is ``z / p``, the mean demand per period. See the module notes for the
    choice of ``alpha`` and how the intervals are simulated.

    Parameters
    ----------
    alpha : float, optional
        Smoothing parameter in (0, 1]; ``None`` (the default) chooses it on
        the grid 0.02..0.30 by the lowest in-sample ``loss``.
    loss : {"mse", "mae"}
        In-sample one-period-ahead error minimised when choosing ``alpha``.
    n_simulations : int
        Sample paths simulated for the intervals.
    random_state : int
        Seed for those simulations: same seed, same intervals.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import Croston
    >>> y = np.array([0.0, 3, 0, 0, 6, 0, 2])
    >>> m = Croston(alpha=0.5).fit(y)   # sizes 3, 4.5, 3.25; intervals 2, 2.5, 2.25
    >>> round(float(m.predict(1).mean[0]), 4)
    1.4444
    """

    family = "Croston"


class SBA(_CrostonFamily):
    """The Syntetos-Boylan approximation: Croston times ``1 - alpha / 2``.

    Croston's forecast is biased upwards (the expected value of one over a
    smoothed interval exceeds one over the mean interval); Syntetos and Boylan
    (2005) showed that the factor ``1 - alpha / 2`` removes most of the bias.
    It is the usual first choice for intermittent and lumpy demand. When
    ``alpha`` is chosen, it is chosen for the corrected forecast. In the
    simulation the probability of a demand is scaled by the same factor.
    Parameters as for [`Croston`][trendcast.models.Croston].

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import SBA
    >>> y = np.array([0.0, 3, 0, 0, 6, 0, 2])
    >>> round(float(SBA(alpha=0.5).fit(y).predict(1).mean[0]), 4)   # 1.4444 * 0.75
    1.0833
    """

    family = "SBA"
    _debiased = True


class TSB(LocalModel):
    """Teunter-Syntetos-Babai: smoothed demand probability times smoothed size.

    Every period the probability of a demand is smoothed towards 1 (a demand
    occurred) or 0 (none) with ``beta``; at periods with demand the size is
    smoothed with ``alpha``. The forecast is probability times size, so a
    stretch without demand lowers it period after period, which shows
    obsolescence. The probability starts at the share of periods with demand
    in the fitted history, the size at the first demand.

    Parameters
    ----------
    alpha : float, optional
        Smoothing parameter of the demand size; ``None`` chooses it.
    beta : float, optional
        Smoothing parameter of the demand probability; ``None`` chooses it.
        Parameters left at ``None`` are chosen together on the grid
        0.02..0.30 by the lowest in-sample ``loss``.
    loss : {"mse", "mae"}
        In-sample one-period-ahead error minimised when choosing.
    n_simulations : int
        Sample paths simulated for the intervals.
    random_state : int
        Seed for those simulations.

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import TSB
    >>> y = np.array([2.0, 0, 4, 0, 0, 0])
    >>> m = TSB(alpha=0.5, beta=0.5).fit(y)
    >>> round(float(m.predict(1).mean[0]), 4)   # probability 0.0833 * size 3
    0.25
    """

    family = "TSB"

    def __init__(
        self,
        alpha: float | None = None,
        beta: float | None = None,
        loss: str = "mse",
        n_simulations: int = 1000,
        random_state: int = 0,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.loss = loss
        self.n_simulations = n_simulations
        self.random_state = random_state

    def tags(self) -> ModelTags:
        return ModelTags(min_length=2, supports_update=True, produces_samples=True)

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        if self.loss not in ("mse", "mae"):
            raise ModelFitError(f"loss={self.loss!r} is not known; use 'mse' or 'mae'")
        where = _check_demand(y, self.family)
        alpha = _check_alpha(self.alpha, "alpha")
        beta = _check_alpha(self.beta, "beta")
        self.probability_init_ = float(np.mean(y > 0))
        alphas = GRID if alpha is None else np.array([alpha])
        betas = GRID if beta is None else np.array([beta])
        if alphas.size * betas.size > 1 and where[0] + 1 < y.size:
            # forecast for period t + 1 is probability[t] * size[t], t from the first demand
            seg = np.append(where[1:], y.size) - where
            sizes = np.stack([np.repeat(_ses(y[where], a, y[where[0]]), seg) for a in alphas])
            occurs = (y > 0).astype(float)
            probs = np.stack([_ses(occurs, b, self.probability_init_) for b in betas])
            start, stop = where[0], y.size - 1
            f = sizes[:, None, start - where[0] : stop - where[0]] * probs[None, :, start:stop]
            scores = _loss(y[start + 1 :] - f, self.loss)
            i, j = np.unravel_index(int(np.argmin(scores)), scores.shape)
            alpha, beta = float(alphas[i]), float(betas[j])
        self.alpha_ = float(alphas[0]) if alpha is None else alpha
        self.beta_ = float(betas[0]) if beta is None else beta
        self._filter(y)

    def _filter(self, y: np.ndarray) -> None:
        where = np.flatnonzero(y > 0)
        z = _ses(y[where], self.alpha_, y[where[0]])
        self.size_ = float(z[-1])
        probs = _ses((y > 0).astype(float), self.beta_, self.probability_init_)
        self.probability_ = float(probs[-1])
        self.size_ratios_ = _size_ratios(y[where], z)

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """Run the recursion over the whole history with the fitted parameters."""
        self._filter(y_all)

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        rng = np.random.default_rng(self.random_state)
        paths = self._sample_paths(h, int(self.n_simulations), X_future, rng)
        return _from_paths(np.full(h, self.probability_ * self.size_), paths, levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        a, b = self.alpha_, self.beta_
        z = np.full(n_paths, self.size_)
        prob = np.full(n_paths, self.probability_)
        out = np.empty((n_paths, h))
        for k in range(h):
            occurs = rng.random(n_paths) < prob
            size = z * rng.choice(self.size_ratios_, n_paths)
            out[:, k] = np.where(occurs, size, 0.0)
            z = np.where(occurs, z + a * (size - z), z)
            prob = prob + b * (occurs - prob)
        return out


def _size_ratios(sizes: np.ndarray, smoothed: np.ndarray) -> np.ndarray:
    """Each demand over the smoothed size just before it (the first over itself),
    scaled to mean 1 so that simulated demand has the method's forecast as its mean."""
    ratios = sizes / np.concatenate([[smoothed[0]], smoothed[:-1]])
    return ratios / ratios.mean()


def _from_paths(mean: np.ndarray, paths: np.ndarray, levels: tuple[int, ...]) -> ModelForecast:
    out = ModelForecast(mean=mean)
    for level in levels:
        lo, hi = np.quantile(paths, [0.5 - level / 200.0, 0.5 + level / 200.0], axis=0)
        out.lower[level] = lo
        out.upper[level] = hi
    return out


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
    ('intermittent', 2.6666666666666665, 0.011)
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


def falling_demand_probability(y: np.ndarray, recent: int | None = None) -> tuple[bool, float]:
    """Whether demand occurs less often in the most recent stretch than before.

    One-sided binomial test: the number of periods with demand in the last
    ``recent`` periods against the rate of the periods before (with one
    demand and one non-demand period added, so that a history with demand in
    every period still allows a drop). Falling when the p-value is below 0.05.

    Parameters
    ----------
    y : array of shape (n,)
        Demand per period.
    recent : int, optional
        Length of the recent stretch; ``None`` takes a quarter of the history,
        at least 4 periods (at most half of it).

    Returns
    -------
    (falling, p_value)
    """
    arr = np.asarray(y, dtype=float)
    n = arr.size
    r = max(4, math.ceil(n / 4)) if recent is None else int(recent)
    r = min(r, n // 2)
    if r < 1:
        return False, 1.0
    before, last = arr[:-r] > 0, arr[-r:] > 0
    rate = (before.sum() + 1.0) / (before.size + 2.0)
    p_value = float(binomtest(int(last.sum()), r, rate, alternative="less").pvalue)
    return p_value < 0.05, p_value


class IntermittentDemand(LocalModel):
    """Picks Croston, SBA or TSB for a sparse series, and forecasts with it.

    The rule, applied once at ``fit``:

    1. TSB when demand occurs less often in the most recent stretch than
       before it (a one-sided binomial test at 5%, see
       [`falling_demand_probability`][trendcast.models.intermittent.falling_demand_probability]):
       only TSB lets a run of zeros pull the forecast down.
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

    Examples
    --------
    >>> import numpy as np
    >>> from trendcast.models import IntermittentDemand
    >>> y = np.array([0.0, 5, 0, 0, 6, 0, 5, 0, 4, 0, 0, 5, 0, 6, 0, 0])
    >>> IntermittentDemand().fit(y).name
    'IntermittentDemand(SBA)'
    >>> y[6:] = 0   # no demand since period 6: a product going out of use
    >>> IntermittentDemand().fit(y).name
    'IntermittentDemand(TSB)'
    """

    family = "IntermittentDemand"

    def __init__(
        self,
        recent: int | None = None,
        loss: str = "mse",
        n_simulations: int = 1000,
        random_state: int = 0,
    ) -> None:
        self.recent = recent
        self.loss = loss
        self.n_simulations = n_simulations
        self.random_state = random_state

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
        falling, p_value = falling_demand_probability(y, self.recent)
        common = {
            "loss": self.loss,
            "n_simulations": self.n_simulations,
            "random_state": self.random_state,
        }
        model: LocalModel
        if falling:
            model = TSB(**common)
            reason = f"demand probability falling in the recent stretch (p = {p_value:.3g})"
        elif kind.demand_class == "smooth":
            model = Croston(**common)
            reason = "smooth demand (ADI < 1.32, CV² < 0.49)"
        else:
            model = SBA(**common)
            reason = f"{kind.demand_class} demand (ADI {kind.adi:.2f}, CV² {kind.cv2:.2f})"
        self.demand_class_ = kind
        self.reason_ = reason
        self.model_ = model.fit(y)

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
