"""``progress="auto"`` draws a bar only on a terminal (issue 25): a job's log stays clean,
while ``progress=True`` still always draws one (tests/test_forecaster.py)."""

from __future__ import annotations

import io
import sys

import pandas as pd
import pytest

import trendcast as tc
from tests.conftest import make_panel


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_panel(n_series=2, n=30)


def test_auto_draws_nothing_when_stderr_is_not_a_terminal(panel, capsys):
    tc.TrendForecaster(models=tc.models.Naive(), progress="auto").fit(panel)
    assert "fitting" not in capsys.readouterr().err


def test_auto_draws_on_a_terminal_and_results_do_not_change(panel, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    a = tc.TrendForecaster(models=tc.models.Naive(), progress="auto").fit(panel).predict(2)
    monkeypatch.undo()
    assert "fitting" in terminal.getvalue()
    b = tc.TrendForecaster(models=tc.models.Naive()).fit(panel).predict(2)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("value", ["yes", 2.5, None])
def test_other_progress_values_are_refused(panel, value):
    with pytest.raises(tc.ParameterError, match="progress="):
        tc.TrendForecaster(models=tc.models.Naive(), progress=value).fit(panel)
