"""read_google_trends on real exports: every layout reads right, non-exports are refused clearly."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from trendcast import DataValidationError, DataWarning

DATA = Path(__file__).resolve().parents[1] / "data" / "gtrends"


def read(name: str, **kwargs) -> pd.DataFrame:
    return tc.read_google_trends(DATA / name, **kwargs)


def one(df: pd.DataFrame, term: str) -> pd.DataFrame:
    return df[df["term"] == term].reset_index(drop=True)


BELOW_ONE_GLP1 = {"monjauro": 147}  # every <1 cell of that file is monjauro (grep -c)

# (file, layout, freq, {(term, geo)}, first ds, last ds, rows per term)
CASES = [
    (
        "trends_lidl_bio_de_5y.csv",
        "classic",
        "W-SUN",
        {("lidl bio", "Germany")},
        "2021-01-17",
        "2026-01-18",
        262,
    ),
    (
        "test.csv",
        "classic",
        "W-SUN",
        {
            ("bio lebensmittel", "Berlin"),
            ("bio gemüse", "Berlin"),
            ("bio tomaten", "Berlin"),
            ("supermarkt berlin", "Berlin"),
            ("wochenmarkt berlin", "Berlin"),
        },
        "2025-01-19",
        "2026-01-18",
        53,
    ),
    (
        "us_glp1_ozempic_monjauro_wegovy_5y.csv",
        "classic",
        "W-SUN",
        {("ozempic", "United States"), ("monjauro", "United States"), ("wegovy", "United States")},
        "2020-11-22",
        "2025-11-23",
        262,
    ),
    (
        "us_chess_excel_resaved.csv",
        "classic",
        "W-SUN",
        {("chess", "United States")},
        "2020-03-15",
        "2021-02-28",
        51,
    ),
    (
        "fr_locale_corona_monthly.csv",
        "classic",
        "MS",
        {("Corona", "États-Unis")},
        "2004-01-01",
        "2025-12-01",
        264,
    ),
    (
        "fr_locale_michelob_ultra_monthly.csv",
        "classic",
        "MS",
        {("Michelob Ultra", "États-Unis")},
        "2004-01-01",
        "2025-12-01",
        264,
    ),
    (
        "cn_locale_toilet_paper_usa.csv",
        "classic",
        "W-SUN",
        {("toilet paper", "USA")},
        "2020-02-09",
        "2022-04-10",
        114,
    ),
    (
        "kr_locale_category_games.csv",
        "classic-category",
        "MS",
        {("게임", "대한민국")},
        "2008-04-01",
        "2025-12-01",
        213,
    ),
    (
        "tr_locale_turkey_hotels_weekly.csv",
        "classic",
        "W-SUN",
        {("Turkey Hotels", "Dünya Genelinde")},
        "2017-04-16",
        "2022-04-10",
        261,
    ),
    (
        "nl_locale_garden_furniture.csv",
        "classic",
        "MS",
        {("Tuinmeubel", "Nederland")},
        "2019-01-01",
        "2025-03-01",
        75,
    ),
    (
        "us_mens_skincare_newformat.csv",
        "new",
        "MS",
        {
            (f"men {t}", "")
            for t in [
                "moisturizer",
                "sunscreen",
                "cleanser",
                "acne",
                "toner",
                "retinol",
                "serum",
                "lip balm",
            ]
        },
        "2021-04-01",
        "2026-04-01",
        61,
    ),
    (
        "japan_travel_newformat.csv",
        "new",
        "MS",
        {
            (t, "")
            for t in [
                "Japan Travel",
                "France Travel",
                "Spain Travel",
                "America Travel",
                "World Travel",
            ]
        },
        "2004-01-01",
        "2026-04-01",
        268,
    ),
    ("trends_alnatura_de_5y.csv", "new", "MS", {("alnatura", "")}, "2021-02-01", "2026-02-01", 61),
    (
        "pytrends_genz_daily.csv",
        "pytrends",
        "D",
        {
            ("GenZ fashion", ""),
            ("GenZ tech", ""),
            ("GenZ lifestyle", ""),
            ("GenZ social media", ""),
        },
        "2025-08-27",
        "2025-11-27",
        93,
    ),
    (
        "bio_gemuese_de.csv",
        "pytrends",
        "W-SUN",
        {("bio gemüse", "")},
        "2021-01-17",
        "2026-01-18",
        262,
    ),
    (
        "ptp_trucks_suvs_category_no_preamble.csv",
        "classic-category",
        "MS",
        {("ptp_trucks_suvs_category_no_preamble", "United States")},
        "2004-01-01",
        "2020-06-01",
        198,
    ),
    (
        "ptp_gas_price_crlf_blank_preamble.csv",
        "classic",
        "MS",
        {("gas price", "United States")},
        "2004-01-01",
        "2020-06-01",
        198,
    ),
    (
        "ptp_category_blank_first_line.csv",
        "classic-category",
        "MS",
        {("ptp_category_blank_first_line", "United States")},
        "2004-01-01",
        "2020-06-01",
        198,
    ),
    (
        "insights_2011_trucks_suvs.csv",
        "insights-2011",
        "W-SUN",
        {("Trucks & SUVs", "United States")},
        "2004-01-04",
        "2011-08-28",
        400,
    ),
    ("ca_pytrends_categories_monthly.csv", "pytrends", "MS", None, "2004-02-01", "2022-01-01", 216),
]


@pytest.mark.parametrize(
    ("name", "layout", "freq", "series", "first", "last", "n"), CASES, ids=[c[0] for c in CASES]
)
def test_real_export_reads(name, layout, freq, series, first, last, n):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these needs an encoding guess
        df = read(name)
    assert list(df.columns) == ["ds", "term", "geo", "value", "below_one", "is_partial", "source"]
    assert df.attrs["freq"] == freq
    assert df.attrs["sources"][0]["layout"] == layout
    if series is not None:
        assert set(map(tuple, df[["term", "geo"]].drop_duplicates().to_numpy())) == series
    for _, g in df.groupby(["term", "geo"]):
        assert g["ds"].iloc[0] == pd.Timestamp(first)
        assert g["ds"].iloc[-1] == pd.Timestamp(last)
        assert len(g) == n
        assert g["ds"].is_monotonic_increasing
    assert df["value"].dtype == np.float64
    assert (df["source"] == name).all()


def test_values_match_the_file_lines():
    lidl = read("trends_lidl_bio_de_5y.csv")  # 2021-01-17,60 ... 2026-01-18,87
    assert lidl["value"].iloc[0] == 60 and lidl["value"].iloc[-1] == 87
    glp = read("us_glp1_ozempic_monjauro_wegovy_5y.csv")  # last line 2025-11-23,49,<1,23
    last = glp[glp["ds"] == "2025-11-23"].set_index("term")
    assert last.loc["ozempic", "value"] == 49 and last.loc["wegovy", "value"] == 23
    assert last.loc["monjauro", "value"] == 0.5 and bool(last.loc["monjauro", "below_one"])
    assert glp["below_one"].sum() == 147  # as counted in SOURCES.md
    assert glp.loc[glp["below_one"], "term"].value_counts().to_dict() == BELOW_ONE_GLP1
    games = read("kr_locale_category_games.csv")
    assert games["value"].iloc[:3].tolist() == [17, 18, 17]


def test_below_one_value_is_configurable_and_french_spaced_form_is_read():
    mich = read("fr_locale_michelob_ultra_monthly.csv", below_one=0.0)
    assert mich["below_one"].sum() == 2  # the French UI writes '< 1'
    assert (mich.loc[mich["below_one"], "value"] == 0.0).all()
    covid = read("cn_locale_covid_delta_world.csv")
    assert covid["below_one"].iloc[:4].all() and covid["value"].iloc[4] == 1


def test_insights_2011_is_relative_and_ignores_trailing_tables():
    ins = read("insights_2011_trucks_suvs.csv")
    assert ins["value"].iloc[0] == 0 and ins["value"].iloc[1] == pytest.approx(-0.07)
    assert (ins["value"] < 0).any()
    assert "chevy" not in set(ins["term"])  # 'Top searches' table is not a series
    assert ins["geo"].iloc[0] == "United States"


def test_legacy_encoding_is_guessed_with_a_warning_and_can_be_forced():
    with pytest.warns(DataWarning, match="cp1254"):
        df = read("tr_locale_iskur_zam_monthly_cp1254.csv")
    assert set(df["term"]) == {"işkur", "zam"} and set(df["geo"]) == {"Türkiye"}
    assert df.attrs["freq"] == "MS"
    assert one(df, "işkur")["value"].iloc[-1] == 37  # 2022-04,37,24
    forced = read("tr_locale_iskur_zam_monthly_cp1254.csv", encoding="cp1254")
    pd.testing.assert_frame_equal(forced, df)


def test_bom_crlf_and_utf16(tmp_path):
    text = (DATA / "us_walmart_weekly.csv").read_text(encoding="utf-8")
    reference = read("us_walmart_weekly.csv")
    for suffix, data in [
        ("bom", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("crlf", text.replace("\n", "\r\n").encode("utf-8")),
        ("utf16", text.encode("utf-16")),
        ("tabs", text.replace(",", "\t").encode("utf-8")),
    ]:
        path = tmp_path / f"walmart_{suffix}.csv"
        path.write_bytes(data)
        got = tc.read_google_trends(path)
        pd.testing.assert_frame_equal(
            got.drop(columns="source"), reference.drop(columns="source"), check_like=True
        )


def test_classic_daily_layout(tmp_path):
    daily = read("pytrends_genz_daily.csv")
    fashion = one(daily, "GenZ fashion")
    lines = ["Category: All categories", "", "Day,GenZ fashion: (Worldwide)"]
    lines += [f"{d.date()},{int(v)}" for d, v in zip(fashion["ds"], fashion["value"], strict=True)]
    path = tmp_path / "daily.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = tc.read_google_trends(path)
    assert got.attrs["freq"] == "D" and set(got["geo"]) == {"Worldwide"}
    np.testing.assert_array_equal(got["value"], fashion["value"])


def test_pytrends_dataframe_with_ispartial():
    csv = read("pytrends_genz_daily.csv")
    wide = csv.pivot(index="ds", columns="term", values="value")
    wide.index.name = "date"
    wide["isPartial"] = False
    wide.iloc[-1, -1] = True
    df = tc.read_google_trends(wide, geo="US")
    assert df.attrs["sources"][0]["layout"] == "pytrends"
    assert set(df["geo"]) == {"US"}
    assert df.loc[df["is_partial"], "ds"].unique().tolist() == [pd.Timestamp("2025-11-27")]
    merged = df.merge(csv, on=["ds", "term"])
    np.testing.assert_array_equal(merged["value_x"], merged["value_y"])


def test_pytrends_csv_with_ispartial(tmp_path):
    path = tmp_path / "pytrends.csv"
    path.write_text(
        "date,tents,isPartial\n2024-01-07,40,False\n2024-01-14,100,False\n2024-01-21,55,True\n",
        encoding="utf-8",
    )
    df = tc.read_google_trends(path)
    assert df["is_partial"].tolist() == [False, False, True]
    assert df.attrs["freq"] == "W-SUN"


def test_several_files_are_stacked_with_their_source():
    df = tc.read_google_trends(
        [DATA / "us_glp1_ozempic_glp1_weekly.csv", DATA / "us_glp1_ozempic_monjauro_wegovy_5y.csv"]
    )
    assert df.groupby("source")["term"].nunique().to_dict() == {
        "us_glp1_ozempic_glp1_weekly.csv": 2,
        "us_glp1_ozempic_monjauro_wegovy_5y.csv": 3,
    }


REFUSED = [
    ("us_glp1_geomap.csv", r"'Interest by region' export"),
    ("pytrends_no_index_ispartial.csv", r"saved without its date index"),
    ("eu_electric_vehicle_assembled.csv", r"does not look like a Google Trends export.*Jan-08"),
    ("elantra_not_export.csv", r"does not look like a Google Trends export.*ElantraSales"),
    ("ptp_merged_not_export.csv", r"does not look like a Google Trends export.*2004/01/01"),
    ("insights_first_week_no_header.csv", r"line 1: the dated lines have no header line"),
    ("ca_category_ids_not_export.csv", r"does not look like a Google Trends export.*CatNo"),
    ("nl_combined_not_export.csv", r"does not look like a Google Trends export"),
]


@pytest.mark.parametrize(("name", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_not_an_export_is_refused_with_file_and_reason(name, message):
    with pytest.raises(DataValidationError, match=message) as info:
        read(name)
    text = str(info.value)
    assert name in text and "Fix:" in text


def test_damaged_files_name_the_line(tmp_path):
    base = "Category: All categories\n\nWeek,tents: (US)\n2024-01-07,40\n"
    cases = {
        "value.csv": (base + "2024-01-14,lots\n", r"line 5, column 'tents: \(US\)': 'lots'"),
        "range.csv": (base + "2024-01-14,140\n", r"line 5.*'140' is not a search-interest"),
        "order.csv": (base + "2024-01-07,41\n", r"line 5: the date '2024-01-07' does not come"),
        "gap.csv": (
            base + "2024-01-14,41\n2024-01-21,42\n2024-02-04,43\n",
            r"line 7: the dates are not regular at '2024-02-04' \(1 period missing",
        ),
        "extra.csv": (base + "2024-01-14,41,7\n", r"line 5: the line has 3 fields"),
        "empty.csv": (base + "2024-01-14,\n", r"line 5.*the value is empty"),
        "hourly.csv": ("Time,tents\n2024-01-07T05,40\n", r"line 2: the export is hourly"),
        "blank.csv": ("\n\n", r"the file is empty"),
        "break.csv": (base + "\n2024-01-14,41\n", r"line 6: a dated line follows a break"),
        # found by the property test: a header of a date column and isPartial only
        "no-term.csv": ("<1,isPartial\n2024-01-07\n", r"line 1: the header names no term"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataValidationError, match=message):
            tc.read_google_trends(path)
    with pytest.raises(DataValidationError, match=re.escape("does not exist")):
        tc.read_google_trends(tmp_path / "missing.csv")
