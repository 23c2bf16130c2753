"""一次性发放: at ``issue_at`` every bound member gets one package, in binding order, until the budget
runs out (the grant itself is ``campaigns.one_time``). ``issue_at`` defaults to ``start_at``."""

from __future__ import annotations

from evperks.services.campaigns.model import Draft
from evperks.services.campaigns.rules import check_reward, no_tiers, only_for_consumption
from evperks.services.texts import N_

NAME = "one_time"
TIER_KEY = None
USES_MEMBERS = True
REQUIRES_MEMBERS = True
# Until the grant starts (now < issue_at) binding stays open, also once the campaign is active.
BINDING_WHILE_ACTIVE = True


def validate(draft: Draft) -> list[tuple[str, str]]:
    errors = check_reward(draft.reward, "reward") + no_tiers(draft) + only_for_consumption(draft)
    issue_at = draft.issue_at or draft.start_at
    if issue_at and draft.start_at and draft.end_at and not draft.start_at <= issue_at < draft.end_at:
        errors.append(("issue_at", "must lie inside [start_at, end_at)"))
    return errors


# --- how the console and H5 show it ---
LABEL = N_("One-time grant")
DESCRIPTION = N_("The bound members each get the vouchers once, at the time set.")
AMOUNTS_IN = None
TIER_LABEL = None
SHOWS_ISSUE_AT = True
SHOWS_METRIC = False
BINDING_HINT = N_("Each bound member gets the package once, at the issue time. Bind at least one member before "
                  "publishing.")
H5_LABEL = N_("Member gift")
H5_RANK = 4
H5_LINK = None
