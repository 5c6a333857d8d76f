"""``trendcast init``: a commented ``trendcast.toml`` that runs as is on the bundled data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from trendcast.datasets import load_us_retail, load_us_retail_sectors
from trendcast.demo import NATIONAL_TOTALS
from trendcast.job.errors import ConfigError

__all__ = ["TEMPLATE", "write_init"]

TEMPLATE = """\
# trendcast.toml: the nightly job (`trendcast run trendcast.toml`).
# Every key is described in the docs (docs/nightly.md); relative paths are
# relative to this file. Written by `trendcast init` for the bundled US Census
# retail data (monthly sales by kind of business, $ millions), copied to data/.

[store]
# SQLAlchemy URL: a SQLite file by default; PostgreSQL for deployments, e.g.
# url = "postgresql://trendcast@db.example.com:5432/trendcast"
# password_env = "TRENDCAST_DB_PASSWORD"   # the password, from the environment
url = "sqlite:///trendcast.sqlite"

[sales]
# a CSV, Parquet or Excel file, or an SQL query:
# query = "SELECT category, month, sales FROM sales"  and  url = "postgresql://..."
path = "data/sales.csv"
id_col = "unique_id"      # the category column
time_col = "ds"           # the period column
target_col = "y"          # the demand column
drop_stale = true         # leave out categories with no data in the latest period

# supply to compare the forecast with: plans (kind = "flow", per period) and
# inventories (kind = "stock", on hand at the forecast origin; receipts = a plan)
[[supply]]
name = "plan"
kind = "flow"
path = "data/plan.csv"    # the naive plan: same month last year + 2%
value_col = "supply"

[[supply]]
name = "inventory"
kind = "stock"
path = "data/inventories.csv"
value_col = "inventory"
receipts = "plan"

[hierarchy]
path = "data/sectors.csv" # one column per level, top first
levels = ["total", "sector", "category"]

[model]
models = "auto"           # or a list, e.g. ["ETS", "Theta", "SeasonalNaive"]
horizon = 12              # periods ahead
n_paths = 500             # sample paths per category (probabilities of shortage)
seed = 0
chunk_size = 50           # categories fitted (and checkpointed) together
refit = "monthly"         # "weekly", "monthly" or a number of runs; else update
cold_start = true         # a new category (down to one observation) is forecast too

[gaps]
threshold = 0.8           # p_short from which a period is short
persistence = 2           # consecutive short periods before a category is flagged
min_cover = 1.0           # inventory: flag cover below this many periods

[hotspots]
thresholds = {{ "100bn" = 1e5, "1tn" = 1e6 }}   # the data is in $ millions

[accuracy]
window = 12               # earlier runs scored each night
drift_margin = 0.5        # drift: recent MASE > backtest MASE x (1 + margin)
min_points = 3            # scored forecasts needed before drift is judged

[report]
path = "report-{{as_of}}.html"
title = "US retail sales: forecast against the naive plan"
unit = "$ millions"
exclude = [{exclude}]

[run]
max_failure_share = 0.2   # more failed categories than this: stored as partial, exit 3

[execution]
backend = "loky"          # this machine; "dask" or "tcp://scheduler:8786" for a cluster
n_jobs = 1
"""


def _plan(sales: pd.DataFrame, growth: float = 0.02) -> pd.DataFrame:
    """Same month last year x (1 + growth), over history and twelve months beyond."""
    plan = sales.assign(ds=sales["ds"] + pd.DateOffset(years=1))
    plan["supply"] = (plan.pop("y") * (1 + growth)).round(1)
    return plan[["unique_id", "ds", "supply"]]


def write_init(folder: Path, force: bool = False) -> list[Path]:
    """Write ``trendcast.toml`` and the bundled data as CSV files into ``folder``.

    Raises
    ------
    ConfigError
        When ``trendcast.toml`` exists there already (pass ``--force``).
    """
    config = folder / "trendcast.toml"
    if config.exists() and not force:
        raise ConfigError(
            f"{config} exists already; pass --force to overwrite it, or choose another DIR"
        )
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    sales, inventories = load_us_retail(with_inventories=True)
    files = {
        data / "sales.csv": sales,
        data / "plan.csv": _plan(sales),
        data / "inventories.csv": inventories,
        data / "sectors.csv": load_us_retail_sectors(),
    }
    for path, frame in files.items():
        frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    exclude = ", ".join(f'"{c}"' for c in NATIONAL_TOTALS)
    config.write_text(TEMPLATE.format(exclude=exclude), encoding="utf-8")
    return [config, *files]
