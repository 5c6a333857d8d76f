"""One self-contained HTML report of a run: flags, charts, hotspots, accuracy.

The page carries everything inline (CSS in a ``<style>`` block, charts as
base64 PNG), so it opens offline, can be mailed as one file and loads
nothing from the network. All text from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import (
    fail,
    format_items,
    require_columns,
    show,
)
from trendcast.exceptions import ParameterError
from trendcast.models.labels import model_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["RUN_FILES", "RUN_SETTINGS", "report", "report_from_run"]

# Preferred column order per table; columns not present are skipped. Only the
# columns of the issue-5 interface are relied on; others a run adds (such as
# ``description``) are shown where listed here.
_GAP_COLUMNS = (
    "rank", "unique_id", "description", "scenario", "flag", "first_short", "periods_short",
    "max_p_short", "p_short_window", "expected_shortfall", "shortfall_value", "shortfall_share",
    "expected_excess", "excess_value",
    # stock gaps (inventory cover)
    "ds", "supply", "next_demand", "cover", "p_short",
    "reason",
)  # fmt: skip
_HOTSPOT_COLUMNS = (
    "rank", "unique_id", "description", "level", "total", "total_lo", "total_hi", "tier",
    "growth", "growth_lo", "growth_hi",
)  # fmt: skip
_EMERGING_COLUMNS = (
    "rank", "unique_id", "description", "emerging", "score", "sales_acceleration",
    "search_trend", "search_p", "forecast_growth",
)  # fmt: skip

# Header labels a planner reads, with the column name and meaning as a tooltip.
_LABELS: dict[str, tuple[str, str]] = {
    "unique_id": ("category", "the category (series id)"),
    "rank": ("rank", "1 = look at this first"),
    "flag": ("flag", "short: supply lags demand; long: oversupply; ok: neither"),
    "first_short": ("first short", "first period flagged short"),
    "periods_short": ("periods short", "periods flagged short"),
    "max_p_short": ("max P(short)", "highest probability that demand exceeds supply"),
    "p_short_window": ("P(short) in window", "probability of a shortfall over the window"),
    "p_short": ("P(short)", "probability that demand exceeds supply"),
    "expected_shortfall": ("expected shortfall", "expected unmet demand, summed over periods"),
    "shortfall_value": ("shortfall value", "expected shortfall times unit price"),
    "shortfall_share": ("shortfall share", "expected shortfall over mean demand"),
    "expected_excess": ("expected excess", "expected supply left over, summed"),
    "excess_value": ("excess value", "expected excess times unit price"),
    "next_demand": ("next demand", "mean forecast demand of the next period"),
    "cover": ("cover", "periods of forecast demand the stock lasts"),
    "total": ("total", "forecast demand over the period"),
    "total_lo": ("total, low", "lower interval bound of the total"),
    "total_hi": ("total, high", "upper interval bound of the total"),
    "growth_lo": ("growth, low", "lower interval bound of the growth"),
    "growth_hi": ("growth, high", "upper interval bound of the growth"),
    "search_p": ("search p-value", "p-value of the search trend"),
    "mase": ("MASE", "backtest error over that of the seasonal naive forecast"),
    "ds": ("period", "period start (for inventory: the stock date)"),
    "tried": ("categories tried", "categories where the model was a candidate"),
    "median_mase": ("median MASE", "median backtest MASE over the categories tried"),
    "failed": ("failed", "categories where the model could not be backtested"),
    "selected": ("selected", "categories that got this model"),
    "median_mase_selected": ("median MASE where selected", "over the categories that got it"),
}
_PROBABILITY = {"p_short", "max_p_short", "p_short_window", "search_p", "share_selected"}
_PERCENT = {"shortfall_share"}
_FIXED = {"mase": 3, "median_mase": 3, "median_mase_selected": 3, "cover": 2}
_VISIBLE_ROWS = 25

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 color:#1d232a;margin:0;background:#f5f6f8;line-height:1.45}
main{max-width:1200px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.25em;margin:36px 0 8px;
 padding-top:8px;border-top:2px solid #e3e6ea}h3{font-size:1.05em;margin:20px 0 6px}
p.lead{color:#4a525c;margin:0 0 16px}.note{color:#5b636d;font-size:.9em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:12px 0;
 font-size:.92em}dl.meta dt{color:#5b636d}dl.meta dd{margin:0}
nav.toc{font-size:.92em;margin:10px 0 0}nav.toc a{margin-right:14px;color:#2451a6}
.table-wrap{overflow-x:auto;margin:8px 0}
table{border-collapse:collapse;font-size:.86em;min-width:40%}
th,td{padding:4px 9px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600;white-space:nowrap;cursor:help;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.text{min-width:18em;max-width:44em}
tr.why td{color:#4a525c;font-size:.95em;padding-top:0;padding-left:22px;white-space:normal}
tr:has(+ tr.why) td{border-bottom:none}
tr.short td:first-child{box-shadow:inset 4px 0 0 #d62728}
tr.long td:first-child{box-shadow:inset 4px 0 0 #17becf}
span.flag{display:inline-block;padding:0 7px;border-radius:9px;font-size:.9em}
span.flag-short{background:#fbe0e0;color:#8b1a1a}span.flag-long{background:#dcf5f8;
 color:#0b5c66}span.flag-ok{background:#e8eaed;color:#3c4043}
img.chart{max-width:100%;height:auto;display:block;margin:8px 0}
details{margin:6px 0}summary{cursor:pointer;color:#2451a6;font-size:.92em}
footer{margin-top:40px;font-size:.85em;color:#5b636d}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _date_format(column: pd.Series) -> str:
    """``%Y-%m`` when every date is the first of a month at midnight, else ``%Y-%m-%d``."""
    values = pd.to_datetime(column.dropna())
    if len(values) and (values.dt.day == 1).all() and (values == values.dt.normalize()).all():
        return "%Y-%m"
    return "%Y-%m-%d"


def _cell(value: Any, name: str, date_format: str) -> tuple[str, str]:
    """The escaped text of one cell and its CSS class."""
    if _missing(value):
        return "", ""
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), ""
    if isinstance(value, pd.Timestamp):
        return _esc(value.strftime(date_format)), "num"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}", "num"
    if isinstance(value, float | np.floating):
        v = float(value)
        if name in _PERCENT:
            return f"{100 * v:.1f}%", "num"
        if name in _PROBABILITY:
            return f"{v:.2f}", "num"
        if name in _FIXED and np.isfinite(v):
            return f"{v:.{_FIXED[name]}f}", "num"
        if np.isinf(v):
            return ("&infin;" if v > 0 else "-&infin;"), "num"
        return (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"), "num"
    text = _esc(value)
    if name == "flag" and text in ("short", "long", "ok"):
        return f'<span class="flag flag-{text}">{text}</span>', ""
    return text, ("text" if len(text) > 40 else "")


def _html_table(frame: pd.DataFrame, id_col: str) -> str:
    """An HTML table; a ``reason`` column is shown as a line under its row, full width."""
    reasons = frame["reason"] if "reason" in frame.columns else None
    if reasons is not None:
        frame = frame.drop(columns="reason")
    columns = list(frame.columns)
    head = []
    for c in columns:
        key = "unique_id" if c == id_col else str(c)
        label, meaning = _LABELS.get(key, (key.replace("_", " "), ""))
        tip = f"column {c}" + (f": {meaning}" if meaning else "")
        head.append(f'<th title="{_esc(tip)}">{_esc(label)}</th>')
    formats = {
        c: _date_format(frame[c]) for c in columns if pd.api.types.is_datetime64_any_dtype(frame[c])
    }
    rows = []
    flags = frame["flag"].astype(str) if "flag" in frame.columns else None
    for i, record in enumerate(frame.itertuples(index=False, name=None)):
        flag = flags.iloc[i] if flags is not None and flags.iloc[i] in ("short", "long") else ""
        cls = f' class="{flag}"' if flag else ""
        cells = []
        for c, value in zip(columns, record, strict=True):
            text, kind = _cell(value, str(c), formats.get(c, "%Y-%m-%d"))
            cells.append(f'<td class="{kind}">{text}</td>' if kind else f"<td>{text}</td>")
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
        if reasons is not None and not _missing(reasons.iloc[i]):
            rows.append(
                f'<tr class="why {flag}"><td colspan="{len(columns)}">'
                f"{_esc(reasons.iloc[i])}</td></tr>"
            )
    return (
        f'<div class="table-wrap"><table><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _table(frame: pd.DataFrame, id_col: str, visible: int = _VISIBLE_ROWS) -> str:
    """The first ``visible`` rows, and all of them behind a click when there are more."""
    if len(frame) <= visible:
        return _html_table(frame, id_col)
    return (
        _html_table(frame.head(visible), id_col)
        + f"<details><summary>Show all {len(frame):,} rows</summary>"
        + _html_table(frame, id_col)
        + "</details>"
    )


def _pick(frame: pd.DataFrame, preferred: Sequence[str], id_col: str) -> pd.DataFrame:
    """Preferred columns present in ``frame``, in that order (all columns if none is)."""
    names = [id_col if c == "unique_id" else c for c in preferred]
    cols = [c for c in dict.fromkeys(names) if c in frame.columns]
    return frame[cols] if len(cols) > 1 else frame


def _image(fig: Figure, alt: str) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    finally:
        plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="chart" alt="{_esc(alt)}" src="data:image/png;base64,{data}">'


def _check(frame: Any, name: str, columns: Sequence[str], source: str | None) -> pd.DataFrame:
    require_columns(
        frame,
        columns,
        f"the {name} table",
        "pass the table trendcast produced, with the same id_col/time_col names",
        source=source,
    )
    return frame


def _span(dates: pd.Series) -> str:
    values = pd.to_datetime(dates.dropna())
    if values.empty:
        return "none"
    fmt = _date_format(values)
    return f"{values.min():{fmt}} to {values.max():{fmt}}"


def _family(model: Any) -> str:
    return str(model).split("(")[0] if not _missing(model) else "none"


def _accuracy(
    fit_report: pd.DataFrame | None, selection_report: pd.DataFrame | None, id_col: str
) -> str:
    parts = []
    if selection_report is not None and len(selection_report):
        sel = selection_report.assign(
            family=selection_report["model"].map(_family),
            mase=pd.to_numeric(selection_report["mase"], errors="coerce"),
            selected=selection_report["selected"].astype(str).str.lower().isin(["true", "1"]),
        )
        n_cat = sel[id_col].nunique()
        chosen = sel[sel["selected"]]
        table = (
            sel.groupby("family", sort=False)
            .agg(
                tried=(id_col, "nunique"),
                median_mase=("mase", "median"),
                failed=("mase", lambda s: int(s.isna().sum())),
            )
            .join(
                chosen.groupby("family").agg(
                    selected=(id_col, "nunique"), median_mase_selected=("mase", "median")
                )
            )
            .fillna({"selected": 0})
            .astype({"selected": int})
            .sort_values(["selected", "median_mase"], ascending=[False, True])
            .reset_index()
            .rename(columns={"family": "model"})
        )
        parts.append(
            "<h3>Backtest accuracy of the candidate models</h3>"
            '<p class="note">MASE: mean absolute error of the rolling-origin backtest over the '
            "in-sample error of the seasonal naive forecast; below 1 beats it. "
            f"{n_cat:,} categories; <i>selected</i> counts those that got the model "
            "(the selection rule may prefer a model that is not the lowest).</p>"
            + _table(table, id_col)
        )
    if fit_report is not None and len(fit_report):
        per = fit_report[[c for c in (id_col, "model_used", "status", "reason") if c in fit_report]]
        if "model_used" in per:  # the short label a person reads, not the full specification
            labels = fit_report["label"] if "label" in fit_report else None
            if labels is None:
                labels = per["model_used"].map(lambda m: "none" if _missing(m) else model_label(m))
            per = per.assign(model_used=labels).rename(columns={"model_used": "model"})
        if selection_report is not None and len(selection_report):
            best = chosen.drop_duplicates(id_col).set_index(id_col)["mase"]
            per = per.assign(mase=per[id_col].map(best))
        fell = per[per["status"].astype(str) != "ok"] if "status" in per else per.iloc[:0]
        parts.append(
            "<h3>Fallbacks</h3>"
            + (
                _table(fell, id_col)
                if len(fell)
                else '<p class="note">None: every category got the model it was meant to.</p>'
            )
        )
        parts.append(
            f"<details><summary>Model and backtest MASE of all {len(per):,} categories"
            f"</summary>{_html_table(per, id_col)}</details>"
        )
    return "".join(parts)


def _sector_totals(sectors: pd.DataFrame, id_col: str, time_col: str) -> pd.DataFrame:
    """Totals over the horizon per node when ``sectors`` is per period; else as given."""
    value = next((c for c in ("mean", "y", "total") if c in sectors.columns), None)
    if time_col not in sectors.columns or value is None:
        return sectors
    keys = [c for c in ("level", id_col) if c in sectors.columns]
    frame = sectors.assign(**{time_col: pd.to_datetime(sectors[time_col])})
    out = (
        frame.groupby(keys, sort=False)
        .agg(
            periods=(time_col, "nunique"),
            first=(time_col, "min"),
            last=(time_col, "max"),
            total=(value, "sum"),
        )
        .reset_index()
    )
    return out.sort_values([*keys[:-1], "total"], ascending=[True] * (len(keys) - 1) + [False])


@dataclass(frozen=True)
class _Run:
    """The checked tables and options of one report, the excluded categories set apart."""

    history: pd.DataFrame
    forecast: pd.DataFrame
    ranked: pd.DataFrame  # gaps_summary without the excluded categories
    left_out: pd.DataFrame  # the rows of gaps_summary of the excluded categories
    gaps: pd.DataFrame | None
    hotspots: pd.DataFrame | None
    emerging: pd.DataFrame | None
    sectors: pd.DataFrame | None
    fit_report: pd.DataFrame | None
    selection_report: pd.DataFrame | None
    tables: Mapping[str, pd.DataFrame]
    names: dict[Any, str]  # category -> description, from gaps_summary
    unit: str | None
    threshold: float | None
    top: int
    id_col: str
    time_col: str
    target_col: str
    sources: dict[str, str]

    @property
    def titles(self) -> dict[Any, str]:
        """Chart titles: the category and its description."""
        return {k: f"{k}: {v}" for k, v in self.names.items()}

    @property
    def unit_note(self) -> str:
        return f" ({self.unit})" if self.unit else ""

    @property
    def flags(self) -> pd.Series:
        """The flags of the ranked categories (empty without a ``flag`` column)."""
        if "flag" in self.ranked:
            return self.ranked["flag"].astype(str)
        return pd.Series(dtype=str)


def _checked_run(
    *,
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    gaps_summary: pd.DataFrame,
    gaps: pd.DataFrame | None,
    hotspots: pd.DataFrame | None,
    emerging: pd.DataFrame | None,
    sectors: pd.DataFrame | None,
    fit_report: pd.DataFrame | None,
    selection_report: pd.DataFrame | None,
    tables: Mapping[str, pd.DataFrame] | None,
    unit: str | None,
    threshold: float | None,
    top: int,
    exclude: Sequence[Any],
    id_col: str,
    time_col: str,
    target_col: str,
    sources: Mapping[str, str] | None,
) -> _Run:
    """Check every table given for the columns the report reads; set ``exclude`` apart."""
    src = dict(sources or {})
    history = _check(history, "history", [id_col, time_col, target_col], src.get("history"))
    forecast = _check(forecast, "forecast", [id_col, time_col, "mean"], src.get("forecast"))
    gaps_summary = _check(gaps_summary, "gaps_summary", [id_col], src.get("gaps_summary"))
    optional = {
        "gaps": (gaps, [id_col, time_col, "flag"]),
        "hotspots": (hotspots, [id_col]),
        "emerging": (emerging, [id_col]),
        "sectors": (sectors, [id_col]),
        "fit_report": (fit_report, [id_col, "model_used", "status"]),
        "selection_report": (selection_report, [id_col, "model", "mase", "selected"]),
    }
    for name, (frame, cols) in optional.items():
        if frame is not None:
            _check(frame, name, cols, src.get(name))
    names: dict[Any, str] = {}
    if "description" in gaps_summary.columns:
        names = dict(
            zip(gaps_summary[id_col], gaps_summary["description"].astype(str), strict=True)
        )
    apart = gaps_summary[id_col].isin(list(exclude))
    if gaps is not None:
        gaps = gaps[~gaps[id_col].isin(list(exclude))]
    return _Run(
        history=history,
        forecast=forecast,
        ranked=gaps_summary[~apart].reset_index(drop=True),
        left_out=gaps_summary[apart],
        gaps=gaps,
        hotspots=hotspots,
        emerging=emerging,
        sectors=sectors,
        fit_report=fit_report,
        selection_report=selection_report,
        tables=tables or {},
        names=names,
        unit=unit,
        threshold=threshold,
        top=top,
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        sources=src,
    )


def _metadata(run: _Run) -> str:
    """The run metadata as the items of a ``<dl>``: when, what, how many flags, which models."""
    from trendcast._version import __version__

    id_col, time_col = run.id_col, run.time_col
    flags = run.flags
    n_short, n_long = int((flags == "short").sum()), int((flags == "long").sum())
    fc_dates = pd.to_datetime(run.forecast[time_col])
    periods = int(run.forecast.groupby(id_col)[time_col].nunique().max())
    meta = [
        ("generated", pd.Timestamp.now().strftime("%Y-%m-%d %H:%M")),
        ("trendcast", __version__),
        (
            "sales history",
            f"{_span(run.history[time_col])}, {run.history[id_col].nunique():,} categories",
        ),
        (
            "forecast",
            f"{_span(fc_dates)}, {run.forecast[id_col].nunique():,} categories, "
            f"{periods:,} periods ahead",
        ),
        (
            "flags",
            f"{n_short:,} short, {n_long:,} long of {len(run.ranked):,} "
            + ("(category, scenario) pairs" if "scenario" in run.ranked else "categories")
            + (f" ranked; {len(run.left_out):,} not ranked" if len(run.left_out) else ""),
        ),
    ]
    fit_report = run.fit_report
    if fit_report is not None and len(fit_report):
        status = fit_report["status"].astype(str)
        families = fit_report["model_used"].map(_family).value_counts()
        meta.append(("models used", ", ".join(f"{k} {v:,}" for k, v in families.items())))
        meta.append(
            (
                "fallbacks",
                f"{int((status == 'fallback').sum()):,} fell back, "
                f"{int((status == 'skipped').sum()):,} skipped",
            )
        )
    if run.sources:
        meta.append(("sources", ", ".join(f"{k}: {v}" for k, v in run.sources.items())))
    return "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in meta)


def _sections(run: _Run) -> list[tuple[str, str, str]]:
    """Every section of the page, in order, as (anchor, heading, body)."""
    id_col = run.id_col
    sections = [_gaps_section(run)]
    charts = _charts_section(run)
    if charts is not None:
        sections.append(charts)
    if len(run.left_out):
        note = (
            '<p class="note">Left out of the ranking and the charts (exclude=), '
            "e.g. totals of other categories.</p>"
        )
        table = _table(_pick(run.left_out, _GAP_COLUMNS, id_col), id_col)
        sections.append(("not-ranked", "Not ranked", note + table))
    if run.hotspots is not None:
        frame = _described(run.hotspots, run)
        sections.append(
            ("hotspots", "Hotspots", _table(_pick(frame, _HOTSPOT_COLUMNS, id_col), id_col))
        )
    if run.emerging is not None:
        sections.append(_emerging_section(run.emerging, run))
    if run.sectors is not None:
        totals = _sector_totals(run.sectors, id_col, run.time_col)
        sections.append(("sectors", "Sector totals", _table(totals, id_col)))
    if run.fit_report is not None or run.selection_report is not None:
        accuracy = _accuracy(run.fit_report, run.selection_report, id_col)
        sections.append(("accuracy", "Model accuracy", accuracy))
    for i, (name, frame) in enumerate(run.tables.items()):
        if {"flag", "expected_shortfall"} <= set(frame.columns):  # shown like the gaps
            frame = _pick(frame, _GAP_COLUMNS, id_col)
        sections.append((f"table-{i}", str(name), _table(frame, id_col)))
    return sections


def _described(frame: pd.DataFrame, run: _Run) -> pd.DataFrame:
    """``frame`` with the descriptions of ``gaps_summary`` when it has them."""
    if not run.names:
        return frame
    return frame.assign(description=frame[run.id_col].map(run.names))


def _gaps_section(run: _Run) -> tuple[str, str, str]:
    """The ranked gaps: a lead sentence on the worst, the bar chart and the table."""
    from trendcast.plotting import plot_gap_summary

    id_col, summary, flags = run.id_col, run.ranked, run.flags
    body = []
    n_short = int((flags == "short").sum())
    worst = summary[flags == "short"] if len(flags) else summary.iloc[:0]
    if len(worst) and "expected_shortfall" in worst:
        lead = worst.iloc[0]
        body.append(
            f'<p class="lead">{n_short:,} categor{"y" if n_short == 1 else "ies"} flagged short. '
            f"Worst: <b>{_esc(run.titles.get(lead[id_col], lead[id_col]))}</b>, expected "
            f"shortfall {float(lead['expected_shortfall']):,.0f}{_esc(run.unit_note)} over the "
            "horizon.</p>"
        )
    elif len(flags):
        body.append('<p class="lead">No category is flagged short.</p>')
    if "expected_shortfall" in summary.columns and "expected_excess" in summary.columns:
        fig = plot_gap_summary(
            summary,
            top=15,
            id_col=id_col,
            xlabel=f"summed over the horizon{run.unit_note}",
        )
        body.append(_image(fig, "expected shortfall and excess by category"))
    body.append(_table(_pick(summary, _GAP_COLUMNS, id_col), id_col))
    return ("gaps", "Supply gaps, worst first", "".join(body))


def _charts_section(run: _Run) -> tuple[str, str, str] | None:
    """Charts of the worst categories: against supply with the gaps, else the forecasts."""
    from trendcast.plotting import plot_forecast, plot_gaps

    gaps, id_col, time_col, target_col = run.gaps, run.id_col, run.time_col, run.target_col
    if gaps is not None and {"mean", "supply", "p_short", "expected_shortfall"} <= set(gaps):
        fig = plot_gaps(
            gaps,
            forecast=run.forecast,
            history=run.history,
            top=run.top,
            threshold=run.threshold,
            titles=run.titles,
            ylabel=run.unit,
            scenario_col="scenario" if "scenario" in gaps.columns else None,
            id_col=id_col,
            time_col=time_col,
            target_col=target_col,
        )
        note = (
            '<p class="note">Recent sales (black), forecast mean with its 80% and 95% intervals '
            "(blue), supply (orange); periods flagged short are shaded red, oversupplied blue. "
            "Lower panels: probability that demand exceeds supply.</p>"
        )
        return ("charts", "Forecast against supply", note + _image(fig, "gap charts"))
    ids = [k for k in run.ranked[id_col] if k in set(run.forecast[id_col])][: run.top]
    if not ids:
        return None
    fig = plot_forecast(
        run.history, run.forecast, ids=ids, titles=run.titles, n_history=36, ylabel=run.unit,
        id_col=id_col, time_col=time_col, target_col=target_col,
    )  # fmt: skip
    return ("charts", "Forecasts", _image(fig, "forecast charts"))


def _emerging_section(emerging: pd.DataFrame, run: _Run) -> tuple[str, str, str]:
    """The emerging table, led by how many categories are flagged."""
    frame = _pick(_described(emerging, run), _EMERGING_COLUMNS, run.id_col)
    n_em = (
        int(frame["emerging"].astype(str).str.lower().eq("true").sum())
        if "emerging" in frame
        else None
    )
    intro = (
        f'<p class="lead">{n_em:,} of {len(frame):,} categories flagged emerging.</p>'
        if n_em is not None
        else ""
    )
    return ("emerging", "Emerging categories", intro + _table(frame, run.id_col))


def _page(title: str, meta_html: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole HTML document: header, metadata, table of contents, sections, footer."""
    toc = "".join(f'<a href="#{a}">{_esc(h)}</a>' for a, h, _ in sections)
    content = "".join(f'<section id="{a}"><h2>{_esc(h)}</h2>{b}</section>' for a, h, b in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{_esc(title)}</h1>"
        '<p class="lead">Forecast demand per category against planned supply.</p>'
        f'<dl class="meta">{meta_html}</dl><nav class="toc">{toc}</nav>{content}'
        "<footer>Written by trendcast. Hover over a column header for what it means. "
        "P(short) is the probability that demand exceeds supply in a period; the expected "
        "shortfall is the demand supply is expected to leave unmet.</footer>"
        "</main></body></html>\n"
    )


@accepts_frames
def report(
    path: str | os.PathLike[str],
    *,
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    gaps_summary: pd.DataFrame,
    gaps: pd.DataFrame | None = None,
    hotspots: pd.DataFrame | None = None,
    emerging: pd.DataFrame | None = None,
    sectors: pd.DataFrame | None = None,
    fit_report: pd.DataFrame | None = None,
    selection_report: pd.DataFrame | None = None,
    title: str = "trendcast report",
    unit: str | None = None,
    threshold: float | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    top: int = 6,
    exclude: Sequence[Any] = (),
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    sources: Mapping[str, str] | None = None,
) -> Path:
    """Write one self-contained HTML report of a forecast run and its supply gaps.

    The page opens offline and loads nothing: CSS is inline, charts are
    embedded PNG images, there is no script. Sections appear for the tables
    given: run metadata, supply gaps ranked worst first (with their
    ``reason`` when the summary has one) and charts of the worst, hotspots,
    emerging categories, sector totals, model accuracy, then ``tables``.

    Parameters
    ----------
    path : path
        The HTML file to write (its folder is created).
    history : DataFrame
        Sales in long format (id, time, target).
    forecast : DataFrame
        Output of [`TrendForecaster.predict`][trendcast.TrendForecaster.predict].
    gaps_summary : DataFrame
        Output of [`summarize_gaps`][trendcast.summarize_gaps], ranked worst
        first. A ``description`` column, when present, is shown next to the
        category.
    gaps : DataFrame, optional
        Output of [`supply_gaps`][trendcast.supply_gaps] (flow), for the
        charts of the worst categories against supply.
    hotspots, emerging : DataFrame, optional
        Outputs of ``tc.hotspots`` and ``tc.emerging``.
    sectors : DataFrame, optional
        Forecast (or sales) per sector or other aggregate node, long with a
        ``level`` column; shown as totals per node. A table without a time
        column is shown as it is.
    fit_report, selection_report : DataFrame, optional
        ``TrendForecaster.fit_report_`` and ``selection_report_``: models
        used, fallbacks and backtest accuracy.
    title : str
        Page title.
    unit : str, optional
        Unit of demand, for labels (e.g. ``"$ millions"``).
    threshold : float, optional
        The ``p_short`` threshold the gaps used, drawn on the charts.
    tables : mapping of str to DataFrame, optional
        More tables, each shown in its own section under its name.
    top : int
        Categories charted.
    exclude : sequence, optional
        Categories (such as national totals that add up others) left out of
        the ranking and the charts; their rows of ``gaps_summary`` are listed
        in a section "Not ranked".
    id_col, time_col, target_col : str
        Column names.
    sources : mapping of str to str, optional
        Where each table came from (e.g. file names), listed with the run
        metadata and used in error messages.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    DataValidationError
        When a table lacks a column the report reads.
    ParameterError
        When ``title``, ``unit``, ``threshold``, ``top`` or ``exclude`` has a
        value of the wrong type (``top=0``, ``threshold="high"``...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import trendcast as tc
    >>> sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    >>> fc = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales)
    >>> forecast = fc.predict(h=6)
    >>> plan = forecast[["unique_id", "ds"]].assign(supply=forecast["mean"] * 0.97)
    >>> gaps = tc.supply_gaps(forecast, plan)
    >>> out = tc.report(pathlib.Path(tempfile.mkdtemp()) / "report.html", history=sales,
    ...                 forecast=forecast, gaps_summary=tc.summarize_gaps(gaps), gaps=gaps,
    ...                 fit_report=fc.fit_report_, unit="$ millions")
    >>> "Supply gaps" in out.read_text(encoding="utf-8")
    True
    """
    _check_options(
        {"title": title, "unit": unit, "threshold": threshold, "top": top, "exclude": exclude}
    )
    run = _checked_run(
        history=history, forecast=forecast, gaps_summary=gaps_summary, gaps=gaps,
        hotspots=hotspots, emerging=emerging, sectors=sectors, fit_report=fit_report,
        selection_report=selection_report, tables=tables, unit=unit, threshold=threshold,
        top=top, exclude=exclude, id_col=id_col, time_col=time_col, target_col=target_col,
        sources=sources,
    )  # fmt: skip
    page = _page(title, _metadata(run), _sections(run))
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


#: Files ``trendcast report RUN_DIR`` reads: argument of `report` -> file name(s), first found.
RUN_FILES: dict[str, tuple[str, ...]] = {
    "history": ("history.csv",),
    "forecast": ("forecast.csv",),
    "gaps_summary": ("gaps_summary.csv",),
    "gaps": ("gaps.csv", "gaps_plan.csv"),
    "hotspots": ("hotspots.csv",),
    "emerging": ("emerging.csv",),
    "sectors": ("sectors.csv",),
    "fit_report": ("fit_report.csv",),
    "selection_report": ("selection_report.csv",),
}
_REQUIRED = ("history", "forecast", "gaps_summary")
#: More tables shown when present, under these headings.
RUN_EXTRA_FILES: dict[str, str] = {
    "sector_gaps_summary.csv": "Supply gaps by sector",
    "inventory_cover.csv": "Inventory cover",
}
#: Optional settings file of a run folder, and the options of `report` it may set.
RUN_SETTINGS = "report.json"
_SETTINGS_KEYS = ("title", "unit", "threshold", "exclude", "top")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


#: what each report option accepts, and how to say it
_OPTION_RULES: dict[str, tuple[str, Any]] = {
    "title": ("text", lambda v: isinstance(v, str)),
    "unit": ("text, or none", lambda v: v is None or isinstance(v, str)),
    "threshold": (
        "a number from 0 to 1, or none",
        lambda v: v is None or (_is_number(v) and 0 <= float(v) <= 1),
    ),
    "top": (
        "a whole number of 1 or more",
        lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 1,
    ),
    "exclude": (
        "a list of category ids",
        lambda v: not isinstance(v, str | bytes | Mapping) and hasattr(v, "__iter__"),
    ),
}


def _check_options(options: Mapping[str, Any]) -> None:
    """Fail with a ParameterError naming the first report option of the wrong type."""
    for key, value in options.items():
        accepted, ok = _OPTION_RULES[key]
        if not ok(value):
            raise ParameterError(
                f"{key}={show(value)} ({type(value).__name__}) is not accepted by the report; "
                f"pass {accepted}"
            )


def _read_settings(path: Path) -> dict[str, Any]:
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise fail(
            f"the settings cannot be read as JSON ({exc})",
            source=str(path),
            fix='write an object such as {"title": "...", "unit": "$ millions"} or delete it',
        ) from exc
    unknown = sorted(set(settings) - set(_SETTINGS_KEYS)) if isinstance(settings, dict) else None
    if unknown is None or unknown:
        raise fail(
            "the settings are not an object of known report options",
            source=str(path),
            expected=f"a JSON object with keys among {format_items(_SETTINGS_KEYS)}",
            found=f"keys {format_items(unknown)}" if unknown else type(settings).__name__,
            fix="remove the other keys",
        )
    for key, value in settings.items():
        accepted, ok = _OPTION_RULES[key]
        listed = isinstance(value, list) and all(isinstance(v, str) or _is_number(v) for v in value)
        if not ok(value) or (key == "exclude" and not listed):
            raise fail(
                f"the setting {key!r} is {show(value)} ({type(value).__name__})",
                source=str(path),
                expected=accepted,
                fix=f"correct {key!r} in the file, or delete the key",
            )
    return settings


def _read_csv(path: Path, id_col: str, time_col: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype={id_col: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise fail(
            f"the file cannot be read as CSV ({exc})",
            source=str(path),
            fix="write it again with DataFrame.to_csv(path, index=False)",
        ) from exc
    for col in (time_col, "first_short"):
        if col in frame.columns:
            try:
                frame[col] = pd.to_datetime(frame[col])
            except (TypeError, ValueError) as exc:
                raise fail(
                    f"dates cannot be read ({exc})",
                    source=str(path),
                    column=col,
                    fix="use ISO dates such as 2024-10-01",
                ) from exc
    return frame


def report_from_run(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    **options: Any,
) -> Path:
    """Build the report from the CSV files a run wrote (what ``trendcast report`` does).

    Reads ``history.csv``, ``forecast.csv`` and ``gaps_summary.csv``
    (required), and when present ``gaps.csv`` (or ``gaps_plan.csv``),
    ``hotspots.csv``, ``emerging.csv``, ``sectors.csv``, ``fit_report.csv``,
    ``selection_report.csv`` and ``inventory_cover.csv``; writes
    ``report.html`` in ``run_dir`` unless ``out`` is given. ``options`` go
    to [`report`][trendcast.report.report] (``title``, ``unit``, ``threshold``,
    ``exclude``, ``top``); those not given (or None) are taken from the
    folder's ``report.json`` when it has one, so a run can record how its
    report is to be built.

    Raises
    ------
    DataValidationError
        When the folder or a required file is missing, or a file cannot be read,
        or ``report.json`` is not an object of known options of the right type.
    ParameterError
        When an option given has a value of the wrong type.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise fail(
            "the run folder does not exist or is not a folder",
            source=str(folder),
            fix="pass the folder a run wrote, e.g. trendcast-output after `trendcast demo`",
        )
    frames: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    for name, candidates in RUN_FILES.items():
        found = next((folder / c for c in candidates if (folder / c).is_file()), None)
        if found is None:
            if name in _REQUIRED:
                present = sorted(p.name for p in folder.glob("*.csv"))
                raise fail(
                    f"the file is missing: a report needs the {name} table",
                    source=str(folder / candidates[0]),
                    expected=f"the files {', '.join(RUN_FILES[r][0] for r in _REQUIRED)} "
                    "in the run folder",
                    found=f"{format_items(present) if present else 'no CSV file'}",
                    fix=f"write {candidates[0]} into the folder (DataFrame.to_csv(path, "
                    "index=False)) or run `trendcast demo --out` into it",
                )
            continue
        frames[name] = _read_csv(found, id_col, time_col)
        sources[name] = found.name
    extra = {
        heading: _read_csv(folder / file, id_col, time_col)
        for file, heading in RUN_EXTRA_FILES.items()
        if (folder / file).is_file()
    }
    settings = _read_settings(folder / RUN_SETTINGS) if (folder / RUN_SETTINGS).is_file() else {}
    options = {**settings, **{k: v for k, v in options.items() if v is not None}}
    target = Path(out) if out is not None else folder / "report.html"
    return report(
        target,
        **frames,  # type: ignore[arg-type]
        tables={**extra, **options.pop("tables", {})},
        id_col=id_col,
        time_col=time_col,
        target_col=target_col,
        sources=sources,
        **options,
    )
