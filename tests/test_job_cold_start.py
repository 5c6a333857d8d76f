"""Issue 23: the nightly job forecasts a new product from its first observation.

A category with one observation got no forecast from the nightly job (every
model, Naive included, needs more): a planner had no number for exactly the
new products. ``[model] cold_start = true`` (the default) forecasts it with
``ColdStart``; the reason says so.
"""

from __future__ import annotations

import pandas as pd

from tests.job_support import make_job, read_table, trendcast
from trendcast.job.config import _digest, load_config


def _with_new_product(tmp_path, **options):
    config = make_job(tmp_path / "job", f"sqlite:///{tmp_path / 'store.sqlite'}", **options)
    sales_path = config.parent / "data" / "sales.csv"
    sales = pd.read_csv(sales_path)
    new = pd.DataFrame({"unique_id": ["999"], "ds": [sales["ds"].max()], "y": [5400.0]})
    pd.concat([sales, new]).to_csv(sales_path, index=False)
    return config, f"sqlite:///{tmp_path / 'store.sqlite'}"


def test_a_one_observation_category_gets_a_cold_start_forecast(tmp_path):
    config, url = _with_new_product(tmp_path)
    ran = trendcast("run", str(config), "--as-of", "2024-09-01")
    assert ran.returncode == 0, ran.stderr
    rows = read_table(url, "SELECT model, mean, lo_80, hi_80 FROM forecasts WHERE unique_id='999'")
    assert len(rows) == 6  # the horizon
    assert all(m == "ColdStart" and lo <= mean <= hi and lo > 0 for m, mean, lo, hi in rows)
    (reason,) = read_table(url, "SELECT reason FROM fit_reports WHERE unique_id='999'")[0]
    assert reason.startswith("cold start: 1 observation")
    assert read_table(url, "SELECT fallback FROM failures WHERE unique_id='999'") == [
        ("ColdStart",)
    ]


def test_without_cold_start_the_new_category_has_no_forecast_and_a_reason(tmp_path):
    config, url = _with_new_product(tmp_path)
    text = config.read_text().replace("refit = 10\n", "refit = 10\ncold_start = false\n")
    config.write_text(text)
    ran = trendcast("run", str(config), "--as-of", "2024-09-01")
    assert ran.returncode == 0, ran.stderr
    assert read_table(url, "SELECT count(*) FROM forecasts WHERE unique_id='999'") == [(0,)]
    (error, fallback) = read_table(url, "SELECT error, fallback FROM failures")[0]
    assert fallback == "none" and "too few" in error


def test_the_new_key_leaves_the_hashes_of_existing_configs_alone(tmp_path):
    path = make_job(tmp_path / "job", f"sqlite:///{tmp_path / 'store.sqlite'}")
    config, _ = load_config(path)
    dump = config.model_dump(mode="json")
    # the hash a config had before cold_start existed: the same dump without the key
    before = {**dump, "model": {k: v for k, v in dump["model"].items() if k != "cold_start"}}
    assert config.hash() == _digest(before)
    path.write_text(path.read_text().replace("refit = 10\n", "refit = 10\ncold_start = false\n"))
    off, _ = load_config(path)
    assert off.hash() != config.hash() and off.model_key() != config.model_key()
