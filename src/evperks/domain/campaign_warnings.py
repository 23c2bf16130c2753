"""What publishing warns about without refusing (pure): a campaign that another campaign of its type
keeps from paying, and a one-time grant with more bound members than packages.

Same-type campaigns stack, except for a type where one running campaign rewards an event
(``ONE_CAMPAIGN_PER_EVENT``, the referral type: one reward per invitee, ever): there the oldest
running campaign (lowest id) that admits the member pays, and a newer one pays only the members the
older does not admit, or once the older has ended or run out of packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evperks.domain.reasons import Reason


@dataclass(frozen=True)
class Rival:
    """A published, not yet ended campaign of the same type, as far as who pays first goes."""

    id: int
    name: str | None
    start_at: datetime
    end_at: datetime
    admits_everyone: bool  # no member bound: it admits every member


def rival_warnings(campaign_id: int, start_at: datetime, end_at: datetime, rivals: list[Rival]) -> list[Reason]:
    """For a type where one campaign rewards an event: each rival whose window overlaps
    ``[start_at, end_at)``, saying who pays first while both run."""
    warnings = []
    for rival in sorted(rivals, key=lambda r: r.id):
        if rival.id == campaign_id or rival.end_at <= start_at or end_at <= rival.start_at:
            continue
        params = {"id": rival.id, "name": rival.name or ""}
        if rival.id > campaign_id:
            warnings.append(Reason.of("", "campaign.outranks", "campaign %(id)s (%(name)s) is newer: while both run, "
                                      "this campaign pays first and %(id)s only pays whom this one does not admit",
                                      **params))
        elif rival.admits_everyone and rival.start_at <= start_at and end_at <= rival.end_at:
            warnings.append(Reason.of("", "campaign.never_pays", "campaign %(id)s (%(name)s) is older, admits every "
                                      "member and runs the whole time: this campaign pays nothing unless %(id)s is "
                                      "stopped or runs out of packages", **params))
        else:
            warnings.append(Reason.of("", "campaign.pays_after", "campaign %(id)s (%(name)s) is older: while both run, "
                                      "it pays first and this campaign only pays whom it does not admit", **params))
    return warnings


def shortfall_warning(bound: int, packages: int) -> Reason | None:
    """A grant to ``bound`` members with ``packages`` packages: who will get nothing."""
    if bound <= packages:
        return None
    return Reason.of("", "campaign.packages_short", "%(bound)s members are bound but there are %(packages)s "
                     "packages: %(shortfall)s members (the last bound) get nothing", bound=bound, packages=packages,
                     shortfall=bound - packages)


def package_value_fen(reward: list[dict], face_values: dict[int, int]) -> int:
    """What one package's vouchers are worth at face value (their most a package can deduct)."""
    return sum(face_values.get(item.get("template_id"), 0) * int(item.get("quantity") or 0) for item in reward)
