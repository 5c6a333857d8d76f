"""The nightly job's fit report says, per category, whether an update kept the parameters."""

from __future__ import annotations

import pandas as pd

import trendcast as tc
from tests.conftest import make_panel
from trendcast.job.chunks import refit_at_update
from trendcast.job.run import _actions


class _NoUpdate(tc.models.Naive):
    """Naive that says it cannot run its state forward (as Prophet): update refits it."""

    family = "NoUpdate"

    def tags(self):
        return tc.models.ModelTags(min_length=2, supports_update=False)


def test_update_is_recorded_as_such_only_where_the_parameters_were_kept():
    panel = make_panel(n_series=3, n=60)
    keys = pd.Series(sorted(panel["unique_id"].unique()))
    theta = tc.TrendForecaster(models=tc.models.Theta()).fit(panel)
    assert refit_at_update(theta) == {}
    stateless = tc.TrendForecaster(models=_NoUpdate()).fit(panel)
    said = "update: NoUpdate refit on the whole history (it has no update)"
    assert refit_at_update(stateless) == {str(k): said for k in keys}
    meta = {"action": "update", "refit": {}, "no_update": refit_at_update(stateless)}
    assert _actions(meta, keys) == [said] * 3
    assert _actions({"action": "update", "refit": {}, "no_update": {}}, keys) == ["update"] * 3
    assert _actions({"action": "update", "refit": {}}, keys) == ["update"] * 3  # older rows
    # a category refit for its own reason says that reason; a fit night says fit
    meta["refit"] = {str(keys[0]): "history revised at 2023-12-01"}
    assert _actions(meta, keys)[:2] == ["history revised at 2023-12-01", said]
    assert _actions({"action": "fit", "refit": {}, "no_update": {}}, keys) == ["fit"] * 3


def test_small_artifacts_are_worked_on_in_the_jobs_process():
    from trendcast.job.chunks import IN_PROCESS_BYTES, in_process, to_bytes

    panel = make_panel(n_series=12, n=60)
    blob = to_bytes(tc.TrendForecaster(models=tc.models.Theta()).fit(panel))
    assert len(blob) < IN_PROCESS_BYTES * 12 and in_process(len(blob), 12)
    assert in_process(IN_PROCESS_BYTES * 3, 3) and not in_process(IN_PROCESS_BYTES * 3 + 1, 3)
    assert not in_process(IN_PROCESS_BYTES + 1, 0)  # an empty chunk counts as one
