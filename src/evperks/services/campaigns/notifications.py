"""Countdown reminders (倒计时天数) of consumption campaigns.

``countdown_days`` = N: from 00:00 of the N-th last local day of the campaign (when ``days_left``
first reads N; for a campaign ending at 00:00 that is exactly ``end_at`` - N days), every participant
with an unreached tier is told once how many days remain. Participants here are the members with a
progress row that have not reached the top tier and, for a campaign with bound members, also the
bound members without any progress yet. In a campaign open to everyone, members who have not charged
during it are not messaged (that would be every member of the operator).

Set-based and resumable: each batch marks up to ``batch`` progress rows ``countdown_sent`` with one
``UPDATE … RETURNING`` and writes their messages (and outbox rows) in the same transaction; a crash
between batches resumes where it stopped and never messages anyone twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, exists, literal, select, update

from evperks.db.tables import campaign_members, campaign_progress, campaigns
from evperks.db.upsert import insert_for
from evperks.domain.campaigns import Status, countdown_starts_at
from evperks.services.campaigns.progress import days_left
from evperks.services.campaigns.types import names_where
from evperks.services.context import Context
from evperks.services.messages_store import post_messages

BATCH = 1000


def send_countdowns(ctx: Context, *, batch: int = BATCH) -> int:
    """Send every countdown that is due now; returns how many messages were sent."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        due = [c for c in conn.execute(
            select(campaigns).where(
                campaigns.c.type.in_(names_where(lambda kind: kind.ACCUMULATES)), campaigns.c.status == Status.ACTIVE,
                campaigns.c.countdown_days > 0, campaigns.c.start_at <= now, campaigns.c.end_at > now,
            ).order_by(campaigns.c.id)
        ) if countdown_starts_at(c.end_at, c.countdown_days, ctx.zone) <= now]
    sent = 0
    for campaign in due:
        while True:
            with ctx.db.write() as conn:
                n = _send_batch(conn, ctx, campaign, now, batch)
            sent += n
            if n < batch:
                break
    return sent


def _send_batch(conn: Connection, ctx: Context, campaign, now: datetime, batch: int) -> int:
    p = campaign_progress.c
    top = len(campaign.tiers or [])
    if conn.execute(select(campaign_members.c.id).where(campaign_members.c.campaign_id == campaign.id).limit(1)).first():
        # Bound members who have not charged yet get a progress row, so that they are told once too.
        missing = select(
            campaign_members.c.campaign_id, campaign_members.c.member_id, literal(0), literal(0),
            literal(False), literal(now, type_=campaign_progress.c.updated_at.type),
        ).where(
            campaign_members.c.campaign_id == campaign.id,
            ~exists().where(p.campaign_id == campaign.id, p.member_id == campaign_members.c.member_id),
        )
        conn.execute(insert_for(conn, campaign_progress).from_select(
            ["campaign_id", "member_id", "accumulated", "tiers_reached", "countdown_sent", "updated_at"], missing,
        ).on_conflict_do_nothing(index_elements=["campaign_id", "member_id"]))
    pending = (
        select(p.member_id)
        .where(p.campaign_id == campaign.id, p.countdown_sent == False, p.tiers_reached < top)  # noqa: E712
        .order_by(p.member_id).limit(batch)
    )
    if conn.dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    member_ids = [r[0] for r in conn.execute(
        update(campaign_progress)
        .where(and_(p.campaign_id == campaign.id, p.member_id.in_(pending.scalar_subquery())))
        .values(countdown_sent=True)
        .returning(p.member_id)
    )]
    if not member_ids:
        return 0
    # end_at in the operator's zone (+08:00), as the other messages and the API show instants
    data = {"campaign_id": campaign.id, "campaign_name": campaign.name, "days_left": days_left(campaign.end_at, now, ctx.zone),
            "end_at": campaign.end_at.astimezone(ctx.zone).isoformat()}
    post_messages(conn, ctx, type="campaign_countdown", entries=[(m, data) for m in member_ids], now=now)
    return len(member_ids)
