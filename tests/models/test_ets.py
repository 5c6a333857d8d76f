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


def test_point_forecasts_equal_statsmodels_forecasts_after_fit_and_update():
    # point forecasts come from the last state of the recursion, not from
    # statsmodels' results object (built only for intervals): they must equal
    # ETSResults.forecast for every kind of form, also after update()
    import trendcast as tc

    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-132:]
    for spec, damped in [
        ("ANN", False),
        ("AAA", True),
        ("MAM", False),
        ("MAM", True),
        ("MNA", False),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ETS(season_length=12, model=spec, damped=damped).fit(y[:-12])
            assert model._results is None  # nothing built for point forecasts
            np.testing.assert_allclose(
                model.predict(30).mean, np.asarray(model.results_.forecast(30)), rtol=1e-12
            )
            model.update(y[-12:])
            assert model._results is None
            reference = ETS._build(y, model.form_, 12).smooth(model.params_)
            np.testing.assert_allclose(
                model.predict(30).mean, np.asarray(reference.forecast(30)), rtol=1e-12
            )
            # the lazily built results cover the updated history
            assert model.results_.nobs == y.size


def test_intervals_and_paths_equal_statsmodels_for_every_kind_of_form():
    # intervals and sample paths are computed from the last state (closed-form
    # variance for the linear forms, simulation for the others) instead of
    # statsmodels' results object: they must equal what statsmodels gives,
    # draw for draw under the same seed
    import trendcast as tc

    y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()[-132:]
    forms = [("ANN", False), ("AAN", True), ("AAA", False), ("ANA", False)]
    forms += [("MAM", False), ("MAM", True), ("MNA", False), ("MAN", True)]
    for spec, damped in forms:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ETS(season_length=12, model=spec, damped=damped).fit(y)
            fc = model.predict(24, level=(80, 95))
            res = model.results_
            pred = res.get_prediction(
                start=res.nobs,
                end=res.nobs + 23,
                simulate_repetitions=model.n_simulations,
                rng=np.random.default_rng(model.random_state),
            )
            assert pred.method == ("exact" if spec[0] == "A" else "simulated")
            for level in (80, 95):
                bounds = np.asarray(pred.pred_int(alpha=1 - level / 100), dtype=float)
                np.testing.assert_allclose(fc.lower[level], np.minimum(bounds[:, 0], fc.mean))
                np.testing.assert_allclose(fc.upper[level], np.maximum(bounds[:, 1], fc.mean))
            sims = res.simulate(24, anchor="end", repetitions=40, rng=np.random.default_rng(5))
            paths = model.sample_paths(24, 40, random_state=np.random.default_rng(5))
            np.testing.assert_allclose(paths, np.asarray(sims, dtype=float).T)
