"""充电订单 in the console: a member's orders link to the order page (breakdown, status, refunds); an
operator refunds through its form (partially, then the rest); a viewer sees the page without the form."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import members
from evperks.services.settlement import settle
from tests import factories as f
from tests.browser.conftest import log_in, shot


def _order_of_a_member(site) -> tuple[dict, str]:
    site.ctx.clock.move_to(f.local(2026, 3, 12, 9))
    f.station(site.ctx, "S1")
    member = f.member(site.ctx, nickname="车主")
    f.give(site.ctx, member["id"], f.template(site.ctx, 500)["id"])
    site.ctx.clock.move_to(f.local(2026, 3, 12, 12))
    body, _ = settle(site.ctx, f.charge_order(member["id"], order_no="CO-1"))  # 28.00: voucher 5.00, 23.00 due
    assert body["due_fen"] == 2300
    return member, "CO-1"


def _submit(page, name):
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name=name).click()
    page.wait_for_load_state()
    return response.value


def test_an_operator_refunds_an_order_in_part_and_then_in_full_from_its_page(page, site):
    member, order_no = _order_of_a_member(site)
    log_in(page, site, username="olivia", role="operator")
    page.goto(f"/admin/members/{member['id']}")
    page.get_by_role("link", name="充电订单").click()
    page.get_by_role("link", name=order_no).click()
    expect(page.get_by_test_id("order-status")).to_have_text("已结算")
    expect(page.get_by_test_id("refundable")).to_have_text("23.00")

    page.get_by_label("金额（元）").fill("30")
    page.get_by_label("原因").fill("充电桩故障")
    assert _submit(page, "退款").status == 409
    expect(page.locator("#e-amount")).to_have_text("该订单最多还可退 2300 分")

    page.get_by_label("金额（元）").fill("3.50")
    assert _submit(page, "退款").status == 303
    expect(page.get_by_test_id("order-status")).to_have_text("部分退款")
    expect(page.get_by_test_id("refunded")).to_have_text("3.50")
    expect(page.get_by_role("table", name="退款记录")).to_contain_text("充电桩故障")

    page.get_by_label("原因").fill("用户投诉")
    assert _submit(page, "退款").status == 303  # the amount left blank: all that is left
    expect(page.get_by_test_id("order-status")).to_have_text("已退款")
    expect(page.get_by_test_id("refunded")).to_have_text("23.00")
    expect(page.get_by_role("form", name="退款")).to_have_count(0)
    shot(page, "admin-order-refunded")
    page.goto("/admin/audit")
    expect(page.get_by_role("table").first).to_contain_text("订单退款")
    assert members.get_member(site.ctx, member["id"])["charge_count"] == 0


def test_a_viewer_sees_the_order_and_its_refunds_but_no_refund_form(page, site):
    member, order_no = _order_of_a_member(site)
    log_in(page, site, username="vera", role="viewer")
    page.goto(f"/admin/orders/{order_no}")
    expect(page.get_by_test_id("order-status")).to_have_text("已结算")
    expect(page.get_by_role("form", name="退款")).to_have_count(0)
    expect(page.get_by_role("table", name="退款记录")).to_contain_text("暂无退款。")
