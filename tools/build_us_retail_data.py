"""Regenerate trendcast's packaged US retail data from the raw Census MRTS "mf" file.

The US Census Bureau publishes the Monthly Retail Trade Survey (MRTS) in its
Economic Indicators time series as one "mf" CSV with several sections
(``CATEGORIES``, ``DATA TYPES``, ``ERROR TYPES``, ``GEO LEVELS``,
``TIME PERIODS``, ``NOTES``, ``DATA UPDATED ON``, ``DATA``).  This script turns
it into the compact, tidy files shipped in ``src/trendcast/data``:

* ``us_retail_sales.csv``        -- ``unique_id,ds,y`` (NSA sales, millions of USD)
* ``us_retail_inventories.csv``  -- ``unique_id,ds,inventory`` (NSA end-of-month
  inventories, millions of USD, dated by the first day of the month whose end
  they describe)
* ``us_retail_categories.csv``   -- ``unique_id,description,parent``
* ``README.md``                  -- provenance, units, coverage and what was trimmed

Only value rows (``et_idx == 0``; the error rows -- CVs and standard errors --
have ``dt_idx == 0`` and ``et_idx > 0``) that are not seasonally adjusted
(``is_adj == 0``) are used.  For every series the longest contiguous run of
valid values that ends at the series' last valid month is kept; a series whose
run is shorter than 36 months is dropped.

Usage (from the repository root)::

    .venv/bin/python tools/build_us_retail_data.py
    .venv/bin/python tools/build_us_retail_data.py --source PATH/TO/MRTS-mf.csv --out-dir DIR

The package itself never reads the raw file; only this script does.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "real" / "us_census_eits" / "MRTS-mf.csv"
DEFAULT_OUT_DIR = REPO_ROOT / "src" / "trendcast" / "data"

MIN_LENGTH = 36
"""Series whose kept run is shorter than this many months are dropped."""

MISSING_TOKENS = {"(S)": "suppressed", "NA": "not available", "Z": "rounds to zero"}
"""Census value markers that are not usable numbers (see the NOTES section)."""

# Parents of the Census aggregate codes that are not plain NAICS codes.  441X is
# NAICS 4411 + 4412 (both in 441); 72251X is the limited-service eating places
# (722513-722515, all in 7225).  Every other aggregate (44X72, 44Y72, 44Z72,
# 44W72, 44000, 4400A, 4400C GAFO, 4423X = 442 + 443) gets no parent.
AGGREGATE_PARENTS = {"441X": "441", "72251X": "7225"}

SECTION_NAMES = (
    "CATEGORIES",
    "DATA TYPES",
    "ERROR TYPES",
    "GEO LEVELS",
    "TIME PERIODS",
    "NOTES",
    "DATA UPDATED ON",
    "DATA",
)


# --------------------------------------------------------------------------- parsing


def read_sections(path: Path) -> dict[str, list[str]]:
    """Split the raw "mf" file into its named sections (lines, blanks removed)."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    with path.open(encoding="utf-8-sig") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if line in SECTION_NAMES:
                current = line
                sections[current] = []
            elif current is not None and line.strip():
                sections[current].append(line)
    missing = [
        name
        for name in ("CATEGORIES", "DATA TYPES", "TIME PERIODS", "DATA")
        if name not in sections
    ]
    if missing:
        raise ValueError(f"{path}: sections {missing} not found; is this a Census 'mf' file?")
    return sections


def section_frame(lines: list[str]) -> pd.DataFrame:
    """Parse a section whose first line is a CSV header; every column as text."""
    return pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Raw:
    categories: pd.DataFrame  # cat_idx, cat_code, cat_desc, description, parent
    periods: pd.Series  # per_idx (int) -> month start (Timestamp)
    data: pd.DataFrame  # the DATA section, per_idx/cat_idx/... as int, val as text
    updated_on: str
    data_types: dict[str, int]  # dt_code -> dt_idx


def strip_code_prefix(desc: str) -> tuple[str, str]:
    """Split ``"441: Motor Vehicle and Parts Dealers"`` into code and description."""
    code, sep, text = desc.partition(": ")
    if not sep:
        return "", desc.strip()
    return code.strip(), text.strip()


def naics_key(cat_code: str, desc_code: str) -> str | None:
    """Return the plain NAICS code of a category, or None for Census aggregates.

    Codes such as ``4521E`` or ``45330`` carry the NAICS code in their description
    (``4521``, ``4533``); codes with letters that are not single NAICS industries
    (``44X72``, ``4423X``, ``441X``...) and the retail total ``44000`` are aggregates.
    """
    if cat_code == "44000":
        return None
    if re.fullmatch(r"\d{3,6}", desc_code):
        return desc_code
    return None


def assign_parents(categories: pd.DataFrame) -> pd.Series:
    """Parent = the category whose NAICS code is the longest proper prefix of this one."""
    keys = {
        str(code): naics_key(str(code), str(desc_code))
        for code, desc_code in zip(categories["cat_code"], categories["desc_code"], strict=True)
    }
    by_key = {key: code for code, key in keys.items() if key is not None}
    parents: dict[str, str] = {}
    for code, key in keys.items():
        parent = AGGREGATE_PARENTS.get(code, "")
        if key is not None:
            for length in range(len(key) - 1, 2, -1):
                if key[:length] in by_key:
                    parent = by_key[key[:length]]
                    break
        parents[code] = parent
    return categories["cat_code"].map(parents)


def read_raw(path: Path) -> Raw:
    sections = read_sections(path)

    cats = section_frame(sections["CATEGORIES"])
    split = cats["cat_desc"].map(strip_code_prefix)
    cats["desc_code"] = [code for code, _ in split]
    cats["description"] = [text for _, text in split]
    cats["cat_idx"] = cats["cat_idx"].astype(int)
    cats["parent"] = assign_parents(cats)

    dts = section_frame(sections["DATA TYPES"])
    data_types = dict(zip(dts["dt_code"], dts["dt_idx"].astype(int), strict=True))

    per = section_frame(sections["TIME PERIODS"])
    periods = pd.Series(
        pd.to_datetime(per["per_name"], format="%b-%Y").to_numpy(),
        index=per["per_idx"].astype(int),
        name="ds",
    )
    if not (periods.diff().dropna().dt.days.between(28, 31)).all():
        raise ValueError("TIME PERIODS are not consecutive months")

    data = section_frame(sections["DATA"])
    for col in ("per_idx", "cat_idx", "dt_idx", "et_idx", "geo_idx", "is_adj"):
        data[col] = data[col].astype(int)
    # Error rows (CV / SE) have dt_idx == 0 and et_idx > 0; value rows the reverse.
    if not ((data["dt_idx"] == 0) == (data["et_idx"] > 0)).all():
        raise ValueError("unexpected DATA rows: dt_idx/et_idx do not separate values from errors")
    if data["geo_idx"].nunique() != 1:
        raise ValueError("expected a single geography (U.S. total)")

    updated = sections.get("DATA UPDATED ON", ["unknown"])[0].strip()
    return Raw(cats, periods, data, updated, data_types)


# --------------------------------------------------------------------------- series


@dataclass
class SeriesReport:
    code: str
    first_valid: pd.Timestamp
    last_valid: pd.Timestamp
    start: pd.Timestamp
    n_kept: int
    leading: str  # what precedes the first valid month ("" if it is the first month)
    trailing: str  # what follows the last valid month ("" if it is the last month)
    markers: dict[str, int]  # (S)/NA/Z counts over the whole series
    kept: bool
    cut_gaps: list[tuple[pd.Timestamp, pd.Timestamp]]  # internal gaps before the kept run


def extract(raw: Raw, dt_code: str, value_name: str) -> tuple[pd.DataFrame, list[SeriesReport]]:
    """Long NSA frame for one data type, with the contiguity rule applied."""
    dt_idx = raw.data_types[dt_code]
    sel = raw.data[
        (raw.data["dt_idx"] == dt_idx) & (raw.data["et_idx"] == 0) & (raw.data["is_adj"] == 0)
    ]
    if sel.duplicated(["per_idx", "cat_idx"]).any():
        raise ValueError(f"{dt_code}: duplicated (period, category) rows")
    bad = ~sel["val"].str.fullmatch(r"-?\d+(\.\d+)?") & ~sel["val"].isin(list(MISSING_TOKENS))
    if bad.any():
        raise ValueError(f"{dt_code}: unexpected values {sorted(set(sel.loc[bad, 'val']))[:10]}")

    last_period = int(sel["per_idx"].max())  # the data run to here; TIME PERIODS run longer
    grid = raw.periods.loc[:last_period]
    frames: list[pd.DataFrame] = []
    reports: list[SeriesReport] = []
    for cat in raw.categories.itertuples():
        rows = sel[sel["cat_idx"] == cat.cat_idx]
        if rows.empty:
            continue
        text = rows.set_index("per_idx")["val"].reindex(grid.index)
        values = pd.to_numeric(text.where(~text.isin(list(MISSING_TOKENS))), errors="raise")
        valid = values.notna().to_numpy()
        if not valid.any():
            continue
        positions = valid.nonzero()[0]
        last = int(positions[-1])
        start = last
        while start > 0 and valid[start - 1]:
            start -= 1
        n_kept = last - start + 1
        # Internal gaps (runs of invalid months between the first valid month and the
        # start of the kept run) that the rule cuts away.
        gaps: list[tuple[pd.Timestamp, pd.Timestamp]] = []
        i = int(positions[0])
        while i < start:
            if not valid[i]:
                j = i
                while not valid[j + 1]:
                    j += 1
                gaps.append((grid.iloc[i], grid.iloc[j]))
                i = j + 1
            else:
                i += 1
        markers = text.value_counts().reindex(list(MISSING_TOKENS)).dropna().astype(int)
        report = SeriesReport(
            code=str(cat.cat_code),
            first_valid=grid.iloc[int(positions[0])],
            last_valid=grid.iloc[last],
            start=grid.iloc[start],
            n_kept=n_kept,
            leading=explain_invalid(text.iloc[: int(positions[0])]),
            trailing=explain_invalid(text.iloc[last + 1 :]),
            markers={str(k): int(v) for k, v in markers.items()},
            kept=n_kept >= MIN_LENGTH,
            cut_gaps=gaps,
        )
        reports.append(report)
        if not report.kept:
            continue
        kept = values.iloc[start : last + 1]
        if (kept < 0).any():
            raise ValueError(f"{dt_code} {cat.cat_code}: negative values")
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": cat.cat_code,
                    "ds": grid.iloc[start : last + 1].to_numpy(),
                    value_name: kept.to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True), reports


def explain_invalid(text: pd.Series) -> str:
    """Summarise a run of invalid months: markers and months without a row."""
    if text.empty:
        return ""
    parts = [f"{n} x `{k}`" for k, n in text.value_counts().items()]
    absent = int(text.isna().sum())
    if absent:
        parts.append(f"{absent} without a row in the file")
    return ", ".join(parts)


# --------------------------------------------------------------------------- output


def write_long(frame: pd.DataFrame, path: Path, value_name: str) -> None:
    out = frame.copy()
    out["ds"] = out["ds"].dt.strftime("%Y-%m-%d")
    values = out[value_name]
    if (values == values.round()).all():
        out[value_name] = values.astype("int64")
    out.to_csv(path, index=False, lineterminator="\n")


def month(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m")


def describe_trims(
    reports: list[SeriesReport],
    full_start: pd.Timestamp,
    full_end: pd.Timestamp,
    descriptions: dict[str, str],
) -> list[str]:
    lines: list[str] = []
    for r in reports:
        notes = []
        label = f"`{r.code}` {descriptions[r.code]}"
        if not r.kept:
            gaps = "; ".join(f"{month(a)}..{month(b)}" for a, b in r.cut_gaps)
            lines.append(
                f"- **dropped** {label}: valid {month(r.first_valid)}..{month(r.last_valid)} "
                f"but the last contiguous run is only {r.n_kept} months "
                f"({month(r.start)}..{month(r.last_valid)}, after gap(s) {gaps}); "
                f"markers: {fmt_markers(r.markers)}"
            )
            continue
        if r.start > full_start:
            if r.cut_gaps:
                gaps = "; ".join(f"{month(a)}..{month(b)}" for a, b in r.cut_gaps)
                notes.append(
                    f"cut at internal gap(s) {gaps}; kept from {month(r.start)} "
                    f"(earlier data from {month(r.first_valid)} dropped)"
                )
            else:
                notes.append(f"starts {month(r.start)} (earlier months: {r.leading})")
        if r.last_valid < full_end:
            notes.append(f"ends {month(r.last_valid)} (later months: {r.trailing})")
        if notes:
            lines.append(f"- {label}: " + "; ".join(notes))
    return lines or ["- none"]


def fmt_markers(markers: dict[str, int]) -> str:
    if not markers:
        return "none"
    return ", ".join(f"{n} x `{k}`" for k, n in markers.items())


def write_readme(
    path: Path,
    *,
    raw: Raw,
    sales: pd.DataFrame,
    inv: pd.DataFrame,
    sales_reports: list[SeriesReport],
    inv_reports: list[SeriesReport],
    sizes: dict[str, int],
) -> None:
    descriptions = dict(zip(raw.categories["cat_code"], raw.categories["description"], strict=True))
    s_start, s_end = sales["ds"].min(), sales["ds"].max()
    i_start, i_end = inv["ds"].min(), inv["ds"].max()
    n_sales = sales["unique_id"].nunique()
    n_inv = inv["unique_id"].nunique()
    inv_codes = ", ".join(f"`{c}`" for c in inv["unique_id"].unique())
    table = "\n".join(
        f"| `{name}` | `{columns}` | {rows} | {sizes[name]} |"
        for name, columns, rows in (
            ("us_retail_sales.csv", "unique_id,ds,y", len(sales)),
            ("us_retail_inventories.csv", "unique_id,ds,inventory", len(inv)),
            ("us_retail_categories.csv", "unique_id,description,parent", n_sales),
        )
    )
    text = f"""# US retail sales and inventories (US Census Bureau MRTS)

Packaged data for `trendcast.datasets.load_us_retail()` and
`trendcast.datasets.load_us_retail_categories()`.

## Source and licence

- **US Census Bureau, Monthly Retail Trade Survey (MRTS)**, taken from the Census
  Economic Indicators time series full download (raw "mf" format, file `MRTS-mf.csv`),
  data updated on **{raw.updated_on}**.
  See <https://www.census.gov/retail/index.html> and
  <https://www.census.gov/econ/currentdata/>.
- Works of the US federal government: **public domain** (no copyright in the US).
- Only the layout was changed (raw Census "mf" -> long/tidy CSV); values are untouched.

## Files

| file | columns | rows | size (bytes) |
|---|---|---|---|
{table}

- `unique_id` is the Census category code exactly as in the raw file, e.g. `441`, `4411`,
  `44000` (retail trade total), `44X72` (retail trade and food services), `4521E`
  (department stores; Census code with an `E` suffix). Always read it as text
  (`4400A`, `441X` are codes too).
- `ds` is the first day of the month, `YYYY-MM-DD`.
- `y` (sales) and `inventory` are **millions of US dollars, current prices, NOT
  seasonally adjusted** (`is_adj = 0`). Only value rows (`et_idx = 0`) were used; the
  error rows of the file (coefficients of variation / standard errors, `dt_idx = 0`,
  `et_idx > 0`) and the seasonally adjusted rows were left out.
- Rows are ordered as the categories appear in the Census file, then by month.
- `description` is the Census category label without its code prefix.
- `parent` is the enclosing category **by NAICS code prefix** (e.g. `4411` -> `441`,
  `452112E` -> `4521E`), plus `441X` -> `441` and `72251X` -> `7225`; it is empty for
  the Census aggregates (`44X72`, `44Y72`, `44Z72`, `44W72`, `44000`, `4400A`, `4400C`,
  `4423X`) and for 3-digit codes. Parent links express nesting only: the published
  children of a parent do **not** necessarily sum to it (not every sub-industry is
  published, and `441X` = 4411 + 4412 overlaps its sibling `4411`).

## Coverage

- Sales: **{n_sales} series**, {month(s_start)} .. {month(s_end)} ({len(sales)} rows).
- Inventories: **{n_inv} series** ({inv_codes}), {month(i_start)} .. {month(i_end)}
  ({len(inv)} rows).
- The raw file's TIME PERIODS list runs to Dec-2024, but the data stop at
  {month(s_end)}.

### Inventory date convention

`inventory` is the **end-of-month** inventory (book value) reported by Census for a
month, and it is dated by the **first day of that same month**: the row
`ds = 2024-09-01` holds the inventory at the end of September 2024 (i.e. the stock on
2024-09-30), not the stock at the start of September. Sales and inventories of the same
`ds` therefore refer to the same calendar month (sales during it, stock at its end).

## What was trimmed

Rule: for each series keep the longest contiguous run of valid values that ends at the
series' last valid month (leading missing months are dropped; if a series has an
internal gap, only the part after the last gap is kept); if fewer than {MIN_LENGTH}
months remain the series is dropped. Invalid means a Census marker (`(S)` suppressed,
`NA` not available, `Z` rounds to zero) or a month without a row in the file.

Sales (series not listed cover {month(s_start)} .. {month(s_end)} completely):

{chr(10).join(describe_trims(sales_reports, s_start, s_end, descriptions))}

Inventories (series not listed cover {month(i_start)} .. {month(i_end)} completely):

{chr(10).join(describe_trims(inv_reports, i_start, i_end, descriptions))}

## Regenerate

From the repository root (needs the raw Census file, which is not part of the package):

```bash
.venv/bin/python tools/build_us_retail_data.py \\
    --source ../shared/data/real/us_census_eits/MRTS-mf.csv \\
    --out-dir src/trendcast/data
```
"""
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="raw MRTS-mf.csv")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="output folder")
    args = parser.parse_args(argv)

    raw = read_raw(args.source)
    sales, sales_reports = extract(raw, "SM", "y")
    inv, inv_reports = extract(raw, "IM", "inventory")

    kept_codes = list(sales["unique_id"].unique())
    cats = raw.categories.set_index("cat_code").loc[kept_codes, ["description", "parent"]]
    cats = cats.rename_axis("unique_id").reset_index()
    # A parent must itself be in the file; blank it otherwise.
    cats.loc[~cats["parent"].isin(kept_codes), "parent"] = ""
    if not set(inv["unique_id"]) <= set(kept_codes):
        raise ValueError("inventory categories without sales")

    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    write_long(sales, out / "us_retail_sales.csv", "y")
    write_long(inv, out / "us_retail_inventories.csv", "inventory")
    cats.to_csv(
        out / "us_retail_categories.csv",
        index=False,
        lineterminator="\n",
        quoting=csv.QUOTE_MINIMAL,
    )
    sizes = {
        name: (out / name).stat().st_size
        for name in ("us_retail_sales.csv", "us_retail_inventories.csv", "us_retail_categories.csv")
    }
    write_readme(
        out / "README.md",
        raw=raw,
        sales=sales,
        inv=inv,
        sales_reports=sales_reports,
        inv_reports=inv_reports,
        sizes=sizes,
    )

    dropped = [r.code for r in sales_reports + inv_reports if not r.kept]
    print(
        f"sales: {sales['unique_id'].nunique()} series, {len(sales)} rows, "
        f"{month(sales['ds'].min())}..{month(sales['ds'].max())}"
    )
    print(
        f"inventories: {inv['unique_id'].nunique()} series, {len(inv)} rows, "
        f"{month(inv['ds'].min())}..{month(inv['ds'].max())}"
    )
    print(f"dropped: {dropped or 'none'}")
    for name, size in sizes.items():
        print(f"{name}: {size} bytes")


if __name__ == "__main__":
    main()
