"""积分管理: an admin sets earning, redemption and the expiry rule; a rule change waits for the next local
midnight and says so; wrong values are refused beside their fields; others may only read."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services.points import settings as points_settings
from tests import factories as f
from tests.browser.conftest import log_in, shot


def _save(page) -> None:
    page.get_by_role("button", name="保存").click()


def test_an_admin_changes_the_rule_and_sees_it_pending_until_the_next_local_midnight(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 15, 20))
    f.station(site.ctx, "S1")
    f.station(site.ctx, "S2")
    admin.goto("/admin/points")
    expect(admin.get_by_test_id("rule-in-force")).to_have_text("不清零")
    expect(admin.get_by_test_id("pending-rule")).to_have_count(0)
    admin.get_by_label("每实付 1 元得积分").fill("1.5")
    admin.get_by_label("允许会员使用积分抵现").check()
    admin.get_by_label("抵现比例：多少积分抵 1 元").fill("50")
    admin.get_by_label("抵扣范围").select_option(label="仅服务费")
    admin.get_by_label("站 S2").check()
    admin.get_by_label("单笔最多使用积分").fill("2000")
    admin.get_by_label("规则四：逐笔清零").check()
    admin.get_by_label("发放之日起几年后过期（X）").fill("1")
    _save(admin)
    expect(admin.get_by_role("status").filter(has_text="积分设置已保存")).to_be_visible()
    # The rule in force stays until 2026-03-13 00:00 Shanghai time.
    expect(admin.get_by_test_id("rule-in-force")).to_have_text("不清零")
    pending = admin.get_by_test_id("pending-rule")
    expect(pending).to_contain_text("2026-03-13 00:00")
    expect(pending).to_contain_text("每笔积分在发放之日起 1 年后的 00:00 过期")
    # The form shows what was saved.
    expect(admin.get_by_label("每实付 1 元得积分")).to_have_value("1.5")
    expect(admin.get_by_label("允许会员使用积分抵现")).to_be_checked()
    expect(admin.get_by_label("抵扣范围")).to_have_value("service_fee")
    expect(admin.get_by_label("站 S2")).to_be_checked()
    expect(admin.get_by_label("站 S1")).not_to_be_checked()
    expect(admin.get_by_label("规则四：逐笔清零")).to_be_checked()
    saved = points_settings.get_settings(site.ctx)
    assert saved["redemption"]["points_per_yuan"] == 50 and saved["redemption"]["station_ids"] == ["S2"]
    assert saved["pending_expiry"] == {"rule": "per_grant", "years": 1}
    shot(admin, "admin-points")


def test_wrong_points_settings_are_refused_beside_their_fields_and_kept(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 9))
    before = points_settings.get_settings(site.ctx)
    admin.goto("/admin/points")
    admin.get_by_label("每千瓦时得积分").fill("0.12345")
    admin.get_by_label("抵现比例：多少积分抵 1 元").fill("0")
    admin.get_by_label("单笔订单最高抵扣比例（%）").fill("150")
    admin.get_by_label("规则二：按年清零").check()
    admin.get_by_label("几年后（X）").fill("1.5")
    _save(admin)
    expect(admin.get_by_role("alert").first).to_contain_text("请修改下方标出的字段")
    expect(admin.locator("#e-per_kwh")).to_have_text("最多 4 位小数")
    expect(admin.locator("#e-points_per_yuan")).to_have_text("请输入 1 到 1000000 之间的整数")
    expect(admin.locator("#e-max_share_percent")).to_have_text("请输入 1 到 100 之间的整数")
    expect(admin.locator("#e-yearly_years")).to_have_text("请输入整数")
    expect(admin.locator("#e-yearly_month")).to_have_text("必填")
    expect(admin.get_by_label("每千瓦时得积分")).to_have_value("0.12345")
    expect(admin.get_by_label("几年后（X）")).to_have_value("1.5")
    expect(admin.get_by_label("规则二：按年清零")).to_be_checked()
    # The page opens at the first field at fault, with the cursor in it.
    expect(admin.get_by_label("每千瓦时得积分")).to_be_focused()
    expect(admin.get_by_label("每千瓦时得积分")).to_be_in_viewport()
    # The service's own checks land beside their fields too: Feb 30 and a maximum below the minimum.
    admin.get_by_label("每千瓦时得积分").fill("0.5")
    admin.get_by_label("抵现比例：多少积分抵 1 元").fill("100")
    admin.get_by_label("单笔订单最高抵扣比例（%）").fill("50")
    admin.get_by_label("几年后（X）").fill("1")
    admin.get_by_label("月（M）").fill("2")
    admin.get_by_label("日（D）", exact=True).first.fill("30")
    _save(admin)
    # The one field at fault is far down the page: it is scrolled to, marked and says what is wrong.
    day = admin.locator("#f-yearly_day")
    expect(admin.locator("#e-yearly_day")).to_have_text("2月没有30日")
    expect(day).to_have_attribute("aria-invalid", "true")
    expect(day).to_be_focused()
    expect(day).to_be_in_viewport()
    assert admin.evaluate("window.scrollY") > 0
    shot(admin, "admin-points-refused")
    admin.get_by_label("日（D）", exact=True).first.fill("1")
    admin.get_by_label("单笔最少使用积分").fill("500")
    admin.get_by_label("单笔最多使用积分").fill("100")
    _save(admin)
    expect(admin.locator("#e-max_points")).to_have_text("不得小于单笔最少使用积分")
    expect(admin.get_by_label("单笔最多使用积分")).to_have_value("100")
    assert points_settings.get_settings(site.ctx) == before


def test_an_operator_reads_the_points_settings_but_cannot_save_them(page, site):
    log_in(page, site, username="olga", role="operator")
    page.goto("/admin/points")
    expect(page.get_by_test_id("read-only")).to_contain_text("只有管理员可以修改")
    expect(page.get_by_label("每实付 1 元得积分")).to_be_disabled()
    expect(page.get_by_role("button", name="保存")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post("/admin/points", form={
        "csrf_token": token, "per_yuan_paid": "9", "points_per_yuan": "1", "base": "total", "max_share_percent": "100",
        "expiry_rule": "never", "reminder_days": "7"})
    assert response.status == 403
    assert points_settings.get_settings(site.ctx)["earning"]["per_yuan_paid"] == 0
