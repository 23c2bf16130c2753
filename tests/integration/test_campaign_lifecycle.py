"""A campaign goes draft → scheduled → active → ended; publishing checks everything at once, its jobs
fire at the exact instants, and a published campaign only takes changes that promise more."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from evperks.db.tables import campaign_members, campaigns
from evperks.jobs.scheduler import run_due
from evperks.services import vouchers as voucher_service
from evperks.services.campaigns import binding, lifecycle, stats
from evperks.services.campaigns.packages import grant_package
from evperks.services.campaigns.usage import template_in_use
from evperks.services.errors import Conflict, Invalid
from evperks.services.member_search import MemberFilter
from evperks.services.settlement.service import settle
from tests import factories as f

T0 = f.local(2026, 3, 10, 9)


def _registration(ctx, **fields) -> dict:
    template = f.template(ctx)
    values = {"type": "registration", "name": "注册有礼", "start_at": f.local(2026, 3, 11), "end_at": f.local(2026, 4, 1),
              "rules_text": "新用户注册即送", "total_packages": 10, "reward": [{"template_id": template["id"], "quantity": 1}],
              **fields}
    return lifecycle.create_campaign(ctx, fields=values)


def _status(ctx, campaign_id) -> tuple:
    with ctx.db.read() as conn:
        row = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()
    return row.status, row.ended_reason


def _errors(excinfo) -> dict:
    return {e.field: e.message for e in excinfo.value.errors}


def test_publishing_an_empty_draft_names_every_missing_field_at_once(ctx):
    ctx.clock.move_to(T0)
    draft = lifecycle.create_campaign(ctx, fields={"type": "one_time"})
    assert draft["status"] == "draft"
    with pytest.raises(Invalid) as excinfo:
        lifecycle.publish_campaign(ctx, draft["id"])
    assert set(_errors(excinfo)) == {"name", "start_at", "end_at", "rules_text", "total_packages", "reward", "members"}
    assert _status(ctx, draft["id"]) == ("draft", None)


def test_publishing_refuses_wrong_tiers_windows_and_templates_all_named(ctx):
    ctx.clock.move_to(T0)
    enabled = f.template(ctx)
    disabled = f.template(ctx, enabled=False)
    draft = lifecycle.create_campaign(ctx, fields={
        "type": "consumption", "name": "消费送", "start_at": f.local(2026, 3, 1), "end_at": f.local(2026, 3, 9),
        "rules_text": "r", "total_packages": 0, "metric": "energy", "reward": [{"template_id": enabled["id"], "quantity": 1}],
        "tiers": [{"threshold": "50", "reward": [{"template_id": disabled["id"], "quantity": 1}]},
                  {"threshold": "20.5", "reward": [{"template_id": 999, "quantity": 101}]}],
    })
    with pytest.raises(Invalid) as excinfo:
        lifecycle.publish_campaign(ctx, draft["id"])
    errors = _errors(excinfo)
    assert errors["end_at"] == "must be in the future"
    assert errors["total_packages"] == "must be at least 1"
    assert "sorted ascending" in errors["tiers.1.threshold"]
    assert "disabled" in errors["tiers.0.reward.0.template_id"]
    assert "does not exist" in errors["tiers.1.reward.0.template_id"]
    assert "1 to 100" in errors["tiers.1.reward.0.quantity"]
    assert "top-level reward" in errors["reward"]


def test_consumption_thresholds_are_stored_as_wh_and_shown_as_kwh_strings(ctx):
    ctx.clock.move_to(T0)
    draft = lifecycle.create_campaign(ctx, fields={
        "type": "consumption", "metric": "energy", "progress_reminder": 5,
        "tiers": [{"threshold": "20.5", "reward": []}, {"threshold": 100, "reward": []}]})
    assert [t["threshold"] for t in draft["tiers"]] == ["20.500", "100.000"]
    assert draft["progress_reminder"] == "5.000"
    with ctx.db.read() as conn:
        assert conn.execute(select(campaigns.c.tiers)).scalar_one()[0]["threshold"] == 20_500
    with pytest.raises(Invalid) as excinfo:
        lifecycle.update_campaign(ctx, draft["id"], changes={"tiers": [{"threshold": "1.0005", "reward": []}]})
    assert "tiers.0.threshold" in _errors(excinfo)


def test_a_campaign_published_before_its_start_is_scheduled_then_active_at_the_exact_instant(ctx):
    ctx.clock.move_to(T0)
    campaign = _registration(ctx)
    assert lifecycle.publish_campaign(ctx, campaign["id"])["status"] == "scheduled"
    ctx.clock.move_to(f.local(2026, 3, 11) - timedelta(seconds=1))
    run_due(ctx)
    assert _status(ctx, campaign["id"]) == ("scheduled", None)
    ctx.clock.move_to(f.local(2026, 3, 11))
    run_due(ctx)
    assert _status(ctx, campaign["id"]) == ("active", None)
    ctx.clock.move_to(f.local(2026, 4, 1) - timedelta(seconds=1))
    run_due(ctx)
    assert _status(ctx, campaign["id"]) == ("active", None)
    ctx.clock.move_to(f.local(2026, 4, 1))
    run_due(ctx)
    assert _status(ctx, campaign["id"]) == ("ended", "expired")


def test_a_campaign_whose_start_has_come_is_active_at_once(ctx):
    ctx.clock.move_to(T0)
    campaign = _registration(ctx, start_at=f.local(2026, 3, 1))
    assert lifecycle.publish_campaign(ctx, campaign["id"])["status"] == "active"


def test_moving_the_end_later_leaves_the_old_end_job_doing_nothing(ctx):
    ctx.clock.move_to(T0)
    campaign = _registration(ctx, start_at=f.local(2026, 3, 1))
    lifecycle.publish_campaign(ctx, campaign["id"])
    updated = lifecycle.update_campaign(ctx, campaign["id"], changes={"end_at": f.local(2026, 5, 1), "rules_text": "新规则"})
    assert updated["rules_text"] == "新规则"
    ctx.clock.move_to(f.local(2026, 4, 1))
    run_due(ctx)
    assert _status(ctx, campaign["id"]) == ("active", None)
    ctx.clock.move_to(f.local(2026, 5, 1))
    run_due(ctx)
    assert _status(ctx, campaign["id"]) == ("ended", "expired")


def test_a_published_campaign_refuses_unsafe_changes_naming_each_field(ctx):
    ctx.clock.move_to(T0)
    campaign = _registration(ctx, start_at=f.local(2026, 3, 1))
    lifecycle.publish_campaign(ctx, campaign["id"])
    with pytest.raises(Conflict) as excinfo:
        lifecycle.update_campaign(ctx, campaign["id"], changes={
            "name": "改名", "start_at": f.local(2026, 3, 2), "end_at": f.local(2026, 3, 20), "total_packages": 9})
    assert set(_errors(excinfo)) == {"name", "start_at", "end_at", "total_packages"}
    # Sending a field unchanged is not a change.
    same = lifecycle.update_campaign(ctx, campaign["id"], changes={"name": "注册有礼", "total_packages": 12})
    assert same["total_packages"] == 12 and same["packages_left"] == 12


def test_stopping_ends_the_campaign_and_an_ended_campaign_refuses_every_change(ctx):
    ctx.clock.move_to(T0)
    campaign = _registration(ctx, start_at=f.local(2026, 3, 1))
    with pytest.raises(Conflict):
        lifecycle.stop_campaign(ctx, campaign["id"])  # a draft is never stopped
    lifecycle.publish_campaign(ctx, campaign["id"])
    with pytest.raises(Conflict):
        lifecycle.publish_campaign(ctx, campaign["id"])
    stopped = lifecycle.stop_campaign(ctx, campaign["id"])
    assert (stopped["status"], stopped["ended_reason"]) == ("ended", "stopped")
    with pytest.raises(Conflict):
        lifecycle.stop_campaign(ctx, campaign["id"])
    with pytest.raises(Conflict):
        lifecycle.update_campaign(ctx, campaign["id"], changes={"rules_text": "再改"})


def test_binding_every_result_of_a_search_binds_in_registration_order_and_only_new_ones_count(ctx):
    ctx.clock.move_to(T0)
    vip = [f.member(ctx, tags=("vip",), registered_at=f.local(2026, 3, 1, h))["id"] for h in (12, 10, 11)]
    f.member(ctx)
    campaign = lifecycle.create_campaign(ctx, fields={"type": "one_time"})
    assert binding.bind_members(ctx, campaign["id"], member_ids=[vip[0]]) == {"bound": 1, "total": 1}
    assert binding.bind_members(ctx, campaign["id"], flt=MemberFilter(tag="vip")) == {"bound": 2, "total": 3}
    listed = [m["member_id"] for m in binding.list_bound(ctx, campaign["id"])["items"]]
    assert listed == [vip[0], vip[1], vip[2]]


def test_binding_unknown_ids_names_them_and_binds_nobody(ctx):
    ctx.clock.move_to(T0)
    known = f.member(ctx)["id"]
    campaign = lifecycle.create_campaign(ctx, fields={"type": "referral"})
    with pytest.raises(Invalid) as excinfo:
        binding.bind_members(ctx, campaign["id"], member_ids=[known, "ghost-1", "ghost-2"])
    assert "ghost-1" in excinfo.value.detail and "ghost-2" in excinfo.value.detail
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(campaign_members)).scalar_one() == 0


def test_registration_campaigns_refuse_binding_and_ended_campaigns_refuse_unbinding(ctx):
    ctx.clock.move_to(T0)
    member = f.member(ctx)["id"]
    with pytest.raises(Conflict):
        binding.bind_members(ctx, _registration(ctx)["id"], member_ids=[member])
    campaign = lifecycle.create_campaign(ctx, fields={"type": "referral"})
    binding.bind_members(ctx, campaign["id"], member_ids=[member])
    with ctx.db.write() as conn:
        conn.execute(campaigns.update().where(campaigns.c.id == campaign["id"]).values(status="ended", ended_reason="stopped"))
    with pytest.raises(Conflict):
        binding.unbind_members(ctx, campaign["id"], member_ids=[member])


def test_a_template_in_a_published_campaign_is_in_use_and_keeps_its_value(ctx):
    ctx.clock.move_to(T0)
    campaign = _registration(ctx)
    template_id = campaign["reward"][0]["template_id"]
    with ctx.db.read() as conn:
        assert not template_in_use(conn, template_id)  # a draft promised nothing yet
    lifecycle.publish_campaign(ctx, campaign["id"])
    with ctx.db.read() as conn:
        assert template_in_use(conn, template_id)
        assert not template_in_use(conn, template_id + 1000)
    # vouchers.update_template refuses value changes once the lead wires template_in_use in.
    voucher_service.update_template(ctx, template_id, {"name": "新名字"})


def test_stats_are_exact_after_parallel_grants_and_a_used_voucher(ctx):
    ctx.clock.move_to(T0)
    f.station(ctx)
    people = [f.member(ctx)["id"] for _ in range(20)]  # registered before the campaign runs
    campaign = _registration(ctx, start_at=f.local(2026, 3, 1), total_packages=7)
    lifecycle.publish_campaign(ctx, campaign["id"])
    reward = campaign["reward"]
    now = ctx.clock.now()

    def grant(member_id):
        with ctx.db.write() as conn:
            return grant_package(conn, ctx, campaign_id=campaign["id"], member_id=member_id, trigger="registration",
                                 reward=reward, now=now)

    with ThreadPoolExecutor(8) as pool:
        granted = [g for g in pool.map(grant, people) if g is not None]
    assert len(granted) == 7
    user = next(m for m in people if voucher_service.list_member_vouchers(ctx, member_id=m)["items"])
    result, _ = settle(ctx, f.charge_order(user, start_time=f.local(2026, 3, 10, 8), end_time=T0))
    assert result["voucher_deduction_fen"] == 1000
    assert stats.campaign_stats(ctx, campaign["id"]) == {
        "packages_given": 7, "packages_left": 0, "vouchers_issued": 7, "vouchers_used": 1, "deduction_fen": 1000,
        "participants": 7, "status": "ended", "ended_reason": "exhausted",
    }
