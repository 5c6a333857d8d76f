"""The sktime adapter (issue 25) passes sktime's own ``check_estimator``.

sktime 1.2 caps pandas below 3.1, so it is not in the dev environment (pandas 3.1);
``make test-sktime`` builds ``.venv-sktime`` (pandas 3.0) and runs this file there.
The missing-dependency error is tested everywhere (tests/test_sktime_missing.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

pytest.importorskip(
    "sktime", reason="sktime caps pandas<3.1: run `make test-sktime` (its own environment)"
)
from sktime.forecasting.base import ForecastingHorizon
from sktime.utils import check_estimator

from trendcast.adapters.sktime import TrendcastForecaster


def test_sktime_check_estimator_passes():
    results = check_estimator(TrendcastForecaster, raise_exceptions=False)
    failed = {name: result for name, result in results.items() if result != "PASSED"}
    assert len(results) > 100
    assert failed == {}


@pytest.fixture(scope="module")
def monthly() -> pd.Series:
    sales = tc.datasets.load_us_retail(categories=["448"])
    return pd.Series(
        sales["y"].to_numpy(), index=pd.PeriodIndex(sales["ds"], freq="M"), name="sales"
    )


def test_forecasts_equal_trendcast_on_a_period_index(monthly):
    model = tc.models.SeasonalNaive()
    f = TrendcastForecaster(models=model, allow_negative=False).fit(monthly)
    got = f.predict(fh=[1, 2, 3])
    frame = pd.DataFrame(
        {"unique_id": "y", "ds": monthly.index.to_timestamp(), "y": monthly.to_numpy()}
    )
    expected = tc.TrendForecaster(models=tc.models.SeasonalNaive()).fit(frame).predict(3)
    np.testing.assert_allclose(got.to_numpy(), expected["mean"].to_numpy())
    assert list(got.index) == list(pd.period_range(monthly.index[-1] + 1, periods=3, freq="M"))
    intervals = f.predict_interval(fh=[1, 2, 3], coverage=[0.8])
    np.testing.assert_allclose(
        intervals[("sales", 0.8, "lower")].to_numpy(), expected["lo-80"].to_numpy()
    )


def test_in_sample_forecasts_are_fitted_values(monthly):
    f = TrendcastForecaster(models=tc.models.Naive()).fit(monthly)
    fh = ForecastingHorizon([-2, -1, 0], is_relative=True)
    got = f.predict(fh=fh)
    y = monthly.to_numpy()
    np.testing.assert_allclose(got.to_numpy(), y[-4:-1])  # naive: the period before


def test_a_coverage_off_whole_percents_is_refused(monthly):
    f = TrendcastForecaster(models=tc.models.Naive()).fit(monthly)
    with pytest.raises(tc.ParameterError, match="whole percents"):
        f.predict_interval(fh=[1], coverage=[0.805])


def test_the_integrations_page_sktime_example_prints_what_it_shows():
    from tests.test_docs_outputs_pages import blocks, console, matches, run

    setup = blocks("integrations.md")[0]
    example, shown = blocks("integrations.md", "## sktime")
    assert (setup.kind, example.kind, shown.kind) == ("python", "py", "text")
    ns: dict = {}
    with console():
        run(setup.body, ns)
        printed = run(example.body, ns)
    assert printed.text is not None and matches(shown.body, printed.text)
