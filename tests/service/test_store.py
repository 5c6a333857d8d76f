"""``--store``: the nightly job's latest finished run, from its store (needs trendcast.store,
the nightly job's; skipped in a version without it)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import trendcast as tc
from tests.service.conftest import CATEGORIES, TOKEN, start_server

store_module = pytest.importorskip("trendcast.store")
pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from trendcast.service.app import create_app  # noqa: E402
from trendcast.service.sources import StoreSource  # noqa: E402

BOUNDS = {"lo-80": "lo_80", "hi-80": "hi_80", "lo-95": "lo_95", "hi-95": "hi_95"}


def _chunks(models: object) -> list[tc.TrendForecaster]:
    """Two chunks of categories, each a forecaster, as the job fits them."""
    sales = tc.datasets.load_us_retail(categories=CATEGORIES)
    out = []
    for keys in (CATEGORIES[:3], CATEGORIES[3:]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = tc.TrendForecaster(models=models, backtest_windows=1)
            out.append(fc.fit(sales[sales["unique_id"].isin(keys)]))
    return out


def write_run(url: str, tmp: Path, as_of: dt.date, models: object, h: int = 6) -> None:
    """One finished run: the chunks' artifacts and the forecasts, flags, hotspots it stored."""
    chunks = _chunks(models)
    config_hash = hashlib.sha256(str(as_of).encode()).hexdigest()
    frames = []
    with store_module.Store(url) as store:
        for index, fc in enumerate(chunks):
            blob = fc.save(tmp / f"chunk-{as_of}-{index}.zip").read_bytes()
            keys = list(fc.state_.fits)
            store.save_checkpoint({
                "as_of": as_of, "config_hash": config_hash, "chunk": index,
                "categories_hash": hashlib.sha256("\n".join(keys).encode()).hexdigest(),
                "data_hash": "0" * 64, "n_categories": len(keys), "categories": json.dumps(keys),
                "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob),
                "fitted_as_of": as_of, "updates_since_fit": 0, "action": "fit",
                "created_at": dt.datetime(2025, 1, 1), "blob": blob,
            })  # fmt: skip
            forecast = fc.predict(h)
            forecast["step"] = forecast.groupby("unique_id").cumcount() + 1
            frames.append(forecast.assign(chunk=index))
        forecast = pd.concat(frames, ignore_index=True)
        flags = pd.DataFrame({"supply": "plan", "kind": "flow", "rank": [1, 2],
                              "unique_id": ["445", "441"], "flag": ["short", "ok"],
                              "reason": ["short from 2024-11", "no persistent gap"]})  # fmt: skip
        hot = tc.hotspots(forecast.drop(columns=["step", "chunk"]), period=h)
        run = {
            "as_of": as_of, "config_hash": config_hash, "model_key": "k", "status": "ok",
            "attempt": 1, "finished_at": dt.datetime.combine(as_of, dt.time(3)),
            "n_categories": len(CATEGORIES), "library_version": tc.__version__,
        }  # fmt: skip
        results = {
            "forecasts": forecast.rename(columns=BOUNDS),
            "flags": flags,
            "hotspots": hot.rename(columns={"start": "period_start", "end": "period_end"}),
        }
        store.write_run(run, results)


@pytest.fixture
def store_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    write_run(url, tmp_path, dt.date(2024, 10, 1), [tc.models.SeasonalNaive(), tc.models.Naive()])
    return url


def test_the_store_serves_its_latest_run(store_url, tmp_path):
    app = create_app(StoreSource(store_url), token=TOKEN, refresh_seconds=0.2)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(app, headers=headers) as http:
        stored = http.post("/v1/predict", json={"categories": ["445"], "horizon": 6}).json()
        assert stored["forecast_source"] == "stored" and len(stored["rows"]) == 6
        beyond = http.post("/v1/predict", json={"categories": ["445"], "horizon": 9}).json()
        assert beyond["forecast_source"] == "models" and len(beyond["rows"]) == 9
        assert beyond["rows"][:6] == stored["rows"]  # the stored rows are the models' own
        flags = http.get("/v1/flags", params={"flag": "short"}).json()
        assert [r["unique_id"] for r in flags["rows"]] == ["445"]
        assert http.get("/v1/hotspots").json()["rows"][0]["rank"] == 1
        runs = http.get("/v1/runs").json()["rows"]
        assert [r["served"] for r in runs] == [True]
        deadline = time.monotonic() + 30
        while http.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)  # the first category forecast once, on the warm-up thread
        assert http.get("/readyz").json()["checks"] == {"source": "ok", "models": "ok"}
        plan = [{"unique_id": "722", "ds": "2024-10-01", "supply": 1.0}]
        gaps = http.post("/v1/gaps", json={"supply": plan}).json()
        assert gaps["flags"][0]["unique_id"] == "722"

        # a new night lands: served within the refresh interval
        write_run(store_url, tmp_path, dt.date(2024, 11, 1), tc.models.Naive())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if http.get("/v1/runs").json()["rows"][0]["served"]:
                break
            time.sleep(0.1)
        runs = http.get("/v1/runs").json()["rows"]
        assert [r["served"] for r in runs] == [True, False]
        now = http.post("/v1/predict", json={"categories": ["445"], "horizon": 2}).json()
        assert now["run"] == runs[0]["id"] and now["rows"][0]["model"] == "Naive"
        older = http.post(
            "/v1/predict", json={"categories": ["445"], "horizon": 2, "run": "2024-10-01"}
        ).json()
        assert older["run"] == runs[1]["id"] and older["rows"][0]["model"] == "SeasonalNaive"
        missing = http.post("/v1/predict", json={"horizon": 2, "run": "1999-01-01"})
        assert missing.status_code == 404


def test_trendcast_serve_store(store_url):
    server = start_server("--store", store_url)
    try:
        with tc.Client(server.url, token=server.token) as client:
            assert client.flags()["unique_id"].tolist() == ["445", "441"]
            assert client.predict(3, ids=["452"])["model"].eq("SeasonalNaive").all()
    finally:
        server.stop()
