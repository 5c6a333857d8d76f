"""The output frames: forecasts, cross-validation windows and sample paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._engine.spec import Spec
from trendcast.models import ModelForecast


def forecast_columns(
    spec: Spec, key: Any, dates: Iterable, model: str, fc: ModelForecast, levels: tuple[int, ...]
) -> dict[str, Any]:
    """One category's forecast as columns (clipped at zero unless negatives are allowed)."""
    if not spec.allow_negative:
        fc = fc.clip(0.0)
    cols: dict[str, Any] = {
        spec.id_col: [key] * len(fc.mean),
        # the dates as an array, not a list of Timestamps (12 objects of 64 bytes a
        # category, made again for each): the frame's column is the same
        spec.time_col: np.asarray(dates),
        "model": [model] * len(fc.mean),
        "mean": fc.mean,
    }
    for lv in levels:
        cols[f"lo-{lv}"] = fc.lower[lv]
        cols[f"hi-{lv}"] = fc.upper[lv]
    return cols


def concat(spec: Spec, frames: list[dict[str, Any]], levels: tuple[int, ...]) -> pd.DataFrame:
    """The forecast frame of the categories' columns, in their order."""
    columns = [spec.id_col, spec.time_col, "model", "mean"]
    for lv in levels:
        columns += [f"lo-{lv}", f"hi-{lv}"]
    if not frames:
        return pd.DataFrame(columns=columns)
    merged: dict[str, list[Any] | np.ndarray] = {}
    for c in columns:
        parts = [f[c] for f in frames]
        merged[c] = (
            np.concatenate(parts)
            if isinstance(parts[0], np.ndarray)
            else [v for p in parts for v in p]
        )
    out = pd.DataFrame(merged, columns=columns)
    out[spec.time_col] = pd.to_datetime(out[spec.time_col])
    return out


class ForecastRows:
    """The forecast frame of many categories, filled one category at a time.

    What ``concat`` of every category's ``forecast_columns`` makes, without
    holding a frame of columns per category until the end: the numbers go into
    one array a column as they come (at 100,000 categories the per-category
    columns and the forecasts they came from held 0.4 GB).
    """

    def __init__(self, spec: Spec, levels: tuple[int, ...], n_rows: int) -> None:
        self.spec, self.levels, self.n = spec, levels, 0
        self.columns = [spec.id_col, spec.time_col, "model", "mean"]
        for lv in levels:
            self.columns += [f"lo-{lv}", f"hi-{lv}"]
        self.listed: dict[str, list[Any]] = {spec.id_col: [], "model": []}
        self.dates: list[np.ndarray] = []
        self.numbers = {c: np.empty(n_rows) for c in self.columns[3:]}

    def add(self, key: Any, dates: Iterable, model: str, fc: ModelForecast) -> None:
        """Append one category's rows (as ``forecast_columns`` makes them)."""
        cols = forecast_columns(self.spec, key, dates, model, fc, self.levels)
        k = len(cols["mean"])
        for c, values in self.numbers.items():
            if self.n + k > values.size:  # more rows than foreseen: grow
                self.numbers[c] = values = np.concatenate([values, np.empty(values.size + k)])
            values[self.n : self.n + k] = cols[c]
        for c, items in self.listed.items():
            items.extend(cols[c])
        self.dates.append(cols[self.spec.time_col])
        self.n += k

    def frame(self) -> pd.DataFrame:
        """The forecast frame of the categories added, in their order (as ``concat``'s)."""
        if not self.dates:
            return pd.DataFrame(columns=self.columns)
        merged: dict[str, Any] = {c: v[: self.n] for c, v in self.numbers.items()}
        merged.update(self.listed)
        merged[self.spec.time_col] = np.concatenate(self.dates)
        out = pd.DataFrame(merged, columns=self.columns)
        out[self.spec.time_col] = pd.to_datetime(out[self.spec.time_col])
        return out


#: the forecast column of ``output="nixtla"`` (as statsforecast names a column after its model)
NIXTLA_NAME = "TrendForecaster"


def as_output(frame: pd.DataFrame, output: str) -> pd.DataFrame:
    """The forecast frame in trendcast's layout (``"frame"``) or Nixtla's (``"nixtla"``).

    Nixtla's layout (statsforecast, utilsforecast) has one column per model and
    no ``model`` column: ``mean`` becomes ``TrendForecaster`` and ``lo-80``
    becomes ``TrendForecaster-lo-80``; the model each category used is in
    ``fit_report_``.
    """
    if output == "frame":
        return frame
    renamed = {"mean": NIXTLA_NAME}
    renamed.update(
        {c: f"{NIXTLA_NAME}-{c}" for c in frame.columns if str(c).startswith(("lo-", "hi-"))}
    )
    return frame.drop(columns="model").rename(columns=renamed)


def paths_frame(
    spec: Spec, arrays: Mapping[Any, np.ndarray], last_dates: Mapping[Any, pd.Timestamp], h: int
) -> pd.DataFrame:
    """Sample paths as a long frame: a row per category, path and period."""
    columns = [spec.id_col, spec.time_col, "path", spec.target_col]
    if not arrays:
        return pd.DataFrame(columns=columns)
    parts = []
    for key, paths in arrays.items():
        dates = pd.DatetimeIndex(freqs.future_dates(last_dates[key], h, spec.freq))
        parts.append(
            pd.DataFrame(
                {
                    spec.id_col: np.repeat(np.array([key], dtype=object), paths.size),
                    spec.time_col: np.tile(dates, paths.shape[0]),
                    "path": np.repeat(np.arange(paths.shape[0]), paths.shape[1]),
                    spec.target_col: paths.ravel(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[columns]


def cv_frame(
    spec: Spec,
    series: list[Any],
    results: list[list[Any]],
    h: int,
    n_windows: int,
    levels: tuple[int, ...],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cross-validation frame (forecasts, cutoff, actuals) and its report."""
    frames, actual, cut_col, report = [], [], [], []
    for (key, y, dates, _), windows in zip(series, results, strict=True):
        if not windows:
            report.append(
                {
                    spec.id_col: key,
                    "reason": f"{y.size} observations are too few for {n_windows} windows of {h}",
                }
            )
        for c, fc, fit in windows:
            frames.append(forecast_columns(spec, key, dates[c : c + h], fit.used, fc, levels))
            actual.append(y[c : c + h])
            cut_col.extend([dates[c - 1]] * h)
            if fit.reasons:
                report.append(
                    {
                        spec.id_col: key,
                        "reason": "; ".join(fit.reasons),
                        "cutoff": pd.Timestamp(dates[c - 1]),
                    }
                )
    out = concat(spec, frames, levels)
    out.insert(2, "cutoff", pd.to_datetime(pd.Series(cut_col, dtype="datetime64[ns]")))
    out[spec.target_col] = np.concatenate(actual) if actual else np.array([], dtype=float)
    out = out.sort_values([spec.id_col, "cutoff", spec.time_col], kind="stable").reset_index(
        drop=True
    )
    return out, pd.DataFrame(report, columns=[spec.id_col, "cutoff", "reason"])
