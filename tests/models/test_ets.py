"""ETS form search: the screening with heuristic starts and its fallback."""

from __future__ import annotations

import warnings

import numpy as np

from trendcast.models import ETS
from trendcast.models import ets as ets_module


def _full_search_best(y: np.ndarray, m: int) -> tuple:
    model = ETS(season_length=m)
    forms = ets_module._candidates("ZZZ", None, m, y.size, bool(np.all(y > 0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scored = [(model._estimate(y, form, m)[0], form) for form in forms]
    return min(s for s in scored if np.isfinite(s[0]))[1]


def test_too_short_for_heuristic_starts_every_form_is_estimated_in_full():
    # statsmodels' heuristic initial states need 10 observations; with 8 no form
    # can be screened, so all six are estimated and the best full AICc wins
    y = np.array([12.0, 14.0, 13.5, 15.0, 16.2, 15.8, 17.1, 18.0])
    ranked, unranked = ets_module._screen(y, ets_module._candidates("ZZZ", None, 1, 8, True), 1)
    assert ranked == [] and len(unranked) == 6
    fitted = ETS().fit(y)
    assert fitted.form_ == _full_search_best(y, 1)


def test_screened_choice_is_the_best_full_fit_among_the_shortlist():
    rng = np.random.default_rng(7)
    t = np.arange(96)
    y = (100 + 0.8 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12)) * rng.lognormal(0, 0.03, 96)
    forms = ets_module._candidates("ZZZ", None, 12, y.size, True)
    ranked, unranked = ets_module._screen(y, forms, 12)
    assert unranked == [] and sorted(ranked) == sorted(forms)
    shortlist = ranked[: ets_module._SHORTLIST]
    fitted = ETS(season_length=12).fit(y)
    assert fitted.form_ in shortlist
    assert fitted.form_[3] == "M" and fitted.form_[1] == "A"  # the multiplicative season


def test_screening_pays_for_the_seasonal_initial_states():
    # 36 months of a random walk: no season to find. Before the screen counted
    # the 12 seasonal initial states in its AICc, seasonal forms outranked the
    # simple ones here and ETS chose a seasonal form on five of these six.
    for seed in range(6):
        rng = np.random.default_rng(seed)
        y = 200 + np.cumsum(rng.normal(0, 5, 36))
        cands = ets_module._candidates("ZZZ", None, 12, y.size, True)
        ranked, _ = ets_module._screen(y, cands, 12)
        assert ranked[0][3] == "N", (seed, ranked[:3])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert ETS(season_length=12).fit(y).form_[3] == "N", seed


def test_own_optimizer_reaches_statsmodels_maximum():
    # _maximize drives statsmodels' recursion itself (its own finite-difference
    # gradient, no generic machinery): on a real series it must reach the
    # likelihood maximum ETSModel.fit reaches, for additive and multiplicative
    # forms, with and without estimated initial states
    import trendcast as tc

    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-120:]
    for form, init in [
        (("A", "N", False, "N"), "estimated"),
        (("A", "A", True, "A"), "estimated"),
        (("M", "A", False, "M"), "estimated"),
        (("M", "A", True, "M"), "heuristic"),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, iterations = ets_module._maximize(
                ETS._build(y, form, 12, init), 1000, **ets_module._FULL_TOLERANCES
            )
            model = ETS._build(y, form, 12, init)
            reference = np.asarray(model.fit(disp=False, return_params=True))
            llf_ours, llf_ref = model.loglike(ours), model.loglike(reference)
        assert 0 < iterations < 1000, form
        assert llf_ours >= llf_ref - 1e-3 * abs(llf_ref), (form, llf_ours, llf_ref)
