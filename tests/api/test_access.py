from __future__ import annotations

from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.config import Settings
from evperks.services.access import create_api_key


def test_a_call_without_a_key_is_401_problem_json(api):
    response = api.client.get("/api/v1/members/nobody")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_key_is_401(api):
    response = api.client.get("/api/v1/members/nobody", headers={"Authorization": "Bearer evp_not-a-key"})
    assert response.status_code == 401


def test_a_platform_key_cannot_make_admin_calls(api):
    response = api.platform("GET", "/api/v1/admin/voucher-templates")
    assert response.status_code == 403
    assert response.json()["title"] == "Forbidden"


def test_an_admin_key_can_make_platform_calls(api):
    assert api.admin("PUT", "/api/v1/stations/S1", json={"name": "站", "city": "深圳"}).status_code == 201


def test_sandbox_calls_need_the_admin_role(api):
    response = api.platform("PUT", "/api/v1/sandbox/clock", json={"now": "2030-01-01T00:00:00+08:00"})
    assert response.status_code == 403


def test_sandbox_endpoints_do_not_exist_outside_sandbox_mode(ctx, database_url):
    settings = Settings(database_url=database_url, sandbox=False, scheduler=False)
    key = create_api_key(ctx, name="admin", role="admin")
    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.put("/api/v1/sandbox/clock", json={"now": "2030-01-01T00:00:00"}, headers=headers).status_code == 404
        assert client.post("/api/v1/sandbox/tick", headers=headers).status_code == 404


def test_the_sandbox_clock_stands_still_where_set_and_never_moves_back(api):
    assert api.admin("PUT", "/api/v1/sandbox/clock", json={"now": "2030-01-01T08:00:00"}).json() == {
        "now": "2030-01-01T08:00:00+08:00"
    }
    assert api.admin("GET", "/api/v1/sandbox/clock").json()["now"] == "2030-01-01T08:00:00+08:00"
    back = api.admin("PUT", "/api/v1/sandbox/clock", json={"now": "2029-12-31T00:00:00+08:00"})
    assert back.status_code == 409
    assert back.json()["errors"][0]["field"] == "now"


def test_openapi_and_docs_are_served(api):
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/charge-orders" in spec["paths"]
    assert "/api/v1/admin/voucher-templates/{template_id}" in spec["paths"]
    assert api.client.get("/docs").status_code == 200


def test_metrics_count_settlements_and_problems(api):
    before = api.admin("GET", "/metrics").text
    api.platform("GET", "/api/v1/members/nobody")
    after = api.admin("GET", "/metrics").text

    def value(text: str, sample: str) -> float:
        line = next((l for l in text.splitlines() if l.startswith(sample + " ")), None)
        return float(line.split()[-1]) if line else 0.0

    assert value(after, 'evperks_problems_total{status="404"}') == value(before, 'evperks_problems_total{status="404"}') + 1
    assert "evperks_settlements_total" in after
