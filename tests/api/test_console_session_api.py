"""api.md: admin calls carry an admin key or an admin console session. A session acts as an admin key
only for console admins, and a change made with it needs the session's CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from evperks.services.access import create_admin_user

PASSWORD = "correct-horse-battery"


def sign_in(api, username: str, role: str) -> str:
    """Sign in through the console's form; the client keeps the session cookie. Returns the CSRF token."""
    create_admin_user(api.ctx, username=username, password=PASSWORD, role=role)
    form = api.client.get("/admin/login").text
    login_token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = api.client.post("/admin/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": login_token}, follow_redirects=False)
    assert response.status_code == 303, response.text
    home = api.client.get("/admin").text
    return re.search(r'"X-CSRF-Token": "([^"]+)"', home).group(1)


def template_body() -> dict:
    return {"name": "会话券", "face_value_fen": 500, "deduction_type": "total", "validity": {"type": "days", "days": 3}}


def test_a_console_admin_session_reads_and_changes_through_the_admin_api(api):
    csrf = sign_in(api, "alice", "admin")
    created = api.client.post("/api/v1/admin/voucher-templates", json=template_body(), headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201, created.text
    listed = api.client.get("/api/v1/admin/voucher-templates")
    assert [t["name"] for t in listed.json()["items"]] == ["会话券"]


def test_a_change_with_a_session_but_without_its_csrf_token_is_refused_and_changes_nothing(api):
    sign_in(api, "alice", "admin")
    refused = api.client.post("/api/v1/admin/voucher-templates", json=template_body())
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/api/v1/admin/voucher-templates").json()["items"] == []


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_a_session_of_a_console_user_who_is_not_an_admin_cannot_call_the_api(api, role):
    sign_in(api, "bob", role)
    assert api.client.get("/api/v1/admin/voucher-templates").status_code == 403
    assert api.client.get("/api/v1/members/nobody").status_code == 403


def test_the_login_form_counts_failures_per_client_address(api):
    """Five wrong passwords from one address lock the name there (429); another address still signs in."""

    create_admin_user(api.ctx, username="alice", password=PASSWORD, role="admin")

    def post(client: TestClient, password: str):
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
        return client.post("/admin/login", data={"username": "alice", "password": password, "csrf_token": token},
                           follow_redirects=False)

    attacker = TestClient(api.client.app, client=("203.0.113.7", 40000))
    office = TestClient(api.client.app, client=("10.0.0.1", 40000))
    statuses = [post(attacker, "guess").status_code for _ in range(api.ctx.settings.login_max_failures)]
    assert statuses == [401] * (len(statuses) - 1) + [429]
    assert post(attacker, PASSWORD).status_code == 429
    assert post(office, PASSWORD).status_code == 303
