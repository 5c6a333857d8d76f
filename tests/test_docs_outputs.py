"""The printed outputs in the docs are what the code prints now.

docs/getting-started.md walks through the demo's steps in Python and shows
each step's output; this test runs those code blocks in order and compares
every displayed value with the text block that follows it in the page, so a
change of the models that moves a number fails here until the page is
written again (run the blocks and paste their output).
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import trendcast as tc

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.S)


def _blocks(page: str, section: str) -> list[tuple[str, str]]:
    text = (DOCS / page).read_text()
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    return BLOCK.findall(text[start : end if end > 0 else None])


def _run(code: str, namespace: dict) -> object:
    """Execute a block; return the value of its last line if it is an expression."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    exec(compile(ast.Module(body=body, type_ignores=[]), "<docs>", "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<docs>", "eval"), namespace)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_the_getting_started_walkthrough_prints_what_the_page_shows():
    blocks = _blocks("getting-started.md", "## The same steps in Python")
    namespace: dict = {}
    compared = 0
    shown = ("display.precision", "display.width", "display.max_columns")
    restore = [x for name in shown for x in (name, pd.get_option(name))]
    with pd.option_context(*restore), warnings.catch_warnings():  # the page sets them
        warnings.simplefilter("ignore", tc.FallbackWarning)
        for i, (kind, body) in enumerate(blocks):
            if kind != "python":
                continue
            value = _run(body, namespace)
            if value is None or i + 1 >= len(blocks) or blocks[i + 1][0] != "text":
                continue
            assert _lines(str(value)) == _lines(blocks[i + 1][1]), f"block {i}:\n{body}"
            compared += 1
    assert compared == 4  # sales.head, the forecast, the 4541 gaps, the ranking


def test_the_fit_report_example_shows_the_fallback_warning_it_raises():
    text = (DOCS / "models.md").read_text()
    shown = re.search(r"```text\n(FallbackWarning: .*?)\n```", text).group(1)
    sales = tc.datasets.load_us_retail(categories=["448", "4541"])
    sales = sales[(sales["unique_id"] == "448") | (sales["ds"] >= "2024-07-01")]
    with pytest.warns(tc.FallbackWarning) as record:
        forecaster = tc.TrendForecaster().fit(sales)
    messages = [f"FallbackWarning: {w.message}" for w in record if w.category is tc.FallbackWarning]
    assert shown in messages
    for _, r in forecaster.fit_report_.iterrows():
        row = f"| {r['unique_id']} | {r['model_tried']} | {r['reason']} | {r['model_used']} |"
        assert f"{row} {r['status']} |" in text, row
    for _, r in forecaster.selection_report_.iterrows():
        row = f"| {r['unique_id']} | {r['model']} | {r['mase']:.3f} | {r['error']} |"
        assert f"{row} {r['selected']} |" in text, row


def test_the_demo_prints_what_getting_started_shows(tmp_path, monkeypatch):
    # the full demo (58 categories, two processes); the fit time and the path of
    # the report differ from run to run and are left out of the comparison
    from typer.testing import CliRunner

    from trendcast.cli import app

    text = (DOCS / "getting-started.md").read_text()
    start = text.index("### What it prints")
    shown = BLOCK.search(text, start).group(2)
    monkeypatch.chdir(tmp_path)  # the page shows `make demo`'s relative output folder
    res = CliRunner().invoke(app, ["demo", "--out", "trendcast-output", "--n-jobs", "2"])
    assert res.exit_code == 0, res.output

    def stable(output: str) -> list[str]:
        lines = _lines(output[output.index("Forecast ") :])
        lines = [line for line in lines if not line.startswith(("Report:", "Done in"))]
        return [re.sub(r"\(fit in [0-9.]+ s\)", "(fit in _ s)", line) for line in lines]

    assert stable(res.stdout) == stable(shown)
