"""充值活动: a paid recharge of amount A gets the package of the highest tier with min_amount_fen ≤ A."""

from __future__ import annotations

from evperks.domain.campaign_rules import check_tiers, no_issue_at, no_top_level_reward, only_for_consumption
from evperks.domain.campaigns import Campaign, Metric, Refusal
from evperks.services.texts import N_

NAME = "recharge"
TIER_KEY = "min_amount_fen"
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False


def validate(draft: Campaign) -> list[Refusal]:
    return (check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + only_for_consumption(draft)
            + no_issue_at(draft))


# --- how the console and H5 show it ---
LABEL = N_("Recharge campaign")
DESCRIPTION = N_("A recharge gets the vouchers of the highest tier its amount reaches.")
AMOUNTS_IN = Metric.AMOUNT  # tiers are recharge amounts: yuan on the form, fen stored
TIER_LABEL = N_("Recharge reaching (¥)")
BINDING_HINT = N_("Registration and recharge campaigns are open to every member and bind nobody.")
H5_LABEL = N_("Recharge campaign")
H5_RANK = 2
H5_LINK = None
