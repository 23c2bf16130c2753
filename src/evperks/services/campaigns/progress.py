"""What members see of consumption campaigns (消费活动): their progress in every running one they take
part in (活动进度查看). Progress itself is kept by ``tier_progress`` as settled orders come in.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from evperks.db.tables import campaign_progress
from evperks.domain.campaigns import days_left, reached_count, sorted_tiers
from evperks.services.campaigns.running import running_campaigns
from evperks.services.campaigns.tier_progress import shown
from evperks.services.campaigns.types import consumption
from evperks.services.context import Context
from evperks.services.lookups import require_member
from evperks.services.results import Result, result

__all__ = ["days_left", "member_campaigns", "shown"]
Shown = str | int | None  # kWh as a decimal string (metric energy) or whole fen (metric amount)


@result
class TierShown(Result):
    threshold: Shown
    reached: bool


@result
class CampaignProgress(Result):
    campaign_id: int
    name: str | None
    metric: str
    accumulated: Shown
    next_threshold: Shown
    remaining: Shown
    days_left: int
    reached_tiers: int
    tiers_total: int
    tiers: list[TierShown]
    rules_text: str | None
    end_at: datetime


@result
class MemberCampaigns(Result):
    items: list[CampaignProgress]


def member_campaigns(ctx: Context, *, member_id: str) -> MemberCampaigns:
    """The member's progress in every running consumption campaign it participates in (H5 活动进度)."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        running = running_campaigns(conn, type=consumption.NAME, at=now, participant=member_id)
        p = campaign_progress.c
        rows = {r.campaign_id: r for r in conn.execute(
            select(campaign_progress).where(p.member_id == member_id, p.campaign_id.in_([c.id for c in running]))
        )} if running else {}
    return MemberCampaigns(items=[_progress_out(c, rows.get(c.id), now, ctx.zone) for c in running])


def _progress_out(campaign, progress, now: datetime, zone: ZoneInfo) -> CampaignProgress:
    tiers = sorted_tiers(campaign.tiers)
    accumulated = progress.accumulated if progress else 0
    reached = reached_count(tiers, accumulated)
    next_threshold = tiers[reached].threshold if reached < len(tiers) else None
    metric = campaign.metric
    return CampaignProgress(
        campaign_id=campaign.id,
        name=campaign.name,
        metric=metric,
        accumulated=shown(metric, accumulated),
        next_threshold=shown(metric, next_threshold),
        remaining=shown(metric, next_threshold - accumulated if next_threshold is not None else None),
        days_left=days_left(campaign.end_at, now, zone),
        reached_tiers=reached,
        tiers_total=len(tiers),
        tiers=[TierShown(shown(metric, t.threshold), t.threshold <= accumulated) for t in tiers],
        rules_text=campaign.rules_text,
        end_at=campaign.end_at,
    )
