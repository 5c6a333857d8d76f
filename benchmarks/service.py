#!/usr/bin/env python
"""How fast does ``trendcast serve`` answer? A bounded load from a second process on loopback.

Another tool asks the service for forecasts and checks plans against them. This
script starts ``trendcast serve --model DIR`` in a subprocess on 127.0.0.1 (a
free port) and, from this process, sends a fixed number of requests at
concurrency 1, 8 and 32 (asyncio workers, one keep-alive connection each) for

* ``predict-1``: ``POST /v1/predict`` of one category (12 months, 80% and 95%),
  a different one of ``--hot`` categories each request;
* ``predict-100``: the same for 100 of them at once;
* ``gaps``: ``POST /v1/gaps`` of one category's 6-month plan at 97% of its
  forecast (1,000 sample paths drawn per request: never cached);

and reports throughput and p50/p99 latency per scenario and concurrency. The
``--hot`` categories are asked for once, untimed, before the timed requests
(their models rebuilt and their forecasts cached, as in a server that has been
up for a while); ``first touch`` times single requests for categories never
asked for before. It also reports the server's cold start (spawn to
``/healthz``, to ``/readyz``, and to the first one-category forecast) and the
library's: in a fresh process, ``import trendcast``, then
``trendcast.load(DIR).predict(1, ids=[one])``, each timed apart.

The save: ``--model DIR``, or one fitted here and kept in
``benchmarks/.cache/service-auto-<n>`` (``models="auto"`` on ``--categories``
perturbed copies of the bundled US retail data, as ``benchmarks/persistence.py``
makes them; about 15 minutes on 2 busy cores). Run with the development
environment (``trendcast[service]`` installed)::

    PYTHONPATH=src .venv/bin/python benchmarks/service.py

Results go to ``benchmarks/results/service.md`` and ``.json``. Everything stays
on 127.0.0.1 and is bounded by ``--requests`` and ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # loaded by path (a test), not run as a script
    sys.path.append(str(HERE))
from _provenance import provenance, with_provenance  # noqa: E402

CONCURRENCY = (1, 8, 32)
#: what a fresh process may still import on its way to a forecast, reported with its times
HEAVY = ("sklearn", "statsmodels", "scipy.stats", "scipy.signal", "scipy.optimize", "skops")
COLD_CODE = """
import json, os, sys, time
load_avg = os.getloadavg()[0]
tp = time.perf_counter()
import pandas
t0 = time.perf_counter()
import trendcast as tc
t1 = time.perf_counter()
fc = tc.load(sys.argv[1])
t2 = time.perf_counter()
fc.predict(1, ids=[sys.argv[2]])
t3 = time.perf_counter()
heavy = sorted(m for m in sys.argv[3].split(",") if m in sys.modules)
print(json.dumps({"import_pandas": t0 - tp, "import": t1 - t0, "load": t2 - t1,
                  "predict": t3 - t2, "load_predict": t3 - t1, "total": t3 - tp,
                  "cpu": time.process_time(), "load_avg": load_avg, "imported": heavy}))
"""


def build_model(n_categories: int, path: Path) -> Path:
    """``models="auto"`` on ``n_categories`` perturbed US retail copies, saved at ``path``."""
    from persistence import panel

    import trendcast as tc

    if (path / "manifest.json").is_file():
        return path
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    fc = tc.TrendForecaster(models="auto", n_jobs=2).fit(panel(n_categories))
    print(f"fitted {n_categories} categories in {time.perf_counter() - start:.0f} s", flush=True)
    return fc.save(path, overwrite=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(model: Path, first: str) -> tuple[subprocess.Popen, str, dict[str, float]]:
    """Spawn the server; time it to /healthz, /readyz and a first one-category forecast."""

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "TRENDCAST_API_TOKEN"}
    cmd = [sys.executable, "-m", "trendcast.cli", "serve", "--model", str(model),
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return proc, url, _time_start(proc, url, t0, first)
    except BaseException:
        proc.terminate()  # never leave a server behind
        proc.wait(30)
        raise


def _time_start(proc: subprocess.Popen, url: str, t0: float, first: str) -> dict[str, float]:
    import httpx

    cold: dict[str, float] = {}
    deadline = t0 + 300
    while time.perf_counter() < deadline and "healthz_s" not in cold:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                cold["healthz_s"] = time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.05)
    while time.perf_counter() < deadline and "readyz_s" not in cold:
        if httpx.get(url + "/readyz", timeout=60).status_code == 200:  # warmed up
            cold["readyz_s"] = time.perf_counter() - t0
        else:
            time.sleep(0.05)
    body = {"categories": [first], "horizon": 1}
    answer = httpx.post(url + "/v1/predict", json=body, timeout=300)
    assert answer.status_code == 200, answer.text
    cold["first_predict_s"] = time.perf_counter() - t0
    return cold


def library_cold_start(model: Path, one: str, repeats: int) -> list[dict[str, float]]:
    """``import trendcast`` and ``load(...).predict(1, ids=[one])`` in fresh processes."""
    # as an installed package runs: Python's bytecode cache on (pip compiles it at install;
    # a development shell may set PYTHONDONTWRITEBYTECODE, which recompiles every module
    # of trendcast's in each process), written by one untimed run into a folder of its own
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(HERE / ".cache" / "pycache")
    runs = []
    for _ in range(repeats + 1):
        out = subprocess.run(
            [sys.executable, "-c", COLD_CODE, str(model), one, ",".join(HEAVY)],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs[1:]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _request_bytes(url: str, path: str, body: dict[str, Any]) -> bytes:
    """One HTTP/1.1 keep-alive POST of ``body`` as JSON, encoded once before the timing."""
    host = url.split("//", 1)[1]
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request, read its whole answer (``Content-Length`` framed); its status."""
    writer.write(request)
    status = int((await reader.readline()).split(b" ", 2)[1])
    length = None
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("an answer without Content-Length: this client cannot frame it")
    await reader.readexactly(length)
    return status


async def _load(
    url: str,
    bodies: list[tuple[str, dict[str, Any]]],
    concurrency: int,
    max_seconds: float,
    client: str = "raw",
) -> dict[str, Any]:
    """Send ``bodies`` with ``concurrency`` workers; latencies of the answered ones.

    ``client="raw"``: each worker keeps one connection and writes requests encoded
    before the timing, reading status, headers and body off the socket (about a
    tenth of httpx's processor time a request, so a load generator on the same
    cores takes less from the server). ``client="httpx"``: ``httpx.AsyncClient``.
    """
    latencies: list[float] = []
    errors: dict[int, int] = {}
    queue = iter(range(len(bodies)))
    stop_at = time.perf_counter() + max_seconds
    encoded = [_request_bytes(url, path, body) for path, body in bodies]
    host, port = url.split("//", 1)[1].split(":")

    def record(status: int, elapsed: float) -> None:
        if status == 200:
            latencies.append(elapsed)
        else:
            errors[status] = errors.get(status, 0) + 1

    async def raw_worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in queue:
                if time.perf_counter() > stop_at:
                    return
                start = time.perf_counter()
                status = await _exchange(reader, writer, encoded[i])
                record(status, time.perf_counter() - start)
        finally:
            writer.close()

    async def httpx_worker() -> None:
        import httpx

        async with httpx.AsyncClient(base_url=url, timeout=120) as session:
            for i in queue:
                if time.perf_counter() > stop_at:
                    return
                path, body = bodies[i]
                start = time.perf_counter()
                answer = await session.post(path, json=body)
                record(answer.status_code, time.perf_counter() - start)

    worker = raw_worker if client == "raw" else httpx_worker
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {
        "client": client,
        "requests": len(latencies) + sum(errors.values()),
        "answered": len(latencies),
        "errors": errors,
        "seconds": wall,
        "throughput": len(latencies) / wall if wall else float("nan"),
        "p50_ms": float(np.percentile(ms, 50)) if ms.size else float("nan"),
        "p99_ms": float(np.percentile(ms, 99)) if ms.size else float("nan"),
        "max_ms": float(ms.max()) if ms.size else float("nan"),
    }


def scenarios(hot: list[str], origin: dict[str, str], n: int, rng: np.random.Generator) -> dict:
    """The requests of each scenario: ``n`` of each (fewer of the heavier ones)."""
    one = [("/v1/predict", {"categories": [str(rng.choice(hot))], "horizon": 12})
           for _ in range(n)]  # fmt: skip
    hundred = [
        ("/v1/predict", {"categories": list(rng.choice(hot, 100, replace=False)), "horizon": 12})
        for _ in range(max(n // 8, 1))
    ]
    gaps = []
    for _ in range(max(n // 8, 1)):
        key = str(rng.choice(hot))
        supply = [{"unique_id": key, "ds": d, "supply": s} for d, s in origin[key]]
        gaps.append(("/v1/gaps", {"supply": supply, "n_paths": 1000}))
    return {"predict-1": one, "predict-100": hundred, "gaps": gaps}


def warm(url: str, hot: list[str], h: int = 6) -> dict[str, tuple]:
    """Ask for every hot category once (untimed); return each one's 6-month plan at 97%."""
    import httpx

    plans = {}
    with httpx.Client(base_url=url, timeout=600) as client:
        for start in range(0, len(hot), 50):
            keys = hot[start : start + 50]
            client.post("/v1/predict", json={"categories": keys, "horizon": 12}).raise_for_status()
            rows = client.post("/v1/predict", json={"categories": keys, "horizon": h}).json()
            for row in rows["rows"]:
                supply = round(row["mean"] * 0.97, 3)
                plans.setdefault(row["unique_id"], []).append((row["ds"], supply))
    return plans


def first_touch(url: str, keys: list[str]) -> list[float]:
    """Latency (ms) of one-category forecasts of categories never asked for before."""
    import httpx

    out = []
    with httpx.Client(base_url=url, timeout=600) as client:
        for key in keys:
            start = time.perf_counter()
            client.post("/v1/predict", json={"categories": [key], "horizon": 12}).raise_for_status()
            out.append((time.perf_counter() - start) * 1000)
    return out


HEADER = (
    "| scenario | concurrency | requests | errors | throughput | p50 | p99 | max "
    "| server CPU | client CPU | load avg |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
)


def _table_rows(rows: list[dict[str, Any]]) -> list[str]:
    out = []
    for row in rows:
        errors = sum(row["errors"].values())
        out.append(
            f"| {row['scenario']} | {row['concurrency']} | {row['requests']} | {errors} | "
            f"{row['throughput']:.1f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['max_ms']:.1f} | {row['server_cpu_ms']:.2f} | "
            f"{row.get('client_cpu_ms', float('nan')):.2f} | {row['load_before']:.2f} |"
        )
    return out


def report(res: dict[str, Any], args: argparse.Namespace) -> str:
    """The markdown of the results."""
    cold, lib = res["server_cold_start"], res["library_cold_start"]
    best = min(lib, key=lambda r: r["total"])
    lines = [
        "# The HTTP service under load",
        "",
        f"`trendcast serve --model` on {res['n_categories']} categories of `models=\"auto\"` "
        f"(monthly, {res['model_mix']}), on 127.0.0.1; the load from a second process "
        "(asyncio workers on uvloop, one keep-alive connection each, writing requests "
        "encoded before the timing and reading the answers off the socket; httpx's client "
        "for comparison below). "
        f"{res['n_hot']} categories were asked for once before the timed requests (their "
        "models rebuilt, their forecasts cached); `gaps` scores a plan of one of them, "
        "drawing its 1,000 sample paths on its first `gaps` request (the server keeps the "
        "last 500 categories' draws) and computing the gaps and flags every time. Latency "
        "in milliseconds, throughput in answered requests a second; server CPU is the "
        "server process's CPU time per answered request (what the machine's load does not "
        "change much), client CPU the load generator's; the load average is the machine's "
        f"1-minute figure when the row started ({os.cpu_count()} cores, shared with other "
        "developers' jobs).",
        "",
        *HEADER,
        *_table_rows(res["rows"]),
    ]
    lines += [
        "",
        "The one-category load again from `httpx.AsyncClient` (what `trendcast.Client` "
        "uses), same server:",
        "",
        *HEADER,
        *_table_rows(res.get("httpx_rows", [])),
    ]
    touch = res["first_touch_ms"]
    lines += [
        "",
        f"First touch: a one-category forecast of a category never asked for (its model "
        f"rebuilt from the save), {len(touch)} of them one at a time: median "
        f"{statistics.median(touch):.0f} ms, max {max(touch):.0f} ms.",
        "",
        "## Cold start",
        "",
        f"Server: spawn to `/healthz` {cold['healthz_s']:.2f} s, to `/readyz` "
        f"{cold['readyz_s']:.2f} s, to the first one-category forecast answered "
        f"{cold['first_predict_s']:.2f} s.",
        "",
        "Library, in a fresh process (seconds; `import trendcast` timed apart; process CPU is "
        "the CPU time of the whole process, interpreter start included, which a busy machine "
        "changes less than the wall-clock times; Python's bytecode cache on, as in an "
        "installed package, filled by one untimed run before these):",
        "",
        "| run | import pandas | import trendcast | load | predict one | load + predict one "
        "| all of it | process CPU | load avg | imported on the way |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(lib, 1):
        lines.append(
            f"| {i} | {r['import_pandas']:.3f} | {r['import']:.3f} | {r['load']:.3f} | "
            f"{r['predict']:.3f} | {r['load_predict']:.3f} | {r['total']:.3f} | "
            f"{r.get('cpu', float('nan')):.3f} | "
            f"{r.get('load_avg', float('nan')):.2f} | "
            f"{', '.join(r.get('imported', [])) or 'none of ' + ', '.join(HEAVY)} |"
        )
    lines += [
        "",
        f"Best load + predict one: {best['load_predict']:.3f} s once pandas is imported; "
        f"{best['total']:.3f} s with pandas' import, in the same run (target: under 0.3 s "
        "in a fresh process, which includes importing pandas: trendcast returns pandas "
        "frames, so no process that forecasts avoids it).",
        "",
        f"Command: `PYTHONPATH=src .venv/bin/python benchmarks/service.py {res['argv']}`. "
        f"Machine: {platform.machine()}, Python {platform.python_version()}.",
        "",
    ]
    return "\n".join(lines)


def _run(coro: Any) -> Any:
    """Run ``coro`` on uvloop's event loop when it is installed (as the server does)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def _row(
    proc: subprocess.Popen, url: str, name: str, bodies: list, c: int, max_s: float, client: str
) -> dict[str, Any]:
    """One timed row: the load, its latencies, and the server's and this process's CPU."""
    load_before = os.getloadavg()[0]
    cpu_server, cpu_client = cpu_seconds(proc.pid), time.process_time()
    row = _run(_load(url, bodies, c, max_s, client))
    cpu_server = cpu_seconds(proc.pid) - cpu_server
    cpu_client = time.process_time() - cpu_client
    out = {"scenario": name, "concurrency": c, "load_before": load_before,
           "load_after": os.getloadavg()[0],
           "server_cpu_ms": 1000 * cpu_server / max(row["answered"], 1),
           "client_cpu_ms": 1000 * cpu_client / max(row["answered"], 1),
           **row}  # fmt: skip
    print(
        f"{name:12s} c={c:2d} {client:5s} {row['throughput']:7.1f}/s p50 {row['p50_ms']:7.1f} "
        f"p99 {row['p99_ms']:7.1f} ms (load {load_before:.1f})",
        flush=True,
    )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, help="a saved forecaster (default: fit one)")
    p.add_argument("--categories", type=int, default=1000)
    p.add_argument("--hot", type=int, default=200, help="categories warmed and asked for")
    p.add_argument(
        "--requests", type=int, default=2000,
        help="one-category predicts a row (an eighth of it for the heavier scenarios)",
    )  # fmt: skip
    p.add_argument("--max-seconds", type=float, default=120.0, help="per row, at most")
    p.add_argument("--cold-repeats", type=int, default=3)
    p.add_argument(
        "--cold-only", action="store_true",
        help="only the library's cold start (fresh processes), printed; no server, no load",
    )  # fmt: skip
    p.add_argument("--out", type=Path, default=HERE / "results" / "service.md")
    args = p.parse_args()
    prov = provenance("fastapi", "uvicorn", "httpx", "scikit-learn", "skops")
    import trendcast as tc

    model = args.model or build_model(
        args.categories, HERE / ".cache" / f"service-auto-{args.categories}"
    )
    loaded = tc.load(model)
    keys = [str(k) for k in loaded.state_.fits]
    mix = loaded.fit_report_["model_used"].str.split("(").str[0].value_counts().to_dict()
    rng = np.random.default_rng(0)
    order = list(rng.permutation(keys))
    hot, fresh = order[: args.hot], order[args.hot : args.hot + 20]
    lib = library_cold_start(model, order[-1], args.cold_repeats)
    if args.cold_only:
        for run in lib:
            print(json.dumps(run))
        return
    proc, url, cold = start_server(model, order[-2])
    rows: list[dict[str, Any]] = []
    compare: list[dict[str, Any]] = []
    try:
        touch = first_touch(url, fresh)
        origin = warm(url, hot)
        plan = scenarios(hot, origin, args.requests, rng)
        for name, bodies in plan.items():
            for c in CONCURRENCY:
                rows.append(_row(proc, url, name, bodies, c, args.max_seconds, "raw"))
        # the same one-category load from httpx, the client the tests and trendcast.Client use
        for c in (1, 8):
            compare.append(_row(proc, url, "predict-1", plan["predict-1"], c, args.max_seconds,
                                "httpx"))  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(30)
    res = {
        "provenance": prov,
        "argv": " ".join(sys.argv[1:]),
        "model": str(model),
        "n_categories": len(keys),
        "model_mix": ", ".join(f"{v} {k}" for k, v in mix.items()),
        "n_hot": len(hot),
        "server_cold_start": cold,
        "library_cold_start": lib,
        "first_touch_ms": touch,
        "rows": rows,
        "httpx_rows": compare,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = with_provenance(report(res, args), prov)
    args.out.write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    print(text)


if __name__ == "__main__":
    main()
