"""充值 through the sandbox payment and 充值详情, at phone size."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import wallet
from tests.browser.conftest import shot
from tests.browser.h5_support import campaign, enter, local, member, template


def test_a_recharge_paid_in_the_sandbox_shows_in_recharge_details_with_its_vouchers(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    gift = template(site, "充值赠券", 500, deduction="service_fee")
    campaign(site, "recharge", "充值送券", "单笔充值满 100 元赠 5 元服务费券。",
             tiers=[{"min_amount_fen": 10000, "reward": [{"template_id": gift, "quantity": 2}]}])
    alice = member(site, "13800000001")
    enter(phone, site, alice["id"])
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="个人中心").click()
    phone.get_by_role("link", name="充值", exact=True).click()
    amounts = phone.get_by_role("radiogroup", name="充值金额")
    for shown in ["¥50.00", "¥100.00", "¥200.00", "¥500.00"]:
        expect(amounts).to_contain_text(shown)
    phone.get_by_text("¥100.00").click()
    shot(phone, "h5-recharge")
    phone.get_by_role("button", name="立即充值").click()

    phone.wait_for_url("**/pay/sandbox/**")
    expect(phone.locator(".amount")).to_have_text("¥100.00")
    expect(phone.get_by_text("沙箱支付：不会产生真实扣款。")).to_be_visible()
    shot(phone, "h5-pay")
    phone.get_by_role("button", name="确认支付").click()

    phone.wait_for_url("**/h5/recharges")
    expect(phone.get_by_test_id("balance")).to_have_text("100.00")
    record = phone.get_by_test_id("recharge")
    expect(record).to_have_count(1)
    expect(record).to_contain_text("¥100.00")
    expect(record).to_contain_text("已到账")
    expect(record.get_by_text("充值赠券 · 服务费")).to_have_count(2)
    expect(record).to_contain_text("充值送券")
    shot(phone, "h5-recharge-details")
    phone.goto("/h5/messages")
    expect(phone.get_by_test_id("message").filter(has_text="充值到账")).to_contain_text("充值 ¥100.00 已到账，当前余额 ¥100.00。")


def test_a_custom_amount_below_the_minimum_or_a_forged_form_creates_no_recharge(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    wallet.put_settings(site.ctx, min_recharge_fen=1000, denominations_fen=[3000, 6000], allow_custom_amount=True)
    alice = member(site, "13800000001")
    enter(phone, site, alice["id"])
    phone.goto("/h5/recharge")
    custom = phone.get_by_label("其他金额(元)")
    expect(custom).to_have_attribute("placeholder", "最低 ¥10.00")
    for typed, message in [("5", "充值金额不能低于 ¥10.00"), ("-3", "不能为负数"), ("abc", "请输入以元为单位的金额"),
                           ("12.345", "最多两位小数")]:
        custom.fill(typed)
        phone.get_by_role("button", name="立即充值").click()
        expect(phone.get_by_role("alert")).to_contain_text(message)
        expect(phone.get_by_label("其他金额(元)")).to_have_value(typed)
    forged = phone.request.post("/h5/recharge", form={"amount": "3000", "csrf_token": "forged"})
    assert forged.status == 403
    assert wallet.list_member_recharges(site.ctx, member_id=alice["id"])["items"] == []
    phone.goto("/h5/recharges")
    expect(phone.get_by_text("暂无充值记录。")).to_be_visible()
