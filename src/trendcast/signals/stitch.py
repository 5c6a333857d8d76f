"""Put overlapping Google Trends windows of one term on one scale.

Google rescales every download so that its highest point is 100, so two
downloads of the same term over different date ranges are on different
scales. Long histories at a fine granularity (daily data is only offered for
ranges up to about nine months) come as overlapping windows; a coarser
download over the whole span can anchor them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

import trendcast._frequency as freqs
from trendcast._frames import accepts_frames
from trendcast._validation import format_items
from trendcast.exceptions import DataValidationError

__all__ = ["StitchResult", "stitch_trends"]

logger = logging.getLogger(__name__)

_REQUIRED = ["ds", "term", "geo", "value"]
_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_ORDER = {"D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}

REPORT_COLUMNS = [
    "term",
    "geo",
    "kind",
    "source",
    "reference",
    "freq",
    "n_overlap",
    "n_used",
    "ratio",
    "residual",
]


class StitchResult(NamedTuple):
    """What [`stitch_trends`][trendcast.stitch_trends] returns; unpacks as a pair."""

    frame: pd.DataFrame
    """One series per (term, geo): ``ds, term, geo, value, freq``."""
    joins: pd.DataFrame
    """One row per join, see ``stitch_trends``."""


@accepts_frames
def stitch_trends(
    frames: pd.DataFrame | Sequence[pd.DataFrame],
    *,
    min_overlap: int = 4,
) -> StitchResult:
    """Put overlapping exports of the same term and place on one scale.

    For each (term, geo), windows of the same frequency are chained in date
    order: each window is multiplied by the ratio that best matches it to the
    series stitched so far on their common dates. The ratio is robust: the
    median of the log ratios, using only dates where both values are at least
    1 (zeros and ``<1`` carry no scale information). On the overlap the two
    rescaled values are averaged. When windows of several frequencies exist
    (daily inside weekly or monthly), the coarser series anchors the finer
    one: each coarse period's fine values are multiplied so that their mean
    equals the coarse value (periods the fine series only partly covers use
    the overall ratio). The result is at the finest frequency, over the
    span the finest windows cover, on the scale of the coarsest series;
    without a coarser anchor it is rescaled so its maximum is 100.

    Parameters
    ----------
    frames : DataFrame or list of DataFrames
        Outputs of [`read_google_trends`][trendcast.read_google_trends] (or
        ``read_search``). A single frame is split into windows by its
        ``source`` column; a list gives one window per frame and source.
    min_overlap : int
        Fewest usable common dates (both values >= 1) for a join.

    Returns
    -------
    StitchResult
        A named pair ``(frame, joins)``:

        - ``frame``: ``ds, term, geo, value, freq``, one series per
          (term, geo);
        - ``joins``: one row per join with ``term, geo, kind`` (``"overlap"``
          for windows of one frequency, ``"granularity"`` for a finer series
          anchored on a coarser one), ``source`` (window joined),
          ``reference`` (what it was matched to), ``freq``, ``n_overlap``
          (common dates or periods), ``n_used`` (those used for the ratio),
          ``ratio`` (the factor applied) and ``residual``: the median absolute
          relative error after rescaling on the points used (0.05 = the
          windows disagree by 5% at a typical common date).

    Raises
    ------
    DataValidationError
        For missing columns, or windows of one term that do not overlap by
        ``min_overlap`` usable dates (the message names them).

    Examples
    --------
    >>> import trendcast as tc
    >>> from trendcast.datasets import nl_google_trends_files
    >>> trends = tc.read_google_trends(nl_google_trends_files()[:1])
    >>> a = trends[trends["ds"] < "2023-01-01"].assign(source="a")
    >>> b = trends[trends["ds"] >= "2022-01-01"].assign(source="b", value=lambda d: d["value"] / 2)
    >>> stitched, joins = tc.stitch_trends([a, b])
    >>> float(joins["ratio"].iloc[0])
    2.0
    """
    windows = _windows(frames)
    out: list[pd.DataFrame] = []
    report: list[dict[str, object]] = []
    keys = sorted({(t, g) for w in windows for t, g in w.groups})
    for term, geo in keys:
        by_freq: dict[str, list[tuple[str, pd.Series]]] = {}
        for w in windows:
            if (term, geo) in w.groups:
                series = w.groups[(term, geo)]
                by_freq.setdefault(w.freq, []).append((w.source, series))
        chained = {
            f: _chain(parts, term, geo, f, min_overlap, report) for f, parts in by_freq.items()
        }
        order = sorted(chained, key=lambda f: _ORDER[freqs.kind_of(f)])
        fine = order[0]
        series = chained[fine]
        if len(order) > 1:
            coarse = order[-1]
            anchor = chained[coarse]
            for mid in reversed(order[1:-1]):  # anchor step by step: monthly -> weekly -> daily
                anchor = _anchor(chained[mid], anchor, mid, coarse, term, geo, report)
                coarse = mid
            series = _anchor(series, anchor, fine, coarse, term, geo, report)
        else:
            top = series.max()
            if top > 0:
                series = series * (100.0 / top)
        out.append(
            pd.DataFrame(
                {
                    "ds": series.index,
                    "term": term,
                    "geo": geo,
                    "value": series.to_numpy(),
                    "freq": fine,
                }
            )
        )
    frame = pd.concat(out, ignore_index=True)
    for col in ("term", "geo", "freq"):
        frame[col] = frame[col].astype(object)
    joins = pd.DataFrame(report, columns=REPORT_COLUMNS)
    return StitchResult(frame=frame, joins=joins)


class _Window(NamedTuple):
    source: str
    freq: str
    groups: dict[tuple[str, str], pd.Series]


def _windows(frames: pd.DataFrame | Sequence[pd.DataFrame]) -> list[_Window]:
    items = [frames] if isinstance(frames, pd.DataFrame) else list(frames)
    if not items:
        raise DataValidationError(
            "No search frame was given to stitch. Expected read_google_trends output. "
            "Fix: pass at least two overlapping exports."
        )
    windows: list[_Window] = []
    for i, df in enumerate(items):
        if not isinstance(df, pd.DataFrame):
            raise DataValidationError(
                f"Item {i} is a {type(df).__name__}, not a DataFrame. Expected frames from "
                "read_google_trends. Fix: read the files first."
            )
        missing = [c for c in _REQUIRED if c not in df.columns]
        if missing:
            raise DataValidationError(
                f"In the input frame {i}: missing column(s) {format_items(missing)}. Expected "
                f"the columns of read_google_trends ({', '.join(_REQUIRED)}); found "
                f"{format_items(df.columns)}. Fix: read the exports with tc.read_google_trends."
            )
        df = df.copy()
        if "source" not in df.columns:
            df["source"] = f"frame-{i}"
        if "below_one" in df.columns:  # '<1' says 'some interest', not how much
            df.loc[df["below_one"].astype(bool), "value"] = 0.0
        for source, part in df.groupby("source", sort=False):
            name = f"{source}" if len(items) == 1 else f"{source}#{i}"
            groups: dict[tuple[str, str], pd.Series] = {}
            found: set[str] = set()
            for (term, geo), g in part.groupby(["term", "geo"], sort=True):
                s = g.set_index("ds")["value"].astype(float).sort_index()
                if s.index.has_duplicates:
                    raise DataValidationError(
                        f"In window '{name}': term {term!r} ({geo}) has repeated dates. "
                        "Expected one value per date in a window. Fix: give each export its "
                        "own source (read the files separately or keep the 'source' column)."
                    )
                groups[(str(term), str(geo))] = s
                if len(s) >= 2:
                    f = freqs.infer_freq(pd.Series(s.index), pd.Series(np.zeros(len(s))))
                    if f is not None:
                        found.add(f)
            if len(found) != 1:
                raise DataValidationError(
                    f"In window '{name}': the frequency cannot be told "
                    f"({'several: ' + format_items(sorted(found)) if found else 'too few dates'})."
                    " Expected one daily, weekly or monthly export per source. Fix: keep one "
                    "export per 'source' value."
                )
            windows.append(_Window(name, found.pop(), groups))
    return windows


def _ratio(ref: pd.Series, new: pd.Series) -> tuple[int, int, float, float]:
    """Fit ``ref ~ ratio * new`` on common dates; return counts, ratio and residual."""
    common = ref.index.intersection(new.index)
    a = ref.reindex(common).to_numpy(dtype=float)
    b = new.reindex(common).to_numpy(dtype=float)
    use = (a >= 1) & (b >= 1) & np.isfinite(a) & np.isfinite(b)
    n_used = int(use.sum())
    if n_used == 0:
        return len(common), 0, float("nan"), float("nan")
    logs = np.log(a[use]) - np.log(b[use])
    ratio = float(np.exp(np.median(logs)))
    residual = float(np.median(np.abs(b[use] * ratio / a[use] - 1.0)))
    return len(common), n_used, ratio, residual


def _chain(
    parts: list[tuple[str, pd.Series]],
    term: str,
    geo: str,
    freq: str,
    min_overlap: int,
    report: list[dict[str, object]],
) -> pd.Series:
    parts = sorted(parts, key=lambda p: (p[1].index.min(), -len(p[1])))
    name, stitched = parts[0]
    stitched = stitched.copy()
    names = [name]
    for name, series in parts[1:]:
        n_overlap, n_used, ratio, residual = _ratio(stitched, series)
        if n_used < min_overlap:
            raise DataValidationError(
                f"Term {term!r} ({geo or 'no place'}), {freq}: window '{name}' shares "
                f"{n_overlap} dates with {format_items(names)}, {n_used} of them usable "
                f"(both values >= 1). Expected at least {min_overlap} common dates with "
                "interest on both sides to fit the scale. Fix: download windows that overlap "
                "more (e.g. by a month), or lower min_overlap."
            )
        scaled = series * ratio
        both = pd.concat([stitched, scaled], axis=1)
        stitched = both.mean(axis=1)
        report.append(
            {
                "term": term,
                "geo": geo,
                "kind": "overlap",
                "source": name,
                "reference": " + ".join(names),
                "freq": freq,
                "n_overlap": n_overlap,
                "n_used": n_used,
                "ratio": ratio,
                "residual": residual,
            }
        )
        names.append(name)
    stitched.attrs["names"] = names
    return stitched


def period_start(dates: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """The start of the ``freq`` period that holds each date (period-start labels).

    Weekly periods start on the anchor weekday (``W-SUN``: Sunday); quarters
    and years start in the anchor month (``QS-FEB``: Feb, May, Aug, Nov;
    ``QE-DEC`` and ``QS-JAN``: Jan, Apr, Jul, Oct).
    """
    dates = pd.DatetimeIndex(dates).normalize()
    kind = freqs.kind_of(freq)
    if kind == "D":
        return dates
    if kind == "W":
        anchor = _WEEKDAYS.index(freq.split("-")[1])
        back = (dates.day_of_week - anchor) % 7
        return dates - pd.to_timedelta(back, unit="D")
    months = dates.year * 12 + dates.month - 1
    size = {"M": 1, "Q": 3, "Y": 12}[kind]
    first = _start_month(freq) if kind != "M" else 0
    starts = months - ((months - first) % size)
    return pd.DatetimeIndex(
        pd.to_datetime({"year": starts // 12, "month": starts % 12 + 1, "day": 1})
    )


def _start_month(freq: str) -> int:
    """0-based month a quarter or year of ``freq`` starts in."""
    parts = freq.upper().split("-")
    month = _MONTHS.index(parts[1]) if len(parts) > 1 else (11 if "E" in parts[0] else 0)
    return (month + 1) % 12 if parts[0].endswith("E") else month


def period_end(start: pd.Timestamp, freq: str) -> pd.Timestamp:
    """The last day of the ``freq`` period starting at ``start``."""
    kind = freqs.kind_of(freq)
    if kind == "D":
        return start
    if kind == "W":
        return start + pd.Timedelta(days=6)
    months = {"M": 1, "Q": 3, "Y": 12}[kind]
    return start + pd.DateOffset(months=months) - pd.Timedelta(days=1)


def _anchor(
    fine: pd.Series,
    coarse: pd.Series,
    fine_freq: str,
    coarse_freq: str,
    term: str,
    geo: str,
    report: list[dict[str, object]],
) -> pd.Series:
    """Rescale ``fine`` so that its mean in each coarse period equals the coarse value."""
    fine = fine.sort_index()
    period = period_start(pd.DatetimeIndex(fine.index), coarse_freq)
    coarse_start = period_start(pd.DatetimeIndex(coarse.index), coarse_freq)
    coarse = pd.Series(coarse.to_numpy(), index=coarse_start)
    # a coarse period is complete when the fine series covers all of its fine periods
    expected = {
        p: len(pd.date_range(p, period_end(p, coarse_freq), freq=fine_freq))
        for p in pd.unique(period)
    }
    grouped = fine.groupby(period)
    means = grouped.mean()
    sizes = grouped.size()
    complete = [p for p in means.index if sizes[p] >= expected[p] and p in coarse.index]
    n_overlap, n_used, ratio, residual = _ratio(coarse.loc[complete], means.loc[complete])
    if n_used == 0:
        raise DataValidationError(
            f"Term {term!r} ({geo or 'no place'}): the {fine_freq} series and the "
            f"{coarse_freq} series share no complete {coarse_freq} period with interest on both "
            "sides. Expected the coarser export to cover the finer windows. Fix: download the "
            "coarser series over a range that includes the finer windows."
        )
    factor = pd.Series(ratio, index=means.index)
    for p in complete:
        if means[p] > 0 and coarse[p] > 0:
            factor[p] = coarse[p] / means[p]
    report.append(
        {
            "term": term,
            "geo": geo,
            "kind": "granularity",
            "source": f"{fine_freq} series",
            "reference": f"{coarse_freq} series",
            "freq": fine_freq,
            "n_overlap": n_overlap,
            "n_used": n_used,
            "ratio": ratio,
            "residual": residual,
        }
    )
    return fine * factor.reindex(period).to_numpy()
