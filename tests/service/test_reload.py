"""A new save replacing the served one is picked up without dropping a request; a damaged
one is not served (the old one stays, and readyz says why)."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

import trendcast as tc
from tests.service.conftest import fit_small, start_server

httpx = pytest.importorskip("httpx")


def test_a_new_save_is_served_without_dropping_requests(saved, tmp_path):
    path = tmp_path / "model"
    shutil.copytree(saved, path)
    server = start_server("--model", str(path), "--refresh-seconds", "0.2")
    statuses: list[int] = []
    runs: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.url, headers=server.headers(), timeout=30) as http:
            while not stop.is_set():
                answer = http.post("/v1/predict", json={"categories": ["445"], "horizon": 3})
                statuses.append(answer.status_code)
                runs.append(answer.json()["run"])

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(runs) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        first = runs[-1]
        fit_small(path, models=tc.models.Naive())  # save(..., overwrite=True) replaces it
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and runs[-1] == first:
            time.sleep(0.1)
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(30)
        assert set(statuses) == {200}, f"{len(statuses)} requests: {sorted(set(statuses))}"
        assert runs[-1] != first, "the new save was not picked up"
        with tc.Client(server.url, token=server.token) as client:
            assert client.predict(2, ids=["445"])["model"].eq("Naive").all()
            assert client.runs()["id"].tolist() == [runs[-1]]

        # a damaged save (its manifest lists another categories.json, so the manifest no
        # longer matches its own SHA-256): the old one stays served, readyz names the problem
        manifest = path / "manifest.json"
        text = manifest.read_text()
        digest = text.split('"categories.json": "')[1][:64]
        manifest.write_text(text.replace(digest, "0" * 64))
        deadline = time.monotonic() + 30
        ready = httpx.get(server.url + "/readyz").json()
        while time.monotonic() < deadline and "reload" not in ready["checks"]:
            time.sleep(0.2)
            ready = httpx.get(server.url + "/readyz").json()
        assert ready["ready"] is True and ready["run"] == runs[-1], ready
        assert "manifest.json does not match its own SHA-256" in ready["checks"]["reload"], ready
    finally:
        stop.set()
        server.stop()
