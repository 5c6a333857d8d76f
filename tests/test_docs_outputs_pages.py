"""Every output the docs pages print is what the code prints now.

tests/test_docs_outputs.py checks getting-started (the walkthrough and the
demo) and the fit-report example of models.md; this file checks every other
page that shows what its code prints: data, search, supply-gaps, metrics,
report, calendar, sectors and the intermittent-demand example of models.

How a page is checked: its ```python blocks run in order in one namespace,
and a block followed by a ```text block must print that text. What a block
prints is what a console shows: the value of its last line when that is an
expression, else what it printed, else the exception it raised
(``Name: message``), else the warnings it emitted (``Category: message``).
A line of code with a comment that looks like a value (``x  # 'MS'``,
``h = ...  # Hierarchy(...)``) must have that repr. Pages set their own
``display.precision``; frames are printed as a wide terminal prints them
(``display.width`` 250, every column).

A page may shorten what it shows: ``...`` stands for any text (the rest of
a long message, rows left out), and a message (an exception or a warning) is
compared with its line breaks read as spaces, since pages wrap long messages.
Tables of a page that are not printed output (markdown tables of a frame's
values) are compared value by value in the page's own test.

Regenerate a page after a change moved its numbers (then read the diff)::

    PYTHONPATH=src python tests/test_docs_outputs_pages.py data.md search.md ...

which rewrites every text block that no longer matches and has no ``...``;
the others it lists, to edit by hand. Prose that quotes a number is not
rewritten: the page tests below check the claims they can.

Left out, with the reason:

* docs pages whose code prints nothing (datasets, forecasting, persistence,
  index, hotspots, the code of models.md outside the two examples);
* the hotspots page's figures (19 of 21 nodes over $100bn...) are prose
  about ``examples/sectors.py``, a reconciliation with 24 cross-validation
  windows; tests/test_examples.py runs the example but no test reads these
  figures;
* the supply-gaps page's two example reasons illustrate the wording with
  numbers of their own: test_supply_gaps_page checks the wording only;
* the tables quoting benchmark results (supply-gaps, search, evidence) are
  results of benchmarks, not of the page's code; test_the_evidence_page_
  quotes_the_current_results checks the current M3 tables against their
  files;
* the "example message (shortened)" tables of data and supply-gaps and the
  search page's table of test results: messages and figures of the test
  suite, quoted in part.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
DISPLAY = ("display.width", 250, "display.max_columns", None, "display.max_colwidth", None)
# a comment that states a value: a quote, a bracket, a number, True/False/None or Name(
VALUE_COMMENT = re.compile(r"""^(['"(\[{\d-]|True\b|False\b|None\b|[A-Z]\w*\()""")


@dataclass
class Block:
    kind: str
    body: str
    start: int  # offset of the body in the page
    line: int  # line of the opening fence


def blocks(page: str, section: str | None = None) -> list[Block]:
    text = (DOCS / page).read_text()
    lo, hi = 0, len(text)
    if section is not None:
        lo = text.index(section)
        end = text.find("\n## ", lo + len(section))
        hi = end if end > 0 else len(text)
    return [
        Block(m.group(1), m.group(2), m.start(2), text.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(text, lo, hi)
    ]


@dataclass
class Shown:
    text: str | None
    message: bool  # an exception or warnings: compared with line breaks as spaces


def run(code: str, namespace: dict) -> Shown:
    """Execute a block as a console would; return what it shows."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    body = tree.body[:-1] if last is not None else tree.body
    out = io.StringIO()
    value = None
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        try:
            exec(compile(ast.Module(body=body, type_ignores=[]), "<docs>", "exec"), namespace)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<docs>", "eval"), namespace)
        except Exception as exc:  # the page shows the error
            return Shown(f"{type(exc).__name__}: {exc}", True)
    if value is not None:
        return Shown(str(value), False)
    if out.getvalue():
        return Shown(out.getvalue(), False)
    shown = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return Shown("\n".join(shown) if shown else None, True)


def _lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(shown: str, actual: str, message: bool = False) -> bool:
    """Does ``actual`` print what the page shows (``...`` standing for any text)?"""
    shown, actual = _lines(shown), _lines(actual)
    if message:
        shown, actual = " ".join(shown.split()), " ".join(actual.split())
    pattern = ".*?".join(re.escape(part) for part in shown.split("..."))
    return re.fullmatch(pattern, actual, re.S) is not None


def inline_values(code: str, namespace: dict) -> list[tuple[str, str, str]]:
    """(line, shown, repr) for every ``code  # value`` line of a block that ran."""
    found = []
    for line in code.splitlines():
        stmt, sep, comment = line.partition("  #")
        comment = comment.strip()
        if not sep or not VALUE_COMMENT.match(comment):
            continue
        try:
            node = ast.parse(stmt.strip()).body[0]
        except SyntaxError:  # a line inside a statement: its comment is prose
            continue
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            expr = node.targets[0].id
        elif isinstance(node, ast.Expr):
            expr = stmt.strip()
        else:
            continue
        found.append((line, comment, repr(eval(expr, namespace))))
    return found


@dataclass
class Mismatch:
    page: str
    block: Block  # the text block (or the code block, for an inline value)
    shown: str
    actual: str | None

    def __str__(self) -> str:
        return (
            f"{self.page}, line {self.block.line}: the page shows\n{self.shown}\n"
            f"the code prints\n{self.actual}"
        )


def check(
    page: str, namespace: dict, section: str | None = None, skip=(), subst: dict | None = None
) -> list[Mismatch]:
    """Run the python blocks of a page (or section); every shown output that differs.

    ``subst`` replaces text in the code and in what the page shows (a path).
    """
    found: list[Mismatch] = []
    bs = blocks(page, section)
    for old, new in (subst or {}).items():
        for b in bs:
            b.body = b.body.replace(old, new)
    compared = 0
    for i, block in enumerate(bs):
        if block.kind != "python" or i in skip:
            continue
        shown = run(block.body, namespace)
        for line, value, actual in inline_values(block.body, namespace):
            compared += 1
            if not matches(value, actual):
                found.append(Mismatch(page, block, value, f"{actual}   (for: {line.strip()})"))
        if i + 1 < len(bs) and bs[i + 1].kind == "text":
            compared += 1
            text = bs[i + 1].body
            if shown.text is None or not matches(text, shown.text, shown.message):
                found.append(Mismatch(page, bs[i + 1], text, shown.text))
    assert compared, f"{page}: nothing compared"
    return found


@contextlib.contextmanager
def console():
    """Pandas display as the pages assume, restored afterwards; figures closed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keep = [x for name in ("display.precision",) for x in (name, pd.get_option(name))]
    with pd.option_context(*DISPLAY, *keep):
        yield
    plt.close("all")


def _assert_none(found: list[Mismatch]) -> None:
    assert not found, "\n\n".join(map(str, found))


def _md_table(page: str, after: str) -> list[list[str]]:
    """The cells of the first markdown table after ``after`` in a page."""
    text = (DOCS / page).read_text()
    rows = []
    for line in text[text.index(after) :].splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    return [r for r in rows if not set("".join(r)) <= set("-:")]


# ------------------------------------------------------------------------- the pages


def test_data_page(tmp_path):
    ns: dict = {}
    with console():  # the page writes its bad CSV to /tmp; here to the test's own folder
        _assert_none(check("data.md", ns, subst={"/tmp/": f"{tmp_path}/"}))
    page = "data.md"
    assert list(ns["forecast"].columns[:4]) == ["category", "date", "model", "mean"]
    # the long-format picture at the top: the first rows of category 441, more below
    first = blocks(page)[0].body
    assert first.endswith("\n...\n")
    assert matches(first, str(tc.datasets.load_us_retail(categories=["441"]).head(4)))
    # the fill table: the three policies on the months around the gap
    table = _md_table(page, '| ds | `fill="zero"`')
    sales = ns["sales"]
    gap = sales.drop(index=[40, 41, 42])
    for j, fill in enumerate(("zero", "ffill", "interpolate"), start=1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", tc.DataWarning)
            clean = tc.read_sales(gap, fill=fill)
        got = clean[clean["unique_id"] == "448"].set_index("ds")["y"]
        for row in table[1:]:
            assert float(row[j]) == got[pd.Timestamp(row[0])], (fill, row)


def test_search_page(tmp_path, monkeypatch):
    ns: dict = {}
    with console():
        _assert_none(check("search.md", ns))
    # the refused file: the test suite's 'Interest by region' export, as geoMap.csv
    shown = next(b.body for b in blocks("search.md") if "geoMap.csv" in b.body)
    geomap = REPO / "tests" / "data" / "gtrends" / "us_glp1_geomap.csv"
    shutil.copy(geomap, tmp_path / "geoMap.csv")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_google_trends("geoMap.csv")
    assert matches(shown, f"DataValidationError: {err.value}", message=True)


def test_supply_gaps_page():
    ns: dict = {}
    with console():
        # the scenario block needs two plans the page does not build
        plans = next(i for i, b in enumerate(blocks("supply-gaps.md")) if "plan_a" in b.body)
        _assert_none(check("supply-gaps.md", ns, skip={plans}))
    # the reasons shown for their wording (the numbers are an illustration): the
    # same kinds of gap built the way tests/test_adaptation.py builds them
    shown = next(b.body for b in blocks("supply-gaps.md") if "search leads by" in b.body)
    months = pd.date_range("2025-01-01", periods=4, freq="MS")
    fc = pd.DataFrame(
        {"unique_id": "a", "ds": months, "mean": 108.0, "lo-80": 103.0, "hi-80": 113.0}
    )
    history = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2023-01-01", periods=24, freq="MS"), "y": 100.0}
    )
    search = history.rename(columns={"y": "search"}).assign(search=np.r_[[40.0] * 21, [46.0] * 3])
    ll = pd.DataFrame({"unique_id": ["a"], "lag": [2], "correlation": [0.6], "leads": [True]})
    flow = tc.summarize_gaps(
        tc.supply_gaps(fc, fc[["unique_id", "ds"]].assign(supply=102.0)),
        history=history,
        search=search,
        lead_lag=ll,
    )
    origin = pd.DataFrame({"unique_id": "a", "ds": pd.to_datetime(["2024-12-01"]), "supply": 10.0})
    stock = tc.summarize_gaps(tc.supply_gaps(fc, origin, kind="stock"), history=history)
    number = re.compile(r"\d{4}-\d\d|[+-]?\d+(\.\d+)?")
    reasons = [flow["reason"][0], stock["reason"][0]]
    for reason, line in zip(reasons, _lines(shown).splitlines(), strict=True):
        assert number.sub("#", reason) == number.sub("#", line), (reason, line)


def test_metrics_page():
    ns: dict = {}
    with console():
        _assert_none(check("metrics.md", ns))
    # the prose: 23 or 24 of 24 months inside the 80% interval, 4541's 17 with
    # six above it, and "auto" kept the combination at both cutoffs
    cv = ns["cv"]
    above = (cv["y"] > cv["hi-80"]).groupby(cv["unique_id"]).sum().to_dict()
    inside = ((cv["y"] >= cv["lo-80"]) & (cv["y"] <= cv["hi-80"])).groupby(cv["unique_id"]).sum()
    assert inside.to_dict() == {"441": 23, "445": 23, "448": 24, "4541": 17}
    assert above["4541"] == 6
    assert set(cv["model"].str.split("(").str[0]) == {"MedianCombination"}


def test_report_page_error(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from trendcast.cli import app

    shown = next(b.body for b in blocks("report.md") if b.body.startswith("error:"))
    run_dir = tmp_path / "trendcast-output"
    run_dir.mkdir()
    for name in ("fit_report.csv", "forecast.csv", "gaps_summary.csv"):  # no history.csv
        (run_dir / name).write_text("unique_id,ds\n")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["report", "trendcast-output", "--unit", "$ millions"])
    assert res.exit_code == 2
    assert matches(shown, res.output, message=True), res.output


def _value(code: str, namespace: dict):
    """The value of a block's last line, after running the lines before it."""
    tree = ast.parse(code)
    exec(compile(ast.Module(body=tree.body[:-1], type_ignores=[]), "<docs>", "exec"), namespace)
    return eval(compile(ast.Expression(tree.body[-1].value), "<docs>", "eval"), namespace)


def test_calendar_page():
    # the page shows the two frames as markdown tables
    ns: dict = {}
    code = [b.body for b in blocks("calendar.md") if b.kind == "python"][:2]
    tables = ("| | event_spring_festival | event_618", "| | event_spring_festival | holiday_count")
    for block, after in zip(code, tables, strict=True):
        got = _value(block, ns)
        table = _md_table("calendar.md", after)
        assert table[0][1:] == list(got.columns)
        assert [r[0] for r in table[1:]] == [f"{d:%Y-%m-%d}" for d in got.index]
        assert [[int(c) for c in r[1:]] for r in table[1:]] == got.to_numpy().tolist()


def test_sectors_and_intermittent_examples_show_their_values():
    ns: dict = {}
    with console():
        _assert_none(check("sectors.md", ns, section="## The hierarchy: a mapping table"))
        _assert_none(check("models.md", {}, section="## Intermittent demand"))


# ------------------------------------------------------------ the evidence page


def test_the_evidence_page_quotes_the_current_results():
    import json

    text = (DOCS / "evidence.md").read_text()
    results = REPO / "benchmarks" / "results"
    monthly = json.loads((results / "accuracy-monthly.json").read_text())
    for r in monthly["results"]:
        cells = (
            f"| {r['method']} | {r['smape']:.2f} | {r['mase']:.3f} | {r['cov80']:.3f} "
            f"| {r['cov95']:.3f} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} |"
        )
        bold = cells.replace(f"| {r['smape']:.2f} | {r['mase']:.3f} |",
                             f"| **{r['smape']:.2f}** | **{r['mase']:.3f}** |")  # fmt: skip
        assert cells in text or bold in text, cells
    for subset in ("quarterly", "yearly"):
        data = json.loads((results / f"accuracy-{subset}.json").read_text())
        tc_auto = next(r for r in data["results"] if r["method"] == "tc-auto")
        quoted = (
            f"{tc_auto['smape']:.2f} / {tc_auto['mase']:.3f} / {tc_auto['cov80']:.3f} / "
            f"{tc_auto['cov95']:.3f}, {tc_auto['seconds']:.1f} s"
        )
        assert quoted in text, (subset, quoted)


# ------------------------------------------------------------------- regenerating


def _rewrite(pages: list[str]) -> None:
    """Rewrite the text blocks of ``pages`` that no longer match the code's output."""
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="docs-"))
    for page in pages:
        text = (DOCS / page).read_text()
        ns: dict = {}
        with console():
            bs = blocks(page)
            edits = []
            for i, block in enumerate(bs):
                if block.kind != "python" or "plan_a" in block.body:
                    continue
                shown = run(block.body.replace("/tmp/", f"{tmp}/"), ns)
                if i + 1 >= len(bs) or bs[i + 1].kind != "text":
                    continue
                old = bs[i + 1].body.replace("/tmp/", f"{tmp}/")
                if shown.text is not None and matches(old, shown.text, shown.message):
                    continue
                if "..." in old or shown.text is None:
                    print(f"{page}, line {bs[i + 1].line}: edit by hand:\n{shown.text}\n")
                    continue
                new = _lines(shown.text).replace(f"{tmp}/", "/tmp/") + "\n"
                edits.append((bs[i + 1].start, bs[i + 1].start + len(bs[i + 1].body), new))
        for lo, hi, new in reversed(edits):
            text = text[:lo] + new + text[hi:]
        (DOCS / page).write_text(text)
        print(f"{page}: {len(edits)} block(s) rewritten")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    _rewrite(sys.argv[1:])
