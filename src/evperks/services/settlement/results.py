"""What settlement answers: the body of a quote or a settlement (stored with the order, so a replay
answers the same), and a settled order read back. Field order is the API's (``api.schemas.SettlementOut``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evperks.services.results import Result, result


@result
class SettlementBody(Result):
    order_no: str | None  # None for a quote
    member_id: str
    total_fen: int
    voucher_id: int | None
    voucher_deduction_fen: int
    points_used: int
    points_deduction_fen: int
    wallet_paid_fen: int
    due_fen: int
    points_earned: int
    rewards: list[Mapping[str, Any]]  # {campaign_id, voucher_ids}, as the campaign step appended them
    settled_at: str | None  # in the operator's zone, as text: the stored body shows it as the first answer did

    @classmethod
    def stored(cls, data: Mapping[str, Any]) -> SettlementBody:
        """The body as ``charge_orders.result`` keeps it (written with ``as_dict``)."""
        return cls(**data)


@result
class SettledOrder(SettlementBody):
    status: str  # settled, partially_refunded or refunded
    refunded_fen: int
    refunds: list[Mapping[str, Any]]



@result
class RefundBody(Result):
    """A refund's answer (``api.schemas.RefundOut``), stored with it: a repeat of its refund_no answers the same."""

    refund_no: str
    order_no: str
    amount_fen: int
    external_fen: int
    wallet_fen: int
    points_returned: int
    voucher_returned: bool
    points_clawed_back: int
    rewards_revoked: list[Mapping[str, Any]]  # {campaign_id, voucher_ids}
    rewards_kept: list[Mapping[str, Any]]
    order_status: str


@result
class OrderLine(Result):
    """A row of a member's order list (the console's member page)."""

    order_no: str
    station_id: str
    end_time: datetime
    energy_wh: int
    total_fen: int
    paid_fen: int  # in money: the wallet part plus what was due
    refunded_fen: int
    status: str
    settled_at: datetime
