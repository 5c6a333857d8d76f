"""Hotspots and emerging, vectorised across categories, give what the loops gave.

The window sums of ``trendcast.hotspots`` (forecast totals, baselines, sales
acceleration, forecast growth) are computed for every category at once. The
reference is the per-category code they replaced (copied below from the
module at e7c5509, unchanged but for the names it imports): both run on odd
panels (one category, missing periods, zero-heavy series, NaN, short and
ragged forecasts, categories without history, a hierarchy, paths, monthly and
weekly) and their tables must be equal, dtypes and bits included.
"""

# ruff: noqa: E501
from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
import trendcast._frequency as freqs
import trendcast.hotspots  # the module (the package exports the function under its name)
from trendcast.hierarchy import Hierarchy

hs = sys.modules["trendcast.hotspots"]

_PERIOD_FREQ = hs._PERIOD_FREQ
_freq_kind = hs._freq_kind
_history_sum = hs._history_sum
_per_year = hs._per_year
_add_sectors = hs._add_sectors
count = hs.count
fail = hs.fail
format_items = hs.format_items
format_rows = hs.format_rows
require_columns = hs.require_columns
whole_number = hs.whole_number


# --------------------------------------------------------------------- the reference (e7c5509)
def _old_series(
    frame: pd.DataFrame, id_col: str, time_col: str, value_col: str
) -> dict[Any, pd.Series]:
    """Category -> values indexed by period number (consecutive integers), sorted."""
    kind = _freq_kind(frame[time_col], frame[id_col], f"column {time_col!r}")
    freq = _PERIOD_FREQ[kind]
    # the period numbers and values of every row at once, then one slice a category
    # (in the order groupby(sort=False) gives): a nightly run has thousands
    codes, keys = pd.factorize(frame[id_col], sort=False)
    numbers = freqs.period_number(pd.to_datetime(frame[time_col]), freq)
    values = pd.to_numeric(frame[value_col], errors="coerce").to_numpy(dtype=float)
    order = np.lexsort((numbers, codes))
    order = order[codes[order] >= 0]  # missing ids: no group, as groupby
    bounds = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    out = {}
    for i, key in enumerate(keys):
        rows = order[bounds[i] : bounds[i + 1]]
        out[key] = pd.Series(values[rows], index=numbers[rows])
    return out


def _old_baselines(
    table: pd.DataFrame,
    history: pd.DataFrame,
    hierarchy: Hierarchy | None,
    id_col: str,
    time_col: str,
    target_col: str,
) -> list[float]:
    """Per node of ``table``: its history on the same calendar periods, whole years earlier."""
    require_columns(
        history,
        [id_col, time_col, target_col],
        "the history",
        "pass the sales frame (id, time and target columns)",
    )
    hist = history[[id_col, time_col, target_col]].reset_index(drop=True)
    hist[time_col] = pd.to_datetime(hist[time_col])
    kind = _freq_kind(hist[time_col], hist[id_col], "the history")
    if hierarchy is not None:
        bottom = hist[hist[id_col].isin(hierarchy.bottom)]
        hist = hierarchy.aggregate(bottom, value_col=target_col, id_col=id_col, time_col=time_col)
    series = _old_series(hist, id_col, time_col, target_col) if len(hist) else {}
    freq = _PERIOD_FREQ[kind]
    shift = _per_year(kind) * np.ceil(table["periods"].to_numpy() / _per_year(kind))
    baselines = []
    starts = freqs.period_number(pd.DatetimeIndex(table["start"]), freq)
    for row, k, first in zip(table.itertuples(index=False), shift, starts, strict=True):
        numbers = np.arange(first, first + row.periods) - int(k)
        baselines.append(_history_sum(series.get(row.node), numbers))
    return baselines


def _old_window_totals(
    fc: pd.DataFrame,
    period: int | None,
    paths: Mapping[Any, np.ndarray] | None,
    level: int,
    hierarchy: Hierarchy | None,
    id_col: str,
    time_col: str,
) -> tuple[pd.DataFrame, dict[Any, Any]]:
    """Per node: totals over the first ``period`` forecast periods and their interval."""
    whole_number("period", period, none=True)
    fc = fc.sort_values([id_col, time_col], kind="stable")
    dup = fc.duplicated([id_col, time_col], keep=False).to_numpy()
    if dup.any():
        raise fail(
            "a (category, period) has more than one forecast",
            column=time_col,
            expected="one forecast per category and period",
            found=format_rows(fc.reset_index(drop=True), np.flatnonzero(dup), [id_col, time_col]),
            fix="keep one model's forecast per category",
        )
    node_level: dict[Any, Any] = {}
    if "level" in fc.columns:
        node_level.update(zip(fc[id_col], fc["level"], strict=True))
    groups = {k: g for k, g in fc.groupby(id_col, sort=False)}
    lo_col, hi_col = f"lo-{level}", f"hi-{level}"
    alpha = (100 - level) / 200
    rows: dict[Any, dict[str, Any]] = {}
    sums: dict[Any, np.ndarray] = {}
    for key, g in groups.items():
        h = len(g)
        p = min(12, h) if period is None else int(period)
        if p > h:
            raise fail(
                f"category {key!r} has {count(h, 'forecast period')}, fewer than period={p}",
                column=time_col,
                expected=f"at least {p} forecast periods",
                found=f"{h}",
                fix="forecast a longer horizon or pass a smaller period=",
            )
        w = g.iloc[:p]
        row = {
            "node": key,
            "total": float(w["mean"].sum()),
            "start": w[time_col].iloc[0],
            "end": w[time_col].iloc[-1],
            "periods": p,
        }
        if paths is not None and key in paths:
            arr = np.asarray(paths[key], dtype=float)
            if arr.ndim != 2 or arr.shape[1] < p:
                raise fail(
                    f"the paths of {key!r} do not cover the period",
                    expected=f"an array (n_paths, h) with h >= {p}",
                    found=f"shape {arr.shape}",
                    fix="pass TrendForecaster.sample_paths(h, output='arrays') for the same h",
                )
            sums[key] = arr[:, :p].sum(axis=1)
        elif paths is not None and hierarchy is None:
            raise fail(
                f"paths are missing for category {key!r}",
                expected="paths for every forecast category",
                found=f"paths for {format_items(list(paths))}",
                fix="sample the paths of every category",
            )
        if lo_col in w.columns:
            row["total_lo"] = float(w[lo_col].sum())
            row["total_hi"] = float(w[hi_col].sum())
        rows[key] = row
    if hierarchy is not None:
        _add_sectors(hierarchy, rows, sums, paths is not None)
        node_level.update(zip(hierarchy.nodes["unique_id"], hierarchy.nodes["level"], strict=True))
    for key, total in sums.items():
        rows[key]["total_lo"] = float(np.quantile(total, alpha))
        rows[key]["total_hi"] = float(np.quantile(total, 1 - alpha))
    table = pd.DataFrame(list(rows.values()))
    return table, node_level


def _old_sales_acceleration(
    series: dict[Any, pd.Series], window: int, per_year: int, id_col: str
) -> pd.DataFrame:
    """Per category: year-over-year log growth of the last ``window`` periods and a year before.

    The search and forecast columns are missing, to be filled in.
    """
    rows = []
    for key, y in series.items():
        last = int(y.index[-1])
        recent = np.arange(last - window + 1, last + 1)
        a = _history_sum(y, recent)
        b = _history_sum(y, recent - per_year)
        c = _history_sum(y, recent - 2 * per_year)
        g_recent = math.log(a / b) if a > 0 and b > 0 else math.nan
        g_earlier = math.log(b / c) if b > 0 and c > 0 else math.nan
        rows.append(
            {
                id_col: key,
                "sales_acceleration": g_recent - g_earlier,
                "growth_recent": g_recent,
                "growth_earlier": g_earlier,
                "search_trend": math.nan,
                "search_p": math.nan,
                "_search_z": math.nan,
                "forecast_growth": math.nan,
            }
        )
    return pd.DataFrame(rows)


def _old_forecast_growth(
    forecast: pd.DataFrame,
    series: dict[Any, pd.Series],
    window: int,
    kind: str,
    id_col: str,
    time_col: str,
) -> dict[Any, float]:
    """Per category: log of the forecast over its first ``window`` periods over a year before."""
    require_columns(
        forecast, [id_col, time_col, "mean"], "the forecast", "pass TrendForecaster.predict"
    )
    per_year = _per_year(kind)
    fc = forecast.assign(**{time_col: pd.to_datetime(forecast[time_col])})
    shift = per_year * math.ceil(window / per_year)
    growth = {}
    for key, g in fc.sort_values([id_col, time_col]).groupby(id_col, sort=False):
        w = g.iloc[:window]
        numbers = freqs.period_number(pd.DatetimeIndex(w[time_col]), _PERIOD_FREQ[kind]) - shift
        base = _history_sum(series.get(key), numbers)
        total = float(w["mean"].sum())
        growth[key] = math.log(total / base) if total > 0 and base > 0 else math.nan
    return growth


# --------------------------------------------------------------------- the comparisons
def _use_reference(m: pytest.MonkeyPatch) -> None:
    m.setattr(hs, "_window_totals", _old_window_totals)
    m.setattr(hs, "_baselines", _old_baselines)
    m.setattr(hs, "_histories", _old_series)
    m.setattr(hs, "_series", _old_series)
    m.setattr(hs, "_sales_acceleration", _old_sales_acceleration)
    m.setattr(hs, "_forecast_growth", _old_forecast_growth)


def _both(monkeypatch: pytest.MonkeyPatch, call: Any) -> tuple[Any, Any]:
    """The call's result (or error) with the module's code, then with the reference."""
    out = []
    for reference in (False, True):
        with monkeypatch.context() as m:
            if reference:
                _use_reference(m)
            try:
                out.append(call())
            except Exception as exc:  # the same error, word for word, is the same answer
                out.append((type(exc), str(exc)))
    return out[0], out[1]


def _same(monkeypatch: pytest.MonkeyPatch, call: Any) -> Any:
    new, old = _both(monkeypatch, call)
    if isinstance(old, tuple):
        assert new == old
        return new
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    # to the last bit, -0.0 and NaN included
    for col in new.columns:
        if new[col].dtype == np.float64:
            assert new[col].to_numpy().tobytes() == old[col].to_numpy().tobytes(), col
    return new


def _panel(
    n: int, periods: int, freq: str = "W-SUN", *, seed: int = 0, zeros: float = 0.0,
    nan: float = 0.0, drop: float = 0.0, int_ids: bool = False,
) -> pd.DataFrame:  # fmt: skip
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2019-01-06" if freq.startswith("W") else "2019-01-01", periods=periods,
                          freq=freq)  # fmt: skip
    y = rng.gamma(2.0, 50.0, (n, periods)) * np.linspace(1, 1.6, periods)
    y[rng.random((n, periods)) < zeros] = 0.0
    y[rng.random((n, periods)) < nan] = np.nan
    ids = np.arange(n) * 7 if int_ids else np.array([f"c{i:03d}" for i in range(n)])
    frame = pd.DataFrame({"unique_id": np.repeat(ids, periods), "ds": np.tile(dates, n),
                          "y": y.ravel()})  # fmt: skip
    keep = rng.random(len(frame)) >= drop
    keep[::periods] = True  # every category keeps its first period
    return frame[keep].reset_index(drop=True)


def _forecast(
    sales: pd.DataFrame, h: int, freq: str = "W-SUN", *, seed: int = 1, ragged: bool = False,
    nan: float = 0.0, extra: bool = False, shuffle: bool = False,
) -> pd.DataFrame:  # fmt: skip
    rng = np.random.default_rng(seed)
    end = sales["ds"].max()
    future = pd.date_range(end, periods=h + 1, freq=freq)[1:]
    ids = list(pd.unique(sales["unique_id"]))
    if extra:
        ids.append("no-history" if isinstance(ids[0], str) else 10**6)
    rows = []
    for i, key in enumerate(ids):
        n = max(1, h - (i % 5)) if ragged else h
        mean = rng.gamma(2.0, 60.0, n)
        mean[rng.random(n) < nan] = np.nan
        rows.append(pd.DataFrame({"unique_id": key, "ds": future[:n], "mean": mean,
                                  "lo-80": mean * 0.8, "hi-80": mean * 1.3}))  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    if shuffle:
        out = out.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return out


PANELS = {
    "one category": dict(n=1, periods=160),
    "weekly": dict(n=40, periods=170),
    "missing periods": dict(n=30, periods=170, drop=0.05),
    "zero-heavy": dict(n=30, periods=170, zeros=0.8),
    "NaN values": dict(n=30, periods=170, nan=0.03),
    "short history": dict(n=12, periods=40),
    "int ids": dict(n=15, periods=160, int_ids=True),
}
FORECASTS = {
    "plain": dict(h=13),
    "ragged": dict(h=13, ragged=True),
    "short": dict(h=5, ragged=True),
    "NaN means": dict(h=13, nan=0.2),
    "unknown category, shuffled": dict(h=13, extra=True, shuffle=True),
    "long": dict(h=140),
}


@pytest.mark.parametrize("forecast", list(FORECASTS))
@pytest.mark.parametrize("panel", list(PANELS))
def test_hotspots_equal_the_per_category_loop(monkeypatch, panel, forecast):
    sales = _panel(**PANELS[panel])
    fc = _forecast(sales, **FORECASTS[forecast])
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales))
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, thresholds={"a": 100, "b": 2000}))
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, period=3))
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, period=13))  # too long for some
    _same(monkeypatch, lambda: tc.hotspots(fc))


@pytest.mark.parametrize("forecast", list(FORECASTS))
@pytest.mark.parametrize("panel", list(PANELS))
def test_emerging_equals_the_per_category_loop(monkeypatch, panel, forecast):
    sales = _panel(**PANELS[panel])
    fc = _forecast(sales, **FORECASTS[forecast])
    _same(monkeypatch, lambda: tc.emerging(sales, forecast=fc))
    _same(monkeypatch, lambda: tc.emerging(sales, forecast=fc, window=4))
    _same(monkeypatch, lambda: tc.emerging(sales, forecast=fc, window=60))
    _same(monkeypatch, lambda: tc.emerging(sales))


def test_monthly_panels_with_search_and_paths(monkeypatch):
    sales = _panel(25, 50, "MS", drop=0.03, zeros=0.2)
    fc = _forecast(sales, 18, "MS", ragged=True, nan=0.05)
    dates = pd.date_range("2019-01-01", periods=50, freq="MS")
    rng = np.random.default_rng(3)
    search = pd.DataFrame({"unique_id": np.repeat([f"c{i:03d}" for i in range(0, 25, 2)], 50),
                           "ds": np.tile(dates, 13), "search": rng.gamma(3, 10, 13 * 50)})  # fmt: skip
    _same(monkeypatch, lambda: tc.emerging(sales, search=search, forecast=fc))
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, period=6))
    paths = {k: rng.gamma(4, 20, (300, 18)) for k in fc["unique_id"].unique()}
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, paths=paths, period=4))
    short = {**paths, "c003": paths["c003"][:, :2]}
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, paths=short, period=4))
    missing = {k: v for k, v in paths.items() if k != "c005"}
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, paths=missing))


def test_a_hierarchy_of_sectors(monkeypatch):
    sales = _panel(6, 120, drop=0.02)
    hier = Hierarchy.from_frame(
        pd.DataFrame(
            {"sector": ["s", "s", "t", "t", "t", "u"], "category": [f"c{i:03d}" for i in range(6)]}
        )
    )
    fc = _forecast(sales, 13)
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, hierarchy=hier))
    rng = np.random.default_rng(4)
    paths = {f"c{i:03d}": rng.gamma(4, 20, (200, 13)) for i in range(6)}
    _same(monkeypatch, lambda: tc.hotspots(fc, history=sales, hierarchy=hier, paths=paths))


def test_a_history_with_a_period_twice_fails_as_before(monkeypatch):
    sales = _panel(5, 120)
    twice = pd.concat([sales, sales.iloc[[130]]], ignore_index=True)
    fc = _forecast(sales, 13)
    new, old = _both(monkeypatch, lambda: tc.hotspots(fc, history=twice))
    assert new == old and isinstance(new, tuple)
    new, old = _both(monkeypatch, lambda: tc.emerging(twice, forecast=fc))
    assert new == old


def test_window_sums_at_every_length_are_the_sums_of_the_rows():
    # NumPy sums a row of a 2-D array as it sums the row alone (pairwise above 8 values)
    rng = np.random.default_rng(5)
    values = rng.normal(size=5000) * 10.0 ** rng.integers(-8, 9, 5000)
    values[rng.random(5000) < 0.01] = np.nan
    starts = rng.integers(0, 4000, 300)
    lengths = rng.integers(1, 700, 300)
    got = hs._head_sums(values, starts, lengths)
    want = [float(pd.Series(values[s : s + n]).sum()) for s, n in zip(starts, lengths, strict=True)]
    assert got.tobytes() == np.array(want).tobytes()


def test_the_flat_histories_are_the_per_category_series():
    sales = _panel(20, 90, drop=0.1, nan=0.05, int_ids=True)
    flat = hs._histories(sales, "unique_id", "ds", "y")
    old = _old_series(sales, "unique_id", "ds", "y")
    assert list(flat.keys) == list(old)
    for i, key in enumerate(flat.keys):
        pd.testing.assert_series_equal(flat.series(i), old[key])
    rng = np.random.default_rng(6)
    numbers = rng.integers(flat.numbers.min() - 5, flat.numbers.max() + 5, (400, 9))
    pos = rng.integers(-1, 20, 400)
    want = [
        _history_sum(old[flat.keys[p]] if p >= 0 else None, n)
        for p, n in zip(pos, numbers, strict=True)
    ]
    assert flat.sums_at(pos, numbers).tobytes() == np.array(want).tobytes()


def test_the_job_size_is_faster_than_the_loop():
    # the point of the change; a loose bound (shared machine): the loops took ~10x longer
    import time

    sales = _panel(1500, 160)
    fc = _forecast(sales, 13)
    start = time.perf_counter()
    tc.hotspots(fc, history=sales)
    tc.emerging(sales, forecast=fc)
    assert time.perf_counter() - start < 3.0
