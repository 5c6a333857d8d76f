"""The service over real HTTP: the answers equal the library's, bad input is a 4xx that
says what is wrong, every endpoint but the health checks needs the token."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import trendcast as tc
from tests.service.conftest import CATEGORIES, TOKEN

httpx = pytest.importorskip("httpx")

SECURED_GETS = ["/v1/flags", "/v1/hotspots", "/v1/categories", "/v1/runs", "/v1/accuracy",
                "/openapi.json", "/docs"]  # fmt: skip
SECURED_POSTS = ["/v1/predict", "/v1/gaps"]


def _library(saved):
    fc = tc.load(saved)
    return fc


def _plan(fc: tc.TrendForecaster, keys: list[str], h: int, scale: float) -> pd.DataFrame:
    """Supply at ``scale`` times the forecast mean (a plan that runs short below 1)."""
    forecast = fc.predict(h, ids=keys)
    return forecast[["unique_id", "ds"]].assign(supply=forecast["mean"] * scale)


def test_health_checks_need_no_token(server):
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and body["source"] == "model" and body["categories"] == 5
    assert body["checks"] == {"models": "ok", "source": "ok"}


@pytest.mark.parametrize("path", SECURED_GETS + SECURED_POSTS)
@pytest.mark.parametrize("token", [None, "wrong"])
def test_every_other_endpoint_needs_the_token(server, path, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    call = httpx.post if path in SECURED_POSTS else httpx.get
    kwargs = {"json": {"horizon": 1}} if path in SECURED_POSTS else {}
    answer = call(server.url + path, headers=headers, **kwargs)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "bearer token" in answer.json()["detail"]


def test_predict_equals_the_library(client, saved):
    fc = _library(saved)
    got = client.predict(6, level=(80, 95), ids=["448", "441"])
    want = fc.predict(6, level=(80, 95), ids=["448", "441"])
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=0, atol=0)


def test_predict_all_categories_when_none_are_named(client, http, saved):
    got = client.predict(2, level=(50,))
    want = _library(saved).predict(2, level=(50,))
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=0, atol=0)
    raw = http.post("/v1/predict", json={"horizon": 2}).json()
    assert raw["forecast_source"] == "models" and raw["levels"] == [80, 95]
    assert [r["unique_id"] for r in raw["rows"][::2]] == CATEGORIES
    assert set(raw["rows"][0]) == {"unique_id", "ds", "model", "mean", "lo-80", "hi-80",
                                   "lo-95", "hi-95"}  # fmt: skip


BAD_PREDICTS = [
    ({"categories": ["NOPE", "445", 999]}, "ParameterError",
     "2 categories not served: 'NOPE', 999"),
    ({"horizon": 0}, "RequestValidationError", "body.horizon: Input should be greater than"),
    ({"horizon": 121}, "ParameterError", "horizon=121 is more periods than this server"),
    ({"horizon": "soon"}, "RequestValidationError", "body.horizon"),
    ({"levels": [0]}, "RequestValidationError", "body.levels.0: Input should be greater than 0"),
    ({"levels": [100]}, "RequestValidationError", "body.levels.0: Input should be less than 100"),
    ({"levels": [80, 250]}, "RequestValidationError", "body.levels.1"),
    ({"levels": [80.5]}, "RequestValidationError", "body.levels.0"),
    ({"covariates": [{"unique_id": "445", "ds": "2024-10-01", "price": 1.0}]},
     "DataValidationError", "fitted without future covariates"),
    ({"covariates": "price"}, "RequestValidationError", "body.covariates"),
    ({"horizon": 3, "colour": "red"}, "RequestValidationError", "body.colour: Extra inputs"),
    ({"run": "2020-01-01"}, "NotAvailableError", "serves one saved forecaster"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "error", "says"), BAD_PREDICTS)
def test_bad_predict_is_a_4xx_that_says_what_is_wrong(http, body, error, says):
    answer = http.post("/v1/predict", json=body)
    assert answer.status_code == (404 if error == "NotAvailableError" else 422)
    assert answer.json()["error"] == error
    assert says in answer.json()["detail"]


def test_malformed_and_oversized_bodies(http):
    bad = http.post(
        "/v1/predict", content=b'{"horizon": 3', headers={"content-type": "application/json"}
    )
    assert bad.status_code == 422 and "JSON" in bad.json()["detail"]
    big = http.post(
        "/v1/predict", content=b" " * 2_000_001, headers={"content-type": "application/json"}
    )
    assert big.status_code == 413 and "larger than the 2,000,000 bytes" in big.json()["detail"]
    assert http.post("/v1/predict", json={"categories": ["445"] * 1001}).status_code == 200  # one


def test_the_client_raises_the_library_errors(client):
    with pytest.raises(tc.ParameterError, match="not served: 'zz'"):
        client.predict(3, ids=["zz"])
    with pytest.raises(tc.ParameterError, match="levels"):
        client.predict(3, level=(120,))
    with pytest.raises(tc.TrendcastError) as caught:
        client.flags()
    assert caught.value.status == 404 and "nightly job's store" in str(caught.value)
    with pytest.raises(tc.TrendcastError) as caught:
        tc.Client(client.url).predict(3)
    assert caught.value.status == 401


def test_gaps_and_flags_equal_the_library(client, saved):
    fc = _library(saved)
    keys = ["445", "452"]
    plan = _plan(fc, keys, 4, 0.97)
    got = client.gaps(plan, window=2, n_paths=400, seed=7)
    forecast = fc.predict(4, ids=keys)
    paths = fc.sample_paths(4, n_paths=400, random_state=7, output="arrays", ids=keys)
    want = tc.supply_gaps(forecast, plan, paths=paths, window=2)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert got["distribution"].eq("paths").all() and got["p_short_window"].notna().any()
    history = tc.datasets.load_us_retail(categories=keys)
    flags = client.flags(plan, window=2, n_paths=400, seed=7)
    summary = tc.summarize_gaps(want, history=history)
    assert list(flags.columns) == list(summary.columns)
    assert flags["reason"].tolist() == summary["reason"].tolist()
    assert flags["flag"].tolist() == summary["flag"].tolist()
    np.testing.assert_allclose(flags["forecast_growth"], summary["forecast_growth"], rtol=1e-12)


def test_a_stock_and_a_priced_plan(client, saved):
    fc = _library(saved)
    origin = fc.last_dates_["448"]
    stock = pd.DataFrame({"unique_id": ["448", "448"],
                          "ds": [origin, origin + pd.DateOffset(months=2)],
                          "supply": [30000.0, 20000.0]})  # fmt: skip
    got = client.gaps(stock, kind="stock", horizon=4, n_paths=300, unit_price=2.0)
    assert {"demand_to_date", "receipts", "cover", "shortfall_value"} <= set(got.columns)
    assert len(got) == 4 and got["receipts"].tolist() == [0.0, 20000.0, 0.0, 0.0]
    with pytest.raises(tc.ParameterError, match="pass horizon"):
        client.gaps(stock.head(1), kind="stock")


BAD_GAPS = [
    ({"supply": []}, "body.supply: List should have at least 1 item"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-01", "supply": -5}]},
     "body.supply.0.supply: Input should be greater than or equal to 0"),
    ({"supply": [{"unique_id": "nope", "ds": "2024-10-01", "supply": 5}]},
     "supply: 1 categories not served: 'nope'"),
    ({"supply": [{"unique_id": "445", "ds": "October", "supply": 5}]},
     "supply row 0: ds 'October' is not a date"),
    ({"supply": [{"unique_id": "445", "ds": "2024-11-01", "supply": 5}]},
     "1 forecast period of 1 category has no supply"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-15", "supply": 5}]}, "anchor"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-01T00:00:00+02:00", "supply": 5}]},
     "supply: ds is in time zone UTC+02:00, the forecast's periods in none"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-01", "supply": 5}], "n_paths": 10},
     "body.n_paths: Input should be greater than or equal to 100"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-01", "supply": 5}], "threshold": 1.5},
     "body.threshold"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-01", "supply": 5}], "horizon": 400},
     "horizon=400 is more periods"),
    ({"supply": [{"unique_id": "445", "ds": "2024-10-01", "supply": 5, "scenario": "a"},
                 {"unique_id": "445", "ds": "2024-11-01", "supply": 5}]},
     "scenario is given on 1 of 2 rows"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "says"), BAD_GAPS)
def test_bad_gaps_are_a_422_that_says_what_is_wrong(http, body, says):
    answer = http.post("/v1/gaps", json=body)
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]


def test_categories_runs_accuracy_and_hotspots(client, http, saved):
    fc = _library(saved)
    cats = client.categories()
    assert cats["unique_id"].tolist() == CATEGORIES
    assert cats["model"].tolist() == fc.fit_report_["model_used"].tolist()
    assert (cats["last_date"] == pd.Timestamp("2024-09-01")).all()
    runs = client.runs()
    assert len(runs) == 1 and bool(runs["served"].iloc[0])
    assert http.get("/readyz").json()["run"] == runs["id"].iloc[0]
    accuracy = client.accuracy(["445"])
    want = fc.selection_report_[fc.selection_report_["unique_id"] == "445"]
    assert accuracy["basis"].eq("backtest").all()
    np.testing.assert_allclose(accuracy["mase"].astype(float), want["mase"].astype(float))
    hot = client.hotspots(period=6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = tc.datasets.load_us_retail(categories=CATEGORIES)
        expected = tc.hotspots(fc.predict(6, level=(80,)), history=history, period=6)
    assert hot["unique_id"].tolist() == expected["unique_id"].tolist()
    np.testing.assert_allclose(hot["growth"], expected["growth"], rtol=1e-12)
    assert http.get("/v1/hotspots", params={"level": 100}).status_code == 422


def test_the_schema_has_examples_and_the_security_scheme(http):
    schema = http.get("/openapi.json").json()
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()
    request = schema["components"]["schemas"]["PredictRequest"]
    assert request["examples"] and request["additionalProperties"] is False
    assert set(schema["paths"]) == {"/healthz", "/readyz", "/v1/predict", "/v1/gaps",
                                    "/v1/flags", "/v1/hotspots", "/v1/categories", "/v1/runs",
                                    "/v1/accuracy"}  # fmt: skip
    assert TOKEN not in str(schema)
