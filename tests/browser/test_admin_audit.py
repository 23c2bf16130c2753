"""审计日志: a change made in the console shows who made it and what changed; filters and pages work."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import stations, vouchers
from evperks.services.wallet import settings as wallet_settings
from tests import factories as f
from tests.browser.conftest import log_in, shot


def test_a_setting_changed_in_the_console_is_in_the_audit_log_with_before_and_after(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 14, 30))
    wallet_settings.put_settings(site.ctx, min_recharge_fen=100, denominations_fen=[5000, 10000, 20000, 50000],
                                 allow_custom_amount=True, actor="lead")
    admin.goto("/admin/stored-value")
    admin.get_by_label("最低充值金额（元）").fill("20")
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_have_text("储值设置已保存。")
    admin.goto("/admin/points")
    admin.get_by_label("允许会员使用积分抵现").check()
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_have_text("积分设置已保存。")

    admin.get_by_role("navigation", name="主菜单").get_by_role("link", name="审计日志").click()
    rows = admin.locator("table.audit > tbody > tr")
    expect(rows).to_have_count(3)
    newest, older = rows.nth(0), rows.nth(1)
    expect(rows.nth(2).get_by_role("cell").nth(1)).to_have_text("lead")
    expect(newest).to_contain_text("2026-03-12 14:30:00")
    expect(newest.get_by_role("cell").nth(1)).to_have_text("admin")
    expect(newest.get_by_role("cell").nth(2)).to_have_text("修改")
    expect(newest.get_by_role("link", name="积分设置")).to_have_attribute("href", "/admin/points")
    # Fields are named in the console's language, money in yuan, times in the operator's zone.
    changed = newest.locator("tr.changed")
    expect(changed.filter(has_text="积分抵现 · 已启用")).to_contain_text("否 → 是")
    expect(older.get_by_role("link", name="储值设置")).to_have_attribute("href", "/admin/stored-value")
    expect(older.locator("tr.changed").filter(has_text="最低充值金额（元）")).to_contain_text("¥1.00 → ¥20.00")
    # Keys that kept their value are folded away.
    expect(older.locator("details summary")).to_contain_text("项未变")
    expect(older.locator("tr.same").filter(has_text="固定面额（元）").first).not_to_be_visible()
    older.locator("details summary").click()
    expect(older.locator("tr.same").filter(has_text="固定面额（元）")).to_contain_text("¥50.00、¥100.00、¥200.00、¥500.00")
    shot(admin, "admin-audit")

    # Saving again without changing anything records nothing.
    admin.goto("/admin/stored-value")
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_have_text("储值设置已保存。")
    admin.goto("/admin/points")
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_have_text("积分设置已保存。")
    admin.goto("/admin/audit")
    expect(rows).to_have_count(3)


def test_the_audit_log_filters_by_who_and_what_and_pages_newest_first(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 9))
    spec = vouchers.TemplateSpec(name="10元券", face_value_fen=1000, deduction_type=DeductionType.TOTAL,
                                 validity=DaysValidity(30))
    template = vouchers.create_template(site.ctx, spec, actor="olga")
    for n in range(31):
        stations.upsert_station(site.ctx, station_id=f"S{n:02d}", name=f"站 {n}", city="深圳", actor="sync")
    log_in(page, site, username="vera", role="viewer")
    page.goto("/admin/audit")
    rows = page.locator("table.audit > tbody > tr")
    expect(rows).to_have_count(30)
    expect(rows.first).to_contain_text("站点 S30")
    page.get_by_role("link", name="下一页").click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("站点 S00")
    expect(rows.nth(1)).to_contain_text("olga")

    page.get_by_label("操作人").fill("olga")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    link = rows.first.get_by_role("link", name=f"代金券模板 {template['id']}")
    expect(link).to_have_attribute("href", f"/admin/voucher-templates/{template['id']}")
    expect(rows.first.get_by_role("cell").nth(2)).to_have_text("新建")
    page.get_by_label("操作人").fill("")
    page.get_by_label("操作", exact=True).select_option(label="新建")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(30)  # the template and the 31 stations were all created: a page of them
    expect(page.get_by_label("操作", exact=True)).to_have_value("create")
    page.get_by_label("操作", exact=True).select_option(label="全部")
    page.get_by_label("对象类型").select_option(label="站点")
    page.get_by_label("对象编号").fill("S07")
    page.get_by_role("button", name="筛选").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("sync")
    page.get_by_label("对象编号").fill("nobody")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_text("没有符合条件的记录。")).to_be_visible()
    # A cursor that was not made here starts again from the first page.
    page.goto("/admin/audit?cursor=not-a-cursor")
    expect(rows).to_have_count(30)
