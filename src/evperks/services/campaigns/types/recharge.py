"""充值活动: a paid recharge of amount A gets the package of the highest tier with min_amount_fen ≤ A."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, Package, RechargePaid
from evperks.domain.campaign_rules import check_tiers, no_issue_at, no_top_level_reward, only_for_consumption
from evperks.domain.campaigns import Campaign, Metric, Reason, sorted_tiers, tier_for_amount
from evperks.services.texts import N_

NAME = "recharge"
TIER_KEY = "min_amount_fen"
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False
REACTS_TO = (RechargePaid,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None


def validate(draft: Campaign) -> list[Reason]:
    return (check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + only_for_consumption(draft)
            + no_issue_at(draft))


def audience(event: RechargePaid) -> Audience:
    return Audience(at=event.at)


def earns(campaign, event: RechargePaid, state: None) -> list[Package]:
    """The package of the highest tier the amount reaches, once per recharge order."""
    tier = tier_for_amount(sorted_tiers(campaign.tiers, TIER_KEY), event.amount_fen)
    return [] if tier is None else [Package(event.member_id, NAME, tier.reward, ref=event.order_no)]


# --- how the console and H5 show it ---
LABEL = N_("Recharge campaign")
DESCRIPTION = N_("A recharge gets the vouchers of the highest tier its amount reaches.")
AMOUNTS_IN = Metric.AMOUNT  # tiers are recharge amounts: yuan on the form, fen stored
TIER_LABEL = N_("Recharge reaching (¥)")
TIER_HINT = N_("How tiers pay: a recharge gets the package of the highest tier its amount reaches, one package "
                "per recharge (¥300 with tiers ¥100 and ¥200 gets the ¥200 tier only).")
BINDING_HINT = N_("Registration and recharge campaigns are open to every member and bind nobody.")
H5_LABEL = N_("Recharge campaign")
H5_RANK = 2
H5_LINK = None
