"""Search-trend processing: stitching exports, term-to-category mapping, lead-lag."""

from trendcast.signals.lead_lag import cross_correlation, lead_lag, lead_lag_analysis
from trendcast.signals.mapping import search_by_category
from trendcast.signals.stitch import StitchResult, stitch_trends

__all__ = [
    "StitchResult",
    "cross_correlation",
    "lead_lag",
    "lead_lag_analysis",
    "search_by_category",
    "stitch_trends",
]
