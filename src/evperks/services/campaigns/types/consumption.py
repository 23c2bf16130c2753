"""消费活动: participants' settled orders accumulate kWh (metric energy, stored as Wh) or fen paid
(metric amount); crossing a tier's threshold gives its package once. Bound members are the
participants; with none bound, everyone takes part."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, OrderSettled, Package
from evperks.domain.campaigns import sorted_tiers, tiers_crossed
from evperks.services.campaigns import tier_progress
from evperks.services.campaigns.model import METRICS, Draft
from evperks.services.campaigns.rules import check_tiers, no_issue_at, no_top_level_reward

NAME = "consumption"
TIER_KEY = "threshold"
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True
REACTS_TO = (OrderSettled,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = tier_progress  # each participant's accumulated amount and the tiers it reached
TRIGGER = "tier"


def validate(draft: Draft) -> list[tuple[str, str]]:
    errors = check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + no_issue_at(draft)
    if draft.metric not in METRICS:
        errors.append(("metric", "is required: energy or amount"))
    if draft.progress_reminder is not None and draft.progress_reminder < 1:
        errors.append(("progress_reminder", "must be greater than 0"))
    if draft.countdown_days is not None and draft.countdown_days < 1:
        errors.append(("countdown_days", "must be at least 1"))
    return errors


def audience(event: OrderSettled) -> Audience:
    # The order counts in the campaigns running when it ended.
    return Audience(at=event.ended_at, participant=event.member_id)


def earns(campaign, event: OrderSettled, progress: tier_progress.Progress) -> list[Package]:
    """A package for every tier the order's amount crossed."""
    tiers = sorted_tiers(campaign.tiers, TIER_KEY)
    return [Package(event.member_id, TRIGGER, tier.reward, ref=str(tier.index))
            for tier in tiers_crossed(tiers, progress.tiers_reached, progress.accumulated)]
