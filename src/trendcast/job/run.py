"""``trendcast run``: one night, from the sources to the store and the report.

read -> validate -> fit or update (in checkpointed chunks) -> forecast with
intervals and sample paths -> supply gaps against every plan and inventory ->
sectors, hotspots, emerging -> accuracy of earlier runs -> store everything in
one transaction -> HTML report. See ``docs/nightly.md`` for the semantics.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trendcast._version import __version__
from trendcast._warnings import logged_warnings
from trendcast.job.accuracy import score
from trendcast.job.analysis import all_gaps, markets
from trendcast.job.chunks import (
    Chunk,
    backend_of,
    checkpoint_row,
    dask_cluster,
    data_hash,
    decide,
    from_bytes,
    in_process,
    make_chunks,
    refit_at_update,
)
from trendcast.job.config import JobConfig, database_url, load_config, resolve_path
from trendcast.job.logs import stage
from trendcast.job.sources import Inputs, read_inputs
from trendcast.store import Store

__all__ = ["Outcome", "run_job"]

logger = logging.getLogger("trendcast.job")

LEVELS = (80, 95)
EXIT_OK, EXIT_UNEXPECTED, EXIT_INVALID, EXIT_PARTIAL = 0, 1, 2, 3


@dataclass
class Outcome:
    """What a run did: its exit code, run id and status."""

    code: int
    run_id: int | None = None
    status: str = ""
    report: Path | None = None
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fitted:
    """The chunks of a run and their checkpoints.

    ``updated`` holds the forecasters of the chunks updated tonight (small
    artifacts only, see ``chunks.in_process``), still in memory: the forecast
    stage uses them instead of decoding the checkpoint just written from them.
    An updated forecaster forecasts what its saved copy forecasts, to the bit
    (``tests/test_job_updated_in_memory.py``); a fitted one is always read
    back (a freshly estimated ARIMA and a loaded one differ by about 1e-12).
    """

    chunks: list[Chunk]
    rows: dict[int, dict[str, Any]]
    counts: dict[str, int]
    updated: dict[int, Any] = field(default_factory=dict)


def pause_point(point: str) -> None:
    """A testing aid: with ``TRENDCAST_PAUSE_AT=<point>`` the run stops there for an hour.

    The kill-and-resume and concurrency tests use it to SIGKILL a real run at
    a known place (``models:chunk-<i>`` after chunk ``i``'s checkpoint,
    ``store:<table>`` inside the results transaction, ``locked`` once the run
    holds the store lock). Unset, it does nothing.
    """
    if os.environ.get("TRENDCAST_PAUSE_AT") == point:
        sys.stderr.write(f"paused at {point}\n")
        sys.stderr.flush()
        time.sleep(3600)


def _progress(items: list[Any], desc: str) -> Any:
    if not sys.stderr.isatty():
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="chunk", file=sys.stderr)


def _fit_chunks(
    config: JobConfig, store: Store, sales: pd.DataFrame, as_of: dt.date, config_hash: str,
    model_key: str,
) -> Fitted:  # fmt: skip
    """Fit or update every chunk, reusing the checkpoints of a killed run of the same night."""
    chunks = make_chunks(sales["unique_id"].unique().tolist(), config.model.chunk_size)
    previous = store.previous_run(model_key, as_of)
    prev_arts: dict[str, dict[str, Any]] = {}
    drifted: set[str] = set()
    if previous is not None:
        arts = store.artifact_blobs(int(previous["id"]))
        prev_arts = {str(r["categories_hash"]): dict(r) for _, r in arts.iterrows()}
        drift = store.read("drift", int(previous["id"]))
        drifted = set(drift.loc[drift["drift"].astype(bool), "unique_id"]) if len(drift) else set()
        logger.info("previous run %s (as of %s): %d artifacts, %d drifted categories",
                    previous["id"], previous["as_of"], len(prev_arts), len(drifted))  # fmt: skip
    saved = store.checkpoints(as_of, config_hash)
    done = {int(r["chunk"]): dict(r) for _, r in saved.iterrows()}
    store.prune_checkpoints(as_of, config_hash, len(chunks))
    rows_of = _rows_by_category(sales)
    counts = {"chunks": len(chunks), "resumed": 0, "fitted": 0, "updated": 0, "refit": 0}
    rows: dict[int, dict[str, Any]] = {}
    updated: dict[int, Any] = {}
    for chunk in _progress(chunks, "models"):
        data = _chunk_rows(sales, rows_of, chunk)
        digest = data_hash(data)
        old = done.get(chunk.index)
        if old and old["categories_hash"] == chunk.categories_hash and old["data_hash"] == digest:
            rows[chunk.index] = old
            counts["resumed"] += 1
            continue
        prev = prev_arts.get(chunk.categories_hash)
        if prev is not None:
            prev = {**prev, "run_id": previous["id"] if previous else None}
        with logged_warnings(logger):
            fc, action, refit, lineage, failures = decide(config, chunk, data, as_of, prev, drifted)
        for key, why in refit.items():
            logger.warning("category %s refit: %s", key, why)
        if action.startswith("refit"):
            logger.info("chunk %d %s", chunk.index, action[:300])
        kind = "updated" if action == "update" else ("refit" if action != "fit" else "fitted")
        counts[kind] += 1
        no_update = refit_at_update(fc) if action == "update" else {}
        meta = json.dumps(
            {"action": action, "refit": refit, "failures": failures, "no_update": no_update}
        )
        row = checkpoint_row(chunk, fc, meta, lineage, digest, as_of, config_hash)
        store.save_checkpoint(row)
        rows[chunk.index] = row
        if action == "update" and row["size"] and in_process(row["size"], len(chunk.keys)):
            updated[chunk.index] = fc
        pause_point(f"models:chunk-{chunk.index}")
    return Fitted(chunks, rows, counts, updated)


def _rows_by_category(sales: pd.DataFrame) -> dict[Any, np.ndarray]:
    """Category -> the positions of its rows in ``sales``, in order (``groupby``'s groups).

    From one factorize and sort: a groupby frame a category and a concat of
    500 of them a chunk took about 3 s of a 10,000-category update night.
    """
    codes, keys = pd.factorize(sales["unique_id"], sort=False)
    valid = np.flatnonzero(codes >= 0)
    order = valid[np.argsort(codes[valid], kind="stable")]
    starts = np.searchsorted(codes[order], np.arange(len(keys) + 1)).tolist()
    return {key: order[a:b] for key, a, b in zip(keys, starts[:-1], starts[1:], strict=True)}


def _chunk_rows(sales: pd.DataFrame, rows_of: dict[Any, np.ndarray], chunk: Chunk) -> pd.DataFrame:
    """The chunk's rows, category after category: ``pd.concat`` of its groups, as one take."""
    positions = np.concatenate([rows_of[k] for k in chunk.keys]) if chunk.keys else np.zeros(0, int)
    return sales.take(positions).reset_index(drop=True)


def _forecast(config: JobConfig, fitted: Fitted) -> dict[str, Any]:
    """Forecasts, paths and reports of every chunk, read back from its checkpoint."""
    m = config.model
    frames, reports, selections, failures = [], [], [], []
    paths: dict[Any, np.ndarray] = {}
    season = None
    for chunk in fitted.chunks:
        row = fitted.rows[chunk.index]
        meta = json.loads(row["action"])
        failures += meta["failures"]
        if not row["size"]:
            continue
        fc = fitted.updated.pop(chunk.index, None)
        if fc is None:
            fc = from_bytes(row["blob"], row["sha256"], f"checkpoint of chunk {chunk.index}")
        # small models are forecast in this process (see chunks.IN_PROCESS_BYTES); the
        # numbers do not depend on where (each category has its own seed)
        here = in_process(row["size"], len(chunk.keys))
        fc.set_params(
            n_jobs=1 if here else config.execution.n_jobs,
            backend=None if here else backend_of(config),
        )
        with logged_warnings(logger):
            forecast = fc.predict(m.horizon, level=LEVELS)
            drawn = fc.sample_paths(
                m.horizon, n_paths=m.n_paths, random_state=m.seed + chunk.index, output="arrays"
            )
        season = fc.season_length_
        forecast["step"] = forecast.groupby("unique_id").cumcount() + 1
        forecast["chunk"] = chunk.index
        frames.append(forecast)
        assert isinstance(drawn, dict)
        paths.update(drawn)
        report = fc.fit_report_.copy()
        report["action"] = _actions(meta, report["unique_id"])
        report["chunk"] = chunk.index
        reports.append(report)
        selections.append(fc.selection_report_)
        bad = report[report["status"] != "ok"]
        failures += [
            {"unique_id": r.unique_id, "stage": "fit", "error": r.reason, "fallback": r.model_used}
            for r in bad.itertuples()
        ]
    forecast = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return {
        "forecast": forecast,
        "paths": paths,
        "fit_report": pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(),
        "selection": pd.concat(selections, ignore_index=True) if selections else pd.DataFrame(),
        "failures": pd.DataFrame(failures, columns=["unique_id", "stage", "error", "fallback"]),
        "season_length": season or 1,
    }


def _actions(meta: dict[str, Any], keys: pd.Series) -> list[str]:
    """What happened to each category's model: the chunk's action, or why it was refit.

    On an update night a model that cannot run its state forward (its tags
    say no ``supports_update``: Prophet) is refit on the whole history inside
    ``update``; its row says so (``meta["no_update"]``, from
    ``chunks.refit_at_update``), so "update" means the parameters were kept.
    """
    no_update = meta.get("no_update", {})
    out = []
    for key in keys:
        action = meta["refit"].get(str(key), meta["action"])
        if action == "update" and str(key) in no_update:
            action = no_update[str(key)]
        out.append(action)
    return out


def _report(
    config: JobConfig, base: Path, as_of: dt.date, inputs: Inputs, out: dict[str, Any],
) -> Path | None:  # fmt: skip
    """The HTML report of the run (``[report] path``; none when it is empty)."""
    if not config.report.path:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from trendcast.report import report

    path = resolve_path(config.report.path.format(as_of=as_of.isoformat()), base)
    flow = [s.name for s in config.supply if s.name in out["by_supply"]]
    gaps, summary = out["by_supply"][flow[0]] if flow else (None, pd.DataFrame())
    tables = {
        "Forecast accuracy over time (earlier runs scored tonight)": out["over_time"],
        "Drift: recent errors against backtest errors": out["drift"],
        "Failures": out["failures"],
    }
    forecast = out["forecast"].drop(columns=["step", "chunk"], errors="ignore")
    with logged_warnings(logger):
        return report(
            path, history=inputs.sales, forecast=forecast, gaps_summary=summary, gaps=gaps,
            hotspots=out["hotspots"], emerging=out["emerging"], sectors=out["sectors"],
            fit_report=out["fit_report"], selection_report=out["selection"],
            title=f"{config.report.title}, as of {as_of}", unit=config.report.unit,
            threshold=config.gaps.threshold, exclude=config.report.exclude,
            tables={k: v for k, v in tables.items() if v is not None and len(v)},
            sources=inputs.described,
        )  # fmt: skip


def over_time(store: Store, model_key: str, current: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Per scoring run: forecasts scored, mean MASE, WAPE, bias and coverage."""
    runs = store.runs(model_key=model_key)
    runs = runs[runs["as_of"] < as_of]
    frames = [store.read("accuracy", [int(i) for i in runs["id"]])] if len(runs) else []
    if len(frames) and len(frames[0]):
        frames[0]["as_of"] = frames[0]["run_id"].map(runs.set_index("id")["as_of"])
    if len(current):
        frames.append(current.assign(as_of=as_of))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    acc = pd.concat(frames, ignore_index=True)
    return summarize_accuracy(acc, ["as_of"])


def summarize_accuracy(acc: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Accuracy rows pooled by ``by`` (MASE and coverage weighted by the number scored)."""
    w = acc["n"].astype(float)
    tmp = acc.assign(
        w=w, m=acc["mase"] * w, c80=acc["coverage_80"] * w, c95=acc["coverage_95"] * w,
        wp=acc["wape"] * w, b=acc["bias"] * w,
    )  # fmt: skip
    g = tmp.groupby(by, sort=True)[["w", "m", "wp", "b", "c80", "c95"]].sum(min_count=1)
    out = pd.DataFrame({
        "scored": g["w"].astype(int), "mase": g["m"] / g["w"], "wape": g["wp"] / g["w"],
        "bias": g["b"] / g["w"], "coverage_80": g["c80"] / g["w"],
        "coverage_95": g["c95"] / g["w"],
    })  # fmt: skip
    return out.reset_index().round(4)


def _analyse(
    config: JobConfig, store: Store, inputs: Inputs, as_of: dt.date, model_key: str,
    out: dict[str, Any], timings: dict[str, float],
) -> None:  # fmt: skip
    with stage("gaps", timings) as st:
        out["gaps"], out["flags"], out["by_supply"] = all_gaps(
            config, inputs, out["forecast"], out["paths"]
        )
        short = int((out["flags"].get("flag", pd.Series()) == "short").sum())
        st.counts.update(sources=len(out["by_supply"]), rows=len(out["gaps"]), short=short)
    with stage("markets", timings) as st, logged_warnings(logger):
        out["sectors"], out["hotspots"], out["emerging"] = markets(
            config, inputs, out["forecast"], out["paths"]
        )
        st.counts.update(sectors=0 if out["sectors"] is None else out["sectors"]["unique_id"]
                         .nunique(), hotspots=len(out["hotspots"]),
                         emerging=int(out["emerging"]["emerging"].sum()))  # fmt: skip
    with stage("accuracy", timings) as st:
        acc, drift, _ = score(
            store, model_key, as_of, inputs.sales, out["selection"], out["season_length"], config
        )
        out["accuracy"], out["drift"] = acc, drift
        out["over_time"] = over_time(store, model_key, acc, as_of)
        flagged = drift[drift["drift"].astype(bool)] if len(drift) else drift
        for r in flagged.itertuples():
            logger.warning("drift: category %s recent MASE %.2f vs backtest %.2f; refit next run",
                           r.unique_id, r.recent_mase, r.backtest_mase)  # fmt: skip
        st.counts.update(scored=int(acc["n"].sum()) if len(acc) else 0, drift=len(flagged))


def run_job(config_path: str | Path, as_of: dt.date | None = None, wait: float = 0.0) -> Outcome:
    """Run one night of the job (see the module docstring); return its outcome.

    Raises
    ------
    TrendcastError
        A config, source or store problem (exit code 2): nothing is stored.
    """
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    with stage("config", timings) as st:
        config, base = load_config(config_path)
        as_of = as_of or dt.date.today()
        config_hash, model_key = config.hash(), config.model_key()
        url = database_url(config.store.url, config.store.password_env, base, "[store] url")
        st.counts.update(as_of=as_of, config=config_hash[:12])
    with stage("read", timings) as st:
        inputs = read_inputs(config, base, as_of)
        st.counts.update(categories=inputs.sales["unique_id"].nunique(), rows=len(inputs.sales),
                         dropped=len(inputs.dropped), supply=len(inputs.supply))  # fmt: skip
    with Store(url) as store, store.lock(wait), dask_cluster(config):
        pause_point("locked")
        if store.migrated is not None and store.migrated[0] is not None:
            logger.info("store schema upgraded from version %s to %s", *store.migrated)
        with stage("models", timings) as st:
            fitted = _fit_chunks(config, store, inputs.sales, as_of, config_hash, model_key)
            st.counts.update(fitted.counts)
        with stage("forecast", timings) as st:
            out = _forecast(config, fitted)
            st.counts.update(categories=out["forecast"]["unique_id"].nunique()
                             if len(out["forecast"]) else 0, rows=len(out["forecast"]))  # fmt: skip
        _analyse(config, store, inputs, as_of, model_key, out, timings)
        n = inputs.sales["unique_id"].nunique()
        n_failed = out["failures"]["unique_id"].nunique()
        status = "partial" if n_failed > config.run.max_failure_share * n else "ok"
        existing = store.find_run(as_of, config_hash)
        with stage("store", timings) as st:
            by_action = out["fit_report"]["action"] if len(out["fit_report"]) else pd.Series()
            run = {
                "as_of": as_of, "config_hash": config_hash, "model_key": model_key,
                "data_fingerprint": data_hash(inputs.sales), "library_version": __version__,
                "status": status, "attempt": 1 + int(existing["attempt"] or 0) if existing else 1,
                "started_at": started, "finished_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
                "seconds": round(time.perf_counter() - t0, 3), "timings": json.dumps(timings),
                "n_categories": n, "n_fitted": int((by_action != "update").sum()),
                "n_updated": int((by_action == "update").sum()), "n_failed": n_failed,
                "n_flags": int((out["flags"].get("flag", pd.Series()) == "short").sum()),
                "n_drift": int(out["drift"]["drift"].astype(bool).sum()),
                "message": (f"{n_failed} of {n} categories failed" if n_failed else None),
                "config_path": str(Path(config_path).resolve()),
            }  # fmt: skip
            results = _results(out)
            run_id = store.write_run(run, results, lambda t: pause_point(f"store:{t}"))
            stored = sum(len(f) for f in results.values() if f is not None)
            st.counts.update(run=run_id, rows=stored)
    with stage("report", timings) as st:
        path = _report(config, base, as_of, inputs, out)
        st.counts.update(path=path)
    code = EXIT_PARTIAL if status == "partial" else EXIT_OK
    return Outcome(code, run_id, status, path, {**run, "id": run_id})


def _results(out: dict[str, Any]) -> dict[str, pd.DataFrame | None]:
    """The frames to store, renamed to the store's columns."""
    bounds = {"lo-80": "lo_80", "hi-80": "hi_80", "lo-95": "lo_95", "hi-95": "hi_95"}
    sectors = out["sectors"]
    return {
        "forecasts": out["forecast"].rename(columns=bounds),
        "fit_reports": out["fit_report"],
        "selection": out["selection"],
        "gaps": out["gaps"],
        "flags": out["flags"],
        "sectors": None if sectors is None else sectors.rename(columns=bounds),
        "hotspots": out["hotspots"].rename(columns={"start": "period_start", "end": "period_end"}),
        "emerging": out["emerging"],
        "failures": out["failures"],
        "accuracy": out["accuracy"],
        "drift": out["drift"],
    }
