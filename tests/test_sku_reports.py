"""Issue 23: reports a person reads.

The reason column of ``fit_report_`` was empty for 36 of 37 categories and the
model shown was a 120-character ``MedianCombination(...)``. The reason now
always says why, a short ``label`` sits beside the full specification, plots
and the HTML report show the label, and docs/models.md prints what the code
gives (its new columns checked here; the existing page test checks the rest).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

import trendcast as tc

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def fitted() -> tc.TrendForecaster:
    sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    sales = sales[(sales["unique_id"] == "448") | (sales["ds"] >= "2024-07-01")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.FallbackWarning)
        return tc.TrendForecaster().fit(sales)


def test_the_models_page_shows_the_labels_and_rmsse_the_code_gives(fitted):
    text = (DOCS / "models.md").read_text()
    for _, r in fitted.fit_report_.iterrows():
        row = f"| {r['unique_id']} | {r['model_tried']} | {r['reason']} | {r['model_used']} |"
        assert f"{row} {r['status']} | {r['label']} |" in text, row
        assert r["reason"]  # never empty
    assert "rmsse" in fitted.selection_report_.columns
    for _, r in fitted.selection_report_.iterrows():
        row = f"| {r['unique_id']} | {r['model']} | {r['mase']:.3f} | {r['error']} |"
        assert f"{row} {r['selected']} | {r['rmsse']:.3f} |" in text, row


def test_the_models_page_shows_the_cold_start_row_the_code_gives():
    text = (DOCS / "models.md").read_text()
    sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    sales = sales[(sales["unique_id"] == "448") | (sales["ds"] >= "2024-07-01")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.FallbackWarning)
        fc = tc.TrendForecaster(cold_start=True).fit(sales)
    r = fc.fit_report_.set_index("unique_id").loc["4541"]
    row = f"| 4541 | {r['model_tried']} | {r['reason']} | {r['model_used']} | {r['status']} |"
    assert r["reason"].startswith("cold start: 3 observations")
    assert f"{row} {r['label']} |" in text


def test_the_reason_says_backtest_score_and_margin(fitted):
    reason = fitted.fit_report_.set_index("unique_id").loc["448", "reason"]
    assert re.match(r"chosen by backtest MASE \d\.\d{3}, the default, kept: SeasonalNaive", reason)
    assert "15% lower" in reason and "40%" in reason


def test_the_plot_shows_the_short_label(fitted):
    history = tc.datasets.load_us_retail(categories=["448"])
    forecast = fitted.predict(6)
    fig = tc.plotting.plot_forecast(history, forecast, ids=["448"])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "median(ETS,ARIMA,Theta,DOTM,CES,Pooled)" in texts
    assert not any("MedianCombination(" in t for t in texts)
    matplotlib.pyplot.close(fig)


def test_the_html_report_lists_categories_by_label(fitted, tmp_path):
    history = tc.datasets.load_us_retail(categories=["448"])
    forecast = fitted.predict(6)
    plan = forecast[["unique_id", "ds"]].assign(supply=forecast["mean"])
    gaps = tc.supply_gaps(forecast, plan)
    path = tc.report(
        tmp_path / "r.html",
        history=history,
        forecast=forecast,
        gaps_summary=tc.summarize_gaps(gaps),
        fit_report=fitted.fit_report_,
        selection_report=fitted.selection_report_,
    )
    text = path.read_text(encoding="utf-8")
    per = text[text.index("Model and backtest MASE of all") :]
    assert "median(ETS,ARIMA,Theta,DOTM,CES,Pooled)" in per
    assert "MedianCombination(ETS(" not in per


def test_a_saved_fit_report_without_labels_gets_them_at_load():
    # files saved before the label column: format 1 examples in tests/data/saved
    saved = Path(__file__).resolve().parent / "data" / "saved" / "1" / "auto"
    loaded = tc.load(saved)
    report = loaded.fit_report_
    assert "label" in report.columns
    assert report["label"].tolist() == [tc.models.model_label(m) for m in report["model_used"]]
