"""The HTML report: self-contained, escaped, and with a section for each table given."""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import pandas as pd
import pytest
from typer.testing import CliRunner

import trendcast as tc
from trendcast.cli import app
from trendcast.demo import naive_supply_plan
from trendcast.exceptions import DataValidationError

CATS = ["441", "448", "4541"]
HOSTILE = '<script>alert("x")</script> & Co'
OPTIONAL_SECTIONS = ["hotspots", "emerging", "sectors", "accuracy"]


@pytest.fixture(scope="module")
def run():
    """A small real run: three US retail categories, SeasonalNaive or ETS, 6 months."""
    sales = tc.datasets.load_us_retail(categories=CATS)
    fc = tc.TrendForecaster(models=[tc.models.SeasonalNaive(), tc.models.ETS()], n_jobs=1)
    forecast = fc.fit(sales).predict(h=6)
    plan = naive_supply_plan(sales, forecast, growth=0.0)
    gaps = tc.supply_gaps(forecast, plan, threshold=0.8)
    summary = tc.summarize_gaps(gaps)
    return {
        "history": sales,
        "forecast": forecast,
        "gaps": gaps,
        "gaps_summary": summary,
        "fit_report": fc.fit_report_,
        "selection_report": fc.selection_report_,
    }


def _sectors(forecast: pd.DataFrame) -> pd.DataFrame:
    """A reconciled-style forecast: one sector node summing the categories, per period."""
    total = forecast.groupby("ds", as_index=False)["mean"].sum()
    return pd.concat(
        [
            total.assign(unique_id="retail", level="sector"),
            forecast[["unique_id", "ds", "mean"]].assign(level="category"),
        ],
        ignore_index=True,
    )


def _hotspots() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "unique_id": ["4541", "441"],
            "level": ["category", "category"],
            "total": [700_000.0, 650_000.0],
            "total_lo": [680_000.0, 630_000.0],
            "total_hi": [720_000.0, 670_000.0],
            "tier": ["500000", "500000"],
            "growth": [0.061, 0.02],
            "growth_lo": [0.04, 0.0],
            "growth_hi": [0.08, 0.04],
        }
    )


def _emerging() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "unique_id": ["4541", "448", "441"],
            "score": [2.5, 0.4, -0.1],
            "sales_acceleration": [0.03, 0.0, -0.01],
            "search_trend": [0.45, 0.1, float("nan")],
            "search_p": [0.001, 0.3, float("nan")],
            "forecast_growth": [0.06, 0.01, 0.02],
            "emerging": [True, False, False],
        }
    )


def _sections(text: str) -> set[str]:
    return set(re.findall(r'<section id="([^"]+)"', text))


def _section(text: str, anchor: str) -> str:
    match = re.search(rf'<section id="{anchor}">(.*?)</section>', text, flags=re.S)
    assert match, anchor
    return match.group(1)


def test_required_tables_only_give_gaps_and_charts(run, tmp_path):
    path = tc.report(
        tmp_path / "sub" / "r.html",
        history=run["history"],
        forecast=run["forecast"],
        gaps_summary=run["gaps_summary"],
    )
    text = path.read_text(encoding="utf-8")
    assert _sections(text) == {"gaps", "charts"}
    for anchor in OPTIONAL_SECTIONS:
        assert f'href="#{anchor}"' not in text
    assert "3 categories" in text and "1992-01 to 2024-09" in text  # run metadata


def test_every_section_appears_when_its_table_is_given(run, tmp_path):
    path = tc.report(
        tmp_path / "r.html",
        **run,
        hotspots=_hotspots(),
        emerging=_emerging(),
        sectors=_sectors(run["forecast"]),
        tables={"Inventory cover": pd.DataFrame({"unique_id": ["441"], "cover": [1.5]})},
        title="Retail",
        unit="$ millions",
        threshold=0.8,
    )
    text = path.read_text(encoding="utf-8")
    assert _sections(text) == {"gaps", "charts", *OPTIONAL_SECTIONS, "table-0"}
    assert "Forecast against supply" in text and "Inventory cover" in text
    # sector totals: the sum of the category means over the horizon, known answer
    total = run["forecast"]["mean"].sum()
    assert f"{total:,.0f}" in _section(text, "sectors")
    assert "1 of 3 categories flagged emerging" in _section(text, "emerging")
    hot = _section(text, "hotspots")
    assert "700,000" in hot and "0.061" in hot
    # accuracy: one row per candidate family, and the fallbacks line
    accuracy = _section(text, "accuracy")
    assert "SeasonalNaive" in accuracy and "ETS" in accuracy and "Fallbacks" in accuracy
    chosen = run["selection_report"][run["selection_report"]["selected"]]
    for value in chosen["mase"]:  # the backtest MASE of each category's model
        assert f">{value:.3f}<" in accuracy


def test_gap_table_follows_the_ranking_and_shows_reasons(run, tmp_path):
    summary = run["gaps_summary"].copy()
    assert list(summary["rank"]) == list(range(1, len(summary) + 1))  # summarize_gaps ranks
    summary["reason"] = [f"reason for {k}" for k in summary["unique_id"]]
    text = tc.report(
        tmp_path / "r.html",
        history=run["history"],
        forecast=run["forecast"],
        gaps_summary=summary,
        gaps=run["gaps"],
    ).read_text(encoding="utf-8")
    gaps = _section(text, "gaps")
    positions = [gaps.index(f"reason for {k}") for k in summary["unique_id"]]
    assert positions == sorted(positions)
    assert "expected shortfall" in gaps and "max P(short)" in gaps


def test_report_is_self_contained(run, tmp_path):
    text = tc.report(
        tmp_path / "r.html", **run, hotspots=_hotspots(), sectors=_sectors(run["forecast"])
    ).read_text(encoding="utf-8")
    lowered = text.lower()
    for pattern in ('src="http', "src='http", "@import", "url(", "<script", "<link", "<iframe"):
        assert pattern not in lowered, pattern
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', text))
    sources = re.findall(r'src="([^"]*)"', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    for src in sources:
        raw = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        image = mpimg.imread(io.BytesIO(raw), format="png")
        assert image.shape[0] > 100 and image.shape[1] > 300


def test_hostile_category_names_are_escaped(tmp_path):
    sales = tc.datasets.load_us_retail(categories=["448"]).assign(unique_id=HOSTILE)
    forecast = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(h=3)
    plan = forecast[["unique_id", "ds"]].assign(supply=forecast["mean"] * 0.8)
    gaps = tc.supply_gaps(forecast, plan)
    summary = tc.summarize_gaps(gaps).assign(description="Toys <&> $5 & up", reason=HOSTILE)
    text = tc.report(
        tmp_path / "r.html",
        history=sales,
        forecast=forecast,
        gaps_summary=summary,
        gaps=gaps,
        emerging=_emerging().assign(unique_id=HOSTILE),
        title=HOSTILE,
    ).read_text(encoding="utf-8")
    assert "<script" not in text and HOSTILE not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in text
    assert "Toys &lt;&amp;&gt; $5 &amp; up" in text


def test_bad_inputs_raise_trendcast_errors(run, tmp_path):
    with pytest.raises(DataValidationError, match="forecast.*'mean'"):
        tc.report(
            tmp_path / "r.html",
            history=run["history"],
            forecast=run["forecast"].drop(columns="mean"),
            gaps_summary=run["gaps_summary"],
        )
    with pytest.raises(DataValidationError, match="fit_report"):
        tc.report(
            tmp_path / "r.html",
            history=run["history"],
            forecast=run["forecast"],
            gaps_summary=run["gaps_summary"],
            fit_report=pd.DataFrame({"unique_id": ["441"]}),
        )


def _write_run(run: dict, folder) -> None:
    folder.mkdir()
    run["history"].to_csv(folder / "history.csv", index=False)
    run["forecast"].to_csv(folder / "forecast.csv", index=False)
    run["gaps"].to_csv(folder / "gaps_plan.csv", index=False)
    run["gaps_summary"].to_csv(folder / "gaps_summary.csv", index=False)
    run["fit_report"].to_csv(folder / "fit_report.csv", index=False)
    run["selection_report"].to_csv(folder / "selection_report.csv", index=False)
    _hotspots().to_csv(folder / "hotspots.csv", index=False)


def test_cli_report_builds_from_a_run_folder(run, tmp_path):
    folder = tmp_path / "run"
    _write_run(run, folder)
    res = CliRunner().invoke(app, ["report", str(folder), "--unit", "$ millions"])
    assert res.exit_code == 0, res.output
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert _sections(text) == {"gaps", "charts", "hotspots", "accuracy"}
    assert "Forecast against supply" in text  # gaps_plan.csv was read
    assert ">4541<" in text and ">441<" in text  # ids stay strings, not numbers
    assert "gaps_plan.csv" in text  # the sources are listed


def test_excluded_categories_are_listed_apart(run, tmp_path):
    text = tc.report(
        tmp_path / "r.html",
        history=run["history"],
        forecast=run["forecast"],
        gaps_summary=run["gaps_summary"],
        gaps=run["gaps"],
        exclude=["4541"],
    ).read_text(encoding="utf-8")
    assert ">4541<" not in _section(text, "gaps")
    assert ">4541<" in _section(text, "not-ranked") and ">441<" in _section(text, "gaps")
    assert "of 2 categories ranked; 1 not ranked" in text


def test_run_settings_file_is_used_and_options_override_it(run, tmp_path):
    folder = tmp_path / "run"
    _write_run(run, folder)
    settings = {"title": "Nightly <run>", "unit": "units", "exclude": ["448"]}
    (folder / "report.json").write_text(json.dumps(settings), encoding="utf-8")
    res = CliRunner().invoke(app, ["report", str(folder)])
    assert res.exit_code == 0, res.output
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert "<h1>Nightly &lt;run&gt;</h1>" in text and ">448<" in _section(text, "not-ranked")
    res = CliRunner().invoke(app, ["report", str(folder), "--title", "Other"])
    assert "<h1>Other</h1>" in (folder / "report.html").read_text(encoding="utf-8")
    (folder / "report.json").write_text('{"colour": "red"}', encoding="utf-8")
    res = CliRunner().invoke(app, ["report", str(folder)])
    assert res.exit_code == 2 and "report.json" in res.output and "colour" in res.output


def test_cli_report_names_the_missing_file(run, tmp_path):
    folder = tmp_path / "run"
    _write_run(run, folder)
    (folder / "forecast.csv").unlink()
    out = tmp_path / "elsewhere.html"
    res = CliRunner().invoke(app, ["report", str(folder), "--out", str(out)])
    assert res.exit_code == 2
    assert "forecast.csv" in res.output and "Traceback" not in res.output
    assert not out.exists()
    res = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert res.exit_code == 2 and "does not exist" in res.output
