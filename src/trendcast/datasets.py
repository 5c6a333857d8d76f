"""Real example data shipped with trendcast.

The US Census Bureau's Monthly Retail Trade Survey (MRTS) is packaged as tidy,
long-format CSV files (public domain): monthly retail sales by kind of business
and, for nine of those categories, end-of-month inventories. All values are in
millions of US dollars and **not seasonally adjusted**. See
``trendcast/data/README.md`` for the source, coverage and what was trimmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Literal, overload

import pandas as pd

from trendcast.exceptions import DataValidationError

__all__ = [
    "load_nl_online_sales",
    "load_nl_search_mapping",
    "load_us_retail",
    "load_us_retail_categories",
    "load_us_retail_sectors",
    "nl_google_trends_files",
]

_SALES_FILE = "us_retail_sales.csv"
_INVENTORIES_FILE = "us_retail_inventories.csv"
_CATEGORIES_FILE = "us_retail_categories.csv"
_SECTORS_FILE = "us_retail_sectors.csv"


def _read_packaged_csv(name: str, value_column: str | None) -> pd.DataFrame:
    """Read one packaged CSV with fixed dtypes (works from a wheel or a zip)."""
    resource = resources.files("trendcast") / "data" / name
    with resource.open("r", encoding="utf-8") as fh:
        if value_column is None:
            frame = pd.read_csv(fh, dtype="string", keep_default_na=False)
        else:
            frame = pd.read_csv(
                fh,
                dtype={"unique_id": "string", "ds": "string", value_column: "float64"},
                keep_default_na=False,
            )
    if value_column is not None:
        frame["ds"] = pd.to_datetime(frame["ds"], format="%Y-%m-%d").astype("datetime64[ns]")
    return frame


def _normalize_categories(categories: Sequence[str] | None, valid: list[str]) -> list[str] | None:
    """Validate the requested category codes; return them without duplicates."""
    if categories is None:
        return None
    requested = [categories] if isinstance(categories, str) else list(categories)
    wanted = list(dict.fromkeys(str(code) for code in requested))
    unknown = [code for code in wanted if code not in set(valid)]
    if unknown:
        raise DataValidationError(
            f"Argument 'categories': unknown US retail category code(s) {unknown!r}. "
            f"Expected codes of the packaged Census MRTS data; valid codes are: "
            f"{', '.join(valid)}. "
            "Fix: pass codes as text exactly as listed (e.g. '441', '4411', '44000'); "
            "see trendcast.datasets.load_us_retail_categories() for descriptions."
        )
    return wanted


@overload
def load_us_retail(
    *, with_inventories: Literal[False] = ..., categories: Sequence[str] | None = ...
) -> pd.DataFrame: ...


@overload
def load_us_retail(
    *, with_inventories: Literal[True], categories: Sequence[str] | None = ...
) -> tuple[pd.DataFrame, pd.DataFrame]: ...


@overload
def load_us_retail(
    *, with_inventories: bool = ..., categories: Sequence[str] | None = ...
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]: ...


def load_us_retail(
    *, with_inventories: bool = False, categories: Sequence[str] | None = None
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Load monthly US retail sales (and optionally inventories) by kind of business.

    Real data of the US Census Bureau Monthly Retail Trade Survey (MRTS), not
    seasonally adjusted, in millions of US dollars (public domain; data updated
    15-Nov-2024). There are 64 sales series (Census category codes such as
    ``"44X72"`` retail and food services total, ``"441"`` motor vehicle and parts
    dealers, ``"4541"`` electronic shopping), most covering 1992-01 to 2024-09
    without gaps; a few start later or stop early where Census suppresses the
    values (see ``trendcast/data/README.md``). Inventories exist for nine
    categories.

    Parameters
    ----------
    with_inventories : bool, default False
        If True, also return the end-of-month inventories frame.
    categories : sequence of str, optional
        Census category codes to keep (a single code as ``str`` is accepted too).
        ``None`` (default) keeps every category. The inventories frame is filtered
        to the same codes, so it is empty when none of them has inventories.

    Returns
    -------
    pandas.DataFrame or tuple of pandas.DataFrame
        The sales frame in long format with columns ``unique_id`` (string, the
        Census category code), ``ds`` (datetime64, first day of the month) and
        ``y`` (float64, sales of that month in millions of USD). With
        ``with_inventories=True`` a tuple ``(sales, inventories)``, where
        ``inventories`` has columns ``unique_id``, ``ds`` and ``inventory``
        (float64, millions of USD). ``inventory`` is the stock at the **end** of
        the month ``ds`` (the row dated 2024-09-01 holds the inventory of
        2024-09-30). Rows are ordered by category (Census order), then by month;
        within each series the months are consecutive.

    Raises
    ------
    trendcast.exceptions.DataValidationError
        If ``categories`` contains a code that is not in the data. The message
        names the unknown codes and lists the valid ones.

    See Also
    --------
    load_us_retail_categories : Descriptions and parents of the category codes.

    Examples
    --------
    >>> from trendcast.datasets import load_us_retail
    >>> sales = load_us_retail(categories=["441", "4541"])
    >>> list(sales.columns)
    ['unique_id', 'ds', 'y']
    >>> sales.groupby("unique_id")["ds"].min().dt.strftime("%Y-%m").to_dict()
    {'441': '1992-01', '4541': '1992-01'}
    >>> sales, inventories = load_us_retail(with_inventories=True, categories=["452"])
    >>> list(inventories.columns)
    ['unique_id', 'ds', 'inventory']
    """
    sales = _read_packaged_csv(_SALES_FILE, "y")
    valid = list(pd.unique(sales["unique_id"]))
    wanted = _normalize_categories(categories, valid)
    if wanted is not None:
        sales = sales[sales["unique_id"].isin(wanted)].reset_index(drop=True)
    if not with_inventories:
        return sales
    inventories = _read_packaged_csv(_INVENTORIES_FILE, "inventory")
    if wanted is not None:
        inventories = inventories[inventories["unique_id"].isin(wanted)].reset_index(drop=True)
    return sales, inventories


def load_us_retail_categories() -> pd.DataFrame:
    """Describe the category codes of [`load_us_retail`][trendcast.datasets.load_us_retail].

    Returns
    -------
    pandas.DataFrame
        One row per sales series, in Census order, with string columns
        ``unique_id`` (Census category code), ``description`` (Census label
        without the code prefix, e.g. ``"Motor Vehicle and Parts Dealers"``) and
        ``parent`` (the enclosing category by NAICS code prefix, e.g. ``"441"``
        for ``"4411"``; empty string for totals, aggregates and 3-digit codes).
        Parent links express nesting only: the published children of a category
        do not necessarily add up to it.

    See Also
    --------
    load_us_retail : The sales and inventories themselves.

    Examples
    --------
    >>> from trendcast.datasets import load_us_retail_categories
    >>> cats = load_us_retail_categories()
    >>> list(cats.columns)
    ['unique_id', 'description', 'parent']
    >>> row = cats.set_index("unique_id").loc["4411"]
    >>> row["description"], row["parent"]
    ('Automobile Dealers', '441')
    """
    return _read_packaged_csv(_CATEGORIES_FILE, None)


def load_us_retail_sectors() -> pd.DataFrame:
    """A sector hierarchy over the US retail categories, for ``Hierarchy.from_frame``.

    Three levels: ``total`` (``"44X72"``, retail trade and food services),
    ``sector`` (seven groups chosen by trendcast, e.g. ``"Home and
    electronics"`` = furniture ``442``, electronics ``443`` and building
    materials ``444``) and ``category`` (the twelve 3-digit NAICS retail
    codes ``441`` to ``454`` plus food services ``722``). The Census data
    is coherent on this tree: the twelve retail codes sum exactly to
    ``44000`` and, with ``722``, to ``44X72`` in every month, so the
    aggregated total equals the published one. The grouping into sectors is
    trendcast's, not a Census classification.

    Returns
    -------
    pandas.DataFrame
        String columns ``total, sector, category``, one row per category.

    Examples
    --------
    >>> from trendcast.datasets import load_us_retail_sectors
    >>> mapping = load_us_retail_sectors()
    >>> list(mapping.columns), len(mapping)
    (['total', 'sector', 'category'], 13)
    >>> mapping.groupby("sector", sort=False)["category"].apply(list).iloc[0]
    ['441', '447']
    """
    return _read_packaged_csv(_SECTORS_FILE, None)


# --- Netherlands: Google Trends exports and CBS online sales by category ----------------

_NL_DIR = "nl_search"
_NL_SALES_FILE = "cbs_online_sales_turnover_index.csv"
#: CBS sector code -> the category folder of the search exports
_NL_SECTORS = {
    "B000625": "food_and_drugstore_items",
    "B000626": "consumer_electronics",
    "B000627": "clothes_and_fashion_items",
    "B000628": "other_non-food",
}


def nl_google_trends_files() -> list[Path]:
    """Paths of 40 real Google Trends exports (Dutch interface, Netherlands, monthly).

    Ten search terms for each of four retail categories, January 2019 to
    March 2025, exactly as downloaded (``Categorie: Alle categorieën``,
    ``Maand,iPhone: (Nederland)``). The folder of each file is its category.
    Source: ThijmenA/Knowledge-Engineering-Google-Trends-Data, CC BY 4.0; see
    ``trendcast/data/nl_search/README.md``.

    Examples
    --------
    >>> from trendcast.datasets import nl_google_trends_files
    >>> files = nl_google_trends_files()
    >>> len(files), files[0].parent.name, files[0].name
    (40, 'clothes_and_fashion_items', 'Adidas.csv')
    """
    root = resources.files("trendcast") / "data" / _NL_DIR
    return sorted(
        Path(str(f))
        for folder in root.iterdir()
        if folder.is_dir()
        for f in folder.iterdir()
        if f.name.endswith(".csv")
    )


def load_nl_search_mapping() -> pd.DataFrame:
    """The term-to-category table of the Dutch Google Trends exports.

    Returns
    -------
    DataFrame
        ``term`` (as the export header writes it, e.g. ``'aardbei'`` for the
        file ``Strawberry.csv``), ``category`` (the folder).

    Examples
    --------
    >>> from trendcast.datasets import load_nl_search_mapping
    >>> load_nl_search_mapping().head(2)
         term                   category
    0  Adidas  clothes_and_fashion_items
    1    Jurk  clothes_and_fashion_items
    """
    from trendcast.io.trends import read_google_trends

    rows: list[dict[str, str]] = []
    for path in nl_google_trends_files():
        terms = read_google_trends(path)["term"].unique()
        rows.extend({"term": str(t), "category": path.parent.name} for t in terms)
    return pd.DataFrame(rows, columns=["term", "category"])


def load_nl_online_sales(*, from_date: str | None = "2019-01-01") -> pd.DataFrame:
    """Monthly online-sales turnover index of Dutch retail, per category (CBS).

    Statistics Netherlands (CBS) StatLine, "online sales turnover index"
    (2015 = 100), for the four sectors that match the categories of
    [`nl_google_trends_files`][trendcast.datasets.nl_google_trends_files]:
    food and drugstore items, consumer electronics, clothes and fashion,
    other non-food. Monthly, March 2025 back to January 2014 for
    most sectors (CBS marks earlier months of some sectors as not available;
    those are left out).

    Parameters
    ----------
    from_date : str, optional
        First month kept (default: January 2019, where the search exports
        start); None keeps everything.

    Returns
    -------
    DataFrame
        ``unique_id`` (category), ``ds`` (month start), ``y`` (index).

    Examples
    --------
    >>> from trendcast.datasets import load_nl_online_sales
    >>> sales = load_nl_online_sales()
    >>> sales.groupby("unique_id").size().to_dict()["consumer_electronics"]
    75
    """
    resource = resources.files("trendcast") / "data" / _NL_DIR / _NL_SALES_FILE
    with resource.open("r", encoding="utf-8-sig") as fh:
        raw = pd.read_csv(fh, sep=";", dtype="string")
    raw.columns = [c.strip() for c in raw.columns]
    sector = raw["SectorBranchesSIC2008"].str.strip()
    keep = sector.isin(list(_NL_SECTORS)) & raw["Periods"].str.contains("MM", regex=False)
    raw = raw[keep]
    frame = pd.DataFrame(
        {
            "unique_id": sector[keep].map(_NL_SECTORS).astype(object).to_numpy(),
            "ds": pd.to_datetime(raw["Periods"].str.replace("MM", "-", regex=False), format="%Y-%m")
            .astype("datetime64[ns]")
            .to_numpy(),
            "y": pd.to_numeric(  # CBS writes '.' for "not available"
                raw["TurnoverIndicesOnlineSales_1"].str.strip(), errors="coerce"
            ).to_numpy(dtype=float),
        }
    ).dropna(subset=["y"])
    if from_date is not None:
        frame = frame[frame["ds"] >= pd.Timestamp(from_date)]
    return frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
