"""The referral reward's record (拉新): one reward per invitee, ever, whichever campaign paid it
(``referral_rewards`` is keyed by the invitee). The referral type's state: ``load`` before deciding,
``save`` after its package was given, in the same savepoint."""

from __future__ import annotations

from sqlalchemy import Connection, select

from evperks.db.tables import referral_rewards
from evperks.db.upsert import insert_for
from evperks.domain.campaign_events import OrderSettled
from evperks.services.campaigns.issue import Issued
from evperks.services.context import Context


def load(conn: Connection, ctx: Context, campaign, event: OrderSettled) -> bool:
    """Whether the invitee already earned its inviter a reward."""
    r = referral_rewards.c
    return conn.execute(select(r.invitee_id).where(r.invitee_id == event.member_id)).first() is not None


def save(conn: Connection, ctx: Context, campaign, event: OrderSettled, already_rewarded: bool,
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
