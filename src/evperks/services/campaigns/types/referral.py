"""拉新活动: the inviter of a new member gets one package when the invitee's first charge settles.
Bound members are the eligible inviters; with none bound, every member is eligible."""

from __future__ import annotations

from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_reward, no_issue_at, no_tiers, only_for_consumption

NAME = "referral"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True


def validate(draft: Draft) -> list[tuple[str, str]]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)
