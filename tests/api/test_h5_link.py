"""GET /api/v1/members/{id}/h5-link: a signed, expiring entry link to the member H5."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.services.context import Context
from tests.api.conftest import local


def test_the_platform_gets_a_signed_link_that_opens_the_members_h5(api):
    api.set_clock(local(2026, 3, 12, 12))
    member = api.member()
    response = api.platform("GET", f"/api/v1/members/{member['id']}/h5-link")
    assert response.status_code == 200, response.text
    body = response.json()
    url = urlsplit(body["url"])
    assert f"{url.scheme}://{url.netloc}" == api.ctx.settings.public_base_url
    assert url.path == "/h5/enter"
    assert member["id"] not in body["url"]  # the id travels signed and encoded, never as a plain parameter
    assert body["expires_at"] == "2026-03-19T12:00:00+08:00"  # the default 7-day lifetime
    entered = api.client.get(f"/h5/enter?{url.query}", follow_redirects=False)
    assert entered.status_code == 303 and entered.headers["location"] == "/h5"
    cookie = entered.headers["set-cookie"]
    assert "evperks_member=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = parse_qs(url.query)["t"][0]
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    refused = api.client.get("/h5/enter", params={"t": tampered}, follow_redirects=False)
    assert refused.status_code == 403 and starts_no_session(refused)
    assert "链接无效" in refused.text


def starts_no_session(response) -> bool:
    """No session cookie, or only the removal of an older one."""
    cookie = response.headers.get("set-cookie", "")
    return not cookie or ('evperks_member=""' in cookie and "Max-Age=0" in cookie)


def test_an_unknown_member_has_no_link(api):
    response = api.platform("GET", "/api/v1/members/nobody/h5-link")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_link_needs_a_platform_key(api):
    member = api.member()
    assert api.client.get(f"/api/v1/members/{member['id']}/h5-link").status_code == 401


def test_an_expired_link_starts_no_session(api):
    api.set_clock(local(2026, 3, 12, 12))
    member = api.member()
    url = urlsplit(api.platform("GET", f"/api/v1/members/{member['id']}/h5-link").json()["url"])
    api.set_clock(local(2026, 3, 19, 12, 0, 1))
    refused = api.client.get(f"/h5/enter?{url.query}", follow_redirects=False)
    assert refused.status_code == 403 and starts_no_session(refused)
    assert "链接已过期" in refused.text


def test_without_a_secret_setting_a_link_opens_on_a_second_node_serving_the_same_database(api):
    assert api.ctx.settings.h5_link_secret is None
    member = api.member()
    link = api.platform("GET", f"/api/v1/members/{member['id']}/h5-link")
    assert link.status_code == 200, link.text
    second = Context.from_settings(api.ctx.settings)  # another process: its own engine and key cache
    try:
        with TestClient(create_app(ctx=second)) as other:
            url = urlsplit(link.json()["url"])
            entered = other.get(f"{url.path}?{url.query}", follow_redirects=False)
            assert entered.status_code == 303 and entered.headers["location"] == "/h5"
            home = other.get("/h5")
            assert home.status_code == 200 and member["phone"][-4:] in home.text
        api.client.cookies.set("evperks_member", entered.cookies["evperks_member"])
        back = api.client.get("/h5")
        assert back.status_code == 200 and member["phone"][-4:] in back.text  # the session holds on the first node
    finally:
        second.db.dispose()
