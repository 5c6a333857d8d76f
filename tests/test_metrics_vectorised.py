"""The vectorised metrics give the numbers of the per-category implementation they replaced.

``tc.metrics`` used to loop over the categories in Python (``groupby`` and a
function per group); it now works on the whole frame with NumPy. The old
functions are kept below, verbatim, as the reference: on random panels (with
and without cutoffs, short and long histories, several season lengths) every
public metric and option must give the same numbers, to 1e-12 relative (in
practice the same bits: each group is summed as NumPy sums an array).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from trendcast import DataValidationError, ParameterError, metrics
from trendcast.metrics import _check

# ---------------------------------------------------------------------- the reference
# trendcast.metrics before vectorisation (commit e6b6230), unchanged but for the names


def _per_id(
    df: pd.DataFrame, id_col: str, name: str, func: Callable[[pd.DataFrame], float]
) -> pd.DataFrame:
    values = {key: func(g) for key, g in df.groupby(id_col, sort=True)}
    return pd.DataFrame({id_col: list(values), name: list(values.values())})


def old_mae(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Mean absolute error per category."""
    _check(df, [id_col, target_col, pred_col])
    return _per_id(df, id_col, "mae", lambda g: float(np.mean(np.abs(g[target_col] - g[pred_col]))))


def old_rmse(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Root mean squared error per category."""
    _check(df, [id_col, target_col, pred_col])
    return _per_id(
        df, id_col, "rmse", lambda g: float(np.sqrt(np.mean((g[target_col] - g[pred_col]) ** 2)))
    )


def old_smape(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Symmetric MAPE per category, on the 0-200 scale of the M3 competition.

    ``200 * |y - f| / (|y| + |f|)``, averaged; a period where both are zero
    counts as zero error.
    """
    _check(df, [id_col, target_col, pred_col])

    def one(g: pd.DataFrame) -> float:
        y, f = g[target_col].to_numpy(float), g[pred_col].to_numpy(float)
        denom = np.abs(y) + np.abs(f)
        terms = np.divide(200 * np.abs(y - f), denom, out=np.zeros_like(denom), where=denom > 0)
        return float(np.mean(terms))

    return _per_id(df, id_col, "smape", one)


def old_wape(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Weighted absolute percentage error: sum |y - f| / sum |y| per category."""
    _check(df, [id_col, target_col, pred_col])

    def one(g: pd.DataFrame) -> float:
        total = float(np.sum(np.abs(g[target_col])))
        err = float(np.sum(np.abs(g[target_col] - g[pred_col])))
        return err / total if total > 0 else (0.0 if err == 0 else float("inf"))

    return _per_id(df, id_col, "wape", one)


def _scaled(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    id_col: str,
    time_col: str,
    target_col: str,
    pred_col: str,
    squared: bool,
) -> pd.DataFrame:
    _check(df, [id_col, target_col, pred_col])
    _check(train_df, [id_col, time_col, target_col])
    if season_length < 1:
        raise ParameterError("season_length must be at least 1")
    train = {k: g.sort_values(time_col) for k, g in train_df.groupby(id_col, sort=False)}
    name = "rmsse" if squared else "mase"

    def scale(history: np.ndarray) -> float:
        m = season_length if history.size > season_length else 1
        if history.size <= m:
            return float("nan")
        d = history[m:] - history[:-m]
        return float(np.mean(d**2) if squared else np.mean(np.abs(d)))

    def one(g: pd.DataFrame) -> float:
        key = g[id_col].iloc[0]
        if key not in train:
            return float("nan")
        hist = train[key]
        windows = g.groupby("cutoff", sort=True) if "cutoff" in g.columns else [(None, g)]
        values = []
        for cut, w in windows:
            h = hist if cut is None else hist[hist[time_col] <= cut]
            s = scale(h[target_col].to_numpy(float))
            e = w[target_col].to_numpy(float) - w[pred_col].to_numpy(float)
            num = float(np.mean(e**2) if squared else np.mean(np.abs(e)))
            values.append(num / s if s > 0 else float("nan"))
        v = float(np.mean(values))
        return float(np.sqrt(v)) if squared else v

    return _per_id(df, id_col, name, one)


def old_mase(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """Mean absolute scaled error per category (Hyndman and Koehler, 2006).

    The scale is the in-sample mean absolute error of the seasonal naive
    forecast (lag ``season_length``; lag 1 if the history is shorter).
    """
    return _scaled(df, train_df, season_length, id_col, time_col, target_col, pred_col, False)


def old_rmsse(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """Root mean squared scaled error per category (the M5 competition's measure)."""
    return _scaled(df, train_df, season_length, id_col, time_col, target_col, pred_col, True)


def old_pinball_loss(
    df: pd.DataFrame, level: int, *, id_col: str = "unique_id", target_col: str = "y"
) -> pd.DataFrame:
    """Mean pinball (quantile) loss of the two bounds of the ``level`` interval.

    ``lo-<level>`` is the ``(1 - level/100)/2`` quantile and ``hi-<level>`` the
    ``(1 + level/100)/2`` quantile.
    """
    lo, hi = f"lo-{level}", f"hi-{level}"
    _check(df, [id_col, target_col, lo, hi])
    q_lo, q_hi = (1 - level / 100) / 2, (1 + level / 100) / 2

    def loss(y: np.ndarray, f: np.ndarray, q: float) -> np.ndarray:
        d = y - f
        return np.maximum(q * d, (q - 1) * d)

    def one(g: pd.DataFrame) -> float:
        y = g[target_col].to_numpy(float)
        return float(
            np.mean(
                (loss(y, g[lo].to_numpy(float), q_lo) + loss(y, g[hi].to_numpy(float), q_hi)) / 2
            )
        )

    return _per_id(df, id_col, f"pinball-{level}", one)


def old_coverage(
    df: pd.DataFrame, level: int, *, id_col: str = "unique_id", target_col: str = "y"
) -> pd.DataFrame:
    """Share of actual values inside the ``level`` interval, per category."""
    lo, hi = f"lo-{level}", f"hi-{level}"
    _check(df, [id_col, target_col, lo, hi])
    return _per_id(
        df,
        id_col,
        f"coverage-{level}",
        lambda g: float(np.mean((g[target_col] >= g[lo]) & (g[target_col] <= g[hi]))),
    )


def old_evaluate(
    df: pd.DataFrame,
    train_df: pd.DataFrame | None = None,
    season_length: int | None = None,
    *,
    level: Sequence[int] = (),
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """All point metrics (and interval metrics for ``level``) in one table per category."""
    kw = {"id_col": id_col, "target_col": target_col}
    tables = [
        old_mae(df, pred_col=pred_col, **kw),
        old_rmse(df, pred_col=pred_col, **kw),
        old_smape(df, pred_col=pred_col, **kw),
        old_wape(df, pred_col=pred_col, **kw),
    ]
    if train_df is not None and season_length is not None:
        tables.append(
            old_mase(df, train_df, season_length, time_col=time_col, pred_col=pred_col, **kw)
        )
        tables.append(
            old_rmsse(df, train_df, season_length, time_col=time_col, pred_col=pred_col, **kw)
        )
    for lv in level:
        tables.append(old_coverage(df, lv, **kw))
        tables.append(old_pinball_loss(df, lv, **kw))
    out = tables[0]
    for t in tables[1:]:
        out = out.merge(t, on=id_col, how="outer")
    return out


# ---------------------------------------------------------------------- the panels
def panel(
    seed: int, n_series: int = 30, with_cutoff: bool = True, int_ids: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A cross-validation-like frame and its training frame, NaN-free.

    Series of different lengths (some shorter than a season, one of a single
    value, one missing from the training frame), two to three cutoffs, ids in
    shuffled row order.
    """
    rng = np.random.default_rng(seed)
    rows, train = [], []
    for i in range(n_series):
        key = i * 7 if int_ids else f"s{i:03d}"
        n = int(rng.choice([1, 3, 5, 13, 30, 120]))
        ds = pd.date_range("2015-01-01", periods=n + 12, freq="MS")
        level = rng.uniform(1, 1000)
        y = level + rng.normal(0, level / 10, n + 12)
        if i % 9 == 4:
            y[: n + 12 : 2] = 0.0  # zeros: smape's 0/0, wape's empty total
        if i % 11 != 10:  # one category in eleven has no history
            train.append(pd.DataFrame({"unique_id": key, "ds": ds[:n], "y": y[:n]}))
        cutoffs = [ds[max(n - 3, 0)], ds[n - 1]] if with_cutoff else [ds[n - 1]]
        if with_cutoff and n > 10:
            cutoffs.append(ds[n - 8])
        for cut in cutoffs:
            start = int(np.searchsorted(ds, cut)) + 1
            h = int(rng.integers(1, 7))
            actual = y[start : start + h]
            fc = actual + rng.normal(0, level / 5, actual.size)
            width = np.abs(rng.normal(level / 5, level / 20, actual.size))
            part = pd.DataFrame(
                {
                    "unique_id": key,
                    "ds": ds[start : start + actual.size],
                    "cutoff": cut,
                    "y": actual,
                    "mean": fc,
                    "lo-80": fc - width,
                    "hi-80": fc + width,
                    "lo-95": fc - 2 * width,
                    "hi-95": fc + 2 * width,
                }
            )
            rows.append(part)
    df = pd.concat(rows, ignore_index=True).sample(frac=1.0, random_state=seed)
    hist = pd.concat(train, ignore_index=True).sample(frac=1.0, random_state=seed + 1)
    if not with_cutoff:
        df = df.drop(columns="cutoff")
    return df.reset_index(drop=True), hist.reset_index(drop=True)


def same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Equal frames: ids, order and dtypes exactly, values to 1e-12 relative."""
    assert list(new.columns) == list(old.columns)
    assert list(new.dtypes) == list(old.dtypes)
    pd.testing.assert_series_equal(new.iloc[:, 0], old.iloc[:, 0])
    a, b = new.iloc[:, 1].to_numpy(float), old.iloc[:, 1].to_numpy(float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=0.0)


POINT: list[tuple[Callable, Callable]] = [
    (metrics.mae, old_mae),
    (metrics.rmse, old_rmse),
    (metrics.smape, old_smape),
    (metrics.wape, old_wape),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("with_cutoff", [True, False])
def test_every_metric_equals_the_per_category_implementation(seed, with_cutoff):
    df, train = panel(seed, with_cutoff=with_cutoff, int_ids=seed % 2 == 1)
    for new, old in POINT:
        same(new(df), old(df))
        same(new(df, pred_col="lo-80"), old(df, pred_col="lo-80"))
    for season in (1, 4, 12, 200):
        for new, old in ((metrics.mase, old_mase), (metrics.rmsse, old_rmsse)):
            same(new(df, train, season), old(df, train, season))
            same(
                new(df, train, season, pred_col="hi-95"),
                old(df, train, season, pred_col="hi-95"),
            )
    for level in (80, 95):
        same(metrics.coverage(df, level), old_coverage(df, level))
        same(metrics.pinball_loss(df, level), old_pinball_loss(df, level))


@pytest.mark.parametrize("seed", range(3))
def test_evaluate_equals_the_merged_tables_of_before(seed):
    df, train = panel(seed, int_ids=seed == 1)
    for args, levels in (((), ()), ((train, 12), (80,)), ((train, 1), (95, 80))):
        new = metrics.evaluate(df, *args, level=levels)
        old = old_evaluate(df, *args, level=levels)
        pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-12, atol=0.0)
    # a level given twice: the merge's suffixes, as before
    pd.testing.assert_frame_equal(
        metrics.evaluate(df, level=(80, 80)), old_evaluate(df, level=(80, 80)), rtol=1e-12
    )
    empty = df.iloc[:0]
    pd.testing.assert_frame_equal(metrics.evaluate(empty), old_evaluate(empty))


def test_other_column_names_and_the_training_frame_unsorted():
    df, train = panel(7)
    names = {"unique_id": "sku", "ds": "week", "y": "units", "mean": "forecast"}
    df2, train2 = df.rename(columns=names), train.rename(columns=names)
    kw = {"id_col": "sku", "target_col": "units"}
    for new, old in POINT:
        same(new(df2, pred_col="forecast", **kw), old(df2, pred_col="forecast", **kw))
    for new, old in ((metrics.mase, old_mase), (metrics.rmsse, old_rmsse)):
        got = new(df2, train2, 12, time_col="week", pred_col="forecast", **kw)
        same(got, old(df2, train2, 12, time_col="week", pred_col="forecast", **kw))
    same(metrics.coverage(df2, 80, **kw), old_coverage(df2, 80, **kw))
    same(metrics.pinball_loss(df2, 80, **kw), old_pinball_loss(df2, 80, **kw))


def test_missing_values_are_handled_as_before():
    # NaN actuals: mae, rmse and wape skip them (pandas' mean and sum), smape counts
    # a zero, pinball and the scaled metrics give NaN, coverage counts a miss
    df, train = panel(3)
    df.loc[df.index[::17], "y"] = np.nan
    train.loc[train.index[::53], "y"] = np.nan
    for new, old in POINT:
        same(new(df), old(df))
    for level in (80, 95):
        same(metrics.coverage(df, level), old_coverage(df, level))
        same(metrics.pinball_loss(df, level), old_pinball_loss(df, level))
    for new, old in ((metrics.mase, old_mase), (metrics.rmsse, old_rmsse)):
        same(new(df, train, 3), old(df, train, 3))
    # a missing cutoff leaves its rows out of every window; a missing id out of the table
    df.loc[df.index[::5], "cutoff"] = pd.NaT
    df.loc[df.index[::23], "unique_id"] = None
    same(metrics.mase(df, train, 3), old_mase(df, train, 3))
    same(metrics.mae(df), old_mae(df))


def test_the_same_errors_as_before():
    df, train = panel(1)
    for func in (metrics.mae, old_mae):
        with pytest.raises(DataValidationError, match="missing column"):
            func(df.drop(columns="mean"))
    with pytest.raises(ParameterError, match="season_length must be a whole number of 1 or more"):
        metrics.mase(df, train, 0)
    with pytest.raises(DataValidationError, match="missing column"):
        metrics.rmsse(df, train.drop(columns="ds"), 12)
    with pytest.raises(DataValidationError, match="lo-50"):
        metrics.coverage(df, 50)
    empty = df.iloc[:0]
    for new, old in POINT:
        same(new(empty), old(empty))
    same(metrics.mase(empty, train, 12), old_mase(empty, train, 12))
