"""Save the forecaster of ``tests/data/loaded/`` and the forecast its load makes.

``tests/test_load_identical.py`` loads it and must forecast these numbers
exactly. Made with the code of commit c06cf71 (before a loaded model forecast
without statsmodels, scipy.signal and scikit-learn: issue 21's cold start), so
the test proves the change kept every number. Six US retail categories (their
last 96 months), each a median or a mean of ETS of nine forms and Theta (and
DynamicTheta):

    PYTHONPATH=src .venv/bin/python tools/make_loaded_example.py tests/data/loaded

writes ``ets-theta/`` and ``ets-theta.expected.csv``.
"""

import sys
import warnings
from pathlib import Path

import trendcast as tc
from trendcast import models as M

warnings.simplefilter("ignore")
out = Path(sys.argv[1])
sales = tc.datasets.load_us_retail()
ids = sorted(sales["unique_id"].unique())[:6]
sales = sales[sales["unique_id"].isin(ids)]
sales = sales.groupby("unique_id").tail(96)
forms = ["ANN", "AAN", "ANA", "AAA", "MNN", "MAN", "MNA", "MNM", "MAM"]
models = [
    M.Combination(
        [M.ETS(model=f, damped=(f[1] == "A"), season_length=12) for f in forms]
        + [M.Theta(season_length=12)],
        method="median",
    ),
    M.Combination(
        [M.ETS(model=f, season_length=12) for f in forms]
        + [M.Theta(season_length=12), M.DynamicTheta(season_length=12)]
    ),
]
fc = tc.TrendForecaster(models=models, n_jobs=1).fit(sales)
fc.save(out / "ets-theta", overwrite=True)
fc = tc.load(out / "ets-theta")
forecast = fc.predict(18, level=(50, 80, 95))
forecast.to_csv(out / "ets-theta.expected.csv", index=False, float_format="%.17g")
print(fc.fit_report_[["unique_id", "model_used"]])
