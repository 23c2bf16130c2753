"""A participant's progress in a consumption campaign (消费活动), kept per (campaign, member) in
``campaign_progress``: ``accumulated`` (Wh for metric energy, fen for amount), ``tiers_reached`` (how
many thresholds it has reached, tiers sorted by threshold), ``reminded_tier`` (the tier whose progress
reminder, 活动进度提醒, went out) and ``countdown_sent``. The consumption type's state: ``load`` adds a
settled order before the type decides which tiers it crossed, ``save`` remembers them and reminds.
A settlement holds the member's row lock, so one member's progress never changes in parallel.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Connection, select, update

from evperks.db.tables import campaign_progress, campaigns
from evperks.db.upsert import insert_for
from evperks.domain.campaign_events import OrderSettled
from evperks.domain.campaigns import Metric, Status, Tier, reached_count, sorted_tiers
from evperks.domain.units import wh_to_kwh_str
from evperks.services.campaigns.issue import Issued
from evperks.services.context import Context
from evperks.services.messages_store import post_message


class Progress(Protocol):
    accumulated: int
    tiers_reached: int
    reminded_tier: int | None


def shown(metric: str, value: int | None) -> str | int | None:
    """Wh as a kWh decimal string for energy, fen as an integer for amount."""
    if value is None:
        return None
    return wh_to_kwh_str(value) if metric == Metric.ENERGY else value


def load(conn: Connection, ctx: Context, campaign, event: OrderSettled) -> Progress:
    """The member's progress with the order's energy or amount (by the campaign's metric) added."""
    amount = event.energy_wh if campaign.metric == Metric.ENERGY else event.paid_fen
    p = campaign_progress.c
    upsert = insert_for(conn, campaign_progress).values(
        campaign_id=campaign.id, member_id=event.member_id, accumulated=amount, tiers_reached=0,
        countdown_sent=False, updated_at=event.at,
    )
    return conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["campaign_id", "member_id"],
            set_={"accumulated": p.accumulated + upsert.excluded.accumulated, "updated_at": event.at},
        ).returning(p.accumulated, p.tiers_reached, p.reminded_tier)
    ).one()


def save(conn: Connection, ctx: Context, campaign, event: OrderSettled, progress: Progress,
         issued: list[Issued]) -> bool:
    """Remember the tiers reached (their packages given or not: a tier is crossed once) and send the
    progress reminder when it is due."""
    tiers = sorted_tiers(campaign.tiers)
    reached = reached_count(tiers, progress.accumulated)
    values: dict = {}
    if reached != progress.tiers_reached:
        values["tiers_reached"] = reached
    if _remind(conn, ctx, campaign, event, tiers, reached, progress):
        values["reminded_tier"] = reached
    if values:
        p = campaign_progress.c
        conn.execute(update(campaign_progress).where(p.campaign_id == campaign.id, p.member_id == event.member_id)
                     .values(**values))
    return True


def _remind(conn: Connection, ctx: Context, campaign, event: OrderSettled, tiers: list[Tier], reached: int,
            progress: Progress) -> bool:
    """The progress reminder for the next tier (position ``reached``), once per tier; True when sent."""
    if campaign.progress_reminder is None or reached >= len(tiers):
        return False
    if progress.reminded_tier is not None and progress.reminded_tier >= reached:
        return False
    remaining = tiers[reached].threshold - progress.accumulated
    if remaining > campaign.progress_reminder:
        return False
    # The last tier package given by this very order may have ended the campaign (budget spent).
    if conn.execute(select(campaigns.c.status).where(campaigns.c.id == campaign.id)).scalar_one() != Status.ACTIVE:
        return False
    metric = campaign.metric
    post_message(conn, ctx, member_id=event.member_id, type="campaign_progress", now=event.at, data={
        "campaign_id": campaign.id,
        "campaign_name": campaign.name,
        "metric": metric,
        "accumulated": shown(metric, progress.accumulated),
        "next_threshold": shown(metric, tiers[reached].threshold),
        "remaining": shown(metric, remaining),
        "tier": reached + 1,
    })
    return True
