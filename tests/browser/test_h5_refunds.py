"""退款 in the member H5: a refunded charging order shows as a refund on the balance page (充值详情), its
points rows in 积分, and a message in 消息 — in Chinese."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services.points import settings as points_settings
from tests.browser.conftest import shot
from tests.browser.h5_support import charge, enter, local, member, platform, station


def test_a_refunded_order_shows_on_the_balance_points_and_messages_pages(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    station(site)
    alice = member(site, "13800000001")
    points_settings.put_settings(site.ctx, earning={"per_yuan_paid": 1, "per_kwh": 0})
    assert platform(site, "POST", "/api/v1/recharges", json={"order_no": "R1", "member_id": alice["id"],
                                                             "amount_fen": 1000}).status_code == 201
    assert platform(site, "POST", "/api/v1/recharges/R1/confirm", json={"provider_txn_id": "T1"}).status_code == 200
    charge(site, alice["id"], "CO-1", use_wallet=True)  # 28.00: 10.00 from the wallet, 18.00 due; earns 28 points
    refund = platform(site, "POST", "/api/v1/charge-orders/CO-1/refunds", json={"refund_no": "RF-1"})
    assert refund.status_code == 201, refund.text

    enter(phone, site, alice["id"])
    phone.goto("/h5/recharges")
    expect(phone.get_by_test_id("balance")).to_have_text("10.00")
    refunds = phone.get_by_test_id("refunds")
    expect(refunds).to_contain_text("订单 CO-1 退款")
    expect(refunds).to_contain_text("+¥10.00")
    expect(refunds).to_contain_text("¥18.00 原路退回")
    shot(phone, "h5-refunds")
    phone.goto("/h5/points")
    expect(phone.get_by_test_id("ledger")).to_contain_text("退款扣回")
    phone.goto("/h5/messages")
    expect(phone.get_by_test_id("message").first).to_contain_text("订单 CO-1 已退款 ¥28.00，其中 ¥10.00 退回余额。")
