"""One regressor trained on windows pooled from every category (a *global* model).

The other models learn from one series at a time. ``PooledRegression`` learns
from all of them together, as the global models of darts, mlforecast and the
M4/M5 winners do: each training row is a window of a series (its last
``window`` values divided by their recent level), the targets are the values
of the following periods divided by the same level, and one scikit-learn
regressor per step ahead (gradient-boosted trees by default) maps the window
to each step. Patterns that one series shows too briefly to estimate (how a
seasonal peak moves, how a trend fades) are learnt from the many series that
show them. To forecast a category, its own latest window goes through the
same regressors: the category's *fit* stores its history, no parameter of its
own is estimated.

``TrendForecaster`` trains the regressors (the *pool*) once per fit, on every
category's history except its last ``backtest_horizon * backtest_windows``
periods; the selection backtest forecasts those periods, so the pool has
never seen what it is scored on, and its errors there set the width of its
intervals. Fitted alone (``PooledRegression().fit(y)``), the model trains a
pool on its one series the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from trendcast._params import clone
from trendcast.exceptions import ModelFitError, ParameterError
from trendcast.models._shared import (
    REFERENCE_LEVEL,
    REFERENCE_Z,
    noise_scale,
    release_memory,
    season_length_or_one,
)
from trendcast.models.base import LocalModel, ModelForecast, ModelTags

if TYPE_CHECKING:  # imported where used: scikit-learn's estimators load slowly
    from sklearn.base import RegressorMixin
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import ThreadpoolController

__all__ = ["PooledRegression", "Pool"]

#: fewest held-out errors for a step ahead to get its own width
_MIN_ERRORS = 20
#: fewest training windows for which the regressors train on several threads. Below
#: it one thread is as fast (4.9 against 4.7 s on the 64 US retail categories, 13.0
#: against 9.1 s on M3 monthly's 82,000 windows), and OpenMP threads that wait at
#: every tree's barriers while other processes hold the cores (a parallel test run,
#: a busy server) can make a small pool a hundred times slower.
_THREADED_WINDOWS = 50_000
_CONTROLLER: ThreadpoolController | None = None
#: fewest windows whose forecasts a trained pool shares among threads (the regressors
#: of the steps ahead run side by side, one thread each)
_THREADED_ROWS = 4_096


def _threads(limit: int | None) -> contextlib.AbstractContextManager[Any]:
    """OpenMP (the trees') threads limited to ``limit``; ``None`` leaves them as they are."""
    global _CONTROLLER
    if limit is None:
        return contextlib.nullcontext()
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=limit, user_api="openmp")


#: every Pool alive in this process, by token: a pool that comes back from a worker
#: process (inside the models it fitted) is the same object as the one sent
_POOLS: weakref.WeakValueDictionary[str, Pool] = weakref.WeakValueDictionary()


def _pool_from_token(token: str, state: dict[str, Any]) -> Pool:
    """Unpickle a Pool: the live one with this token if there is one."""
    live = _POOLS.get(token)
    if live is not None:
        return live
    pool = Pool.__new__(Pool)
    cache = state.pop("_cache", None)  # pickled before the remembered forecasts were arrays
    pool.__dict__.update(state)
    pool.__dict__.setdefault("_pending", {})
    if cache is not None:
        pool._forget()
        rows = [np.concatenate([np.frombuffer(k, dtype=float), v]) for k, v in cache.items()]
        if rows:
            pool.remember(np.array(rows))
    _POOLS[token] = pool
    return pool


def _place(window: np.ndarray) -> tuple[np.ndarray, int]:
    """The array that ``window`` is a stretch of, and where it starts in it.

    A window that is not a plain stretch of a one-dimensional float array (a
    padded or strided one) is its own array: a copy of it.
    """
    w = window
    base = w.base if w.base is not None else w
    if (
        isinstance(base, np.ndarray)
        and base.ndim == 1
        and base.dtype == np.float64
        and base.flags.c_contiguous
        and w.ndim == 1
        and w.dtype == np.float64
        and w.flags.c_contiguous
    ):
        offset, rest = divmod(
            w.__array_interface__["data"][0] - base.__array_interface__["data"][0], 8
        )
        if rest == 0 and 0 <= offset and offset + w.size <= base.size:
            return base, int(offset)
    copy = np.array(w, dtype=float).ravel()
    return copy, 0


def _digests(windows: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """A 16-byte BLAKE2b digest of each window's bytes (the key of its remembered forecasts).

    Two windows share a digest only if their bytes are equal (a collision among
    a million windows has a chance of about 1e-27), so a look-up by digest
    answers exactly what a look-up by the window's bytes would.
    """
    return np.array(
        [
            hashlib.blake2b(np.ascontiguousarray(w).data, digest_size=16).digest()
            for w in windows
        ],
        dtype="S16",
    )


def _default_estimator() -> HistGradientBoostingRegressor:
    """Gradient-boosted trees, absolute loss: chosen on M3's validation split (docs/evidence.md)."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_iter=50, learning_rate=0.2, loss="absolute_error", max_bins=63, random_state=0
    )


class Pool:
    """The trained regressors of ``PooledRegression``, shared by every category.

    Built by [`PooledRegression.train_pool`][trendcast.models.PooledRegression.train_pool];
    never changed afterwards, so copies of a model (scikit-learn's ``clone``)
    share it instead of copying it.

    Attributes
    ----------
    estimators : list
        One fitted regressor per step ahead (``None`` for a step no window
        reached: the step before it is used).
    step_scale : ndarray
        Per step ahead, the Gaussian-equivalent standard deviation of the
        held-out errors in units of each series' noise scale.
    window, level_span, season_length : int
        The window length, how many of its last values set its level, and the
        season length the noise scale uses.
    n_series, n_windows, n_errors : int
        Series that gave windows, training windows, held-out errors.
    """

    def __init__(
        self,
        estimators: Sequence[Any],
        step_scale: np.ndarray,
        window: int,
        level_span: int,
        season_length: int,
        n_series: int,
        n_windows: int,
        n_errors: int,
    ) -> None:
        self.estimators = list(estimators)
        self.step_scale = np.asarray(step_scale, dtype=float)
        self.window = int(window)
        self.level_span = int(level_span)
        self.season_length = int(season_length)
        self.n_series = int(n_series)
        self.n_windows = int(n_windows)
        self.n_errors = int(n_errors)
        self._forget()
        self._token = uuid.uuid4().hex
        _POOLS[self._token] = self

    def __deepcopy__(self, memo: dict[int, Any]) -> Pool:
        return self  # immutable: clones share it

    def share_token(self) -> str:
        """What identifies this pool across processes (the engine sends a pool once a call)."""
        return self._token

    def __reduce__(self) -> tuple[Any, tuple[str, dict[str, Any]]]:
        self._pack()
        return _pool_from_token, (self._token, self.__dict__)

    def __repr__(self) -> str:
        return (
            f"Pool(series={self.n_series}, windows={self.n_windows}, "
            f"steps={len(self.estimators)})"
        )

    @property
    def horizon(self) -> int:
        """Steps ahead with their own regressor (further steps are recursive)."""
        return len(self.estimators)

    # The remembered forecasts are arrays, not a dict of windows: at 100,000 weekly
    # series a pool remembers 600,000 windows, which as bytes keys and array values
    # took 0.7 GB in the driver and again in every worker process that unpickled it.
    # As arrays, a worker maps them from the file the engine writes (see
    # ``_engine.parallel``) and reads only the rows its categories look up (by the
    # windows' digests); the windows themselves are read only to save the pool.
    # They are kept packed: the windows of one series' origins overlap (the four
    # taken from a weekly history lie in its last 143 values), so each stretch of
    # a history is kept once (``_strip``) and each window is where it starts.
    def _forget(self) -> None:
        """No remembered forecasts."""
        #: the forecasts of every step from each window, in the order remembered
        self._forecasts = np.empty((0, len(self.estimators)))
        #: the windows' digests, sorted, and the row of ``_forecasts`` of each
        self._digests = np.empty(0, dtype="S16")
        self._rows = np.empty(0, dtype=np.intp)
        #: the windows' values, packed, and where each row's window starts in them
        self._strip = np.empty(0)
        self._starts = np.empty(0, dtype=np.intp)
        #: windows remembered since the last packing: (the array they are a view of,
        #: their offsets in it, their rows), by the array's id
        self._pending: dict[int, tuple[np.ndarray, list[int], list[int]]] = {}

    def _pack(self) -> None:
        """Pack the windows remembered since the last packing into ``_strip``."""
        if not self._pending:
            return
        pieces, starts = [self._strip], self._starts.copy()
        at = self._strip.size
        for base, offsets, rows in self._pending.values():
            off = np.asarray(offsets, dtype=np.intp)
            lo, hi = int(off.min()), int(off.max()) + self.window
            pieces.append(base[lo:hi])
            starts[np.asarray(rows, dtype=np.intp)] = at + off - lo
            at += hi - lo
        self._pending = {}
        self._strip, self._starts = np.concatenate(pieces), starts

    def remembered(self) -> np.ndarray:
        """The forecasts the pool remembers from training, one row a window.

        Each row is a window (``window`` values) followed by the regressors'
        forecasts of every step from it (``horizon`` values): what training
        kept to answer a backtest and a final fit without calling the
        regressors. Saved with the pool, they let a loaded forecaster predict
        from its histories as the fitted one does, without reading a regressor.
        """
        self._pack()
        if not self._starts.size:
            return np.empty((0, self.window + self.horizon))
        windows = np.lib.stride_tricks.sliding_window_view(self._strip, self.window)
        return np.hstack([windows[self._starts], self._forecasts])

    def remember(self, rows: np.ndarray) -> None:
        """Remember forecasts made by these regressors (rows of ``remembered``)."""
        rows = np.asarray(rows, dtype=float)
        if not len(rows):
            return
        windows = np.ascontiguousarray(rows[:, : self.window])
        forecasts = rows[:, self.window :]
        digests = _digests(windows)
        # as a dict would: a window given twice keeps its first place and its last forecasts
        last: dict[bytes, int] = {}
        for i, d in enumerate(digests.tolist()):
            last[d] = i
        keys = np.array(list(last), dtype="S16")
        source = np.fromiter(last.values(), dtype=np.intp, count=len(last))
        known = self._lookup(keys)
        old = known >= 0
        if old.any():
            self._forecasts = np.array(self._forecasts)  # writable (a worker's is mapped)
            self._forecasts[known[old]] = forecasts[source[old]]
        self._pack()
        # the new windows, copied into one stretch, each its own piece of it (as packing
        # them one by one would lay them out, without a Python step per window)
        flat = np.ascontiguousarray(windows[source[~old]]).ravel()
        self._add_packed(keys[~old], flat, forecasts[source[~old]])

    def _lookup(self, digests: np.ndarray) -> np.ndarray:
        """The row of ``_forecasts`` remembered for each digest, -1 where none is."""
        n = self._digests.size
        if n == 0 or digests.size == 0:
            return np.full(digests.size, -1, dtype=np.intp)
        at = np.minimum(np.searchsorted(self._digests, digests), n - 1)
        return np.where(self._digests[at] == digests, self._rows[at], -1)

    def _add(
        self, digests: np.ndarray, windows: Sequence[np.ndarray], forecasts: np.ndarray
    ) -> None:
        """Remember new windows (distinct, none remembered yet) and their forecasts.

        A window that is a view of a longer array (a history) is kept as its place
        in that array until ``_pack`` copies the stretch the windows cover.
        """
        if not digests.size:
            return
        start = len(self._forecasts)
        self._forecasts = np.concatenate([self._forecasts, forecasts])
        self._starts = np.concatenate([self._starts, np.full(digests.size, -1, dtype=np.intp)])
        for row, w in enumerate(windows, start):
            base, offset = _place(w)
            entry = self._pending.get(id(base))
            if entry is None:
                entry = self._pending[id(base)] = (base, [], [])
            entry[1].append(offset)
            entry[2].append(row)
        self._index(digests, start)

    def _add_packed(self, digests: np.ndarray, flat: np.ndarray, forecasts: np.ndarray) -> None:
        """Remember new windows (distinct, none remembered yet) laid end to end in ``flat``."""
        if not digests.size:
            return
        start, at = len(self._forecasts), self._strip.size
        self._forecasts = np.concatenate([self._forecasts, forecasts])
        self._strip = np.concatenate([self._strip, flat])
        starts = at + np.arange(digests.size, dtype=np.intp) * self.window
        self._starts = np.concatenate([self._starts, starts])
        self._index(digests, start)

    def _index(self, digests: np.ndarray, start: int) -> None:
        """Sorted digests with the new ones, whose rows start at ``start``."""
        keys = np.concatenate([self._digests, digests])
        rows = np.concatenate([self._rows, np.arange(start, start + digests.size, dtype=np.intp)])
        order = np.argsort(keys, kind="stable")
        self._digests, self._rows = keys[order], rows[order]

    def _window(self, history: np.ndarray) -> np.ndarray:
        """The last ``window`` values, padded in front with the first one."""
        w = history[-self.window :]
        if w.size < self.window:
            w = np.concatenate([np.full(self.window - w.size, w[0]), w])
        return w

    def _direct(self, windows: list[np.ndarray], remember: bool = False) -> np.ndarray:
        """Forecasts of every step with a regressor from each window, shape (n, horizon).

        The regressors are called once for all windows together (a call costs
        about a millisecond whatever its size), on one thread outside
        training. The pool keeps the forecasts it made while it was trained
        from the origins a backtest and a final fit will forecast from (the
        end of every series, and every ``step``-th value before it among the
        held-out ones), and reads them back instead of calling the
        regressors for one window at a time.
        """
        out = np.empty((len(windows), self.horizon))
        if not windows:
            return out
        digests = _digests(windows)
        rows = self._lookup(digests)
        hit = rows >= 0
        out[hit] = self._forecasts[rows[hit]]
        missing = np.flatnonzero(~hit)
        if missing.size:
            W = np.array([windows[i] for i in missing])
            with _threads(None if remember else 1):
                block = self._predict_windows(W, threaded=remember)
            out[missing] = block
            if remember:  # a window met twice is remembered once
                _, first = np.unique(digests[missing], return_index=True)
                first.sort()
                self._add(
                    digests[missing[first]], [windows[missing[i]] for i in first], block[first]
                )
        return out

    def _predict_windows(self, W: np.ndarray, threaded: bool = False) -> np.ndarray:
        """The regressors' forecasts from the windows ``W`` (one per row), in the data's units.

        ``threaded``: many windows are shared among one thread a core (training,
        on the machine that trains the pool; never in a worker process).
        """
        level = np.mean(np.abs(W[:, -self.level_span :]), axis=1)
        F = W / np.where(level > 0, level, 1.0)[:, None]
        block = np.empty((W.shape[0], self.horizon))
        models, model = [], None
        for k in range(self.horizon):
            model = self.estimators[k] if self.estimators[k] is not None else model
            assert model is not None
            models.append(model)

        def step(k: int) -> None:
            block[:, k] = np.asarray(models[k].predict(F), dtype=float)

        workers = min(os.cpu_count() or 1, self.horizon) if threaded else 1
        if workers > 1 and W.shape[0] >= _THREADED_ROWS:
            # one thread a core, each regressor on one OpenMP thread: the trees
            # release the GIL, and no thread waits at another's barrier
            from concurrent.futures import ThreadPoolExecutor

            def one_thread(k: int) -> None:
                with _threads(1):
                    step(k)

            with ThreadPoolExecutor(workers) as threads:
                list(threads.map(one_thread, range(self.horizon)))
        else:
            for k in range(self.horizon):
                step(k)
        return block * level[:, None]

    def forecast(
        self, histories: Sequence[np.ndarray], h: int, remember: bool = False
    ) -> np.ndarray:
        """Mean forecasts of ``h`` steps from the end of each history, shape (n, h).

        Steps past ``horizon`` feed the forecasts back as the next window.
        """
        out = np.empty((len(histories), h))
        current = [np.asarray(y, dtype=float) for y in histories]
        done = 0
        while done < h:
            steps = min(self.horizon, h - done)
            block = self._direct([self._window(y) for y in current], remember)[:, :steps]
            out[:, done : done + steps] = block
            done += steps
            if done < h:
                current = [np.concatenate([y, b]) for y, b in zip(current, block, strict=True)]
        return out

    def scale(self, h: int) -> np.ndarray:
        """Per step 1..h, the error standard deviation in noise-scale units."""
        s = self.step_scale
        steps = np.arange(1, h + 1)
        last = s.size
        # past the last measured step the width grows like a random walk's
        return np.where(
            steps <= last, s[np.minimum(steps, last) - 1], s[-1] * np.sqrt(steps / last)
        )


def _train(
    series: Sequence[np.ndarray],
    cut: int,
    *,
    estimator: RegressorMixin | None,
    window: int,
    level_span: int,
    horizon: int,
    season_length: int,
    max_samples: int | None,
    random_state: int,
    step: int,
) -> Pool:
    """Train the per-step regressors on windows before each series' last ``cut`` values."""
    rows, targets = [], []
    used = 0
    for y in series:
        train = y[: y.size - cut]
        ends = np.arange(window, train.size)
        if ends.size == 0:
            continue
        used += 1
        idx = ends[:, None] + np.arange(-window, 0)
        W = train[idx]
        level = np.mean(np.abs(W[:, -level_span:]), axis=1)
        ok = level > 0
        T = np.full((ends.size, horizon), np.nan)
        for k in range(horizon):
            reach = ends + k < train.size
            T[reach, k] = train[ends[reach] + k]
        rows.append(W[ok] / level[ok, None])
        targets.append(T[ok] / level[ok, None])
    if not rows or sum(r.shape[0] for r in rows) == 0:
        raise ModelFitError(
            f"PooledRegression found no training window: every series is shorter than "
            f"window + 1 = {window + 1} observations before its last {cut}"
        )
    X = np.concatenate(rows)
    Y = np.concatenate(targets)
    if max_samples is not None and X.shape[0] > max_samples:
        keep = np.sort(
            np.random.default_rng(random_state).choice(X.shape[0], max_samples, replace=False)
        )
        X, Y = X[keep], Y[keep]
    proto = _default_estimator() if estimator is None else estimator
    estimators: list[Any] = []
    with _threads(None if X.shape[0] >= _THREADED_WINDOWS else 1):
        for k in range(horizon):
            ok = np.isfinite(Y[:, k])
            if ok.sum() < 2:
                estimators.append(None)
                continue
            estimators.append(clone(proto).fit(X[ok], Y[ok, k]))
        if estimators[0] is None:
            raise ModelFitError("PooledRegression found fewer than 2 training windows")
        pool = Pool(
            estimators, np.ones(horizon), window, level_span, season_length, used, len(X), 0
        )
        pool.step_scale, pool.n_errors = _held_out_scale(pool, series, cut, horizon, step)
    return pool


def _held_out_scale(
    pool: Pool, series: Sequence[np.ndarray], cut: int, horizon: int, step: int
) -> tuple[np.ndarray, int]:
    """Per-step error scale from forecasts of each series' last ``cut`` values."""
    histories, truths, units, reaches = [], [], [], []
    for y in series:
        # every ``step``-th origin among the held-out values, the latest first: a
        # backtest's origins (``step=1``: every held-out value)
        for origin in range(y.size - step, max(y.size - cut, 1) - 1, -step):
            histories.append(y[:origin])
            reaches.append(y.size - origin)
            truths.append(y[origin : origin + horizon])
            units.append(noise_scale(y[:origin], pool.season_length))
    if not histories:
        raise ModelFitError("PooledRegression has no held-out values to measure its errors on")
    # the forecasts from these origins to each series' end (a backtest's early windows
    # go on recursively past ``horizon``) and from each series' end are remembered:
    # a backtest and a final fit read them back instead of calling the regressors
    # (origins within ``horizon`` of the end in one call, without recursion)
    reach = np.maximum(np.array(reaches), horizon)
    means = np.empty((len(histories), horizon))
    for r in np.unique(reach):
        rows = np.flatnonzero(reach == r)
        block = pool.forecast([histories[i] for i in rows], int(r), remember=True)
        means[rows] = block[:, :horizon]
        del block
        release_memory()
    pool.forecast([y for y in series if y.size > 0], 1, remember=True)
    pool._pack()  # the histories' stretches, copied once (and the histories let go)
    # the errors of every step, on the scale of step 1, as arrays (a list of Python
    # floats was 6 million objects at 100,000 weekly series): the same numbers
    actual = np.full((len(truths), horizon), np.nan)
    for i, t in enumerate(truths):
        actual[i, : t.size] = t
    inside = np.arange(horizon)[None, :] < np.array([t.size for t in truths])[:, None]
    del truths, histories
    errors = np.abs((actual - means) / np.array(units)[:, None]) / np.sqrt(
        np.arange(1, horizon + 1)
    )
    by_step = [errors[inside[:, k], k] for k in range(horizon)]
    del actual, errors, means
    z = REFERENCE_Z
    everything = np.concatenate([e for e in by_step if e.size])
    overall = float(np.quantile(everything, REFERENCE_LEVEL / 100.0)) / z
    scale = np.empty(horizon)
    for k in range(horizon):
        e = by_step[k]
        own = float(np.quantile(e, REFERENCE_LEVEL / 100.0)) / z if e.size >= _MIN_ERRORS else None
        scale[k] = (overall if own is None else own) * np.sqrt(k + 1)
    return np.maximum.accumulate(scale), int(everything.size)


class PooledRegression(LocalModel):
    """A regressor trained on windows of every category, forecasting each from its own window.

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        Cloned once per step ahead. ``None`` uses
        ``HistGradientBoostingRegressor(max_iter=50, learning_rate=0.2,
        loss="absolute_error", max_bins=63, random_state=0)``.
    season_length : int, optional
        Periods per season; ``None`` lets ``TrendForecaster`` set it.
    window : int, optional
        Past values in one window; ``None`` means two seasons, at least 8.
    horizon : int, optional
        Steps ahead with their own regressor (``predict`` goes further by
        feeding the forecasts back as a window); ``None`` means a season and
        a half, at least 8 and at most 24 (each step costs one regressor).
    max_samples : int, optional
        Most training windows (a random subset beyond it); ``None`` for all.
    random_state : int
        Seed of that subset.
    pool : Pool, optional
        Regressors already trained (``TrendForecaster`` trains them on all
        categories, see [`train_pool`][trendcast.models.PooledRegression.train_pool]);
        ``None`` trains them at ``fit`` on the one series fitted.

    Notes
    -----
    A window is divided by the mean absolute value of its last season (at
    least 4 values), its *level*; the forecasts are multiplied back. A window
    whose level is 0 forecasts 0. Series shorter than the window are padded
    with their first value. Intervals are Gaussian around the mean, with a
    standard deviation per step ahead of ``step_scale[k]`` times the
    category's own noise scale (its mean absolute seasonal difference);
    ``step_scale`` is the 80% quantile of the pool's absolute held-out
    errors in those units, over 1.2816. ``update`` extends the history; the
    regressors stay as trained. Sample paths are Gaussian with the
    correlation of a random walk over the steps.

    Examples
    --------
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["441", "445", "448"])
    >>> series = [g["y"].to_numpy() for _, g in sales.groupby("unique_id")]
    >>> model = tc.models.PooledRegression(season_length=12).train_pool(series, cut=18)
    >>> model.pool.n_series
    3
    >>> fc = model.fit(series[2]).predict(12, level=(80,))
    >>> bool((fc.lower[80] < fc.mean).all())
    True
    """

    family = "PooledRegression"
    _saved_name = "trendcast.PooledRegression"
    _saved_state = {"pool_": "pool"}

    def __init__(
        self,
        estimator: RegressorMixin | None = None,
        season_length: int | None = None,
        window: int | None = None,
        horizon: int | None = None,
        max_samples: int | None = 200_000,
        random_state: int = 0,
        pool: Pool | None = None,
    ) -> None:
        self.estimator = estimator
        self.season_length = season_length
        self.window = window
        self.horizon = horizon
        self.max_samples = max_samples
        self.random_state = random_state
        self.pool = pool

    # -- configuration ---------------------------------------------------------------------
    def _m(self) -> int:
        return season_length_or_one(self.season_length)

    def _settings(self) -> tuple[int, int, int]:
        """(window, level span, horizon), checked."""
        m = self._m()
        window = max(2 * m, 8) if self.window is None else self.window
        horizon = min(max(-(-3 * m // 2), 8), 24) if self.horizon is None else self.horizon
        for name, value in (("window", window), ("horizon", horizon)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ModelFitError(f"{name}={value!r}; use a positive integer")
        if self.max_samples is not None and (
            isinstance(self.max_samples, bool)
            or not isinstance(self.max_samples, int | np.integer)
            or self.max_samples < 2
        ):
            raise ModelFitError(f"max_samples={self.max_samples!r}; use an integer of 2 or more")
        return int(window), min(max(m, 4), int(window)), int(horizon)

    def _own_cut(self, n: int) -> int:
        """Values held out of a pool trained on one series of length ``n``."""
        window, _, horizon = self._settings()
        return int(min(horizon, max(1, (n - window) // 3)))

    def tags(self) -> ModelTags:
        if self.pool is not None:
            min_length = 1
        else:
            try:
                window = self._settings()[0]
            except ModelFitError:  # reported by fit
                window = 8
            min_length = window + max(self._m(), 4)
        return ModelTags(min_length=min_length, supports_update=True, produces_samples=True)

    @property
    def name(self) -> str:
        if self.estimator is None:
            return self.family
        return f"{self.family}({type(self.estimator).__name__})"

    # -- the pool --------------------------------------------------------------------------
    def train_pool(
        self, series: Sequence[np.ndarray], cut: int, step: int = 1
    ) -> PooledRegression:
        """An unfitted copy whose regressors are trained on ``series``.

        Parameters
        ----------
        series : sequence of 1-D arrays
            The histories of the categories (finite values, time order).
        cut : int
            Each series' last ``cut`` values are held out of the training
            windows; forecasts of them set the interval widths.
        step : int
            The pool remembers its forecasts from the end of each series and
            from every ``step``-th origin before it among the held-out values
            (a backtest's origins), so fits from there do not call the
            regressors again.

        Returns
        -------
        PooledRegression
            A copy with ``pool`` set; fit it to each category.

        Raises
        ------
        ParameterError
            When ``cut`` or ``step`` is not a positive integer.
        ModelFitError
            When no series is long enough for one window before its held-out values.
        """
        for name, value in (("cut", cut), ("step", step)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ParameterError(f"{name} must be a positive integer, got {value!r}")
        window, span, horizon = self._settings()
        arrays = [self._check_y(y) for y in series]
        pool = _train(
            arrays,
            int(cut),
            estimator=self.estimator,
            window=window,
            level_span=span,
            horizon=horizon,
            season_length=self._m(),
            max_samples=self.max_samples,
            random_state=int(self.random_state),
            step=int(step),
        )
        return clone(self).set_params(pool=pool)

    # -- the contract ----------------------------------------------------------------------
    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        self._settings()
        pool = self.pool
        if pool is None:
            pool = self.train_pool([y], self._own_cut(y.size)).pool
        assert pool is not None
        self.pool_ = pool

    def _update(self, y_all: np.ndarray, X_all: np.ndarray | None) -> None:
        """The regressors stay as trained; the next window is read from the longer history."""

    def _scales(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        mean = self.pool_.forecast([self.y_], h)[0]
        sd = self.pool_.scale(h) * noise_scale(self.y_, self.pool_.season_length)
        return mean, sd

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        mean, sd = self._scales(h)
        return ModelForecast.from_normal(mean, sd, levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        mean, sd = self._scales(h)
        # a random walk divided by its own standard deviation: N(0, 1) at every
        # step, each step correlated with the last as a forecast error is
        walk = np.cumsum(rng.standard_normal((n_paths, h)), axis=1) / np.sqrt(np.arange(1, h + 1))
        return mean + walk * sd
