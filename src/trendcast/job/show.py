"""Text views of the store: ``trendcast runs``, ``show`` and ``accuracy``."""

from __future__ import annotations

import json

import pandas as pd

from trendcast.job.errors import ConfigError
from trendcast.job.run import summarize_accuracy
from trendcast.store import Store

__all__ = ["accuracy_text", "runs_table", "show_run"]

#: how the tables print (set around each view, never globally)
DISPLAY = ("display.width", 160, "display.max_columns", 20, "display.max_colwidth", 60)


def _runs_table(store: Store, limit: int = 20) -> str:
    """The latest runs, one line each."""
    runs = store.runs(limit=limit)
    if runs.empty:
        return f"no runs in {store.where}"
    cols = ["id", "as_of", "status", "n_categories", "n_fitted", "n_updated", "n_failed",
            "n_flags", "n_drift", "seconds", "config_hash", "finished_at"]  # fmt: skip
    table = runs[cols].copy()
    table["config_hash"] = table["config_hash"].str.slice(0, 12)
    table["finished_at"] = pd.to_datetime(table["finished_at"]).dt.strftime("%Y-%m-%d %H:%M")
    return table.to_string(index=False)


def _show_run(store: Store, ref: str, top: int = 10) -> str:
    """A run's summary, its top flags (worst first) and its failures."""
    run = store.get_run(ref)
    rid = int(run["id"])
    timings = json.loads(run["timings"] or "{}")
    lines = [
        f"run {rid}: as of {run['as_of']}, status {run['status']} (attempt {run['attempt']})",
        f"  config {str(run['config_hash'])[:12]}, data {str(run['data_fingerprint'])[:12]}, "
        f"trendcast {run['library_version']}, {run['seconds']:.1f} s",
        f"  categories {run['n_categories']}: {run['n_fitted']} fitted, {run['n_updated']} "
        f"updated, {run['n_failed']} failed; {run['n_flags']} flagged short; "
        f"{run['n_drift'] if run['n_drift'] is not None else '-'} drifting",
        "  stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()),
    ]
    flags = store.read("flags", rid)
    short = flags[flags["flag"] == "short"].sort_values(
        "expected_shortfall", ascending=False
    ) if len(flags) else flags  # fmt: skip
    lines += ["", f"Top flags ({len(short)} short across supply sources), worst first:"]
    if short.empty:
        lines.append("  none")
    else:
        cols = ["supply", "unique_id", "periods_short", "first_short", "max_p_short",
                "expected_shortfall", "shortfall_share"]  # fmt: skip
        table = short.head(top)[cols].copy()
        table["first_short"] = pd.to_datetime(table["first_short"]).dt.strftime("%Y-%m-%d")
        lines.append(table.round(3).to_string(index=False))
        lines += ["", "Why:"]
        lines += [f"  {r.supply} {r.unique_id}: {r.reason}" for r in short.head(top).itertuples()]
    failures = store.read("failures", rid)
    lines += ["", f"Failures ({failures['unique_id'].nunique() if len(failures) else 0}):"]
    if failures.empty:
        lines.append("  none")
    else:
        for r in failures.head(top).itertuples():
            fallback = str(r.fallback or "no forecast")
            lines.append(f"  {r.unique_id} [{r.stage}] {r.error} -> {fallback}")
    drift = store.read("drift", rid)
    drifting = drift[drift["drift"].astype(bool)] if len(drift) else drift
    if len(drifting):
        lines += ["", "Drift (refit next run):"]
        lines.append(drifting[["unique_id", "n", "recent_mase", "backtest_mase", "ratio"]]
                     .round(3).to_string(index=False))  # fmt: skip
    return "\n".join(lines)


def _accuracy_text(store: Store, ref: str, categories: list[str], by: str) -> str:
    """Accuracy over time (every run) and broken down for one run, plus its drift."""
    keys = {"category": "unique_id", "horizon": "horizon", "model": "model"}
    if by not in keys:
        raise ConfigError(f"--by {by!r}: use category, horizon or model")
    run = store.get_run(ref)
    runs = store.runs(model_key=run["model_key"])
    runs = runs[runs["as_of"] <= run["as_of"]]
    acc = store.read("accuracy", [int(i) for i in runs["id"]])
    if categories:
        acc = acc[acc["unique_id"].isin(categories)]
    if acc.empty:
        return (
            f"no forecasts scored yet up to run {run['id']} (as of {run['as_of']}): accuracy "
            "needs an earlier run whose forecast periods have actuals now"
        )
    acc["as_of"] = acc["run_id"].map(runs.set_index("id")["as_of"])
    lines = ["Accuracy over time (each run scores the earlier runs' forecasts):",
             summarize_accuracy(acc, ["as_of"]).to_string(index=False), ""]  # fmt: skip
    this = acc[acc["run_id"] == run["id"]]
    lines += [f"Run {run['id']} (as of {run['as_of']}) by {by}:",
              summarize_accuracy(this, [keys[by]]).to_string(index=False)
              if len(this) else "  nothing scored in this run"]  # fmt: skip
    drift = store.read("drift", int(run["id"]))
    if categories and len(drift):
        drift = drift[drift["unique_id"].isin(categories)]
    flagged = drift[drift["drift"].astype(bool)] if len(drift) else drift
    lines += ["", f"Drift ({len(flagged)} flagged; recent MASE > backtest MASE x (1 + margin)):"]
    lines.append(flagged.drop(columns=["id", "run_id"]).round(3).to_string(index=False)
                 if len(flagged) else "  none")  # fmt: skip
    return "\n".join(lines)


def runs_table(store: Store, limit: int = 20) -> str:
    """The latest runs, one line each."""
    with pd.option_context(*DISPLAY):
        return _runs_table(store, limit)


def show_run(store: Store, ref: str, top: int = 10) -> str:
    """A run's summary, its top flags (worst first) and its failures."""
    with pd.option_context(*DISPLAY):
        return _show_run(store, ref, top)


def accuracy_text(store: Store, ref: str, categories: list[str], by: str) -> str:
    """Accuracy over time (every run) and broken down for one run, plus its drift."""
    with pd.option_context(*DISPLAY):
        return _accuracy_text(store, ref, categories, by)
