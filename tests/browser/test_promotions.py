"""Percent vouchers, usage windows and referral safeguards in the console and the H5 (issue 15)."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.domain.vouchers import DaysValidity, DeductionType, VoucherKind
from evperks.services import vouchers
from evperks.services.campaigns import lifecycle
from tests import factories as f
from tests.browser.conftest import log_in, shot
from tests.browser.h5_support import enter, local, member, station, template
from tests.browser.test_admin_campaigns import _basics, _create, _reward_row
from tests.browser.test_admin_vouchers import _submit


def test_an_operator_creates_a_capped_service_fee_discount_for_weekend_nights(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    log_in(page, site, username="olivia", role="operator")
    page.goto("/admin/voucher-templates/new")
    expect(page.get_by_label("面额（元）")).to_be_visible()
    expect(page.get_by_label("折扣（减免百分比）")).to_be_hidden()
    page.get_by_label("名称").fill("周末夜间服务费8折")
    page.get_by_label("券类型").select_option(label="折扣券")
    expect(page.get_by_label("面额（元）")).to_be_hidden()
    page.get_by_label("折扣（减免百分比）").fill("20")
    page.get_by_label("最高抵扣（元）").fill("3")
    page.get_by_label("抵扣类型").select_option(label="服务费")
    page.get_by_label("开始", exact=True).fill("23:00")
    page.get_by_label("结束", exact=True).fill("07:00")
    page.get_by_label("周六").check()
    page.get_by_label("周日").check()
    page.get_by_label("天数（发放当天算第 1 天）").fill("30")
    shot(page, "admin-voucher-percent-new")
    _submit(page)
    expect(page.get_by_role("status")).to_have_text("代金券已创建。")
    expect(page.get_by_test_id("value")).to_have_text("服务费8折，最高抵¥3.00")
    expect(page.get_by_test_id("usable")).to_have_text("仅限周末 · 仅限 23:00–07:00 使用")
    [stored] = vouchers.list_templates(site.ctx)["items"]
    assert (stored["kind"], stored["face_value_fen"], stored["percent_off"], stored["max_deduction_fen"]) == (
        "percent", None, 20, 300)
    assert (stored["usable_hours"], stored["usable_weekdays"]) == ([{"from": "23:00", "to": "07:00"}], [6, 7])
    page.goto("/admin/voucher-templates")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("服务费8折，最高抵¥3.00")
    expect(row.get_by_test_id("usable")).to_have_text("仅限周末 · 仅限 23:00–07:00 使用")


def test_a_refused_percentage_and_an_empty_range_are_named_as_the_api_names_them(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    log_in(page, site, username="olivia", role="operator")
    page.goto("/admin/voucher-templates/new")
    page.get_by_label("名称").fill("折扣券")
    page.get_by_label("券类型").select_option(label="折扣券")
    for typed in ("100", "1.5", "0"):
        page.get_by_label("折扣（减免百分比）").fill(typed)
        page.get_by_label("开始", exact=True).fill("23:00")
        page.get_by_label("结束", exact=True).fill("23:00")
        assert _submit(page).status == 422
        percent = page.locator(".field").filter(has=page.get_by_label("折扣（减免百分比）"))
        expect(percent.locator(".error")).to_have_text("须为 1 到 99 的整数")
        assert page.get_by_label("折扣（减免百分比）").input_value() == typed
    expect(page.locator(".field").filter(has=page.get_by_label("结束", exact=True)).locator(".error")).to_have_text(
        "须与开始时间不同（时段可跨午夜，如 23:00–07:00）")
    assert vouchers.list_templates(site.ctx)["items"] == []


def test_the_referral_form_takes_the_safeguards_and_the_invite_page_states_them(page, phone, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    reward = f.template(site.ctx, 1000, name="10元券")
    log_in(page, site, username="olivia", role="operator")
    _create(page, "拉新活动")
    _basics(page, "邀请好友", rules="好友首单达标即奖励")
    _reward_row(page, 1, reward)
    safeguards = page.get_by_test_id("safeguards")
    safeguards.get_by_label("有效订单：充电量至少（kWh）").fill("5.0001")
    safeguards.get_by_label("有效订单：实付至少（元）").fill("10")
    safeguards.get_by_label("每位邀请人最多奖励次数").fill("3")
    page.get_by_role("button", name="保存草稿").click()
    expect(safeguards.locator(".field").filter(has=page.get_by_label("有效订单：充电量至少（kWh）"))
           .locator(".error")).to_be_visible()
    assert lifecycle.list_campaigns(site.ctx)["items"] == []
    safeguards.get_by_label("有效订单：充电量至少（kWh）").fill("5")
    shot(page, "admin-referral-safeguards")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("status")).to_have_text("草稿已保存。")
    [saved] = lifecycle.list_campaigns(site.ctx)["items"]
    assert (saved["min_first_charge_kwh"], saved["min_first_charge_paid_fen"], saved["max_rewards_per_inviter"]) == (
        "5.000", 1000, 3)
    lifecycle.publish_campaign(site.ctx, saved["id"])

    inviter = member(site, "13800000001")
    enter(phone, site, inviter["id"])
    phone.goto("/h5/invite")
    expect(phone.get_by_test_id("invite-condition")).to_have_text("好友首单充电满 5 kWh 且实付满 ¥10.00 即可获得奖励")
    expect(phone.get_by_test_id("invite-cap")).to_have_text("每人最多获得 3 次")
    shot(phone, "h5-invite-condition")


def test_the_h5_voucher_card_says_8_zhe_and_when_it_can_be_used(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    station(site)
    holder = member(site, "13800000002")
    spec = vouchers.TemplateSpec(name="服务费8折券", face_value_fen=None, deduction_type=DeductionType.SERVICE_FEE,
                                 validity=DaysValidity(30), kind=VoucherKind.PERCENT, percent_off=20,
                                 max_deduction_fen=300, usable_weekdays=(1, 2, 3, 4, 5))
    percent = vouchers.create_template(site.ctx, spec)["id"]
    night = template(site, "谷时5元券", 500)
    vouchers.update_template(site.ctx, night, {"usable_hours": ({"from": "23:00", "to": "07:00"},)})
    for template_id in (percent, night):
        vouchers.issue_manual(site.ctx, member_id=holder["id"], template_id=template_id, quantity=1, reason="测试",
                              issued_by="test")
    enter(phone, site, holder["id"])
    phone.goto("/h5/vouchers")
    cards = phone.get_by_test_id("voucher")
    expect(cards).to_have_count(2)
    night_card, percent_card = cards.nth(0), cards.nth(1)
    expect(percent_card.locator(".face strong")).to_have_text("8折")
    expect(percent_card.get_by_test_id("value")).to_have_text("服务费8折，最高抵¥3.00")
    expect(percent_card.get_by_test_id("usable")).to_have_text("仅限周一至周五")
    expect(night_card.locator(".face strong")).to_have_text("¥5.00")
    expect(night_card.get_by_test_id("usable")).to_have_text("仅限 23:00–07:00 使用")
    shot(phone, "h5-vouchers-percent-and-off-peak")
