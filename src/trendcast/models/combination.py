"""Forecast combinations: the mean or median of several models' forecasts.

Combining ETS and Theta is one of the most robust ways to forecast monthly
business data (the M3 competition's combinations beat each member). Bounds
are combined the same way as the means (quantile averaging), which keeps
them ordered and is slightly conservative when the members' errors are not
perfectly correlated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from trendcast._params import clone
from trendcast.exceptions import ModelFitError
from trendcast.models.base import LocalModel, ModelForecast, ModelTags
from trendcast.models.ets import ETS
from trendcast.models.theta import Theta

__all__ = ["Combination"]


class Combination(LocalModel):
    """The mean (or median) of the forecasts of several models.

    Parameters
    ----------
    models : sequence of LocalModel, optional
        Members; default ``(ETS(), Theta())``.
    method : {"mean", "median"}
        How member forecasts (and bounds) are combined.
    season_length : int, optional
        Passed to members whose own ``season_length`` is ``None``.

    Examples
    --------
    >>> import trendcast as tc
    >>> y = tc.datasets.load_us_retail(categories=["448"])["y"].to_numpy()
    >>> combo = tc.models.Combination(season_length=12).fit(y)
    >>> combo.name.startswith("Combination(ETS(")
    True
    """

    family = "Combination"
    _saved_name = "trendcast.Combination"
    _saved_state = {"models_": "models"}

    def __init__(
        self,
        models: Sequence[LocalModel] | None = None,
        method: str = "mean",
        season_length: int | None = None,
    ) -> None:
        self.models = models
        self.method = method
        self.season_length = season_length

    def members(self) -> list[LocalModel]:
        """Unfitted copies of the members, with the season length filled in."""
        protos = list(self.models) if self.models is not None else [ETS(), Theta()]
        out = []
        for proto in protos:
            member = clone(proto)
            params = member.get_params(deep=False)
            if "season_length" in params and params["season_length"] is None:
                member.set_params(season_length=self.season_length)
            out.append(member)
        return out

    def tags(self) -> ModelTags:
        member_tags = [m.tags() for m in self.members()]
        return ModelTags(
            min_length=max((t.min_length for t in member_tags), default=1),
            supports_update=all(t.supports_update for t in member_tags),
            supports_exogenous=any(t.supports_exogenous for t in member_tags),
            produces_samples=all(t.produces_samples for t in member_tags),
            requires_positive=any(t.requires_positive for t in member_tags),
        )

    @property
    def name(self) -> str:
        members = getattr(self, "models_", None) or self.members()
        return self._name_of([m.name for m in members])

    def _name_of(self, member_names: Sequence[str]) -> str:
        """The name of this combination of members with these names."""
        prefix = "" if self.method == "mean" else "Median"
        return f"{prefix}Combination({','.join(member_names)})"

    def _settings_error(self, members: Sequence[LocalModel]) -> str | None:
        """Why these settings (with these ``members()``) cannot be fitted, or None."""
        if self.method not in ("mean", "median"):
            return f"method={self.method!r}; use 'mean' or 'median'"
        if len(members) < 2:
            return "a combination needs at least two models"
        return None

    def _fit(self, y: np.ndarray, X: np.ndarray | None) -> None:
        members = self.members()
        error = self._settings_error(members)
        if error is not None:
            raise ModelFitError(error)
        for member in members:
            try:
                member.fit(y, X if member.tags().supports_exogenous else None)
            except ModelFitError as exc:
                raise ModelFitError(f"member {member.family} failed: {exc}") from exc
        self.models_ = members
        self._share_history(y, X)

    def _share_history(self, y: np.ndarray, X: np.ndarray | None) -> None:
        """Let the members hold the combination's history instead of a copy each.

        Every member was fitted (or updated) on the same observations and
        keeps its own checked copy of them; six members of ``"auto"``'s
        combination held seven copies of each series. The values are equal,
        so the members now point at the array the combination keeps (``y``,
        ``X``): one copy. Nothing changes them in place (``update`` makes new
        arrays), and a save writes each distinct history once either way.
        """
        for member in self.models_:
            if member.y_ is not y and np.array_equal(member.y_, y):
                member.y_ = y
            member_X = member.X_
            if member_X is not None and X is not None and member_X is not X:
                if member_X.shape == X.shape and np.array_equal(member_X, X):
                    member.X_ = X

    def update(self, y_new: np.ndarray, X_new: np.ndarray | None = None) -> Combination:
        """Pass new observations to every member; each updates by its own rule.

        Members whose tags say ``supports_update`` keep their parameters (ETS);
        the others are refitted on the whole history (Prophet).
        """
        self._check_fitted()
        y_new = self._check_y(y_new, allow_empty=True)
        if y_new.size == 0:
            return self
        X_all = self._append_X(y_new.size, X_new)
        X_new = None if X_all is None else X_all[-y_new.size :]
        for member in self.models_:
            member.update(y_new, X_new if member.X_ is not None else None)
        self.y_ = np.concatenate([self.y_, y_new])
        self.X_ = X_all
        self.n_obs_ = int(self.y_.size)
        self._share_history(self.y_, self.X_)
        return self

    def pinned(self) -> Combination:
        """An unfitted copy whose members repeat their fitted structural choices."""
        return self._twin(lambda member: member.pinned())

    def refit_copy(self) -> Combination:
        """An unfitted copy whose members are each member's own ``refit_copy``."""
        return self._twin(lambda member: member.refit_copy())

    def _twin(self, copy: Callable[[LocalModel], LocalModel]) -> Combination:
        """An unfitted copy whose members are ``copy`` of the fitted members (if fitted)."""
        twin = clone(self)
        if hasattr(self, "models_"):
            twin.set_params(models=[copy(m) for m in self.models_])
        return twin

    def aggregate(self, arrays: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """Combine member arrays (means or bounds) element-wise by ``method``."""
        return (np.median if self.method == "median" else np.mean)(arrays, axis=0)

    def combine(self, forecasts: Sequence[ModelForecast], levels: Sequence[int]) -> ModelForecast:
        """Combine member forecasts: means and bounds element-wise by ``method``.

        Bounds are kept on their side of the combined mean.
        """
        out = ModelForecast(mean=self.aggregate([f.mean for f in forecasts]))
        for lv in levels:
            lower = self.aggregate([f.lower[lv] for f in forecasts])
            upper = self.aggregate([f.upper[lv] for f in forecasts])
            out.lower[lv] = np.minimum(lower, out.mean)
            out.upper[lv] = np.maximum(upper, out.mean)
        return out

    def _predict(
        self, h: int, X_future: np.ndarray | None, levels: tuple[int, ...]
    ) -> ModelForecast:
        forecasts = [
            m.predict(h, X_future if m.X_ is not None else None, level=levels) for m in self.models_
        ]
        return self.combine(forecasts, levels)

    def _sample_paths(
        self, h: int, n_paths: int, X_future: np.ndarray | None, rng: np.random.Generator
    ) -> np.ndarray:
        """Quantile-averaged marginals, ordered like the members' average path.

        Members draw with the same seed (common random numbers). The
        combination's bounds average the members' quantiles, so at each step
        the sorted member draws are averaged (Vincentization; the median for
        ``method="median"``): the paths then have the quantiles that
        ``predict`` reports. The draws are put in the rank order of the
        element-wise average of the members' paths (a Schaake shuffle, Clark
        et al. 2004), which carries the members' dependence over the horizon.
        """
        seed = int(rng.integers(2**63 - 1))
        draws = np.stack(
            [
                m.sample_paths(
                    h,
                    n_paths,
                    X_future if m.X_ is not None else None,
                    random_state=np.random.default_rng(seed),
                )
                for m in self.models_
            ]
        )
        marginals = self.aggregate(np.sort(draws, axis=1))
        ranks = np.argsort(np.argsort(self.aggregate(draws), axis=0, kind="stable"), axis=0)
        return np.take_along_axis(marginals, ranks, axis=0)
