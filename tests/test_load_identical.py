"""A saved forecaster forecasts the numbers it did before loads stopped waiting for imports.

``tests/data/loaded/ets-theta`` (six categories, each a median or a mean of
ETS of nine forms and Theta) and the forecast its load made were written by
``tools/make_loaded_example.py`` with the code before issue 21's cold-start
work, which rebuilt ETS and Theta through statsmodels and imported
scikit-learn and scipy.signal on the way. The current code must forecast the
same numbers exactly, importing none of those.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

import trendcast as tc

DATA = Path(__file__).parent / "data" / "loaded"


def test_a_loaded_forecaster_forecasts_exactly_what_it_did():
    expected = pd.read_csv(DATA / "ets-theta.expected.csv", parse_dates=["ds"])
    expected["unique_id"] = expected["unique_id"].astype(str)
    fc = tc.load(DATA / "ets-theta")
    got = fc.predict(18, level=(50, 80, 95))
    got["unique_id"] = got["unique_id"].astype(str)
    assert got["model"].str.startswith("MedianCombination(ETS(A,N,N)").all()
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)


def test_loading_and_forecasting_imports_no_scikit_learn_statsmodels_or_scipy_stats():
    code = (
        "import sys, trendcast as tc\n"
        f"tc.load({str(DATA / 'ets-theta')!r}).predict(6, ids=['441'])\n"
        "heavy = ('sklearn', 'statsmodels', 'scipy.stats', 'scipy.signal', 'scipy.optimize')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
