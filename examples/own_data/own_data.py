"""From a company's own files to the report and the planner's workbook.

The inputs in ``examples/own_data/data/`` are shaped the way analysts and
planners export them (see ``tools/make_own_data_example.py``):

- ``sales_export.csv``: monthly sales of three categories, dates written day
  first (``01/06/2021`` is 1 June), thousands separators in quotes
  (``"80,982"``), one row exported twice, one id with a trailing space;
- ``supply_plan.xlsx``: the planner's wide sheet "Plan" (one column per
  category) next to a sheet of notes.

The script reads them (first without options, to show every problem in one
message), forecasts the next 12 months, compares the plan with the forecast
and writes ``report.html`` and ``plan_review.xlsx`` to the folder given as
first argument (default: a new temporary folder)::

    python examples/own_data/own_data.py trendcast-own-data
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import trendcast as tc

DATA = Path(__file__).resolve().parent / "data"
COLUMNS = {"id_col": "Category", "time_col": "Month", "target_col": "Sales"}


def _short(message: str) -> str:
    """A message with the data folder left out of file names."""
    return message.replace(str(DATA) + "/", "")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pd.set_option("display.width", 140)

    print("1. Read the export as it is:")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            tc.read_sales(DATA / "sales_export.csv", **COLUMNS)
        except tc.DataValidationError as err:
            print(_short(str(err)))
    for w in seen:
        print(f"  {w.category.__name__}: {_short(str(w.message))}")

    print("\n2. Read it with what the messages ask for:")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        sales = tc.read_sales(
            DATA / "sales_export.csv",
            **COLUMNS,
            dayfirst=True,
            thousands=",",
            duplicates="drop_identical",
            normalize_ids=True,
        )
    for w in seen:
        print(f"  {w.category.__name__}: {_short(str(w.message))}")
    print(sales.head(3).to_string(index=False))
    print(
        f"  {len(sales)} rows, {sales['Category'].nunique()} categories, freq {sales.attrs['freq']}"
    )

    print("\n3. Forecast the next 12 months:")
    forecaster = tc.TrendForecaster(models=tc.models.ETS(), n_jobs=1, **COLUMNS)
    forecast = forecaster.fit(sales).predict(12, level=(80, 95))
    print(
        forecast.head(3)
        .round(dict.fromkeys(["mean", "lo-80", "hi-80", "lo-95", "hi-95"], 0))
        .to_string(index=False)
    )

    print("\n4. Read the plan (wide sheet 'Plan' of an Excel workbook):")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tc.DataWarning)  # "read a wide table": said above
        plan = tc.read_supply(
            DATA / "supply_plan.xlsx", sheet="Plan", id_col="Category", time_col="Month"
        )
    print(plan.head(3).to_string(index=False))

    print("\n5. Compare the plan with the forecast:")
    gaps = tc.supply_gaps(forecast, plan, id_col="Category", time_col="Month", missing="error")
    summary = tc.summarize_gaps(gaps, history=sales, id_col="Category", time_col="Month",
                                target_col="Sales")  # fmt: skip
    print(
        summary[["rank", "Category", "flag", "max_p_short", "reason"]]
        .round(2)
        .to_string(index=False)
    )

    page = tc.report(
        out / "report.html",
        history=sales,
        forecast=forecast,
        gaps_summary=summary,
        gaps=gaps,
        title="Our three categories against the plan",
        unit="$ millions",
        id_col="Category",
        time_col="Month",
        target_col="Sales",
    )
    book = tc.to_excel(out / "plan_review.xlsx", summary=summary, gaps=gaps, forecast=forecast)
    print(f"\n6. Report: {page.name}; workbook: {book.name} (sheets summary, gaps, forecast)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()))
