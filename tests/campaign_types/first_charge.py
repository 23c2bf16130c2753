"""首充活动, a campaign type that exists in the tests alone: a member's first settled charge while the
campaign runs gets one package. Defining it is this module; registering it is one line
(``register(first_charge)``). Publishing checks it as a registration campaign: one reward, no tiers."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, OrderSettled, Package
from evperks.services.campaigns.types import registration

NAME = "first_charge"
TIER_KEY = None
USES_MEMBERS = False
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = False
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False
REACTS_TO = (OrderSettled,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None

validate = registration.validate


def audience(event: OrderSettled) -> Audience | None:
    return Audience(at=event.at) if event.first_charge else None


def earns(campaign, event: OrderSettled, state: None) -> list[Package]:
    return [Package(event.member_id, NAME, campaign.reward)]


# --- how the console and H5 show it ---
LABEL = "First-charge campaign"
DESCRIPTION = "The first settled charge of a member gets the vouchers."
AMOUNTS_IN = None
TIER_LABEL = None
TIER_HINT = None
BINDING_HINT = "First-charge campaigns are open to every member and bind nobody."
H5_LABEL = "First-charge gift"
H5_RANK = 5
H5_LINK = None
