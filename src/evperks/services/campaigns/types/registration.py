"""注册活动: a member registering while the campaign is active gets one package. Nobody is bound."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, MemberRegistered, Package
from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_reward, no_issue_at, no_tiers, only_for_consumption

NAME = "registration"
TIER_KEY = None
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False
REACTS_TO = (MemberRegistered,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None


def validate(draft: Draft) -> list[tuple[str, str]]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)


def audience(event: MemberRegistered) -> Audience:
    # The registration time: a member imported with a registration date before the campaign gets nothing.
    return Audience(at=event.registered_at)


def earns(campaign, event: MemberRegistered, state: None) -> list[Package]:
    return [Package(event.member_id, NAME, campaign.reward)]
