"""Points mall (积分商城) rules without a database: what a valid item is, when it can be exchanged, and
why an exchange is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from evperks.domain.campaign_rules import check_reward
from evperks.domain.points import MAX_POINTS
from evperks.domain.reasons import Reason

MAX_STOCK = 10**9
MAX_NAME = 100


@dataclass(frozen=True)
class ItemSpec:
    """What an operator sets on a mall item. ``per_member_limit`` None: no limit; ``start_at`` None:
    open from now; ``end_at`` None: open until disabled."""

    name: str
    reward: tuple[tuple[int, int], ...]  # (template_id, quantity) per line
    points_price: int
    stock: int
    per_member_limit: int | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    enabled: bool = True

    def reward_lines(self) -> list[dict]:
        return [{"template_id": t, "quantity": q} for t, q in self.reward]


def item_problems(spec: ItemSpec) -> list[Reason]:
    """Every field of ``spec`` that breaks a rule (the reward package by the campaigns' package rule)."""
    problems = []
    if not 1 <= len(spec.name.strip()) <= MAX_NAME:
        problems.append(Reason.of("name", "mall.name_length", "must be 1 to %(max)s characters", max=MAX_NAME))
    problems += check_reward(spec.reward_lines(), "reward")
    if not 1 <= spec.points_price <= MAX_POINTS:
        problems.append(Reason.of("points_price", "mall.price_not_positive", "must be greater than 0"))
    if not 0 <= spec.stock <= MAX_STOCK:
        problems.append(Reason.of("stock", "mall.stock_out_of_range", "must be from 0 to %(max)s", max=MAX_STOCK))
    if spec.per_member_limit is not None and spec.per_member_limit < 1:
        problems.append(Reason.of("per_member_limit", "mall.limit_not_positive", "must be at least 1, or empty for no limit"))
    if spec.start_at is not None and spec.end_at is not None and spec.end_at <= spec.start_at:
        problems.append(Reason.of("end_at", "mall.end_before_start", "must be after start_at"))
    return problems


def window_open(start_at: datetime | None, end_at: datetime | None, now: datetime) -> bool:
    """An item's window is [start_at, end_at); an open end is no bound."""
    return (start_at is None or start_at <= now) and (end_at is None or now < end_at)


class Refusal(StrEnum):
    """Why a member cannot exchange an item now, in the order they are told."""

    UNAVAILABLE = "mall.item_unavailable"  # disabled, or outside its window
    OUT_OF_STOCK = "mall.out_of_stock"
    LIMIT_REACHED = "mall.limit_reached"
    POINTS_NOT_ENOUGH = "mall.points_not_enough"


REFUSAL_MESSAGES = {
    Refusal.UNAVAILABLE: "the item cannot be exchanged now (disabled or outside its window)",
    Refusal.OUT_OF_STOCK: "the item is out of stock",
    Refusal.LIMIT_REACHED: "the member has reached this item's limit of %(limit)s",
    Refusal.POINTS_NOT_ENOUGH: "the item costs %(price)s points; the member has %(available)s available",
}


@dataclass(frozen=True)
class Offer:
    """An item as a member could exchange it, and how far the member is."""

    enabled: bool
    start_at: datetime | None
    end_at: datetime | None
    stock_left: int
    per_member_limit: int | None
    points_price: int
    exchanged: int  # by this member
    points_available: int  # this member's


def refusal(offer: Offer, now: datetime) -> Refusal | None:
    """The first reason this member cannot exchange the item at ``now``; None when they can."""
    if not offer.enabled or not window_open(offer.start_at, offer.end_at, now):
        return Refusal.UNAVAILABLE
    if offer.stock_left < 1:
        return Refusal.OUT_OF_STOCK
    if offer.per_member_limit is not None and offer.exchanged >= offer.per_member_limit:
        return Refusal.LIMIT_REACHED
    if offer.points_available < offer.points_price:
        return Refusal.POINTS_NOT_ENOUGH
    return None
