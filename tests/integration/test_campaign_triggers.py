"""Campaign triggers: registration, referral, consumption tiers with reminders, recharge tiers, countdowns.

Campaign rows are inserted directly as ``active`` (the admin API is built elsewhere); everything else
goes through the real services.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select

from evperks.db.tables import (
    campaign_members,
    campaign_packages,
    campaign_progress,
    campaigns,
    charge_orders,
    messages,
    referral_rewards,
    vouchers,
)
from evperks.domain.campaign_events import RechargePaid
from evperks.services import members
from evperks.services.campaigns.notifications import send_countdowns
from evperks.services.campaigns.progress import days_left, member_campaigns
from evperks.services.campaigns.react import react, rewards
from evperks.services.errors import Conflict, Invalid
from evperks.services.settlement import settle
from tests import factories as f

START, END = f.local(2026, 3, 1), f.local(2026, 4, 1)


def insert_campaign(ctx, *, type: str, total: int = 100, reward: list | None = None, tiers: list | None = None,
                    metric: str | None = None, progress_reminder: int | None = None, countdown_days: int | None = None,
                    start: datetime = START, end: datetime = END, bound: tuple[str, ...] = (), name: str = "活动") -> int:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        campaign_id = conn.execute(insert(campaigns).values(
            type=type, status="active", name=name, start_at=start, end_at=end, rules_text="规则",
            total_packages=total, reward=reward or [], tiers=tiers or [], metric=metric,
            progress_reminder=progress_reminder, countdown_days=countdown_days, created_at=now, updated_at=now,
        )).inserted_primary_key[0]
        for member_id in bound:
            conn.execute(insert(campaign_members).values(campaign_id=campaign_id, member_id=member_id, bound_at=now))
    return campaign_id


def reward_of(ctx, face_value_fen: int = 1000, quantity: int = 1) -> list[dict]:
    return [{"template_id": f.template(ctx, face_value_fen)["id"], "quantity": quantity}]


def scalar(ctx, stmt):
    with ctx.db.read() as conn:
        return conn.execute(stmt).scalar_one()


def campaign_vouchers(ctx, member_id: str, campaign_id: int | None = None) -> int:
    where = [vouchers.c.member_id == member_id, vouchers.c.campaign_id.is_not(None)]
    if campaign_id is not None:
        where.append(vouchers.c.campaign_id == campaign_id)
    return scalar(ctx, select(func.count()).select_from(vouchers).where(*where))


def member_messages(ctx, member_id: str, type: str) -> list[dict]:
    with ctx.db.read() as conn:
        return [r.data for r in conn.execute(
            select(messages.c.data).where(messages.c.member_id == member_id, messages.c.type == type)
            .order_by(messages.c.id))]


def campaign_row(ctx, campaign_id: int):
    with ctx.db.read() as conn:
        return conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()


@pytest.fixture
def march(ctx):
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    f.station(ctx)
    return ctx


# --- registration --------------------------------------------------------------------------------

def test_forty_parallel_registrations_against_a_budget_of_ten_reward_exactly_ten_and_end_the_campaign(march):
    ctx = march
    campaign_id = insert_campaign(ctx, type="registration", total=10, reward=reward_of(ctx, 500, 2))
    with ThreadPoolExecutor(16) as pool:
        registered = list(pool.map(lambda n: members.register_member(ctx, phone=f"1370000{n:04d}"), range(40)))
    rewarded = [m["id"] for m in registered if campaign_vouchers(ctx, m["id"]) > 0]
    assert len(rewarded) == 10
    assert all(campaign_vouchers(ctx, m) == 2 for m in rewarded)
    campaign = campaign_row(ctx, campaign_id)
    assert (campaign.packages_given, campaign.status, campaign.ended_reason) == (10, "ended", "exhausted")
    assert scalar(ctx, select(func.count()).select_from(campaign_packages)) == 10


def test_registering_the_same_phone_again_is_refused_and_gives_nothing(march):
    ctx = march
    campaign_id = insert_campaign(ctx, type="registration", total=10, reward=reward_of(ctx))
    member = members.register_member(ctx, phone="13700000001")
    with pytest.raises(Conflict):
        members.register_member(ctx, phone="+86 137-0000-0001")
    assert campaign_vouchers(ctx, member["id"]) == 1
    assert campaign_row(ctx, campaign_id).packages_given == 1
    assert [m["campaign_id"] for m in member_messages(ctx, member["id"], "voucher_received")] == [campaign_id]


def test_a_member_imported_with_a_registration_date_before_the_campaign_gets_nothing(march):
    ctx = march
    insert_campaign(ctx, type="registration", reward=reward_of(ctx))
    imported = members.register_member(ctx, phone="13700000002", registered_at=f.local(2025, 6, 1))
    assert campaign_vouchers(ctx, imported["id"]) == 0


def test_a_registration_campaign_not_yet_started_or_already_ended_gives_nothing(march):
    ctx = march
    insert_campaign(ctx, type="registration", reward=reward_of(ctx), start=f.local(2026, 3, 20))
    insert_campaign(ctx, type="registration", reward=reward_of(ctx), start=f.local(2026, 2, 1), end=f.local(2026, 3, 12))
    assert campaign_vouchers(ctx, f.member(ctx)["id"]) == 0


# --- referral ------------------------------------------------------------------------------------

def test_the_inviter_is_rewarded_on_the_invitees_first_charge_only(march):
    ctx = march
    campaign_id = insert_campaign(ctx, type="referral", reward=reward_of(ctx, 500, 2))
    inviter = f.member(ctx)
    invitee = f.member(ctx, invite_code=inviter["invite_code"].lower())
    assert invitee["invited_by"] == inviter["id"]

    first, _ = settle(ctx, f.charge_order(invitee["id"]))
    second, _ = settle(ctx, f.charge_order(invitee["id"]))

    assert campaign_vouchers(ctx, inviter["id"], campaign_id) == 2
    assert campaign_vouchers(ctx, invitee["id"]) == 0
    assert [r["campaign_id"] for r in first["rewards"]] == [campaign_id]
    assert len(first["rewards"][0]["voucher_ids"]) == 2
    assert second["rewards"] == []
    with ctx.db.read() as conn:
        reward = conn.execute(select(referral_rewards)).one()
    assert (reward.invitee_id, reward.inviter_id, reward.campaign_id) == (invitee["id"], inviter["id"], campaign_id)


def test_a_replayed_first_charge_returns_the_same_rewards_and_gives_nothing_more(march):
    ctx = march
    insert_campaign(ctx, type="referral", reward=reward_of(ctx))
    inviter = f.member(ctx)
    invitee = f.member(ctx, invite_code=inviter["invite_code"])
    order = f.charge_order(invitee["id"])
    first, created = settle(ctx, order)
    replay, replay_created = settle(ctx, order)
    assert (created, replay_created) == (True, False)
    assert replay == first and len(first["rewards"]) == 1
    assert campaign_vouchers(ctx, inviter["id"]) == 1


def test_a_second_referral_campaign_gives_nothing_for_the_same_invitee(march):
    ctx = march
    first_campaign = insert_campaign(ctx, type="referral", reward=reward_of(ctx))
    inviter = f.member(ctx)
    invitee = f.member(ctx, invite_code=inviter["invite_code"])
    settle(ctx, f.charge_order(invitee["id"]))
    second_campaign = insert_campaign(ctx, type="referral", reward=reward_of(ctx))
    settle(ctx, f.charge_order(invitee["id"]))
    assert campaign_vouchers(ctx, inviter["id"], first_campaign) == 1
    assert campaign_vouchers(ctx, inviter["id"], second_campaign) == 0
    assert campaign_row(ctx, second_campaign).packages_given == 0


def test_when_two_referral_campaigns_run_the_invitee_is_rewarded_once_by_the_oldest(march):
    ctx = march
    oldest = insert_campaign(ctx, type="referral", reward=reward_of(ctx))
    newer = insert_campaign(ctx, type="referral", reward=reward_of(ctx))
    inviter = f.member(ctx)
    invitee = f.member(ctx, invite_code=inviter["invite_code"])
    body, _ = settle(ctx, f.charge_order(invitee["id"]))
    assert [r["campaign_id"] for r in body["rewards"]] == [oldest]
    assert campaign_row(ctx, newer).packages_given == 0


def test_a_referral_campaign_with_bound_members_rewards_only_bound_inviters(march):
    ctx = march
    bound_inviter, other_inviter = f.member(ctx), f.member(ctx)
    campaign_id = insert_campaign(ctx, type="referral", reward=reward_of(ctx), bound=(bound_inviter["id"],))
    settle(ctx, f.charge_order(f.member(ctx, invite_code=bound_inviter["invite_code"])["id"]))
    settle(ctx, f.charge_order(f.member(ctx, invite_code=other_inviter["invite_code"])["id"]))
    assert campaign_vouchers(ctx, bound_inviter["id"], campaign_id) == 1
    assert campaign_vouchers(ctx, other_inviter["id"], campaign_id) == 0


def test_a_first_charge_without_an_inviter_or_without_a_running_campaign_rewards_nobody(march):
    ctx = march
    inviter = f.member(ctx)
    invitee = f.member(ctx, invite_code=inviter["invite_code"])
    settle(ctx, f.charge_order(invitee["id"]))  # no referral campaign yet: the first charge is spent
    insert_campaign(ctx, type="referral", reward=reward_of(ctx))
    settle(ctx, f.charge_order(invitee["id"]))
    lone, _ = settle(ctx, f.charge_order(f.member(ctx)["id"]))
    assert campaign_vouchers(ctx, inviter["id"]) == 0
    assert lone["rewards"] == []


def test_existing_members_and_unknown_codes_cannot_be_invited(march):
    ctx = march
    inviter = f.member(ctx)
    existing = f.member(ctx)
    with pytest.raises(Conflict):
        members.register_member(ctx, phone=existing["phone"], invite_code=inviter["invite_code"])
    with pytest.raises(Invalid):
        members.register_member(ctx, phone="13700000003", invite_code="ZZZZZZZZ")
    assert members.get_member(ctx, existing["id"])["invited_by"] is None


# --- consumption ---------------------------------------------------------------------------------

def energy_campaign(ctx, **fields) -> tuple[int, list[list[dict]]]:
    rewards = [reward_of(ctx, 500), reward_of(ctx, 1000), reward_of(ctx, 2000, 2)]
    tiers = [{"threshold": wh, "reward": r} for wh, r in zip((10_000, 20_000, 50_000), rewards, strict=True)]
    return insert_campaign(ctx, type="consumption", metric="energy", tiers=tiers, **fields), rewards


def test_energy_tiers_give_each_package_once_with_one_progress_reminder_per_tier(march):
    ctx = march
    campaign_id, _ = energy_campaign(ctx, progress_reminder=5_000)
    member = f.member(ctx)["id"]

    def charge(wh):
        body, _ = settle(ctx, f.charge_order(member, energy_wh=wh, voucher=None))
        return body["rewards"]

    assert charge(6_000) == []   # 6 kWh: 4 left to tier 1 -> reminder
    assert charge(1_000) == []   # 7 kWh: reminder already sent
    crossed = charge(15_000)     # 22 kWh: tiers 1 and 2 in one order, 28 left to tier 3
    assert charge(25_000) == []  # 47 kWh: 3 left -> reminder for tier 3
    top = charge(3_000)          # 50 kWh: tier 3
    assert charge(10_000) == []  # beyond the top tier nothing more

    assert [r["campaign_id"] for r in crossed] == [campaign_id, campaign_id]
    assert [len(r["voucher_ids"]) for r in crossed + top] == [1, 1, 2]
    assert campaign_vouchers(ctx, member, campaign_id) == 4
    reminders = member_messages(ctx, member, "campaign_progress")
    assert [(m["remaining"], m["next_threshold"], m["tier"]) for m in reminders] == [
        ("4.000", "10.000", 1), ("3.000", "50.000", 3)]
    assert len(member_messages(ctx, member, "voucher_received")) == 3
    with ctx.db.read() as conn:
        progress = conn.execute(select(campaign_progress)).one()
    assert (progress.accumulated, progress.tiers_reached) == (60_000, 3)


def test_the_settlement_body_and_its_replay_list_the_tier_packages(march):
    ctx = march
    campaign_id, _ = energy_campaign(ctx)
    member = f.member(ctx)["id"]
    order = f.charge_order(member, energy_wh=25_000)
    body, _ = settle(ctx, order)
    replay, created = settle(ctx, order)
    assert not created and replay == body
    assert [r["campaign_id"] for r in body["rewards"]] == [campaign_id] * 2
    with ctx.db.read() as conn:
        stored = conn.execute(select(charge_orders.c.result)).scalar_one()
    assert stored["rewards"] == body["rewards"]


def test_the_amount_metric_counts_what_was_paid_after_the_voucher(march):
    ctx = march
    tiers = [{"threshold": 1800, "reward": reward_of(ctx)}]
    campaign_id = insert_campaign(ctx, type="consumption", metric="amount", tiers=tiers)
    member = f.member(ctx)["id"]
    f.give(ctx, member, f.template(ctx, 1000)["id"])
    ctx.clock.move_to(f.local(2026, 3, 12, 14))
    order = f.charge_order(member, start_time=f.local(2026, 3, 12, 12, 30), end_time=f.local(2026, 3, 12, 13))
    body, _ = settle(ctx, order)  # 2800 total, 1000 voucher -> 1800 paid
    assert body["voucher_deduction_fen"] == 1000
    assert [r["campaign_id"] for r in body["rewards"]] == [campaign_id]
    assert member_campaigns(ctx, member_id=member)["items"][0]["accumulated"] == 1800


def test_orders_ending_outside_the_window_or_members_not_bound_do_not_count(march):
    ctx = march
    bound = f.member(ctx)["id"]
    outsider = f.member(ctx)["id"]
    campaign_id, _ = energy_campaign(ctx, start=f.local(2026, 3, 12, 10, 30), bound=(bound,))
    settle(ctx, f.charge_order(bound, energy_wh=30_000, end_time=f.local(2026, 3, 12, 10, 29)))
    settle(ctx, f.charge_order(outsider, energy_wh=30_000))
    assert scalar(ctx, select(func.count()).select_from(campaign_progress)) == 0
    settle(ctx, f.charge_order(bound, energy_wh=12_000))
    assert campaign_vouchers(ctx, bound, campaign_id) == 1
    assert campaign_vouchers(ctx, outsider) == 0


def test_a_member_sees_progress_next_threshold_and_days_left(march):
    ctx = march
    campaign_id, _ = energy_campaign(ctx, end=f.local(2026, 3, 15))
    member = f.member(ctx)["id"]
    settle(ctx, f.charge_order(member, energy_wh=12_500))
    (item,) = member_campaigns(ctx, member_id=member)["items"]
    assert {k: item[k] for k in ("campaign_id", "metric", "accumulated", "next_threshold", "remaining",
                                 "days_left", "reached_tiers")} == {
        "campaign_id": campaign_id, "metric": "energy", "accumulated": "12.500", "next_threshold": "20.000",
        "remaining": "7.500", "days_left": 3, "reached_tiers": 1}


@pytest.mark.parametrize(("now", "expected"), [
    (f.local(2026, 3, 28, 0, 0), 3), (f.local(2026, 3, 28, 23, 59), 3), (f.local(2026, 3, 30, 23, 0), 1),
    (f.local(2026, 3, 31, 0, 0), 0),
])
def test_days_left_counts_the_local_days_today_included_until_the_end(now, expected):
    assert days_left(f.local(2026, 3, 31), now, f.SHANGHAI) == expected


def test_countdown_tells_each_participant_with_an_unreached_tier_once(march):
    ctx = march
    charging, finished, idle = f.member(ctx)["id"], f.member(ctx)["id"], f.member(ctx)["id"]
    campaign_id, _ = energy_campaign(ctx, countdown_days=3, bound=(charging, finished, idle))
    settle(ctx, f.charge_order(charging, energy_wh=5_000))
    settle(ctx, f.charge_order(finished, energy_wh=60_000))
    assert send_countdowns(ctx) == 0  # 2026-03-12: 20 days left
    ctx.clock.move_to(f.local(2026, 3, 29, 0, 0))
    assert send_countdowns(ctx) == 2
    ctx.clock.move_to(f.local(2026, 3, 30, 0, 0))
    assert send_countdowns(ctx) == 0
    for member in (charging, idle):
        assert [(m["campaign_id"], m["days_left"]) for m in member_messages(ctx, member, "campaign_countdown")] == [
            (campaign_id, 3)]
    assert member_messages(ctx, finished, "campaign_countdown") == []


def test_countdown_in_a_campaign_open_to_everyone_tells_those_who_took_part(march):
    ctx = march
    charging, idle = f.member(ctx)["id"], f.member(ctx)["id"]
    energy_campaign(ctx, countdown_days=2)
    settle(ctx, f.charge_order(charging, energy_wh=1_000))
    ctx.clock.move_to(f.local(2026, 3, 30, 8))
    assert send_countdowns(ctx, batch=1) == 1
    assert len(member_messages(ctx, charging, "campaign_countdown")) == 1
    assert member_messages(ctx, idle, "campaign_countdown") == []


# --- recharge ------------------------------------------------------------------------------------

def recharge(ctx, member_id: str, order_no: str, amount_fen: int) -> list[dict]:
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        return rewards(react(conn, ctx, RechargePaid(member_id=member_id, order_no=order_no, amount_fen=amount_fen, at=now)))


def test_a_recharge_gets_the_reward_of_the_highest_tier_it_reaches_once_per_order(march):
    ctx = march
    small, large = reward_of(ctx, 500), reward_of(ctx, 2000, 3)
    campaign_id = insert_campaign(ctx, type="recharge", tiers=[
        {"min_amount_fen": 10_000, "reward": small}, {"min_amount_fen": 50_000, "reward": large}])
    member = f.member(ctx)["id"]

    below = recharge(ctx, member, "R1", 9_999)
    middle = recharge(ctx, member, "R2", 30_000)
    top = recharge(ctx, member, "R3", 50_000)
    repeated = recharge(ctx, member, "R3", 50_000)

    assert below == [] and repeated == []
    assert [(r["campaign_id"], len(r["voucher_ids"])) for r in middle + top] == [(campaign_id, 1), (campaign_id, 3)]
    with ctx.db.read() as conn:
        faces = sorted(conn.execute(select(vouchers.c.face_value_fen).where(vouchers.c.member_id == member)).scalars())
    assert faces == [500, 2000, 2000, 2000]
    assert campaign_row(ctx, campaign_id).packages_given == 2
