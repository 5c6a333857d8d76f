"""Hypothesis strategies of the fuzz layer: sales and forecast frames, and parameters.

Frames are built the way real ones go wrong: ids and column names of any text
(or numbers, None, mixed types), dates as datetimes, text, date objects,
periods, numbers or with a time zone, at the edges of pandas' range and past
them, values with NaN, infinities, negatives, complex numbers, text and
booleans, rows duplicated, dropped or shuffled, series of another frequency
or off their anchor, tiny and empty frames. About half the frames are clean,
so that the code behind validation is reached too.

Parameters are drawn at and past their limits: each strategy mixes valid
values (the limits included) with values just past them, of other types, and
absurdly large ones.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import trendcast as tc

# --- frames ---------------------------------------------------------------------------------

#: pandas period alias and how its dates are written (start or end of the period)
FREQUENCIES = {
    "D": ("D", "start"),
    "W-SUN": ("W-SUN", "end"),
    "MS": ("M", "start"),
    "ME": ("M", "end"),
    "QS-JAN": ("Q-DEC", "start"),
    "YS-JAN": ("Y-DEC", "start"),
}
STARTS = ["2019-01-01"] * 6 + ["1995-07-01", "2024-12-01", "1677-10-01", "2261-06-01", "1500-01-01"]
OUTPUT_NAMES = ["mean", "model", "lo-80", "hi-95", "cutoff", "path"]

column_names = st.one_of(
    st.sampled_from(["unique_id", "ds", "y"]),
    st.text(max_size=6),
    st.sampled_from(OUTPUT_NAMES),
)


def _dates(freq: str, start: str, n: int) -> list[str]:
    """``n`` dates of ``freq`` from ``start`` as ISO text, past pandas' range if need be."""
    period, how = FREQUENCIES[freq]
    periods = pd.period_range(pd.Period(start, freq=period), periods=n, freq=period)
    return [p.asfreq("D", how=how).strftime("%Y-%m-%d") for p in periods]


def _as_dates(text: list[str], kind: str) -> list[Any] | pd.Series:
    """The dates written one way: datetimes, text, date objects, numbers, periods, zoned."""
    if kind == "text" or not text:
        return text
    if kind == "objects":
        return [datetime.date.fromisoformat(d) for d in text]
    if kind == "numbers":
        return [int(d.replace("-", "")) for d in text]
    try:
        stamps = pd.to_datetime(pd.Series(text), format="%Y-%m-%d")
    except (ValueError, OverflowError):  # past pandas' range: written as text then
        return text
    if kind == "periods":
        return stamps.dt.to_period("M")
    if kind == "zoned":
        return stamps.dt.tz_localize("UTC")
    return stamps


values_of = {
    "clean": st.floats(0, 1e6, allow_nan=False),
    "float": st.floats(allow_nan=True, allow_infinity=True),
    "int": st.integers(-(10**6), 10**20),
    "negative": st.floats(-1e6, 1e6, allow_nan=False),
    "complex": st.complex_numbers(max_magnitude=1e6, allow_nan=False),
    "object": st.one_of(
        st.floats(0, 100), st.text(max_size=4), st.none(), st.booleans(), st.just("1,234")
    ),
    "bool": st.booleans(),
    "huge": st.sampled_from([1e300, 1.7e308, 1e-300, 0.0]),
}

ids_of = {
    "text": st.text(max_size=6),
    "int": st.integers(-3, 10**12),
    "mixed": st.one_of(st.text(max_size=3), st.integers(0, 3)),
    "float": st.floats(allow_nan=True),
    "none": st.one_of(st.none(), st.text(max_size=2)),
}


@st.composite
def sales_frames(draw: st.DrawFn, *, clean: bool | None = None) -> tuple[pd.DataFrame, dict]:
    """A long sales frame and the column names it uses (``id_col``, ``time_col``, ``target_col``).

    Rare faults are drawn by the largest value of a range, so that hypothesis'
    simplest examples are the ordinary ones.

    ``clean=True`` gives a valid frame (regular dates, demand >= 0, default
    column names or other valid ones); ``None`` lets hypothesis choose.
    """
    if clean is None:
        clean = draw(st.booleans())
    if clean or draw(st.booleans()):
        names = draw(st.sampled_from([("unique_id", "ds", "y"), ("sku", "month", "units")]))
    else:  # any text, output names and repeats included
        names = tuple(draw(st.lists(column_names, min_size=3, max_size=3)))
    n_ids = draw(st.integers(0 if not clean else 1, 4))
    id_kind = "text" if clean else draw(st.sampled_from(list(ids_of)))
    keys = draw(st.lists(ids_of[id_kind], min_size=n_ids, max_size=n_ids, unique_by=repr))
    freq = draw(st.sampled_from(list(FREQUENCIES)))
    start = STARTS[0] if clean else draw(st.sampled_from(STARTS))
    rows: list[tuple[Any, str]] = []
    for key in keys:
        mixed = not clean and draw(st.integers(0, 5)) == 5  # a series of another frequency
        own = draw(st.sampled_from(list(FREQUENCIES))) if mixed else freq
        n = draw(st.integers(4 if clean else 0, 30))
        rows += [(key, d) for d in _dates(own, start, n)]
    value_kind = "clean" if clean else draw(st.sampled_from(list(values_of)))
    values = draw(st.lists(values_of[value_kind], min_size=len(rows), max_size=len(rows)))
    date_kind = (
        "datetimes"
        if clean
        else draw(st.sampled_from(["datetimes", "text", "objects", "numbers", "periods", "zoned"]))
    )
    dates = _as_dates([d for _, d in rows], date_kind)
    frame = pd.DataFrame({"_id": [k for k, _ in rows], "_ds": dates, "_y": values})
    if not clean:
        frame = _perturb(draw, frame)
    frame.columns = list(names)  # repeated names stay repeated: a frame can hold them
    if not clean and draw(st.booleans()):  # another column, of any name and values
        frame[draw(st.text(max_size=4)) or "x"] = draw(values_of["object"])
    return frame, {"id_col": names[0], "time_col": names[1], "target_col": names[2]}


def _perturb(draw: st.DrawFn, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows shuffled, duplicated or dropped, a date off its anchor, an index of repeats."""
    n = len(frame)
    if n and draw(st.booleans()):
        frame = frame.iloc[draw(st.permutations(range(n)))]
    if n and draw(st.booleans()):
        extra = draw(st.lists(st.integers(0, n - 1), max_size=3))
        frame = pd.concat([frame, frame.iloc[extra]])
    if n > 2 and draw(st.booleans()):
        frame = frame.drop(frame.index[draw(st.integers(1, n - 2))])
    if len(frame) and draw(st.integers(0, 3)) == 3:
        dates = frame["_ds"].astype(object).tolist()
        dates[0] = "2021-02-15"  # off the anchor of most frequencies
        frame = frame.assign(_ds=dates)
    if draw(st.booleans()):
        frame.index = [draw(st.sampled_from(["i", 0, None]))] * len(frame)
    return frame


# --- forecast and supply frames ----------------------------------------------------------------

bounds_of = {
    "normal": None,  # mean -/+ z sigma
    "edited": None,  # a normal forecast whose mean was moved
    "intermittent": None,  # bounds from zero
    "random": st.floats(allow_nan=True, allow_infinity=True),
    "text": st.one_of(st.text(max_size=3), st.floats(0, 10)),
}


@st.composite
def forecast_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A forecast frame: ``unique_id, ds, [model], mean, lo-<l>, hi-<l>``, consistent or not."""
    n_ids = draw(st.integers(1, 3))
    h = draw(st.integers(1, 6))
    freq = draw(st.sampled_from(["MS", "W-SUN", "D"]))
    dates = pd.date_range("2025-01-01", periods=h, freq=freq)
    kind = draw(st.sampled_from(["normal", "normal", "edited", "intermittent", "random", "text"]))
    levels = draw(st.lists(st.sampled_from([50, 80, 95, 99]), min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 8)) == 8:
        levels = []  # no interval at all
    frames = []
    for i in range(n_ids):
        mean = np.asarray(draw(st.lists(st.floats(0, 1e5), min_size=h, max_size=h)))
        sigma = mean * draw(st.floats(0, 1.5)) + draw(st.floats(0, 10))
        frame = pd.DataFrame({"unique_id": f"c{i}", "ds": dates, "model": "M", "mean": mean})
        for lv in sorted(levels):
            z = {50: 0.674, 80: 1.282, 95: 1.960, 99: 2.576}[lv]
            if bounds_of[kind] is not None:
                draws = st.lists(bounds_of[kind], min_size=2 * h, max_size=2 * h)
                both = draw(draws)
                frame[f"lo-{lv}"], frame[f"hi-{lv}"] = both[:h], both[h:]
            elif kind == "intermittent":
                frame[f"lo-{lv}"], frame[f"hi-{lv}"] = 0.0, z * sigma
            else:
                frame[f"lo-{lv}"], frame[f"hi-{lv}"] = mean - z * sigma, mean + z * sigma
        if kind == "edited":
            frame["mean"] = mean * draw(st.sampled_from([0.0, 0.3, 0.9, 1.1, 1.5, 4.0]))
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    if draw(st.integers(0, 8)) == 8:
        out = out.drop(columns=draw(st.sampled_from(list(out.columns))))
    if draw(st.integers(0, 8)) == 8:
        out = pd.concat([out, out.iloc[:1]])  # a (category, period) forecast twice
    return out


@st.composite
def supply_frames(draw: st.DrawFn, forecast: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A supply plan lined up with ``forecast`` (flow), or stock at the origin, perturbed."""
    ids = list(pd.unique(forecast["unique_id"])) if "unique_id" in forecast else ["c0"]
    dates = pd.DatetimeIndex(pd.unique(forecast["ds"])) if "ds" in forecast else []
    if kind == "stock" and len(dates):
        step = dates[1] - dates[0] if len(dates) > 1 else pd.Timedelta(days=31)
        dates = pd.DatetimeIndex([dates[0] - step, *dates[:: max(1, len(dates) // 2)]])
    rows = [(k, d) for k in ids for d in dates]
    values = st.one_of(st.floats(0, 1e5), st.floats(allow_nan=True), st.just(-1.0))
    bad = draw(st.integers(0, 3)) == 3
    supply = draw(st.lists(values if bad else st.floats(0, 1e5),
                           min_size=len(rows), max_size=len(rows)))  # fmt: skip
    frame = pd.DataFrame(
        {
            "unique_id": [k for k, _ in rows],
            "ds": [d for _, d in rows],
            "supply": supply,
            "price": draw(st.floats(0, 10)),
        }
    )
    if len(frame) and draw(st.integers(0, 6)) == 6:
        frame = frame.drop(frame.index[draw(st.integers(0, len(frame) - 1))])
    if draw(st.integers(0, 8)) == 8:
        frame = pd.concat([frame, frame.assign(unique_id="zz")])
    return frame


# --- parameters, at and past their limits --------------------------------------------------

ABSURD = [None, "x", "3", 1.5, -1, 0, True, float("nan"), float("inf"), [1], {}]


def at_and_past(valid: list[Any], past: list[Any]) -> st.SearchStrategy[Any]:
    """Valid values (their limits included) two times in three, else values past the limits."""
    good = st.sampled_from(valid)
    return st.one_of(good, good, st.sampled_from(past + ABSURD))


horizons = at_and_past([1, 2, 3, 12, 10_000], [10_001, 10**9])
level_values = at_and_past(
    [80, (80, 95), (50, 99), [95, 80, 80], (1,), (99,), ()],
    [(0,), (100,), (120,), (80.5,), (True,), ("80",), "80", 150],
)
n_paths_values = at_and_past([1, 2, 50], [10**9])
n_windows_values = at_and_past([1, 2, 3], [10**6])
step_sizes = at_and_past([None, 1, 2], [10**6])
season_lengths = at_and_past([None, 1, 4, 12, 52], [10**6])
selection_margins = at_and_past([0.0, 0.4, 0.999], [1.0, -0.1])
backtest_horizons = at_and_past([None, 1, 6, 10_000], [10_001])
backtest_windows = at_and_past([1, 3, 10_000], [10_001, 10**12])
fills = at_and_past(["error", "zero", "ffill", "interpolate"], ["bfill"])
freqs = at_and_past(
    [None, None, "D", "W", "W-SUN", "MS", "ME", "QS", "QE-DEC", "YS"], ["2MS", "h", "", 12]
)


@st.composite
def forecaster_params(draw: st.DrawFn) -> dict[str, Any]:
    """TrendForecaster parameters: all valid, or one of them at or past its limit."""
    valid = {
        "models": tc.models.Naive(),
        "freq": None,
        "fill": "error",
        "season_length": None,
        "selection_margin": 0.4,
        "backtest_horizon": None,
        "backtest_windows": 3,
        "calibration": "conformal",
    }
    strategies = {
        "models": models(),
        "freq": freqs,
        "fill": fills,
        "season_length": season_lengths,
        "selection_margin": selection_margins,
        "backtest_horizon": backtest_horizons,
        "backtest_windows": backtest_windows,
        "calibration": st.sampled_from(["conformal", None, "isotonic"]),
    }
    for name in draw(st.lists(st.sampled_from(list(strategies)), max_size=2, unique=True)):
        valid[name] = draw(strategies[name])
    return valid


def models() -> st.SearchStrategy[Any]:
    """Fast models, lists of them, and what is not a model."""
    fast = st.sampled_from(
        [tc.models.Naive(), tc.models.SeasonalNaive(), tc.models.WindowAverage(), tc.models.Drift()]
    )
    return st.one_of(
        fast,
        fast,
        st.lists(fast, min_size=1, max_size=3),
        st.sampled_from(["xgboost", None, 5, [], ["Naive"], tc.models.Naive]),
    )
