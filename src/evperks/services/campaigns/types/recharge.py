"""充值活动: a paid recharge of amount A gets the package of the highest tier with min_amount_fen ≤ A."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, Package, RechargePaid
from evperks.domain.campaigns import sorted_tiers, tier_for_amount
from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_tiers, no_issue_at, no_top_level_reward, only_for_consumption

NAME = "recharge"
TIER_KEY = "min_amount_fen"
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False
REACTS_TO = (RechargePaid,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None


def validate(draft: Draft) -> list[tuple[str, str]]:
    return (check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + only_for_consumption(draft)
            + no_issue_at(draft))


def audience(event: RechargePaid) -> Audience:
    return Audience(at=event.at)


def earns(campaign, event: RechargePaid, state: None) -> list[Package]:
    """The package of the highest tier the amount reaches, once per recharge order."""
    tier = tier_for_amount(sorted_tiers(campaign.tiers, TIER_KEY), event.amount_fen)
    return [] if tier is None else [Package(event.member_id, NAME, tier.reward, ref=event.order_no)]
