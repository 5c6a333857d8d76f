"""Readers and validation of the data trendcast consumes."""

from trendcast.io.sales import FillPolicy, read_sales

__all__ = ["FillPolicy", "read_sales"]
