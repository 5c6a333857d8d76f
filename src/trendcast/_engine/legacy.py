"""Private names of the single-module layout, kept for code (and tests) written against it.

Before the engine redesign a fitted forecaster held its plan, fits, histories
and calibration as private attributes (``_plan_``, ``_fits``, ``_y``, ``_X``,
``_calibration_``) and built plans itself (``_plan``, ``_window_plans``).
They now live in ``state_`` and in ``trendcast._engine``; this mixin reads
them there, so nothing written against the old names breaks. New code uses
``state_``.
"""

from __future__ import annotations

from typing import Any

from trendcast._engine.plan import Plan, build_plan, window_plans
from trendcast._engine.spec import resolve_spec

#: old attribute -> field of ForecasterState
_LEGACY_STATE = {
    "_plan_": "plan",
    "_fits": "fits",
    "_y": "y",
    "_X": "X",
    "_calibration_": "calibration",
}


class OldLayoutHooks:
    """``_plan_``, ``_fits``, ``_y``, ``_X``, ``_calibration_``, ``_plan``, ``_window_plans``."""

    def __getattr__(self, name: str) -> Any:
        field = _LEGACY_STATE.get(name)
        state = self.__dict__.get("state_")
        if field is None or state is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(state, field)

    def _plan(self, freq: str) -> Plan:
        params = self.get_params(deep=False)
        return build_plan(params, resolve_spec(params, freq))

    def _window_plans(
        self, series: list, h: int, n_windows: int, step_size: int | None
    ) -> list[list[Any]]:
        state = self.__dict__.get("state_")
        plan = self.__dict__.get("_plan_") or (None if state is None else state.plan)
        search = None if state is None or state.search is None else state.search.plan
        return window_plans([plan, search], [s[1] for s in series], h, n_windows, step_size)
