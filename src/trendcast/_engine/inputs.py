"""Checks of the frames a call receives, and their split into per-category arrays."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._engine.spec import MAX_PATH_VALUES, Spec
from trendcast._validation import count, fail, format_items, format_rows, verb
from trendcast._warnings import warn
from trendcast.exceptions import DataWarning, ParameterError

#: one category of a frame: key, demand, dates, covariates (None without any)
Series = tuple[Any, np.ndarray, np.ndarray, np.ndarray | None]


def check_covariates(df: pd.DataFrame, spec: Spec, what: str, source: str | None = None) -> None:
    """Every declared covariate is a column of numbers on every row."""
    names = list(spec.covariates)
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise fail(
            f"{what} lacks the covariate column{'s' if len(missing) > 1 else ''} "
            f"{format_items(missing)}",
            source=source,
            expected=f"columns {format_items(names)} (future_covariates)",
            found=f"columns {format_items(df.columns)}",
            fix="add the columns, or leave them out of future_covariates",
        )
    for col in names:
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise fail(
                f"{count(bad.size, 'row')} of {what} {verb(bad.size, 'has', 'have')} no "
                "number in a covariate",
                source=source,
                column=col,
                expected="a finite number on every row (covariates are not filled)",
                found=format_rows(df, bad, [spec.id_col, spec.time_col, col], source=source),
                fix="fill or drop those rows before passing the frame",
            )


def check_past(df: pd.DataFrame, spec: Spec, what: str, source: str | None = None) -> set[Any]:
    """Check the past covariate columns; return the categories that have none."""
    lags = spec.past_lags
    missing = [c for c in lags if c not in df.columns]
    if missing:
        raise fail(
            f"{what} lacks the past covariate column{'s' if len(missing) > 1 else ''} "
            f"{format_items(missing)}",
            source=source,
            expected=f"columns {format_items(lags)} (past_covariates)",
            found=f"columns {format_items(df.columns)}",
            fix="merge the search series into the sales frame (one value per category "
            "and period, e.g. from search_by_category), or leave the column out of "
            "past_covariates",
        )
    empty: set[Any] = set()
    for col in lags:
        column = df[col]
        if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
            values = pd.to_numeric(column, errors="coerce")
            bad = np.flatnonzero(values.isna().to_numpy() & column.notna().to_numpy())
            if bad.size:
                raise fail(
                    f"the past covariate is not numeric ({column.dtype})",
                    source=source,
                    column=col,
                    expected="numbers (search interest, 0-100)",
                    found=format_rows(df, bad, [spec.id_col, spec.time_col, col], source=source),
                    fix="convert the column to numbers, e.g. pd.to_numeric, and check "
                    "the rows shown",
                )
        values_all = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        gaps: list[int] = []
        for key, idx in df.groupby(spec.id_col, sort=False).indices.items():
            finite = np.isfinite(values_all[idx])
            if not finite.any():
                empty.add(key)
            elif not finite.all():
                missing = ~finite
                if spec.search_start == "late":  # empty before the first value: a late start
                    missing[: int(np.argmax(finite))] = False
                gaps.extend(int(i) for i in np.asarray(idx)[missing])
        if gaps:
            raise fail(
                f"the past covariate has {count(len(gaps), 'gap')} in its history",
                source=source,
                column=col,
                expected="a number for every period of a category, from its first sales "
                "period up to the forecast origin (a category with no search at all is "
                "fitted without it)",
                found=format_rows(df, gaps, [spec.id_col, spec.time_col, col], source=source),
                fix="fill the missing periods (e.g. interpolate), leave the whole category "
                "empty, or, when search starts after the sales, pass "
                "TrendForecaster(search_start='late') to keep the whole sales history",
            )
    return empty


def split_series(
    df: pd.DataFrame, spec: Spec, without_search: Collection[Any] | None = None
) -> list[Series]:
    """Per category: key, demand, dates and covariates.

    Covariates are the future-known columns, the calendar, then (for the
    categories with search) the raw past-only columns, unlagged.
    """
    names = list(spec.covariates)
    past = list(spec.past_lags)
    cal = spec.calendar_features(df[spec.time_col])
    if not names and cal is None and not past:
        return _split_plain(df, spec)
    out: list[Series] = []
    for key, group in df.groupby(spec.id_col, sort=False):
        X = group[names].to_numpy(dtype=float) if names else None
        if cal is not None:
            rows = cal.loc[group.index].to_numpy(dtype=float)
            X = rows if X is None else np.hstack([X, rows])
        if past and key not in (without_search or set()):
            raw = group[past].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
            X = raw if X is None else np.hstack([X, raw])
        out.append(
            (
                key,
                group[spec.target_col].to_numpy(dtype=float),
                group[spec.time_col].to_numpy(),
                X,
            )
        )
    return out


def _split_plain(df: pd.DataFrame, spec: Spec) -> list[Series]:
    """``split_series`` without covariates: each category's rows sliced from whole columns.

    The same keys, in the order ``groupby(sort=False)`` gives, and the same
    arrays (demand as floats, dates as stored); a groupby that built a frame a
    category cost a fifth of a nightly update (500 categories a chunk).
    """
    codes, keys = pd.factorize(df[spec.id_col], sort=False)
    valid = np.flatnonzero(codes >= 0)  # a missing id: no group, as groupby
    order = valid[np.argsort(codes[valid], kind="stable")]
    starts = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    y = df[spec.target_col].to_numpy(dtype=float)[order]
    dates = df[spec.time_col].to_numpy()[order]
    return [
        (key, y[a:b].copy(), dates[a:b].copy(), None)
        for key, a, b in zip(keys, starts[:-1].tolist(), starts[1:].tolist(), strict=True)
    ]


def check_horizon(spec: Spec, h: int, what: str, with_search: bool) -> None:
    """With ``beyond_lag="refuse"``, horizons past the smallest lag are refused."""
    lags = spec.past_lags
    if not lags or spec.beyond_lag != "refuse" or not with_search:
        return
    k = min(lags.values())
    if h > k:
        shown = ", ".join(f"{c!r} at lag {lag}" for c, lag in lags.items())
        raise ParameterError(
            f"{what} h={h} reaches beyond the past covariates ({shown}): their values "
            f"are observed for at most {k} period{'s' if k > 1 else ''} ahead, so the largest "
            f"horizon allowed is {k}. Pass h<={k}, or TrendForecaster(beyond_lag='forecast') "
            "to forecast the covariates beyond their lag (their uncertainty is added to "
            "the intervals)"
        )


def future_covariates(
    spec: Spec,
    X_df: pd.DataFrame | None,
    last_dates: Mapping[Any, pd.Timestamp],
    keys: list[Any],
    h: int,
    search_keys: Collection[Any] = (),
) -> dict[Any, np.ndarray]:
    """Covariate rows for the next ``h`` periods of every category, checked.

    The declared future covariates from ``X_df``, then the calendar, then (for
    the categories with search) placeholder columns for the past covariates:
    models fed them read them from the history they stored and ignore these
    columns, which only keep the covariate matrix's shape.
    """
    names = list(spec.covariates)
    if spec.calendar is not None:
        declared = _declared_future(spec, X_df, last_dates, keys, h) if names else {}
        future: dict[Any, np.ndarray] = {}
        for key in keys:
            dates = freqs.future_dates(last_dates[key], h, spec.freq)
            cal = spec.calendar_features(pd.Series(dates)).to_numpy(dtype=float)
            future[key] = cal if key not in declared else np.hstack([declared[key], cal])
    else:
        future = _declared_future(spec, X_df, last_dates, keys, h)
    p = len(spec.past_lags)
    if not p:
        return future
    out = dict(future)
    for key in keys:
        if key in search_keys:
            zeros = np.zeros((h, p))
            out[key] = zeros if key not in out else np.hstack([out[key], zeros])
    return out


def _check_conflicting_rows(frame: pd.DataFrame, spec: Spec) -> None:
    """Two rows of ``X_df`` for one category and period must hold the same values."""
    keys = [spec.id_col, spec.time_col]
    frame = frame.reset_index(drop=True)
    repeated = frame[frame.duplicated(keys, keep=False)]
    if repeated.empty:
        return
    distinct = repeated.drop_duplicates()
    conflicting = distinct[distinct.duplicated(keys, keep=False)]
    if conflicting.empty:
        return  # identical repeats: any of them is the value
    raise fail(
        "X_df has different covariate values for the same category and period",
        expected="one row per category and period (repeats must be identical)",
        found=format_rows(frame, np.sort(conflicting.index.to_numpy()), list(frame.columns)),
        fix="keep one row per category and period, e.g. X_df.drop_duplicates("
        f"[{spec.id_col!r}, {spec.time_col!r}], keep='last') if the last one is right",
    )


def _declared_future(
    spec: Spec,
    X_df: pd.DataFrame | None,
    last_dates: Mapping[Any, pd.Timestamp],
    keys: list[Any],
    h: int,
) -> dict[Any, np.ndarray]:
    """Rows of ``X_df`` for the next ``h`` periods of every category, checked."""
    names = list(spec.covariates)
    if not names:
        if X_df is not None:
            raise ParameterError(
                "X_df was given but the forecaster has no future_covariates; "
                "declare them with TrendForecaster(future_covariates=[...]) before fit"
            )
        return {}
    if X_df is None:
        raise fail(
            "future covariate values are missing",
            expected=f"X_df with {spec.id_col!r}, {spec.time_col!r} and "
            f"{format_items(names)} for the {h} periods after each category's last date",
            found="X_df=None",
            fix="pass predict(h, X_df=...) with the planned values",
        )
    if not isinstance(X_df, pd.DataFrame):
        raise ParameterError(f"X_df must be a pandas DataFrame, got {type(X_df).__name__}")
    for col in (spec.id_col, spec.time_col):
        if col not in X_df.columns:
            raise fail(
                f"X_df lacks the column {col!r}",
                expected=f"columns {spec.id_col!r}, {spec.time_col!r} and the covariates",
                found=f"columns {format_items(X_df.columns)}",
                fix="add the column or rename yours",
            )
    check_covariates(X_df, spec, "X_df")
    frame = X_df[[spec.id_col, spec.time_col, *names]].copy()
    frame[spec.time_col] = pd.to_datetime(frame[spec.time_col], errors="coerce")
    _check_conflicting_rows(frame, spec)
    lookup = frame.drop_duplicates([spec.id_col, spec.time_col], keep="last").set_index(
        [spec.id_col, spec.time_col]
    )
    out: dict[Any, np.ndarray] = {}
    missing: list[str] = []
    for key in keys:
        dates = freqs.future_dates(last_dates[key], h, spec.freq)
        index = pd.MultiIndex.from_arrays([[key] * h, dates])
        rows = lookup.reindex(index)
        absent = rows.isna().any(axis=1).to_numpy()
        if absent.any():
            missing += [f"{key!r} {d:%Y-%m-%d}" for d in dates[absent]]
            continue
        out[key] = rows.to_numpy(dtype=float)
    if missing:
        raise fail(
            f"X_df has no covariate values for {count(len(missing), 'forecast period')}",
            expected=f"a row for every category and each of the {h} periods ahead",
            found=f"missing {format_items(missing)}",
            fix="add those rows (the dates follow each category's last training date)",
        )
    return out


def check_future_dates(spec: Spec, last_dates: Mapping[Any, pd.Timestamp], h: int) -> None:
    """The ``h`` periods after every category's last date are dates pandas can hold."""
    if not last_dates:
        return
    latest = max(last_dates.values())
    try:
        freqs.future_dates(latest, h, spec.freq)
    except (pd.errors.OutOfBoundsDatetime, OverflowError) as exc:
        raise fail(
            f"the forecast would run past the last date pandas can hold "
            f"({pd.Timestamp.max:%Y-%m-%d})",
            column=spec.time_col,
            expected=f"{h} periods of {spec.freq} after {latest:%Y-%m-%d} within "
            f"{pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d}",
            found=str(exc),
            fix="ask for a shorter horizon, or check the dates of the sales frame",
        ) from exc


def check_path_count(n_categories: int, n_paths: int, h: int) -> None:
    """A ``sample_paths`` call stays under ``MAX_PATH_VALUES`` values."""
    if n_categories * n_paths * h > MAX_PATH_VALUES:
        raise ParameterError(
            f"n_paths={n_paths} for {count(n_categories, 'category', 'categories')} and "
            f"h={h} is {n_categories * n_paths * h:,} values, more than the "
            f"{MAX_PATH_VALUES:,} one call draws (8 bytes each); pass fewer paths or draw "
            "them for a subset of categories at a time (load(..., categories=[...]))"
        )


def check_cv_lengths(
    spec: Spec, series: list[Series], h: int, n_windows: int, step_size: int | None
) -> None:
    """Every category too short for the windows is named; all too short is an error."""
    step = h if step_size is None else step_size
    need = h + step * (n_windows - 1) + 2
    short = [(key, y.size) for key, y, _, _ in series if y.size < need]
    if not short:
        return
    windows = f"{n_windows} windows of {h} periods, {step} apart"
    if len(short) == len(series):
        longest = max(n for _, n in short)
        raise fail(
            f"no category is long enough for {windows}",
            column=spec.time_col,
            expected=f"at least {need} periods in a category ({h} + {step} x "
            f"{n_windows - 1} + 2 to fit on)",
            found=f"the longest has {longest}",
            fix="pass fewer windows (n_windows), a shorter horizon (h) or a smaller step_size",
        )
    warn(
        f"{count(len(short), 'category', 'categories')} {verb(len(short), 'is', 'are')} "
        f"too short for {windows} (at least {need} periods) and left out: "
        f"{format_items(key for key, _ in short)} (lengths "
        f"{', '.join(str(n) for _, n in short[:5])}); see cv_report_",
        DataWarning,
    )
