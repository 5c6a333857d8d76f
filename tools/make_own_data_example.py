"""Write the input files of examples/own_data/: sales and a plan shaped as company exports.

The numbers are the bundled US Census retail sales of three categories
($ millions, 2016-01 to the last month), written the way an analyst's export
writes them: a UK-style CSV (day-first dates, thousands separators in
quotes), one row exported twice, one category id with a trailing space on a
few rows; and the planner's wide Excel sheet of the next 12 months (the same
month last year +2%, one category a little under). Run once; the files are
committed::

    PYTHONPATH=src python tools/make_own_data_example.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import trendcast as tc

OUT = Path(__file__).resolve().parents[1] / "examples" / "own_data" / "data"
NAMES = {"441": "Motor vehicles", "448": "Clothing", "454": "Online retail"}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    sales = tc.datasets.load_us_retail(categories=list(NAMES))
    sales = sales[sales["ds"] >= "2016-01-01"].copy()
    sales["Category"] = sales["unique_id"].map(NAMES)
    export = pd.DataFrame(
        {
            "Category": sales["Category"],
            "Month": sales["ds"].dt.strftime("%d/%m/%Y"),
            "Sales": [f"{v:,.0f}" for v in sales["y"]],
        }
    ).reset_index(drop=True)
    export.loc[export.index[-3:], "Category"] = export.loc[export.index[-3:], "Category"] + " "
    export = pd.concat([export, export.iloc[[5]]], ignore_index=True)  # exported twice
    export.to_csv(OUT / "sales_export.csv", index=False)

    last = sales["ds"].max()
    months = pd.date_range(last + pd.offsets.MonthBegin(1), periods=12, freq="MS")
    plan = pd.DataFrame({"Month": months})
    for code, name in NAMES.items():
        one = sales[sales["unique_id"] == code].set_index("ds")["y"]
        growth = 0.97 if name == "Online retail" else 1.02
        plan[name] = np.round([one[m - pd.DateOffset(years=1)] * growth for m in months], 0)
    with pd.ExcelWriter(OUT / "supply_plan.xlsx") as book:
        pd.DataFrame({"Supply plan": ["units: $ millions of goods", "owner: planning"]}).to_excel(
            book, sheet_name="About", index=False
        )
        plan.to_excel(book, sheet_name="Plan", index=False)


if __name__ == "__main__":
    main()
