"""The main job on bundled data: what ``make demo`` and ``trendcast demo`` run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from trendcast.adaptation import summarize_gaps, supply_gaps
from trendcast.datasets import load_us_retail, load_us_retail_categories
from trendcast.forecaster import TrendForecaster

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
        st = self.stock_gaps
        lines += ["", "Inventory cover at the forecast origin (months of forecast sales):"]
        cover = st[
            ["unique_id", "description", "ds", "supply", "next_demand", "cover", "p_short", "flag"]
        ].copy()
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

    Periods whose month a year earlier lies in the forecast itself use that
    year-earlier observed month if there is one; others are left out.
    """
    last_year = sales.assign(ds=sales["ds"] + pd.DateOffset(years=1))
    plan = forecast[["unique_id", "ds"]].merge(
        last_year[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner"
    )
    plan["supply"] = plan.pop("y") * (1 + growth)
    return plan


def run_demo(
    out: Path | str = "trendcast-output",
    *,
    horizon: int = 12,
    n_jobs: int = 2,
    growth: float = 0.02,
    threshold: float = 0.8,
    categories: list[str] | None = None,
    progress: bool = False,
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
    progress : bool
        Show a progress bar.
    """
    import time

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sales, inventories = load_us_retail(with_inventories=True, categories=categories)
    names = load_us_retail_categories().set_index("unique_id")["description"]
    latest = sales["ds"].max()
    ends = sales.groupby("unique_id")["ds"].max()
    dropped = sorted(ends[ends < latest].index.tolist())
    sales = sales[~sales["unique_id"].isin(dropped)].reset_index(drop=True)

    start = time.perf_counter()
    fc = TrendForecaster(models="auto", n_jobs=n_jobs, progress=progress)
    fc.fit(sales)
    forecast = fc.predict(horizon, level=(80, 95))
    seconds = time.perf_counter() - start

    plan = naive_supply_plan(sales, forecast, growth=growth)
    plan_gaps = supply_gaps(forecast, plan, kind="flow", threshold=threshold)
    summary = summarize_gaps(plan_gaps)
    summary.insert(1, "description", summary["unique_id"].map(names))

    stock = inventories[
        inventories["ds"] == inventories.groupby("unique_id")["ds"].transform("max")
    ].rename(columns={"inventory": "supply"})
    stock = stock[stock["unique_id"].isin(forecast["unique_id"])]
    stock_gaps = supply_gaps(forecast, stock, kind="stock", min_cover=1.0)
    stock_gaps = summarize_gaps(stock_gaps)
    stock_gaps.insert(1, "description", stock_gaps["unique_id"].map(names))

    result = DemoResult(
        forecast,
        plan_gaps,
        summary,
        stock_gaps,
        fc.fit_report_,
        dropped,
        seconds,
        selection_report=fc.selection_report_,
    )
    files = {
        "history.csv": sales,
        "forecast.csv": forecast,
        "gaps_plan.csv": plan_gaps,
        "gaps_summary.csv": summary,
        "inventory_cover.csv": stock_gaps,
        "fit_report.csv": fc.fit_report_,
        "selection_report.csv": fc.selection_report_,
    }
    for name, frame in files.items():
        path = out / name
        frame.to_csv(path, index=False)
        result.files.append(path)
    result.files.append(
        _chart(sales, forecast, plan_gaps, summary, names, threshold, out / "worst_gaps.png")
    )
    result.report = _report(out, threshold)
    result.files += [out / "report.json", result.report]
    return result


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
