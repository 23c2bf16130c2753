"""积分商城 in the console: create an item with a two-template reward, see its stock, stock left and
exchanges, refused forms in the API's words, edit, take off sale, and the audit log."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.domain.mall import ItemSpec
from evperks.services import mall, points, vouchers
from tests import factories as f
from tests.browser.conftest import log_in, shot


def _start(site, page):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    ten = f.template(site.ctx, 1000, name="10元券")["id"]
    five = f.template(site.ctx, 500, name="5元券")["id"]
    log_in(page, site, username="olivia", role="operator")
    return ten, five


def _save(page):
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="保存", exact=True).last.click()
    page.wait_for_load_state()


def _row(page, item_name: str):
    return page.get_by_test_id("mall-items").locator("tbody tr").filter(has_text=item_name)


def test_an_operator_creates_an_item_and_sees_its_stock_left_and_exchanges(page, site):
    ten, five = _start(site, page)
    page.goto("/admin")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="积分商城").click()
    expect(page.get_by_role("heading", name="积分商城")).to_be_visible()
    page.get_by_role("link", name="新建商品").click()
    page.get_by_label("名称").fill("充电券礼包")
    page.get_by_label("兑换积分").fill("100")
    page.get_by_label("库存").fill("5")
    page.get_by_label("每人限兑").fill("1")
    page.get_by_label("代金券 1").select_option(str(ten))
    page.get_by_role("button", name="添加一行").click()
    page.get_by_label("代金券 2").select_option(str(five))
    page.get_by_label("每份张数 2").fill("2")
    shot(page, "admin-mall-new")
    _save(page)
    expect(page.get_by_role("status")).to_have_text("商品已创建。")
    row = _row(page, "充电券礼包")
    expect(row).to_contain_text("10元券 × 1、5元券 × 2")
    expect(row.get_by_test_id("stock-left")).to_have_text("5")
    expect(row.get_by_test_id("exchanges")).to_have_text("0")
    expect(row).to_contain_text("已上架")

    item_id = mall.list_items(site.ctx).items[0].id
    buyer = f.member(site.ctx)["id"]
    points.adjust(site.ctx, member_id=buyer, points=300, reason="种子")
    mall.exchange(site.ctx, member_id=buyer, exchange_no="EX-1", item_id=item_id)
    page.reload()
    expect(row.get_by_test_id("stock-left")).to_have_text("4")
    expect(row.get_by_test_id("exchanges")).to_have_text("1")
    shot(page, "admin-mall-list")

    row.get_by_role("link", name="编辑").click()
    page.get_by_label("库存").fill("0")
    _save(page)
    expect(page.get_by_text("不能少于已兑换的 1 件")).to_be_visible()
    page.get_by_label("库存").fill("10")
    _save(page)
    expect(page.get_by_role("status")).to_have_text("修改已保存。")
    expect(row.get_by_test_id("stock-left")).to_have_text("9")

    row.get_by_role("button", name="下架").click()
    expect(page.get_by_role("status")).to_have_text("商品已下架。")
    expect(row).to_contain_text("已下架")
    assert mall.get_item(site.ctx, item_id).enabled is False

    page.goto("/admin/audit?target_type=mall_item")
    expect(page.locator("table.audit > tbody > tr")).to_have_count(3)
    expect(page.locator("table.audit")).to_contain_text(f"商城商品 {item_id}")


def test_a_refused_item_form_says_why_beside_each_field_and_saves_nothing(page, site):
    ten, _ = _start(site, page)
    off = f.template(site.ctx, 300, name="停用券")["id"]
    vouchers.update_template(site.ctx, off, {"enabled": False})
    page.goto("/admin/mall/new")
    page.get_by_label("名称").fill("礼包")
    page.get_by_label("兑换积分").fill("0")
    page.get_by_label("库存").fill("-1")
    page.get_by_label("每人限兑").fill("0")
    page.get_by_label("兑换开始时间").fill("2026-03-20T00:00")
    page.get_by_label("兑换结束时间").fill("2026-03-19T00:00")
    _save(page)
    expect(page.get_by_text("请修改下方标出的字段。")).to_be_visible()
    expect(page.locator("#e-stock")).to_have_text("不能为负数")
    page.get_by_label("库存").fill("3")
    _save(page)
    expect(page.locator("#e-points_price")).to_have_text("必须大于 0")
    expect(page.locator("#e-per_member_limit")).to_have_text("至少为 1，留空表示不限")
    expect(page.locator("#e-end_at")).to_have_text("须晚于开始时间")
    expect(page.get_by_text("至少选择一种代金券")).to_be_visible()
    shot(page, "admin-mall-refused")
    assert mall.list_items(site.ctx).items == []

    # A template disabled while the form was open is refused at save, by name.
    page.get_by_label("兑换积分").fill("50")
    page.get_by_label("每人限兑").fill("")
    page.get_by_label("兑换结束时间").fill("")
    page.get_by_label("代金券 1").select_option(str(ten))
    vouchers.update_template(site.ctx, ten, {"enabled": False})
    _save(page)
    expect(page.get_by_text(f"代金券模板 {ten} 已停用")).to_be_visible()
    assert mall.list_items(site.ctx).items == []


def test_a_viewer_sees_the_items_but_no_way_to_change_them(page, site):
    site.ctx.clock.move_to(f.local(2026, 3, 10, 9))
    ten = f.template(site.ctx, 1000, name="10元券")["id"]
    mall.create_item(site.ctx, ItemSpec(name="礼包", reward=((ten, 1),), points_price=10, stock=1))
    log_in(page, site, username="vera", role="viewer")
    page.goto("/admin/mall")
    expect(_row(page, "礼包")).to_be_visible()
    expect(page.get_by_role("link", name="新建商品")).to_have_count(0)
    expect(page.get_by_role("button", name="下架")).to_have_count(0)
    assert page.goto("/admin/mall/new").status == 403
