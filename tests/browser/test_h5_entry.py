"""Entering the H5: signed links, refused links, no session, and one member never seeing another's data."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from evperks.services import vouchers
from tests.browser.h5_support import WAIT, enter, link, local, member, template

PRIVATE_PAGES = ["/h5", "/h5/me", "/h5/invite", "/h5/invite/qr.svg", "/h5/vouchers", "/h5/recharge", "/h5/recharges",
                 "/h5/points", "/h5/campaigns", "/h5/messages"]


def test_a_tampered_or_expired_link_shows_a_clear_page_and_starts_no_session(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    alice = member(site, "13800000001")
    url = link(site, alice["id"])
    phone.goto(url[:-2] + ("00" if not url.endswith("00") else "11"))
    expect(phone.get_by_role("heading", name="链接无效")).to_be_visible()
    expect(phone.get_by_role("alert")).to_contain_text("请从公众号菜单重新进入会员中心")
    phone.goto("/h5")
    phone.wait_for_url("**/h5/welcome")
    expect(phone.get_by_role("heading", name="请从公众号进入")).to_be_visible()
    expect(phone.get_by_role("navigation", name="底部导航")).to_have_count(0)

    site.ctx.clock.move_to(local(2026, 3, 19, 12, 0, 1))  # the 7-day link has just expired
    phone.goto(url)
    expect(phone.get_by_role("heading", name="链接已过期")).to_be_visible()
    assert not [c for c in phone.context.cookies() if c["name"] == "evperks_member"]
    for path in PRIVATE_PAGES:  # nothing private without a session
        response = httpx.get(site.url(path), follow_redirects=False, timeout=WAIT)
        assert (response.status_code, response.headers["location"]) == (303, "/h5/welcome"), path


def test_one_members_session_never_shows_another_members_data(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    alice = member(site, "13800000001", nickname="Alice")
    bob = member(site, "13800000002", nickname="Bob")
    vouchers.issue_manual(site.ctx, member_id=alice["id"], template_id=template(site, "爱丽丝的券", 500), quantity=1,
                          reason="补偿", issued_by="客服")
    vouchers.issue_manual(site.ctx, member_id=bob["id"], template_id=template(site, "鲍勃的券", 700), quantity=1,
                          reason="鲍勃专属", issued_by="客服")
    enter(phone, site, alice["id"])
    for path in PRIVATE_PAGES + [f"/h5?member_id={bob['id']}", f"/h5/vouchers?member={bob['id']}&id={bob['id']}"]:
        body = phone.request.get(path).text()
        for secret in ["Bob", "鲍勃", bob["invite_code"], "0002", bob["id"]]:
            assert secret not in body, (path, secret)
    phone.goto(f"/h5/vouchers?member_id={bob['id']}")
    expect(phone.get_by_test_id("voucher")).to_have_count(1)
    expect(phone.get_by_test_id("voucher")).to_contain_text("爱丽丝的券")

    # A cookie whose member part is swapped for Bob's is refused, not read as Bob's session.
    (cookie,) = [c for c in phone.context.cookies() if c["name"] == "evperks_member"]
    version, _, expires, mac = cookie["value"].split(".")
    bob_part = link(site, bob["id"]).split("t=")[1].split(".")[1]
    phone.context.add_cookies([{**cookie, "value": f"{version}.{bob_part}.{expires}.{mac}"}])
    phone.goto("/h5/vouchers")
    phone.wait_for_url("**/h5/welcome")
    # And Bob's entry link does not work as a cookie either: links and sessions are signed apart.
    phone.context.add_cookies([{**cookie, "value": link(site, bob["id"]).split("t=")[1]}])
    phone.goto("/h5")
    phone.wait_for_url("**/h5/welcome")
