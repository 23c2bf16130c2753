"""拉新活动: the inviter of a new member gets one package when the invitee's first charge settles.
Bound members are the eligible inviters; with none bound, every member is eligible.

Safeguards (optional): with ``min_first_charge_wh`` and/or ``min_first_charge_paid_fen`` the inviter is
rewarded on the invitee's first order that reaches them (not only its first order: a 1 kWh session no
longer earns anything, and a later 6 kWh one still can); ``max_rewards_per_inviter`` caps what one
inviter earns from the campaign. Still one reward per invitee, ever (``referrals``)."""

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
# The safeguards the type takes (an optional fact: the console's form shows these fields when present).
SAFEGUARD_FIELDS = ("min_first_charge_kwh", "min_first_charge_paid_fen", "max_rewards_per_inviter")


def validate(draft: Campaign) -> list[Reason]:
    return (check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)
            + safeguard_problems(draft))


def safeguard_problems(draft: Campaign) -> list[Reason]:
    """Each safeguard, when set, at least 1 (0 would be no condition: leave it empty instead)."""
    values = (("min_first_charge_kwh", draft.min_first_charge_wh, "campaign.first_charge_kwh_positive",
               "must be greater than 0"),
              ("min_first_charge_paid_fen", draft.min_first_charge_paid_fen, "campaign.first_charge_paid_positive",
               "must be greater than 0"),
              ("max_rewards_per_inviter", draft.max_rewards_per_inviter, "campaign.max_rewards_at_least_one",
               "must be at least 1"))
    return [Reason.of(field, code, message) for field, value, code, message in values if value is not None and value < 1]


def audience(event: OrderSettled) -> Audience | None:
    # Any order of an invited member may be the first that qualifies; ``earns`` decides per campaign.
    if event.inviter_id is None or event.inviter_id == event.member_id:
        return None
    return Audience(at=event.at, participant=event.inviter_id)


def has_thresholds(campaign) -> bool:
    return campaign.min_first_charge_wh is not None or campaign.min_first_charge_paid_fen is not None


def qualifies(campaign, event: OrderSettled) -> bool:
    """Without thresholds only the invitee's first charge counts (as always); with them, its first order
    that reaches every threshold set."""
    if not has_thresholds(campaign):
        return event.first_charge
    return ((campaign.min_first_charge_wh is None or event.energy_wh >= campaign.min_first_charge_wh)
            and (campaign.min_first_charge_paid_fen is None or event.paid_fen >= campaign.min_first_charge_paid_fen))


def earns(campaign, event: OrderSettled, state: referrals.State) -> list[Package]:
    if state.already_rewarded or not qualifies(campaign, event):
        return []
    if campaign.max_rewards_per_inviter is not None and state.inviter_rewards >= campaign.max_rewards_per_inviter:
        return []
    return [Package(event.inviter_id, NAME, campaign.reward, ref=event.member_id)]


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
