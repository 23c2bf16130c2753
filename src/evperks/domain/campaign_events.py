"""What campaigns react to, and what an event earns, as values. Pure; no database.

Something happens to a member (it registers, an order of it settles, it pays a recharge) or a one-time
grant falls due; the service that saw it hands the event to ``services.campaigns.react``. Each campaign
type declares the event types it reacts to and decides, from a running campaign and the event, which
packages the event earns (``Package``); giving them is one set-based issue for every type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class MemberRegistered:
    member_id: str
    registered_at: datetime  # campaigns running at this instant reward it (an import may give an earlier one)
    at: datetime  # when the packages are given


@dataclass(frozen=True)
class OrderSettled:
    member_id: str
    inviter_id: str | None
    order_no: str
    energy_wh: int
    paid_fen: int  # after discounts: what the member paid for the order
    first_charge: bool  # the member's first settled charge
    ended_at: datetime  # the order's end: consumption counts it in the campaigns running then
    at: datetime


@dataclass(frozen=True)
class RechargePaid:
    member_id: str
    order_no: str
    amount_fen: int
    at: datetime


@dataclass(frozen=True)
class IssueDue:
    """A one-time grant's next batch: the bound members after binding id ``after``, at most ``batch_size``."""

    campaign_id: int
    at: datetime
    after: int = 0
    batch_size: int = 5000


Event = MemberRegistered | OrderSettled | RechargePaid | IssueDue


@dataclass(frozen=True)
class Audience:
    """The campaigns an event concerns: those running at ``at`` whose participants admit ``participant``
    (bound to the campaign, or nobody bound); ``participant`` None: every running campaign of the type."""

    at: datetime
    participant: str | None = None


@dataclass(frozen=True)
class BoundMembers:
    """Every member bound to the campaign after binding id ``after``, in binding order, at most ``limit``."""

    after: int
    limit: int


@dataclass(frozen=True)
class Package:
    """One package of ``reward`` (``[{template_id, quantity}]``) for ``to`` — a member id, or every member of
    a ``BoundMembers`` window — given at most once per (campaign, member, ``trigger``, ``ref``)."""

    to: str | BoundMembers
    trigger: str
    reward: list
    ref: str = ""
