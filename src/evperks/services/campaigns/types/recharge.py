"""充值活动: a paid recharge of amount A gets the package of the highest tier with min_amount_fen ≤ A."""

from __future__ import annotations

from evperks.domain.campaigns import Metric
from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_tiers, no_issue_at, no_top_level_reward, only_for_consumption
from evperks.services.texts import N_

NAME = "recharge"
TIER_KEY = "min_amount_fen"
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False


def validate(draft: Draft) -> list[tuple[str, str]]:
    return (check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + only_for_consumption(draft)
            + no_issue_at(draft))


# --- how the console and H5 show it ---
LABEL = N_("Recharge campaign")
DESCRIPTION = N_("A recharge gets the vouchers of the highest tier its amount reaches.")
AMOUNTS_IN = Metric.AMOUNT  # tiers are recharge amounts: yuan on the form, fen stored
TIER_LABEL = N_("Recharge reaching (¥)")
SHOWS_ISSUE_AT = False
SHOWS_METRIC = False
BINDING_HINT = N_("Registration and recharge campaigns are open to every member and bind nobody.")
H5_LABEL = N_("Recharge campaign")
H5_RANK = 2
H5_LINK = None
