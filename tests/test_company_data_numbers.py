"""Numbers as company files write them: thousands separators, decimal commas, ';' and tabs."""

from __future__ import annotations

import pandas as pd
import pytest

import trendcast as tc


def _write(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


THOUSANDS = (
    'unique_id,ds,y\nshoes,2024-01-01,"1,150"\nshoes,2024-02-01,"1,230"\nshoes,2024-03-01,980\n'
)


def test_thousands_separators_in_a_file_are_refused_with_the_option_that_reads_them(tmp_path):
    path = _write(tmp_path, THOUSANDS)
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(path)
    msg = str(err.value)
    assert "column 'y': 2 demand values are not numbers (',' between thousands)" in msg
    assert "line 2" in msg and "Fix: pass thousands=','" in msg
    assert "pd.read_csv" not in msg


def test_thousands_separators_in_a_file_are_read_with_thousands(tmp_path):
    out = tc.read_sales(_write(tmp_path, THOUSANDS), thousands=",")
    assert out["y"].tolist() == [1150.0, 1230.0, 980.0]


def test_thousands_in_text_of_a_frame():
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": ["2024-01-01", "2024-02-01"], "y": ["1,150", "12"]}
    )
    assert tc.read_sales(frame, thousands=",")["y"].tolist() == [1150.0, 12.0]


def test_a_comma_that_is_not_a_thousands_group_is_not_dropped():
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": ["2024-01-01", "2024-02-01"], "y": ["1,15", "12"]}
    )
    with pytest.raises(tc.DataValidationError, match="1 demand value is not a number"):
        tc.read_sales(frame, thousands=",")


def test_european_numbers_with_semicolons(tmp_path):
    path = _write(
        tmp_path,
        "unique_id;ds;y\nshoes;2024-01-01;1.150,5\nshoes;2024-02-01;1.230,0\nshoes;2024-03-01;980,25\n",
    )
    with pytest.raises(tc.DataValidationError, match=r"pass thousands='\.' and decimal=','"):
        tc.read_sales(path)
    out = tc.read_sales(path, thousands=".", decimal=",")
    assert out["y"].tolist() == [1150.5, 1230.0, 980.25]


def test_decimal_comma_alone(tmp_path):
    path = _write(tmp_path, "unique_id;ds;y\nshoes;2024-01-01;12,5\nshoes;2024-02-01;13,25\n")
    with pytest.raises(tc.DataValidationError, match="decimal comma.*pass decimal=','"):
        tc.read_sales(path)
    assert tc.read_sales(path, decimal=",")["y"].tolist() == [12.5, 13.25]


def test_tab_separated_file_is_detected(tmp_path):
    path = _write(tmp_path, "unique_id\tds\ty\nshoes\t2024-01-01\t1\nshoes\t2024-02-01\t2\n")
    assert tc.read_sales(path)["y"].tolist() == [1.0, 2.0]


def test_sep_given(tmp_path):
    path = _write(tmp_path, "unique_id|ds|y\nshoes|2024-01-01|1\nshoes|2024-02-01|2\n", "s.txt")
    assert tc.read_sales(path, sep="|")["y"].tolist() == [1.0, 2.0]


def test_separator_detection_ignores_quoted_commas(tmp_path):
    path = _write(tmp_path, 'unique_id;ds;"y, units"\nshoes;2024-01-01;1\nshoes;2024-02-01;2\n')
    assert tc.read_sales(path, target_col="y, units")["y, units"].tolist() == [1.0, 2.0]


def test_currency_symbols_are_refused_naming_the_column(tmp_path):
    path = _write(
        tmp_path, "unique_id,ds,revenue\nshoes,2024-01-01,$1150\nshoes,2024-02-01,$1230\n"
    )
    with pytest.raises(tc.DataValidationError) as err:
        tc.read_sales(path, target_col="revenue")
    msg = str(err.value)
    assert "column 'revenue': 2 demand values are not numbers (a currency symbol or code)" in msg
    assert "without currency formatting" in msg


def test_currency_codes_and_euro_signs(tmp_path):
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": ["2024-01-01", "2024-02-01"], "y": ["1150 EUR", "€12"]}
    )
    with pytest.raises(tc.DataValidationError, match="currency symbol or code"):
        tc.read_sales(frame)


def test_units_are_refused_naming_the_column():
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": ["2024-01-01", "2024-02-01"], "qty": ["12 kg", "13 kg"]}
    )
    with pytest.raises(tc.DataValidationError, match=r"Column 'qty'.*\(a unit or a percent sign\)"):
        tc.read_sales(frame, target_col="qty")


@pytest.mark.parametrize(
    ("option", "value"),
    [("thousands", ",,"), ("decimal", ""), ("sep", 3)],
)
def test_bad_number_options_are_parameter_errors(tmp_path, option, value):
    path = _write(tmp_path, "unique_id,ds,y\na,2024-01-01,1\n")
    with pytest.raises(tc.ParameterError, match=option):
        tc.read_sales(path, **{option: value})


def test_same_thousands_and_decimal_mark_is_refused(tmp_path):
    path = _write(tmp_path, "unique_id,ds,y\na,2024-01-01,1\n")
    with pytest.raises(tc.ParameterError, match="same mark"):
        tc.read_sales(path, thousands=",", decimal=",")
