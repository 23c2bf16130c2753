"""Packages come out of a campaign's budget whole, once per reason, and never beyond it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, insert, select

from evperks.db.tables import campaign_packages, campaigns, messages, vouchers
from evperks.services.campaigns.packages import grant_package
from tests import factories as f


def _active_campaign(ctx, *, total: int, reward: list[dict]) -> int:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        return conn.execute(
            insert(campaigns).values(
                type="one_time", status="active", name="一次性发放", start_at=now, end_at=now.replace(year=now.year + 1),
                rules_text="规则", total_packages=total, reward=reward, tiers=[], created_at=now, updated_at=now,
            )
        ).inserted_primary_key[0]


def _grant(ctx, campaign_id, member_id, reward, ref=""):
    now = ctx.clock.now()  # read before the transaction, as services do: never a second connection inside one
    with ctx.db.write() as conn:
        return grant_package(conn, ctx, campaign_id=campaign_id, member_id=member_id, trigger="registration",
                             reward=reward, now=now, ref=ref)


def _scalar(ctx, stmt):
    with ctx.db.read() as conn:
        return conn.execute(stmt).scalar_one()


def test_forty_parallel_grants_against_a_budget_of_ten_give_exactly_ten_whole_packages(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    reward = [{"template_id": f.template(ctx, 500)["id"], "quantity": 2}, {"template_id": f.template(ctx, 1000)["id"], "quantity": 1}]
    campaign_id = _active_campaign(ctx, total=10, reward=reward)
    members = [f.member(ctx)["id"] for _ in range(40)]
    with ThreadPoolExecutor(16) as pool:
        grants = list(pool.map(lambda m: _grant(ctx, campaign_id, m, reward), members))
    given = [g for g in grants if g is not None]
    assert len(given) == 10
    assert all(len(g.voucher_ids) == 3 for g in given)
    assert _scalar(ctx, select(func.count()).select_from(vouchers).where(vouchers.c.campaign_id == campaign_id)) == 30
    assert _scalar(ctx, select(func.count()).select_from(campaign_packages)) == 10
    assert _scalar(ctx, select(func.count()).select_from(messages).where(messages.c.type == "voucher_received")) == 10
    with ctx.db.read() as conn:
        campaign = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()
        per_package = conn.execute(
            select(vouchers.c.package_id, func.count()).where(vouchers.c.campaign_id == campaign_id).group_by(vouchers.c.package_id)
        ).all()
    assert (campaign.packages_given, campaign.status, campaign.ended_reason) == (10, "ended", "exhausted")
    assert sorted(n for _, n in per_package) == [3] * 10


def test_the_same_reason_is_rewarded_once_and_spends_no_budget_the_second_time(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    reward = [{"template_id": f.template(ctx)["id"], "quantity": 1}]
    campaign_id = _active_campaign(ctx, total=5, reward=reward)
    member = f.member(ctx)["id"]
    assert _grant(ctx, campaign_id, member, reward) is not None
    assert _grant(ctx, campaign_id, member, reward) is None
    assert _grant(ctx, campaign_id, member, reward, ref="another") is not None
    assert _scalar(ctx, select(campaigns.c.packages_given).where(campaigns.c.id == campaign_id)) == 2


def test_a_template_whose_window_closed_gives_nothing_and_spends_no_budget(ctx):
    from evperks.domain.vouchers import WindowValidity

    ctx.clock.move_to(f.local(2026, 3, 1))
    template = f.template(ctx, validity=WindowValidity(f.local(2026, 3, 1), f.local(2026, 3, 5)))
    reward = [{"template_id": template["id"], "quantity": 1}]
    campaign_id = _active_campaign(ctx, total=5, reward=reward)
    ctx.clock.move_to(f.local(2026, 3, 6))
    assert _grant(ctx, campaign_id, f.member(ctx)["id"], reward) is None
    assert _scalar(ctx, select(campaigns.c.packages_given).where(campaigns.c.id == campaign_id)) == 0
    assert _scalar(ctx, select(func.count()).select_from(campaign_packages)) == 0


def test_a_package_tells_its_member_the_campaign_and_its_vouchers_also_through_the_webhook_outbox(ctx):
    from evperks.db.tables import outbox
    from evperks.services.context import Context

    hooked = Context(db=ctx.db, clock=ctx.clock,
                     settings=ctx.settings.model_copy(update={"webhook_url": "http://127.0.0.1:9/hook"}))
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    reward = [{"template_id": f.template(ctx, 500)["id"], "quantity": 2}, {"template_id": f.template(ctx, 1000)["id"], "quantity": 1}]
    campaign_id = _active_campaign(ctx, total=5, reward=reward)
    member = f.member(ctx)["id"]
    grant = _grant(hooked, campaign_id, member, reward)
    with ctx.db.read() as conn:
        (message,) = conn.execute(select(messages).where(messages.c.type == "voucher_received")).all()
        (queued,) = conn.execute(select(outbox)).all()
    assert message.member_id == member
    assert message.data == {"campaign_id": campaign_id, "campaign_name": "一次性发放", "voucher_ids": grant.voucher_ids}
    assert len(grant.voucher_ids) == 3 and grant.voucher_ids == sorted(grant.voucher_ids)
    assert (queued.message_id, queued.payload["data"]) == (message.id, message.data)
