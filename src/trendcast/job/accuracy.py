"""Forecast accuracy, watched: earlier runs' forecasts scored against the actuals since.

Each night the forecasts stored by the last ``[accuracy] window`` earlier runs
(same model settings) are joined with the actuals that have arrived, and
scored by category, model and horizon (steps ahead): MASE (absolute error over
the in-sample seasonal-naive error of the history up to the forecast's
origin, as [`tc.metrics.mase`][trendcast.metrics.mase]), WAPE, bias
(``sum(forecast - actual) / sum(|actual|)``: positive means over-forecast) and
the share of actuals inside the 80% and 95% intervals.

Drift: a category whose recent MASE (``tc.metrics.mase`` over those
forecasts, one window per origin) exceeds the backtest MASE of its selected
model by more than ``drift_margin`` (recent > backtest x (1 + margin)), with at
least ``min_points`` scored forecasts, is flagged; the next run refits its
chunk. Categories without a backtest score (a single model without
calibration) are scored but never flagged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from trendcast.metrics import mase
from trendcast.store import Store

__all__ = ["score"]

EMPTY_ACC = ["unique_id", "model", "horizon", "n", "mase", "wape", "bias", "coverage_80",
             "coverage_95", "first_origin", "last_origin"]  # fmt: skip
EMPTY_DRIFT = ["unique_id", "n", "recent_mase", "backtest_mase", "ratio", "drift"]


def _scales(sales: pd.DataFrame, origins: pd.DataFrame, season_length: int) -> pd.Series:
    """In-sample seasonal-naive MAE of each (category, origin)'s history, vectorized.

    As ``tc.metrics.mase``: lag ``season_length`` when the history is longer
    than a season, else lag 1; NaN when the history is too short for either.
    """
    ordered = sales.sort_values(["unique_id", "ds"])
    out = []
    for origin, keys in origins.groupby("origin", sort=False)["unique_id"]:
        hist = ordered[(ordered["ds"] <= origin) & ordered["unique_id"].isin(set(keys))]
        by = hist.groupby("unique_id", sort=False)["y"]
        n = by.size()
        seasonal = (hist["y"] - by.shift(season_length)).abs().groupby(hist["unique_id"]).mean()
        first = (hist["y"] - by.shift(1)).abs().groupby(hist["unique_id"]).mean()
        scale = seasonal.reindex(n.index).where(n > season_length, first.reindex(n.index))
        scale = scale.where(n > 1)
        out.append(pd.Series(scale.to_numpy(), index=pd.MultiIndex.from_arrays(
            [n.index, [origin] * len(n)]), dtype=float))  # fmt: skip
    return pd.concat(out) if out else pd.Series(dtype=float)


def score(
    store: Store,
    model_key: str,
    as_of: dt.date,
    sales: pd.DataFrame,
    selection: pd.DataFrame,
    season_length: int,
    config: Any,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score earlier runs; return (accuracy by category/model/horizon, drift, scored rows)."""
    acc_cfg = config.accuracy
    runs = store.runs(model_key=model_key)
    runs = runs[(runs["as_of"] < as_of) & runs["status"].isin(["ok", "partial"])]
    runs = runs.head(acc_cfg.window)
    empty = (pd.DataFrame(columns=EMPTY_ACC), pd.DataFrame(columns=EMPTY_DRIFT), pd.DataFrame())
    if runs.empty:
        return empty
    fc = store.read("forecasts", [int(i) for i in runs["id"]])
    origin = runs.set_index("id")["as_of"].map(pd.Timestamp)
    fc["origin"] = fc["run_id"].map(origin)
    fc["ds"] = pd.to_datetime(fc["ds"])
    rows = fc.merge(sales[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
    rows = rows[rows["ds"] > rows["origin"]]
    if rows.empty:
        return empty
    scales = _scales(sales, rows[["unique_id", "origin"]].drop_duplicates(), season_length)
    keys = list(zip(rows["unique_id"], rows["origin"], strict=True))
    rows["scale"] = scales.reindex(pd.MultiIndex.from_tuples(keys)).to_numpy()
    err = rows["mean"] - rows["y"]
    rows = rows.assign(
        abs_err=err.abs(), err=err, abs_y=rows["y"].abs(),
        scaled=(err.abs() / rows["scale"]).where(rows["scale"] > 0),
        in_80=((rows["lo_80"] <= rows["y"]) & (rows["y"] <= rows["hi_80"])).astype(float),
        in_95=((rows["lo_95"] <= rows["y"]) & (rows["y"] <= rows["hi_95"])).astype(float),
    )  # fmt: skip
    grouped = rows.groupby(["unique_id", "model", "step"], sort=True)
    acc = grouped.agg(
        n=("y", "size"), mase=("scaled", "mean"), sum_abs=("abs_err", "sum"),
        sum_err=("err", "sum"), sum_y=("abs_y", "sum"), coverage_80=("in_80", "mean"),
        coverage_95=("in_95", "mean"), first_origin=("origin", "min"),
        last_origin=("origin", "max"),
    ).reset_index().rename(columns={"step": "horizon"})  # fmt: skip
    denom = acc["sum_y"].where(acc["sum_y"] > 0)
    acc["wape"] = acc["sum_abs"] / denom
    acc["bias"] = acc["sum_err"] / denom
    acc = acc[EMPTY_ACC]
    drift = _drift(rows, sales, selection, season_length, acc_cfg)
    return acc, drift, rows


def _drift(
    rows: pd.DataFrame, sales: pd.DataFrame, selection: pd.DataFrame, season_length: int,
    acc_cfg: Any,
) -> pd.DataFrame:  # fmt: skip
    scored = rows.rename(columns={"origin": "cutoff"})[["unique_id", "cutoff", "ds", "y", "mean"]]
    recent = mase(scored, sales, season_length).rename(columns={"mase": "recent_mase"})
    counts = rows.groupby("unique_id").size().rename("n")
    chosen = selection[selection["selected"].astype(bool)] if len(selection) else selection
    backtest = (
        chosen.groupby("unique_id")["mase"].min().rename("backtest_mase")
        if len(chosen)
        else pd.Series(dtype=float, name="backtest_mase")
    )
    out = recent.merge(counts, left_on="unique_id", right_index=True, how="left")
    out = out.merge(backtest, left_on="unique_id", right_index=True, how="left")
    out["ratio"] = out["recent_mase"] / out["backtest_mase"].where(out["backtest_mase"] > 0)
    out["drift"] = (out["n"] >= acc_cfg.min_points) & (
        out["ratio"] > 1 + acc_cfg.drift_margin
    ).fillna(False)
    return out[EMPTY_DRIFT]
