"""A fitted ``TrendForecaster`` <-> ``forecaster.json`` and ``categories.json``.

``_forecaster_files`` and ``_assemble`` are the only functions that read or
set the forecaster's attributes; the rest turns its parts (fit plan,
reports, calibration, one category's fit) into JSON and back.
``forecaster.json`` holds the constructor parameters, frequency, season
length, fit plan, reports, calibration and the fallback prototypes;
``categories.json`` each category's history, fit record and model. A loaded
forecaster rebuilds each category's model the first time it is used.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from trendcast.exceptions import PersistenceError
from trendcast.models import LocalModel
from trendcast.persistence._archive import FORMAT_VERSION, _json_bytes
from trendcast.persistence._codec import _Reader, _Writer

if TYPE_CHECKING:
    from trendcast.forecaster import TrendForecaster

# Forecaster attributes this format stores (or deliberately leaves out: ``cv_report_``
# describes a cross-validation run, ``_freq`` repeats ``freq_``). Any other fitted
# attribute makes ``save`` refuse, so new state is never dropped silently.
_FORECASTER_STATE = {
    "freq_",
    "season_length_",
    "_plan_",
    "models_",
    "_fits",
    "_y",
    "_X",
    "last_dates_",
    "fit_report_",
    "selection_report_",
    "fitted_at_",
    "_freq",
    "cv_report_",
    "_calibration_",
    "calibration_report_",
}


def _calibration_to_json(calibration: Any, writer: _Writer) -> dict[str, Any] | None:
    """The pooled |normalised errors| per candidate and step (no code, only numbers)."""
    if calibration is None:
        return None
    pools = []
    for key, pool in calibration.pools.items():
        where = f"calibration of candidate {key!r}"
        pools.append(
            {
                "key": int(key),
                "name": str(pool.name),
                "steps": [writer.array(a, where) for a in pool.by_step],
                "counts": [int(c) for c in pool.counts],
            }
        )
    skipped = [
        {"key": int(k), "name": str(name), "n": int(n)}
        for k, (name, n) in calibration.skipped.items()
    ]
    return {"pools": pools, "skipped": skipped}


def _optional_int(value: Any, reader: _Reader, where: str) -> int | None:
    """``value`` if it is None or an integer; refused otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise reader.fail(where, f"candidate {value!r} is not an integer")
    return value


def _calibration_from_json(node: Any, reader: _Reader, where: str) -> Any:
    """Rebuild the calibration saved by ``_calibration_to_json`` (None when absent)."""
    from trendcast._calibration import Calibration

    if node is None:
        return None
    try:
        pools: dict[Any, tuple[str, list[np.ndarray], list[int]]] = {
            _optional_int(p["key"], reader, where): (
                str(p["name"]),
                [reader.array(a, f"{where} calibration") for a in p["steps"]],
                [int(c) for c in p["counts"]],
            )
            for p in node["pools"]
        }
        skipped: dict[Any, tuple[str, int]] = {
            _optional_int(k["key"], reader, where): (str(k["name"]), int(k["n"]))
            for k in node["skipped"]
        }
    except (KeyError, TypeError) as exc:
        raise reader.fail(where, f"the calibration is malformed: {exc}") from exc
    return Calibration.from_pools(pools, skipped)


def _frame_to_json(frame: pd.DataFrame, writer: _Writer, where: str) -> dict[str, Any]:
    """A report table as column names, dtypes and column values."""
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(frame[c].dtype) for c in frame.columns],
        "data": [
            [writer.value(v, f"{where}.{c}") for v in frame[c].tolist()] for c in frame.columns
        ],
    }


def _check_ids(keys: list[Any]) -> None:
    """Refuse category ids that are neither text nor integers (JSON could not key them)."""
    for key in keys:
        if not isinstance(key, str | int | np.integer) or isinstance(key, bool):
            raise PersistenceError(
                f"category {key!r} is a {type(key).__name__}; only text and integer category "
                "ids can be saved"
            )


class _Prototypes:
    """The fallback models of every category, each written once and referred to by index."""

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer
        self.specs: list[Any] = []
        self.index: dict[str, int] = {}

    def __call__(self, model: LocalModel, where: str) -> int:
        spec = self.writer.value(model, where)
        key = json.dumps(spec, sort_keys=True)
        if key not in self.index:
            self.index[key] = len(self.specs)
            self.specs.append(spec)
        return self.index[key]


def _category_json(
    writer: _Writer,
    protos: _Prototypes,
    key: Any,
    fit: Any,
    y: np.ndarray,
    X: np.ndarray | None,
) -> dict[str, Any]:
    """One category's entry of ``categories.json``: its history, fit record and model."""
    where = f"category {key!r}"
    return {
        "id": writer.value(key, where),
        "y": writer.array(y, f"{where} history"),
        "X": None if X is None else writer.array(X, f"{where} covariates"),
        "tried": fit.tried,
        "used": fit.used,
        "fell_back": bool(fit.fell_back),
        "chosen": None if fit.chosen is None else int(fit.chosen),
        "reasons": [str(r) for r in fit.reasons],
        "scores": writer.value([tuple(s) for s in fit.scores], f"{where} scores"),
        "chain": [protos(p, f"{where} fallback chain") for p in fit.chain],
        "candidate": None if fit.candidate is None else int(fit.candidate),
        "model": writer.value(fit.model, f"{where} model"),
    }


def _forecaster_files(
    fc: TrendForecaster, allow_pickle: bool
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every file of a saved forecaster but the manifest, and the manifest's facts.

    Parameters
    ----------
    fc : TrendForecaster
        A fitted forecaster.
    allow_pickle : bool
        Store objects that have no safe format with joblib.

    Returns
    -------
    files : dict of str to bytes
        ``forecaster.json``, ``categories.json``, the arrays and binary members.
    facts : dict
        ``freq``, ``columns``, ``fit_date`` and ``categories``, for the manifest.

    Raises
    ------
    PersistenceError
        When the forecaster holds state this format does not store, a category
        id that is neither text nor an integer, or an object without a safe
        format (and ``allow_pickle`` is False).
    """
    fc._check_fitted()
    unknown = sorted(
        k
        for k in vars(fc)
        if k not in fc.get_params(deep=False)
        and (k.endswith("_") or k.startswith("_"))
        and k not in _FORECASTER_STATE
    )
    if unknown:
        raise PersistenceError(
            f"this forecaster holds fitted state that format {FORMAT_VERSION} does not store: "
            f"{unknown}; saving it would lose it (update trendcast.persistence)"
        )
    writer = _Writer(allow_pickle)
    protos = _Prototypes(writer)
    plan = fc._plan_
    plan_json = {
        f.name: writer.value(getattr(plan, f.name), f"plan.{f.name}")
        for f in dataclasses.fields(plan)
    }
    keys = list(fc.models_)
    _check_ids(keys)
    categories = [
        _category_json(writer, protos, key, fc._fits[key], fc._y[key], fc._X[key]) for key in keys
    ]
    dates = [pd.Timestamp(fc.last_dates_[k]) for k in keys]
    tz = {str(d.tz) for d in dates if d.tz is not None}
    units = {d.unit for d in dates}
    fitted_at = getattr(fc, "fitted_at_", None)
    state = {
        "params": {
            k: writer.value(v, f"parameter {k}") for k, v in fc.get_params(deep=False).items()
        },
        "freq": fc.freq_,
        "season_length": int(fc.season_length_),
        "fitted_at": None if fitted_at is None else pd.Timestamp(fitted_at).isoformat(),
        "plan": plan_json,
        "prototypes": protos.specs,
        "last_dates": writer.array(
            np.array([d.value for d in dates], dtype=np.int64), "last dates"
        ),
        "last_dates_tz": tz.pop() if len(tz) == 1 else None,
        "last_dates_unit": units.pop() if len(units) == 1 else "ns",
        "fit_report": _frame_to_json(fc.fit_report_, writer, "fit_report_"),
        "selection_report": _frame_to_json(fc.selection_report_, writer, "selection_report_"),
        "calibration": _calibration_to_json(getattr(fc, "_calibration_", None), writer),
    }
    files = writer.finish()
    files["forecaster.json"] = _json_bytes(state)
    files["categories.json"] = _json_bytes({"categories": categories})
    facts = {
        "freq": fc.freq_,
        "columns": {
            "id": fc.id_col,
            "time": fc.time_col,
            "target": fc.target_col,
            "covariates": fc._covariate_names(),
        },
        "fit_date": state["fitted_at"],
        "categories": [writer.value(k, "category") for k in keys],
    }
    return files, facts


class _LazyDict(MutableMapping):
    """A mapping whose values are built on first access, in insertion order."""

    _PENDING = object()

    def __init__(self, keys: Sequence[Any], build: Callable[[Any], Any]) -> None:
        self._items: dict[Any, Any] = dict.fromkeys(keys, self._PENDING)
        self._build = build

    def __getitem__(self, key: Any) -> Any:
        value = self._items[key]
        if value is self._PENDING:
            value = self._items[key] = self._build(key)
        return value

    def __setitem__(self, key: Any, value: Any) -> None:
        self._items[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __repr__(self) -> str:
        built = sum(v is not self._PENDING for v in self._items.values())
        return f"<{len(self)} categories, {built} rebuilt so far>"


class _Categories:
    """Builds one category's fit from its JSON on first use."""

    def __init__(self, reader: _Reader, nodes: dict[Any, dict], protos: list[LocalModel]):
        self.reader = reader
        self.nodes = nodes
        self.protos = protos

    def fit(self, key: Any) -> Any:
        """Category ``key``'s fit record and model, built from its JSON (once)."""
        from trendcast.forecaster import _SeriesFit

        node = self.nodes.pop(key)
        where = f"categories.json, category {key!r}"
        r = self.reader
        scores = r.value(node["scores"], f"{where} scores")
        chain = node["chain"]
        if not isinstance(chain, list) or not all(
            isinstance(i, int) and 0 <= i < len(self.protos) for i in chain
        ):
            raise r.fail(where, "the fallback chain refers to unknown prototypes")
        model = r.value(node["model"], f"{where} model")
        if not isinstance(model, LocalModel):
            raise r.fail(where, "the model is not a trendcast model")
        return _SeriesFit(
            model=model,
            tried=str(node["tried"]),
            used=str(node["used"]),
            fell_back=bool(node["fell_back"]),
            chosen=node["chosen"],
            reasons=[str(s) for s in node["reasons"]],
            scores=[tuple(s) for s in scores],
            chain=[self.protos[i] for i in chain],
            candidate=_optional_int(node.get("candidate"), r, where),
        )


class _ModelOf:
    """Builds ``models_`` of a loaded forecaster: each category's model from its fit."""

    def __init__(self, fits: Mapping[Any, Any]) -> None:
        self.fits = fits

    def __call__(self, key: Any) -> Any:
        return self.fits[key].model


def _frame_from_json(node: Any, reader: _Reader, where: str) -> pd.DataFrame:
    """The report table ``_frame_to_json`` wrote, with its dtypes."""
    try:
        columns, dtypes, data = node["columns"], node["dtypes"], node["data"]
        if not (len(columns) == len(dtypes) == len(data)):
            raise ValueError("columns, dtypes and data differ in length")
    except (KeyError, TypeError, ValueError) as exc:
        raise reader.fail(where, f"malformed table: {exc}") from exc
    frame = pd.DataFrame(
        {c: reader.value(col, f"{where}.{c}") for c, col in zip(columns, data, strict=True)},
        columns=columns,
    )
    for c, dtype in zip(columns, dtypes, strict=True):
        if dtype not in ("float64", "int64", "bool", "object", "str", "string"):
            raise reader.fail(where, f"column {c!r} has unsupported dtype {dtype!r}")
        if str(frame[c].dtype) != dtype:
            frame[c] = frame[c].astype(dtype)
    return frame


def _assemble(
    reader: _Reader, state: dict[str, Any], cats: dict[str, Any], wanted: Sequence[Any] | None
) -> TrendForecaster:
    """The forecaster that ``forecaster.json`` and ``categories.json`` describe.

    Parameters
    ----------
    reader : _Reader
        The verified members of the save.
    state, cats : dict
        The parsed ``forecaster.json`` and ``categories.json``.
    wanted : sequence, optional
        Only these categories (default: all).

    Returns
    -------
    TrendForecaster
        Fitted; each category's model is rebuilt when first used.

    Raises
    ------
    PersistenceError
        When a field is malformed or a wanted category was not saved.
    """
    from trendcast.forecaster import TrendForecaster, _Plan

    where = "forecaster.json"
    params = state["params"]
    allowed = set(TrendForecaster().get_params(deep=False))
    extra = sorted(set(params) - allowed)
    if extra:
        raise reader.fail(where, f"TrendForecaster has no parameter(s) {extra}")
    fc = TrendForecaster(**{k: reader.value(v, f"{where} {k}") for k, v in params.items()})
    protos = [
        reader.value(p, f"{where} prototypes[{i}]") for i, p in enumerate(state["prototypes"])
    ]
    if not all(isinstance(p, LocalModel) for p in protos):
        raise reader.fail(where, "a prototype is not a trendcast model")
    plan = state["plan"]
    names = {f.name for f in dataclasses.fields(_Plan)}
    if not isinstance(plan, dict) or not set(plan) <= names:
        raise reader.fail(where, f"the fit plan has unknown fields {sorted(set(plan) - names)}")
    try:
        fc._plan_ = _Plan(**{k: reader.value(v, f"{where} plan.{k}") for k, v in plan.items()})
    except TypeError as exc:
        raise reader.fail(where, f"the fit plan is incomplete: {exc}") from exc
    fc.freq_ = fc._freq = str(state["freq"])
    fc.season_length_ = int(state["season_length"])
    if state["fitted_at"] is not None:
        fc.fitted_at_ = pd.Timestamp(state["fitted_at"])
    nodes = cats["categories"]
    if not isinstance(nodes, list):
        raise reader.fail("categories.json", "expected a list of categories")
    keys = [reader.value(n["id"], "categories.json id") for n in nodes]
    stamps = reader.array(state["last_dates"], f"{where} last_dates")
    if stamps.shape != (len(keys),):
        raise reader.fail(where, "last_dates does not have one date per category")
    dates = pd.DatetimeIndex(pd.to_datetime(stamps, unit="ns"))
    if state["last_dates_tz"]:
        dates = dates.tz_localize("UTC").tz_convert(state["last_dates_tz"])
    unit = state["last_dates_unit"]
    if unit not in ("s", "ms", "us", "ns"):
        raise reader.fail(where, f"last_dates_unit {unit!r} is not a time unit")
    dates = dates.as_unit(unit)
    by_key = dict(zip(keys, nodes, strict=True))
    date_of = dict(zip(keys, dates, strict=True))
    fit_report = _frame_from_json(state["fit_report"], reader, f"{where} fit_report")
    selection_report = _frame_from_json(
        state["selection_report"], reader, f"{where} selection_report"
    )
    if wanted is not None:
        missing = [k for k in wanted if k not in by_key]
        if missing:
            raise PersistenceError(
                f"{reader.source}: no fitted model for categories {missing}; saved categories "
                f"start {keys[:5]}"
            )
        keys = list(dict.fromkeys(wanted))
        id_col = fc.id_col
        fit_report = fit_report[fit_report[id_col].isin(keys)].reset_index(drop=True)
        selection_report = selection_report[selection_report[id_col].isin(keys)].reset_index(
            drop=True
        )
    builder = _Categories(reader, {k: by_key[k] for k in keys}, protos)
    fc._fits = _LazyDict(keys, builder.fit)  # type: ignore[assignment]
    fc.models_ = _LazyDict(keys, _ModelOf(fc._fits))  # type: ignore[assignment]
    fc._y = {k: reader.array(by_key[k]["y"], f"category {k!r} history") for k in keys}
    fc._X = {
        k: None
        if by_key[k]["X"] is None
        else reader.array(by_key[k]["X"], f"category {k!r} covariates")
        for k in keys
    }
    fc.last_dates_ = {k: date_of[k] for k in keys}
    fc.fit_report_ = fit_report
    fc.selection_report_ = selection_report
    calibration = _calibration_from_json(state.get("calibration"), reader, where)
    if calibration is not None:
        fc._calibration_ = calibration
        fc.calibration_report_ = calibration.report()
    return fc
