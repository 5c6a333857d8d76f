"""A forecaster's parameters and state <-> ``forecaster.json`` and ``categories.json``.

``_forecaster_files`` and ``_assemble`` map the whole state; the rest turns
its parts (fit plan, reports, calibration, one category's fit) into JSON and
back. Nothing here knows ``TrendForecaster``: it saves and loads through these.
``forecaster.json`` holds the constructor parameters, frequency, season
length, fit plan, reports, calibration and the fallback prototypes;
``categories.json`` each category's history, fit record and model. A loaded
forecaster rebuilds each category's model the first time it is used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any, get_args

import numpy as np
import pandas as pd

from trendcast._calibration import Calibration
from trendcast._engine.fitting import SeriesFit
from trendcast._engine.plan import Plan
from trendcast._engine.spec import resolve_spec
from trendcast._engine.state import Deferred, ForecasterState
from trendcast._frequency import normalize_freq
from trendcast.exceptions import PersistenceError, TrendcastError
from trendcast.io.sales import FillPolicy
from trendcast.models import LocalModel, model_label
from trendcast.persistence._archive import FORMAT_VERSION, _json_bytes
from trendcast.persistence._codec import _looks_like_pickle, _Reader, _short, _Writer

#: The values of the ``fill`` setting (the sales reader's fill policies).
_FILLS: tuple[str, ...] = get_args(FillPolicy)

# The fields of ForecasterState this format stores (``search`` and ``search_report``
# only ever hold None here: a forecaster with past covariates is not saved). A field
# added to the state and not listed makes ``save`` refuse, so new state is never
# dropped silently.
_STATE_FIELDS = {
    "spec",
    "plan",
    "fits",
    "y",
    "X",
    "last_dates",
    "fit_report",
    "selection_report",
    "search",
    "calibration",
    "search_report",
    "fitted_at",
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
    node: dict[str, Any] = {"pools": pools, "skipped": skipped}
    if calibration.scales:  # per-category scales (calibration="conformal"); absent: pooled
        # pools of scaled errors under their own key: a trendcast from before the scales
        # reads "pools" and would take them for plain errors (intervals too narrow for
        # volatile categories); without that key it refuses the file instead
        node = {"scaled_pools": node.pop("pools"), "skipped": skipped}
        node["scales"] = [
            {
                "key": int(key),
                "categories": [writer.value(c, "calibration category") for c in by_category],
                "values": writer.array(
                    np.array(list(by_category.values()), dtype=float), f"scales of {key!r}"
                ),
            }
            for key, by_category in calibration.scales.items()
        ]
    return node


def _optional_int(value: Any, reader: _Reader, where: str) -> int | None:
    """``value`` if it is None or an integer; refused otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise reader.fail(where, f"candidate {value!r} is not an integer")
    return value


def _calibration_from_json(node: Any, reader: _Reader, where: str) -> Any:
    """Rebuild the calibration saved by ``_calibration_to_json`` (None when absent)."""
    if node is None:
        return None
    try:
        pools: dict[Any, tuple[str, list[np.ndarray], list[int]]] = {
            _optional_int(p["key"], reader, where): (
                str(p["name"]),
                [reader.array(a, f"{where} calibration") for a in p["steps"]],
                [int(c) for c in p["counts"]],
            )
            for p in node["scaled_pools" if "scaled_pools" in node else "pools"]
        }
        skipped: dict[Any, tuple[str, int]] = {
            _optional_int(k["key"], reader, where): (str(k["name"]), int(k["n"]))
            for k in node["skipped"]
        }
        scales: dict[Any, dict[Any, float]] = {}
        for node_scales in node.get("scales", []):  # absent in files saved before issue 23
            key = _optional_int(node_scales["key"], reader, where)
            ids = node_scales["categories"]
            if not isinstance(ids, list):
                raise TypeError("the categories of a scale are not a list")
            ids = reader.value(ids, f"{where} calibration categories")  # plain ids: as they are
            values = reader.array(node_scales["values"], f"{where} calibration scales")
            if values.shape != (len(ids),) or not np.all(np.isfinite(values) & (values > 0)):
                raise reader.fail(where, f"the category scales of candidate {key!r} are malformed")
            scales[key] = dict(zip(ids, values.tolist(), strict=True))
        if ("scaled_pools" in node) != bool(scales) or ("scaled_pools" in node and "pools" in node):
            raise KeyError("'scaled_pools' and 'scales' come together, without 'pools'")
    except (KeyError, TypeError) as exc:
        raise reader.fail(where, f"the calibration is malformed: {exc}") from exc
    for key, (_, steps, counts) in pools.items():
        if not steps or len(steps) != len(counts):
            raise reader.fail(
                where,
                f"the calibration of candidate {key!r} is malformed: {len(steps)} steps of "
                f"errors for {len(counts)} counts",
            )
    return Calibration.from_pools(pools, skipped, scales)


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
    params: dict[str, Any], state: ForecasterState, allow_pickle: bool
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Every file of a saved forecaster but the manifest, and the manifest's facts.

    Parameters
    ----------
    params : dict
        The forecaster's constructor parameters.
    state : ForecasterState
        Its fitted state.
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
        When the state holds a field this format does not store, a category
        id that is neither text nor an integer, or an object without a safe
        format (and ``allow_pickle`` is False).
    """
    unknown = sorted({f.name for f in dataclasses.fields(state)} - _STATE_FIELDS)
    if unknown:
        raise PersistenceError(
            f"this forecaster holds fitted state that format {FORMAT_VERSION} does not store: "
            f"{unknown}; saving it would lose it (update trendcast.persistence)"
        )
    writer = _Writer(allow_pickle)
    protos = _Prototypes(writer)
    plan = state.plan
    plan_json = {
        f.name: writer.value(getattr(plan, f.name), f"plan.{f.name}")
        for f in dataclasses.fields(plan)
    }
    keys = list(state.fits)
    _check_ids(keys)
    categories = [
        _category_json(writer, protos, key, state.fits[key], state.y[key], state.X[key])
        for key in keys
    ]
    dates = [pd.Timestamp(state.last_dates[k]) for k in keys]
    tz = {str(d.tz) for d in dates if d.tz is not None}
    units = {d.unit for d in dates}
    fitted_at = state.fitted_at
    spec = state.spec
    saved = {
        "params": {k: writer.value(v, f"parameter {k}") for k, v in params.items()},
        "freq": spec.freq,
        "season_length": int(spec.season_length),
        "fitted_at": None if fitted_at is None else pd.Timestamp(fitted_at).isoformat(),
        "plan": plan_json,
        "prototypes": protos.specs,
        "last_dates": writer.array(
            np.array([d.value for d in dates], dtype=np.int64), "last dates"
        ),
        "last_dates_tz": tz.pop() if len(tz) == 1 else None,
        "last_dates_unit": units.pop() if len(units) == 1 else "ns",
        "fit_report": _frame_to_json(state.fit_report, writer, "fit_report_"),
        "selection_report": _frame_to_json(state.selection_report, writer, "selection_report_"),
        "calibration": _calibration_to_json(state.calibration, writer),
    }
    files = writer.finish()
    files["forecaster.json"] = _json_bytes(saved)
    files["categories.json"] = _categories_bytes(categories)
    facts = {
        "freq": spec.freq,
        "columns": {
            "id": spec.id_col,
            "time": spec.time_col,
            "target": spec.target_col,
            "covariates": list(spec.covariates),
        },
        "fit_date": saved["fitted_at"],
        "categories": [writer.value(k, "category") for k in keys],
    }
    return files, facts


class _Pending:
    """The mark of a value not built yet: one instance, kept by pickle and deepcopy alike
    (a plain ``object()`` comes back as another object, and a copied or unpickled
    loaded forecaster took the mark for a fit)."""

    _one: _Pending | None = None

    def __new__(cls) -> _Pending:
        if cls._one is None:
            cls._one = super().__new__(cls)
        return cls._one

    def __reduce__(self) -> tuple[type, tuple]:
        return (_Pending, ())

    def __repr__(self) -> str:
        return "<not built yet>"


class _LazyDict(MutableMapping):
    """A mapping whose values are built on first access, in insertion order."""

    _PENDING = _Pending()

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


#: ``categories.json`` as ``_categories_bytes`` lays it out: one category a line.
_LINES_HEAD = b'{"categories":[\n'
_LINES_TAIL = b"\n]}"


def _refuse_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _categories_bytes(nodes: list[dict[str, Any]]) -> bytes:
    """``categories.json``: valid JSON, one category's compact entry a line.

    JSON escapes every control character inside strings, so a line break only
    ever ends an entry: a reader finds each category's entry (and its id, written
    first) without parsing the others, and parses an entry when its category is
    first used (``_category_lines``).
    """
    if not nodes:
        return _json_bytes({"categories": []})
    return _LINES_HEAD + b",\n".join(_json_bytes(n) for n in nodes) + _LINES_TAIL


def _category_lines(data: bytes) -> tuple[list[Any], list[bytes]] | None:
    """The raw ids and entries of a ``categories.json`` laid out one category a line.

    None when ``data`` is not laid out so (a save from before the layout, or a
    file another tool rewrote): the caller then parses it whole, as before.
    Entries stay bytes (with their commas) until their category is used.
    """
    if not (data.startswith(_LINES_HEAD) and data.endswith(_LINES_TAIL)):
        return None
    lines = data.split(b"\n")[1:-1]  # the head's and the tail's lines dropped, no copy of data
    ids = []
    last = len(lines) - 1
    try:
        for i, line in enumerate(lines):
            if not (line.startswith(b'{"id":') and line.endswith(b"}," if i < last else b"}")):
                return None
            end = line.find(b'"', 7) if line[6] == 0x22 else -1  # 0x22: a quote
            if end > 0 and b"\\" not in line[7:end]:  # a plain text id, the usual case
                value: Any = line[7:end].decode("utf-8")
                end += 1
            else:
                value, end = _DECODER.raw_decode(line.decode("utf-8"), 6)
                end = len(line.decode("utf-8")[:end].encode("utf-8"))
            if line[end] not in b",}":
                return None
            ids.append(value)
    except (UnicodeDecodeError, ValueError, IndexError, RecursionError):
        return None
    return ids, lines


class _LazyNodes:
    """Each category's entry of ``categories.json``, parsed when the category is first used.

    ``pop`` (the fit's builder) hands the whole entry over and keeps only its
    history and covariates, which ``get`` (the histories' builder) may still ask for.
    """

    def __init__(self, lines: dict[Any, bytes], source: str) -> None:
        self._lines = lines
        self._parsed: dict[Any, dict[str, Any]] = {}
        self._source = source

    def __contains__(self, key: object) -> bool:
        return key in self._lines

    def get(self, key: Any) -> dict[str, Any]:
        node = self._parsed.get(key)
        if node is None:
            where = f"{self._source}: categories.json, category {key!r}"
            try:
                line = self._lines[key].decode("utf-8")
                node, end = _DECODER.raw_decode(line)
                if line[end:] not in ("", ","):
                    raise ValueError(f"extra data at character {end}")
            except ValueError as exc:
                raise PersistenceError(f"{where}: the entry is not valid JSON: {exc}") from exc
            except RecursionError as exc:
                raise PersistenceError(f"{where}: the entry is nested too deep") from exc
            if not isinstance(node, dict):
                raise PersistenceError(f"{where}: the entry is not a JSON object")
            self._parsed[key] = node
        return node

    def pop(self, key: Any) -> dict[str, Any]:
        node = self.get(key)
        self._parsed[key] = {k: node[k] for k in ("y", "X") if k in node}
        return node


class _Histories:
    """Each category's history and covariates, decoded from its entry on first use."""

    def __init__(self, reader: _Reader, nodes: _LazyNodes) -> None:
        self.reader = reader
        self.nodes = nodes

    def y(self, key: Any) -> np.ndarray:
        return self._array(key, "y", "history")

    def X(self, key: Any) -> np.ndarray | None:
        return self._array(key, "X", "covariates")

    def _array(self, key: Any, field: str, what: str) -> Any:
        with _entry(self.reader, key):
            node = self.nodes.get(key)[field]
            if field == "X" and node is None:
                return None
            return self.reader.array(node, f"category {key!r} {what}")


@contextlib.contextmanager
def _entry(reader: _Reader, key: Any) -> Iterator[None]:
    """A missing or mistyped field of category ``key``'s entry: a PersistenceError naming it."""
    try:
        yield
    except TrendcastError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise reader.fail(
            f"categories.json, category {key!r}",
            f"the entry lacks or misstates a field ({exc!r})",
        ) from exc


class _Categories:
    """Builds one category's fit from its JSON on first use."""

    def __init__(
        self, reader: _Reader, nodes: dict[Any, dict] | _LazyNodes, protos: list[LocalModel]
    ):
        self.reader = reader
        self.nodes = nodes
        self.protos = protos

    def fit(self, key: Any) -> Any:
        """Category ``key``'s fit record and model, built from its JSON (once).

        Built when the category is first used (at ``predict``): a malformed
        entry is a PersistenceError then, naming the category.
        """
        node = self.nodes.pop(key)
        with _entry(self.reader, key):
            return self._fit(node, f"categories.json, category {key!r}")

    def _fit(self, node: dict[str, Any], where: str) -> SeriesFit:
        r = self.reader
        scores = r.value(node["scores"], f"{where} scores")
        chain = node["chain"]
        if not isinstance(chain, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(self.protos)
            for i in chain
        ):
            raise r.fail(where, "the fallback chain refers to unknown prototypes")
        model = r.value(node["model"], f"{where} model")
        if not isinstance(model, LocalModel):
            raise r.fail(where, "the model is not a trendcast model")
        texts = [node["tried"], node["used"], *node["reasons"]]
        if not all(isinstance(t, str) for t in texts) or not isinstance(node["reasons"], list):
            raise r.fail(where, "tried, used and reasons must be text")
        if not isinstance(node["fell_back"], bool):
            raise r.fail(where, "fell_back must be true or false")
        if not isinstance(scores, list) or not all(isinstance(s, tuple) for s in scores):
            raise r.fail(where, "scores must be a list of tuples")
        return SeriesFit(
            model=model,
            tried=node["tried"],
            used=node["used"],
            fell_back=node["fell_back"],
            chosen=_optional_int(node["chosen"], r, where),
            reasons=list(node["reasons"]),
            scores=list(scores),
            chain=[self.protos[i] for i in chain],
            candidate=_optional_int(node.get("candidate"), r, where),
        )


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


def _report_from_json(node: Any, reader: _Reader, where: str) -> pd.DataFrame:
    """``fit_report_`` or ``selection_report_`` as saved, built when first read.

    A save from before ``fit_report_`` had the short label gets one derived from
    the model's name. A malformed table is a PersistenceError naming it.
    """
    try:
        frame = _frame_from_json(node, reader, where)
    except TrendcastError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, OverflowError) as exc:
        raise reader.fail(where, f"malformed table ({exc!r})") from exc
    if where.endswith("fit_report") and "label" not in frame and "model_used" in frame:
        frame["label"] = frame["model_used"].map(model_label).astype(frame["model_used"].dtype)
    return frame


def _assemble(
    reader: _Reader,
    state: dict[str, Any],
    cats: Any,
    wanted: Sequence[Any] | None,
    parameters: frozenset[str],
) -> tuple[dict[str, Any], ForecasterState]:
    """The parameters and state that ``forecaster.json`` and ``categories.json`` describe.

    Parameters
    ----------
    reader : _Reader
        The verified members of the save.
    state : dict
        The parsed ``forecaster.json``.
    cats : dict or tuple
        The parsed ``categories.json``, or its raw ids and entries
        (``_category_lines``): each entry is then parsed when first used.
    wanted : sequence, optional
        Only these categories (default: all).
    parameters : frozenset of str
        The forecaster's parameter names; a saved one outside them is refused.

    Returns
    -------
    params : dict
        The constructor parameters.
    state : ForecasterState
        Fitted; each category's fit is rebuilt when first used.

    Raises
    ------
    PersistenceError
        When a field is malformed or a wanted category was not saved.
    """
    where = "forecaster.json"
    saved = state["params"]
    extra = sorted(set(saved) - parameters)
    if extra:
        raise reader.fail(where, f"TrendForecaster has no parameter(s) {extra}")
    params = {k: reader.value(v, f"{where} {k}") for k, v in saved.items()}
    _check_settings(params, reader, where)
    protos = [
        reader.value(p, f"{where} prototypes[{i}]") for i, p in enumerate(state["prototypes"])
    ]
    if not all(isinstance(p, LocalModel) for p in protos):
        raise reader.fail(where, "a prototype is not a trendcast model")
    plan = _plan_from_json(state["plan"], reader, where)
    fitted_at = None if state["fitted_at"] is None else pd.Timestamp(state["fitted_at"])
    lazy = isinstance(cats, tuple)  # (raw ids, entries): laid out one category a line
    nodes = cats[1] if lazy else cats["categories"]
    if not isinstance(nodes, list):
        raise reader.fail("categories.json", "expected a list of categories")
    raw_ids = cats[0] if lazy else [n["id"] for n in nodes]
    keys = [reader.value(i, "categories.json id") for i in raw_ids]
    dates = _last_dates(state, reader, where, len(keys))
    by_key = dict(zip(keys, nodes, strict=True))
    date_of = dict(zip(keys, dates.tolist(), strict=True))  # boxed at once: 6x faster
    fit_report: Any = Deferred(
        _report_from_json, state["fit_report"], reader, f"{where} fit_report"
    )
    selection_report: Any = Deferred(
        _report_from_json, state["selection_report"], reader, f"{where} selection_report"
    )
    freq = state["freq"]
    try:
        if not isinstance(freq, str) or normalize_freq(freq) != freq:
            raise ValueError(f"freq {_short(freq)} is not a frequency trendcast writes")
        spec = resolve_spec(params, freq, int(state["season_length"]))
    except ValueError as exc:  # ParameterError too
        raise reader.fail(where, f"the saved parameters are not valid: {exc}") from exc
    if wanted is not None:
        missing = [k for k in wanted if k not in by_key]
        if missing:
            raise PersistenceError(
                f"{reader.source}: no fitted model for categories {missing}; saved categories "
                f"start {keys[:5]}"
            )
        keys = list(dict.fromkeys(wanted))
        fit_report, selection_report = fit_report(), selection_report()
        fit_report = fit_report[fit_report[spec.id_col].isin(keys)].reset_index(drop=True)
        selection_report = selection_report[selection_report[spec.id_col].isin(keys)].reset_index(
            drop=True
        )
    if lazy:  # each entry parsed when its category is first used, history and model alike
        lines = _LazyNodes({k: by_key[k] for k in keys}, reader.source)
        builder = _Categories(reader, lines, protos)
        histories = _Histories(reader, lines)
        y: MutableMapping[Any, Any] = _LazyDict(keys, histories.y)
        X: MutableMapping[Any, Any] = _LazyDict(keys, histories.X)
    else:
        builder = _Categories(reader, {k: by_key[k] for k in keys}, protos)
        y = {k: reader.array(by_key[k]["y"], f"category {k!r} history") for k in keys}
        X = {
            k: None
            if by_key[k]["X"] is None
            else reader.array(by_key[k]["X"], f"category {k!r} covariates")
            for k in keys
        }
    return params, ForecasterState(
        spec=spec,
        plan=plan,
        fits=_LazyDict(keys, builder.fit),
        y=y,
        X=X,
        last_dates={k: date_of[k] for k in keys},
        fit_report=fit_report,
        selection_report=selection_report,
        calibration=_calibration_from_json(state.get("calibration"), reader, where),
        fitted_at=fitted_at,
    )


def _check_settings(params: dict[str, Any], reader: _Reader, where: str) -> None:
    """Refuse column names that are not names, an ``n_jobs`` that is not an integer, and
    a saved setting of a closed set (``fill``) that is none of its values.

    The fit checks these in the data's reader; a loaded forecaster would only
    meet a bad one at ``update``. Text is never refused for what it spells:
    the message only adds that a refused value decodes as a pickle.
    """
    for key in ("id_col", "time_col", "target_col"):
        name = params.get(key)
        if isinstance(name, bool) or not isinstance(name, str | int):
            raise reader.fail(where, f"parameter {key}={_short(name)} is not a column name")
    n_jobs = params.get("n_jobs", 1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int):
        raise reader.fail(where, f"parameter n_jobs={_short(n_jobs)} is not an integer")
    fill = params.get("fill", "error")
    if fill not in _FILLS:
        note = ""
        if isinstance(fill, str) and _looks_like_pickle(fill):
            note = (
                "; it holds a pickled object in a text field (trendcast never unpickles JSON "
                "fields: the file was tampered with or not written by trendcast)"
            )
        raise reader.fail(
            where, f"parameter fill={_short(fill)} is not one of {', '.join(_FILLS)}{note}"
        )


def _plan_from_json(plan: Any, reader: _Reader, where: str) -> Plan:
    """The fit plan saved in ``forecaster.json``."""
    names = {f.name for f in dataclasses.fields(Plan)}
    if not isinstance(plan, dict) or not set(plan) <= names:
        raise reader.fail(where, f"the fit plan has unknown fields {sorted(set(plan) - names)}")
    try:
        return Plan(**{k: reader.value(v, f"{where} plan.{k}") for k, v in plan.items()})
    except TypeError as exc:
        raise reader.fail(where, f"the fit plan is incomplete: {exc}") from exc


def _last_dates(state: dict[str, Any], reader: _Reader, where: str, n: int) -> pd.DatetimeIndex:
    """Each category's last date, in the time zone and unit it was saved in."""
    stamps = reader.array(state["last_dates"], f"{where} last_dates")
    if stamps.shape != (n,):
        raise reader.fail(where, "last_dates does not have one date per category")
    dates = pd.DatetimeIndex(pd.to_datetime(stamps, unit="ns"))
    if state["last_dates_tz"]:
        dates = dates.tz_localize("UTC").tz_convert(state["last_dates_tz"])
    unit = state["last_dates_unit"]
    if unit not in ("s", "ms", "us", "ns"):
        raise reader.fail(where, f"last_dates_unit {unit!r} is not a time unit")
    return dates.as_unit(unit)
