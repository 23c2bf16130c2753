"""An OCPI EVSE id (``BE*BEC*E041503003``) and a member id with ``*`` through the console and the H5: the
pages show them, and their links and forms (URL-encoded) lead back to them."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import vouchers, wallet
from tests.browser.conftest import log_in
from tests.browser.h5_support import charge, enter, local, member, platform, station, template

EVSE = "BE*BEC*E041503003"
MEMBER = "EMSP*u:1001@be"


def _scene(site) -> None:
    site.ctx.clock.move_to(local(2026, 3, 10, 9))
    station(site, EVSE, "Brussels 3")
    member(site, "13800000001", id=MEMBER, nickname="Zoë")
    scoped = template(site, "EVSE券", 500, station_ids=(EVSE,))
    vouchers.issue_manual(site.ctx, member_id=MEMBER, template_id=scoped, quantity=2, reason="welcome", issued_by="客服")
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    charge(site, MEMBER, "BE*BEC*CO-0001", station_id=EVSE)
    for n in (1, 2):
        wallet.create_recharge(site.ctx, order_no=f"R*{n}", member_id=MEMBER, amount_fen=5000)
        wallet.confirm_recharge(site.ctx, order_no=f"R*{n}", provider_txn_id=f"T*{n}")


def test_the_console_lists_edits_and_links_a_station_and_a_member_whose_ids_have_stars(page, site):
    _scene(site)
    log_in(page, site)

    page.goto("/admin/stations")
    row = page.locator(f'tr[id="{EVSE}"]')
    expect(row).to_contain_text("Brussels 3")
    row.get_by_role("link", name=f"编辑站点 {EVSE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"编辑站点 · {EVSE}")
    page.get_by_label("名称").fill("Brussels 3 (north)")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_have_text("站点已保存。")
    expect(page.locator(f'tr[id="{EVSE}"]')).to_contain_text("Brussels 3 (north)")
    assert platform(site, "GET", f"/api/v1/stations/{EVSE}").json()["name"] == "Brussels 3 (north)"

    page.goto("/admin/members?phone=13800000001")
    page.get_by_role("table", name="查询结果").get_by_role("link", name="13800000001").click()
    expect(page.locator("dl.facts")).to_contain_text(MEMBER)
    expect(page.get_by_role("table", name="持有代金券")).to_contain_text("BE*BEC*CO-0001")
    page.locator("#f-points").fill("30")
    page.locator("#f-points_reason").fill("goodwill")
    with page.expect_navigation():
        page.get_by_role("button", name="确认调整").click()
    expect(page.get_by_test_id("points-balance")).to_have_text("30")


def test_the_h5_of_a_member_with_stars_shows_the_evse_station_and_reads_messages_when_opened(phone, site):
    _scene(site)
    enter(phone, site, MEMBER)

    phone.goto("/h5/vouchers")
    expect(phone.get_by_test_id("voucher").first).to_contain_text("适用站点： Brussels 3")

    phone.goto("/h5/me")
    expect(phone.get_by_test_id("unread-messages")).to_have_text("2")
    phone.get_by_role("link", name="消息").click()
    messages = phone.get_by_test_id("message")
    expect(messages).to_have_count(2)
    expect(messages.filter(has_text="未读")).to_have_count(2)
    phone.goto("/h5/me")
    expect(phone.get_by_test_id("unread-messages")).to_have_count(0)
    phone.goto("/h5/messages")
    expect(messages.filter(has_text="未读")).to_have_count(0)
    listed = platform(site, "GET", f"/api/v1/members/{MEMBER}/messages").json()
    assert listed["unread_count"] == 0 and all(m["read_at"] for m in listed["items"])
