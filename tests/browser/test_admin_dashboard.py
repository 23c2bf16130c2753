"""首页: the tiles, charts and running campaigns show what happened today in the operator's zone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests import factories as f
from tests.browser.conftest import log_in, shot
from tests.integration.test_dashboard_figures import two_days_of_business

ISSUED_CHART = "每日发券数（近14天）"
DEDUCTED_CHART = "每日抵扣金额：代金券和积分（近14天）"


def _tile(page, name: str):
    return page.get_by_test_id(f"tile-{name}").locator(".value")


def test_the_dashboard_counts_todays_vouchers_deductions_and_liabilities(admin, site):
    made = two_days_of_business(site.ctx)
    admin.goto("/admin")
    expect(admin.get_by_role("heading", level=1)).to_contain_text("2026-03-12")
    expect(_tile(admin, "active-campaigns")).to_have_text("1")
    expect(_tile(admin, "issued-today")).to_have_text("3")
    expect(_tile(admin, "used-today")).to_have_text("1")
    expect(_tile(admin, "deductions-today")).to_have_text("¥15.00")
    expect(admin.get_by_test_id("tile-deductions-today")).to_contain_text("代金券 ¥10.00 · 积分 ¥5.00")
    expect(_tile(admin, "points-liability")).to_have_text("300")
    expect(_tile(admin, "stored-value-liability")).to_have_text("¥100.00")
    expect(_tile(admin, "members")).to_have_text("2")
    expect(admin.get_by_test_id("tile-members")).to_contain_text("今日新增 1")
    expect(admin.get_by_role("img", name="每日用券数（近14天）")).to_be_visible()
    # Each bar carries its day and figure in its tooltip: yesterday's 2, today's 3.
    issued = admin.get_by_role("img", name=ISSUED_CHART).inner_html()
    assert "03-11: 2" in issued and "03-12: 3" in issued and "02-27: 0" in issued
    assert "03-12: ¥15.00" in admin.get_by_role("img", name=DEDUCTED_CHART).inner_html()
    running = admin.get_by_test_id("running-campaigns")
    expect(running.get_by_role("row", name="充值送券")).to_contain_text("0 / 50")
    expect(running.get_by_role("link", name="充值送券")).to_have_attribute("href", f"/admin/campaigns/{made['campaign']}")
    expect(admin.get_by_test_id("tile-active-campaigns")).to_have_attribute("href", "/admin/campaigns?status=active")
    shot(admin, "admin-dashboard")


def test_a_viewer_sees_zeros_on_an_empty_platform_in_chinese_and_english(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 8))
    log_in(page, site, username="vera", role="viewer")
    expect(_tile(page, "issued-today")).to_have_text("0")
    expect(_tile(page, "stored-value-liability")).to_have_text("¥0.00")
    expect(page.get_by_text("暂无进行中的活动。")).to_be_visible()
    # The same pages in English (the msgids), each with its heading.
    for path, heading in [("/admin/points?lang=en", "Points management"), ("/admin/stored-value", "Stored-value management"),
                          ("/admin/audit", "Audit log"), ("/admin", "Home")]:
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    expect(page.get_by_test_id("tile-issued-today")).to_contain_text("Vouchers issued today")
