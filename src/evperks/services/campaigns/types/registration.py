"""注册活动: a member registering while the campaign is active gets one package. Nobody is bound."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, MemberRegistered, Package
from evperks.domain.campaign_rules import check_reward, no_issue_at, no_tiers, only_for_consumption
from evperks.domain.campaigns import Campaign, Reason
from evperks.services.texts import N_

NAME = "registration"
TIER_KEY = None
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False
REACTS_TO = (MemberRegistered,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None


def validate(draft: Campaign) -> list[Reason]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)


def audience(event: MemberRegistered) -> Audience:
    # The registration time: a member imported with a registration date before the campaign gets nothing.
    return Audience(at=event.registered_at)


def earns(campaign, event: MemberRegistered, state: None) -> list[Package]:
    return [Package(event.member_id, NAME, campaign.reward)]


# --- how the console and H5 show it ---
LABEL = N_("Registration campaign")
DESCRIPTION = N_("Members who register for the first time get the vouchers automatically.")
AMOUNTS_IN = None
TIER_LABEL = None
TIER_HINT = None  # no tiers
BINDING_HINT = N_("Registration and recharge campaigns are open to every member and bind nobody.")
H5_LABEL = N_("New member gift")
H5_RANK = 3
H5_LINK = None
