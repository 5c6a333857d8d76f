"""Property-based requests from the OpenAPI schema (schemathesis) against the real server:
no answer is a 5xx, and every answer matches the schema. Bounded: at most 50 examples an
operation, derandomized."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from trendcast.service.app import create_app  # noqa: E402


class _NoSource:
    """Enough of a source to build the app whose schema the server serves."""

    kind = "model"


# the schema is the app's own (the server serves the same: a test below compares them)
schema = schemathesis.openapi.from_dict(create_app(_NoSource(), refresh_seconds=None).openapi())


def test_the_server_serves_this_schema(server):
    import httpx

    served = httpx.get(server.url + "/openapi.json", headers=server.headers()).json()
    own = create_app(_NoSource(), refresh_seconds=None).openapi()
    assert served["paths"] == own["paths"] and served["components"] == own["components"]


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error(case, server):
    case.call_and_validate(
        base_url=server.url,
        headers=server.headers(),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
