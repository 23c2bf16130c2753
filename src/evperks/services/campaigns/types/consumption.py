"""消费活动: participants' settled orders accumulate kWh (metric energy, stored as Wh) or fen paid
(metric amount); crossing a tier's threshold gives its package once. Bound members are the
participants; with none bound, everyone takes part."""

from __future__ import annotations

from evperks.services.campaigns.model import METRICS, Draft
from evperks.services.campaigns.rules import check_tiers, no_issue_at, no_top_level_reward
from evperks.services.texts import N_

NAME = "consumption"
TIER_KEY = "threshold"
USES_MEMBERS = True
REQUIRES_MEMBERS = False
BINDING_WHILE_ACTIVE = True


def validate(draft: Draft) -> list[tuple[str, str]]:
    errors = check_tiers(draft.tiers, TIER_KEY) + no_top_level_reward(draft) + no_issue_at(draft)
    if draft.metric not in METRICS:
        errors.append(("metric", "is required: energy or amount"))
    if draft.progress_reminder is not None and draft.progress_reminder < 1:
        errors.append(("progress_reminder", "must be greater than 0"))
    if draft.countdown_days is not None and draft.countdown_days < 1:
        errors.append(("countdown_days", "must be at least 1"))
    return errors


# --- how the console and H5 show it ---
LABEL = N_("Consumption campaign")
DESCRIPTION = N_("Members whose charged energy or paid amount reaches a tier during the campaign get that tier's "
                 "vouchers.")
AMOUNTS_IN = None  # tiers and the reminder are in the campaign's metric: kWh or yuan
TIER_LABEL = None  # named after the metric chosen
SHOWS_ISSUE_AT = False
SHOWS_METRIC = True
BINDING_HINT = N_("Only bound members take part; with nobody bound, every member does.")
H5_LABEL = N_("Charging campaign")
H5_RANK = 1
H5_LINK = ("/h5/campaigns", N_("See my progress"))
