"""Consumption campaigns (消费活动): each participant's accumulated energy or amount, the tier packages
it earns, the progress reminder (活动进度提醒), and the progress members see in the H5 (活动进度查看).

Progress is kept per (campaign, member) in ``campaign_progress``: ``accumulated`` (Wh for metric
``energy``, fen for ``amount``), ``tiers_reached`` (how many thresholds it has reached, tiers being
sorted by threshold), ``reminded_tier`` (the tier whose reminder went out) and ``countdown_sent``.
A settlement holds the member's row lock, so one member's progress never changes in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from evperks.db.tables import campaign_progress, campaigns
from evperks.db.upsert import insert_for
from evperks.domain.timecal import local_date
from evperks.domain.units import wh_to_kwh_str
from evperks.services.campaigns.packages import grant_package
from evperks.services.campaigns.triggers import guarded, running_campaigns
from evperks.services.context import Context
from evperks.services.lookups import require_member
from evperks.services.messages import post_message


@dataclass(frozen=True)
class Tier:
    index: int  # the tier's position in the campaign's ``tiers`` (the package's ref)
    threshold: int
    reward: list[dict]


def sorted_tiers(tiers: list[dict]) -> list[Tier]:
    return sorted((Tier(i, t["threshold"], t["reward"]) for i, t in enumerate(tiers or [])), key=lambda t: t.threshold)


def reached_count(tiers: list[Tier], accumulated: int) -> int:
    return sum(1 for t in tiers if t.threshold <= accumulated)


def shown(metric: str, value: int | None) -> str | int | None:
    """Wh as a kWh decimal string for energy, fen as an integer for amount."""
    if value is None:
        return None
    return wh_to_kwh_str(value) if metric == "energy" else value


def days_left(end_at: datetime, now: datetime, zone: ZoneInfo) -> int:
    """The local calendar days, today included, on which the campaign still runs (0 once ended):
    a campaign ending at 2026-03-31 00:00 has 3 days left at any time on 2026-03-28, 1 on 2026-03-30."""
    if now >= end_at:
        return 0
    last_day = local_date(end_at - timedelta(microseconds=1), zone)
    return (last_day - local_date(now, zone)).days + 1


def advance_consumption(conn: Connection, ctx: Context, *, member_id: str, energy_wh: int, paid_fen: int,
                        end_time: datetime, now: datetime) -> list[dict]:
    """Add a settled order (ending at ``end_time``) to every consumption campaign running at that time
    in which the member participates; give each tier crossed its package, send the progress reminder.
    Returns the packages given as ``[{campaign_id, voucher_ids}]``."""
    rewards: list[dict] = []
    for campaign in running_campaigns(conn, type="consumption", at=end_time, participant=member_id):
        amount = energy_wh if campaign.metric == "energy" else paid_fen
        given = guarded(conn, f"consumption {campaign.id} {member_id}",
                        lambda c=campaign: _advance_one(conn, ctx, c, member_id, amount, now))
        rewards += given or []
    return rewards


def _advance_one(conn: Connection, ctx: Context, campaign, member_id: str, amount: int, now: datetime) -> list[dict]:
    p = campaign_progress.c
    upsert = insert_for(conn, campaign_progress).values(
        campaign_id=campaign.id, member_id=member_id, accumulated=amount, tiers_reached=0, countdown_sent=False,
        updated_at=now,
    )
    progress = conn.execute(
        upsert.on_conflict_do_update(
            index_elements=["campaign_id", "member_id"],
            set_={"accumulated": p.accumulated + upsert.excluded.accumulated, "updated_at": now},
        ).returning(p.accumulated, p.tiers_reached, p.reminded_tier)
    ).one()
    tiers = sorted_tiers(campaign.tiers)
    reached = reached_count(tiers, progress.accumulated)
    rewards = []
    for tier in tiers[progress.tiers_reached:reached]:
        grant = grant_package(conn, ctx, campaign_id=campaign.id, member_id=member_id, trigger="tier",
                              reward=tier.reward, now=now, ref=str(tier.index))
        if grant is not None:
            rewards.append(grant.as_reward())
    values: dict = {}
    if reached != progress.tiers_reached:
        values["tiers_reached"] = reached
    if _remind(conn, ctx, campaign, member_id, tiers, reached, progress, now):
        values["reminded_tier"] = reached
    if values:
        conn.execute(update(campaign_progress).where(p.campaign_id == campaign.id, p.member_id == member_id)
                     .values(**values))
    return rewards


def _remind(conn: Connection, ctx: Context, campaign, member_id: str, tiers: list[Tier], reached: int, progress,
            now: datetime) -> bool:
    """The progress reminder for the next tier (position ``reached``), once per tier; True when sent."""
    if campaign.progress_reminder is None or reached >= len(tiers):
        return False
    if progress.reminded_tier is not None and progress.reminded_tier >= reached:
        return False
    remaining = tiers[reached].threshold - progress.accumulated
    if remaining > campaign.progress_reminder:
        return False
    # The last tier package given by this very order may have ended the campaign (budget spent).
    if conn.execute(select(campaigns.c.status).where(campaigns.c.id == campaign.id)).scalar_one() != "active":
        return False
    metric = campaign.metric
    post_message(conn, ctx, member_id=member_id, type="campaign_progress", now=now, data={
        "campaign_id": campaign.id,
        "campaign_name": campaign.name,
        "metric": metric,
        "accumulated": shown(metric, progress.accumulated),
        "next_threshold": shown(metric, tiers[reached].threshold),
        "remaining": shown(metric, remaining),
        "tier": reached + 1,
    })
    return True


def member_campaigns(ctx: Context, *, member_id: str) -> dict:
    """The member's progress in every running consumption campaign it participates in (H5 活动进度)."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        running = running_campaigns(conn, type="consumption", at=now, participant=member_id)
        p = campaign_progress.c
        rows = {r.campaign_id: r for r in conn.execute(
            select(campaign_progress).where(p.member_id == member_id, p.campaign_id.in_([c.id for c in running]))
        )} if running else {}
    return {"items": [_progress_out(c, rows.get(c.id), now, ctx.zone) for c in running]}


def _progress_out(campaign, progress, now: datetime, zone: ZoneInfo) -> dict:
    tiers = sorted_tiers(campaign.tiers)
    accumulated = progress.accumulated if progress else 0
    reached = reached_count(tiers, accumulated)
    next_threshold = tiers[reached].threshold if reached < len(tiers) else None
    metric = campaign.metric
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "metric": metric,
        "accumulated": shown(metric, accumulated),
        "next_threshold": shown(metric, next_threshold),
        "remaining": shown(metric, next_threshold - accumulated if next_threshold is not None else None),
        "days_left": days_left(campaign.end_at, now, zone),
        "reached_tiers": reached,
        "tiers_total": len(tiers),
        "tiers": [{"threshold": shown(metric, t.threshold), "reached": t.threshold <= accumulated} for t in tiers],
        "rules_text": campaign.rules_text,
        "end_at": campaign.end_at,
    }
