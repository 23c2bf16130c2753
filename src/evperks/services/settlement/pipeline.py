"""The settlement pipeline: each step plans (reads, decides) and then applies (writes) its part.

A quote runs only the plans; a settlement runs every plan, then every apply, in one transaction with
the member's row locked, so nothing a step planned can change under it. Steps run in a fixed order —
voucher → points → wallet → earn → campaign triggers — each seeing what the earlier ones decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from evperks.domain.checkout import Breakdown
from evperks.domain.vouchers import OrderAmounts, VoucherTerms
from evperks.services.context import Context
from evperks.services.settlement.order import ChargeOrder


@dataclass(frozen=True)
class OwnHold:
    """What the charge session being settled holds: its settlement pays from this first (``domain.holds``)."""

    session_id: str
    wallet_fen: int
    points: int
    voucher_id: int | None


@dataclass
class Settlement:
    order: ChargeOrder
    member: object  # the member's row, read under lock
    amounts: OrderAmounts
    breakdown: Breakdown
    now: datetime
    rewards: list[dict] = field(default_factory=list)
    voucher: VoucherTerms | None = None  # the voucher the voucher step chose
    # What steps read once per settlement and share (e.g. the points settings), by name.
    memo: dict = field(default_factory=dict)
    hold: OwnHold | None = None  # set when a charge session settles

    @property
    def is_first_charge(self) -> bool:
        return self.member.charge_count == 0


class Step(Protocol):
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        """Decide this step's part of the breakdown; read only."""

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        """Write what ``plan`` decided (the order row is written after every step has applied)."""
