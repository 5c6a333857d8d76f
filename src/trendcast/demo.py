"""The main job on bundled data: what ``make demo`` and ``trendcast demo`` run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trendcast.adaptation import plans, summarize_gaps, supply_gaps
from trendcast.datasets import load_us_retail, load_us_retail_categories, load_us_retail_sectors
from trendcast.forecaster import TrendForecaster
from trendcast.hierarchy import Hierarchy
from trendcast.hotspots import emerging, hotspots
from trendcast.models import Theta
from trendcast.reconciliation import one_step_errors, reconcile

__all__ = ["NATIONAL_TOTALS", "DemoResult", "naive_supply_plan", "run_demo"]

#: Census codes that are national totals of other categories, not kinds of business:
#: forecast and written out, but left out of the printed ranking.
NATIONAL_TOTALS = ("44X72", "44Y72", "44Z72", "44W72", "44000", "4400A", "4400C")


@dataclass
class DemoResult:
    """Everything the demo produced, for printing and for tests."""

    forecast: pd.DataFrame
    plan_gaps: pd.DataFrame
    plan_summary: pd.DataFrame
    stock_gaps: pd.DataFrame
    fit_report: pd.DataFrame
    dropped: list[str]
    seconds_fit: float
    selection_report: pd.DataFrame = field(default_factory=pd.DataFrame)
    sectors: pd.DataFrame | None = None
    sector_summary: pd.DataFrame | None = None
    hotspots: pd.DataFrame = field(default_factory=pd.DataFrame)
    emerging: pd.DataFrame = field(default_factory=pd.DataFrame)
    files: list[Path] = field(default_factory=list)
    report: Path | None = None

    def describe(self, top: int = 10) -> str:
        """The text the command prints: ranked shortfalls, inventory cover, fallbacks."""
        s = self.plan_summary[~self.plan_summary["unique_id"].isin(NATIONAL_TOTALS)]
        short = s[s["flag"] == "short"].head(top)
        lines = [
            f"Forecast {self.forecast['unique_id'].nunique()} categories "
            f"{self.forecast['ds'].min():%Y-%m} to {self.forecast['ds'].max():%Y-%m} "
            f"(fit in {self.seconds_fit:.1f} s).",
            "",
            f"Categories where the naive plan (same month last year +2%) lags forecast demand "
            f"({int((s['flag'] == 'short').sum())} flagged short, "
            f"{int((s['flag'] == 'long').sum())} long; national totals left out), worst first "
            "(expected shortfall in $ millions over the horizon):",
        ]
        if short.empty:
            lines.append("  none")
        else:
            table = short[
                [
                    "unique_id",
                    "description",
                    "periods_short",
                    "first_short",
                    "max_p_short",
                    "expected_shortfall",
                    "shortfall_share",
                ]
            ].copy()
            table["first_short"] = table["first_short"].dt.strftime("%Y-%m")
            table["max_p_short"] = table["max_p_short"].round(2)
            table["expected_shortfall"] = table["expected_shortfall"].round(0)
            table["shortfall_share"] = (100 * table["shortfall_share"]).round(1).astype(str) + "%"
            table["description"] = table["description"].str.slice(0, 38)
            lines.append(table.to_string(index=False))
            lines += ["", "Why:"]
            lines += [f"  {r.unique_id}: {r.reason}" for r in short.itertuples()]
        if self.sector_summary is not None:
            sec = self.sector_summary
            lines += [
                "",
                "Sectors (forecasts of the categories summed bottom-up; plan summed likewise):",
                sec[["unique_id", "flag", "periods_short", "max_p_short", "expected_shortfall"]]
                .round(2)
                .to_string(index=False),
            ]
        if len(self.hotspots):
            hot = self.hotspots[~self.hotspots["unique_id"].isin(NATIONAL_TOTALS)].head(top)
            lines += [
                "",
                "Hotspots: markets over $100bn / $1tn in the next 12 months ($ millions; "
                "national totals left out, so ranks start after them):",
                hot[["rank", "unique_id", "level", "total", "tier", "growth", "growth_lo",
                     "growth_hi"]].round(3).to_string(index=False),
            ]  # fmt: skip
        if len(self.emerging):
            em = self.emerging[~self.emerging["unique_id"].isin(NATIONAL_TOTALS)].head(5)
            lines += [
                "",
                f"Emerging categories (sales and forecast; {int(em['emerging'].sum())} pass "
                "the rule), top 5 by score:",
                em[["rank", "unique_id", "score", "sales_acceleration", "forecast_growth",
                    "emerging"]].round(3).to_string(index=False),
            ]  # fmt: skip
        st = self.stock_gaps
        lines += [
            "",
            "Inventory at the forecast origin with the naive plan arriving as receipts "
            "(cover in months of forecast sales; short when cumulative demand may exceed "
            "stock plus receipts):",
        ]
        cover = st[
            ["unique_id", "description", "ds", "supply", "next_demand", "cover", "max_p_short",
             "flag"]
        ].copy()  # fmt: skip
        cover["ds"] = cover["ds"].dt.strftime("%Y-%m")
        cover["description"] = cover["description"].str.slice(0, 38)
        lines.append(cover.round(2).to_string(index=False))
        fell = self.fit_report[self.fit_report["status"] != "ok"]
        families = self.fit_report["model_used"].str.split("(").str[0].value_counts()
        lines += ["", f"Model choice: {families.to_dict()}; fallbacks: {len(fell)}."]
        if self.dropped:
            lines.append(f"Left out (no data in the latest month): {', '.join(self.dropped)}.")
        return "\n".join(lines)


def naive_supply_plan(
    sales: pd.DataFrame, forecast: pd.DataFrame, growth: float = 0.02
) -> pd.DataFrame:
    """A planner's naive plan: the same month last year times ``1 + growth``.

    Kept for callers of ``trendcast.demo``; it is the public
    [`naive_supply_plan`][trendcast.naive_supply_plan] (every frequency).
    """
    return plans.naive_supply_plan(sales, forecast, growth=growth)


def run_demo(
    out: Path | str = "trendcast-output",
    *,
    horizon: int = 12,
    n_jobs: int = 2,
    growth: float = 0.02,
    threshold: float = 0.8,
    categories: list[str] | None = None,
    progress: bool | str = False,
    persistence: int = 2,
    n_paths: int = 1000,
) -> DemoResult:
    """Forecast the bundled US retail data and compare it with supply.

    Parameters
    ----------
    out : path
        Folder for ``history.csv`` (the sales used), ``forecast.csv``,
        ``gaps_plan.csv``, ``gaps_summary.csv``, ``inventory_cover.csv``,
        ``fit_report.csv``, ``selection_report.csv``, ``worst_gaps.png``,
        ``report.json`` (the report settings) and ``report.html`` (see
        [`report_from_run`][trendcast.report.report_from_run]).
    horizon : int
        Months ahead.
    n_jobs : int
        Parallel processes.
    growth : float
        Growth applied in the naive plan.
    threshold : float
        ``p_short`` from which a month is flagged short.
    categories : list of str, optional
        Restrict to these Census codes (default: all).
    progress : bool or "auto"
        Show a progress bar (``"auto"``: only on a terminal).
    persistence : int
        Consecutive short months before a category is flagged.
    n_paths : int
        Sample paths per category for the window probabilities.
    """
    import time

    out = Path(out)
    sales, inventories, names, dropped = _reported_sales(categories)  # unknown codes fail here
    out.mkdir(parents=True, exist_ok=True)
    latest = sales["ds"].max()

    start = time.perf_counter()
    fc = TrendForecaster(models="auto", n_jobs=n_jobs, progress=progress)
    fc.fit(sales)
    forecast = fc.predict(horizon, level=(80, 95))
    seconds = time.perf_counter() - start

    paths = fc.sample_paths(horizon, n_paths=n_paths, random_state=0, output="arrays")

    # the naive plan reaches 12 months ahead: compare it over the months it covers
    plan = naive_supply_plan(sales, forecast, growth=growth)
    covered = forecast["ds"] <= plan["ds"].max()
    n_plan = int(forecast.loc[covered, "ds"].nunique())
    plan_paths = {k: np.asarray(v)[:, :n_plan] for k, v in paths.items()}
    plan_gaps = supply_gaps(
        forecast[covered],
        plan,
        kind="flow",
        paths=plan_paths,
        threshold=threshold,
        persistence=persistence,
        missing="ignore",  # categories with under a year of sales have no naive plan
    )
    summary = summarize_gaps(plan_gaps, history=sales)
    summary.insert(2, "description", summary["unique_id"].map(names))

    stock_gaps = _stock_gaps(
        inventories[inventories["ds"] == latest], plan, forecast[covered], plan_paths,
        sales=sales, names=names, threshold=threshold, persistence=persistence,
    )  # fmt: skip

    sectors, sector_summary, hot = _sectors(sales, forecast, plan, threshold, persistence)
    hot.insert(2, "description", hot["unique_id"].map(names))
    emerging_table = emerging(sales, forecast=forecast)
    emerging_table.insert(2, "description", emerging_table["unique_id"].map(names))

    result = DemoResult(
        forecast,
        plan_gaps,
        summary,
        stock_gaps,
        fc.fit_report_,
        dropped,
        seconds,
        selection_report=fc.selection_report_,
        sectors=sectors,
        sector_summary=sector_summary,
        hotspots=hot,
        emerging=emerging_table,
    )
    _write_run(out, result, sales, names, threshold)
    return result


def _reported_sales(
    categories: list[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, list[str]]:
    """The bundled sales of the categories still reported in the latest month.

    Returns the sales, the inventories, the category descriptions and the
    categories left out.
    """
    sales, inventories = load_us_retail(with_inventories=True, categories=categories)
    names = load_us_retail_categories().set_index("unique_id")["description"]
    latest = sales["ds"].max()
    ends = sales.groupby("unique_id")["ds"].max()
    dropped = sorted(ends[ends < latest].index.tolist())
    sales = sales[~sales["unique_id"].isin(dropped)].reset_index(drop=True)
    return sales, inventories, names, dropped


def _stock_gaps(
    inventories: pd.DataFrame,
    plan: pd.DataFrame,
    forecast: pd.DataFrame,
    paths: Mapping[Any, np.ndarray],
    *,
    sales: pd.DataFrame,
    names: pd.Series,
    threshold: float,
    persistence: int,
) -> pd.DataFrame:
    """Inventory cover: the stock on hand at the origin, with the plan arriving as receipts."""
    on_hand = inventories.rename(columns={"inventory": "supply"})
    on_hand = on_hand[on_hand["unique_id"].isin(forecast["unique_id"])]
    stock = pd.concat(
        [on_hand, plan[plan["unique_id"].isin(on_hand["unique_id"])]], ignore_index=True
    )[["unique_id", "ds", "supply"]]
    stock_gaps = supply_gaps(
        forecast,
        stock,
        kind="stock",
        paths=paths,
        threshold=threshold,
        persistence=persistence,
        min_cover=1.0,
        missing="ignore",  # stock only for the categories the Census reports inventories of
    )
    stock_gaps = summarize_gaps(stock_gaps, history=sales)
    stock_gaps.insert(2, "description", stock_gaps["unique_id"].map(names))
    return stock_gaps


def _write_run(
    out: Path, result: DemoResult, sales: pd.DataFrame, names: pd.Series, threshold: float
) -> None:
    """Write the CSV files, the chart and the report of a run; list them in ``result``."""
    files = {
        "history.csv": sales,
        "forecast.csv": result.forecast,
        "gaps_plan.csv": result.plan_gaps,
        "gaps_summary.csv": result.plan_summary,
        "inventory_cover.csv": result.stock_gaps,
        "fit_report.csv": result.fit_report,
        "selection_report.csv": result.selection_report,
        "hotspots.csv": result.hotspots,
        "emerging.csv": result.emerging,
    }
    if result.sectors is not None and result.sector_summary is not None:
        files["sectors.csv"] = result.sectors
        files["sector_gaps_summary.csv"] = result.sector_summary
    for name, frame in files.items():
        path = out / name
        frame.to_csv(path, index=False)
        result.files.append(path)
    chart = _chart(
        sales,
        result.forecast,
        result.plan_gaps,
        result.plan_summary,
        names,
        threshold,
        out / "worst_gaps.png",
    )
    result.files.append(chart)
    result.report = _report(out, threshold)
    result.files += [out / "report.json", result.report]


def _sectors(
    sales: pd.DataFrame,
    forecast: pd.DataFrame,
    plan: pd.DataFrame,
    threshold: float,
    persistence: int,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame]:
    """Sector totals, their gaps against the summed plan, and hotspots at every level.

    The sector forecasts are the category forecasts summed (bottom-up), with
    intervals that carry the correlation of the categories' one-step errors
    (Theta, 24 monthly windows): retail categories move together, so summing
    independent paths would make sector intervals too narrow. Without every
    category of the mapping (``categories=`` restricted), hotspots are per
    category only.
    """
    hier = Hierarchy.from_frame(load_us_retail_sectors())
    thresholds = {"100bn": 1e5, "1tn": 1e6}  # the data is in $ millions
    if not set(hier.bottom) <= set(forecast["unique_id"]):
        return None, None, hotspots(forecast, history=sales, thresholds=thresholds)
    bottom_sales = sales[sales["unique_id"].isin(hier.bottom)]
    cv = TrendForecaster(models=Theta(), calibration=None).cross_validation(
        bottom_sales, h=1, n_windows=24
    )
    bottom = forecast[forecast["unique_id"].isin(hier.bottom)]
    sectors = reconcile(bottom, hier, method="bottom_up", residuals=one_step_errors(cv))
    upper = sectors[sectors["level"] != hier.levels[-1]]
    totals = hier.aggregate(plan[plan["unique_id"].isin(hier.bottom)], value_col="supply").drop(
        columns="level"
    )
    covered = upper["ds"] <= totals["ds"].max()
    sector_gaps = supply_gaps(
        upper[covered].drop(columns="level"),
        totals[~totals["unique_id"].isin(hier.bottom)],
        threshold=threshold,
        persistence=persistence,
        missing="ignore",  # sectors without a reported total are not compared
    )
    sector_summary = summarize_gaps(
        sector_gaps, history=hier.aggregate(bottom_sales).drop(columns="level")
    )
    # every other series (sub-categories, national totals) is ranked as a category
    others = forecast[~forecast["unique_id"].isin(sectors["unique_id"])].assign(level="category")
    history = pd.concat(
        [hier.aggregate(bottom_sales).drop(columns="level"), sales], ignore_index=True
    ).drop_duplicates(["unique_id", "ds"])
    hot = hotspots(
        pd.concat([sectors, others], ignore_index=True), history=history, thresholds=thresholds
    )
    return sectors, sector_summary, hot


def _report(out: Path, threshold: float) -> Path:
    """Record the report settings in the run folder and build the report from its files.

    ``trendcast report OUT`` then rebuilds the same page. National totals are
    listed apart, not ranked with the kinds of business.
    """
    import json

    from trendcast.report import RUN_SETTINGS, report_from_run

    settings = {
        "title": "US retail sales: forecast against the naive plan",
        "unit": "$ millions",
        "threshold": threshold,
        "exclude": list(NATIONAL_TOTALS),
    }
    (out / RUN_SETTINGS).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return report_from_run(out)


def _chart(
    sales: pd.DataFrame,
    forecast: pd.DataFrame,
    gaps: pd.DataFrame,
    summary: pd.DataFrame,
    names: pd.Series,
    threshold: float,
    path: Path,
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from trendcast.plotting import plot_gaps

    ranked = summary[~summary["unique_id"].isin(NATIONAL_TOTALS)]
    worst = ranked[ranked["flag"] == "short"]["unique_id"].head(6).tolist()
    if not worst:
        worst = ranked["unique_id"].head(6).tolist()
    titles = {k: f"{k}: {names.get(k, '')}" for k in worst}
    fig = plot_gaps(
        gaps,
        forecast=forecast,
        history=sales,
        ids=worst,
        threshold=threshold,
        titles=titles,
        ylabel="$ millions",
    )
    fig.suptitle(
        "US retail sales ($ millions, not seasonally adjusted): forecast vs naive plan, "
        "worst shortfalls",
        fontsize=11,
    )
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
