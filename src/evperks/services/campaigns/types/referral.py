"""拉新活动: the inviter of a new member gets one package when the invitee's first charge settles.
Bound members are the eligible inviters; with none bound, every member is eligible."""

from __future__ import annotations

from evperks.domain.campaign_rules import check_reward, no_issue_at, no_tiers, only_for_consumption
from evperks.domain.campaigns import Campaign, Refusal

NAME = "referral"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False


def validate(draft: Campaign) -> list[Refusal]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)
