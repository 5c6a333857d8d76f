"""Forecast accuracy metrics as pure functions on long frames.

Every function takes a frame with the actual values (``target_col``) beside
the forecast (``pred_col``, bounds ``lo-<level>``/``hi-<level>``), such as
the output of
[`TrendForecaster.cross_validation`][trendcast.TrendForecaster.cross_validation],
and returns one row per category. Scaled metrics (MASE, RMSSE) also take the training frame; when
the frame has a ``cutoff`` column, each window is scaled by the training data
up to its cutoff.

Examples
--------
>>> import pandas as pd
>>> from trendcast import metrics
>>> df = pd.DataFrame({"unique_id": ["a", "a"], "y": [10.0, 20.0], "mean": [12.0, 18.0]})
>>> metrics.mae(df)
  unique_id  mae
0         a  2.0
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from trendcast._validation import count, fail, format_rows, verb, whole_number
from trendcast.models.base import check_levels

__all__ = [
    "coverage",
    "evaluate",
    "mae",
    "mase",
    "pinball_loss",
    "rmse",
    "rmsse",
    "smape",
    "wape",
]


def _check(
    df: pd.DataFrame,
    cols: Sequence[str],
    *,
    values: Sequence[str] = (),
    dates: Sequence[str] = (),
) -> pd.DataFrame:
    """A copy of ``df`` with ``values`` as floats and ``dates`` as datetimes, or a clear error.

    Missing columns, a column named twice, values that are not real numbers
    (text, complex, True/False) and unreadable dates are refused, naming the
    column and rows. Missing values (NaN) stay: their scores are NaN.
    """
    if not isinstance(df, pd.DataFrame):
        raise fail(
            "the frame to score is not a DataFrame",
            found=type(df).__name__,
            fix="pass the output of cross_validation (which has the actuals)",
        )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise fail(
            f"missing column(s) {missing}",
            expected=f"columns {list(cols)}",
            found=f"columns {list(df.columns)}",
            fix="pass the output of cross_validation (which has the actuals), or name the "
            "columns with id_col=, target_col=, pred_col=",
        )
    out = df.reset_index(drop=True)
    for col in dict.fromkeys(cols):
        if isinstance(out[col], pd.DataFrame):
            raise fail("the column name appears more than once", column=col, fix="rename one")
    out = out.copy()
    for col in values:
        out[col] = _numbers(out, col, cols[0])
    for col in dates:
        numbers = [isinstance(v, int | float | np.number) for v in out[col].dropna()]
        if (
            pd.api.types.is_bool_dtype(out[col])
            or pd.api.types.is_numeric_dtype(out[col])
            or any(numbers)
        ):
            raise fail(
                "the dates are numbers",
                column=col,
                expected="dates (datetime64, or text like '2024-01-01')",
                fix="pass the sales frame read by tc.read_sales",
            )
        try:
            with warnings.catch_warnings():  # dates in several formats: read one by one
                warnings.simplefilter("ignore", UserWarning)
                out[col] = pd.to_datetime(out[col])
        except (TypeError, ValueError, OverflowError) as exc:
            raise fail(
                f"the dates cannot be read ({exc})", column=col, fix="use ISO dates"
            ) from exc
    return out


def _numbers(df: pd.DataFrame, col: str, id_col: str) -> np.ndarray:
    """The values of ``col`` as floats; text, complex and booleans are an error naming the rows."""
    column = df[col]
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_complex_dtype(column):
        bad = np.arange(len(column))
    elif pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    else:
        real = [
            v is None or (isinstance(v, int | float | np.integer | np.floating)
                          and not isinstance(v, bool | np.bool_))
            for v in column
        ]  # fmt: skip
        bad = np.flatnonzero(~np.asarray(real, dtype=bool))
        if not bad.size:
            return pd.to_numeric(column).to_numpy(dtype=float)
    raise fail(
        f"{count(len(bad), 'value')} {verb(len(bad), 'is not a number', 'are not numbers')}",
        column=col,
        expected="real numbers (NaN where missing)",
        found=format_rows(df, bad, [id_col, col]),
        fix="convert the column to numbers (pd.to_numeric) before scoring",
    )


def _per_id(
    df: pd.DataFrame, id_col: str, name: str, func: Callable[[pd.DataFrame], float]
) -> pd.DataFrame:
    # infinite values give NaN or infinite scores, not warnings
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        values = {key: func(g) for key, g in df.groupby(id_col, sort=True)}
    return pd.DataFrame({id_col: list(values), name: list(values.values())})


def mae(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Mean absolute error per category."""
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col])
    return _per_id(df, id_col, "mae", lambda g: float(np.mean(np.abs(g[target_col] - g[pred_col]))))


def rmse(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Root mean squared error per category."""
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col])
    return _per_id(
        df, id_col, "rmse", lambda g: float(np.sqrt(np.mean((g[target_col] - g[pred_col]) ** 2)))
    )


def smape(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Symmetric MAPE per category, on the 0-200 scale of the M3 competition.

    ``200 * |y - f| / (|y| + |f|)``, averaged; a period where both are zero
    counts as zero error.
    """
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col])

    def one(g: pd.DataFrame) -> float:
        y, f = g[target_col].to_numpy(float), g[pred_col].to_numpy(float)
        denom = np.abs(y) + np.abs(f)
        terms = np.divide(200 * np.abs(y - f), denom, out=np.zeros_like(denom), where=denom > 0)
        return float(np.mean(terms))

    return _per_id(df, id_col, "smape", one)


def wape(
    df: pd.DataFrame, *, id_col: str = "unique_id", target_col: str = "y", pred_col: str = "mean"
) -> pd.DataFrame:
    """Weighted absolute percentage error: sum |y - f| / sum |y| per category."""
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col])

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
    whole_number("season_length", season_length)
    cut = ["cutoff"] if "cutoff" in getattr(df, "columns", ()) else []
    df = _check(df, [id_col, target_col, pred_col], values=[target_col, pred_col], dates=cut)
    train_df = _check(
        train_df, [id_col, time_col, target_col], values=[target_col], dates=[time_col]
    )
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


def mase(
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

    Raises
    ------
    DataValidationError
        For frames without the columns read.
    ParameterError
        For ``season_length`` that is not a whole number of 1 or more.
    """
    return _scaled(df, train_df, season_length, id_col, time_col, target_col, pred_col, False)


def rmsse(
    df: pd.DataFrame,
    train_df: pd.DataFrame,
    season_length: int,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    pred_col: str = "mean",
) -> pd.DataFrame:
    """Root mean squared scaled error per category (the M5 competition's measure).

    Raises
    ------
    DataValidationError
        For frames without the columns read.
    ParameterError
        For ``season_length`` that is not a whole number of 1 or more.
    """
    return _scaled(df, train_df, season_length, id_col, time_col, target_col, pred_col, True)


def pinball_loss(
    df: pd.DataFrame, level: int, *, id_col: str = "unique_id", target_col: str = "y"
) -> pd.DataFrame:
    """Mean pinball (quantile) loss of the two bounds of the ``level`` interval.

    ``lo-<level>`` is the ``(1 - level/100)/2`` quantile and ``hi-<level>`` the
    ``(1 + level/100)/2`` quantile.
    """
    whole_number("level", level, low=1, high=99)
    lo, hi = f"lo-{level}", f"hi-{level}"
    df = _check(df, [id_col, target_col, lo, hi], values=[target_col, lo, hi])
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


def coverage(
    df: pd.DataFrame, level: int, *, id_col: str = "unique_id", target_col: str = "y"
) -> pd.DataFrame:
    """Share of actual values inside the ``level`` interval, per category."""
    whole_number("level", level, low=1, high=99)
    lo, hi = f"lo-{level}", f"hi-{level}"
    df = _check(df, [id_col, target_col, lo, hi], values=[target_col, lo, hi])
    return _per_id(
        df,
        id_col,
        f"coverage-{level}",
        lambda g: float(np.mean((g[target_col] >= g[lo]) & (g[target_col] <= g[hi]))),
    )


def evaluate(
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
    """All point metrics (and interval metrics for ``level``) in one table per category.

    Raises
    ------
    DataValidationError
        For frames without the columns read.
    ParameterError
        For ``season_length`` below 1, or ``level`` outside 1..99.
    """
    kw = {"id_col": id_col, "target_col": target_col}
    tables = [
        mae(df, pred_col=pred_col, **kw),
        rmse(df, pred_col=pred_col, **kw),
        smape(df, pred_col=pred_col, **kw),
        wape(df, pred_col=pred_col, **kw),
    ]
    if train_df is not None and season_length is not None:
        tables.append(mase(df, train_df, season_length, time_col=time_col, pred_col=pred_col, **kw))
        tables.append(
            rmsse(df, train_df, season_length, time_col=time_col, pred_col=pred_col, **kw)
        )
    for lv in check_levels(level):
        tables.append(coverage(df, lv, **kw))
        tables.append(pinball_loss(df, lv, **kw))
    out = tables[0]
    for t in tables[1:]:
        out = out.merge(t, on=id_col, how="outer")
    return out
