"""read_search and read_baidu_index: long search data from any source, validated."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast import DataValidationError

DATA = Path(__file__).resolve().parents[1] / "data" / "gtrends"
BAIDU = DATA / "baidu_index_ibuprofen_fever_47cities_30d.jsonl"


def test_read_search_renames_and_validates():
    raw = pd.DataFrame(
        {
            "week": ["2024-01-14", "2024-01-07", "2024-01-07"],
            "kw": ["tents", "tents", "stoves"],
            "region": ["US", "US", "US"],
            "vol": [135, 120, 7],
        }
    )
    before = raw.copy()
    out = tc.read_search(raw, time_col="week", term_col="kw", value_col="vol", geo_col="region")
    pd.testing.assert_frame_equal(raw, before)
    assert out["term"].tolist() == ["stoves", "tents", "tents"]
    assert out["ds"].tolist() == pd.to_datetime(["2024-01-07", "2024-01-07", "2024-01-14"]).tolist()
    assert out.attrs["freq"] == "W-SUN"
    assert set(out["geo"]) == {"US"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns="value"), r"missing column 'value'"),
        (lambda d: d.iloc[0:0], r"no rows"),
        (lambda d: d.assign(value=["a", 1, 2]), r"search value is not a number.*row 0 \(line 2\)"),
        (lambda d: d.assign(value=[-1.0, 1, 2]), r"negative"),
        (lambda d: d.assign(ds=["2024-01-01", "2024-01-01", "2024-02-01"]), r"share a \(term"),
        (lambda d: d.assign(term=[None, "a", "a"]), r"1 row has no term"),
        (lambda d: d.assign(ds=["2024-01-01", "2024-02-01", "2024-03-05"]), r"not sit on"),
    ],
)
def test_read_search_errors_name_file_row_and_fix(tmp_path, change, message):
    good = pd.DataFrame(
        {"ds": ["2024-01-01", "2024-02-01", "2024-03-01"], "term": "a", "value": [1.0, 2.0, 3.0]}
    )
    path = tmp_path / "search.csv"
    change(good).to_csv(path, index=False)
    with pytest.raises(DataValidationError, match=message) as info:
        tc.read_search(path)
    assert "search.csv" in str(info.value) and "Fix:" in str(info.value)


def test_baidu_jsonl_with_day_numbers():
    df = tc.read_baidu_index(BAIDU, start="2022-11-22")
    assert df.attrs["freq"] == "D"
    assert set(df["term"]) == {"布洛芬", "发烧"}
    assert df["geo"].nunique() == 47
    assert df["ds"].min() == pd.Timestamp("2022-11-22")
    assert df["ds"].max() == pd.Timestamp("2022-12-21")
    first = json.loads(BAIDU.read_text(encoding="utf-8").splitlines()[0])
    row = df[(df["term"] == "布洛芬") & (df["geo"] == "济南") & (df["ds"] == "2022-11-22")]
    assert first == {"key_word": "布洛芬", "city": "济南", "date": 0, "index": 405}
    assert row["value"].tolist() == [405.0]
    assert len(df) == 2820


def test_baidu_day_numbers_need_start():
    with pytest.raises(DataValidationError, match=r"day numbers.*0 to 29.*start="):
        tc.read_baidu_index(BAIDU)


def test_baidu_wide_csv_and_device_and_list_keywords(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("日期,男装,女装\n2024-01-01,10,20\n2024-01-02,11,21\n", encoding="utf-8")
    df = tc.read_baidu_index(wide, geo="全国")
    assert set(df["term"]) == {"男装", "女装"} and set(df["geo"]) == {"全国"}
    assert df.loc[df["term"] == "女装", "value"].tolist() == [20.0, 21.0]
    records = pd.DataFrame(
        {
            "keyword": [["男装"], ["男装"], ["男装"], ["男装"]],
            "type": ["all", "all", "pc", "pc"],
            "date": ["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"],
            "index": ["100", "110", "40", "42"],
        }
    )
    pc = tc.read_baidu_index(records, device="pc")
    assert pc["value"].tolist() == [40.0, 42.0]
    with pytest.raises(DataValidationError, match=r"device='wise'.*'all', 'pc'"):
        tc.read_baidu_index(records, device="wise")


def test_baidu_bad_json_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(BAIDU.read_text(encoding="utf-8").splitlines()[0] + "\n{oops\n", "utf-8")
    with pytest.raises(DataValidationError, match=r"bad.jsonl', line 2: the line is not a JSON"):
        tc.read_baidu_index(path, start="2022-11-22")


def test_read_search_output_feeds_the_same_columns_as_google():
    baidu = tc.read_baidu_index(BAIDU, start="2022-11-22")
    google = tc.read_google_trends(DATA / "us_walmart_weekly.csv")
    assert list(baidu.columns) == list(google.columns)
    assert not baidu["below_one"].any() and np.isfinite(baidu["value"]).all()
