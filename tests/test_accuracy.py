"""Accuracy regression table on real data, like darts: (model, dataset, max error).

Dataset: 12 US Census retail categories (bundled), cut at 2019-12 so the test
windows are pre-COVID; two rolling 12-month windows (2018, 2019).
Limits are the values measured when the table was written (2026-11-28) plus
about 5%; a change that loses accuracy fails here. Coverage is that of the
calibrated intervals (``calibration="conformal"``, the default; measured
again when calibration came in), with the models' own intervals for
comparison; its limits are the measured value plus or minus about 0.035.

Measured again on 2026-11-29, after auto gained ARIMA and the
ETS+ARIMA+Theta default, refits keep the structure the backtest chose, and
Theta's variance comes from its own SES errors (command: the loop of this test
over each model, in the development environment):

| model | MASE | sMAPE | cov-80 | cov-95 |
|---|---|---|---|---|
| SeasonalNaive | 1.209 | 4.33 | 0.816 | 0.965 |
| ETS | 0.790 | 2.88 | 0.799 | 0.944 |
| Theta | 1.285 | 4.45 | 0.747 | 0.931 |
| Combination (ETS+Theta) | 0.969 | 3.44 | 0.767 | 0.931 |
| auto | 0.752 | 2.68 | 0.792 | 0.941 |
| RegressionModel (RidgeCV on lags) | 0.855 | 3.11 | 0.729 | 0.948 |

Measured again later on 2026-11-29, after ETS came to screen its forms with
heuristic initial states and estimate only the best three in full, and
ARIMA's exact fit became a least-squares problem (same command). ETS chose
other forms in some windows (better here), and so did auto; the limits were
left as they were:

| model | MASE | sMAPE | cov-80 | cov-95 |
|---|---|---|---|---|
| SeasonalNaive | 1.209 | 4.33 | 0.816 | 0.965 |
| ETS | 0.786 | 2.86 | 0.792 | 0.944 |
| Theta | 1.285 | 4.45 | 0.747 | 0.931 |
| Combination (ETS+Theta) | 0.964 | 3.42 | 0.771 | 0.934 |
| auto | 0.746 | 2.66 | 0.788 | 0.941 |
| RegressionModel (RidgeCV on lags) | 0.855 | 3.11 | 0.729 | 0.948 |

Measured again at the end of 2026-11-29, after DynamicTheta joined auto's
default combination (ETS+ARIMA+Theta+DynamicTheta), a challenger must beat
it in every backtest window as well as by the margin, and the ETS screening
counts initial states in its AICc (same command). The combination of four
is weaker on these long histories than ETS (Theta and DynamicTheta fix their
seasonal indices), so auto lost 0.04 MASE here while it gained on M3
monthly (see docs/models.md); its limit was left as it was. Changed rows:
ETS 0.790 / 2.88 / 0.799 / 0.944; auto 0.787 / 2.80 / 0.788 / 0.944; new,
DynamicTheta 1.162 / 4.04 / 0.792 / 0.965 (MASE / sMAPE / cov-80 / cov-95);
the others as above.

Measured again in a later session of 2026-11-29 (same command), after Theta came to be fitted
on the last eight seasons of a longer seasonal history, DynamicTheta to take
its seasonal factors from them, and the default ``selection_margin`` went
from 0.2 to 0.4. Theta, DynamicTheta and the ETS+Theta combination improved
a lot and their limits were tightened to the new values plus about 5%;
``auto`` lost 0.017 MASE here (0.787 -> 0.804, it now keeps the four-member
combination, 0.80 on this data, where 0.2 let ETS take some categories).
That was a deliberate trade, chosen on M3 monthly's validation split (every
7th series: sMAPE / MASE 13.68 / 0.814 at 0.2, 13.47 / 0.807 at 0.4; the
test split agreed, 13.72 / 0.815 -> 13.60 / 0.811), and its limit was moved
to the new value plus about 5% (0.79 -> 0.84). With the old Theta, margin
0.4 would have cost far more here (0.84 at 0.3). New rows:

| model | MASE | sMAPE | cov-80 | cov-95 |
|---|---|---|---|---|
| SeasonalNaive | 1.209 | 4.33 | 0.816 | 0.965 |
| ETS | 0.790 | 2.88 | 0.799 | 0.944 |
| Theta | 0.934 | 3.37 | 0.781 | 0.941 |
| Combination (ETS+Theta) | 0.834 | 3.03 | 0.764 | 0.951 |
| DynamicTheta | 0.895 | 3.18 | 0.788 | 0.941 |
| auto | 0.804 | 2.88 | 0.774 | 0.938 |
| RegressionModel (RidgeCV on lags) | 0.855 | 3.11 | 0.729 | 0.948 |

Then the default combination became the median of its four members (chosen
on the validation split of all M3 monthly series, 13.84 / 0.852 against
13.94 / 0.856 for the mean): auto 0.812 / 2.92 / 0.767 / 0.934 here, within
the limits above; the other rows do not use it.

Then CES joined as a fifth member of the median (chosen on the validation
split of all M3 monthly series, 13.74 / 0.849 -> 13.69 / 0.847): auto 0.779 /
2.82 / 0.785 / 0.955 here (MASE / sMAPE / cov-80 / cov-95), within the limits
above. CES alone scored 0.765 / 2.71 / 0.767 / 0.941, its row's limits about
5% above (MASE 0.80, sMAPE 2.85).

Then auto's ETS came to damp its trend (``ETS(damped=True)``, chosen on the
validation splits of M3 monthly, quarterly and yearly): auto 0.808 / 2.91 /
0.767 / 0.951 here, within the limits above but 0.03 MASE worse than with
undamped trends allowed (ETS(damped=True) alone 0.827 / 2.99 against ETS's
0.790 / 2.88). On all US retail categories with one test year held out it
was mixed (MASE 2017 0.683 -> 0.691, 2018 0.768 -> 0.767, 2019 0.816 ->
0.847, last 12 months 0.892 -> 0.892); 2019 is where these rows lost.
Recorded in docs/models.md.

Then PooledRegression (one regressor trained on the windows of every
category) joined the median as its sixth member, and ARIMA's second search
started from the first's orders (chosen on the validation split of all M3
monthly series, 13.674 / 0.8458 -> 13.565 / 0.8401): auto 0.762 / 2.71 /
0.760 / 0.934 here, so its limits came down to that plus about 5% (MASE
0.84 -> 0.80, sMAPE 3.02 -> 2.85). PooledRegression alone, trained on these
12 categories before each window: 0.820 / 3.01 / 0.750 / 0.955, its row's
limits about 5% above.
"""

from __future__ import annotations

import warnings

import pytest

import trendcast as tc

CATEGORIES = ["441", "4421", "443", "444", "445", "446", "447", "448", "451", "452", "454", "722"]

TABLE = [
    # model, max MASE, max sMAPE, min coverage-95, max coverage-95
    ("SeasonalNaive", 1.25, 4.5, 0.93, 0.995),
    ("ETS", 0.83, 3.0, 0.91, 0.98),
    ("Theta", 0.98, 3.54, 0.905, 0.975),
    ("Combination", 0.88, 3.18, 0.915, 0.985),
    ("DynamicTheta", 0.94, 3.34, 0.905, 0.975),
    ("CES", 0.80, 2.85, 0.905, 0.975),
    ("auto", 0.80, 2.85, 0.905, 0.975),
    ("RegressionModel", 0.90, 3.26, 0.90, 0.99),
    ("PooledRegression", 0.86, 3.16, 0.905, 0.985),
]


@pytest.fixture(scope="module")
def sales():
    s = tc.datasets.load_us_retail(categories=CATEGORIES)
    return s[s["ds"] < "2020-01-01"].reset_index(drop=True)


def _model(name):
    return "auto" if name == "auto" else getattr(tc.models, name)()


@pytest.mark.parametrize(("name", "max_mase", "max_smape", "min_cov95", "max_cov95"), TABLE)
def test_accuracy_does_not_regress(sales, name, max_mase, max_smape, min_cov95, max_cov95):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.FallbackWarning)
        cv = tc.TrendForecaster(models=_model(name), n_jobs=1).cross_validation(
            sales, h=12, n_windows=2
        )
    assert cv["unique_id"].nunique() == len(CATEGORIES)
    mase = tc.metrics.mase(cv, sales, 12)["mase"].mean()
    smape = tc.metrics.smape(cv)["smape"].mean()
    cov95 = tc.metrics.coverage(cv, 95)["coverage-95"].mean()
    assert mase <= max_mase, f"{name}: MASE {mase:.3f} > {max_mase}"
    assert smape <= max_smape, f"{name}: sMAPE {smape:.2f} > {max_smape}"
    assert min_cov95 <= cov95 <= max_cov95, f"{name}: 95% coverage {cov95:.3f}"
