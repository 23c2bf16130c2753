"""一次性发放: at ``issue_at`` every bound member gets one package, in binding order, until the budget
runs out (the grant itself is ``campaigns.one_time``). ``issue_at`` defaults to ``start_at``."""

from __future__ import annotations

from evperks.domain.campaign_events import BoundMembers, IssueDue, Package
from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_reward, no_tiers, only_for_consumption

NAME = "one_time"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = True
# Until the grant starts (now < issue_at) binding stays open, also once the campaign is active.
BINDING_WHILE_ACTIVE = True
REACTS_TO = (IssueDue,)
ONE_CAMPAIGN_PER_EVENT = False
STATE = None


def validate(draft: Draft) -> list[tuple[str, str]]:
    errors = check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft)
    issue_at = draft.issue_at or draft.start_at
    if issue_at and draft.start_at and draft.end_at and not draft.start_at <= issue_at < draft.end_at:
        errors.append(("issue_at", "must lie inside [start_at, end_at)"))
    return errors


def audience(event: IssueDue) -> None:
    return None  # the grant names its campaign


def earns(campaign, event: IssueDue, state: None) -> list[Package]:
    """The next window of bound members, as many as the batch and the budget allow."""
    room = min(event.batch_size, campaign.total_packages - campaign.packages_given)
    return [Package(BoundMembers(event.after, room), NAME, campaign.reward)] if room > 0 else []
