"""From forecasts to decisions: supply gaps against every plan and inventory, sectors,
hotspots and emerging categories (the library's functions, applied per source)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trendcast.adaptation import summarize_gaps, supply_gaps
from trendcast.hotspots import emerging, hotspots
from trendcast.job.config import JobConfig
from trendcast.job.errors import SourceError
from trendcast.job.sources import Inputs
from trendcast.reconciliation import reconcile

__all__ = ["all_gaps", "markets"]

FORECAST_COLS = ["unique_id", "ds", "model", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]


def _covered(
    forecast: pd.DataFrame, supply: pd.DataFrame, paths: dict[Any, np.ndarray]
) -> tuple[pd.DataFrame, dict[Any, np.ndarray]]:
    """Forecast rows that have a supply value, and the matching columns of the paths."""
    rows = forecast.merge(supply[["unique_id", "ds"]], on=["unique_id", "ds"], how="inner")
    rows = rows.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    # each category's steps, in the order groupby(sort=False) gives, from whole columns
    codes, keys = pd.factorize(rows["unique_id"], sort=False)
    valid = np.flatnonzero(codes >= 0)
    order = valid[np.argsort(codes[valid], kind="stable")]
    starts = np.searchsorted(codes[order], np.arange(len(keys) + 1)).tolist()
    steps = rows["step"].to_numpy()[order] - 1
    cut = {
        k: paths[k][:, steps[a:b]]
        for k, a, b in zip(keys, starts[:-1], starts[1:], strict=True)
        if k in paths
    }
    rows = rows[rows["unique_id"].isin(cut)]
    return rows, cut


def _gaps_of(
    config: JobConfig, inputs: Inputs, forecast: pd.DataFrame, paths: dict[Any, np.ndarray],
    name: str,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:  # fmt: skip
    spec = next(s for s in config.supply if s.name == name)
    g = config.gaps
    ids = set(forecast["unique_id"])
    supply = inputs.supply[name]
    supply = supply[supply["unique_id"].isin(ids)]
    if spec.kind == "flow":
        rows, cut = _covered(forecast, supply, paths)
        if rows.empty:
            return None
        gaps = supply_gaps(
            rows[FORECAST_COLS], supply, kind="flow", paths=cut, threshold=g.threshold,
            persistence=g.persistence,
        )  # fmt: skip
    else:
        origin = inputs.sales.groupby("unique_id")["ds"].max().rename("origin")
        on_hand = supply.merge(origin, left_on="unique_id", right_index=True)
        on_hand = on_hand[on_hand["ds"] == on_hand["origin"]][["unique_id", "ds", "supply"]]
        rows, cut = forecast, paths
        stock = on_hand
        if spec.receipts is not None:
            receipts = inputs.supply[spec.receipts]
            receipts = receipts[receipts["unique_id"].isin(ids)]
            rows, cut = _covered(forecast, receipts, paths)
            receipts = receipts.merge(rows[["unique_id", "ds"]], on=["unique_id", "ds"])
            stock = pd.concat([on_hand, receipts[["unique_id", "ds", "supply"]]])
        keep = set(on_hand["unique_id"])
        rows = rows[rows["unique_id"].isin(keep)]
        if rows.empty:
            return None
        gaps = supply_gaps(
            rows[FORECAST_COLS], stock[stock["unique_id"].isin(keep)], kind="stock",
            paths={k: v for k, v in cut.items() if k in keep}, threshold=g.threshold,
            persistence=g.persistence, min_cover=g.min_cover,
        )  # fmt: skip
    summary = summarize_gaps(gaps, history=inputs.sales, search=inputs.search)
    return gaps, summary


def all_gaps(
    config: JobConfig, inputs: Inputs, forecast: pd.DataFrame, paths: dict[Any, np.ndarray]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[pd.DataFrame, pd.DataFrame]]]:
    """Gaps and flags against every ``[[supply]]``, stacked with ``supply`` and ``kind``.

    Raises
    ------
    SourceError
        When a supply source cannot be compared with the forecast (the
        library's message, prefixed with the source's name).
    """
    gaps_all, flags_all, by_name = [], [], {}
    for spec in config.supply:
        try:
            got = _gaps_of(config, inputs, forecast, paths, spec.name)
        except (ValueError, KeyError) as exc:
            raise SourceError(
                f"[[supply]] {spec.name} ({inputs.described.get('supply ' + spec.name)}): "
                f"cannot be compared with the forecast: {exc}"
            ) from exc
        if got is None:
            continue
        gaps, summary = got
        by_name[spec.name] = (gaps, summary)
        tag = {"supply": spec.name, "kind": spec.kind}
        gaps_all.append(gaps.rename(columns={"supply": "supply_value"}).assign(**tag))
        flags_all.append(summary.drop(columns=["supply", "ds", "p_short"], errors="ignore")
                         .assign(**tag))  # fmt: skip
    gaps = pd.concat(gaps_all, ignore_index=True) if gaps_all else pd.DataFrame()
    flags = pd.concat(flags_all, ignore_index=True) if flags_all else pd.DataFrame()
    return gaps, flags, by_name


def markets(
    config: JobConfig, inputs: Inputs, forecast: pd.DataFrame, paths: dict[Any, np.ndarray]
) -> tuple[pd.DataFrame | None, pd.DataFrame, pd.DataFrame]:
    """Sector totals (bottom-up over the sample paths), hotspots and emerging categories.

    Sector intervals come from summing the categories' sample paths, which are
    drawn independently per category: they are narrower than the truth when
    categories move together (the demo's residual-correlation method costs a
    cross-validation a night).
    """
    thresholds = config.hotspots.thresholds
    sales = inputs.sales
    hier = inputs.hierarchy
    sectors = None
    if hier is not None and set(hier.bottom) <= set(forecast["unique_id"]):
        bottom = forecast[forecast["unique_id"].isin(hier.bottom)][FORECAST_COLS]
        sectors = reconcile(
            bottom, hier, method="bottom_up", paths={k: paths[k] for k in hier.bottom}
        )
        others = forecast[~forecast["unique_id"].isin(sectors["unique_id"])]
        history = pd.concat(
            [hier.aggregate(sales[sales["unique_id"].isin(hier.bottom)]).drop(columns="level"),
             sales], ignore_index=True,
        ).drop_duplicates(["unique_id", "ds"])  # fmt: skip
        hot = hotspots(
            pd.concat([sectors, others[FORECAST_COLS].assign(level="category")],
                      ignore_index=True),
            history=history, thresholds=thresholds,
        )  # fmt: skip
    else:
        hot = hotspots(forecast[FORECAST_COLS], history=sales, thresholds=thresholds)
    emerging_table = emerging(sales, search=inputs.search, forecast=forecast[FORECAST_COLS])
    return sectors, hot, emerging_table
