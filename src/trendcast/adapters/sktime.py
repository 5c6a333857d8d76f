"""trendcast as an sktime forecaster: ``TrendcastForecaster`` in sktime pipelines and tuning.

It wraps a ``TrendForecaster`` for one series at a time (sktime broadcasts it
over panels and hierarchies), with point forecasts and prediction intervals,
and passes sktime's own ``check_estimator`` (``tests/test_sktime_adapter.py``).
Needs ``pip install "trendcast[sktime]"``.

Note: sktime 1.2 caps pandas below 3.1, so it cannot share an environment with
a pandas 3.1 install; ``make test-sktime`` runs the check in its own
environment (see docs/integrations.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from trendcast.exceptions import MissingDependencyError
from trendcast.forecaster import TrendForecaster

try:
    from sktime.forecasting.base import BaseForecaster
except ImportError:  # the module imports (docs, doctests); the class needs sktime
    BaseForecaster = object
    _HAS_SKTIME = False
else:
    _HAS_SKTIME = True

__all__ = ["TrendcastForecaster"]

_ORIGIN = pd.Timestamp("2000-01-01")


class TrendcastForecaster(BaseForecaster):
    """sktime interface to [`TrendForecaster`][trendcast.TrendForecaster].

    Parameters
    ----------
    models : "auto", a model, or a list of models
        As for ``TrendForecaster``.
    season_length : int, optional
        Periods per season; default from the frequency of a date index
        (12 for months...), 1 for an integer index.
    allow_negative : bool
        Let the series and forecasts be negative (sktime's series often are);
        ``False`` keeps trendcast's demand rule (clipped at zero).
    calibration : str or None
        As for ``TrendForecaster``.

    Notes
    -----
    A ``DatetimeIndex`` (with a frequency) or a ``PeriodIndex`` is passed on
    as dates; an integer index becomes consecutive days with no season unless
    ``season_length`` says otherwise. In-sample forecasts (``fh`` at or before
    the cutoff) are ``TrendForecaster.fitted_values``: NaN where the model
    has none (see there).

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> from trendcast.adapters.sktime import TrendcastForecaster
    >>> y = pd.Series([10.0, 12, 11, 13, 12, 14],
    ...               index=pd.period_range("2024-01", periods=6, freq="M"))
    >>> f = TrendcastForecaster(models=tc.models.Naive()).fit(y)
    >>> f.predict(fh=[1, 2]).tolist()
    [14.0, 14.0]
    """

    _tags = {
        "authors": ["trendcast developers"],
        "maintainers": ["trendcast developers"],
        "python_dependencies": ["trendcast"],
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
        "scitype:y": "univariate",
        "capability:exogenous": False,
        "requires-fh-in-fit": False,
        "capability:missing_values": False,
        "capability:pred_int": True,
        "capability:pred_int:insample": False,
        "capability:insample": True,
    }

    def __init__(
        self,
        models: Any = "auto",
        season_length: int | None = None,
        allow_negative: bool = True,
        calibration: str | None = "conformal",
    ) -> None:
        self.models = models
        self.season_length = season_length
        self.allow_negative = allow_negative
        self.calibration = calibration
        if not _HAS_SKTIME:
            raise MissingDependencyError(
                'TrendcastForecaster needs sktime: pip install "trendcast[sktime]"'
            )
        super().__init__()

    # ------------------------------------------------------------------ helpers
    def _dates(self, index: pd.Index) -> tuple[pd.DatetimeIndex, str]:
        """trendcast dates for ``index`` and their frequency."""
        if isinstance(index, pd.PeriodIndex):
            dates = index.to_timestamp(how="start")
            return dates, _start_freq(index.freqstr, dates[0])
        if isinstance(index, pd.DatetimeIndex):
            freq = index.freqstr or pd.infer_freq(index)
            if freq is not None:
                return index.tz_localize(None) if index.tz is not None else index, freq
        positions = np.asarray(index, dtype="int64")
        return pd.DatetimeIndex(_ORIGIN + pd.to_timedelta(positions, unit="D")), "D"

    def _frame(self, y: pd.Series) -> pd.DataFrame:
        dates, self._freq = self._dates(y.index)
        return pd.DataFrame({"unique_id": "y", "ds": dates, "y": y.to_numpy(dtype=float)})

    # ------------------------------------------------------------------ sktime hooks
    def _fit(self, y: pd.Series, X: pd.DataFrame | None = None, fh: Any = None) -> Any:
        frame = self._frame(y)
        season = self.season_length
        if (
            season is None
            and self._freq == "D"
            and not isinstance(y.index, pd.DatetimeIndex | pd.PeriodIndex)
        ):
            season = 1
        self.forecaster_ = TrendForecaster(
            models=self.models,
            freq=self._freq,
            season_length=season,
            allow_negative=self.allow_negative,
            calibration=self.calibration,
            n_jobs=1,
            progress=False,
        ).fit(frame)
        self._y_name = y.name
        return self

    def _steps(self, fh: Any) -> np.ndarray:
        return np.asarray(fh.to_relative(self.cutoff), dtype="int64")

    def _frame_for(self, fh: Any, level: list[int]) -> pd.DataFrame:
        """Forecast rows for the future steps of ``fh`` (in-sample steps get NaN)."""
        steps = self._steps(fh)
        ahead = steps[steps > 0]
        h = int(ahead.max()) if ahead.size else 1
        out = self.forecaster_.predict(h, level=level).reset_index(drop=True)
        return out

    def _predict(self, fh: Any, X: pd.DataFrame | None = None) -> pd.Series:
        steps = self._steps(fh)
        index = fh.to_absolute_index(self.cutoff)
        values = np.full(steps.size, np.nan)
        future = steps > 0
        if future.any():
            mean = self._frame_for(fh, [80])["mean"].to_numpy()
            values[future] = mean[steps[future] - 1]
        if (~future).any():
            fitted = self.forecaster_.fitted_values()["mean"].to_numpy()
            positions = fitted.size - 1 + steps[~future]
            inside = (positions >= 0) & (positions < fitted.size)
            past = np.full(positions.size, np.nan)
            past[inside] = fitted[positions[inside]]
            values[~future] = past
        return pd.Series(values, index=index, name=self._y_name)

    def _predict_interval(self, fh: Any, X: pd.DataFrame | None, coverage: list[float]) -> Any:
        steps = self._steps(fh)
        index = fh.to_absolute_index(self.cutoff)
        name = self._y_name if self._y_name is not None else 0
        columns = pd.MultiIndex.from_product([[name], coverage, ["lower", "upper"]])
        out = pd.DataFrame(np.nan, index=index, columns=columns)
        future = steps > 0
        if not future.any():
            return out
        levels = sorted({_level(c) for c in coverage})
        frame = self._frame_for(fh, levels)
        rows = steps[future] - 1
        for c in coverage:
            lv = _level(c)
            out.loc[index[future], (name, c, "lower")] = frame[f"lo-{lv}"].to_numpy()[rows]
            out.loc[index[future], (name, c, "upper")] = frame[f"hi-{lv}"].to_numpy()[rows]
        return out

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Fast settings for sktime's estimator checks."""
        from trendcast.models import Naive, SeasonalNaive

        return [{"models": Naive()}, {"models": SeasonalNaive(), "season_length": 2}]


def _level(coverage: float) -> int:
    """trendcast's whole-percent level for an sktime coverage (0.9 -> 90)."""
    level = int(round(float(coverage) * 100))
    if not 1 <= level <= 99 or abs(level - float(coverage) * 100) > 1e-9:
        from trendcast.exceptions import ParameterError

        raise ParameterError(
            f"coverage={coverage!r}: trendcast gives intervals at whole percents from 1 to 99"
        )
    return level


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _start_freq(period_freq: str, first: pd.Timestamp) -> str:
    """The frequency of a ``PeriodIndex``'s start dates, in trendcast's aliases."""
    base = period_freq.split("-")[0].upper()
    if base == "D":
        return "D"
    if base == "M":
        return "MS"
    if base.startswith("W"):
        return f"W-{_DAYS[first.dayofweek]}"
    if base.startswith("Q"):
        return f"QS-{_MONTHS[(first.month - 1) % 3]}"
    if base.startswith(("Y", "A")):
        return f"YS-{_MONTHS[first.month - 1]}"
    from trendcast.exceptions import ParameterError

    raise ParameterError(
        f"a PeriodIndex of frequency {period_freq!r}: trendcast forecasts daily, weekly, "
        "monthly, quarterly and yearly series"
    )
