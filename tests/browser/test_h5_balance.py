"""余额明细 at phone size: every change of the wallet with its order or recharge, newest first and paged,
and the message the member gets when the wallet pays a charge."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import wallet
from tests.browser.conftest import shot
from tests.browser.h5_support import charge, enter, local, member, station


def _recharge(site, member_id: str, order_no: str, fen: int) -> None:
    wallet.create_recharge(site.ctx, order_no=order_no, member_id=member_id, amount_fen=fen)
    wallet.confirm_recharge(site.ctx, order_no=order_no, provider_txn_id=f"T-{order_no}")


def test_balance_details_list_recharges_and_wallet_payments_with_their_orders_newest_first(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 9))
    station(site)
    alice = member(site, "13800000001")
    _recharge(site, alice["id"], "R-100", 10000)
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    charge(site, alice["id"], "ORD-W1", use_wallet=True)  # 28 yuan
    enter(phone, site, alice["id"])
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="个人中心").click()
    phone.get_by_role("link", name="余额明细").click()
    phone.wait_for_url("**/h5/balance")
    expect(phone.get_by_role("heading", name="余额明细")).to_be_visible()
    expect(phone.get_by_test_id("balance")).to_have_text("72.00")
    rows = phone.get_by_test_id("wallet-entry")
    expect(rows).to_have_count(2)
    for text in ["充电支付", "充电订单 ORD-W1", "2026-03-12 12:00", "余额 ¥72.00", "-¥28.00"]:
        expect(rows.nth(0)).to_contain_text(text)
    for text in ["充值", "充值订单 R-100", "2026-03-12 09:00", "余额 ¥100.00", "+¥100.00"]:
        expect(rows.nth(1)).to_contain_text(text)
    shot(phone, "h5-balance")

    phone.goto("/h5/messages")
    paid = phone.get_by_test_id("message").filter(has_text="余额支付")
    expect(paid).to_have_count(1)
    expect(paid).to_contain_text("余额支付 ¥28.00（充电订单 ORD-W1），当前余额 ¥72.00。")
    expect(paid.get_by_text("未读")).to_be_visible()
    paid.get_by_role("link", name="查看").click()
    phone.wait_for_url("**/h5/balance")


def test_a_long_history_is_paged_and_an_empty_one_says_so(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 9))
    bob = member(site, "13800000002")
    enter(phone, site, bob["id"])
    phone.goto("/h5/balance")
    expect(phone.get_by_test_id("wallet-ledger")).to_contain_text("暂无余额变动")
    for n in range(23):
        _recharge(site, bob["id"], f"R-{n:02d}", 100 * (n + 1))
    phone.reload()
    expect(phone.get_by_test_id("wallet-entry")).to_have_count(20)
    expect(phone.get_by_test_id("wallet-entry").first).to_contain_text("充值订单 R-22")
    phone.get_by_role("link", name="加载更多").click()
    expect(phone.get_by_test_id("wallet-entry")).to_have_count(3)
    expect(phone.get_by_test_id("wallet-entry").last).to_contain_text("充值订单 R-00")
    expect(phone.get_by_role("link", name="加载更多")).to_have_count(0)
