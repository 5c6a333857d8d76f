"""Is a change in accuracy bigger than the noise? Paired per-series comparison.

Reads two per-series files written by ``accuracy.py --per-series`` (the same
split, before and after a change), pairs the series, and reports for sMAPE
and MASE the mean of the per-series differences (after minus before: below
zero is better), its standard error, the difference divided by it, and how
many series changed at all. A change of one standard error is what picking
1,428 series instead of another 1,428 would give; choosing on such a
difference is choosing on noise.

Usage::

    .venv-bench/bin/python benchmarks/accuracy.py --methods tc-auto --split validation \\
        --per-series before.csv          # on the code before the change
    .venv-bench/bin/python benchmarks/accuracy.py --methods tc-auto --split validation \\
        --per-series after.csv           # and after it
    .venv-bench/bin/python benchmarks/compare.py before.csv after.csv --method tc-auto

It prints a markdown table and writes it to ``--out`` (default
``benchmarks/results/compare.md``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

METRICS = ("smape", "mase")


def _read(path: Path, method: str | None) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"unique_id": str})
    missing = {"method", "unique_id", *METRICS} - set(frame.columns)
    if missing:
        raise SystemExit(
            f"{path}: columns {sorted(missing)} are missing; write the file with "
            "accuracy.py --per-series"
        )
    methods = list(dict.fromkeys(frame["method"]))
    if method is None:
        if len(methods) > 1:
            raise SystemExit(f"{path} holds several methods {methods}; choose one with --method")
        method = methods[0]
    if method not in methods:
        raise SystemExit(f"{path} has no rows of method {method!r}; it has {methods}")
    return frame[frame["method"] == method].set_index("unique_id")[list(METRICS)]


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Mean paired difference (after - before), its standard error and changed series.

    Examples
    --------
    >>> b = pd.DataFrame({"smape": [10.0, 20.0, 30.0], "mase": [1.0, 1.0, 1.0]}, index=list("abc"))
    >>> a = pd.DataFrame({"smape": [9.0, 20.0, 28.0], "mase": [1.0, 1.0, 1.0]}, index=list("abc"))
    >>> compare(b, a).loc["smape", ["before", "after", "difference", "changed"]].tolist()
    [20.0, 19.0, -1.0, 2.0]
    """
    keys = before.index.intersection(after.index)
    rows = {}
    for metric in METRICS:
        b = before.loc[keys, metric].to_numpy(float)
        a = after.loc[keys, metric].to_numpy(float)
        ok = np.isfinite(a) & np.isfinite(b)
        d = a[ok] - b[ok]
        se = float(np.std(d, ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
        mean = float(np.mean(d)) if d.size else float("nan")
        rows[metric] = {
            "series": int(d.size),
            "before": float(np.mean(b[ok])),
            "after": float(np.mean(a[ok])),
            "difference": mean,
            "standard_error": se,
            "difference_in_se": mean / se if se > 0 else float("nan"),
            "changed": int(np.sum(np.abs(d) > 1e-12)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _markdown(table: pd.DataFrame, before: Path, after: Path, method: str | None) -> str:
    lines = [
        "# Paired comparison of per-series accuracy",
        "",
        f"- before: `{before}`",
        f"- after: `{after}`",
        f"- method: {method or '(the only one in each file)'}",
        "- difference = mean over series of (after - before); below zero is better",
        "",
        "| metric | series | before | after | difference | standard error "
        "| difference / se | series changed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for metric, r in table.iterrows():
        lines.append(
            f"| {metric} | {r['series']:.0f} | {r['before']:.4f} | {r['after']:.4f} "
            f"| {r['difference']:+.4f} | {r['standard_error']:.4f} "
            f"| {r['difference_in_se']:+.1f} | {r['changed']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("before", type=Path, help="per-series CSV before the change")
    p.add_argument("after", type=Path, help="per-series CSV after the change")
    p.add_argument("--method", default=None, help="method to compare (default: the only one)")
    p.add_argument("--out", type=Path, default=RESULTS / "compare.md", help="markdown output")
    args = p.parse_args(argv)
    prov = provenance()
    before = _read(args.before, args.method)
    after = _read(args.after, args.method)
    if before.index.intersection(after.index).empty:
        raise SystemExit(f"{args.before} and {args.after} have no series in common")
    text = _markdown(compare(before, after), args.before, args.after, args.method)
    text = with_provenance(text, prov)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
