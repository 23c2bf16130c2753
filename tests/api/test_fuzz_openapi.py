"""Schemathesis fuzzes every operation of /openapi.json with valid and invalid input: none may produce
a server error, and every refusal is problem+json."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import local


@pytest.fixture
def api_schema(api):
    api.set_clock(local(2026, 3, 12, 12))
    # "all": schema-valid requests and deliberately invalid ones (wrong types, missing fields, …).
    config = SchemathesisConfig.from_dict({"generation": {"mode": "all"}})
    return schemathesis.openapi.from_asgi("/openapi.json", api.client.app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_makes_a_server_error(case, api):
    response = case.call(headers=api.admin_headers)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
    if response.status_code >= 400:
        assert response.headers["content-type"] in ("application/problem+json", ["application/problem+json"])
        assert response.json()["status"] == response.status_code
