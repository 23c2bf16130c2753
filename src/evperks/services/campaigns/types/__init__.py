"""The five campaign types, one module each, behind one small protocol (django-oscar's offer style).

A type module declares what publishing checks for that type (``validate``, pure: the checks that need
the database — templates enabled, members bound — are common and live in ``lifecycle``) and a few
facts the lifecycle needs. It also declares the events it reacts to (``REACTS_TO``) and decides, pure,
which packages an event earns (``earns``); ``campaigns.react`` is the one entry that receives events
and gives what they earn (``campaigns.issue``). A type is known once ``register``-ed: one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from evperks.domain.campaign_events import Audience, Package
from evperks.domain.campaigns import Campaign, Metric, Reason
from evperks.services.campaigns.types import consumption, one_time, recharge, referral, registration

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from evperks.services.campaigns.issue import Issued
    from evperks.services.context import Context


class TypeState(Protocol):
    """What a type records next to its packages (a member's progress, who rewarded an invitee)."""

    def load(self, conn: Connection, ctx: Context, campaign: Any, event: Any) -> Any:
        """The state ``earns`` decides on, brought up to date with the event."""
        ...

    def save(self, conn: Connection, ctx: Context, campaign: Any, event: Any, state: Any, issued: list[Issued]) -> bool:
        """Record what was given; False takes back everything the campaign did for the event."""
        ...


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

    # The event types (``domain.campaign_events``) the type reacts to.
    REACTS_TO: tuple[type, ...]
    # Whether at most one running campaign of the type rewards an event (the oldest that gives).
    ONE_CAMPAIGN_PER_EVENT: bool
    # The type's own record next to its packages; None when it keeps none.
    STATE: TypeState | None

    def validate(self, draft: Campaign) -> list[Reason]:
        """Every type-specific reason the draft cannot be published."""
        ...

    def audience(self, event: Any) -> Audience | None:
        """Which running campaigns of the type the event concerns; None: none (an event naming its
        campaign, a one-time grant falling due, concerns that campaign alone)."""
        ...

    def earns(self, campaign: Any, event: Any, state: Any) -> list[Package]:
        """The packages the event earns in ``campaign`` (a campaigns row), given the type's ``state``."""
        ...


    # --- how the console and H5 show it (texts are msgids, marked ``N_``, translated where shown) ---
    LABEL: str  # its name in the console
    DESCRIPTION: str  # what it gives and when, on the console's type chooser
    # The unit of its tier amounts and progress reminder (recharge: yuan); None: the campaign's metric.
    AMOUNTS_IN: Metric | None
    # The label of a tier's amount on the form; None: named after the campaign's metric.
    TIER_LABEL: str | None
    TIER_HINT: str | None  # how its tiers pay, beside the tier table; None: no tiers
    BINDING_HINT: str  # what binding members means for it (or that it binds nobody), on the members page
    H5_LABEL: str  # its tag on the member's home page
    H5_RANK: int  # its place among the campaigns on the member's home page, lowest first
    H5_LINK: tuple[str, str] | None  # (H5 path, msgid) of the link under its card there


CAMPAIGN_TYPES: dict[str, CampaignType] = {}


def register(kind: CampaignType) -> CampaignType:
    """Make a campaign type known: creatable, publishable, and reacting to its events."""
    CAMPAIGN_TYPES[kind.NAME] = kind
    return kind


def reacting_to(event_type: type) -> list[CampaignType]:
    """The registered types that react to events of ``event_type``, in registration order."""
    return [kind for kind in CAMPAIGN_TYPES.values() if event_type in kind.REACTS_TO]


def names_where(holds: Callable[[CampaignType], bool]) -> tuple[str, ...]:
    """The names of the types for which ``holds(type)``, for a ``type IN (…)`` (read at each call, so a
    type registered later counts too)."""
    return tuple(name for name, kind in CAMPAIGN_TYPES.items() if holds(kind))


# The registry: one line per type, in the order the console lists them.
register(referral)
register(registration)
register(recharge)
register(one_time)
register(consumption)
