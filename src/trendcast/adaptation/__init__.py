"""Supply against forecast demand: shortfall probabilities, sizes, flags and reasons.

[`supply_gaps`][trendcast.supply_gaps] compares a supply plan (flow per period, or
stock on hand plus receipts) with the forecast demand distribution of each
category and period; [`summarize_gaps`][trendcast.summarize_gaps] ranks the
categories worst first and says why in one line. The demand distribution comes
from joint sample paths when given, else from the forecast intervals (see
``_distribution``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast.adaptation._distribution import (
    check_bounds,
    check_discrete,
    period_stats,
    quantile_grid,
    require_levels,
    warn_edits,
)
from trendcast.adaptation.gaps import supply_gaps
from trendcast.adaptation.plans import naive_supply_plan
from trendcast.adaptation.summary import summarize_gaps

__all__ = ["naive_supply_plan", "shortfall_stats", "summarize_gaps", "supply_gaps"]


@accepts_frames
def shortfall_stats(
    forecast: pd.DataFrame,
    supply: np.ndarray,
    *,
    nonnegative: bool = True,
    discrete: bool | Literal["auto"] = "auto",
) -> pd.DataFrame:
    """``p_short``, expected shortfall and expected excess for each forecast row.

    The demand distribution of each row is built from its interval bounds (true
    quantiles) and its mean, without taking the mean for the median, and always
    has that mean (see the docs page "Supply gaps").

    Parameters
    ----------
    forecast : DataFrame
        Rows with ``mean`` and at least one ``lo-<l>``/``hi-<l>`` pair.
    supply : array
        Supply for each row.
    nonnegative : bool
        Demand cannot fall below zero.
    discrete : bool or "auto"
        Read rows as counts of whole units: ``"auto"`` those whose bounds are
        whole numbers and whose mean is not, ``True`` every row with
        whole-number bounds, ``False`` none (as in
        [`supply_gaps`][trendcast.supply_gaps]).

    Returns
    -------
    DataFrame
        ``p_short`` = P(demand > supply), ``expected_shortfall`` =
        E[max(demand - supply, 0)], ``expected_excess`` = E[max(supply - demand, 0)].

    Raises
    ------
    DataValidationError
        When the forecast has no interval, or bounds that cannot be quantiles
        (missing or infinite, ``lo`` above ``hi``, intervals not nested).

    Warns
    -----
    DataWarning
        For rows whose mean lies outside their widest interval (a mean edited
        without its bounds): their distribution is moved to the new mean.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from trendcast.adaptation import shortfall_stats
    >>> fc = pd.DataFrame({"mean": [100.0], "lo-80": [80.0], "hi-80": [120.0]})
    >>> shortfall_stats(fc, np.array([100.0]))["p_short"].round(3).tolist()
    [0.5]
    """
    discrete = check_discrete(discrete)
    levels = require_levels(forecast)
    check_bounds(forecast, levels, [])
    warn_edits(forecast, levels, [])
    q, _ = quantile_grid(forecast, levels, 0.0 if nonnegative else None, discrete)
    s = np.asarray(supply, dtype=float)
    stats = period_stats(q.T, s)
    return pd.DataFrame(
        {k: stats[k] for k in ("p_short", "expected_shortfall", "expected_excess")},
        index=forecast.index,
    )
