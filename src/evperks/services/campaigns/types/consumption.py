"""消费活动: participants' settled orders accumulate kWh (metric energy, stored as Wh) or fen paid
(metric amount); crossing a tier's threshold gives its package once. Bound members are the
participants; with none bound, everyone takes part."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, OrderSettled, Package
from evperks.domain.campaign_rules import check_metric_settings, check_tiers, no_issue_at, no_top_level_reward
from evperks.domain.campaigns import Campaign, Reason, sorted_tiers, tiers_crossed
from evperks.services.campaigns import tier_progress
from evperks.services.texts import N_

NAME = "consumption"
TIER_KEY = "threshold"
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True
# Members accumulate an amount (kWh or fen, by metric) in progress rows towards the tiers.
ACCUMULATES = True
GRANTS_AT_ISSUE_AT = False
REACTS_TO = (OrderSettled,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = tier_progress  # each participant's accumulated amount and the tiers it reached
TRIGGER = "tier"


def validate(draft: Campaign) -> list[Reason]:
    return check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + no_issue_at(draft) + check_metric_settings(draft)


def audience(event: OrderSettled) -> Audience:
    # The order counts in the campaigns running when it ended.
    return Audience(at=event.ended_at, participant=event.member_id)


def earns(campaign, event: OrderSettled, progress: tier_progress.Progress) -> list[Package]:
    """A package for every tier the order's amount crossed."""
    tiers = sorted_tiers(campaign.tiers, TIER_KEY)
    return [Package(event.member_id, TRIGGER, tier.reward, ref=str(tier.index))
            for tier in tiers_crossed(tiers, progress.tiers_reached, progress.accumulated)]


# --- how the console and H5 show it ---
LABEL = N_("Consumption campaign")
DESCRIPTION = N_("Members whose charged energy or paid amount reaches a tier during the campaign get that tier's "
                 "vouchers.")
AMOUNTS_IN = None  # tiers and the reminder are in the campaign's metric: kWh or yuan
TIER_LABEL = None  # named after the metric chosen
TIER_HINT = N_("How tiers pay: every tier a member's total crosses pays its own package, once per member; an "
                "order that crosses several tiers gets each of them.")
BINDING_HINT = N_("Only bound members take part; with nobody bound, every member does.")
H5_LABEL = N_("Charging campaign")
H5_RANK = 1
H5_LINK = ("/h5/campaigns", N_("See my progress"))
