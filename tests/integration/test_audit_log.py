"""Every change an operator makes leaves one audit row (who, what, when, before/after), written in the
change's own transaction: a refused change leaves none."""

from __future__ import annotations

import pytest

from evperks.domain.vouchers import DaysValidity
from evperks.services import audit, vouchers
from evperks.services.campaigns import binding, lifecycle
from evperks.services.errors import Conflict, Invalid
from evperks.services.points import ledger as points
from evperks.services.points import settings as points_settings
from evperks.services.wallet import settings as wallet_settings
from tests import factories as f


def entries(ctx, **filters) -> list[dict]:
    return audit.list_entries(ctx, **filters)["items"]


def test_a_template_edit_is_recorded_with_the_editor_and_both_states(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    template = f.template(ctx, name="旧名")
    vouchers.update_template(ctx, template["id"], {"name": "新名"}, actor="alice")
    [edit, create] = entries(ctx, target_type="voucher_template", target_id=str(template["id"]))
    assert (create["action"], create["actor"], create["before"]) == ("create", "system", None)
    assert (edit["action"], edit["actor"]) == ("update", "alice")
    assert (edit["before"]["name"], edit["after"]["name"]) == ("旧名", "新名")
    assert edit["at"] == f.local(2026, 3, 10, 9)


def test_a_refused_change_leaves_no_audit_row(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    template = f.template(ctx)
    before = entries(ctx)
    with pytest.raises(Invalid):
        vouchers.update_template(ctx, template["id"], {"validity": DaysValidity(0)}, actor="alice")
    member = f.member(ctx)
    with pytest.raises(Conflict):
        points.adjust(ctx, member_id=member["id"], points=-5, reason="more than the balance", actor="alice")
    assert [e for e in entries(ctx) if e["actor"] == "alice"] == []
    assert len(entries(ctx)) == len(before)


def test_campaign_publish_stop_and_binding_are_recorded_in_order(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    template = f.template(ctx)
    member = f.member(ctx)
    campaign = lifecycle.create_campaign(ctx, actor="bob", fields={
        "type": "one_time", "name": "回馈", "rules_text": "规则", "total_packages": 5,
        "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 3, 20),
        "reward": [{"template_id": template["id"], "quantity": 1}],
    })
    binding.bind_members(ctx, campaign["id"], member_ids=[member["id"]], actor="bob")
    lifecycle.publish_campaign(ctx, campaign["id"], actor="bob")
    lifecycle.stop_campaign(ctx, campaign["id"], actor="carol")
    rows = entries(ctx, target_type="campaign", target_id=str(campaign["id"]))
    assert [(r["action"], r["actor"]) for r in reversed(rows)] == [
        ("create", "bob"), ("bind_members", "bob"), ("publish", "bob"), ("stop", "carol")]
    assert rows[0]["before"]["status"] == "scheduled" and rows[0]["after"]["status"] == "ended"
    assert rows[2]["after"]["member_ids"] == [member["id"]]


def test_points_and_stored_value_changes_record_the_balance_and_settings_before_and_after(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    member = f.member(ctx)
    points.adjust(ctx, member_id=member["id"], points=300, reason="补偿", actor="alice")
    wallet_settings.put_settings(ctx, min_recharge_fen=1000, denominations_fen=[5000], allow_custom_amount=False,
                                 actor="alice")
    wallet_settings.put_settings(ctx, min_recharge_fen=2000, denominations_fen=[5000], allow_custom_amount=True,
                                 actor="alice")
    [grant] = entries(ctx, target_type="member", target_id=member["id"])
    assert (grant["before"], grant["after"]["balance"], grant["after"]["reason"]) == ({"balance": 0}, 300, "补偿")
    second, first = entries(ctx, target_type="stored_value_settings")
    assert first["before"] is None
    assert (second["before"]["min_recharge_fen"], second["after"]["min_recharge_fen"]) == (1000, 2000)


def test_a_station_sync_that_changes_nothing_is_not_audited(ctx):
    f.station(ctx, "S9")
    f.station(ctx, "S9")
    assert [e["action"] for e in entries(ctx, target_type="station")] == ["create"]


def test_saves_that_change_nothing_leave_no_audit_row(ctx):
    """A form saved as it was (every field sent again) is not a change: the log keeps only real ones."""
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    template = f.template(ctx, name="10元券")
    campaign = lifecycle.create_campaign(ctx, fields={"type": "registration", "name": "注册有礼"}, actor="bob")
    member = f.member(ctx)
    wallet_settings.put_settings(ctx, min_recharge_fen=100, denominations_fen=[5000], allow_custom_amount=True)
    binding_campaign = lifecycle.create_campaign(ctx, fields={"type": "one_time", "name": "回馈"})
    binding.bind_members(ctx, binding_campaign["id"], member_ids=[member["id"]])
    before = len(entries(ctx))

    ctx.clock.move_to(f.local(2026, 3, 10, 10))  # a later save would move updated_at alone
    vouchers.update_template(ctx, template["id"], {"name": "10元券", "face_value_fen": template["face_value_fen"]},
                             actor="alice")
    lifecycle.update_campaign(ctx, campaign["id"], changes={"name": "注册有礼"}, actor="alice")
    wallet_settings.put_settings(ctx, min_recharge_fen=100, denominations_fen=[5000], allow_custom_amount=True,
                                 actor="alice")
    points_settings.put_settings(ctx, reminder_days=7, actor="alice")  # the default, saved again
    assert binding.bind_members(ctx, binding_campaign["id"], member_ids=[member["id"]], actor="alice")["bound"] == 0
    assert binding.unbind_members(ctx, binding_campaign["id"], member_ids=["nobody-bound"], actor="alice")["unbound"] == 0
    assert [e for e in entries(ctx) if e["actor"] == "alice"] == []
    assert len(entries(ctx)) == before

    vouchers.update_template(ctx, template["id"], {"name": "十元券"}, actor="alice")  # a real change still is
    [edit] = [e for e in entries(ctx) if e["actor"] == "alice"]
    assert (edit["before"]["name"], edit["after"]["name"]) == ("10元券", "十元券")
