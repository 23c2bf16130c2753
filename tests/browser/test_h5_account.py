"""个人中心 at phone size: 代金券 tabs, 积分, 活动进度 and 消息."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import vouchers
from evperks.services.points import ledger
from evperks.services.points import settings as points_settings
from tests.browser.conftest import shot
from tests.browser.h5_support import campaign, charge, enter, local, member, station, template


def test_vouchers_are_sorted_into_available_used_expired_and_revoked_tabs(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 9))
    station(site, "S1", "南山站")
    alice = member(site, "13800000001")

    def give(name, face, reason, **fields):
        template_id = template(site, name, face, **fields)
        return vouchers.issue_manual(site.ctx, member_id=alice["id"], template_id=template_id, quantity=1,
                                     reason=reason, issued_by="客服")[0]["id"]

    give("南山服务费券", 500, "充电异常补偿", deduction="service_fee", station_ids=("S1",))
    used = give("全场通用券", 1000, "生日礼")
    give("一日券", 300, "试用", days=1)
    revoked = give("作废券", 800, "发错")
    vouchers.revoke_voucher(site.ctx, voucher_id=revoked, reason="发错了")
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    charge(site, alice["id"], "ORD-V1", voucher_id=used)
    site.ctx.clock.move_to(local(2026, 3, 14, 12))  # the one-day voucher has lapsed
    enter(phone, site, alice["id"])

    expect(phone.get_by_test_id("voucher-count")).to_have_text("1")
    phone.get_by_test_id("voucher-count").click()
    expect(phone.get_by_role("link", name="可用")).to_have_attribute("aria-current", "page")
    card = phone.get_by_test_id("voucher")
    expect(card).to_have_count(1)
    for text in ["¥5.00", "服务费", "南山服务费券", "适用站点： 南山站", "有效期 2026-03-12 09:00 至 2026-04-10 23:59",
                 "来源：客服补发（充电异常补偿）"]:
        expect(card).to_contain_text(text)
    shot(phone, "h5-vouchers")
    for tab, name, text in [("已使用", "全场通用券", "消费总额"), ("已过期", "一日券", "¥3.00"), ("已作废", "作废券", "¥8.00")]:
        phone.get_by_role("link", name=tab).click()
        expect(phone.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")
        expect(phone.get_by_test_id("voucher")).to_have_count(1)
        expect(phone.get_by_test_id("voucher")).to_contain_text(name)
        expect(phone.get_by_test_id("voucher")).to_contain_text(text)
        if tab == "已使用":  # when, and on which order
            expect(phone.get_by_test_id("used")).to_have_text("2026-03-12 12:00 用于充电订单 ORD-V1")


def test_points_show_the_balance_the_history_and_what_expires_soon(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    station(site)
    points_settings.put_settings(site.ctx, earning={"per_kwh": "1"}, reminder_days=30,
                                 expiry={"rule": "monthly", "months": 1, "day": 1})
    site.ctx.clock.move_to(local(2026, 3, 13, 10))  # the expiry rule applies from local midnight
    alice = member(site, "13800000001")
    ledger.adjust(site.ctx, member_id=alice["id"], points=100, reason="新会员礼")
    charge(site, alice["id"], "ORD-P1", energy_kwh="20.5", start_time="2026-03-13T08:00:00+08:00",
           end_time="2026-03-13T09:00:00+08:00")
    enter(phone, site, alice["id"])
    expect(phone.get_by_test_id("points")).to_have_text("120")
    phone.get_by_test_id("points").click()
    expect(phone.get_by_test_id("points")).to_have_text("120")
    expect(phone.get_by_test_id("expiring")).to_contain_text("120 积分将于 2026-04-01 00:00 过期")
    rows = phone.get_by_test_id("ledger").locator("li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("充电获得")
    expect(rows.nth(0)).to_contain_text("+20")
    expect(rows.nth(1)).to_contain_text("平台赠送 · 新会员礼")
    expect(rows.nth(1)).to_contain_text("+100")
    expect(rows.nth(1)).to_contain_text("有效期至 2026-03-31 23:59")
    expect(phone.get_by_test_id("points-validity")).to_contain_text("120 积分，有效期至 2026-03-31 23:59")
    shot(phone, "h5-points")


def test_campaign_progress_shows_the_accumulated_kwh_the_next_tier_and_the_days_left(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    station(site)
    reward = [{"template_id": template(site, "进度奖励券", 800), "quantity": 1}]
    campaign(site, "consumption", "累计充电赢好礼", "活动期间累计充电满 10 kWh、30 kWh 分别获得奖励。",
             metric="energy", end_at=local(2026, 3, 20), progress_reminder="10",
             tiers=[{"threshold": "10", "reward": reward}, {"threshold": "30", "reward": reward}])
    alice = member(site, "13800000001")
    charge(site, alice["id"], "ORD-C1", energy_kwh="20.5")
    enter(phone, site, alice["id"])
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="活动").click()
    card = phone.get_by_test_id("progress")
    expect(card).to_contain_text("累计充电赢好礼")
    expect(card.get_by_test_id("accumulated")).to_have_text("20.5 kWh")
    expect(card).to_contain_text("30 kWh")
    expect(card.get_by_test_id("days-left")).to_have_text("8")
    expect(card.get_by_test_id("remaining")).to_have_text("再充 9.5 kWh 即可达到第 2 档")
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "68")
    expect(card).to_contain_text("活动期间累计充电满 10 kWh")
    shot(phone, "h5-progress")

    phone.goto("/h5/messages")
    messages = phone.get_by_test_id("message")
    expect(messages.filter(has_text="活动进度提醒")).to_contain_text(
        "「累计充电赢好礼」已累计 20.5 kWh，再 9.5 kWh 即可达到第 2 档奖励。")
    expect(messages.filter(has_text="收到代金券")).to_contain_text("您获得了「累计充电赢好礼」活动的 1 张代金券。")
    shot(phone, "h5-messages")
