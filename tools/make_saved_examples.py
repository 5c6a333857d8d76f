#!/usr/bin/env python
"""Write the golden saved forecasters in ``tests/data/saved/<format version>/``.

One small forecaster per model class in ``trendcast.models.REGISTRY`` (and one
``"auto"`` forecaster), fitted on a tiny two-category monthly panel (one
smooth, one sparse), saved with the current format, next to the forecast it
made when it was saved (``<name>.expected.csv``). ``tests/test_saved_examples.py``
loads every version's files with the current code and checks those numbers.

Run once per new format version, never to "fix" a failing test: the files of
earlier versions are the proof that old saves still load::

    .venv/bin/python tools/make_saved_examples.py

A model class added to the registry within the same format version gets its
example with ``--add``, which writes only the examples that are missing and
leaves the existing files as they are::

    .venv/bin/python tools/make_saved_examples.py --add
"""

from __future__ import annotations

import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import trendcast as tc
from trendcast.persistence import FORMAT_VERSION

ROOT = Path(__file__).resolve().parents[1]
HORIZON = 6
LEVELS = (80, 95)


def tiny_panel() -> pd.DataFrame:
    """Two categories, 60 months: a seasonal one with trend and a sparse one."""
    rng = np.random.default_rng(20240601)
    dates = pd.date_range("2021-01-01", periods=60, freq="MS")
    t = np.arange(60)
    smooth = 100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, 60)
    sparse = np.where(rng.random(60) < 0.45, np.round(rng.gamma(2.0, 4.0, 60), 1), 0.0)
    return pd.concat(
        [
            pd.DataFrame({"unique_id": "smooth", "ds": dates, "y": np.round(smooth, 2)}),
            pd.DataFrame({"unique_id": "sparse", "ds": dates, "y": sparse}),
        ],
        ignore_index=True,
    )


def main(add: bool = False) -> None:
    out = ROOT / "tests" / "data" / "saved" / str(FORMAT_VERSION)
    if add:
        df = pd.read_csv(out / "panel.csv", parse_dates=["ds"])
    else:
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        df = tiny_panel()
        df.to_csv(out / "panel.csv", index=False)
    specs: dict[str, object] = {"auto": "auto"}
    for cls in tc.models.REGISTRY:
        params = cls().get_params()
        specs[cls.__name__] = cls(season_length=12) if "season_length" in params else cls()
    warnings.simplefilter("ignore")
    for name, models in specs.items():
        if add and (out / name).exists():
            continue
        fc = tc.TrendForecaster(models=models).fit(df)  # type: ignore[arg-type]
        fc.save(out / name)
        fc.predict(HORIZON, level=LEVELS).to_csv(
            out / f"{name}.expected.csv", index=False, float_format="%.17g"
        )
        print(name, sorted({type(m).__name__ for m in fc.models_.values()}))


if __name__ == "__main__":
    main(add="--add" in sys.argv[1:])
