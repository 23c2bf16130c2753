"""拉新活动: the inviter of a new member gets one package when the invitee's first charge settles.
Bound members are the eligible inviters; with none bound, every member is eligible."""

from __future__ import annotations

from evperks.domain.campaign_rules import check_reward, no_issue_at, no_tiers, only_for_consumption
from evperks.domain.campaigns import Campaign, Refusal
from evperks.services.texts import N_

NAME = "referral"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True
ACCUMULATES = False
GRANTS_AT_ISSUE_AT = False


def validate(draft: Campaign) -> list[Refusal]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + no_issue_at(draft)


# --- how the console and H5 show it ---
LABEL = N_("Referral campaign")
DESCRIPTION = N_("When a new member registers through an existing member's invite link and finishes their first "
                 "charge, the inviter gets the vouchers.")
AMOUNTS_IN = None
TIER_LABEL = None
BINDING_HINT = N_("Only bound members earn the reward for inviting; with nobody bound, every member can.")
H5_LABEL = N_("Invite friends")
H5_RANK = 0  # the invite campaign comes first on the member's home page
H5_LINK = ("/h5/invite", N_("Invite now, earn rewards"))
