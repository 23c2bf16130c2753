"""A person who reaches a wrong address or sends a broken form on the console or the H5 gets a page in
Chinese, never JSON or a stack trace; the API keeps answering problem+json."""

from __future__ import annotations

from evperks.services import admin_sessions
from tests.api.test_console_session_api import sign_in


def test_an_unknown_console_or_h5_address_is_a_chinese_404_page(api):
    for path in ("/admin/no-such-page", "/h5/no-such-page"):
        response = api.client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "页面不存在" in response.text


def test_an_unknown_api_address_is_still_problem_json(api):
    response = api.platform("GET", "/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_unreadable_form_is_a_400_page_that_changes_nothing(api):
    response = api.client.post("/admin/login", data={"username": "x" * 500, "password": "p", "csrf_token": "t"})
    assert response.status_code == 400
    assert "请求被拒绝" in response.text and "evperks_admin" not in response.cookies


def test_an_unexpected_failure_on_a_page_says_nothing_changed_without_a_stack_trace(api, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(admin_sessions, "session_for", broken)
    api.client.cookies.set("evperks_admin", "any")
    response = api.client.get("/admin")
    assert response.status_code == 500
    assert "未做任何更改" in response.text
    assert "database exploded" not in response.text and "Traceback" not in response.text


def test_ugly_ids_in_console_addresses_are_refused_pages_not_failures(api):
    sign_in(api, "alice", "admin")
    for path in ("/admin/campaigns/99999999999999999999", "/admin/voucher-templates/0",
                 "/admin/members/a%00b", "/admin/campaigns/abc/members"):
        response = api.client.get(path)
        assert response.status_code == 400, path
        assert "请求被拒绝" in response.text
    assert api.client.get("/admin/campaigns/123456").status_code == 404


def test_pages_forbid_framing_and_sniffing_while_the_api_is_left_as_it_was(api):
    page = api.client.get("/admin/login")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in api.platform("GET", "/api/v1/members/nobody").headers
