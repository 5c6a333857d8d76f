"""Fuzz ``tc.metrics``: any evaluation frame gives one score per category or a TrendcastError."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

import trendcast as tc
from tests.fuzz.conftest import attempt, fuzz
from tests.fuzz.strategies import at_and_past, level_values, sales_frames, values_of

POINT = ["mae", "rmse", "smape", "wape"]
#: mase and rmsse need a season length (None is the forecaster's "from the frequency")
season_lengths = at_and_past([1, 2, 12], [10**6])
#: coverage and pinball_loss score one level, the one of the frame's interval columns
one_level = at_and_past([80], [95, 80.0, "80", (80,), 100])


@st.composite
def evaluation_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Actuals and forecasts per category (and cutoff), values of any kind, columns maybe absent."""
    n = draw(st.integers(0, 12))
    kinds = ["clean", "clean", "float", "negative", "object", "complex", "bool"]
    kind = draw(st.sampled_from(kinds))
    column = st.lists(values_of[kind], min_size=n, max_size=n)
    frame = pd.DataFrame(
        {
            "unique_id": draw(st.lists(st.sampled_from(["s0", "s1", "a"]), min_size=n, max_size=n)),
            "ds": pd.date_range("2024-01-01", periods=n, freq="MS"),
            "y": draw(column),
            "mean": draw(column),
            "lo-80": draw(column),
            "hi-80": draw(column),
        }
    )
    if draw(st.booleans()):
        frame["cutoff"] = pd.Timestamp("2023-12-01")
    if draw(st.integers(0, 5)) == 5:
        frame = frame.drop(columns=draw(st.sampled_from(list(frame.columns))))
    return frame


def check_scores(out: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert isinstance(out, pd.DataFrame)
    assert sorted(out["unique_id"]) == sorted(pd.unique(frame["unique_id"]))


@fuzz(400)
@given(frame=evaluation_frames(), name=st.sampled_from([*POINT, "coverage", "pinball_loss"]),
       level=one_level)  # fmt: skip
def test_point_and_interval_metrics(frame, name, level):
    func = getattr(tc.metrics, name)
    call = (lambda: func(frame, level)) if name in ("coverage", "pinball_loss") else (
        lambda: func(frame)
    )  # fmt: skip
    out = attempt(call, name)
    if out is not None:
        check_scores(out, frame)


@fuzz(180)
@given(
    frame=evaluation_frames(),
    train=sales_frames(),
    name=st.sampled_from(["mase", "rmsse", "evaluate"]),
    season_length=season_lengths,
    level=level_values,
)
def test_scaled_metrics_and_evaluate(frame, train, name, season_length, level):
    history, names = train
    history = history.rename(columns={names["id_col"]: "unique_id", names["time_col"]: "ds",
                                      names["target_col"]: "y"})  # fmt: skip
    if name == "evaluate":
        call = lambda: tc.metrics.evaluate(frame, history, season_length, level=level)  # noqa: E731
    else:
        call = lambda: getattr(tc.metrics, name)(frame, history, season_length)  # noqa: E731
    out = attempt(call, name)
    if out is not None:
        check_scores(out, frame)
        values = out.drop(columns="unique_id").to_numpy(dtype=float)
        assert not np.isneginf(values).any()
