"""What the mall use cases answer. Field order is the API's (``api.schemas_mall``)."""

from __future__ import annotations

from datetime import datetime

from evperks.services.results import Result, result


@result
class RewardLine(Result):
    template_id: int
    quantity: int


@result
class MallItem(Result):
    """An item as operators see it; ``exchanges`` is how many were exchanged (stock − stock_left)."""

    id: int
    name: str
    reward: list[RewardLine]
    points_price: int
    stock: int
    stock_left: int
    per_member_limit: int | None
    start_at: datetime | None
    end_at: datetime | None
    enabled: bool
    exchanges: int
    created_at: datetime
    updated_at: datetime


@result
class MallItemPage(Result):
    items: list[MallItem]
    next_cursor: str | None


@result
class OfferVoucher(Result):
    """A reward line as a member reads it: the template's name and what it is worth (a face value, or a
    percentage off with its cap)."""

    template_id: int
    quantity: int
    name: str
    face_value_fen: int | None  # None for a percent voucher
    kind: str
    percent_off: int | None
    max_deduction_fen: int | None
    deduction_type: str


@result
class MallOffer(Result):
    """An item members can exchange now; with a member, how often they already did."""

    id: int
    name: str
    vouchers: list[OfferVoucher]
    points_price: int
    stock_left: int
    per_member_limit: int | None
    start_at: datetime | None
    end_at: datetime | None
    member_exchanged: int | None


@result
class MallOfferPage(Result):
    items: list[MallOffer]
    next_cursor: str | None


@result
class Exchange(Result):
    """One exchange (兑换): the answer every repeat of its exchange_no returns."""

    exchange_no: str
    item_id: int
    points_spent: int
    voucher_ids: list[int]
