"""首页 figures: counted by the operator's local day, from what the services recorded."""

from __future__ import annotations

from datetime import date

from evperks.services import dashboard
from evperks.services.campaigns import lifecycle
from evperks.services.points import adjust
from evperks.services.points import settings as points_settings
from evperks.services.settlement import settle
from evperks.services.wallet.recharges import confirm_recharge, create_recharge
from tests import factories as f


def two_days_of_business(ctx) -> dict:
    """Yesterday: 2 vouchers issued at 23:59. Today (2026-03-12, Shanghai): 3 issued from 00:00 on,
    1 of them used by a settled order that also pays ¥5 with points; 300 points and ¥100 stored value
    left with members; one active and one draft campaign."""
    ctx.clock.move_to(f.local(2026, 3, 11, 23, 59))
    f.station(ctx, "S1")
    member = f.member(ctx)["id"]
    template = f.template(ctx, face_value_fen=1000)["id"]
    f.give(ctx, member, template, 2)
    ctx.clock.move_to(f.local(2026, 3, 12, 0, 0))
    f.give(ctx, member, template, 1)
    ctx.clock.move_to(f.local(2026, 3, 12, 9, 30))
    saver = f.member(ctx)["id"]
    f.give(ctx, saver, template, 2)
    points_settings.put_settings(ctx, redemption={"enabled": True, "points_per_yuan": 100})
    adjust(ctx, member_id=member, points=500, reason="test")
    adjust(ctx, member_id=saver, points=300, reason="test")
    create_recharge(ctx, order_no="R1", member_id=saver, amount_fen=10000)
    confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    ctx.clock.move_to(f.local(2026, 3, 12, 11, 0))
    # ¥28 bill: the ¥10 voucher, then 500 points pay ¥5.
    settle(ctx, f.charge_order(member, use_points=True, start_time=f.local(2026, 3, 12, 9, 45),
                               end_time=f.local(2026, 3, 12, 10, 45)))
    running = lifecycle.create_campaign(ctx, fields={
        "type": "recharge", "name": "充值送券", "start_at": f.local(2026, 3, 1), "end_at": f.local(2026, 4, 1),
        "rules_text": "充值满100送10元券", "total_packages": 50, "tiers": [
            {"min_amount_fen": 10000, "reward": [{"template_id": template, "quantity": 1}]}],
    })
    lifecycle.publish_campaign(ctx, running["id"])
    lifecycle.create_campaign(ctx, fields={"type": "registration", "name": "草稿"})
    return {"member": member, "saver": saver, "template": template, "campaign": running["id"]}


def test_todays_tiles_count_by_local_day_and_the_liabilities_sum_every_member(ctx):
    made = two_days_of_business(ctx)
    figures = dashboard.figures(ctx)
    assert figures["today"] == date(2026, 3, 12)
    assert figures["vouchers_issued_today"] == 3
    assert figures["vouchers_used_today"] == 1
    assert figures["voucher_deduction_today_fen"] == 1000
    assert figures["points_deduction_today_fen"] == 500
    assert figures["deductions_today_fen"] == 1500
    assert figures["points_liability"] == 300
    assert figures["stored_value_liability_fen"] == 10000
    assert figures["members_total"] == 2
    assert figures["members_new_today"] == 1
    assert figures["active_campaigns"] == 1
    assert [(c["id"], c["name"], c["packages_given"], c["total_packages"]) for c in figures["running"]] == [
        (made["campaign"], "充值送券", 0, 50)]


def test_the_daily_series_cover_fourteen_local_days_ending_today(ctx):
    two_days_of_business(ctx)
    days = dashboard.figures(ctx)["days"]
    assert len(days) == dashboard.DAYS
    assert days[0]["day"] == date(2026, 2, 27)
    assert [(d["day"], d["issued"], d["used"], d["deducted_fen"]) for d in days[-2:]] == [
        (date(2026, 3, 11), 2, 0, 0), (date(2026, 3, 12), 3, 1, 1500)]
    assert sum(d["issued"] for d in days[:-2]) == 0


def test_an_empty_platform_shows_zeros(ctx):
    ctx.clock.move_to(f.local(2026, 3, 12, 8))
    figures = dashboard.figures(ctx)
    assert figures["vouchers_issued_today"] == figures["points_liability"] == figures["members_total"] == 0
    assert figures["running"] == []
    assert all(d["issued"] == d["used"] == d["deducted_fen"] == 0 for d in figures["days"])
