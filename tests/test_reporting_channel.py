"""One reporting channel (issue 25): the library warns, and never also logs the same finding;
jobs turn warnings into log records with ``logged_warnings``."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast._warnings import logged_warnings


@pytest.fixture
def falling_back() -> tuple[tc.TrendForecaster, pd.DataFrame]:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "unique_id": ["a"] * 30 + ["b"] * 30,
            "ds": list(pd.date_range("2020-01-01", periods=30, freq="MS")) * 2,
            "y": np.r_[rng.gamma(5, 10, 30), np.full(30, 7.0)],
        }
    )
    fc = tc.TrendForecaster(models=tc.models.RegressionModel(), fallback_model=tc.models.Naive())
    return fc, df


def test_a_fallback_is_a_warning_and_not_a_log_record(falling_back, caplog):
    fc, df = falling_back
    with (
        caplog.at_level(logging.DEBUG, logger="trendcast"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        fc.fit(df)
    assert [w for w in caught if issubclass(w.category, tc.FallbackWarning)]
    assert [r for r in caplog.records if "fell back" in r.getMessage()] == []


def test_filled_gaps_are_a_warning_and_not_a_log_record(caplog):
    df = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-04-01", "2020-05-01"]),
            "y": [1.0, 2, 3, 4],
        }
    )
    with caplog.at_level(logging.DEBUG, logger="trendcast"), pytest.warns(tc.DataWarning):
        tc.read_sales(df, fill="zero")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_jobs_log_each_warning_once(falling_back, caplog):
    fc, df = falling_back
    job_logger = logging.getLogger("trendcast.job.test")
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with logged_warnings(job_logger):
            fc.fit(df)
    assert shown == []  # recorded, not shown
    lines = [r.getMessage() for r in caplog.records]
    fallbacks = [line for line in lines if line.startswith("FallbackWarning: ")]
    assert len(fallbacks) == 1 and "fell back" in fallbacks[0]
    assert all(r.name == "trendcast.job.test" for r in caplog.records)
