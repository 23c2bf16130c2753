"""What gives campaign packages: registration, a referred member's first charge, a paid recharge.

Every trigger runs inside the caller's transaction (the registration, the settlement, the recharge
confirmation) and takes the caller's ``now``. A campaign can never fail its caller: a package that
cannot be given (budget spent, campaign ended, template window closed, already rewarded) is simply
not given, and any unexpected error is rolled back to a savepoint, logged, and the caller goes on.
Budgets are spent only by ``grant_package``'s guarded UPDATE.

A campaign is *running* for an event when ``status = 'active'`` and ``start_at <= event < end_at``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, bindparam, exists, or_, select

from evperks.db.tables import campaign_members, campaigns, referral_rewards
from evperks.db.types import UTCDateTime
from evperks.db.upsert import insert_for
from evperks.services.campaigns.packages import Grant, grant_package
from evperks.services.context import Context

log = logging.getLogger("evperks.campaigns")
T = TypeVar("T")


# Built once: every settlement asks this, and building the statement cost more than running it.
_AT = bindparam("at", type_=UTCDateTime())
_RUNNING = (
    select(campaigns)
    .where(campaigns.c.type == bindparam("type"), campaigns.c.status == "active",
           campaigns.c.start_at <= _AT, campaigns.c.end_at > _AT)
    .order_by(campaigns.c.id)
)
_RUNNING_FOR_PARTICIPANT = _RUNNING.where(
    or_(
        ~exists().where(campaign_members.c.campaign_id == campaigns.c.id),
        exists().where(campaign_members.c.campaign_id == campaigns.c.id,
                       campaign_members.c.member_id == bindparam("participant")),
    )
)


def running_campaigns(conn: Connection, *, type: str, at: datetime, participant: str | None = None) -> list:
    """Campaigns of ``type`` running at ``at``, oldest first; with ``participant``, only those whose
    participants include that member (bound to it, or no member bound at all)."""
    if participant is None:
        return conn.execute(_RUNNING, {"type": type, "at": at}).all()
    return conn.execute(_RUNNING_FOR_PARTICIPANT, {"type": type, "at": at, "participant": participant}).all()


def guarded(conn: Connection, what: str, action: Callable[[], T]) -> T | None:
    """Run ``action`` in a savepoint; an error is rolled back and logged, never raised to the caller."""
    try:
        with conn.begin_nested():
            return action()
    except Exception:  # noqa: BLE001 - a campaign must never fail a registration, settlement or recharge
        log.exception("campaign trigger failed: %s", what)
        return None


def on_member_registered(conn: Connection, ctx: Context, *, member_id: str, registered_at: datetime,
                         now: datetime) -> list[dict]:
    """One package from every registration campaign running at the member's registration time.

    The registration time is the member's ``registered_at`` (``now`` unless the platform gave an
    earlier one), so a member imported with a registration date before the campaign gets nothing.
    """
    rewards = []
    for campaign in running_campaigns(conn, type="registration", at=registered_at):
        grant = guarded(conn, f"registration {campaign.id} {member_id}", lambda c=campaign: grant_package(
            conn, ctx, campaign_id=c.id, member_id=member_id, trigger="registration", reward=c.reward, now=now))
        if grant is not None:
            rewards.append(grant.as_reward())
    return rewards


def on_first_charge(conn: Connection, ctx: Context, *, invitee_id: str, inviter_id: str | None,
                    now: datetime) -> list[dict]:
    """The referral reward (拉新): the inviter of a member whose first charge order is being settled
    gets one package from the first running referral campaign that admits the inviter and still has
    budget. One reward per invitee, ever (``referral_rewards`` is keyed by the invitee)."""
    if inviter_id is None or inviter_id == invitee_id:
        return []
    if conn.execute(select(referral_rewards.c.invitee_id).where(referral_rewards.c.invitee_id == invitee_id)).first():
        return []
    for campaign in running_campaigns(conn, type="referral", at=now, participant=inviter_id):
        grant = guarded(conn, f"referral {campaign.id} {invitee_id}",
                        lambda c=campaign: _referral_grant(conn, ctx, c, invitee_id, inviter_id, now))
        if grant is not None:
            return [grant.as_reward()]
    return []


def _referral_grant(conn: Connection, ctx: Context, campaign, invitee_id: str, inviter_id: str,
                    now: datetime) -> Grant | None:
    with conn.begin_nested() as savepoint:
        grant = grant_package(conn, ctx, campaign_id=campaign.id, member_id=inviter_id, trigger="referral",
                              reward=campaign.reward, now=now, ref=invitee_id)
        if grant is None:
            return None
        recorded = conn.execute(
            insert_for(conn, referral_rewards)
            .values(invitee_id=invitee_id, inviter_id=inviter_id, campaign_id=campaign.id,
                    package_id=grant.package_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["invitee_id"])
            .returning(referral_rewards.c.invitee_id)
        ).scalar_one_or_none()
        if recorded is None:  # another campaign rewarded this invitee meanwhile: undo the package
            savepoint.rollback()
            return None
    return grant


def recharge_tier(tiers: list[dict], amount_fen: int) -> dict | None:
    """The highest tier whose ``min_amount_fen`` is at most ``amount_fen``; None below the lowest."""
    eligible = [t for t in tiers if t["min_amount_fen"] <= amount_fen]
    return max(eligible, key=lambda t: t["min_amount_fen"]) if eligible else None


def on_recharge_paid(conn: Connection, ctx: Context, *, member_id: str, order_no: str, amount_fen: int,
                     now: datetime) -> list[dict]:
    """For each recharge campaign running at ``now``: the reward of the highest tier the amount
    reaches, one package per recharge order. Returns ``[{campaign_id, voucher_ids}]``."""
    rewards = []
    for campaign in running_campaigns(conn, type="recharge", at=now):
        tier = recharge_tier(campaign.tiers or [], amount_fen)
        if tier is None:
            continue
        grant = guarded(conn, f"recharge {campaign.id} {order_no}", lambda c=campaign, t=tier: grant_package(
            conn, ctx, campaign_id=c.id, member_id=member_id, trigger="recharge", reward=t["reward"], now=now,
            ref=order_no))
        if grant is not None:
            rewards.append(grant.as_reward())
    return rewards
