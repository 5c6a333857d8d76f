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

[`IntermittentDemand`][trendcast.models.IntermittentDemand] picks one of the
three from the series, and [`is_sparse`][trendcast.models.is_sparse] says
which categories should use it (module ``trendcast.models.sparse``).

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

import numpy as np

from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

__all__ = ["SBA", "TSB", "Croston"]

#: grid of smoothing parameters tried when one is not given
GRID = np.round(np.arange(0.02, 0.3001, 0.01), 2)


def _ses(x: np.ndarray, alpha: float, init: float) -> np.ndarray:
    """Levels of simple exponential smoothing after each value of ``x``.

    ``level[k] = level[k-1] + alpha * (x[k] - level[k-1])`` with
    ``level[-1] = init``.
    """
    from scipy.signal import lfilter  # here, not at import: scipy.signal takes 0.4 s

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


class _Simulated(LocalModel):
    """Bounds from the quantiles of simulated sample paths."""

    n_simulations: int
    random_state: int
    discrete: bool | str

    def _whole_units(self) -> bool:
        """Simulated demand comes in whole units: ``discrete=True``, or ``"auto"`` on counts."""
        check_discrete(self.discrete)
        if self.discrete == "auto":
            return bool(np.all(self.y_ == np.round(self.y_)))
        return bool(self.discrete)

    @property
    def _whole(self) -> bool:
        return self._whole_units()

    def _sizes(self, size: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Demand sizes, rounded to whole units (keeping their mean) for count data.

        Each size is rounded down or up at random, up with probability its
        fractional part, so the mean is unchanged; a size rounded to zero is a
        period without demand.
        """
        if not self._whole:
            return size
        low = np.floor(size)
        return low + (rng.random(size.size) < size - low)

    def _with_bounds(
        self, mean: np.ndarray, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        out = ModelForecast(mean=mean)
        if not levels:
            return out
        n_paths = int(self.n_simulations)
        if n_paths < 1:
            raise ParameterError(f"n_simulations={self.n_simulations!r} must be a positive integer")
        rng = np.random.default_rng(self.random_state)
        paths = self._sample_paths(mean.size, n_paths, X_future, rng)
        # whole units: a bound is a count (the smallest with that probability below it)
        whole = self._whole
        for level in levels:
            probs = [0.5 - level / 200.0, 0.5 + level / 200.0]
            if whole:
                lo, hi = np.quantile(paths, probs, axis=0, method="inverted_cdf")
            else:
                lo, hi = np.quantile(paths, probs, axis=0)
            out.lower[level] = lo
            out.upper[level] = hi
        return out


class _CrostonFamily(_Simulated):
    """Croston's recursion; subclasses set the bias correction."""

    family = "Croston"
    _debiased = False
    #: Croston and SBA save the same state
    _saved_state = {
        "alpha_": "float",
        "size_": "float",
        "interval_": "float",
        "since_demand_": "int",
        "size_ratios_": "array",
    }

    def __init__(
        self,
        alpha: float | None = None,
        loss: str = "mse",
        n_simulations: int = 1000,
        random_state: int = 0,
        discrete: bool | str = False,
    ) -> None:
        self.alpha = alpha
        self.loss = loss
        self.n_simulations = n_simulations
        self.random_state = random_state
        self.discrete = discrete

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
        return self._with_bounds(np.full(h, self._forecast()), X_future, levels)

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
            size = self._sizes(z * rng.choice(self.size_ratios_, n_paths), rng)
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
    discrete : bool or "auto", default False
        Simulated demand in whole units: ``True``, or ``"auto"`` when the
        history holds whole numbers only (counts). Each simulated size is
        rounded down or up at random (up with probability its fractional
        part, so the mean is kept; a size rounded to 0 is no demand) and the
        bounds are counts (quantiles of the simulated counts).

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
    _saved_name = "trendcast.Croston"


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
    _saved_name = "trendcast.SBA"
    _debiased = True


class TSB(_Simulated):
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
    discrete : bool or "auto", default False
        Simulated demand in whole units: ``True``, or ``"auto"`` when the
        history holds whole numbers only (counts). Each simulated size is
        rounded down or up at random (up with probability its fractional
        part, so the mean is kept; a size rounded to 0 is no demand) and the
        bounds are counts (quantiles of the simulated counts).

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
    _saved_name = "trendcast.TSB"
    _saved_state = {
        "probability_init_": "float",
        "alpha_": "float",
        "beta_": "float",
        "size_": "float",
        "probability_": "float",
        "size_ratios_": "array",
    }

    def __init__(
        self,
        alpha: float | None = None,
        beta: float | None = None,
        loss: str = "mse",
        n_simulations: int = 1000,
        random_state: int = 0,
        discrete: bool | str = False,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.loss = loss
        self.n_simulations = n_simulations
        self.random_state = random_state
        self.discrete = discrete

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
        return self._with_bounds(np.full(h, self.probability_ * self.size_), X_future, levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        a, b = self.alpha_, self.beta_
        z = np.full(n_paths, self.size_)
        prob = np.full(n_paths, self.probability_)
        out = np.empty((n_paths, h))
        for k in range(h):
            occurs = rng.random(n_paths) < prob
            size = self._sizes(z * rng.choice(self.size_ratios_, n_paths), rng)
            out[:, k] = np.where(occurs, size, 0.0)
            z = np.where(occurs, z + a * (size - z), z)
            prob = prob + b * (occurs - prob)
        return out


def check_discrete(value: object) -> None:
    """``discrete`` must be True, False or ``"auto"``."""
    if not (isinstance(value, bool | np.bool_) or value == "auto"):
        raise ParameterError(
            f"discrete={value!r} is not understood; pass True (demand in whole units), "
            "False, or 'auto' (whole units when the history is whole numbers)"
        )


def _size_ratios(sizes: np.ndarray, smoothed: np.ndarray) -> np.ndarray:
    """Each demand over the smoothed size just before it (the first over itself),
    scaled to mean 1 so that simulated demand has the method's forecast as its mean."""
    ratios = sizes / np.concatenate([[smoothed[0]], smoothed[:-1]])
    return ratios / ratios.mean()
