"""Issue 23: an update that refits a category whose search starts late keeps search.

With ``search_start="late"`` the candidates fed search are fitted on the span
the search covers. When a model's update failed, ``update`` refitted the
category on the whole history as if the search covered it: the search
candidates failed on the empty leading rows and the category silently lost
search (it fell back to a candidate without it). The refit now fits as
``fit`` does.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import trendcast as tc
from tests.conftest import LinearOnX
from tests.test_past_covariates import search_panel
from trendcast.exceptions import ModelFitError
from trendcast.models.base import ModelTags

GAP = 30


class BrokenOnceFitted(LinearOnX):
    """``LinearOnX`` with an update; the fitted instances told to fail it do."""

    family = "BrokenOnceFitted"

    def tags(self) -> ModelTags:
        return ModelTags(
            min_length=3, supports_exogenous=True, requires_exogenous=True, supports_update=True
        )

    def _update(self, y_all, X_all):
        if getattr(self, "fail_update", False):
            raise ModelFitError("this update cannot be done")
        self._fit(y_all, X_all)


def test_a_failed_update_refits_the_search_candidate_on_the_span_search_covers():
    df = search_panel(n=72, lag=1)
    df.loc[df.groupby("unique_id").cumcount() < GAP, "search"] = np.nan
    old, new = df[df["ds"] < "2024-06-01"], df[df["ds"] >= "2024-06-01"]
    fc = tc.TrendForecaster(
        models=[BrokenOnceFitted(), tc.models.Theta()],
        past_covariates={"search": 1},
        search_start="late",
    ).fit(old)
    assert fc.fit_report_["model_used"].str.startswith("BrokenOnceFitted").all()
    for wrapper in fc.models_.values():
        wrapper.model_.fail_update = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fc.update(new)
    assert any("fell back at update" in str(w.message) for w in caught)
    report = fc.fit_report_.set_index("unique_id")
    for key, g in df.groupby("unique_id"):
        used, reason = report.loc[key, "model_used"], report.loc[key, "reason"]
        # still fed search, fitted on the 42 periods search covers, and says why
        assert used.startswith("BrokenOnceFitted"), (key, used, reason)
        assert fc.models_[key].n_obs_ == 72 - GAP
        assert "at update: this update cannot be done; refitted" in reason
        assert f"search starts at period {GAP + 1} of 72" in reason
        a = 100 + 20 * int(key[1])
        mean = fc.predict(1, ids=[key])["mean"].iloc[0]
        assert mean == pytest.approx(a + 3 * g["search"].iloc[-1], abs=1.5)
