"""The referral reward's record (拉新): one reward per invitee, ever, whichever campaign paid it
(``referral_rewards`` is keyed by the invitee). The referral type's state: ``load`` before deciding,
``save`` after its package was given, in the same savepoint."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, func, select

from evperks.db.tables import referral_rewards
from evperks.db.upsert import insert_for
from evperks.domain.campaign_events import OrderSettled
from evperks.services.campaigns.issue import Issued
from evperks.services.context import Context


class State(NamedTuple):
    already_rewarded: bool  # the invitee already earned its inviter a reward (from any campaign)
    inviter_rewards: int  # the rewards the inviter earned from this campaign (counted only when it is capped)


def load(conn: Connection, ctx: Context, campaign, event: OrderSettled) -> State:
    """What the referral rules decide on. A capped campaign counts the inviter's rewards under a lock
    per (campaign, inviter), held to the end of the settlement, so two invitees of one inviter settling
    at once are counted one after the other (SQLite's write lock already serialises them)."""
    r = referral_rewards.c
    already = conn.execute(select(r.invitee_id).where(r.invitee_id == event.member_id)).first() is not None
    if already or campaign.max_rewards_per_inviter is None:
        return State(already, 0)
    if conn.dialect.name == "postgresql":
        key = f"evperks.referral_cap {campaign.id} {event.inviter_id}"
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    count = conn.execute(select(func.count()).select_from(referral_rewards)
                         .where(r.inviter_id == event.inviter_id, r.campaign_id == campaign.id)).scalar_one()
    return State(False, count)


def save(conn: Connection, ctx: Context, campaign, event: OrderSettled, state: State,
         issued: list[Issued]) -> bool:
    """Record the reward; False when another campaign rewarded this invitee meanwhile (undo this one)."""
    if not issued:
        return True
    recorded = conn.execute(
        insert_for(conn, referral_rewards)
        .values(invitee_id=event.member_id, inviter_id=event.inviter_id, campaign_id=campaign.id,
                package_id=issued[0].package_ids[0], created_at=event.at)
        .on_conflict_do_nothing(index_elements=["invitee_id"])
        .returning(referral_rewards.c.invitee_id)
    ).scalar_one_or_none()
    return recorded is not None
