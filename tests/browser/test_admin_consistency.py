"""Small things the console does the same way everywhere: one set of member-search labels, a breadcrumb
on every page of the menu, and an empty chart that shows no made-up figure."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services.campaigns import lifecycle
from tests import factories as f


def _search_labels(page) -> list[str]:
    return page.get_by_role("search").locator("label").all_inner_texts()


def test_members_and_bind_members_search_with_the_same_labelled_fields(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 9))
    draft = lifecycle.create_campaign(site.ctx, fields={"type": "one_time", "name": "回馈"})
    admin.goto("/admin/members")
    on_members = _search_labels(admin)
    admin.goto(f"/admin/campaigns/{draft['id']}/members")
    on_binding = _search_labels(admin)
    assert on_members == on_binding
    assert on_members[:3] == ["手机号（前缀）", "注册日期起", "注册日期至（含）"]
    assert "是否受邀注册" in on_members
    for page_path in ("/admin/members", f"/admin/campaigns/{draft['id']}/members"):
        admin.goto(page_path)
        expect(admin.get_by_role("search").get_by_role("link", name="重置")).to_be_visible()


def test_every_page_of_the_menu_says_where_it_is(admin, site):
    for path, here in [("/admin/members", "会员"), ("/admin/points", "积分管理"), ("/admin/stored-value", "储值管理"),
                       ("/admin/stations", "站点"), ("/admin/audit", "审计日志"), ("/admin/voucher-templates", "代金券管理"),
                       ("/admin/campaigns", "活动列表")]:
        admin.goto(path)
        crumbs = admin.get_by_role("navigation", name="面包屑导航")
        expect(crumbs).to_be_visible()
        expect(crumbs.get_by_role("link", name="首页")).to_have_attribute("href", "/admin")
        expect(crumbs).to_contain_text(here)
    admin.goto("/admin/points")
    expect(admin.get_by_role("navigation", name="面包屑导航")).to_have_text("首页 / 会员与设置 / 积分管理")


def test_an_empty_deductions_chart_shows_no_made_up_top_value(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 9))
    admin.goto("/admin")
    chart = admin.get_by_role("img", name="每日抵扣金额：代金券和积分（近14天）")
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("这些天暂无数据")
    expect(chart).not_to_contain_text("¥0.01")
    assert "03-12: ¥0.00" in chart.inner_html()


def test_a_members_seven_day_voucher_issued_on_12_03_reads_valid_until_12_09_23_59(admin, site):
    site.ctx.clock.move_to(f.local(2026, 12, 3, 10))
    member = f.member(site.ctx)
    f.give(site.ctx, member["id"], f.template(site.ctx, days=7)["id"])
    admin.goto(f"/admin/members/{member['id']}")
    held = admin.get_by_role("table", name="持有代金券").locator("tbody tr")
    expect(held).to_have_count(1)
    expect(held.first).to_contain_text("2026-12-03 10:00 – 2026-12-09 23:59")
    expect(held.first).not_to_contain_text("12-10")
