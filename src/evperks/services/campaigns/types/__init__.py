"""The five campaign types, one module each, behind one small protocol (django-oscar's offer style).

A type module declares what publishing checks for that type (``validate``, pure: the checks that need
the database — templates enabled, members bound — are common and live in ``lifecycle``) and a few
facts the lifecycle needs. What *gives* packages (registration, referral, recharge, consumption
progress) lives in ``campaigns.triggers`` / ``campaigns.progress``; the one-time grant in
``campaigns.one_time``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from evperks.domain.campaigns import Campaign, Metric, Refusal
from evperks.services.campaigns.types import consumption, one_time, recharge, referral, registration


class CampaignType(Protocol):
    NAME: str
    # The key each tier is sorted by (``min_amount_fen`` / ``threshold``); None: one top-level reward.
    TIER_KEY: str | None
    # Whether bound members mean anything for the type (eligible inviters, participants, recipients).
    USES_MEMBERS: bool
    # Whether publishing needs at least one bound member.
    REQUIRES_MEMBERS: bool
    # Whether members may be bound or unbound while the campaign is active.
    BINDING_WHILE_ACTIVE: bool
    # Whether members accumulate an amount (kWh or fen, by ``metric``) in progress rows towards the tiers:
    # the type then has a metric, a progress reminder and countdown days, and counts progressing members.
    ACCUMULATES: bool
    # Whether its one grant runs at ``issue_at`` (default ``start_at``), when its members stop changing.
    GRANTS_AT_ISSUE_AT: bool

    def validate(self, draft: Campaign) -> list[Refusal]:
        """Every type-specific reason the draft cannot be published."""
        ...

    # --- how the console and H5 show it (texts are msgids, marked ``N_``, translated where shown) ---
    LABEL: str  # its name in the console
    DESCRIPTION: str  # what it gives and when, on the console's type chooser
    # The unit of its tier amounts and progress reminder (recharge: yuan); None: the campaign's metric.
    AMOUNTS_IN: Metric | None
    # The label of a tier's amount on the form; None: named after the campaign's metric.
    TIER_LABEL: str | None
    BINDING_HINT: str  # what binding members means for it (or that it binds nobody), on the members page
    H5_LABEL: str  # its tag on the member's home page
    H5_RANK: int  # its place among the campaigns on the member's home page, lowest first
    H5_LINK: tuple[str, str] | None  # (H5 path, msgid) of the link under its card there


CAMPAIGN_TYPES: dict[str, CampaignType] = {
    module.NAME: module for module in (referral, registration, recharge, one_time, consumption)
}


def names_where(holds: Callable[[CampaignType], bool]) -> tuple[str, ...]:
    """The names of the types for which ``holds(type)``, for a ``type IN (…)`` (read at each call, so a
    type registered later counts too)."""
    return tuple(name for name, kind in CAMPAIGN_TYPES.items() if holds(kind))
