"""充值活动: a paid recharge of amount A gets the package of the highest tier with min_amount_fen ≤ A."""

from __future__ import annotations

from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_tiers, no_issue_at, no_top_level_reward, only_for_consumption

NAME = "recharge"
TIER_KEY = "min_amount_fen"
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False


def validate(draft: Draft) -> list[tuple[str, str]]:
    return (check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + only_for_consumption(draft)
            + no_issue_at(draft))
