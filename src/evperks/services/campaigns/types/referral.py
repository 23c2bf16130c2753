"""拉新活动: the inviter of a new member gets one package when the invitee's first charge settles.
Bound members are the eligible inviters; with none bound, every member is eligible."""

from __future__ import annotations

from evperks.domain.campaign_events import Audience, OrderSettled, Package
from evperks.domain.campaign_rules import check_reward, no_issue_at, no_tiers, only_for_consumption
from evperks.domain.campaigns import Campaign, Reason
from evperks.services.campaigns import referrals
from evperks.services.texts import N_

NAME = "referral"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False
REACTS_TO = (OrderSettled,)
# The oldest running campaign that admits the inviter and still has budget pays; one reward per
# invitee, ever, whichever campaign paid it (``referrals`` records it).
ONE_CAMPAIGN_PER_EVENT = True
STATE = referrals


def validate(draft: Campaign) -> list[Reason]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)


def audience(event: OrderSettled) -> Audience | None:
    if not event.first_charge or event.inviter_id is None or event.inviter_id == event.member_id:
        return None
    return Audience(at=event.at, participant=event.inviter_id)


def earns(campaign, event: OrderSettled, already_rewarded: bool) -> list[Package]:
    return [] if already_rewarded else [Package(event.inviter_id, NAME, campaign.reward, ref=event.member_id)]


# --- how the console and H5 show it ---
LABEL = N_("Referral campaign")
DESCRIPTION = N_("When a new member registers through an existing member's invite link and finishes their first "
                 "charge, the inviter gets the vouchers.")
AMOUNTS_IN = None
TIER_LABEL = None
TIER_HINT = None  # no tiers
BINDING_HINT = N_("Only bound members earn the reward for inviting; with nobody bound, every member can.")
H5_LABEL = N_("Invite friends")
H5_RANK = 0  # the invite campaign comes first on the member's home page
H5_LINK = ("/h5/invite", N_("Invite now, earn rewards"))
