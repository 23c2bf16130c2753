"""What charge sessions hold, as people see it: the console's member page lists open sessions beside the
available balance, 储值设置 sets the session rules, and the H5 shows "可用 …，充电中冻结 …"."""

from __future__ import annotations

from playwright.sync_api import expect

from evperks.services import sessions, wallet
from evperks.services.points import ledger as points_ledger
from evperks.services.points.settings import put_settings as put_points_settings
from tests import factories as f
from tests.browser.conftest import log_in, shot
from tests.browser.h5_support import enter


def _charging_member(site) -> dict:
    """A member with ¥80.00 and 900 points, charging now: ¥50.00, 500 points and a voucher held."""
    ctx = site.ctx
    ctx.clock.move_to(f.local(2026, 3, 12, 10))
    f.station(ctx, "S1")
    put_points_settings(ctx, redemption={"enabled": True, "points_per_yuan": 100, "max_points": 500})
    member = f.member(ctx, nickname="阿明")
    wallet.create_recharge(ctx, order_no="R1", member_id=member["id"], amount_fen=8000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    points_ledger.adjust(ctx, member_id=member["id"], points=900, reason="测试")
    [voucher] = f.give(ctx, member["id"], f.template(ctx)["id"])
    sessions.open_session(ctx, sessions.SessionRequest(
        session_id="CS-7", member_id=member["id"], station_id="S1", voucher=voucher, use_points=True, use_wallet=True,
        wallet_hold_fen=5000))
    return {**member, "voucher": voucher}


def test_the_member_page_shows_open_sessions_their_holds_and_what_is_available(page, site):
    member = _charging_member(site)
    log_in(page, site, username="olivia", role="operator")
    page.goto(f"/admin/members/{member['id']}")
    expect(page.get_by_test_id("wallet-balance")).to_have_text("80.00")
    expect(page.get_by_test_id("wallet-available")).to_have_text("可用 ¥30.00")
    expect(page.get_by_test_id("points-balance")).to_have_text("900")
    expect(page.get_by_test_id("points-available")).to_have_text("可用 400")
    charging = page.get_by_role("region", name="充电中")
    row = charging.locator("tbody tr")
    expect(row).to_have_count(1)
    for text in ["CS-7", "S1", "2026-03-12 10:00", "2026-03-13 10:00", "50.00", "500", f"已冻结代金券 #{member['voucher']}"]:
        expect(row).to_contain_text(text)
    shot(page, "admin-member-charging")
    sessions.cancel_session(site.ctx, "CS-7")
    page.reload()
    expect(page.get_by_role("region", name="充电中")).to_have_count(0)
    expect(page.get_by_test_id("wallet-available")).to_have_text("可用 ¥80.00")


def test_an_admin_sets_the_session_rules_and_a_wrong_value_is_refused_beside_its_field(admin, site):
    site.ctx.clock.move_to(f.local(2026, 3, 12, 10, 5))
    admin.goto("/admin/stored-value")
    expect(admin.get_by_label("冻结释放时间（小时）")).to_have_value("24")
    admin.get_by_label("启动充电最低余额（元）").fill("20")
    admin.get_by_label("冻结释放时间（小时）").fill("0")
    admin.get_by_role("button", name="保存").click()
    expect(admin.locator("#e-hold_hours")).to_have_text("须为 1 到 720 之间的整数小时")
    expect(admin.get_by_label("启动充电最低余额（元）")).to_have_value("20")
    assert wallet.get_settings(site.ctx)["hold_hours"] == 24
    admin.get_by_label("冻结释放时间（小时）").fill("6")
    admin.get_by_role("button", name="保存").click()
    expect(admin.get_by_role("status")).to_have_text("储值设置已保存。")
    in_force = admin.get_by_test_id("in-force")
    expect(in_force).to_contain_text("¥20.00")
    expect(in_force).to_contain_text("6 小时")
    saved = wallet.get_settings(site.ctx)
    assert (saved["min_start_balance_fen"], saved["hold_hours"]) == (2000, 6)


def test_the_h5_shows_what_is_available_and_what_charging_holds(phone, site):
    member = _charging_member(site)
    enter(phone, site, member["id"])
    expect(phone.get_by_test_id("balance")).to_have_text("80.00")
    expect(phone.get_by_test_id("wallet-held")).to_have_text("可用 ¥30.00，充电中冻结 ¥50.00")
    expect(phone.get_by_test_id("points-held")).to_have_text("可用 400 积分，充电中冻结 500")
    shot(phone, "h5-charging-held")
    phone.goto("/h5/recharges")
    expect(phone.get_by_test_id("wallet-held")).to_have_text("可用 ¥30.00，充电中冻结 ¥50.00")
    phone.goto("/h5/points")
    expect(phone.get_by_test_id("points-held")).to_have_text("可用 400 积分，充电中冻结 500")
    sessions.cancel_session(site.ctx, "CS-7")
    phone.goto("/h5/me")
    expect(phone.get_by_test_id("balance")).to_have_text("80.00")
    expect(phone.get_by_test_id("wallet-held")).to_have_count(0)
