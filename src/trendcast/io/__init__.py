"""Readers and validation of the data trendcast consumes."""

from trendcast.io.sales import FillPolicy, read_sales
from trendcast.io.search import read_baidu_index, read_search
from trendcast.io.supply import read_supply
from trendcast.io.trends import read_google_trends

__all__ = [
    "FillPolicy",
    "read_baidu_index",
    "read_google_trends",
    "read_sales",
    "read_search",
    "read_supply",
]
