"""Who may read /metrics and the API documentation (EVPERKS_METRICS_ACCESS, EVPERKS_DOCS_ACCESS), the
headers API answers and pages carry, HSTS behind https, and what OPTIONS and a wrong method answer."""

from __future__ import annotations

import dataclasses
import re

import pytest
from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.services.access import create_admin_user

DOCS = ("/openapi.json", "/docs", "/redoc")


def client_with(api, **settings) -> TestClient:
    ctx = dataclasses.replace(api.ctx, settings=api.ctx.settings.model_copy(update=settings))
    return TestClient(create_app(ctx=ctx), raise_server_exceptions=False)


def test_metrics_need_an_admin_key_by_default(api):
    assert api.client.get("/metrics").status_code == 401
    assert api.platform("GET", "/metrics").status_code == 403
    answer = api.admin("GET", "/metrics")
    assert answer.status_code == 200 and "evperks_settlements_total" in answer.text


@pytest.mark.parametrize("access, anonymous, admin", [("off", 404, 404), ("open", 200, 200), ("admin", 401, 200)])
def test_metrics_and_docs_follow_their_access_setting(api, access, anonymous, admin):
    client = client_with(api, metrics_access=access, docs_access=access)
    for path in ("/metrics", *DOCS):
        assert client.get(path).status_code == anonymous, path
        assert client.get(path, headers=api.admin_headers).status_code == admin, path


def test_docs_are_open_in_the_sandbox_and_for_admins_only_in_production(api):
    assert all(api.client.get(path).status_code == 200 for path in DOCS)  # the tests run in sandbox mode
    production = client_with(api, sandbox=False)
    assert [production.get(path).status_code for path in DOCS] == [401, 401, 401]
    assert production.get("/openapi.json", headers=api.admin_headers).json()["info"]["title"] == "evperks"


def test_a_console_admin_reads_the_docs_in_the_browser(api):
    production = client_with(api, sandbox=False)
    create_admin_user(api.ctx, username="alice", password="correct-horse-battery", role="admin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', production.get("/admin/login").text).group(1)
    production.post("/admin/login", data={"username": "alice", "password": "correct-horse-battery",
                                          "csrf_token": token})
    assert production.get("/docs").status_code == 200
    assert "/api/v1/charge-orders" in production.get("/openapi.json").json()["paths"]


def test_api_answers_are_never_sniffed_nor_stored(api):
    for answer in (api.platform("GET", "/api/v1/members/nobody"), api.admin("GET", "/api/v1/admin/voucher-templates")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"


def test_console_and_h5_pages_are_never_stored(api):
    for path in ("/admin/login", "/h5/welcome", "/admin/no-such-page"):
        assert api.client.get(path).headers["cache-control"] == "no-store", path


def test_hsts_is_sent_only_when_the_public_address_is_https(api):
    assert "strict-transport-security" not in api.client.get("/admin/login").headers
    secure = client_with(api, public_base_url="https://perks.example.com")
    for path in ("/admin/login", "/api/v1/admin/voucher-templates", "/static/favicon.svg"):
        assert secure.get(path).headers["strict-transport-security"] == "max-age=31536000", path


def test_options_lists_every_method_the_path_really_has(api):
    answer = api.client.options("/api/v1/admin/campaigns/7/members")
    assert answer.status_code == 204
    assert answer.headers["allow"] == "DELETE, GET, OPTIONS, POST"


def test_a_method_the_path_lacks_is_405_naming_all_its_methods(api):
    answer = api.platform("DELETE", "/api/v1/charge-orders")
    assert api.admin("PUT", "/api/v1/admin/campaigns").headers["allow"] == "GET, OPTIONS, POST"
    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["allow"] == "OPTIONS, POST"
