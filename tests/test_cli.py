"""The command line and the demo job, end to end on the bundled real data."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from typer.testing import CliRunner

import trendcast as tc
from tests.conftest import make_panel
from trendcast.cli import app
from trendcast.demo import naive_supply_plan, run_demo

runner = CliRunner()
CATS = ["441", "445", "448", "452", "4541"]


def test_run_demo_writes_forecasts_gaps_and_chart(tmp_path):
    result = run_demo(tmp_path, categories=CATS, horizon=6, n_jobs=2)
    names = {p.name for p in result.files}
    assert names == {
        "history.csv",
        "report.json",
        "report.html",
        "forecast.csv",
        "gaps_plan.csv",
        "gaps_summary.csv",
        "inventory_cover.csv",
        "fit_report.csv",
        "selection_report.csv",
        "worst_gaps.png",
        "hotspots.csv",
        "emerging.csv",
    }
    for p in result.files:
        assert p.stat().st_size > 0
    assert (tmp_path / "worst_gaps.png").read_bytes()[:4] == b"\x89PNG"
    fc = pd.read_csv(tmp_path / "forecast.csv", parse_dates=["ds"])
    assert fc["unique_id"].nunique() == 5 and len(fc) == 30
    assert fc["ds"].min() == pd.Timestamp("2024-10-01")  # data end 2024-09
    summary = result.plan_summary
    assert set(summary["flag"]) <= {"short", "ok", "long"}
    assert summary["description"].notna().all()
    # worst first: short flags lead, ordered by expected shortfall
    shorts = summary[summary["flag"] == "short"]["expected_shortfall"].tolist()
    assert shorts == sorted(shorts, reverse=True)
    # inventories exist for 441, 445, 448, 452 (not 4541)
    assert set(result.stock_gaps["unique_id"]) == {"441", "445", "448", "452"}
    assert (result.stock_gaps["ds"] == pd.Timestamp("2024-09-01")).all()
    text = result.describe()
    assert "naive plan" in text and "Inventory at the forecast origin" in text
    # flagged categories say why, from the numbers
    flagged = summary[summary["flag"] != "ok"]
    assert flagged["reason"].str.contains("vs last year").all()
    # without every category of the sector mapping there are no sector tables
    assert result.sectors is None and "sectors.csv" not in names
    assert set(result.hotspots["unique_id"]) <= set(CATS)
    history = pd.read_csv(tmp_path / "history.csv", dtype={"unique_id": str})
    assert sorted(history["unique_id"].unique()) == sorted(CATS)
    page = result.report.read_text(encoding="utf-8")
    assert result.report == tmp_path / "report.html"
    for heading in ("Supply gaps, worst first", "Model accuracy", "Inventory cover"):
        assert heading in page


def test_naive_plan_is_last_year_plus_growth():
    sales = make_panel(n_series=1, n=24)
    fc = pd.DataFrame({"unique_id": "s0", "ds": pd.date_range("2021-01-01", periods=3, freq="MS")})
    plan = naive_supply_plan(sales, fc, growth=0.02)
    expected = sales.set_index("ds").loc[pd.date_range("2020-01-01", periods=3, freq="MS"), "y"]
    assert plan["supply"].tolist() == (expected * 1.02).tolist()


def test_cli_demo_prints_ranked_table(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(
        app,
        [
            "demo",
            "--out",
            str(out),
            "--horizon",
            "3",
            "--n-jobs",
            "1",
            "--category",
            "448",
            "--category",
            "445",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Categories where the naive plan" in res.output
    assert "Inventory at the forecast origin" in res.output and "Model choice" in res.output
    assert f"Report: {(out / 'report.html').resolve()}" in res.output.replace("\n", "")
    printed = pd.read_csv(out / "gaps_summary.csv")
    assert set(printed["unique_id"].astype(str)) == {"448", "445"}
    assert (out / "forecast.csv").exists()


def test_cli_forecast_writes_csv(tmp_path):
    src = tmp_path / "sales.csv"
    make_panel(n_series=2, n=36).to_csv(src, index=False)
    dest = tmp_path / "fc.csv"
    res = runner.invoke(app, ["forecast", str(src), "--horizon", "4", "--out", str(dest)])
    assert res.exit_code == 0, res.output
    out = pd.read_csv(dest)
    assert len(out) == 8 and {"lo-95", "hi-95"} <= set(out.columns)


def test_cli_forecast_bad_input_exits_2_with_message(tmp_path):
    src = tmp_path / "sales.csv"
    df = make_panel(n_series=1, n=12)
    df.loc[3, "y"] = -5
    df.to_csv(src, index=False)
    res = runner.invoke(app, ["forecast", str(src)])
    assert res.exit_code == 2
    assert "negative" in res.output and "sales.csv" in res.output


def test_cli_version():
    import trendcast

    res = runner.invoke(app, ["version"])
    assert res.exit_code == 0 and res.output.strip() == trendcast.__version__


def test_national_totals_are_forecast_but_not_ranked(tmp_path):
    # a plan of half last year's sales: every category is short for sure
    result = run_demo(tmp_path, categories=["44Y72", "448"], horizon=3, n_jobs=1, growth=-0.5)
    assert set(result.plan_summary["flag"]) == {"short"}
    assert "44Y72" in set(result.plan_summary["unique_id"])  # kept in the CSV
    ranking = result.describe().split("Hotspots")[0]
    assert "448" in ranking and "44Y72" not in ranking
    page = result.report.read_text(encoding="utf-8")
    sections = dict(re.findall(r'<section id="[^"]+"><h2>([^<]+)</h2>(.*?)</section>', page, re.S))
    assert "448" in sections["Supply gaps, worst first"]
    assert "44Y72" not in sections["Supply gaps, worst first"]
    assert "44Y72" in sections["Not ranked"]
    # the settings the demo recorded rebuild the same sections from the files
    res = runner.invoke(app, ["report", str(tmp_path), "--out", str(tmp_path / "again.html")])
    assert res.exit_code == 0, res.output
    again = (tmp_path / "again.html").read_text(encoding="utf-8")
    assert re.findall(r'<section id="([^"]+)"', again) == re.findall(r'<section id="([^"]+)"', page)
    assert "US retail sales: forecast against the naive plan" in again


def test_demo_sectors_sum_their_categories_and_get_flags():
    from trendcast.demo import _sectors, naive_supply_plan

    bottom = list(tc.datasets.load_us_retail_sectors()["category"])
    sales = tc.datasets.load_us_retail(categories=bottom)
    forecast = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(sales).predict(12)
    plan = naive_supply_plan(sales, forecast, growth=-0.1)  # 10% below last year
    sectors, summary, hot = _sectors(sales, forecast, plan, threshold=0.8, persistence=2)
    assert sectors is not None and summary is not None
    wide = sectors.pivot(index="ds", columns="unique_id", values="mean")
    mapping = tc.datasets.load_us_retail_sectors()
    for sector, members in mapping.groupby("sector")["category"]:
        np.testing.assert_allclose(wide[sector], wide[list(members)].sum(axis=1), rtol=1e-9)
    np.testing.assert_allclose(wide["44X72"], wide[bottom].sum(axis=1), rtol=1e-9)
    # seasonal naive forecasts last year's sales, so a plan 10% below is short everywhere
    assert len(summary) == mapping["sector"].nunique() + 1
    assert (summary["flag"] == "short").all()
    assert {"sector", "total", "category"} <= set(hot["level"])
    assert (hot["total"] >= 1e5).all()  # only markets over $100bn (in $ millions)
