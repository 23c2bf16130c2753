"""储值管理: an admin sets the minimum, the denominations and custom amounts; wrong values are refused
beside their fields and kept, a post without the CSRF token too; a viewer may only read."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services.wallet import settings as wallet_settings
from tests import factories as f
from tests.browser.conftest import log_in, shot


def test_an_admin_saves_the_stored_value_settings_and_sees_them_in_force(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 10, 5))
    admin.goto("/admin/stored-value")
    in_force = admin.get_by_test_id("in-force")
    expect(in_force).to_contain_text("尚未保存，使用默认设置")
    expect(admin.get_by_label("固定面额（元）")).to_have_value("50, 100, 200, 500")
    admin.get_by_label("最低充值金额（元）").fill("20.5")
    admin.get_by_label("固定面额（元）").fill("300，30 100")
    admin.get_by_label("允许会员输入自定义金额充值").uncheck()
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_have_text("储值设置已保存。")
    expect(in_force).to_contain_text("¥20.50")
    expect(in_force).to_contain_text("¥30.00 ¥100.00 ¥300.00")
    expect(in_force).to_contain_text("不允许")
    expect(in_force).to_contain_text("2026-03-12 10:05")
    expect(admin.get_by_label("最低充值金额（元）")).to_have_value("20.50")
    expect(admin.get_by_label("固定面额（元）")).to_have_value("30, 100, 300")
    expect(admin.get_by_label("允许会员输入自定义金额充值")).not_to_be_checked()
    assert wallet_settings.get_settings(site.ctx)["denominations_fen"] == [3000, 10000, 30000]
    shot(admin, "admin-stored-value")


def test_wrong_stored_value_settings_are_refused_beside_their_fields_and_kept(admin, site):
    before = wallet_settings.get_settings(site.ctx)
    admin.goto("/admin/stored-value")
    admin.get_by_label("最低充值金额（元）").fill("10.001")
    admin.get_by_label("固定面额（元）").fill("50, abc")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("#e-min_recharge")).to_have_text("最多两位小数（精确到分）")
    expect(admin.locator("#e-denominations")).to_have_text("请输入以元为单位的金额，如 12.50")
    expect(admin.get_by_label("最低充值金额（元）")).to_have_value("10.001")
    expect(admin.get_by_label("固定面额（元）")).to_have_value("50, abc")
    # The service's rules: a denomination below the minimum, then none at all without custom amounts.
    admin.get_by_label("最低充值金额（元）").fill("100")
    admin.get_by_label("固定面额（元）").fill("50, 200")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("#e-denominations")).to_have_text("每个面额都不能低于最低充值金额")
    admin.get_by_label("最低充值金额（元）").fill("")
    admin.get_by_label("固定面额（元）").fill("")
    admin.get_by_label("允许会员输入自定义金额充值").uncheck()
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("#e-min_recharge")).to_have_text("必填")
    admin.get_by_label("最低充值金额（元）").fill("1")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("#e-denominations")).to_have_text("不允许自定义金额时，至少需要一个固定面额")
    expect(admin.get_by_label("允许会员输入自定义金额充值")).not_to_be_checked()
    # A post without the form's CSRF token (another site's form) changes nothing.
    forged = admin.request.post("/admin/stored-value", form={"min_recharge": "1", "denominations": "1"})
    assert forged.status == 403
    assert wallet_settings.get_settings(site.ctx) == before


def test_a_viewer_reads_the_stored_value_settings_but_cannot_save_them(page, site):
    log_in(page, site, username="vera", role="viewer")
    page.goto("/admin/stored-value")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_label("最低充值金额（元）")).to_be_disabled()
    expect(page.get_by_role("button", name="保存")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post("/admin/stored-value", form={
        "csrf_token": token, "min_recharge": "1", "denominations": "1", "allow_custom_amount": "yes"})
    assert response.status == 403
    assert "您的角色无权进行此操作" in response.text()
    assert wallet_settings.get_settings(site.ctx)["updated_at"] is None
