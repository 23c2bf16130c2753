"""一次性发放: at ``issue_at`` every bound member gets one package, in binding order, until the budget
runs out (the grant itself is ``campaigns.one_time``). ``issue_at`` defaults to ``start_at``."""

from __future__ import annotations

from evperks.domain.campaign_events import BoundMembers, IssueDue, Package
from evperks.domain.campaign_rules import check_issue_at_inside, check_reward, no_tiers, only_for_consumption
from evperks.domain.campaigns import Campaign, Reason
from evperks.services.texts import N_

NAME = "one_time"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = True
# Until the grant starts (now < issue_at) binding stays open, also once the campaign is active.
BINDING_WHILE_ACTIVE = True
ACCUMULATES = False
# Its one grant runs at issue_at (default start_at); binding closes then.
GRANTS_AT_ISSUE_AT = True
REACTS_TO = (IssueDue,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None


def validate(draft: Campaign) -> list[Reason]:
    return check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft) + check_issue_at_inside(draft)


def audience(event: IssueDue) -> None:
    return None  # the grant names its campaign


def earns(campaign, event: IssueDue, state: None) -> list[Package]:
    """The next window of bound members, as many as the batch and the budget allow."""
    room = min(event.batch_size, campaign.total_packages - campaign.packages_given)
    return [Package(BoundMembers(event.after, room), NAME, campaign.reward)] if room > 0 else []


# --- how the console and H5 show it ---
LABEL = N_("One-time grant")
DESCRIPTION = N_("The bound members each get the vouchers once, at the time set.")
AMOUNTS_IN = None
TIER_LABEL = None
TIER_HINT = None  # no tiers
BINDING_HINT = N_("Each bound member gets the package once, at the issue time. Bind at least one member before "
                  "publishing.")
H5_LABEL = N_("Member gift")
H5_RANK = 4
H5_LINK = None
