"""A real ``trendcast serve`` in a subprocess on a free loopback port, and a small save for it.

The save is fitted here with cheap models (seasonal naive and naive, one
backtest window) on five US retail categories, so a session starts in a few
seconds; each test module that needs a server of its own starts one with
``start_server``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import trendcast as tc  # noqa: E402

TOKEN = "test-token-not-secret"
CATEGORIES = ["441", "445", "448", "452", "722"]


def fit_small(path: Path, models: object | None = None) -> tc.TrendForecaster:
    """Fit cheap models to five US retail categories and save them at ``path``."""
    sales = tc.datasets.load_us_retail(categories=CATEGORIES)
    chosen = models if models is not None else [tc.models.SeasonalNaive(), tc.models.Naive()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = tc.TrendForecaster(models=chosen, backtest_windows=1).fit(sales)
    fc.save(path, overwrite=True)
    return fc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running ``trendcast serve``."""

    url: str
    proc: subprocess.Popen
    token: str | None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def stop(self) -> str:
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out or ""


def start_server(*args: str, token: str | None = TOKEN, timeout: float = 60.0) -> Server:
    """``trendcast serve ARGS`` on a free port, once ``/readyz`` says ready."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "TRENDCAST_API_TOKEN"}
    if token:
        env["TRENDCAST_API_TOKEN"] = token
    cmd = [sys.executable, "-m", "trendcast.cli", "serve", *args, "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    server = Server(f"http://127.0.0.1:{port}", proc, token)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"trendcast serve exited {proc.returncode}: {server.stop()}")
        try:  # up, then ready (its first category forecast once)
            if httpx.get(server.url + "/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"trendcast serve did not answer in {timeout} s: {server.stop()}")


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small saved forecaster (read only: tests that replace it copy it first)."""
    path = tmp_path_factory.mktemp("service") / "model"
    fit_small(path)
    return path


@pytest.fixture(scope="session")
def server(saved: Path):
    """The service on ``saved``, with a bearer token."""
    running = start_server("--model", str(saved))
    yield running
    running.stop()


@pytest.fixture
def http(server: Server):
    """Raw HTTP to the server, with the token."""
    with httpx.Client(base_url=server.url, headers=server.headers(), timeout=60) as client:
        yield client


@pytest.fixture
def client(server: Server):
    """``trendcast.Client`` on the server."""
    with tc.Client(server.url, token=server.token) as api:
        yield api
