"""Fingerprint what a forecaster computes, to prove a refactor changed no number.

Run it on the commit before a structural change and on the commit after, and
compare the two outputs: every line must be equal. It fits ``models="auto"``
(``n_jobs=1``) on 8 US retail categories and a ``past_covariates={"search": 2}``
forecaster (``beyond_lag="forecast"``) on the bundled Dutch online-sales index with
its search series, and
hashes, with exact equality (floats written with 17 significant digits):
``predict``, ``cross_validation(h=6, n_windows=2)``,
``sample_paths(random_state=0)``, ``update`` followed by ``predict``, the fit,
selection, calibration and search reports, and the SHA-256 of every saved file
(the fit date blanked where it is written).

Usage (from the repository root)::

    .venv/bin/python tools/check_unchanged.py > before.txt   # on the old commit
    .venv/bin/python tools/check_unchanged.py > after.txt    # on the new one
    diff before.txt after.txt && echo unchanged
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import trendcast as tc
from trendcast.datasets import (
    load_nl_online_sales,
    load_nl_search_mapping,
    nl_google_trends_files,
)

CATEGORIES = ["441", "4411", "442", "443", "444", "445", "448", "452"]


def digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values and columns, floats to 17 significant digits."""
    text = frame.to_csv(index=False, float_format="%.17g")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def saved_digests(fc: tc.TrendForecaster) -> dict[str, str]:
    """SHA-256 of every file of a directory save, the fit date blanked."""
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = fc.save(Path(tmp) / "saved")
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            data = file.read_bytes()
            name = file.relative_to(path).as_posix()
            if name == "forecaster.json":
                state = json.loads(data)
                state["fitted_at"] = None
                data = json.dumps(state, sort_keys=True).encode()
            elif name == "manifest.json":
                manifest = json.loads(data)
                manifest["fit_date"] = None
                manifest["files"].pop("forecaster.json", None)
                data = json.dumps(manifest, sort_keys=True).encode()
            out[name] = hashlib.sha256(data).hexdigest()[:16]
    return out


def report(name: str, fc: tc.TrendForecaster, history: pd.DataFrame, new: pd.DataFrame,
           save: bool) -> None:
    """Print the digests of one forecaster's outputs, one line each."""
    print(f"[{name}]")
    print("predict", digest(fc.predict(h=2, level=(50, 80, 95))))
    for attr in ("fit_report_", "selection_report_", "calibration_report_", "search_report_"):
        if hasattr(fc, attr):
            print(attr, digest(getattr(fc, attr)))
    paths = fc.sample_paths(h=2, n_paths=200, random_state=0)
    print("sample_paths", digest(paths))
    if save:
        for file, value in saved_digests(fc).items():
            print("saved", file, value)
    cv = fc.cross_validation(history, h=6, n_windows=2)
    print("cross_validation", digest(cv))
    print("predict after cross_validation", digest(fc.predict(h=2)))
    fc.update(new)
    print("predict after update", digest(fc.predict(h=2)))
    if save:
        for file, value in saved_digests(fc).items():
            print("saved after update", file, value)


def main() -> None:
    warnings.simplefilter("ignore")
    sales = tc.datasets.load_us_retail(categories=CATEGORIES)
    last = sales["ds"].max()
    history = sales[sales["ds"] <= last - pd.DateOffset(months=2)]
    new = sales[sales["ds"] > last - pd.DateOffset(months=2)]
    fc = tc.TrendForecaster(models="auto", n_jobs=1).fit(history)
    report("auto, 8 US retail categories", fc, history, new, save=True)

    search = tc.read_google_trends(nl_google_trends_files())
    by_category = tc.search_by_category(search, load_nl_search_mapping(), freq="MS")
    nl = load_nl_online_sales().merge(
        by_category[["unique_id", "ds", "search"]], on=["unique_id", "ds"]
    )
    last = nl["ds"].max()
    history = nl[nl["ds"] < last]
    new = nl[nl["ds"] == last]
    fc = tc.TrendForecaster(
        models="auto", past_covariates={"search": 2}, beyond_lag="forecast", n_jobs=1
    )
    fc.fit(history)
    report("auto with search at lag 2, Dutch online sales", fc, history, new, save=False)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
