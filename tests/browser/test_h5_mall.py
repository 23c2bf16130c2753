"""积分商城 in the member H5, at phone size: the member's points and what they can exchange, an exchange
behind a confirmation, and the refusals in Chinese (已达兑换上限, 积分不足, 库存不足)."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.domain.mall import ItemSpec
from evperks.services import mall, points
from tests.browser.conftest import shot
from tests.browser.h5_support import enter, local, member, template


def _item(site, **fields) -> int:
    ten = template(site, "10元券", 1000)
    five = template(site, "5元券", 500)
    spec = ItemSpec(**{"name": "充电券礼包", "reward": ((ten, 1), (five, 2)), "points_price": 100, "stock": 2,
                       "per_member_limit": 1, **fields})
    return mall.create_item(site.ctx, spec).id


def _member_with_points(site, phone: str, amount: int) -> str:
    member_id = member(site, phone)["id"]
    points.adjust(site.ctx, member_id=member_id, points=amount, reason="种子")
    return member_id


def _confirm(phone):
    phone.get_by_role("link", name="立即兑换").click()
    expect(phone.get_by_role("heading", name="确认兑换")).to_be_visible()
    phone.get_by_role("button", name="确认兑换（消耗 100 积分）").click()
    phone.wait_for_load_state()


def test_a_member_exchanges_points_for_vouchers_and_is_told_when_the_limit_is_reached(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    _item(site)
    alice = _member_with_points(site, "13800000001", 250)
    enter(phone, site, alice)
    phone.get_by_role("navigation", name="底部导航").get_by_role("link", name="个人中心").click()
    phone.get_by_role("link", name="积分商城").click()
    expect(phone.get_by_test_id("points")).to_have_text("250")
    offer = phone.get_by_test_id("mall-item")
    expect(offer).to_contain_text("充电券礼包")
    expect(offer).to_contain_text("10元券（¥10.00）× 1、5元券（¥5.00）× 2")
    expect(offer.get_by_test_id("price")).to_have_text("100 积分")
    expect(offer.get_by_test_id("stock-left")).to_have_text("剩余 2 件")
    expect(offer.get_by_test_id("limit")).to_have_text("每人限兑 1 次，您已兑换 0 次")
    shot(phone, "h5-mall")

    phone.get_by_role("link", name="立即兑换").click()
    expect(phone.get_by_test_id("points")).to_have_text("250")
    expect(phone.get_by_text("兑换后剩余积分")).to_be_visible()
    shot(phone, "h5-mall-confirm")
    phone.get_by_role("button", name="确认兑换（消耗 100 积分）").click()
    phone.wait_for_url("**/h5/mall?exchanged=*")
    expect(phone.get_by_test_id("exchanged")).to_contain_text("兑换成功")
    expect(phone.get_by_test_id("points")).to_have_text("150")
    expect(phone.get_by_test_id("stock-left")).to_have_text("剩余 1 件")
    expect(phone.get_by_test_id("limit")).to_have_text("每人限兑 1 次，您已兑换 1 次")

    _confirm(phone)
    expect(phone.get_by_test_id("refusal")).to_have_text("已达兑换上限（每人限兑 1 次）")
    expect(phone.get_by_test_id("points")).to_have_text("150")

    phone.goto("/h5/vouchers")
    expect(phone.get_by_test_id("voucher")).to_have_count(3)
    expect(phone.get_by_test_id("voucher").first).to_contain_text("积分商城兑换：充电券礼包")
    phone.goto("/h5/points")
    expect(phone.get_by_test_id("ledger")).to_contain_text("积分商城兑换 · 充电券礼包")
    phone.get_by_role("link", name="去积分商城兑换").click()
    phone.wait_for_url("**/h5/mall")


def test_too_few_points_or_no_stock_left_is_refused_in_chinese_and_changes_nothing(phone, site):
    site.ctx.clock.move_to(local(2026, 3, 12, 12))
    item_id = _item(site, stock=1)
    bob = _member_with_points(site, "13800000002", 60)
    enter(phone, site, bob)
    phone.goto("/h5/mall")
    _confirm(phone)
    expect(phone.get_by_test_id("refusal")).to_have_text("积分不足：需要 100 积分，可用 60 积分")
    expect(phone.get_by_test_id("points")).to_have_text("60")

    points.adjust(site.ctx, member_id=bob, points=100, reason="补发")
    phone.goto(f"/h5/mall/{item_id}")
    carol = _member_with_points(site, "13800000003", 500)
    mall.exchange(site.ctx, member_id=carol, exchange_no="EX-CAROL", item_id=item_id)  # takes the last one meanwhile
    phone.get_by_role("button", name="确认兑换（消耗 100 积分）").click()
    phone.wait_for_load_state()
    expect(phone.get_by_test_id("refusal")).to_have_text("库存不足")
    shot(phone, "h5-mall-refused")
    expect(phone.get_by_test_id("points")).to_have_text("160")
    phone.goto("/h5/mall")
    expect(phone.get_by_text("暂时没有可兑换的商品。")).to_be_visible()
