"""What the fuzz layer (tests/fuzz) found beyond issue 19, each kept as an example.

Every case raised a built-in exception, or gave a wrong answer without a word,
before the fix; each now ends in a TrendcastError naming what to correct.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc

MONTHS = pd.date_range("2025-01-01", periods=3, freq="MS")


def _forecast() -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": "a", "ds": MONTHS, "mean": 100.0, "lo-80": 80.0, "hi-80": 120.0}
    )


def _plan() -> pd.DataFrame:
    return _forecast()[["unique_id", "ds"]].assign(supply=90.0)


# --- readers -----------------------------------------------------------------------------------


def test_one_column_for_two_roles_is_refused():
    # id_col == target_col: the ids were silently overwritten by the demand values
    sales = pd.DataFrame({"y": [1.0, 2.0, 3.0], "ds": MONTHS})
    with pytest.raises(tc.ParameterError, match=r"id_col='y'.*target_col='y'"):
        tc.read_sales(sales, id_col="y", target_col="y")
    search = pd.DataFrame({"ds": MONTHS, "term": "x", "value": 1.0})
    with pytest.raises(tc.ParameterError, match="term_col"):
        tc.read_search(search, term_col="value")


def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path):
    # pandas renames the second 'y' to 'y.1' and the first was read without a word
    path = tmp_path / "sales.csv"
    path.write_text("unique_id,ds,y,y\na,2025-01-01,1,2\na,2025-02-01,2,3\n")
    with pytest.raises(tc.DataValidationError, match=r"sales\.csv.*'y' more than once"):
        tc.read_sales(path)


def test_demand_too_large_to_square_is_refused():
    # 1e300 units: the models' variances overflowed and every interval was [0, inf]
    sales = pd.DataFrame({"unique_id": "a", "ds": MONTHS, "y": [1e300, 1e300, 1.5e300]})
    with pytest.raises(tc.DataValidationError, match=r"Column 'y'.*too large"):
        tc.read_sales(sales)
    assert len(tc.read_sales(sales.assign(y=[1e99, 1e99, 1e99]))) == 3


# --- supply gaps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paths",
    [
        {"a": "x"},
        {"a": np.full((5, 3), 1 + 1j)},
        pd.DataFrame({"unique_id": "a", "ds": ["2025-01-01", "soon"], "path": 0, "y": 1.0}),
        pd.DataFrame({"unique_id": "a", "ds": [MONTHS[0]] * 2, "path": 0, "y": 1.0}),
    ],
    ids=["text", "complex", "unreadable dates", "one path twice"],
)
def test_paths_that_are_not_numbers_are_a_data_validation_error(paths):
    with pytest.raises(tc.DataValidationError, match="paths"):
        tc.supply_gaps(_forecast(), _plan(), paths=paths)


def test_a_frequency_that_is_not_text_names_freq():
    with pytest.raises(tc.ParameterError, match="freq=12"):
        tc.supply_gaps(_forecast(), _plan(), freq=12)  # type: ignore[arg-type]


def test_a_tiny_mean_against_paths_gives_no_overflow_warning():
    fc = _forecast().assign(mean=1e-310, **{"lo-80": 0.0, "hi-80": 1e-309})
    paths = {"a": np.full((10, 3), 50.0)}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        gaps = tc.supply_gaps(fc, _plan().assign(supply=0.0), paths=paths)
    assert np.isinf(gaps["shortfall_share"]).all()


# --- metrics -----------------------------------------------------------------------------------


def _scored(**columns: object) -> pd.DataFrame:
    base = {"unique_id": ["a", "a", "b"], "y": [1.0, 2.0, 3.0], "mean": [1.0, 2.5, 2.0]}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize("name", ["mae", "rmse", "smape", "wape"])
@pytest.mark.parametrize(
    "values",
    [["1", "2", "3"], [1 + 1j, 2, 3], [True, False, True], [1.0, "two", 3.0]],
    ids=["text", "complex", "booleans", "mixed"],
)
def test_metrics_refuse_values_that_are_not_numbers(name, values):
    not_numbers = r"Column 'y'.*(is not a number|are not numbers)"
    with pytest.raises(tc.DataValidationError, match=not_numbers):
        getattr(tc.metrics, name)(_scored(y=values))


def test_interval_metrics_take_one_level_as_a_number():
    scored = _scored(**{"lo-80": [0.0, 1.0, 2.0], "hi-80": [2.0, 3.0, 4.0]})
    for func in (tc.metrics.coverage, tc.metrics.pinball_loss):
        with pytest.raises(tc.ParameterError, match="level"):
            func(scored, "80")  # type: ignore[arg-type]
    assert tc.metrics.coverage(scored, 80)["coverage-80"].tolist() == [1.0, 1.0]


def test_scaled_metrics_refuse_numbers_as_dates_and_read_text_dates():
    history = pd.DataFrame({"unique_id": "a", "ds": [20240101, 20240201, 20240301], "y": 1.0})
    with pytest.raises(tc.DataValidationError, match="dates are numbers"):
        tc.metrics.mase(_scored(), history, season_length=1)
    text = history.assign(ds=["2024-01-01", "2024-02-01", "2024-03-01"], y=[1.0, 2.0, 4.0])
    cutoffs = _scored(cutoff=pd.Timestamp("2024-03-01"))
    assert tc.metrics.mase(cutoffs, text, season_length=1)["mase"].notna().any()


def test_infinite_values_score_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = tc.metrics.smape(_scored(y=[np.inf, 1.0, 2.0], mean=[np.inf, 1.0, 2.0]))
    assert out["smape"].isna().iloc[0]


def test_stock_shortfall_is_never_below_zero_even_with_returns():
    # demand that can be negative (returns) gave a negative expected shortfall per period
    fc = _forecast().assign(
        mean=[100.0, -50.0, 100.0], **{"lo-80": [80.0, -70.0, 80.0], "hi-80": [120.0, -30.0, 120.0]}
    )
    stock = pd.DataFrame({"unique_id": "a", "ds": [pd.Timestamp("2024-12-01")], "supply": [0.0]})
    gaps = tc.supply_gaps(fc, stock, kind="stock", nonnegative=False)
    assert (gaps["expected_shortfall"] >= 0).all()
    assert gaps["expected_shortfall"].iloc[1] < 0.01  # a return in almost every draw
